"""Results API (/api/v1/results/…): definitions with targets, per-indicator progress, submissions
(CRUD, workflow, optimistic concurrency), progress of a compact, bad input, fixed query counts and the
OpenAPI schema. Permissions are in test_api_permissions.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from pacte.accounts.factories import OrganisationFactory
from pacte.results.factories import TargetFactory, make_definition, make_submission
from pacte.results.models import IndicatorDefinition, Submission

API = "/api/v1/results"
Status = Submission.Status


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def api_client(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def reporter_api(reporter) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(reporter)


@pytest.fixture
def reviewer_api(reviewer) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(reviewer)


@pytest.fixture
def officer_api(officer) -> APIClient:  # type: ignore[no-untyped-def]
    return api_client(officer)


def total_payload(definition: IndicatorDefinition, period: str = "2024", total: Any = 12) -> dict[str, Any]:
    female = definition.categories.get(code="female")
    return {
        "definition": definition.pk,
        "period": period,
        "comment": "Premier rapport",
        "values": [{"value": total}, {"category": female.pk, "value": 7}],
    }


# -- definitions -----------------------------------------------------------------------------------------
def test_definitions_list_with_targets(reporter_api, compact, definition):  # type: ignore[no-untyped-def]
    TargetFactory(definition=definition, year=2024, value=Decimal(50))
    response = reporter_api.get(f"{API}/definitions/", {"compact": compact.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == definition.pk
    assert item["unit"] == "count"
    assert item["indicator_name"] == definition.indicator.name
    assert item["targets"] == [{"year": 2024, "value": "50.0000", "note": ""}]
    assert {c["code"] for c in item["categories"]} == {
        "female",
        "male",
        "other-or-unknown",
        "under-18",
        "18-and-over",
    }
    detail = reporter_api.get(f"{API}/definitions/{definition.pk}/")
    assert detail.status_code == 200
    assert detail.json()["version"] == definition.version


def test_definitions_require_the_compact(reporter_api, definition):  # type: ignore[no-untyped-def]
    response = reporter_api.get(f"{API}/definitions/")
    assert response.status_code == 400
    assert "compact" in response.json()
    response = reporter_api.get(f"{API}/definitions/", {"compact": "abc"})
    assert response.status_code == 400
    assert "compact" in response.json()


# -- submissions: CRUD and workflow ----------------------------------------------------------------------
def test_create_retrieve_update_submission(reporter_api, reporter_org, compact, definition):  # type: ignore[no-untyped-def]
    response = reporter_api.post(f"{API}/submissions/", total_payload(definition), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["organisation"] == reporter_org.pk
    assert body["period"] == "2024"
    assert body["editable"] is True
    values = {v["category"]: v["value"] for v in body["values"]}
    assert values[None] == "12.0000"
    pk, version = body["id"], body["version"]

    assert reporter_api.get(f"{API}/submissions/{pk}/").json()["comment"] == "Premier rapport"

    response = reporter_api.patch(
        f"{API}/submissions/{pk}/", {"comment": "Corrigé", "version": version}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["comment"] == "Corrigé"
    assert {v["category"]: v["value"] for v in response.json()["values"]}[None] == "12.0000"  # kept
    new_version = response.json()["version"]
    assert new_version == version + 1

    response = reporter_api.put(
        f"{API}/submissions/{pk}/",
        {"values": [{"value": 20}], "version": new_version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [v["value"] for v in response.json()["values"]] == ["20.0000"]


def test_update_with_an_old_version_is_refused(reporter_api, compact, draft_submission):  # type: ignore[no-untyped-def]
    url = f"{API}/submissions/{draft_submission.pk}/"
    version = draft_submission.version
    assert reporter_api.patch(url, {"comment": "A", "version": version}, format="json").status_code == 200
    response = reporter_api.patch(url, {"comment": "B", "version": version}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    draft_submission.refresh_from_db()
    assert draft_submission.comment == "A"


def test_update_needs_the_version(reporter_api, draft_submission):  # type: ignore[no-untyped-def]
    response = reporter_api.patch(
        f"{API}/submissions/{draft_submission.pk}/", {"comment": "A"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()


def test_workflow_submit_return_resubmit_approve(  # type: ignore[no-untyped-def]
    reporter_api, reviewer_api, compact, draft_submission
):
    url = f"{API}/submissions/{draft_submission.pk}"
    response = reporter_api.post(f"{url}/submit/", {"version": draft_submission.version}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    # Return needs comments.
    response = reviewer_api.post(f"{url}/return/", {}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()
    response = reviewer_api.post(f"{url}/return/", {"comment": "Le total ne correspond pas."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "returned"
    assert response.json()["review_comment"] == "Le total ne correspond pas."
    version = response.json()["version"]
    response = reporter_api.patch(f"{url}/", {"values": [{"value": 11}], "version": version}, format="json")
    assert response.status_code == 200, response.json()
    assert reporter_api.post(f"{url}/submit/", {}, format="json").json()["status"] == "submitted"
    response = reviewer_api.post(f"{url}/approve/", {"comment": "OK"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["editable"] is False
    # An approved submission can no longer be changed.
    response = reporter_api.patch(
        f"{url}/", {"comment": "x", "version": response.json()["version"]}, format="json"
    )
    assert response.status_code == 400
    # It counts in the progress now.
    progress = reviewer_api.get(f"{API}/indicators/", {"compact": compact.pk, "year": 2023}).json()
    row = next(r for r in progress["results"] if r["definition"] == draft_submission.definition_id)
    figure = next(y for y in row["years"] if y["year"] == 2023)
    assert figure["actual"]["value"] == "11.0000"


def test_reporter_cannot_approve(reporter_api, submitted_submission):  # type: ignore[no-untyped-def]
    response = reporter_api.post(f"{API}/submissions/{submitted_submission.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    submitted_submission.refresh_from_db()
    assert submitted_submission.status == Status.SUBMITTED


def test_approving_a_draft_is_refused(reviewer_api, compact, reporter, draft_submission):  # type: ignore[no-untyped-def]
    # The reviewer does not see another organisation's drafts at all.
    response = reviewer_api.post(f"{API}/submissions/{draft_submission.pk}/approve/", {}, format="json")
    assert response.status_code == 404


def test_approving_twice_is_refused(reviewer_api, submitted_submission):  # type: ignore[no-untyped-def]
    url = f"{API}/submissions/{submitted_submission.pk}/approve/"
    assert reviewer_api.post(url, {}, format="json").status_code == 200
    response = reviewer_api.post(url, {}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_officer_reports_on_behalf(officer_api, reporter_org, definition):  # type: ignore[no-untyped-def]
    payload = {**total_payload(definition), "organisation": reporter_org.pk}
    response = officer_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"] == reporter_org.pk


def test_list_filters(reporter_api, compact, definition, draft_submission, submitted_submission):  # type: ignore[no-untyped-def]
    def ids(**params: Any) -> set[int]:
        response = reporter_api.get(f"{API}/submissions/", {"compact": compact.pk, **params})
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["results"]}

    assert ids() == {draft_submission.pk, submitted_submission.pk}
    assert ids(status="draft") == {draft_submission.pk}
    assert ids(period="2024") == {submitted_submission.pk}
    assert ids(definition=definition.pk, status="submitted") == {submitted_submission.pk}
    assert ids(organisation=0) == set()


# -- bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": "2024Q9"}, "period"),
        ({"period": "2031"}, "period"),
        ({"period": "2024Q1"}, "period"),  # the indicator is annual
        ({"values": [{"value": "beaucoup"}]}, "values"),
        ({"values": [{"value": 1.23456}]}, "values"),
        ({"values": [{"value": -3}]}, "values"),
        ({"values": [{"value": 3, "category": 999999}]}, "values"),
        ({"values": []}, "values"),
        ({"definition": "x"}, "definition"),
        ({"organisation": 999999}, "organisation"),
        ({"comment": ["a"]}, "comment"),
    ],
)
def test_bad_input_answers_400_with_the_field(reporter_api, definition, change, field):  # type: ignore[no-untyped-def]
    payload = {**total_payload(definition), **change}
    response = reporter_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Submission.objects.exists()


def test_undefined_category_is_named(reporter_api, definition, standard_categories):  # type: ignore[no-untyped-def]
    region = standard_categories["abidjan"]
    payload = {**total_payload(definition), "values": [{"value": 3}, {"category": region.pk, "value": 1}]}
    response = reporter_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 400
    assert region.label in " ".join(response.json()["values"])


def test_numerator_above_denominator(reporter_api, percentage_definition):  # type: ignore[no-untyped-def]
    payload = {
        "definition": percentage_definition.pk,
        "period": "2024",
        "values": [{"numerator": 30, "denominator": 20}],
    }
    response = reporter_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 400
    assert "values" in response.json()
    payload["values"] = [{"numerator": 10, "denominator": 20}]
    response = reporter_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["values"][0]["value"] == "50.0000"


def test_duplicate_submission(reporter_api, definition, draft_submission):  # type: ignore[no-untyped-def]
    response = reporter_api.post(f"{API}/submissions/", total_payload(definition, "2023"), format="json")
    assert response.status_code == 400
    assert "period" in response.json()
    assert Submission.objects.count() == 1


def test_bad_filters(reporter_api, compact):  # type: ignore[no-untyped-def]
    for params, field in [
        ({"status": "lost"}, "status"),
        ({"period": "20x4"}, "period"),
        ({"organisation": "x"}, "organisation"),
        ({}, "compact"),
    ]:
        query = {"compact": compact.pk, **params} if field != "compact" else {}
        response = reporter_api.get(f"{API}/submissions/", query)
        assert response.status_code == 400, (params, response.content)
        assert field in response.json()
    assert reporter_api.get(f"{API}/indicators/", {"compact": compact.pk, "year": "x"}).status_code == 400


# -- progress --------------------------------------------------------------------------------------------
def test_indicator_progress_combines_organisations(  # type: ignore[no-untyped-def]
    reviewer_api, compact, percentage_definition, reporter_org, other_reporter_org
):
    TargetFactory(definition=percentage_definition, year=2023, value=Decimal(30))
    make_submission(percentage_definition, reporter_org, "2023", total=(30, 100))
    make_submission(percentage_definition, other_reporter_org, "2023", total=(10, 20))
    make_submission(percentage_definition, other_reporter_org, "2024", total=(1, 2), status=Status.SUBMITTED)
    response = reviewer_api.get(f"{API}/indicators/", {"compact": compact.pk, "year": 2024})
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["definition"] == percentage_definition.pk
    figures = {y["year"]: y for y in row["years"]}
    assert Decimal(figures[2023]["actual"]["value"]).quantize(Decimal("0.1")) == Decimal("33.3")
    assert figures[2023]["target"] == "30.0000"
    assert figures[2023]["assessment"] == "met"
    assert figures[2024]["actual"]["observations"] == 0  # submitted, not approved: not counted
    detail = reviewer_api.get(f"{API}/indicators/{percentage_definition.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert {o["organisation_id"] for o in body["organisations"]} == {reporter_org.pk, other_reporter_org.pk}
    assert body["periods"][0]["period"] == "2023"


def test_compact_progress(reviewer_api, compact, definition, reporter_org):  # type: ignore[no-untyped-def]
    make_submission(definition, reporter_org, "2023", total=10, parts={"female": 4, "male": 4})
    response = reviewer_api.get(f"{API}/progress/{compact.pk}/", {"year": 2023})
    assert response.status_code == 200
    body = response.json()
    assert body["compact"] == compact.pk
    assert body["year"] == 2023
    rows = [r for p in body["pillars"] for o in p["objectives"] for r in o["rows"]]
    assert [r["definition"] for r in rows] == [definition.pk]
    assert rows[0]["flags"]  # female + male + other = 8, not 10
    assert body["summary"]["with_data"] == 1
    assert any(g["kind"] == "indicator_without_target" for g in body["gaps"])


# -- query counts ----------------------------------------------------------------------------------------
def count_queries(client: APIClient, url: str, params: dict[str, Any] | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def _grow(compact: Any, reporter_org: Any, n: int) -> None:
    for i in range(n):
        definition = make_definition(compact, reporters=[reporter_org])
        TargetFactory(definition=definition, year=2023, value=Decimal(10))
        make_submission(definition, reporter_org, "2023", total=i + 1)
        make_submission(definition, reporter_org, "2024", total=i + 2, status=Status.DRAFT)


@pytest.mark.parametrize("endpoint", ["definitions", "indicators", "submissions", "progress"])
def test_query_counts_stay_fixed_as_data_grows(  # type: ignore[no-untyped-def]
    reporter_api, compact, reporter_org, definition, endpoint
):
    def measure() -> int:
        if endpoint == "progress":
            return count_queries(reporter_api, f"{API}/progress/{compact.pk}/")
        return count_queries(reporter_api, f"{API}/{endpoint}/", {"compact": compact.pk})

    _grow(compact, reporter_org, 2)
    measure()  # the first request of a test also loads caches (content types, translations…)
    small = measure()
    _grow(compact, reporter_org, 8)
    assert measure() == small
    assert small <= 16


def test_pagination(reporter_api, compact, reporter_org):  # type: ignore[no-untyped-def]
    _grow(compact, reporter_org, 27)
    first = reporter_api.get(f"{API}/indicators/", {"compact": compact.pk}).json()
    assert first["count"] == 27
    assert len(first["results"]) == 25
    second = reporter_api.get(first["next"]).json()
    assert len(second["results"]) == 2


# -- schema ----------------------------------------------------------------------------------------------
def test_schema_documents_the_results_api(client, db):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in ("definitions", "indicators", "submissions"):
        assert f"{API}/{endpoint}/" in paths
        assert f"{API}/{endpoint}/{{id}}/" in paths
    assert f"{API}/progress/{{id}}/" in paths
    for step in ("submit", "approve", "return", "reopen"):
        assert "post" in paths[f"{API}/submissions/{{id}}/{step}/"]
    parameters = {p["name"]: p for p in paths[f"{API}/submissions/"]["get"]["parameters"]}
    assert parameters["compact"]["required"] is True
    assert {"status", "period", "organisation", "page"} <= set(parameters)


def test_other_organisation_is_not_touched(reporter_api, compact, definition):  # type: ignore[no-untyped-def]
    stranger = OrganisationFactory()
    payload = {**total_payload(definition), "organisation": stranger.pk}
    response = reporter_api.post(f"{API}/submissions/", payload, format="json")
    assert response.status_code in (400, 403)
    assert not Submission.objects.exists()
