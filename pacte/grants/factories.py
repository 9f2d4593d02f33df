"""factory_boy factories for grants, used by tests, demo data and bench/.

Factories write rows directly (no permission checks, no rules): use them to *arrange* a test; use
``pacte.grants.services`` for the behaviour under test.

* ``ceiling(compact, amount=10_000_000)`` – the compact's United States ceiling (a Commitment);
* ``make_opportunity(compact=None, *, criteria=((name, weight), …), **fields)`` – a published
  opportunity (deadline in 30 days) with its merit criteria (default: three adding up to 100);
* ``make_application(opportunity, organisation, *, status=submitted, lines=((year, amount), …))``;
* ``make_award(compact=None, organisation=None, **fields)`` – an award (sectors 15160 100 %).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from pacte.accounts.factories import OrganisationFactory
from pacte.accounts.models import Organisation
from pacte.compacts.models import Commitment, Compact, Party

from . import models


def ceiling(compact: Compact, amount: Decimal | int = 10_000_000) -> Commitment:
    us = compact.parties.get(kind=Party.Kind.UNITED_STATES)
    commitment, _created = Commitment.objects.update_or_create(
        compact=compact,
        kind=Commitment.Kind.CEILING,
        defaults={
            "party": us,
            "description": "Up to USD 10 million, subject to the availability of funds.",
            "amount": Decimal(amount),
            "currency": "USD",
            "subject_to_availability_of_funds": True,
        },
    )
    return commitment


def ngo(name: str = "", **fields: Any) -> Organisation:
    defaults: dict[str, Any] = {
        "org_type": Organisation.Type.IMPLEMENTING_PARTNER,
        "partner_kind": Organisation.PartnerKind.NGO,
        "country": "CIV",
        "registration_number": "CI-ABJ-2019-B-1234",
    }
    defaults.update(fields)
    if name:
        defaults["name"] = name
    return OrganisationFactory.create(**defaults)


class FundingOpportunityFactory(factory.django.DjangoModelFactory[models.FundingOpportunity]):
    class Meta:
        model = models.FundingOpportunity

    title = factory.Sequence(lambda n: f"Appel à propositions {n}")
    reference = factory.Sequence(lambda n: f"SFOP{n:07d}")
    programme_type = models.ProgrammeType.BILATERAL_REGIONAL
    description = "Protection des enfants contre la traite."
    ceiling = Decimal(2_000_000)
    eligible_org_types = factory.LazyFunction(lambda: ["ngo", "international_organisation"])
    registration_required = True
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    deadline = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    status = models.FundingOpportunity.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


DEFAULT_CRITERIA = (
    ("Qualité technique", Decimal(50)),
    ("Capacité de l'organisation", Decimal(30)),
    ("Coût raisonnable", Decimal(20)),
)


def make_opportunity(
    compact: Compact | None = None,
    *,
    criteria: Iterable[tuple[str, Decimal | int]] = DEFAULT_CRITERIA,
    objectives: Iterable[Any] = (),
    **fields: Any,
) -> models.FundingOpportunity:
    if compact is not None:
        fields.setdefault("programme_type", models.ProgrammeType.CHILD_PROTECTION_COMPACT)
    opportunity = FundingOpportunityFactory.create(compact=compact, **fields)
    for order, (name, weight) in enumerate(criteria):
        models.MeritCriterion.objects.create(
            opportunity=opportunity, name=name, weight=Decimal(weight), order=order
        )
    opportunity.objectives.set(list(objectives))
    return opportunity


def make_application(
    opportunity: models.FundingOpportunity,
    organisation: Organisation | None = None,
    *,
    status: str = models.Application.Status.SUBMITTED,
    lines: Iterable[tuple[int, Decimal | int]] = ((2024, 400_000), (2025, 600_000)),
    **fields: Any,
) -> models.Application:
    organisation = organisation or ngo()
    fields.setdefault("title", f"Projet de {organisation.name}")
    fields.setdefault("narrative", "Nous protégerons les enfants.")
    application = models.Application.objects.create(
        opportunity=opportunity,
        organisation=organisation,
        status=status,
        submitted_at=timezone.now() if status != models.Application.Status.DRAFT else None,
        **fields,
    )
    for year, amount in lines:
        models.ApplicationBudgetLine.objects.create(
            application=application, year=year, amount=Decimal(amount)
        )
    return application


class AwardFactory(factory.django.DjangoModelFactory[models.Award]):
    class Meta:
        model = models.Award

    reference = factory.Sequence(lambda n: f"SINLEC24GR{n:04d}")
    title = factory.Sequence(lambda n: f"Projet financé {n}")
    instrument = models.Award.Instrument.GRANT
    programme_type = models.ProgrammeType.BILATERAL_REGIONAL
    organisation = factory.LazyFunction(ngo)
    recipient_country = "CIV"
    start_date = dt.date(2024, 1, 1)
    end_date = dt.date(2026, 12, 31)
    amount = Decimal(1_000_000)
    justification = "Meilleure note du comité d'examen."
    decided_on = dt.date(2023, 12, 15)


def make_award(compact: Compact | None = None, **fields: Any) -> models.Award:
    if compact is not None:
        fields.setdefault("programme_type", models.ProgrammeType.CHILD_PROTECTION_COMPACT)
        fields.setdefault("recipient_country", compact.country)
    award = AwardFactory.create(compact=compact, **fields)
    models.SectorShare.objects.create(award=award, code="15160", percentage=Decimal(100))
    return award
