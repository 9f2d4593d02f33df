"""The progress page and the indicator API cache what they compute under the compact's results
version token (``ResultsState``): every results service gives it a new value, so that a change shows at
once; what is cached depends on the visibility scope, the language and (page) the "Define" links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pacte.core.models import Visibility
from pacte.results import selectors, services
from pacte.results.factories import make_definition, make_submission
from pacte.results.models import ResultsState, Submission

API = "/api/v1/results"


def progress_url(compact: Any, year: int = 2024) -> str:
    return f"/compacts/{compact.pk}/results/?year={year}"


def api_rows(client: Client, compact: Any, year: int = 2024, language: str = "") -> list[dict[str, Any]]:
    headers = {"Accept-Language": language} if language else {}
    response = client.get(f"{API}/indicators/", {"compact": compact.pk, "year": year}, headers=headers)
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def actual(row: dict[str, Any], year: int = 2024) -> str | None:
    figure = next(f for f in row["years"] if f["year"] == year)
    return figure["actual"]["value"]


def queries(client: Client, url: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def tokened(compact):  # type: ignore[no-untyped-def]
    """The compact with a results version token (the factories write without the services)."""
    services.results_changed(compact)
    return compact


def token(compact: Any) -> str:
    return ResultsState.objects.get(compact=compact).token


def test_results_changed_creates_then_changes_a_random_token(compact):  # type: ignore[no-untyped-def]
    assert selectors.results_token(compact) is None
    services.results_changed(compact)
    first = token(compact)
    services.results_changed(compact.pk)
    assert token(compact) != first
    assert len(first) == 32
    assert ResultsState.objects.filter(compact=compact).count() == 1


def test_nothing_is_cached_without_a_token(reviewer_client, compact, submitted_submission):  # type: ignore[no-untyped-def]
    reviewer_client.get(progress_url(compact))
    Submission.objects.filter(pk=submitted_submission.pk).update(status=Submission.Status.APPROVED)
    assert 'pacte-num pacte-actual">10' in reviewer_client.get(progress_url(compact)).content.decode()


def test_page_and_api_are_cached_then_show_an_approval_at_once(  # type: ignore[no-untyped-def]
    tokened, reviewer, reviewer_client, submitted_submission, definition
):
    compact = tokened
    page = reviewer_client.get(progress_url(compact)).content.decode()
    assert f'id="indicator-{definition.pk}"' in page
    assert 'pacte-num pacte-actual">–' in page
    assert [actual(r) for r in api_rows(reviewer_client, compact)] == [None]
    # Cached: the second visit runs fewer queries than the first (no computation).
    cache.clear()
    cold = queries(reviewer_client, f"/compacts/{compact.pk}/results/", year=2024)
    warm = queries(reviewer_client, f"/compacts/{compact.pk}/results/", year=2024)
    assert warm < cold - 4
    cache.clear()
    cold_api = queries(reviewer_client, f"{API}/indicators/", compact=compact.pk, year=2024)
    warm_api = queries(reviewer_client, f"{API}/indicators/", compact=compact.pk, year=2024)
    assert warm_api < cold_api - 4

    before = token(compact)
    services.approve(user=reviewer, submission=submitted_submission)
    assert token(compact) != before
    page = reviewer_client.get(progress_url(compact)).content.decode()
    assert 'pacte-num pacte-actual">10' in page
    assert [Decimal(actual(r) or "nan") for r in api_rows(reviewer_client, compact)] == [Decimal(10)]

    # Reopened: no longer counted, at once.
    services.reopen(user=reviewer, submission=submitted_submission, comment="Chiffres à revoir")
    assert 'pacte-num pacte-actual">–' in reviewer_client.get(progress_url(compact)).content.decode()
    assert [actual(r) for r in api_rows(reviewer_client, compact)] == [None]


def test_every_writer_changes_the_token_and_a_refused_write_does_not(  # type: ignore[no-untyped-def]
    tokened, reviewer, definition
):
    compact = tokened
    before = token(compact)
    services.set_targets(user=reviewer, definition=definition, targets={2024: Decimal(50)})
    after_targets = token(compact)
    assert after_targets != before
    with pytest.raises(ValidationError):
        services.set_targets(user=reviewer, definition=definition, targets={1990: Decimal(1)})
    assert token(compact) == after_targets  # rolled back with the refused write
    services.lock_period(user=reviewer, compact=compact, period="2024")
    assert token(compact) != after_targets


def test_a_new_target_shows_at_once(tokened, reviewer, reviewer_client, definition):  # type: ignore[no-untyped-def]
    compact = tokened
    assert [r["years"][2]["target"] for r in api_rows(reviewer_client, compact)] == [None]
    reviewer_client.get(progress_url(compact))
    services.set_targets(user=reviewer, definition=definition, targets={2024: Decimal(50)})
    assert Decimal(api_rows(reviewer_client, compact)[0]["years"][2]["target"]) == Decimal(50)
    page = reviewer_client.get(progress_url(compact)).content.decode()
    assert '<span class="usa-tag pacte-no-target">' not in page


def test_a_non_public_indicator_never_leaks_from_a_privileged_users_cache(  # type: ignore[no-untyped-def]
    tokened, officer_client, observer_client, reporter_org
):
    compact = tokened
    secret = make_definition(compact, reporters=[reporter_org])
    secret.indicator.name = "Indicateur confidentiel du test"
    secret.indicator.visibility = Visibility.NON_PUBLIC
    secret.indicator.save()
    public = make_definition(compact, reporters=[reporter_org])
    for client in (officer_client, observer_client, officer_client, observer_client):
        page = client.get(progress_url(compact)).content.decode()
        rows = api_rows(client, compact)
        page_all = client.get(f"{API}/progress/{compact.pk}/", {"year": 2024}).content.decode()
        if client is observer_client:
            assert "Indicateur confidentiel du test" not in page
            assert "Indicateur confidentiel du test" not in page_all
            assert [r["definition"] for r in rows] == [public.pk]
        else:
            assert "Indicateur confidentiel du test" in page
            assert {r["definition"] for r in rows} == {public.pk, secret.pk}


@pytest.fixture
def flagged(tokened, reporter_org, standard_categories):  # type: ignore[no-untyped-def]
    """A definition whose approved 2024 submission has finer age bands that do not add up to their
    parent: the flag names the parent category in the active language (label_fr / label_en)."""
    c = standard_categories
    definition = make_definition(
        tokened, reporters=[reporter_org], categories=[c["under-18"], c["age-15-17"], c["age-12-14"]]
    )
    make_submission(definition, reporter_org, "2024", total=5, parts={"under-18": 5, "age-15-17": 2})
    return c["under-18"]


def test_the_page_cache_follows_the_language(tokened, reviewer_client, flagged):  # type: ignore[no-untyped-def]
    compact = tokened
    assert flagged.label_fr != flagged.label_en
    french = reviewer_client.get(progress_url(compact)).content.decode()
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = reviewer_client.get(progress_url(compact)).content.decode()
    assert f"({flagged.label_en})" in english
    assert f"({flagged.label_fr})" not in english
    assert f"({flagged.label_fr})" in french
    assert 'lang="en"' in english or "Progress in 2024" in english
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    again = reviewer_client.get(progress_url(compact)).content.decode()
    assert f"({flagged.label_fr})" in again


def test_the_api_cache_follows_the_language(tokened, reviewer_client, flagged):  # type: ignore[no-untyped-def]
    compact = tokened
    for language, label in [("fr", flagged.label_fr), ("en", flagged.label_en), ("fr", flagged.label_fr)]:
        rows = api_rows(reviewer_client, compact, language=language)
        parents = {f["parent_label"] for f in rows[0]["flags"]} - {None}
        assert parents == {label}


def test_define_links_are_not_served_from_another_users_cache(  # type: ignore[no-untyped-def]
    tokened, reviewer_client, reporter_client, definition
):
    compact = tokened
    undefined = make_definition(compact).indicator
    undefined.definition.delete()
    edit = f'href="/compacts/{compact.pk}/results/definitions/{undefined.pk}/edit/"'
    # The reviewer (monitoring committee) may define indicators, the reporter may not; both see
    # non-public records (the same visibility scope), in either order.
    for client, may_define in [(reviewer_client, True), (reporter_client, False)] * 2:
        page = client.get(progress_url(compact)).content.decode()
        assert "not defined yet" in page or "pas encore défini" in page
        assert (edit in page) is may_define


def test_cached_progress_equals_the_computed_one(tokened, reviewer, submitted_submission):  # type: ignore[no-untyped-def]
    compact = tokened
    services.approve(user=reviewer, submission=submitted_submission)
    computed = selectors.compact_progress(reviewer, compact, year=2024)
    first = selectors.cached_compact_progress(reviewer, compact, year=2024)
    second = selectors.cached_compact_progress(reviewer, compact, year=2024)
    assert second is not first  # a copy from the cache
    for progress in (first, second):
        assert progress.compact is compact
        assert progress.summary == computed.summary
        assert [(r.definition.pk, r.years) for r in progress.rows] == [
            (r.definition.pk, r.years) for r in computed.rows
        ]


# -- the stored parts check (``Submission.parts_add_up``) ----------------------------------------------
def _values(definition: Any, c: dict[str, Any], female: int) -> list[services.ValueInput]:
    return [
        services.ValueInput(value=Decimal(10)),
        services.ValueInput(category=c["female"], value=Decimal(female)),
        services.ValueInput(category=c["male"], value=Decimal(4)),
    ]


def test_save_submission_stores_whether_the_parts_add_up(  # type: ignore[no-untyped-def]
    reporter, reviewer, definition, standard_categories
):
    c = standard_categories
    ok = services.save_submission(
        user=reporter, definition=definition, period="2023", values=_values(definition, c, 6)
    )
    bad = services.save_submission(
        user=reporter, definition=definition, period="2024", values=_values(definition, c, 5)
    )
    assert (ok.parts_add_up, bad.parts_add_up) == (True, False)
    bad = services.save_submission(
        user=reporter,
        definition=definition,
        period="2024",
        values=_values(definition, c, 6),
        submission=bad,
        version=bad.version,
    )
    assert Submission.objects.get(pk=bad.pk).parts_add_up is True
    # No history record of its own: the check is derived from the values.
    assert bad.history.count() == 2


@pytest.mark.parametrize("stored", [False, True])
def test_progress_flags_are_the_same_with_the_stored_check(  # type: ignore[no-untyped-def]
    reviewer, compact, reporter_org, standard_categories, stored
):
    """Progress checks the submissions whose parts are not known to add up: with the checks stored
    (as ``save_submission`` does) or not (written otherwise), the flags are the same."""
    c = standard_categories
    definition = make_definition(
        compact,
        reporters=[reporter_org],
        categories=[c["female"], c["male"], c["under-18"], c["age-15-17"], c["age-12-14"]],
    )
    make_submission(definition, reporter_org, "2022", total=10, parts={"female": 6, "male": 4})
    make_submission(definition, reporter_org, "2023", total=10, parts={"female": 6, "male": 3})
    make_submission(
        definition, reporter_org, "2024", total=10, parts={"under-18": 10, "age-15-17": 2, "age-12-14": 3}
    )
    expected = {(2023, "sex", None), (2024, "age", c["under-18"].pk)}
    if stored:
        services.record_parts_check(Submission.objects.filter(definition=definition))
        assert sorted(Submission.objects.values_list("year", "parts_add_up")) == [
            (2022, True),
            (2023, False),
            (2024, False),
        ]
    progress = selectors.compact_progress(reviewer, compact, year=2024)
    flags = {(int(f.period), f.dimension, f.parent_id) for f in progress.flags}
    assert flags == expected
    detail = selectors.indicator_progress(reviewer, compact, definition, year=2024)
    assert {(int(f.period), f.dimension, f.parent_id) for f in detail.flags} == expected
    if stored:
        # What is stored as adding up is not checked again (the values cannot change once submitted).
        Submission.objects.filter(year=2023).update(parts_add_up=True)
        progress = selectors.compact_progress(reviewer, compact, year=2024)
        assert {(int(f.period), f.dimension, f.parent_id) for f in progress.flags} == {
            (2024, "age", c["under-18"].pk)
        }
