"""Grants API (/api/v1/grants/…): the whole cycle (opportunity → application → review → ranking → award →
budget → transactions → portfolio), each rule broken answering 400 on its field with nothing saved,
403 for a write without the capability, 404 and empty lists for an unrelated organisation, fixed
query counts of the lists, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from pacte.grants import models
from pacte.grants.factories import make_application, make_award, make_opportunity, ngo

API = "/api/v1/grants"


def api_client(user: Any, language: str = "en") -> APIClient:
    client = APIClient()
    client.force_login(user)
    if language:
        client.credentials(HTTP_ACCEPT_LANGUAGE=language)
    return client


@pytest.fixture
def officer_api(officer) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(officer)


@pytest.fixture
def applicant_api(applicant) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(applicant)


@pytest.fixture
def reviewer_api(reviewer) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(reviewer)


@pytest.fixture
def outsider_api(outsider) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(outsider)


@pytest.fixture
def emergency(applicant_org, applicant):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return models.EmergencyRequest.objects.create(
        organisation=applicant_org,
        country="CIV",
        title="Hébergement d'urgence",
        need="Vingt enfants secourus sans abri.",
        amount_requested=Decimal(50_000),
        received_on=today,
        decision_due=models.EmergencyRequest.due_date(today),
        created_by=applicant,
    )


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.content
    return response.json()


def refused(response: Any, field: str) -> dict[str, Any]:
    """A 400 naming ``field``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert body[field] and all(isinstance(m, str) and m for m in body[field]), body
    return body


# -- the whole cycle -------------------------------------------------------------------------------------
def test_whole_cycle_through_the_api(  # type: ignore[no-untyped-def]
    officer_api, applicant_api, reviewer_api, reviewer, applicant_org, compact, us_ceiling, objective
):
    # The officer opens an opportunity with its criteria, then publishes it.
    deadline = (timezone.now() + dt.timedelta(days=20)).replace(microsecond=0)
    body = ok(
        officer_api.post(
            f"{API}/opportunities/",
            {
                "reference": "SFOP0001234",
                "title": "Protection des enfants à Abidjan",
                "programme_type": models.ProgrammeType.CHILD_PROTECTION_COMPACT,
                "compact": compact.pk,
                "description": "Prévenir la traite des enfants.",
                "ceiling": "500000.00",
                "eligible_org_types": ["ngo"],
                "deadline": deadline.isoformat(),
                "objectives": [objective.pk],
                "criteria": [
                    {"name": "Qualité technique", "weight": "60"},
                    {"name": "Capacité", "weight": "40", "description": "Équipe et expérience"},
                ],
            },
            format="json",
        ),
        201,
    )
    opportunity_id = body["id"]
    assert body["status"] == "draft"
    assert body["ceiling"] == "500000.00"
    assert body["objectives"] == [objective.pk]
    criteria = {c["name"]: c["id"] for c in body["criteria"]}
    assert [c["weight"] for c in body["criteria"]] == ["60.00", "40.00"]
    # Applicants do not see a draft.
    assert applicant_api.get(f"{API}/opportunities/{opportunity_id}/").status_code == 404

    assert ok(officer_api.post(f"{API}/opportunities/{opportunity_id}/publish/"))["status"] == "published"
    rows = ok(
        officer_api.post(
            f"{API}/opportunities/{opportunity_id}/reviewers/", {"reviewer": reviewer.pk}, format="json"
        )
    )
    assert [r["reviewer"] for r in rows] == [reviewer.pk]

    # The NGO applies (a draft), corrects it, and submits it.
    body = ok(
        applicant_api.post(
            f"{API}/applications/",
            {
                "opportunity": opportunity_id,
                "title": "Maisons d'accueil",
                "narrative": "Nous protégerons les enfants.",
                "budget_lines": [
                    {"year": 2025, "amount": "200000.00", "objective": objective.pk},
                    {"year": 2026, "amount": "150000.00"},
                ],
            },
            format="json",
        ),
        201,
    )
    application_id = body["id"]
    assert body["status"] == "draft"
    assert body["organisation"] == applicant_org.pk
    assert [(line["year"], line["amount"]) for line in body["budget_lines"]] == [
        (2025, "200000.00"),
        (2026, "150000.00"),
    ]
    body = ok(
        applicant_api.patch(
            f"{API}/applications/{application_id}/",
            {"title": "Maisons d'accueil sûres", "version": body["version"]},
            format="json",
        )
    )
    assert body["title"] == "Maisons d'accueil sûres"
    assert len(body["budget_lines"]) == 2  # kept
    assert ok(applicant_api.post(f"{API}/applications/{application_id}/submit/"))["status"] == "submitted"

    # The reviewer declares no conflict and scores it.
    assert (
        ok(
            reviewer_api.post(
                f"{API}/applications/{application_id}/declare/", {"has_conflict": False}, format="json"
            )
        )["has_conflict"]
        is False
    )
    scores = ok(
        reviewer_api.post(
            f"{API}/applications/{application_id}/score/",
            {
                "scores": [
                    {"criterion": criteria["Qualité technique"], "score": "80", "comment": "Solide"},
                    {"criterion": criteria["Capacité"], "score": "70"},
                ]
            },
            format="json",
        )
    )
    assert sorted(s["score"] for s in scores) == ["70.00", "80.00"]
    assert ok(reviewer_api.get(f"{API}/applications/", {"to_review": "true"}))["count"] == 1

    # Ranking: 80 × 60 % + 70 × 40 % = 76, for the officer and the reviewer; not for the applicant.
    ranking = ok(reviewer_api.get(f"{API}/opportunities/{opportunity_id}/ranking/"))
    assert [(r["application"], Decimal(r["weighted_score"]), r["reviews"]) for r in ranking] == [
        (application_id, Decimal(76), 1)
    ]
    assert {c["criterion"]: Decimal(c["score"]) for c in ranking[0]["by_criterion"]} == {
        criteria["Qualité technique"]: Decimal(80),
        criteria["Capacité"]: Decimal(70),
    }
    assert len(ok(officer_api.get(f"{API}/opportunities/{opportunity_id}/ranking/"))) == 1
    assert applicant_api.get(f"{API}/opportunities/{opportunity_id}/ranking/").status_code == 403

    # The award, from the application.
    body = ok(
        officer_api.post(
            f"{API}/awards/",
            {
                "application": application_id,
                "reference": "SINLEC25GR0001",
                "title": "Maisons d'accueil sûres",
                "instrument": "grant",
                "start_date": "2025-01-01",
                "end_date": "2026-12-31",
                "amount": "400000.00",
                "justification": "Meilleure note.",
                "decided_on": str(timezone.localdate()),
                "objectives": [objective.pk],
                "sectors": [{"code": "15160", "percentage": "100"}],
            },
            format="json",
        ),
        201,
    )
    award_id = body["id"]
    assert body["organisation"] == applicant_org.pk
    assert body["compact"] == compact.pk
    assert body["opportunity"] == opportunity_id
    assert body["programme_type"] == models.ProgrammeType.CHILD_PROTECTION_COMPACT
    assert body["amount"] == "400000.00"
    assert body["sectors"] == [{"code": "15160", "percentage": "100.00"}]
    assert ok(applicant_api.get(f"{API}/applications/{application_id}/"))["status"] == "awarded"
    assert ok(applicant_api.get(f"{API}/awards/{award_id}/"))["reference"] == "SINLEC25GR0001"

    # A yearly budget, then money: commitment and disbursement by the officer, an expenditure in
    # CFA francs by the partner.
    budget = ok(
        officer_api.post(
            f"{API}/awards/{award_id}/budgets/",
            {
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "amount": "200000.00",
                "value_date": "2025-01-01",
            },
            format="json",
        ),
        201,
    )
    assert budget["amount_usd"] == "200000.00"
    assert len(ok(applicant_api.get(f"{API}/awards/{award_id}/budgets/"))) == 1
    for kind, amount in (("2", "400000.00"), ("3", "150000.00")):
        ok(
            officer_api.post(
                f"{API}/awards/{award_id}/transactions/",
                {"kind": kind, "date": "2025-02-01", "amount": amount},
                format="json",
            ),
            201,
        )
    expenditure = ok(
        applicant_api.post(
            f"{API}/awards/{award_id}/transactions/",
            {
                "kind": "4",
                "date": "2025-03-01",
                "amount": "31250000",
                "currency": "XOF",
                "rate_to_usd": "0.0016",
            },
            format="json",
        ),
        201,
    )
    assert expenditure["amount_usd"] == "50000.00"
    transactions = ok(applicant_api.get(f"{API}/awards/{award_id}/transactions/"))
    assert transactions["count"] == 3
    assert [t["kind"] for t in transactions["results"]] == ["2", "3", "4"]
    finances = ok(officer_api.get(f"{API}/awards/{award_id}/finances/"))
    assert {
        k: Decimal(finances[k]) for k in ("committed", "disbursed", "expended", "remaining_to_commit")
    } == {
        "committed": Decimal(400_000),
        "disbursed": Decimal(150_000),
        "expended": Decimal(50_000),
        "remaining_to_commit": Decimal(0),
    }
    assert [(y["year"], y["budget"]) for y in finances["by_year"]] == [(2025, "200000.00")]

    # The selection ends; the portfolio adds it all up against the compact's ceiling.
    assert ok(officer_api.post(f"{API}/opportunities/{opportunity_id}/close/"))["status"] == "closed"
    assert ok(officer_api.post(f"{API}/opportunities/{opportunity_id}/finish/"))["status"] == "awarded"
    portfolio = ok(officer_api.get(f"{API}/portfolio/", {"group_by": "compact", "compact": compact.pk}))
    assert portfolio["group_by"] == "compact"
    [row] = portfolio["rows"]
    assert row["key"] == str(compact.pk)
    figures = {
        name: Decimal(row[name])
        for name in ("ceiling", "awarded", "committed", "disbursed", "expended", "share_of_ceiling")
    }
    assert figures == {
        "ceiling": Decimal(10_000_000),
        "awarded": Decimal(400_000),
        "committed": Decimal(400_000),
        "disbursed": Decimal(150_000),
        "expended": Decimal(50_000),
        "share_of_ceiling": Decimal(4),
    }
    assert row["awards"] == 1
    assert Decimal(row["disbursed_share"]) == Decimal("37.50")
    assert Decimal(row["burn_rate"]).quantize(Decimal("0.1")) == Decimal("33.3")  # 50,000 / 150,000
    assert Decimal(portfolio["total"]["awarded"]) == Decimal(400_000)


def test_opportunity_update_cancel_and_reviewer_removal(officer_api, opportunity, reviewer):  # type: ignore[no-untyped-def]
    url = f"{API}/opportunities/{opportunity.pk}/"
    body = ok(officer_api.patch(url, {"title": "Nouveau titre"}, format="json"))
    assert body["title"] == "Nouveau titre"
    assert len(body["criteria"]) == 3  # kept
    rows = ok(officer_api.post(f"{url}reviewers/remove/", {"reviewer": reviewer.pk}, format="json"))
    assert rows == []
    body = ok(officer_api.post(f"{url}cancel/", {"reason": "Fonds indisponibles."}, format="json"))
    assert body["status"] == "cancelled"


def test_withdraw_and_refuse(applicant_api, officer_api, application, opportunity, officer):  # type: ignore[no-untyped-def]
    other = make_application(opportunity, ngo("Autre ONG"))
    body = ok(
        officer_api.post(f"{API}/applications/{other.pk}/refuse/", {"reason": "Inéligible."}, format="json")
    )
    assert body["status"] == "refused"
    assert body["refusal_reason"] == "Inéligible."
    assert ok(applicant_api.post(f"{API}/applications/{application.pk}/withdraw/"))["status"] == "withdrawn"


def test_emergency_request_and_decision(applicant_api, officer_api, applicant_org):  # type: ignore[no-untyped-def]
    body = ok(
        applicant_api.post(
            f"{API}/emergency-requests/",
            {
                "country": "CIV",
                "title": "Rapatriement",
                "need": "Douze enfants à rapatrier.",
                "amount_requested": "30000.00",
                "received_on": "2025-03-01",
            },
            format="json",
        ),
        201,
    )
    assert body["organisation"] == applicant_org.pk
    assert body["decision_due"] == "2025-03-11"
    assert body["status"] == "received"
    assert body["overdue"] is True
    pk = body["id"]
    assert (
        applicant_api.post(
            f"{API}/emergency-requests/{pk}/decide/", {"approve": False, "note": "Non"}, format="json"
        ).status_code
        == 403
    )
    body = ok(
        officer_api.post(
            f"{API}/emergency-requests/{pk}/decide/",
            {
                "approve": True,
                "note": "Urgence avérée.",
                "award": {
                    "reference": "SINLEC25EA0001",
                    "title": "Rapatriement",
                    "instrument": "grant",
                    "start_date": "2025-03-15",
                    "end_date": "2025-09-30",
                    "amount": "25000.00",
                    "justification": "Urgence avérée.",
                    "decided_on": "2025-03-10",
                    "sectors": [{"code": "15160", "percentage": "100"}],
                },
            },
            format="json",
        )
    )
    assert body["status"] == "approved"
    award = models.Award.objects.get(pk=body["award"])
    assert award.programme_type == models.ProgrammeType.EMERGENCY_VICTIM_ASSISTANCE
    assert award.organisation == applicant_org
    assert ok(applicant_api.get(f"{API}/emergency-requests/"))["count"] == 1


def test_award_list_filters_and_patch(officer_api, award, compact, applicant_org):  # type: ignore[no-untyped-def]
    other = make_award(organisation=ngo("Autre partenaire"))
    everything = ok(officer_api.get(f"{API}/awards/"))
    assert {a["id"] for a in everything["results"]} == {award.pk, other.pk}
    for params, expected in (
        ({"compact": compact.pk}, [award.pk]),
        ({"organisation": applicant_org.pk}, [award.pk]),
        ({"programme_type": "bilateral_regional"}, [other.pk]),
    ):
        assert [a["id"] for a in ok(officer_api.get(f"{API}/awards/", params))["results"]] == expected
    refused(officer_api.get(f"{API}/awards/", {"programme_type": "nope"}), "programme_type")
    refused(officer_api.get(f"{API}/awards/", {"compact": "abc"}), "compact")

    url = f"{API}/awards/{award.pk}/"
    body = ok(officer_api.patch(url, {"title": "Titre révisé", "version": award.version}, format="json"))
    assert body["title"] == "Titre révisé"
    refused(officer_api.patch(url, {"title": "Encore", "version": award.version}, format="json"), "version")
    award.refresh_from_db()
    assert award.title == "Titre révisé"


# -- rules broken: 400 on the field, nothing saved ---------------------------------------------------------
def test_award_over_the_opportunity_ceiling(officer_api, application, opportunity):  # type: ignore[no-untyped-def]
    response = officer_api.post(
        f"{API}/awards/",
        {
            "application": application.pk,
            "reference": "SINLEC25GR0099",
            "title": "Trop cher",
            "instrument": "grant",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "amount": "2000000.01",
            "justification": "Meilleure note.",
            "decided_on": "2024-12-01",
            "sectors": [{"code": "15160", "percentage": "100"}],
        },
        format="json",
    )
    refused(response, "amount")
    assert not models.Award.objects.exists()
    application.refresh_from_db()
    assert application.status == models.Application.Status.SUBMITTED


def test_budget_over_a_year(officer_api, award):  # type: ignore[no-untyped-def]
    response = officer_api.post(
        f"{API}/awards/{award.pk}/budgets/",
        {
            "period_start": "2024-01-01",
            "period_end": "2025-01-01",
            "amount": "100000",
            "value_date": "2024-01-01",
        },
        format="json",
    )
    refused(response, "period_end")
    assert not models.Budget.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "2", "date": "2023-12-31", "amount": "1000"}, "date"),  # before the award starts
        ({"kind": "2", "date": "2024-02-01", "amount": "-1000"}, "amount"),
        ({"kind": "2", "date": "2024-02-01", "amount": "0"}, "amount"),
        ({"kind": "2", "date": "2024-02-01", "amount": "1000", "currency": "XOF"}, "rate_to_usd"),
    ],
    ids=["before-start", "negative", "zero", "currency-without-rate"],
)
def test_transaction_refused(officer_api, award, payload, field):  # type: ignore[no-untyped-def]
    refused(officer_api.post(f"{API}/awards/{award.pk}/transactions/", payload, format="json"), field)
    assert not models.Transaction.objects.exists()


def test_scoring_after_declaring_a_conflict(reviewer_api, application, opportunity):  # type: ignore[no-untyped-def]
    url = f"{API}/applications/{application.pk}/"
    ok(
        reviewer_api.post(
            f"{url}declare/", {"has_conflict": True, "statement": "Mon frère y travaille."}, format="json"
        )
    )
    criterion = opportunity.criteria.first()
    response = reviewer_api.post(f"{url}score/", [{"criterion": criterion.pk, "score": "90"}], format="json")
    refused(response, "has_conflict")
    assert not models.Score.objects.exists()


def test_late_submission(applicant_api, applicant_org, compact, us_ceiling):  # type: ignore[no-untyped-def]
    late = make_opportunity(compact, deadline=timezone.now() - dt.timedelta(hours=1))
    draft = make_application(late, applicant_org, status=models.Application.Status.DRAFT)
    response = applicant_api.post(f"{API}/applications/{draft.pk}/submit/")
    assert "deadline" in refused(response, "non_field_errors")["non_field_errors"][0]
    draft.refresh_from_db()
    assert draft.status == models.Application.Status.DRAFT
    assert draft.submitted_at is None


def test_stale_application_version(applicant_api, applicant_org, opportunity):  # type: ignore[no-untyped-def]
    draft = make_application(opportunity, applicant_org, status=models.Application.Status.DRAFT)
    url = f"{API}/applications/{draft.pk}/"
    ok(applicant_api.patch(url, {"title": "A", "version": draft.version}, format="json"))
    refused(applicant_api.patch(url, {"title": "B", "version": draft.version}, format="json"), "version")
    draft.refresh_from_db()
    assert draft.title == "A"


def test_bad_shapes_answer_400_on_the_field(officer_api, applicant_api, application, opportunity):  # type: ignore[no-untyped-def]
    refused(officer_api.post(f"{API}/opportunities/", {"title": "Sans le reste"}, format="json"), "reference")
    refused(
        applicant_api.post(
            f"{API}/applications/",
            {"opportunity": opportunity.pk, "title": "X", "narrative": "Y", "budget_lines": [{"year": "an"}]},
            format="json",
        ),
        "budget_lines",
    )
    criterion = opportunity.criteria.first()
    refused(
        officer_api.post(
            f"{API}/applications/{application.pk}/score/",
            {
                "scores": [
                    {"criterion": criterion.pk, "score": "1"},
                    {"criterion": criterion.pk, "score": "2"},
                ]
            },
            format="json",
        ),
        "scores",
    )
    refused(officer_api.get(f"{API}/portfolio/", {"group_by": "planet"}), "group_by")
    refused(officer_api.get(f"{API}/portfolio/", {"year": "twenty"}), "year")


def test_messages_in_the_language_of_the_request(applicant, opportunity):  # type: ignore[no-untyped-def]
    payload = {"opportunity": opportunity.pk, "narrative": "Y", "budget_lines": []}
    french = api_client(applicant, language="").post(f"{API}/applications/", payload, format="json")
    assert french.json()["title"] == ["Ce champ est obligatoire."]
    english = api_client(applicant, language="en").post(f"{API}/applications/", payload, format="json")
    assert english.json()["title"] == ["This field is required."]


# -- capabilities: 403 ---------------------------------------------------------------------------------------
def test_writes_without_the_capability(applicant_api, opportunity, award, application):  # type: ignore[no-untyped-def]
    assert (
        applicant_api.patch(
            f"{API}/opportunities/{opportunity.pk}/", {"title": "Pirate"}, format="json"
        ).status_code
        == 403
    )
    assert applicant_api.post(f"{API}/opportunities/{opportunity.pk}/close/").status_code == 403
    assert (
        applicant_api.post(f"{API}/opportunities/{opportunity.pk}/cancel/", {}, format="json").status_code
        == 403
    )
    assert applicant_api.get(f"{API}/opportunities/{opportunity.pk}/reviewers/").status_code == 403
    assert (
        applicant_api.post(f"{API}/applications/{application.pk}/refuse/", {}, format="json").status_code
        == 403
    )
    assert (
        applicant_api.post(
            f"{API}/applications/{application.pk}/declare/", {"has_conflict": False}, format="json"
        ).status_code
        == 403
    )
    assert applicant_api.post(f"{API}/awards/{award.pk}/budgets/", {}, format="json").status_code == 403
    assert applicant_api.post(f"{API}/opportunities/", {}, format="json").status_code == 403
    assert (
        applicant_api.post(f"{API}/awards/", {"application": application.pk}, format="json").status_code
        == 403
    )
    assert (
        applicant_api.patch(
            f"{API}/awards/{award.pk}/", {"title": "Pirate", "version": award.version}, format="json"
        ).status_code
        == 403
    )
    response = applicant_api.post(
        f"{API}/awards/{award.pk}/transactions/",
        {"kind": "3", "date": "2024-02-01", "amount": "1000"},
        format="json",
    )
    assert response.status_code == 403  # the partner records its expenditures only
    assert not models.Transaction.objects.exists()
    opportunity.refresh_from_db()
    assert opportunity.status == models.FundingOpportunity.Status.PUBLISHED


# -- an unrelated organisation: 404 and empty lists ------------------------------------------------------
def test_outsider_sees_nothing(outsider_api, officer, opportunity, application, award, emergency, compact):  # type: ignore[no-untyped-def]
    draft = make_opportunity(status=models.FundingOpportunity.Status.DRAFT)
    criterion = opportunity.criteria.first()
    for url in (
        f"{API}/opportunities/{draft.pk}/",
        f"{API}/applications/{application.pk}/",
        f"{API}/awards/{award.pk}/",
        f"{API}/awards/{award.pk}/budgets/",
        f"{API}/awards/{award.pk}/transactions/",
        f"{API}/awards/{award.pk}/finances/",
        f"{API}/emergency-requests/{emergency.pk}/",
        f"{API}/opportunities/{draft.pk}/ranking/",
        f"{API}/applications/999999/",
        f"{API}/awards/abc/",
    ):
        assert outsider_api.get(url).status_code == 404, url
    for url, payload in (
        (f"{API}/opportunities/{draft.pk}/publish/", {}),
        (f"{API}/applications/{application.pk}/submit/", {}),
        (f"{API}/applications/{application.pk}/withdraw/", {}),
        (f"{API}/applications/{application.pk}/declare/", {"has_conflict": False}),
        (
            f"{API}/applications/{application.pk}/score/",
            {"scores": [{"criterion": criterion.pk, "score": 1}]},
        ),
        (
            f"{API}/awards/{award.pk}/budgets/",
            {"period_start": "2024-01-01", "period_end": "2024-12-31", "amount": 1},
        ),
        (f"{API}/awards/{award.pk}/transactions/", {"kind": "4", "date": "2024-02-01", "amount": 1}),
        (f"{API}/emergency-requests/{emergency.pk}/decide/", {"approve": False, "note": "x"}),
        (
            f"{API}/applications/",
            {"opportunity": draft.pk, "title": "T", "narrative": "N", "budget_lines": []},
        ),
    ):
        assert outsider_api.post(url, payload, format="json").status_code == 404, url
    assert (
        outsider_api.patch(
            f"{API}/applications/{application.pk}/", {"title": "x", "version": 1}, format="json"
        ).status_code
        == 404
    )
    for endpoint in ("applications", "awards", "emergency-requests"):
        assert ok(outsider_api.get(f"{API}/{endpoint}/")) == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }, endpoint
    # Published opportunities are open to every signed-in user (anyone may apply); drafts are not.
    listed = ok(outsider_api.get(f"{API}/opportunities/"))
    assert [o["id"] for o in listed["results"]] == [opportunity.pk]
    # Ranking is for officers and reviewers only.
    assert outsider_api.get(f"{API}/opportunities/{opportunity.pk}/ranking/").status_code == 403
    portfolio = ok(outsider_api.get(f"{API}/portfolio/"))
    assert portfolio["rows"] == []
    assert ok(outsider_api.get(f"{API}/portfolio/", {"compact": compact.pk}))["rows"] == []
    assert models.ConflictDeclaration.objects.count() == 0
    assert models.Transaction.objects.count() == 0
    application.refresh_from_db()
    assert application.status == models.Application.Status.AWARDED  # as the award fixture left it


def test_observer_of_the_compact_sees_its_awards_only(observer, award):  # type: ignore[no-untyped-def]
    elsewhere = make_award(organisation=ngo("Ailleurs"))
    client = api_client(observer)
    assert [a["id"] for a in ok(client.get(f"{API}/awards/"))["results"]] == [award.pk]
    assert client.get(f"{API}/awards/{elsewhere.pk}/").status_code == 404
    assert ok(client.get(f"{API}/applications/"))["count"] == 0


def test_anonymous_is_refused(client, db):  # type: ignore[no-untyped-def]
    for endpoint in ("opportunities", "applications", "awards", "emergency-requests", "portfolio"):
        assert client.get(f"{API}/{endpoint}/").status_code == 403


# -- query counts ------------------------------------------------------------------------------------------
def _queries(client: APIClient, url: str, params: dict[str, Any] | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def _grow(compact: Any, officer: Any, reviewer: Any, award: Any, n: int) -> None:
    for _i in range(n):
        organisation = ngo()
        opportunity = make_opportunity(compact)
        models.ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=reviewer)
        make_application(opportunity, organisation)
        extra = make_award(compact, organisation=organisation)
        extra.objectives.set(list(compact.objectives.all()))
        for kind in ("2", "3", "4"):
            models.Transaction.objects.create(
                award=award, kind=kind, date=dt.date(2024, 3, 1), amount=Decimal(10), amount_usd=Decimal(10)
            )
            models.Transaction.objects.create(
                award=extra, kind=kind, date=dt.date(2024, 3, 1), amount=Decimal(10), amount_usd=Decimal(10)
            )
        models.EmergencyRequest.objects.create(
            organisation=organisation,
            country="CIV",
            title="Urgence",
            need="Abri",
            amount_requested=Decimal(1000),
            received_on=dt.date(2025, 1, 1),
            decision_due=dt.date(2025, 1, 11),
        )


def test_list_query_counts_do_not_grow_with_the_data(  # type: ignore[no-untyped-def]
    officer_api, reviewer_api, officer, reviewer, compact, award, objective
):
    lists = [
        (officer_api, f"{API}/opportunities/", None),
        (officer_api, f"{API}/applications/", None),
        (reviewer_api, f"{API}/applications/", {"to_review": "1"}),
        (officer_api, f"{API}/awards/", None),
        (officer_api, f"{API}/awards/{award.pk}/transactions/", None),
        (officer_api, f"{API}/emergency-requests/", None),
        (officer_api, f"{API}/portfolio/", {"group_by": "partner"}),
        (officer_api, f"{API}/portfolio/", {"group_by": "year"}),
    ]
    _grow(compact, officer, reviewer, award, 1)
    for client, url, params in lists:  # the first request of a session does more (session, user)
        _queries(client, url, params)
    before = [_queries(client, url, params) for client, url, params in lists]
    _grow(compact, officer, reviewer, award, 6)
    after = [_queries(client, url, params) for client, url, params in lists]
    assert after == before
    assert ok(officer_api.get(f"{API}/awards/"))["count"] == 8


# -- schema ------------------------------------------------------------------------------------------------
def test_schema_documents_the_grants_api_without_warnings(client, db):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in ("opportunities", "applications", "awards", "emergency-requests"):
        assert f"{API}/{endpoint}/" in paths
        assert f"{API}/{endpoint}/{{id}}/" in paths
    for step in ("publish", "close", "cancel", "finish", "reviewers", "reviewers/remove"):
        assert "post" in paths[f"{API}/opportunities/{{id}}/{step}/"], step
    assert "get" in paths[f"{API}/opportunities/{{id}}/ranking/"]
    for step in ("submit", "withdraw", "refuse", "declare", "score"):
        assert "post" in paths[f"{API}/applications/{{id}}/{step}/"], step
    for nested in ("budgets", "transactions"):
        assert {"get", "post"} <= set(paths[f"{API}/awards/{{id}}/{nested}/"]), nested
    assert "post" in paths[f"{API}/emergency-requests/{{id}}/decide/"]
    assert "patch" in paths[f"{API}/applications/{{id}}/"]
    parameters = {p["name"] for p in paths[f"{API}/portfolio/"]["get"]["parameters"]}
    assert {"group_by", "compact", "organisation", "programme_type", "year"} <= parameters
    award_filters = {p["name"] for p in paths[f"{API}/awards/"]["get"]["parameters"]}
    assert {"compact", "organisation", "programme_type", "page"} <= award_filters

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    assert problems == []
    validate_schema(schema)
