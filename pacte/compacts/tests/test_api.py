"""REST API (/api/v1/): full CRUD as programme officer, business rules surfaced as 400 with field names,
attachments, pagination, query counts, language, and the OpenAPI schema and its documentation.

Permissions (observer, outsider, anonymous, foreign ids) are in test_api_permissions.py; both use
``build_records`` below.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models
from pacte.compacts.factories import (
    ActivityFactory,
    ObjectiveFactory,
    donor_officer,
    make_compact_with_parties,
)
from pacte.core.models import Visibility

API = "/api/v1"
PUBLIC, NON_PUBLIC = Visibility.PUBLIC, Visibility.NON_PUBLIC

# endpoint → model, for loops over every resource.
ENDPOINTS: dict[str, type] = {
    "compacts": models.Compact,
    "parties": models.Party,
    "participations": models.Participation,
    "memberships": models.Membership,
    "signatories": models.Signatory,
    "objectives": models.Objective,
    "activities": models.Activity,
    "indicators": models.Indicator,
    "commitments": models.Commitment,
    "focal-points": models.FocalPoint,
    "focal-point-changes": models.FocalPointChange,
    "amendments": models.Amendment,
    "meetings": models.Meeting,
    "communications": models.Communication,
    "committee-members": models.CommitteeMember,
    "documents": models.Document,
}


def pdf(name: str = "report.pdf", content: bytes = b"%PDF-1.4 test content") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def api_client(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def build_records(compact):  # type: ignore[no-untyped-def]
    """One record of every kind on ``compact``; a public and a non-public one where records have a
    visibility. ``r.public[endpoint]`` and ``r.hidden[endpoint]`` hold them."""
    us = compact.parties.get(kind=models.Party.Kind.UNITED_STATES)
    partner = compact.parties.get(kind=models.Party.Kind.PARTNER_COUNTRY)
    org = OrganisationFactory(
        name=f"Ministère de la Femme ({compact.pk})", org_type=Organisation.Type.PARTNER_GOVERNMENT
    )
    participation = models.Participation.objects.create(
        compact=compact, organisation=org, role=models.Participation.Role.PARTY_BODY, party=partner
    )
    member = UserFactory(organisation=org)
    membership = models.Membership.objects.create(
        compact=compact, user=member, role=models.Membership.Role.GOVERNMENT_FOCAL_POINT
    )
    signatory = models.Signatory.objects.create(
        compact=compact, party=us, name="Jessica Davis Ba", title="Ambassador"
    )
    objective = ObjectiveFactory(compact=compact, number=1)
    hidden_objective = ObjectiveFactory(compact=compact, number=2, visibility=NON_PUBLIC)
    activity = ActivityFactory(objective=objective)
    hidden_activity = ActivityFactory(objective=objective, visibility=NON_PUBLIC)
    indicator = models.Indicator.objects.create(objective=objective, name="Number of judges trained")
    hidden_indicator = models.Indicator.objects.create(
        objective=objective, name="Secret", visibility=NON_PUBLIC
    )
    ceiling = models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind=models.Commitment.Kind.CEILING,
        description="Ceiling",
        amount=Decimal("1000000"),
        subject_to_availability_of_funds=True,
    )
    funding = models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind=models.Commitment.Kind.FUNDING,
        description="Award to an NGO",
        amount=Decimal("400000"),
        ceiling=ceiling,
        visibility=NON_PUBLIC,
    )
    fp_us = models.FocalPoint.objects.create(
        compact=compact, party=us, name="TIP Office", email="tip@example.org"
    )
    fp_partner = models.FocalPoint.objects.create(
        compact=compact, party=partner, name="CNS", email="cns@example.org"
    )
    fp_hidden = models.FocalPoint.objects.create(
        compact=compact, party=partner, name="Private contact", phone="+225 01 02", visibility=NON_PUBLIC
    )
    change = models.FocalPointChange.objects.create(
        compact=compact, party=partner, new=fp_partner, changed_on=dt.date(2023, 1, 10)
    )
    hidden_change = models.FocalPointChange.objects.create(
        compact=compact, party=partner, new=fp_hidden, changed_on=dt.date(2023, 2, 10)
    )
    amendment = models.Amendment.objects.create(
        compact=compact,
        kind=models.Amendment.Kind.AMENDMENT,
        title="Annex A update",
        requested_by=partner,
        request_date=dt.date(2023, 1, 1),
        request_reference="Note 12",
        effective_date=dt.date(2023, 4, 1),
    )
    hidden_amendment = models.Amendment.objects.create(
        compact=compact,
        kind=models.Amendment.Kind.AMENDMENT,
        title="Private",
        requested_by=us,
        request_date=dt.date(2023, 1, 1),
        request_reference="Note 13",
        effective_date=dt.date(2023, 4, 1),
        visibility=NON_PUBLIC,
    )
    meeting = models.Meeting.objects.create(
        compact=compact, kind=models.Meeting.Kind.COMMITTEE, date=dt.date(2023, 5, 2)
    )
    meeting.validated_activities.set([activity])
    hidden_meeting = models.Meeting.objects.create(
        compact=compact, kind=models.Meeting.Kind.OTHER, date=dt.date(2023, 6, 2), visibility=NON_PUBLIC
    )
    communication = models.Communication.objects.create(
        compact=compact,
        sent_on=dt.date(2023, 2, 1),
        sender=fp_us,
        subject="Annual report",
        attachment=pdf("letter.pdf"),
    )
    communication.recipients.set([fp_partner])
    hidden_communication = models.Communication.objects.create(
        compact=compact,
        sent_on=dt.date(2023, 2, 2),
        sender=fp_us,
        subject="Private",
        visibility=NON_PUBLIC,
        attachment=pdf("private-letter.pdf"),
    )
    hidden_communication.recipients.set([fp_partner])
    committee_member = models.CommitteeMember.objects.create(
        committee=compact.monitoring_committee, name="Mme Koné", organisation=org, party=partner
    )
    document = models.Document.objects.create(
        compact=compact, title="Signed compact", file=pdf("compact.pdf")
    )
    hidden_document = models.Document.objects.create(
        compact=compact, title="Budget", file=pdf("budget.pdf", b"secret numbers"), visibility=NON_PUBLIC
    )
    public = {
        "compacts": compact,
        "parties": us,
        "participations": participation,
        "signatories": signatory,
        "objectives": objective,
        "activities": activity,
        "indicators": indicator,
        "commitments": ceiling,
        "focal-points": fp_us,
        "focal-point-changes": change,
        "amendments": amendment,
        "meetings": meeting,
        "communications": communication,
        "committee-members": committee_member,
        "documents": document,
    }
    # Roles held on a compact are shown only to users who may see non-public information.
    hidden = {
        "memberships": membership,
        "objectives": hidden_objective,
        "activities": hidden_activity,
        "indicators": hidden_indicator,
        "commitments": funding,
        "focal-points": fp_hidden,
        "focal-point-changes": hidden_change,
        "amendments": hidden_amendment,
        "meetings": hidden_meeting,
        "communications": hidden_communication,
        "documents": hidden_document,
    }
    return SimpleNamespace(
        compact=compact,
        us=us,
        partner=partner,
        org=org,
        member=member,
        objective=objective,
        activity=activity,
        ceiling=ceiling,
        funding=funding,
        fp_us=fp_us,
        fp_partner=fp_partner,
        public=public,
        hidden=hidden,
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def records(compact):  # type: ignore[no-untyped-def]
    return build_records(compact)


@pytest.fixture
def api(officer) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(officer)


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# -- compacts --------------------------------------------------------------------------------------
def test_officer_creates_a_compact_through_the_service(api, officer):  # type: ignore[no-untyped-def]
    response = api.post(
        f"{API}/compacts/",
        {"title": "CPC Ghana", "country": "GHA", "goal": "Protect children", "partner_party_name": "Ghana"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    compact = models.Compact.objects.get(pk=body["id"])
    assert body["status"] == body["current_status"] == "draft"
    assert body["country_name"] == "Ghana"
    assert body["created_by"] == officer.pk
    assert body["ceiling_amount"] is None and body["committed_amount"] == "0.00"
    # The service created the parties, the committee and the officer's role.
    # The party's default name is written in the language of the request: French here.
    with translation.override("fr"):
        us_name = translation.gettext("Government of the United States of America")
    assert us_name != "Government of the United States of America"
    assert set(compact.parties.values_list("name", flat=True)) == {"Ghana", us_name}
    assert models.MonitoringCommittee.objects.filter(compact=compact).exists()
    assert compact.memberships.get(user=officer).role == models.Membership.Role.PROGRAMME_OFFICER


def test_compact_detail_shows_derived_status_days_left_and_money(api, records):  # type: ignore[no-untyped-def]
    response = api.get(f"{API}/compacts/{records.compact.pk}/")
    assert response.status_code == 200
    body = response.json()
    compact = records.compact
    assert body["current_status"] == compact.current_status
    assert body["days_left"] == compact.days_left
    assert body["ceiling_amount"] == "1000000.00"
    assert body["committed_amount"] == "400000.00"
    assert body["country_name"] == "Côte d'Ivoire"


def test_expired_compact_is_reported_as_expired(api, compact):  # type: ignore[no-untyped-def]
    models.Compact.objects.filter(pk=compact.pk).update(
        start_date=dt.date(2015, 1, 1), signature_date=dt.date(2015, 1, 1), end_date=dt.date(2020, 1, 1)
    )
    body = api.get(f"{API}/compacts/{compact.pk}/").json()
    assert body["status"] == "signed"
    assert body["current_status"] == "expired"
    assert body["days_left"] is None


def test_officer_updates_a_compact(api, compact):  # type: ignore[no-untyped-def]
    response = api.patch(f"{API}/compacts/{compact.pk}/", {"title": "New title"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "New title"
    compact.refresh_from_db()
    assert compact.title == "New title"


def test_put_updates_a_compact(api, compact):  # type: ignore[no-untyped-def]
    data = {
        "title": "Put title",
        "country": "CIV",
        "goal": compact.goal,
        "visibility": "public",
        "start_date": "2022-12-07",
        "end_date": "2027-12-01",
    }
    response = api.put(f"{API}/compacts/{compact.pk}/", data, format="json")
    assert response.status_code == 200, response.content
    compact.refresh_from_db()
    assert (compact.title, compact.end_date) == ("Put title", dt.date(2027, 12, 1))


def test_status_cannot_be_written_directly(api, compact):  # type: ignore[no-untyped-def]
    response = api.patch(f"{API}/compacts/{compact.pk}/", {"status": "terminated"}, format="json")
    assert response.status_code == 200
    compact.refresh_from_db()
    assert compact.status == "signed"


def test_compact_lifecycle_through_transitions(api, officer):  # type: ignore[no-untyped-def]
    created = api.post(f"{API}/compacts/", {"title": "CPC", "country": "CIV", "goal": "Goal"}, format="json")
    pk = created.json()["id"]
    url = f"{API}/compacts/{pk}/transition/"

    response = api.post(url, {"action": "open_negotiation"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "negotiation"

    # Signing needs a signatory for each party: the service says so.
    response = api.post(url, {"action": "sign", "signature_date": "2024-01-15"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    for party in models.Party.objects.filter(compact_id=pk):
        models.Signatory.objects.create(compact_id=pk, party=party, name="X", title="Minister")

    response = api.post(
        url, {"action": "sign", "signature_date": "2024-01-15", "place": "Abidjan"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "signed"
    assert (body["start_date"], body["end_date"], body["signature_place"]) == (
        "2024-01-15",
        "2029-01-15",
        "Abidjan",
    )

    response = api.post(url, {"action": "terminate"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"on", "reason"}

    response = api.post(
        url, {"action": "terminate", "on": "2024-06-01", "reason": "Mutual decision"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "terminated"
    assert response.json()["termination_reason"] == "Mutual decision"


def test_transition_not_allowed_from_the_current_status(api, compact):  # type: ignore[no-untyped-def]
    response = api.post(
        f"{API}/compacts/{compact.pk}/transition/", {"action": "return_to_draft"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    response = api.post(f"{API}/compacts/{compact.pk}/transition/", {"action": "explode"}, format="json")
    assert response.status_code == 400
    assert "action" in response.json()


def test_compacts_cannot_be_deleted(api, compact):  # type: ignore[no-untyped-def]
    assert api.delete(f"{API}/compacts/{compact.pk}/").status_code == 405
    assert models.Compact.objects.filter(pk=compact.pk).exists()


# -- business rules from the services, as 400 with the field name ----------------------------------
def test_six_year_term_is_refused_with_the_field(api, compact):  # type: ignore[no-untyped-def]
    end = compact.start_date + relativedelta(years=6)
    response = api.patch(
        f"{API}/compacts/{compact.pk}/",
        {"end_date": end.isoformat()},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "five years" in response.json()["end_date"][0]
    compact.refresh_from_db()
    assert compact.end_date == dt.date(2027, 12, 7)


def test_six_year_term_refused_on_creation(api):  # type: ignore[no-untyped-def]
    data = {"title": "Long", "country": "CIV", "start_date": "2024-01-01", "end_date": "2030-01-01"}
    response = api.post(f"{API}/compacts/", data, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()
    assert not models.Compact.objects.filter(title="Long").exists()


def test_amendment_with_less_than_three_months_notice_is_refused(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "kind": "amendment",
        "title": "Too soon",
        "requested_by": records.partner.pk,
        "request_date": "2024-01-10",
        "request_reference": "Letter 1",
        "effective_date": "2024-03-10",
    }
    response = api.post(f"{API}/amendments/", data, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "three months" in response.json()["effective_date"][0]
    assert not models.Amendment.objects.filter(title="Too soon").exists()


def test_extension_without_mutual_written_decision_is_refused(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "kind": "extension",
        "title": "Longer",
        "effective_date": "2027-12-01",
        "new_end_date": "2029-12-07",
    }
    response = api.post(f"{API}/amendments/", data, format="json")
    assert response.status_code == 400
    assert {"decision_date", "decision_reference"} <= set(response.json())
    records.compact.refresh_from_db()
    assert records.compact.end_date == dt.date(2027, 12, 7)


def test_extension_with_decision_moves_the_end_of_term(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "kind": "extension",
        "title": "Two more years",
        "decision_date": "2027-06-01",
        "decision_reference": "Exchange of notes",
        "effective_date": "2027-06-01",
        "new_end_date": "2029-12-07",
    }
    response = api.post(f"{API}/amendments/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["previous_end_date"] == "2027-12-07"
    assert api.get(f"{API}/compacts/{records.compact.pk}/").json()["end_date"] == "2029-12-07"
    # With the extension recorded, a term longer than five years is now allowed.
    response = api.patch(f"{API}/compacts/{records.compact.pk}/", {"end_date": "2029-12-01"}, format="json")
    assert response.status_code == 200, response.content


def test_funding_above_the_ceiling_is_refused(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "party": records.us.pk,
        "kind": "funding",
        "description": "Too much",
        "amount": "600000.01",
        "currency": "USD",
        "ceiling": records.ceiling.pk,
    }
    response = api.post(f"{API}/commitments/", data, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not models.Commitment.objects.filter(description="Too much").exists()
    data["amount"] = "600000.00"
    assert api.post(f"{API}/commitments/", data, format="json").status_code == 201
    assert api.get(f"{API}/compacts/{records.compact.pk}/").json()["committed_amount"] == "1000000.00"


def test_lowering_the_ceiling_below_funding_is_refused(api, records):  # type: ignore[no-untyped-def]
    response = api.patch(f"{API}/commitments/{records.ceiling.pk}/", {"amount": "100"}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()


def test_model_rules_answer_with_the_field(api, records):  # type: ignore[no-untyped-def]
    data = {"compact": records.compact.pk, "party": records.us.pk, "name": "Nobody"}
    response = api.post(f"{API}/focal-points/", data, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    response = api.post(f"{API}/compacts/", {"title": "X", "country": "ZZZ"}, format="json")
    assert response.status_code == 400
    assert "country" in response.json()


def test_types_are_validated(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "party": records.partner.pk,
        "kind": "in_kind",
        "description": "x",
        "amount": "lots",
        "recorded_on": "yesterday",
    }
    response = api.post(f"{API}/commitments/", data, format="json")
    assert response.status_code == 400
    assert {"amount", "recorded_on"} <= set(response.json())
    response = api.post(
        f"{API}/objectives/",
        {"compact": records.compact.pk, "pillar": "fun", "statement": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "pillar" in response.json()


# -- focal-point changes ---------------------------------------------------------------------------
def test_change_of_focal_point_and_late_notification(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "party": records.us.pk,
        "previous": records.fp_us.pk,
        "changed_on": "2024-01-01",
        "new": {"name": "New TIP Office desk", "email": "desk@example.org", "contact_person": "J. Doe"},
    }
    response = api.post(f"{API}/focal-point-changes/", data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["notice_deadline"] == "2024-01-31"
    assert body["notification_late"] is True  # no notice, and 2024-01-31 is long past
    new = models.FocalPoint.objects.get(pk=body["new"])
    assert (new.name, new.compact, new.party) == ("New TIP Office desk", records.compact, records.us)
    records.fp_us.refresh_from_db()
    assert records.fp_us.is_active is False

    url = f"{API}/focal-point-changes/{body['id']}/"
    response = api.patch(url, {"notified_on": "2024-01-20"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["notification_late"] is False
    response = api.patch(url, {"notified_on": "2023-12-01"}, format="json")
    assert response.status_code == 400
    assert "notified_on" in response.json()
    # A change is part of the record.
    assert api.delete(url).status_code == 405
    assert api.put(url, {"notified_on": "2024-01-20"}, format="json").status_code == 405


def test_change_of_focal_point_validates_the_new_focal_point(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "party": records.us.pk,
        "changed_on": "2024-01-01",
        "new": {"name": "No contact"},
    }
    response = api.post(f"{API}/focal-point-changes/", data, format="json")
    assert response.status_code == 400
    assert not models.FocalPoint.objects.filter(name="No contact").exists()
    data["new"] = {"name": "Bad phone", "phone": "call me"}
    response = api.post(f"{API}/focal-point-changes/", data, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["new"]


def test_previous_focal_point_of_the_other_party_is_refused(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "party": records.us.pk,
        "previous": records.fp_partner.pk,
        "changed_on": "2024-01-01",
        "new": {"name": "X", "email": "x@example.org"},
    }
    response = api.post(f"{API}/focal-point-changes/", data, format="json")
    assert response.status_code == 400
    assert "previous" in response.json()


# -- amendments are a legal record -----------------------------------------------------------------
def test_amendment_is_recorded_and_never_changed(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "kind": "amendment",
        "title": "Annex A",
        "requested_by": records.us.pk,
        "request_date": "2024-01-10",
        "request_reference": "Note 7",
        "effective_date": "2024-04-10",
    }
    response = api.post(f"{API}/amendments/", data, format="json")
    assert response.status_code == 201, response.content
    url = f"{API}/amendments/{response.json()['id']}/"
    assert api.get(url).json()["title"] == "Annex A"
    assert api.patch(url, {"title": "Changed"}, format="json").status_code == 405
    assert api.put(url, data, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert models.Amendment.objects.get(title="Annex A").recorded_by is not None


def test_amendment_on_a_draft_compact_is_refused(api):  # type: ignore[no-untyped-def]
    pk = api.post(f"{API}/compacts/", {"title": "Draft", "country": "CIV"}, format="json").json()["id"]
    party = models.Party.objects.filter(compact_id=pk).first()
    data = {
        "compact": pk,
        "kind": "amendment",
        "title": "Early",
        "requested_by": party.pk,
        "request_date": "2024-01-10",
        "request_reference": "Note",
        "effective_date": "2024-04-10",
    }
    response = api.post(f"{API}/amendments/", data, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# -- CRUD of every other record --------------------------------------------------------------------
def crud_cases(r, observer):  # type: ignore[no-untyped-def]
    """endpoint → (data to create, data to change)."""
    c = r.compact.pk
    new_org = OrganisationFactory(
        name="Save the Children (test)", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
    )
    return {
        "participations": (
            {"compact": c, "organisation": new_org.pk, "role": "implementing_partner"},
            {"role": "observer"},
        ),
        "memberships": (
            {"compact": c, "user": observer.pk, "role": "viewer"},
            {"role": "monitoring_committee_member"},
        ),
        "signatories": (
            {"compact": c, "party": r.partner.pk, "name": "Mme Ministre", "title": "Minister"},
            {"order": 3, "signed_on": "2022-12-07"},
        ),
        "objectives": (
            {"compact": c, "pillar": "protection", "statement": "Victims are protected."},
            {"statement": "Child victims are protected.", "visibility": "non_public"},
        ),
        "activities": (
            {"objective": r.objective.pk, "description": "Train judges"},
            {"description": "Train 50 judges"},
        ),
        "indicators": (
            {"objective": r.objective.pk, "name": "Judges trained", "level": "monitoring"},
            {"name": "Number of judges trained"},
        ),
        "commitments": (
            {"compact": c, "party": r.partner.pk, "kind": "in_kind", "description": "Office space"},
            {"description": "Office space in Abidjan"},
        ),
        "focal-points": (
            {"compact": c, "party": r.us.pk, "name": "Embassy", "email": "embassy@example.org"},
            {"phone": "+225 27 22 49 40 00"},
        ),
        "meetings": (
            {
                "compact": c,
                "kind": "committee",
                "date": "2024-03-01",
                "validated_activities": [r.activity.pk],
            },
            {"location": "Abidjan", "validated_activities": []},
        ),
        "communications": (
            {
                "compact": c,
                "sent_on": "2024-02-01",
                "sender": r.fp_us.pk,
                "recipients": [r.fp_partner.pk],
                "subject": "Work plan",
            },
            {"subject": "Work plan 2024"},
        ),
        "committee-members": (
            {
                "compact": c,
                "name": "M. Traoré",
                "organisation": r.org.pk,
                "party": r.partner.pk,
                "role": "chair",
            },
            {"role": "member"},
        ),
    }


@pytest.mark.parametrize(
    "endpoint",
    [
        "participations",
        "memberships",
        "signatories",
        "objectives",
        "activities",
        "indicators",
        "commitments",
        "focal-points",
        "meetings",
        "communications",
        "committee-members",
    ],
)
def test_officer_crud(api, records, observer, endpoint):  # type: ignore[no-untyped-def]
    create, change = crud_cases(records, observer)[endpoint]
    model = ENDPOINTS[endpoint]
    before = model.objects.count()

    response = api.post(f"{API}/{endpoint}/", create, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["compact"] == records.compact.pk
    for key, value in create.items():
        assert created[key] == value, key
    url = f"{API}/{endpoint}/{created['id']}/"
    assert model.objects.count() == before + 1

    assert api.get(url).json() == created
    assert created["id"] in ids(api.get(f"{API}/{endpoint}/", {"compact": records.compact.pk}))

    response = api.patch(url, change, format="json")
    assert response.status_code == 200, response.content
    for key, value in change.items():
        assert response.json()[key] == value, key

    response = api.delete(url)
    assert response.status_code == 204, response.content
    assert api.get(url).status_code == 404
    assert model.objects.count() == before


def test_parties_are_edited_not_removed(api, records):  # type: ignore[no-untyped-def]
    url = f"{API}/parties/{records.partner.pk}/"
    response = api.patch(url, {"name": "République de Côte d'Ivoire"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "République de Côte d'Ivoire"
    response = api.delete(url)
    assert response.status_code == 400
    assert models.Party.objects.filter(pk=records.partner.pk).exists()
    # One party per side: the model's constraint answers 400, not a server error.
    response = api.post(
        f"{API}/parties/",
        {"compact": records.compact.pk, "kind": "united_states", "name": "US"},
        format="json",
    )
    assert response.status_code == 400


def test_deleting_a_referenced_record_is_refused(api, records):  # type: ignore[no-untyped-def]
    response = api.delete(f"{API}/focal-points/{records.fp_us.pk}/")  # the sender of communications
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert models.FocalPoint.objects.filter(pk=records.fp_us.pk).exists()


def test_a_record_cannot_move_to_another_compact(api, records, officer):  # type: ignore[no-untyped-def]
    other = make_compact_with_parties()
    donor_officer(other, username="officer2")
    models.Membership.objects.create(
        compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    response = api.patch(f"{API}/objectives/{records.objective.pk}/", {"compact": other.pk}, format="json")
    assert response.status_code == 400
    assert "compact" in response.json()


def test_communication_rules(api, records):  # type: ignore[no-untyped-def]
    data = {
        "compact": records.compact.pk,
        "sent_on": "2024-02-01",
        "sender": records.fp_us.pk,
        "recipients": [records.fp_us.pk],
        "subject": "To myself",
    }
    response = api.post(f"{API}/communications/", data, format="json")
    assert response.status_code == 400
    assert "recipients" in response.json()
    data["recipients"] = []
    response = api.post(f"{API}/communications/", data, format="json")
    assert response.status_code == 400
    assert "recipients" in response.json()


def test_objective_number_given_by_the_service(api, records):  # type: ignore[no-untyped-def]
    response = api.post(
        f"{API}/objectives/",
        {"compact": records.compact.pk, "pillar": "prosecution", "statement": "Traffickers are prosecuted."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 3


# -- attachments -----------------------------------------------------------------------------------
def test_document_upload_and_protected_download(api, records, media_root):  # type: ignore[no-untyped-def]
    response = api.post(
        f"{API}/documents/",
        {
            "compact": records.compact.pk,
            "title": "Minutes",
            "kind": "minutes",
            "file": pdf("minutes.pdf", b"%PDF m"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    download = f"http://testserver{API}/documents/{body['id']}/download/"
    assert body["file"] == download
    assert "/media/" not in response.content.decode()
    document = models.Document.objects.get(pk=body["id"])
    assert document.uploaded_by is not None

    response = api.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF m"
    assert "attachment" in response["Content-Disposition"]
    assert "minutes" in response["Content-Disposition"]

    # Replace the file with PATCH (multipart), then delete the record.
    response = api.patch(
        f"{API}/documents/{body['id']}/", {"file": pdf("v2.pdf", b"%PDF v2")}, format="multipart"
    )
    assert response.status_code == 200, response.content
    assert b"".join(api.get(download).streaming_content) == b"%PDF v2"
    assert api.delete(f"{API}/documents/{body['id']}/").status_code == 204


def test_document_with_a_forbidden_extension_is_refused(api, records):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = api.post(
        f"{API}/documents/",
        {"compact": records.compact.pk, "title": "Bad", "file": upload},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_attachment_too_large_is_refused(api, records, settings):  # type: ignore[no-untyped-def]
    settings.MAX_ATTACHMENT_SIZE = 10
    response = api.post(
        f"{API}/documents/",
        {"compact": records.compact.pk, "title": "Big", "file": pdf("big.pdf", b"x" * 11)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_communication_attachment_download(api, records):  # type: ignore[no-untyped-def]
    communication = records.public["communications"]
    body = api.get(f"{API}/communications/{communication.pk}/").json()
    assert body["attachment"] == f"http://testserver{API}/communications/{communication.pk}/download/"
    response = api.get(body["attachment"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test content"
    # A communication without attachment has no download.
    data = {
        "compact": records.compact.pk,
        "sent_on": "2024-02-01",
        "sender": records.fp_us.pk,
        "recipients": [records.fp_partner.pk],
        "subject": "No attachment",
    }
    created = api.post(f"{API}/communications/", data, format="json").json()
    assert created["attachment"] is None
    assert api.get(f"{API}/communications/{created['id']}/download/").status_code == 404


# -- lists: filters, pagination, query counts ------------------------------------------------------
def test_lists_filter_by_compact_and_objective(api, records, officer):  # type: ignore[no-untyped-def]
    other = make_compact_with_parties()
    models.Membership.objects.create(
        compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    other_activity = ActivityFactory(objective=ObjectiveFactory(compact=other, number=1))
    everything = ids(api.get(f"{API}/activities/"))
    assert other_activity.pk in everything and records.activity.pk in everything
    assert ids(api.get(f"{API}/activities/", {"compact": other.pk})) == {other_activity.pk}
    assert records.activity.pk in ids(api.get(f"{API}/activities/", {"objective": records.objective.pk}))
    assert other_activity.pk not in ids(api.get(f"{API}/activities/", {"objective": records.objective.pk}))
    assert ids(api.get(f"{API}/committee-members/", {"compact": other.pk})) == set()
    response = api.get(f"{API}/activities/", {"compact": "abc"})
    assert response.status_code == 400
    assert "compact" in response.json()


def test_pagination(api, compact):  # type: ignore[no-untyped-def]
    objective = ObjectiveFactory(compact=compact, number=1)
    ActivityFactory.create_batch(30, objective=objective)
    body = api.get(f"{API}/activities/").json()
    assert body["count"] == 30
    assert len(body["results"]) == 25
    assert body["next"].endswith("page=2")
    assert len(api.get(f"{API}/activities/", {"page": 2}).json()["results"]) == 5


def _compacts_for(officer: Any, n: int) -> None:
    for _ in range(n):
        other = make_compact_with_parties()
        models.Membership.objects.create(
            compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
        )
        us = other.parties.get(kind=models.Party.Kind.UNITED_STATES)
        models.Commitment.objects.create(compact=other, party=us, kind="ceiling", description="c", amount=10)


# The first request of a session: session, user, the two OTP device checks, the savepoint and its
# release (ATOMIC_REQUESTS), and the session save (its expiry is pushed back; later requests of the
# same minute skip the device checks and the save: see pacte.accounts.middleware).
REQUEST_QUERIES = 9
# A list: count and page, plus one query per prefetched relation (compacts: the amounts, at most two,
# and the two of the key under which the page is cached, selectors.compacts_state).
LIST_QUERIES = REQUEST_QUERIES + 2
PREFETCHES = {"meetings": 1, "communications": 1, "compacts": 4}


@pytest.mark.parametrize("n", [5, 50])
def test_compact_list_queries_do_not_grow(api, compact, officer, n, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    _compacts_for(officer, n)
    with django_assert_max_num_queries(LIST_QUERIES + PREFETCHES["compacts"]):
        body = api.get(f"{API}/compacts/").json()
    assert body["count"] == n + 1
    # Every compact answers its ceiling and committed sum (the fixture's has none).
    assert {row["ceiling_amount"] for row in body["results"] if row["id"] != compact.pk} == {"10.00"}
    assert {row["committed_amount"] for row in body["results"]} == {"0.00"}
    # Asked again, the page comes from the cache: only the two queries of its key.
    with django_assert_max_num_queries(REQUEST_QUERIES + 2):
        assert api.get(f"{API}/compacts/").json() == body


@pytest.mark.parametrize("n", [5, 60])
def test_activity_list_queries_do_not_grow(api, compact, n, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    objective = ObjectiveFactory(compact=compact, number=1)
    ActivityFactory.create_batch(n, objective=objective)
    with django_assert_max_num_queries(LIST_QUERIES):
        body = api.get(f"{API}/activities/").json()
    assert body["count"] == n
    assert {row["compact"] for row in body["results"]} == {compact.pk}


@pytest.mark.parametrize("n", [1, 12])
def test_every_list_has_a_fixed_number_of_queries(api, officer, records, n, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for _ in range(n):
        other = make_compact_with_parties()
        models.Membership.objects.create(
            compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
        )
        build_records(other)
    for endpoint in ENDPOINTS:
        with django_assert_max_num_queries(LIST_QUERIES + PREFETCHES.get(endpoint, 0), info=endpoint):
            response = api.get(f"{API}/{endpoint}/")
        assert response.status_code == 200
        assert response.json()["count"] >= n + 1, endpoint


# -- language --------------------------------------------------------------------------------------
def test_messages_follow_the_users_language(records, officer):  # type: ignore[no-untyped-def]
    data = {"compact": records.compact.pk}
    response = api_client(officer).post(f"{API}/objectives/", data, format="json")
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert response.json()["statement"] == ["Ce champ est obligatoire."]

    officer.language = "en"
    officer.save()
    response = api_client(officer).post(f"{API}/objectives/", data, format="json")
    assert response["Content-Language"] == "en"
    assert response.json()["statement"] == ["This field is required."]
    end = records.compact.start_date + relativedelta(years=6)
    response = api_client(officer).patch(
        f"{API}/compacts/{records.compact.pk}/", {"end_date": end.isoformat()}, format="json"
    )
    assert response.json()["end_date"][0].startswith("A compact lasts at most five years")


def test_accept_language_is_used_when_the_user_has_no_preference(records, officer):  # type: ignore[no-untyped-def]
    officer.language = ""
    officer.save()
    client = api_client(officer)
    response = client.post(
        f"{API}/objectives/", {"compact": records.compact.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Language"] == "en"
    assert response.json()["statement"] == ["This field is required."]
    response = client.post(f"{API}/objectives/", {"compact": records.compact.pk}, format="json")
    assert response["Content-Language"] == "fr"
    assert response.json()["statement"] == ["Ce champ est obligatoire."]


# -- OpenAPI schema and documentation --------------------------------------------------------------
def test_schema_lists_every_endpoint(client, db):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in ENDPOINTS:
        assert f"{API}/{endpoint}/" in paths
        assert f"{API}/{endpoint}/{{id}}/" in paths
    assert "post" in paths[f"{API}/compacts/{{id}}/transition/"]
    assert "get" in paths[f"{API}/documents/{{id}}/download/"]
    assert "get" in paths[f"{API}/communications/{{id}}/download/"]
    assert "delete" not in paths[f"{API}/amendments/{{id}}/"]
    parameters = {p["name"] for p in paths[f"{API}/activities/"]["get"]["parameters"]}
    assert {"compact", "objective", "page"} <= parameters


def test_swagger_ui_is_self_hosted(client, db):  # type: ignore[no-untyped-def]
    response = client.get(f"{API}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_browsable_api_renders_with_forms(api, records, endpoint):  # type: ignore[no-untyped-def]
    record = records.public.get(endpoint) or records.hidden[endpoint]
    for url in (f"{API}/{endpoint}/", f"{API}/{endpoint}/{record.pk}/"):
        response = api.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert "text/html" in response["Content-Type"]
