"""Fixtures for the results tests (all helpers use them). Built on the root fixtures ``compact``
(Côte d'Ivoire, 7 Dec 2022 – 7 Dec 2027, parties and monitoring committee), ``officer``,
``observer`` and ``outsider``.

Organisations and users on ``compact``:

* ``reporter_org`` / ``reporter``: NGO taking part as *implementing partner* (so it may report
  results: ``Capability.REPORT_RESULTS``), named as a reporter of ``definition``; user "reporter".
* ``other_reporter_org`` / ``other_reporter``: a second implementing partner, also a reporter of
  ``definition`` (for roll-ups across organisations); user "other_reporter".
* ``reviewer_org`` / ``reviewer``: the CNS, acting for the partner country (party body), whose user
  "reviewer" is a *monitoring committee member* (DEFINE_INDICATORS, REVIEW_RESULTS) and sits on the
  monitoring committee. The reviewer's organisation reports nothing by default.
* ``standard_categories``: dict code -> ``DisaggregationCategory`` of every standard category
  (codes: female, male, other-or-unknown; under-18, age-0-5, age-6-11, age-12-14, age-15-17,
  18-and-over; forced-labor, sexual-exploitation, other-form; CIV regions such as abidjan, gbeke).

Indicators (each on its own objective of ``compact``):

* ``definition``: a count (annual, per period, higher is better), disaggregated by sex (female,
  male, other-or-unknown) and age (under-18, 18-and-over), reported by ``reporter_org`` and
  ``other_reporter_org``; no targets.
* ``percentage_definition``: a percentage (annual, per period) with numerator/denominator labels,
  disaggregated by sex, reported by the same two organisations.

Submissions (written directly with the factories, not through the services):

* ``draft_submission``: ``reporter_org``'s draft for ``definition``, period "2023", total 10
  (female 6, male 4), ``created_by=reporter``.
* ``submitted_submission``: the same but submitted (by ``reporter``) for period "2024".

Clients: ``reporter_client``, ``reviewer_client`` (logged in).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models as compacts
from pacte.results import models
from pacte.results.factories import make_definition, make_submission
from pacte.results.services import ensure_standard_categories


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    """Django's cache lives as long as the process: every test starts and ends with an empty one
    (cached progress of an earlier test's compact must not answer for this test's)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def standard_categories(db) -> dict[str, models.DisaggregationCategory]:  # type: ignore[no-untyped-def]
    # Transactional tests flush the table the data migration filled: install again (idempotent).
    ensure_standard_categories()
    return {
        c.code: c
        for c in models.DisaggregationCategory.objects.filter(country__in=["", "CIV"]).select_related(
            "parent"
        )
    }


def _implementing_partner(compact: compacts.Compact, name: str, acronym: str) -> Organisation:
    org = OrganisationFactory(
        name=name,
        acronym=acronym,
        org_type=Organisation.Type.IMPLEMENTING_PARTNER,
        partner_kind=Organisation.PartnerKind.NGO,
    )
    compacts.Participation.objects.get_or_create(
        compact=compact, organisation=org, defaults={"role": compacts.Participation.Role.IMPLEMENTING_PARTNER}
    )
    return org


@pytest.fixture
def reporter_org(compact) -> Organisation:  # type: ignore[no-untyped-def]
    return _implementing_partner(compact, "Association Enfance Protégée (test)", "AEP")


@pytest.fixture
def reporter(reporter_org):  # type: ignore[no-untyped-def]
    return UserFactory(username="reporter", organisation=reporter_org)


@pytest.fixture
def other_reporter_org(compact) -> Organisation:  # type: ignore[no-untyped-def]
    return _implementing_partner(compact, "Fondation Avenir des Enfants (test)", "FAE")


@pytest.fixture
def other_reporter(other_reporter_org):  # type: ignore[no-untyped-def]
    return UserFactory(username="other_reporter", organisation=other_reporter_org)


@pytest.fixture
def reviewer_org(compact) -> Organisation:  # type: ignore[no-untyped-def]
    org = OrganisationFactory(
        name="Comité National de Surveillance (test)",
        acronym="CNS",
        org_type=Organisation.Type.PARTNER_GOVERNMENT,
    )
    partner = compact.parties.get(kind=compacts.Party.Kind.PARTNER_COUNTRY)
    compacts.Participation.objects.get_or_create(
        compact=compact,
        organisation=org,
        defaults={"role": compacts.Participation.Role.PARTY_BODY, "party": partner},
    )
    return org


@pytest.fixture
def reviewer(compact, reviewer_org):  # type: ignore[no-untyped-def]
    user = UserFactory(username="reviewer", organisation=reviewer_org)
    compacts.Membership.objects.create(
        compact=compact, user=user, role=compacts.Membership.Role.MONITORING_COMMITTEE_MEMBER
    )
    compacts.CommitteeMember.objects.create(
        committee=compact.monitoring_committee,
        name=user.get_full_name() or user.username,
        user=user,
        organisation=reviewer_org,
        party=compact.parties.get(kind=compacts.Party.Kind.PARTNER_COUNTRY),
    )
    return user


@pytest.fixture
def definition(compact, reporter_org, other_reporter_org, standard_categories):  # type: ignore[no-untyped-def]
    c = standard_categories
    return make_definition(
        compact,
        reporters=[reporter_org, other_reporter_org],
        categories=[c["female"], c["male"], c["other-or-unknown"], c["under-18"], c["18-and-over"]],
        unit=models.IndicatorDefinition.Unit.COUNT,
        unit_label="enfants victimes identifiés",
    )


@pytest.fixture
def percentage_definition(compact, reporter_org, other_reporter_org, standard_categories):  # type: ignore[no-untyped-def]
    c = standard_categories
    return make_definition(
        compact,
        reporters=[reporter_org, other_reporter_org],
        categories=[c["female"], c["male"], c["other-or-unknown"]],
        unit=models.IndicatorDefinition.Unit.PERCENTAGE,
        numerator_label="enfants réintégrés",
        denominator_label="enfants pris en charge",
    )


@pytest.fixture
def draft_submission(definition, reporter_org, reporter):  # type: ignore[no-untyped-def]
    return make_submission(
        definition,
        reporter_org,
        "2023",
        total=10,
        parts={"female": 6, "male": 4},
        status=models.Submission.Status.DRAFT,
        created_by=reporter,
    )


@pytest.fixture
def submitted_submission(definition, reporter_org, reporter):  # type: ignore[no-untyped-def]
    return make_submission(
        definition,
        reporter_org,
        "2024",
        total=10,
        parts={"female": 6, "male": 4},
        status=models.Submission.Status.SUBMITTED,
        created_by=reporter,
        submitted_by=reporter,
        submitted_at=timezone.now(),
    )


def _client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reporter_client(reporter) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(reporter)


@pytest.fixture
def reviewer_client(reviewer) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(reviewer)
