"""REST API permissions: what observers, outsiders and anonymous users may see and do, and ids of
records the user may not use.

* observer (organisation observing the compact): public records only, no writes (403);
* outsider (unrelated organisation): empty lists, 404 on every record and sub-action;
* anonymous: 401/403 everywhere, no data;
* a related id from another compact: 400 with the field; one the user may not see: 400 "invalid pk",
  the same answer as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models
from pacte.compacts.factories import make_compact_with_parties
from pacte.core.models import Visibility

from .test_api import API, ENDPOINTS, api_client, build_records, ids


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def records(compact, officer):  # type: ignore[no-untyped-def]
    return build_records(compact)


# Methods each endpoint answers on a record (others answer 405, whatever the record).
RECORD_WRITES: dict[str, set[str]] = {endpoint: {"patch", "put", "delete"} for endpoint in ENDPOINTS}
RECORD_WRITES["compacts"] = {"patch", "put"}
RECORD_WRITES["amendments"] = set()
RECORD_WRITES["focal-point-changes"] = {"patch"}
SUB_ACTIONS = {"compacts": "transition", "documents": "download", "communications": "download"}
SCOPE = {"activities": "objective", "indicators": "objective"}


def scope_data(records: Any, endpoint: str) -> dict[str, Any]:
    """The smallest body that names the compact (or objective) a new record goes to."""
    if SCOPE.get(endpoint) == "objective":
        return {"objective": records.objective.pk}
    return {"compact": records.compact.pk}


def every_record(records: Any) -> list[tuple[str, Any]]:
    return [*records.public.items(), *records.hidden.items()]


def sub_action_request(client: Any, endpoint: str, pk: int) -> Any:
    action = SUB_ACTIONS[endpoint]
    url = f"{API}/{endpoint}/{pk}/{action}/"
    if action == "transition":
        return client.post(url, {"action": "terminate", "on": "2024-01-01", "reason": "x"}, format="json")
    return client.get(url)


# -- anonymous -------------------------------------------------------------------------------------
def test_anonymous_gets_nothing_anywhere(records):  # type: ignore[no-untyped-def]
    client = api_client(None)
    for endpoint, record in every_record(records):
        url = f"{API}/{endpoint}/{record.pk}/"
        answers = [
            client.get(f"{API}/{endpoint}/"),
            client.get(url),
            client.post(f"{API}/{endpoint}/", scope_data(records, endpoint), format="json"),
            client.patch(url, {"title": "x"}, format="json"),
            client.put(url, {"title": "x"}, format="json"),
            client.delete(url),
        ]
        if endpoint in SUB_ACTIONS:
            answers.append(sub_action_request(client, endpoint, record.pk))
        for response in answers:
            assert response.status_code in (401, 403), (endpoint, response.request, response.status_code)
            assert set(response.json()) == {"detail"}
            assert str(getattr(record, "title", "") or "CPC-no-title") not in response.content.decode()
    assert models.Compact.objects.get(pk=records.compact.pk).status == "signed"


# -- outsider --------------------------------------------------------------------------------------
def test_outsider_sees_empty_lists(records, outsider):  # type: ignore[no-untyped-def]
    client = api_client(outsider)
    for endpoint in ENDPOINTS:
        response = client.get(f"{API}/{endpoint}/")
        assert response.status_code == 200
        assert response.json()["count"] == 0, endpoint
        assert client.get(f"{API}/{endpoint}/", {"compact": records.compact.pk}).json()["count"] == 0


def test_outsider_gets_404_on_every_record_and_sub_action(records, outsider):  # type: ignore[no-untyped-def]
    client = api_client(outsider)
    for endpoint, record in every_record(records):
        url = f"{API}/{endpoint}/{record.pk}/"
        assert client.get(url).status_code == 404, endpoint
        for method in RECORD_WRITES[endpoint]:
            response = getattr(client, method)(
                url, {"notified_on": "2024-01-01", "title": "x"}, format="json"
            )
            assert response.status_code == 404, (endpoint, method)
        for method in {"patch", "put", "delete"} - RECORD_WRITES[endpoint]:
            assert getattr(client, method)(url).status_code == 405, (endpoint, method)
        if endpoint in SUB_ACTIONS:
            assert sub_action_request(client, endpoint, record.pk).status_code == 404, endpoint
    records.compact.refresh_from_db()
    assert records.compact.status == "signed"


def test_outsider_cannot_write_into_the_compact(records, outsider):  # type: ignore[no-untyped-def]
    client = api_client(outsider)
    counts = {model: model.objects.count() for model in ENDPOINTS.values()}
    for endpoint in ENDPOINTS:
        if endpoint == "compacts":
            continue
        response = client.post(f"{API}/{endpoint}/", scope_data(records, endpoint), format="json")
        assert response.status_code == 404, endpoint
    assert counts == {model: model.objects.count() for model in ENDPOINTS.values()}


def test_invisible_and_nonexistent_compacts_answer_alike(records, outsider, officer):  # type: ignore[no-untyped-def]
    hidden = api_client(outsider).post(
        f"{API}/objectives/",
        {"compact": records.compact.pk, "pillar": "protection", "statement": "x"},
        format="json",
    )
    missing = api_client(officer).post(
        f"{API}/objectives/", {"compact": 999999, "pillar": "protection", "statement": "x"}, format="json"
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert (
        api_client(outsider).get(f"{API}/compacts/{records.compact.pk}/").json()
        == api_client(outsider).get(f"{API}/compacts/999999/").json()
    )


def test_only_donor_offices_open_compacts(outsider, observer):  # type: ignore[no-untyped-def]
    for user in (outsider, observer):
        response = api_client(user).post(
            f"{API}/compacts/", {"title": "Mine", "country": "CIV"}, format="json"
        )
        assert response.status_code == 403
    assert not models.Compact.objects.filter(title="Mine").exists()


# -- observer --------------------------------------------------------------------------------------
def test_observer_sees_public_records_only(records, observer):  # type: ignore[no-untyped-def]
    client = api_client(observer)
    for endpoint, record in records.public.items():
        assert record.pk in ids(client.get(f"{API}/{endpoint}/")), endpoint
        assert client.get(f"{API}/{endpoint}/{record.pk}/").status_code == 200, endpoint
    for endpoint, record in records.hidden.items():
        assert record.pk not in ids(client.get(f"{API}/{endpoint}/")), endpoint
        assert client.get(f"{API}/{endpoint}/{record.pk}/").status_code == 404, endpoint
        if endpoint in SUB_ACTIONS:
            assert sub_action_request(client, endpoint, record.pk).status_code == 404, endpoint
    # The officer sees both.
    officer_client = api_client(records.compact.memberships.get(role="programme_officer").user)
    for endpoint, record in records.hidden.items():
        assert record.pk in ids(officer_client.get(f"{API}/{endpoint}/")), endpoint


def test_observer_downloads_public_documents_only(records, observer):  # type: ignore[no-untyped-def]
    client = api_client(observer)
    response = client.get(f"{API}/documents/{records.public['documents'].pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test content"
    response = client.get(f"{API}/documents/{records.hidden['documents'].pk}/download/")
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_observer_does_not_see_hidden_related_ids(records, observer):  # type: ignore[no-untyped-def]
    meeting = records.public["meetings"]
    meeting.validated_activities.add(records.hidden["activities"])
    communication = records.public["communications"]
    communication.recipients.add(records.hidden["focal-points"])
    client = api_client(observer)
    assert client.get(f"{API}/meetings/{meeting.pk}/").json()["validated_activities"] == [records.activity.pk]
    assert client.get(f"{API}/communications/{communication.pk}/").json()["recipients"] == [
        records.fp_partner.pk
    ]
    officer_view = api_client(records.compact.memberships.get(role="programme_officer").user)
    assert len(officer_view.get(f"{API}/meetings/{meeting.pk}/").json()["validated_activities"]) == 2


def test_observer_sees_the_ceiling_only_when_public(records, observer):  # type: ignore[no-untyped-def]
    client = api_client(observer)
    assert client.get(f"{API}/compacts/{records.compact.pk}/").json()["ceiling_amount"] == "1000000.00"
    models.Commitment.objects.filter(pk=records.ceiling.pk).update(visibility=Visibility.NON_PUBLIC)
    assert client.get(f"{API}/compacts/{records.compact.pk}/").json()["ceiling_amount"] is None


def test_observer_cannot_write(records, observer):  # type: ignore[no-untyped-def]
    client = api_client(observer)
    counts = {model: model.objects.count() for model in ENDPOINTS.values()}
    for endpoint, record in records.public.items():
        url = f"{API}/{endpoint}/{record.pk}/"
        if endpoint != "compacts":
            # 403 comes first, whatever else is wrong with the data.
            response = client.post(f"{API}/{endpoint}/", scope_data(records, endpoint), format="json")
            assert response.status_code == 403, endpoint
        for method in RECORD_WRITES[endpoint]:
            response = getattr(client, method)(url, {"notified_on": "2024-01-01"}, format="json")
            assert response.status_code == 403, (endpoint, method)
        if endpoint == "compacts":
            assert sub_action_request(client, endpoint, record.pk).status_code == 403
    assert counts == {model: model.objects.count() for model in ENDPOINTS.values()}
    records.compact.refresh_from_db()
    assert records.compact.status == "signed"


def test_non_public_compact_is_invisible_to_observers(records, observer):  # type: ignore[no-untyped-def]
    models.Compact.objects.filter(pk=records.compact.pk).update(visibility=Visibility.NON_PUBLIC)
    client = api_client(observer)
    assert client.get(f"{API}/compacts/{records.compact.pk}/").status_code == 404
    for endpoint in ENDPOINTS:
        assert client.get(f"{API}/{endpoint}/").json()["count"] == 0, endpoint


def test_capabilities_differ_by_role(records):  # type: ignore[no-untyped-def]
    """An implementing partner records communications but does not edit the agreement."""
    org = OrganisationFactory(
        name="IOM (test)",
        org_type=Organisation.Type.IMPLEMENTING_PARTNER,
        partner_kind="international_organisation",
    )
    models.Participation.objects.create(
        compact=records.compact, organisation=org, role="implementing_partner"
    )
    partner = UserFactory(organisation=org)
    models.Membership.objects.create(compact=records.compact, user=partner, role="implementing_partner")
    client = api_client(partner)
    data = {
        "compact": records.compact.pk,
        "sent_on": "2024-02-01",
        "sender": records.fp_us.pk,
        "recipients": [records.fp_partner.pk],
        "subject": "Quarterly report",
    }
    assert client.post(f"{API}/communications/", data, format="json").status_code == 201
    response = client.post(
        f"{API}/objectives/",
        {"compact": records.compact.pk, "pillar": "protection", "statement": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert records.hidden["objectives"].pk in ids(client.get(f"{API}/objectives/"))


# -- ids of other compacts -------------------------------------------------------------------------
@pytest.fixture
def other(officer):  # type: ignore[no-untyped-def]
    """A second compact the officer also works on."""
    compact = make_compact_with_parties()
    models.Membership.objects.create(
        compact=compact, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    return build_records(compact)


def foreign_id_cases(r: Any, o: Any) -> list[tuple[str, dict[str, Any], str]]:
    """(endpoint, body on ``r.compact`` naming a record of ``o.compact``, field expected in the 400)."""
    c = r.compact.pk
    return [
        ("signatories", {"compact": c, "party": o.us.pk, "name": "X", "title": "Y"}, "party"),
        (
            "participations",
            {"compact": c, "organisation": o.org.pk, "role": "party_body", "party": o.partner.pk},
            "party",
        ),
        (
            "commitments",
            {
                "compact": c,
                "party": r.us.pk,
                "kind": "funding",
                "description": "x",
                "amount": "1",
                "ceiling": o.ceiling.pk,
            },
            "ceiling",
        ),
        ("focal-points", {"compact": c, "party": o.us.pk, "name": "X", "email": "x@example.org"}, "party"),
        (
            "meetings",
            {
                "compact": c,
                "kind": "committee",
                "date": "2024-01-01",
                "validated_activities": [o.activity.pk],
            },
            "validated_activities",
        ),
        (
            "communications",
            {
                "compact": c,
                "sent_on": "2024-01-01",
                "sender": o.fp_us.pk,
                "recipients": [r.fp_partner.pk],
                "subject": "x",
            },
            "sender",
        ),
        (
            "communications",
            {
                "compact": c,
                "sent_on": "2024-01-01",
                "sender": r.fp_us.pk,
                "recipients": [o.fp_partner.pk],
                "subject": "x",
            },
            "recipients",
        ),
        (
            "committee-members",
            {"compact": c, "name": "X", "organisation": r.org.pk, "party": o.partner.pk},
            "party",
        ),
        (
            "amendments",
            {
                "compact": c,
                "kind": "amendment",
                "title": "x",
                "requested_by": o.partner.pk,
                "request_date": "2024-01-01",
                "request_reference": "n",
                "effective_date": "2024-06-01",
            },
            "requested_by",
        ),
        (
            "focal-point-changes",
            {
                "compact": c,
                "party": r.us.pk,
                "previous": o.fp_us.pk,
                "changed_on": "2024-01-01",
                "new": {"name": "X", "email": "x@example.org"},
            },
            "previous",
        ),
        (
            "focal-point-changes",
            {
                "compact": c,
                "party": o.us.pk,
                "changed_on": "2024-01-01",
                "new": {"name": "X", "email": "x@example.org"},
            },
            "party",
        ),
    ]


def test_related_id_from_another_compact_is_refused(records, other, officer):  # type: ignore[no-untyped-def]
    client = api_client(officer)
    counts = {model: model.objects.count() for model in ENDPOINTS.values()}
    for endpoint, body, field in foreign_id_cases(records, other):
        response = client.post(f"{API}/{endpoint}/", body, format="json")
        assert response.status_code == 400, (endpoint, response.content)
        assert field in response.json(), (endpoint, response.json())
    assert counts == {model: model.objects.count() for model in ENDPOINTS.values()}


def test_related_id_the_user_cannot_see_answers_like_a_missing_one(records, officer):  # type: ignore[no-untyped-def]
    """A party of a compact the officer has no access to: 400 "invalid pk", nothing about that compact."""
    foreign = build_records(make_compact_with_parties(title="Secret compact"))
    client = api_client(officer)
    body = {"compact": records.compact.pk, "party": foreign.us.pk, "name": "X", "title": "Y"}
    refused = client.post(f"{API}/signatories/", body, format="json")
    missing = client.post(f"{API}/signatories/", {**body, "party": 999999}, format="json")
    assert refused.status_code == missing.status_code == 400
    assert set(refused.json()) == {"party"}
    assert refused.json()["party"][0].replace(str(foreign.us.pk), "N") == missing.json()["party"][0].replace(
        "999999", "N"
    )
    assert "Secret" not in refused.content.decode() and "United States" not in refused.content.decode()
    # The same for many-to-many ids, and for users outside the organisations the officer works with.
    response = client.post(
        f"{API}/meetings/",
        {
            "compact": records.compact.pk,
            "kind": "committee",
            "date": "2024-01-01",
            "validated_activities": [foreign.activity.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "validated_activities" in response.json()
    stranger = UserFactory(organisation=OrganisationFactory(name="Stranger org"))
    response = client.post(
        f"{API}/memberships/",
        {"compact": records.compact.pk, "user": stranger.pk, "role": "viewer"},
        format="json",
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_committed_amount_counts_only_what_the_user_may_see(compact, officer, observer):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    us = compact.parties.get(kind=models.Party.Kind.UNITED_STATES)
    ceiling = models.Commitment.objects.create(
        compact=compact, party=us, kind="ceiling", description="Ceiling", amount=Decimal("1000")
    )
    for amount, visibility in ((Decimal("100"), Visibility.PUBLIC), (Decimal("250"), Visibility.NON_PUBLIC)):
        models.Commitment.objects.create(
            compact=compact,
            party=us,
            kind="funding",
            description="Grant",
            amount=amount,
            ceiling=ceiling,
            visibility=visibility,
        )
    seen = {}
    for name, user in (("officer", officer), ("observer", observer)):
        body = api_client(user).get(f"{API}/compacts/{compact.pk}/").json()
        seen[name] = (body["ceiling_amount"], body["committed_amount"])
    assert seen["officer"] == ("1000.00", "350.00")
    assert seen["observer"] == ("1000.00", "100.00")
