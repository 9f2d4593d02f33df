"""Results API permissions: outsiders see nothing (empty lists, 404 on every record and action),
observers see approved values of public indicators and write nothing (403), reporters see their own
organisation's submissions only, reviewers never review their own organisation, anonymous users
get nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from pacte.core.models import Visibility
from pacte.results.factories import make_definition, make_submission
from pacte.results.models import Submission

API = "/api/v1/results"
Status = Submission.Status
ACTIONS = ("submit", "approve", "return", "reopen")


def api_client(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def approved(definition, reporter_org):  # type: ignore[no-untyped-def]
    return make_submission(definition, reporter_org, "2025", total=5, status=Status.APPROVED)


@pytest.fixture
def hidden_definition(compact, reporter_org):  # type: ignore[no-untyped-def]
    definition = make_definition(compact, reporters=[reporter_org])
    definition.indicator.visibility = Visibility.NON_PUBLIC
    definition.indicator.save()
    return definition


def record_urls(definition: Any, submission: Any, compact: Any) -> list[str]:
    return [
        f"{API}/definitions/{definition.pk}/",
        f"{API}/indicators/{definition.pk}/",
        f"{API}/submissions/{submission.pk}/",
        f"{API}/progress/{compact.pk}/",
    ]


def test_anonymous_gets_nothing(compact, definition, draft_submission):  # type: ignore[no-untyped-def]
    client = api_client(None)
    for url in record_urls(definition, draft_submission, compact):
        assert client.get(url).status_code in (401, 403)
    assert client.get(f"{API}/submissions/", {"compact": compact.pk}).status_code in (401, 403)
    assert client.post(f"{API}/submissions/", {}, format="json").status_code in (401, 403)


def test_outsider_sees_empty_lists_and_404(  # type: ignore[no-untyped-def]
    outsider, compact, definition, draft_submission, submitted_submission, approved
):
    client = api_client(outsider)
    for endpoint in ("definitions", "indicators", "submissions"):
        response = client.get(f"{API}/{endpoint}/", {"compact": compact.pk})
        assert response.status_code == 200
        assert response.json()["results"] == []
        assert response.json()["count"] == 0
    for submission in (draft_submission, submitted_submission, approved):
        for url in record_urls(definition, submission, compact):
            assert client.get(url).status_code == 404, url
        url = f"{API}/submissions/{submission.pk}/"
        assert client.patch(url, {"comment": "x", "version": 1}, format="json").status_code == 404
        for step in ACTIONS:
            assert client.post(f"{url}{step}/", {"comment": "x"}, format="json").status_code == 404
    payload = {"definition": definition.pk, "period": "2024", "values": [{"value": 1}]}
    assert client.post(f"{API}/submissions/", payload, format="json").status_code == 404
    # An id that does not exist answers the same.
    assert client.get(f"{API}/submissions/999999/").status_code == 404
    assert client.get(f"{API}/definitions/999999/").status_code == 404
    assert client.get(f"{API}/progress/999999/").status_code == 404
    assert Submission.objects.count() == 3


def test_observer_reads_approved_public_values_only(  # type: ignore[no-untyped-def]
    observer,
    compact,
    definition,
    hidden_definition,
    reporter_org,
    draft_submission,
    submitted_submission,
    approved,
):
    hidden_approved = make_submission(hidden_definition, reporter_org, "2025", total=3)
    client = api_client(observer)
    listed = client.get(f"{API}/submissions/", {"compact": compact.pk}).json()["results"]
    assert [s["id"] for s in listed] == [approved.pk]
    for hidden in (draft_submission, submitted_submission, hidden_approved):
        assert client.get(f"{API}/submissions/{hidden.pk}/").status_code == 404
    assert client.get(f"{API}/submissions/{approved.pk}/").status_code == 200
    definitions = client.get(f"{API}/definitions/", {"compact": compact.pk}).json()["results"]
    assert [d["id"] for d in definitions] == [definition.pk]
    assert client.get(f"{API}/definitions/{hidden_definition.pk}/").status_code == 404
    assert client.get(f"{API}/indicators/{hidden_definition.pk}/").status_code == 404
    rows = client.get(f"{API}/indicators/", {"compact": compact.pk}).json()["results"]
    assert [r["definition"] for r in rows] == [definition.pk]
    assert client.get(f"{API}/progress/{compact.pk}/").status_code == 200


def test_observer_writes_nothing(observer, compact, definition, approved):  # type: ignore[no-untyped-def]
    client = api_client(observer)
    payload = {"definition": definition.pk, "period": "2024", "values": [{"value": 1}]}
    assert client.post(f"{API}/submissions/", payload, format="json").status_code == 403
    url = f"{API}/submissions/{approved.pk}/"
    assert client.patch(url, {"comment": "x", "version": approved.version}, format="json").status_code == 403
    for step in ACTIONS:
        assert client.post(f"{url}{step}/", {"comment": "x"}, format="json").status_code == 403
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED
    assert Submission.objects.count() == 1


def test_reporters_see_only_their_own_organisation(  # type: ignore[no-untyped-def]
    other_reporter, compact, draft_submission, submitted_submission
):
    client = api_client(other_reporter)
    assert client.get(f"{API}/submissions/", {"compact": compact.pk}).json()["results"] == []
    for submission in (draft_submission, submitted_submission):
        url = f"{API}/submissions/{submission.pk}/"
        assert client.get(url).status_code == 404
        assert (
            client.patch(url, {"comment": "x", "version": submission.version}, format="json").status_code
            == 404
        )
        assert client.post(f"{url}submit/", {}, format="json").status_code == 404


def test_reporter_of_another_indicator_may_not_report_it(  # type: ignore[no-untyped-def]
    reporter, compact, other_reporter_org
):
    not_ours = make_definition(compact, reporters=[other_reporter_org])
    payload = {"definition": not_ours.pk, "period": "2024", "values": [{"value": 1}]}
    response = api_client(reporter).post(f"{API}/submissions/", payload, format="json")
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_reviewer_never_reviews_their_own_organisation(  # type: ignore[no-untyped-def]
    reviewer, reviewer_org, compact
):
    own = make_definition(compact, reporters=[reviewer_org])
    submission = make_submission(own, reviewer_org, "2024", total=4, status=Status.SUBMITTED)
    client = api_client(reviewer)
    for step in ("approve", "return"):
        response = client.post(f"{API}/submissions/{submission.pk}/{step}/", {"comment": "x"}, format="json")
        assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == Status.SUBMITTED
