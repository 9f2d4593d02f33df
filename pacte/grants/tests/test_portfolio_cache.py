"""The portfolio page caches its body under a key that changes with every grants write (the grants
version token), the compacts, the organisations and the user's scope: a change shows at once, and
what one user may see never answers for another."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pacte.compacts import services as compact_services
from pacte.grants import selectors, services
from pacte.grants.models import GrantsState, Transaction

pytestmark = pytest.mark.django_db
URL = "/grants/"


def body(client: Client, **params: str) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def test_grants_changed_creates_then_changes_one_token():  # type: ignore[no-untyped-def]
    assert selectors.grants_token() is None
    services.grants_changed()
    first = selectors.grants_token()
    services.grants_changed()
    assert selectors.grants_token() not in (None, first)
    assert GrantsState.objects.count() == 1


def test_a_refused_write_leaves_the_token(award, officer):  # type: ignore[no-untyped-def]
    services.grants_changed()
    before = selectors.grants_token()
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the transaction is rolled back
        services.record_transaction(
            user=officer, award=award, kind="2", date=dt.date(2020, 1, 1), amount=Decimal(10)
        )
    assert selectors.grants_token() == before


def test_cached_then_a_transaction_shows_at_once(award, officer, officer_client):  # type: ignore[no-untyped-def]
    services.grants_changed()
    officer_client.get(URL)  # the session's first request reads more
    cache.clear()
    cold = queries(officer_client)
    warm = queries(officer_client)
    assert warm < cold
    assert "123 456,00" not in body(officer_client).replace("\u202f", " ").replace("\xa0", " ")
    services.record_transaction(
        user=officer, award=award, kind="2", date=dt.date(2024, 2, 1), amount=Decimal("123456")
    )
    assert Transaction.objects.count() == 1
    assert "123 456" in body(officer_client).replace("\u202f", " ").replace("\xa0", " ")


def test_a_compact_change_shows_at_once(award, compact, officer, officer_client):  # type: ignore[no-untyped-def]
    services.grants_changed()
    assert compact.title in body(officer_client)
    compact_services.update_compact(user=officer, compact=compact, data={"title": "Pacte renommé (test)"})
    assert "Pacte renommé (test)" in body(officer_client)


def test_one_users_cached_page_never_answers_for_another(  # type: ignore[no-untyped-def]
    award, officer_client, outsider_client, applicant_client
):
    services.grants_changed()
    name = award.organisation.name
    assert name in body(officer_client, group_by="partner")  # cached for the officers' scope
    assert name not in body(outsider_client, group_by="partner")
    assert name in body(applicant_client, group_by="partner")
    assert name not in body(outsider_client, group_by="partner")


def test_the_award_list_is_cached_per_scope_and_shows_a_new_award_at_once(  # type: ignore[no-untyped-def]
    award, officer, officer_client, outsider_client, applicant_client
):
    services.grants_changed()
    url = "/grants/awards/"
    assert award.reference in officer_client.get(url).content.decode()
    assert award.reference not in outsider_client.get(url).content.decode()
    assert award.reference in applicant_client.get(url).content.decode()
    services.update_award(user=officer, award=award, data={"title": "Titre changé (test)"})
    assert "Titre changé (test)" in officer_client.get(url).content.decode()
