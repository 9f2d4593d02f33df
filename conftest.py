"""Fixtures shared by the whole suite: three users of different rights, as in healthchecks' tests.

* ``officer``: programme officer of the TIP Office on ``compact`` (may change everything);
* ``observer``: user of an organisation that only observes ``compact`` (public information only);
* ``outsider``: user of an unrelated organisation (must see nothing of ``compact``).
"""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models
from pacte.compacts.factories import donor_officer, make_compact_with_parties


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the product's default language (French), whatever an earlier test's
    request left active in this thread. Tests that read English messages say so."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def compact(db):  # type: ignore[no-untyped-def]
    return make_compact_with_parties()


@pytest.fixture
def officer(compact):  # type: ignore[no-untyped-def]
    return donor_officer(compact, username="officer")


@pytest.fixture
def observer(compact):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(name="Observer org", org_type=Organisation.Type.SERVICE_PROVIDER)
    models.Participation.objects.create(
        compact=compact, organisation=org, role=models.Participation.Role.OBSERVER
    )
    return UserFactory(username="observer", organisation=org)


@pytest.fixture
def outsider(db):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(
        name="Unrelated NGO", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
    )
    return UserFactory(username="outsider", organisation=org)


def _client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer_client(officer) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(officer)


@pytest.fixture
def observer_client(observer) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(observer)


@pytest.fixture
def outsider_client(outsider) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(outsider)
