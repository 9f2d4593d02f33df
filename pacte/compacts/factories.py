"""factory_boy factories for compacts, used by tests and bench/."""

import datetime as dt

import factory

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation

from . import models


class CompactFactory(factory.django.DjangoModelFactory[models.Compact]):
    class Meta:
        model = models.Compact

    title = factory.Sequence(lambda n: f"Compact {n}")
    country = "CIV"
    goal = "Le pays lutte contre la traite des enfants de façon coordonnée et précoce."
    start_date = dt.date(2022, 12, 7)
    end_date = dt.date(2027, 12, 7)
    status = models.Compact.Status.SIGNED
    signature_date = dt.date(2022, 12, 7)


class PartyFactory(factory.django.DjangoModelFactory[models.Party]):
    class Meta:
        model = models.Party

    compact = factory.SubFactory(CompactFactory)
    kind = models.Party.Kind.UNITED_STATES
    name = "Gouvernement des États-Unis d'Amérique"


class ObjectiveFactory(factory.django.DjangoModelFactory[models.Objective]):
    class Meta:
        model = models.Objective

    compact = factory.SubFactory(CompactFactory)
    pillar = models.Pillar.PREVENTION
    number = factory.Sequence(lambda n: n + 1)
    statement = "Les efforts de prévention sont coordonnés."


class ActivityFactory(factory.django.DjangoModelFactory[models.Activity]):
    class Meta:
        model = models.Activity

    objective = factory.SubFactory(ObjectiveFactory)
    order = factory.Sequence(lambda n: n)
    description = factory.Sequence(lambda n: f"Activité {n}")


class IndicatorFactory(factory.django.DjangoModelFactory[models.Indicator]):
    class Meta:
        model = models.Indicator

    objective = factory.SubFactory(ObjectiveFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Nombre de personnes formées {n}")


def make_compact_with_parties(**kwargs: object) -> models.Compact:
    compact = CompactFactory.create(**kwargs)
    models.Party.objects.create(compact=compact, kind=models.Party.Kind.UNITED_STATES, name="United States")
    models.Party.objects.create(compact=compact, kind=models.Party.Kind.PARTNER_COUNTRY, name="Côte d'Ivoire")
    models.MonitoringCommittee.objects.create(compact=compact)
    return compact


def donor_officer(compact: models.Compact, **kwargs: object):  # type: ignore[no-untyped-def]
    """A TIP Office programme officer with the programme-officer role on ``compact``."""
    org = OrganisationFactory(
        name="TIP Office (test)", org_type=Organisation.Type.DONOR_OFFICE, country="USA"
    )
    user = UserFactory.create(organisation=org, **kwargs)
    us = compact.parties.get(kind=models.Party.Kind.UNITED_STATES)
    models.Participation.objects.get_or_create(
        compact=compact,
        organisation=org,
        defaults={"role": models.Participation.Role.PARTY_BODY, "party": us},
    )
    models.Membership.objects.create(
        compact=compact, user=user, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    return user
