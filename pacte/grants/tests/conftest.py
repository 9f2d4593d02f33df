"""Fixtures for the grants tests (every helper uses them). Built on the root fixtures ``compact``
(Côte d'Ivoire, 7 Dec 2022 – 7 Dec 2027, parties and monitoring committee), ``officer`` (TIP Office,
a donor office: a grants officer), ``observer`` (observes ``compact``) and ``outsider`` (an unrelated
NGO: sees nothing but published opportunities).

* ``us_ceiling``: the compact's United States ceiling, USD 10,000,000;
* ``applicant_org`` / ``applicant``: an eligible, registered NGO (Côte d'Ivoire) and its user
  "applicant" (not a participant of ``compact``);
* ``reviewer``: a TIP Office colleague ("grant_reviewer", same donor office as ``officer``), assigned
  as reviewer of ``opportunity``;
* ``opportunity``: a published opportunity under ``compact`` (ceiling USD 2,000,000, deadline in 30
  days, three criteria 50/30/20, objectives: one prevention objective of ``compact``);
* ``application``: ``applicant_org``'s submitted application to ``opportunity`` (2024: 400,000;
  2025: 600,000);
* ``award``: an award of USD 1,000,000 to ``applicant_org`` under ``compact`` (2024-01-01 –
  2026-12-31), from ``application``;
* clients: ``applicant_client``, ``reviewer_client`` (plus the root ``officer_client``,
  ``observer_client``, ``outsider_client``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from pacte.accounts.factories import UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts.factories import ObjectiveFactory
from pacte.compacts.models import Pillar
from pacte.grants import models
from pacte.grants.factories import ceiling, make_application, make_award, make_opportunity, ngo


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    """The cache lives as long as the process: every test starts and ends with an empty one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def us_ceiling(compact):  # type: ignore[no-untyped-def]
    return ceiling(compact, 10_000_000)


@pytest.fixture
def applicant_org(db) -> Organisation:  # type: ignore[no-untyped-def]
    return ngo("ONG Enfance Protégée", acronym="OEP")


@pytest.fixture
def applicant(applicant_org):  # type: ignore[no-untyped-def]
    return UserFactory(username="applicant", organisation=applicant_org)


@pytest.fixture
def reviewer(officer):  # type: ignore[no-untyped-def]
    return UserFactory(username="grant_reviewer", organisation=officer.organisation)


@pytest.fixture
def objective(compact):  # type: ignore[no-untyped-def]
    return ObjectiveFactory(compact=compact, pillar=Pillar.PREVENTION, number=1)


@pytest.fixture
def opportunity(compact, us_ceiling, objective, reviewer, officer):  # type: ignore[no-untyped-def]
    opportunity = make_opportunity(compact, objectives=[objective], created_by=officer)
    models.ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=reviewer)
    return opportunity


@pytest.fixture
def application(opportunity, applicant_org, applicant):  # type: ignore[no-untyped-def]
    return make_application(opportunity, applicant_org, created_by=applicant)


@pytest.fixture
def award(compact, us_ceiling, application, applicant_org, officer, objective):  # type: ignore[no-untyped-def]
    award = make_award(
        compact,
        organisation=applicant_org,
        opportunity=application.opportunity,
        application=application,
        amount=Decimal(1_000_000),
        decided_by=officer,
    )
    award.objectives.set([objective])
    application.status = models.Application.Status.AWARDED
    application.save(update_fields=["status"])
    return award


def _client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def applicant_client(applicant) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(applicant)


@pytest.fixture
def reviewer_client(reviewer) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(reviewer)
