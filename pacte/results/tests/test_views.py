"""The results pages: who sees what (officer, reviewer, reporter, observer, outsider), what they may do,
bad input re-rendered with status 400 and field-level messages, concurrent edits refused, evidence
downloads checked.

Fixtures: ``pacte/results/tests/conftest.py`` (reporter, reviewer, definitions, submissions) on the
root ``compact`` / ``officer`` / ``observer`` / ``outsider``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pacte.compacts.factories import IndicatorFactory, ObjectiveFactory
from pacte.compacts.models import Pillar
from pacte.results import charts, services
from pacte.results.factories import EvidenceFactory, make_definition, make_submission
from pacte.results.models import IndicatorDefinition, Submission, Target

Status = Submission.Status
Unit = IndicatorDefinition.Unit


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English."""
    with translation.override("en"):
        yield


def _in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# The pages follow the language cookie (then the user's preference, French): these clients read English.
@pytest.fixture
def officer_client(officer_client):
    return _in_english(officer_client)


@pytest.fixture
def reviewer_client(reviewer_client):
    return _in_english(reviewer_client)


@pytest.fixture
def reporter_client(reporter_client):
    return _in_english(reporter_client)


@pytest.fixture
def observer_client(observer_client):
    return _in_english(observer_client)


@pytest.fixture
def outsider_client(outsider_client):
    return _in_english(outsider_client)


@pytest.fixture
def clients(officer_client, reviewer_client, reporter_client, observer_client, outsider_client):
    return {
        "officer": officer_client,
        "reviewer": reviewer_client,
        "reporter": reporter_client,
        "observer": observer_client,
        "outsider": outsider_client,
    }


def url(name: str, compact, *args) -> str:
    return reverse(f"results:{name}", args=[compact.pk, *args])


def text(response) -> str:
    return response.content.decode()


def errors_of(response) -> str:
    """The error messages shown on a page (field-level and above the form), one per line."""
    found = re.findall(r'class="usa-error-message"[^>]*>(.*?)</span>', text(response), re.S)
    found += re.findall(r'<p class="usa-alert__text">(.*?)</p>', text(response), re.S)
    found += re.findall(r'id="values-errors"[^>]*>(.*?)</div>', text(response), re.S)
    return "\n".join(found)


def count_payload(period: str = "2025", total: str = "12", **extra: str) -> dict[str, str]:
    return {"period": period, "total_value": total, **extra}


# -- anonymous and outsiders ----------------------------------------------------------------------------
def _all_urls(compact, definition, submission, evidence=None) -> list[str]:
    urls = [
        url("progress", compact),
        url("indicator", compact, definition.pk),
        url("indicator_chart", compact, definition.pk),
        url("definitions", compact),
        url("definition_edit", compact, definition.indicator_id),
        url("targets_edit", compact, definition.pk),
        url("submissions", compact),
        url("submission_create", compact, definition.pk),
        url("submission", compact, submission.pk),
        url("submission_edit", compact, submission.pk),
        url("submission_transition", compact, submission.pk, "submit"),
        url("lock_period", compact),
    ]
    if evidence is not None:
        urls.append(url("evidence_download", compact, submission.pk, evidence.pk))
    return urls


def test_anonymous_users_are_sent_to_the_login_page(client, compact, definition, draft_submission) -> None:
    for address in _all_urls(compact, definition, draft_submission):
        response = client.get(address)
        assert response.status_code == 302, address
        assert "/accounts/login/" in response["Location"]


def test_outsider_gets_404_everywhere_whatever_the_method(
    outsider_client, compact, definition, draft_submission
) -> None:
    evidence = EvidenceFactory(submission=draft_submission)
    for address in _all_urls(compact, definition, draft_submission, evidence):
        assert outsider_client.get(address).status_code == 404, address
        assert outsider_client.post(address, {"period": "2024"}).status_code == 404, address


def test_unknown_records_answer_404(officer_client, compact, definition) -> None:
    assert officer_client.get(url("indicator", compact, 999999)).status_code == 404
    assert officer_client.get(url("submission", compact, 999999)).status_code == 404
    assert officer_client.get(url("definition_edit", compact, 999999)).status_code == 404
    assert officer_client.get(url("targets_edit", compact, 999999)).status_code == 404


def test_a_definition_of_another_compact_is_404(officer_client, compact, definition) -> None:
    other = make_definition()  # another compact the officer does not see
    assert officer_client.get(url("indicator", compact, other.pk)).status_code == 404
    assert officer_client.get(url("definition_edit", compact, other.indicator_id)).status_code == 404


# -- progress -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["officer", "reviewer", "reporter", "observer"])
def test_everyone_who_sees_the_compact_sees_progress(who, clients, compact, definition) -> None:
    response = clients[who].get(url("progress", compact))
    assert response.status_code == 200
    assert definition.indicator.name in text(response)
    assert url("indicator", compact, definition.pk) in text(response)


def test_progress_shows_approved_values_only(
    clients, compact, definition, reporter_org, other_reporter_org
) -> None:
    Target.objects.create(definition=definition, year=2023, value=Decimal(100))
    make_submission(definition, reporter_org, "2023", total=1234, status=Status.APPROVED)
    make_submission(definition, other_reporter_org, "2023", total=55555, status=Status.SUBMITTED)
    for who in ("officer", "observer", "reporter"):
        response = clients[who].get(url("progress", compact), {"year": 2023})
        page = text(response)
        row = re.search(rf'<tr id="indicator-{definition.pk}">.*?</tr>', page, re.S)
        assert row is not None
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
        assert "1,234" in cells[2]  # actual
        assert "100" in cells[1]  # target
        assert "+1,134" in cells[3]  # variance
        assert "Met" in cells[4]
        assert "55,555" not in page


def test_progress_year_selector(officer_client, compact, definition, reporter_org) -> None:
    make_submission(definition, reporter_org, "2023", total=7, status=Status.APPROVED)
    make_submission(definition, reporter_org, "2025", total=9000, status=Status.APPROVED)
    page_2023 = text(officer_client.get(url("progress", compact), {"year": "2023"}))
    assert '<option value="2023" selected>' in page_2023
    assert "9,000" not in page_2023  # later years are not counted
    page_2025 = text(officer_client.get(url("progress", compact), {"year": "2025"}))
    assert "9,000" in page_2025
    # Nonsense years fall back to the default year instead of failing.
    assert officer_client.get(url("progress", compact), {"year": "abc"}).status_code == 200
    assert officer_client.get(url("progress", compact), {"year": "1999"}).status_code == 200


def test_progress_percent_change_shows_na_and_absolute_change(officer_client, compact, reporter_org) -> None:
    change = make_definition(
        compact,
        reporters=[reporter_org],
        unit=Unit.PERCENT_CHANGE,
        baseline_value=Decimal(0),
        baseline_year=2022,
    )
    make_submission(change, reporter_org, "2023", total=30, status=Status.APPROVED)
    page = text(officer_client.get(url("progress", compact), {"year": 2023}))
    row = re.search(rf'<tr id="indicator-{change.pk}">.*?</tr>', page, re.S)
    assert row is not None
    assert "n/a" in row.group(0)
    assert "+30 in absolute terms" in row.group(0)

    growth = make_definition(
        compact,
        reporters=[reporter_org],
        unit=Unit.PERCENT_CHANGE,
        baseline_value=Decimal(20),
        baseline_year=2022,
    )
    make_submission(growth, reporter_org, "2023", total=30, status=Status.APPROVED)
    page = text(officer_client.get(url("progress", compact), {"year": 2023}))
    row = re.search(rf'<tr id="indicator-{growth.pk}">.*?</tr>', page, re.S)
    assert row is not None
    assert "+50 %" in row.group(0)
    assert "+10 in absolute terms" in row.group(0)


def test_progress_gaps_summary_flags_and_demo_tag(
    officer_client, compact, definition, reporter_org, standard_categories
) -> None:
    protection = ObjectiveFactory(compact=compact, pillar=Pillar.PROTECTION, number=2)
    undefined = IndicatorFactory(objective=definition.indicator.objective, name="Indicateur sans définition")
    make_submission(
        definition,
        reporter_org,
        "2023",
        total=10,
        parts={"female": 3, "male": 4},
        status=Status.APPROVED,
        is_demo=True,
    )
    page = text(officer_client.get(url("progress", compact), {"year": 2023}))
    gaps = re.search(r'<section class="usa-alert usa-alert--warning[^"]*pacte-gaps".*?</section>', page, re.S)
    assert gaps is not None
    assert f"Objective {protection.number} (Protection) has no indicator." in gaps.group(0)
    assert f'href="#objective-{protection.pk}"' in gaps.group(0)
    assert "Indicateur sans définition" in gaps.group(0)
    assert undefined.name in page
    assert 'id="demo-tag"' in page
    assert "Demonstration data" in page
    # Summary counts and the flag of parts that do not add up (3 + 4 ≠ 10).
    assert "2 indicators" in page
    assert "1 with approved data" in page
    assert "Sex, 2023" in page and "parts add up to 7, not 10" in page


def test_progress_without_demo_values_has_no_demo_tag(
    officer_client, compact, definition, reporter_org
) -> None:
    make_submission(definition, reporter_org, "2023", total=10, status=Status.APPROVED)
    page = text(officer_client.get(url("progress", compact), {"year": 2023}))
    assert "Demonstration data" not in page


def test_observer_does_not_see_non_public_indicators(
    observer_client, officer_client, compact, reporter_org
) -> None:
    objective = ObjectiveFactory(compact=compact)
    secret = make_definition(
        compact,
        indicator=IndicatorFactory(
            objective=objective, name="Indicateur confidentiel", visibility="non_public"
        ),
    )
    assert "Indicateur confidentiel" not in text(observer_client.get(url("progress", compact)))
    assert "Indicateur confidentiel" in text(officer_client.get(url("progress", compact)))
    assert observer_client.get(url("indicator", compact, secret.pk)).status_code == 404
    assert observer_client.get(url("indicator_chart", compact, secret.pk)).status_code == 404


def test_progress_query_count_does_not_grow_with_data(
    officer_client, compact, reporter_org, django_assert_max_num_queries
) -> None:
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert officer_client.get(url("progress", compact), {"year": 2024}).status_code == 200
        return len(ctx.captured_queries)

    make_definition(compact, reporters=[reporter_org])
    queries()  # the first request of the test fills Django's caches (content types…)
    small = queries()
    for _ in range(6):
        d = make_definition(compact, reporters=[reporter_org])
        Target.objects.create(definition=d, year=2024, value=Decimal(5))
        for period in ("2023", "2024"):
            make_submission(d, reporter_org, period, total=3, status=Status.APPROVED)
    assert queries() == small


# -- indicator detail and chart ----------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["officer", "reviewer", "reporter", "observer"])
def test_indicator_detail_with_chart_and_table(who, clients, compact, definition, reporter_org) -> None:
    Target.objects.create(definition=definition, year=2023, value=Decimal(20))
    make_submission(definition, reporter_org, "2023", total=12, status=Status.APPROVED)
    make_submission(definition, reporter_org, "2024", total=777, status=Status.DRAFT)
    response = clients[who].get(url("indicator", compact, definition.pk))
    assert response.status_code == 200
    page = text(response)
    assert '<svg class="pacte-chart"' in page
    assert f'aria-labelledby="chart-{definition.pk}-title chart-{definition.pk}-desc"' in page
    assert "<title" in page and "<desc" in page
    years = re.search(r'<table[^>]*id="indicator-years".*?</table>', page, re.S)
    assert years is not None and "2023" in years.group(0) and "12" in years.group(0)
    # The reporter sees its own draft in the list of submissions, the observer does not.
    assert ("777" in page) is False  # drafts never count in figures
    if who == "observer":
        assert url("submission", compact, definition.submissions.get(period="2024").pk) not in page


def test_indicator_detail_report_button_only_for_reporters(clients, compact, definition) -> None:
    create = url("submission_create", compact, definition.pk)
    assert create in text(clients["reporter"].get(url("indicator", compact, definition.pk)))
    assert create in text(clients["officer"].get(url("indicator", compact, definition.pk)))
    assert create not in text(clients["observer"].get(url("indicator", compact, definition.pk)))
    assert create not in text(clients["reviewer"].get(url("indicator", compact, definition.pk)))


def test_indicator_chart_is_standalone_svg(
    officer_client, observer_client, compact, definition, reporter_org
) -> None:
    make_submission(definition, reporter_org, "2023", total=12, status=Status.APPROVED)
    for client in (officer_client, observer_client):
        response = client.get(url("indicator_chart", compact, definition.pk))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/svg+xml")
        body = text(response)
        assert body.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        assert 'role="img"' in body and "</svg>" in body


def test_chart_is_pure_and_escapes_text() -> None:
    svg = charts.progress_chart(
        title="<script>alert(1)</script>",
        points=[
            charts.ChartPoint("2023", Decimal(10), Decimal(12)),
            charts.ChartPoint("2024", None, Decimal(20)),
        ],
        baseline=Decimal(5),
        chart_id="c1",
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count('class="pacte-chart-actual-point"') == 1
    assert svg.count('class="pacte-chart-target-point"') == 2
    assert 'class="pacte-chart-baseline"' in svg
    assert "No approved value yet." in charts.progress_chart(title="t", points=[charts.ChartPoint("2023")])


# -- definitions and targets -----------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["officer", "reviewer", "reporter", "observer"])
def test_definitions_list(who, clients, compact, definition) -> None:
    undefined = IndicatorFactory(objective=definition.indicator.objective, name="Indicateur à définir")
    response = clients[who].get(url("definitions", compact))
    assert response.status_code == 200
    page = text(response)
    assert definition.indicator.name in page
    assert undefined.name in page
    can_define = who in ("officer", "reviewer")
    assert (url("definition_edit", compact, undefined.pk) in page) is can_define
    assert (url("targets_edit", compact, definition.pk) in page) is can_define


@pytest.mark.parametrize(
    ("who", "status"), [("officer", 200), ("reviewer", 200), ("reporter", 403), ("observer", 403)]
)
def test_definition_and_targets_forms_need_define_indicators(
    who, status, clients, compact, definition
) -> None:
    client = clients[who]
    assert client.get(url("definition_edit", compact, definition.indicator_id)).status_code == status
    assert client.get(url("targets_edit", compact, definition.pk)).status_code == status
    if status == 403:
        assert client.post(url("definition_edit", compact, definition.indicator_id), {}).status_code == 403
        assert (
            client.post(url("targets_edit", compact, definition.pk), {"target_2024": "5"}).status_code == 403
        )
        assert not definition.targets.exists()


def _definition_payload(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "unit": "count",
        "unit_label": "enfants identifiés",
        "direction": "increase",
        "cumulation": "per_period",
        "frequency": "annual",
        "baseline_value": "40",
        "baseline_year": "2022",
        "baseline_source": "Rapport CNS 2022",
    }
    data.update(overrides)
    return data


def test_reviewer_defines_an_indicator(reviewer_client, compact, reporter_org, standard_categories) -> None:
    indicator = IndicatorFactory(objective=ObjectiveFactory(compact=compact))
    form_page = text(reviewer_client.get(url("definition_edit", compact, indicator.pk)))
    # Check boxes grouped by dimension (one fieldset per dimension), reporters among participants.
    assert 'name="categories_sex"' in form_page and 'name="categories_age"' in form_page
    assert "Female" in form_page and "15–17 years" in form_page
    assert reporter_org.name in form_page
    payload = _definition_payload(
        categories_sex=[standard_categories["female"].pk, standard_categories["male"].pk],
        categories_age=[standard_categories["under-18"].pk],
        reporters=[reporter_org.pk],
    )
    response = reviewer_client.post(url("definition_edit", compact, indicator.pk), payload)
    assert response.status_code == 302
    definition = IndicatorDefinition.objects.get(indicator=indicator)
    assert response["Location"].endswith(f"#definition-{definition.pk}")
    assert definition.baseline_value == 40
    assert set(definition.categories.values_list("code", flat=True)) == {"female", "male", "under-18"}
    assert list(definition.reporters.all()) == [reporter_org]


def test_definition_bad_input_is_400_with_field_messages(officer_client, compact, definition) -> None:
    address = url("definition_edit", compact, definition.indicator_id)
    # A percentage baseline needs a numerator and a denominator (the service's rule).
    response = officer_client.post(
        address,
        _definition_payload(
            unit="percentage",
            baseline_numerator="30",
            baseline_denominator="",
            version=definition.version,
            reporters=[],
        ),
    )
    assert response.status_code == 400
    assert "Give the baseline denominator as well as the numerator." in errors_of(response)
    assert 'id="id_baseline_denominator_error"' in text(response)
    # A value of the wrong type is refused by the form itself.
    response = officer_client.post(
        address, _definition_payload(baseline_value="beaucoup", version=definition.version)
    )
    assert response.status_code == 400
    assert 'id="id_baseline_value_error"' in text(response)
    definition.refresh_from_db()
    assert definition.unit == Unit.COUNT


def test_definition_concurrent_edit_is_refused(officer_client, reviewer_client, compact, definition) -> None:
    address = url("definition_edit", compact, definition.indicator_id)
    version = definition.version
    first = reviewer_client.post(address, _definition_payload(unit_label="premier", version=version))
    assert first.status_code == 302
    second = officer_client.post(address, _definition_payload(unit_label="second", version=version))
    assert second.status_code == 409
    assert "Someone else saved this indicator definition" in errors_of(second)
    definition.refresh_from_db()
    assert definition.unit_label == "premier"


def test_targets_form_has_one_field_per_year_and_saves(officer_client, compact, definition) -> None:
    address = url("targets_edit", compact, definition.pk)
    page = text(officer_client.get(address))
    for year in range(2022, 2028):
        assert f'name="target_{year}"' in page
    assert 'name="version"' in page
    response = officer_client.post(
        address, {"target_2023": "50", "target_2024": "80", "target_2025": "", "version": definition.version}
    )
    assert response.status_code == 302
    assert dict(definition.targets.values_list("year", "value")) == {2023: Decimal(50), 2024: Decimal(80)}


def test_targets_bad_input_and_conflict(officer_client, reviewer_client, compact, definition) -> None:
    address = url("targets_edit", compact, definition.pk)
    response = officer_client.post(address, {"target_2024": "-5", "version": definition.version})
    assert response.status_code == 400
    assert 'id="id_target_2024_error"' in text(response)
    assert "a target cannot be negative" in errors_of(response)
    response = officer_client.post(address, {"target_2024": "douze", "version": definition.version})
    assert response.status_code == 400
    assert 'id="id_target_2024_error"' in text(response)
    assert not definition.targets.exists()
    version = definition.version
    assert reviewer_client.post(address, {"target_2024": "10", "version": version}).status_code == 302
    stale = officer_client.post(address, {"target_2024": "99", "version": version})
    assert stale.status_code == 409
    assert "Someone else saved this indicator definition" in errors_of(stale)
    assert definition.targets.get().value == 10


# -- submissions list ----------------------------------------------------------------------------------------
def test_submissions_list_per_user(
    clients, compact, definition, draft_submission, submitted_submission, other_reporter_org
) -> None:
    approved = make_submission(definition, other_reporter_org, "2023", total=5, status=Status.APPROVED)
    other_draft = make_submission(definition, other_reporter_org, "2024", total=5, status=Status.DRAFT)

    def listed(who: str, **query: str) -> set[int]:
        response = clients[who].get(url("submissions", compact), query)
        assert response.status_code == 200
        return {
            int(pk)
            for pk in re.findall(rf"/compacts/{compact.pk}/results/submissions/(\d+)/", text(response))
        }

    assert listed("reporter") == {draft_submission.pk, submitted_submission.pk, approved.pk}
    assert listed("reviewer") == {submitted_submission.pk, approved.pk}
    assert listed("observer") == {approved.pk}
    assert other_draft.pk not in listed("officer")
    # Filters.
    assert listed("reviewer", show="review") == {submitted_submission.pk}
    assert listed("reporter", show="mine") == {draft_submission.pk, submitted_submission.pk}
    assert listed("reporter", status="draft") == {draft_submission.pk}
    assert listed("reporter", period="2024") == {submitted_submission.pk}
    assert listed("reporter", organisation=str(other_reporter_org.pk)) == {approved.pk}
    assert listed("observer", status="draft") == set()
    # Unknown filter values are ignored, not errors.
    assert clients["reporter"].get(url("submissions", compact), {"status": "bogus"}).status_code == 200


def test_submissions_list_offers_reporting_and_locking_to_the_right_people(
    clients, compact, definition
) -> None:
    create = url("submission_create", compact, definition.pk)
    lock = url("lock_period", compact)
    assert create in text(clients["reporter"].get(url("submissions", compact)))
    assert lock not in text(clients["reporter"].get(url("submissions", compact)))
    assert lock in text(clients["reviewer"].get(url("submissions", compact)))
    assert create not in text(clients["observer"].get(url("submissions", compact)))
    assert lock not in text(clients["observer"].get(url("submissions", compact)))


# -- creating and editing submissions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"), [("reporter", 200), ("officer", 200), ("reviewer", 403), ("observer", 403)]
)
def test_who_may_open_the_submission_form(who, status, clients, compact, definition) -> None:
    response = clients[who].get(url("submission_create", compact, definition.pk))
    assert response.status_code == status
    post = clients[who].post(url("submission_create", compact, definition.pk), count_payload())
    assert post.status_code == (302 if status == 200 and who == "reporter" else post.status_code)
    if status == 403:
        assert post.status_code == 403
        assert not Submission.objects.filter(period="2025").exists()


def test_submission_form_has_one_row_per_category(
    reporter_client, compact, definition, standard_categories
) -> None:
    page = text(reporter_client.get(url("submission_create", compact, definition.pk)))
    assert 'name="total_value"' in page
    for code in ("female", "male", "other-or-unknown", "under-18", "18-and-over"):
        assert f'name="{standard_categories[code].pk}_value"' in page
    assert f'name="{standard_categories["age-15-17"].pk}_value"' not in page
    assert '<option value="2022">' in page and '<option value="2027">' in page
    assert 'name="evidence"' in page and 'enctype="multipart/form-data"' in page


def test_reporter_creates_a_draft_with_parts_and_evidence(
    reporter_client, reporter, reporter_org, compact, definition, standard_categories
) -> None:
    c = standard_categories
    payload = count_payload(
        "2025",
        "12",
        comment="Chiffres du premier rapport",
        evidence_description="Liste de présence",
        **{f"{c['female'].pk}_value": "7", f"{c['male'].pk}_value": "5"},
    )
    payload["evidence"] = SimpleUploadedFile("liste.pdf", b"%PDF-1.4 liste", content_type="application/pdf")
    response = reporter_client.post(url("submission_create", compact, definition.pk), payload)
    assert response.status_code == 302
    submission = Submission.objects.get(definition=definition, period="2025")
    assert response["Location"] == url("submission", compact, submission.pk)
    assert submission.status == Status.DRAFT
    assert submission.organisation == reporter_org
    values = {v.category_id: v.value for v in submission.values.all()}
    assert values == {None: 12, c["female"].pk: 7, c["male"].pk: 5}
    evidence = submission.evidence.get()
    assert evidence.description == "Liste de présence"
    assert evidence.uploaded_by == reporter


def test_save_and_submit_in_one_step(reporter_client, compact, definition) -> None:
    response = reporter_client.post(
        url("submission_create", compact, definition.pk), {**count_payload(), "submit": ""}
    )
    assert response.status_code == 302
    assert Submission.objects.get(period="2025").status == Status.SUBMITTED


def test_officer_reports_on_behalf_of_a_reporter(
    officer_client, compact, definition, other_reporter_org
) -> None:
    page = text(officer_client.get(url("submission_create", compact, definition.pk)))
    assert 'name="organisation"' in page
    response = officer_client.post(
        url("submission_create", compact, definition.pk),
        count_payload(organisation=str(other_reporter_org.pk)),
    )
    assert response.status_code == 302
    assert Submission.objects.get(period="2025").organisation == other_reporter_org


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"period": "2031", "total_value": "3"}, "period", "2031 is outside the term of the compact"),
        ({"period": "", "total_value": "3"}, "period", "Give the period"),
        ({"period": "2024Q1", "total_value": "3"}, "period", "is not such a period"),
        ({"period": "2025", "total_value": "-3"}, "row-total", "a count cannot be negative"),
        ({"period": "2025", "total_value": "2.5"}, "row-total", "a count is a whole number"),
        ({"period": "2025", "total_value": ""}, "row-total", "Give the total."),
        ({"period": "2025", "total_value": "douze"}, "id_total_value", "Enter a number."),
    ],
)
def test_submission_bad_input_is_400_with_field_messages(
    payload, field, message, reporter_client, compact, definition
) -> None:
    response = reporter_client.post(url("submission_create", compact, definition.pk), payload)
    assert response.status_code == 400
    page = text(response)
    if field == "period":
        error = re.search(r'id="id_period_error"[^>]*>(.*?)</span>', page, re.S)
    elif field == "row-total":
        error = re.search(r'id="row-total-error"[^>]*>(.*?)</span>', page, re.S)
    else:
        error = re.search(rf'id="{field}_error"[^>]*>(.*?)</span>', page, re.S)
    assert error is not None, page
    assert message in error.group(1)
    assert not Submission.objects.filter(definition=definition).exists()


def test_a_bad_part_is_shown_next_to_its_row(
    reporter_client, compact, definition, standard_categories
) -> None:
    male = standard_categories["male"]
    response = reporter_client.post(
        url("submission_create", compact, definition.pk), count_payload(**{f"{male.pk}_value": "-1"})
    )
    assert response.status_code == 400
    error = re.search(rf'id="row-{male.pk}-error"[^>]*>(.*?)</span>', text(response), re.S)
    assert error is not None and "Male: a count cannot be negative" in error.group(1)
    assert f'aria-describedby="row-{male.pk}-error"' in text(response)


def test_duplicate_submission_is_refused_on_the_period(
    reporter_client, compact, definition, draft_submission
) -> None:
    response = reporter_client.post(url("submission_create", compact, definition.pk), count_payload("2023"))
    assert response.status_code == 400
    error = re.search(r'id="id_period_error"[^>]*>(.*?)</span>', text(response), re.S)
    assert error is not None and "has already reported this indicator for 2023" in error.group(1)


def test_percentage_rows_have_numerator_and_denominator(
    reporter_client, compact, percentage_definition
) -> None:
    address = url("submission_create", compact, percentage_definition.pk)
    page = text(reporter_client.get(address))
    assert 'name="total_numerator"' in page and 'name="total_denominator"' in page
    response = reporter_client.post(
        address, {"period": "2025", "total_numerator": "30", "total_denominator": "20"}
    )
    assert response.status_code == 400
    error = re.search(r'id="row-total-error"[^>]*>(.*?)</span>', text(response), re.S)
    assert error is not None and "cannot exceed the denominator" in error.group(1)
    response = reporter_client.post(
        address, {"period": "2025", "total_numerator": "30", "total_denominator": "100"}
    )
    assert response.status_code == 302
    submission = Submission.objects.get(definition=percentage_definition)
    value = submission.values.get(category=None)
    assert (value.numerator, value.denominator) == (30, 100)
    page = text(reporter_client.get(url("submission", compact, submission.pk)))
    values = re.search(r'id="submission-values".*?</table>', page, re.S)
    assert values is not None and "30 %" in values.group(0)


def test_milestone_and_qualitative_forms(reporter_client, compact, reporter_org) -> None:
    milestone = make_definition(compact, reporters=[reporter_org], unit=Unit.MILESTONE)
    page = text(reporter_client.get(url("submission_create", compact, milestone.pk)))
    assert '<select name="total_value"' in page and '<option value="1">Yes</option>' in page
    assert (
        reporter_client.post(
            url("submission_create", compact, milestone.pk), {"period": "2025", "total_value": "1"}
        ).status_code
        == 302
    )
    assert Submission.objects.get(definition=milestone).values.get().value == 1

    qualitative = make_definition(compact, reporters=[reporter_org], unit=Unit.QUALITATIVE)
    address = url("submission_create", compact, qualitative.pk)
    assert '<textarea name="total_text"' in text(reporter_client.get(address))
    assert reporter_client.post(address, {"period": "2025", "total_text": ""}).status_code == 400
    assert reporter_client.post(address, {"period": "2025", "total_text": "Plan adopté"}).status_code == 302
    assert Submission.objects.get(definition=qualitative).values.get().text == "Plan adopté"


def test_edit_a_draft_and_concurrent_edits(
    reporter_client, reporter, compact, definition, draft_submission, standard_categories
) -> None:
    address = url("submission_edit", compact, draft_submission.pk)
    page = text(reporter_client.get(address))
    assert 'value="10"' in page  # the total, shown without decimals
    assert f'name="version" value="{draft_submission.version}"' in page
    version = draft_submission.version
    first = reporter_client.post(address, {"total_value": "11", "version": version})
    assert first.status_code == 302
    second = reporter_client.post(address, {"total_value": "99", "version": version})
    assert second.status_code == 409
    assert "Someone else saved this submission since you opened it" in errors_of(second)
    assert draft_submission.values.get(category=None).value == 11


def test_a_submitted_submission_cannot_be_edited(reporter_client, compact, submitted_submission) -> None:
    address = url("submission_edit", compact, submitted_submission.pk)
    response = reporter_client.get(address)
    assert response.status_code == 302
    assert response["Location"] == url("submission", compact, submitted_submission.pk)
    assert reporter_client.post(address, {"total_value": "99"}).status_code == 302
    assert submitted_submission.values.get(category=None).value == 10


def test_observer_and_reviewer_cannot_edit(clients, compact, draft_submission, submitted_submission) -> None:
    # Drafts are invisible to both (404); a submitted one is visible to the reviewer, who may not edit.
    assert clients["observer"].get(url("submission_edit", compact, draft_submission.pk)).status_code == 404
    assert clients["reviewer"].get(url("submission_edit", compact, draft_submission.pk)).status_code == 404
    assert (
        clients["reviewer"].get(url("submission_edit", compact, submitted_submission.pk)).status_code == 403
    )


# -- submission detail and workflow --------------------------------------------------------------------------
def test_submission_detail_per_user(clients, compact, draft_submission, submitted_submission) -> None:
    draft_url = url("submission", compact, draft_submission.pk)
    submitted_url = url("submission", compact, submitted_submission.pk)
    assert clients["reporter"].get(draft_url).status_code == 200
    assert clients["officer"].get(submitted_url).status_code == 200
    assert clients["reviewer"].get(submitted_url).status_code == 200
    assert clients["reviewer"].get(draft_url).status_code == 404
    assert clients["observer"].get(draft_url).status_code == 404
    assert clients["observer"].get(submitted_url).status_code == 404


def test_submission_detail_shows_values_flags_history_and_actions(
    clients, compact, definition, reporter_org
) -> None:
    submission = make_submission(
        definition, reporter_org, "2023", total=10, parts={"female": 6, "male": 3}, status=Status.SUBMITTED
    )
    page = text(clients["reviewer"].get(url("submission", compact, submission.pk)))
    values = re.search(r'id="submission-values".*?</table>', page, re.S)
    assert values is not None and "Female" in values.group(0) and "6" in values.group(0)
    flags = re.search(r'id="disaggregation-flags".*?</div>\s*</div>', page, re.S)
    assert flags is not None and "Sex: the parts add up to 9, not 10." in flags.group(0)
    assert 'id="submission-history"' in page
    for action in ("approve", "return"):
        assert url("submission_transition", compact, submission.pk, action) in page
    assert url("submission_transition", compact, submission.pk, "reopen") not in page
    # The reporter sees no review buttons on its own submission; the observer sees none at all.
    reporter_page = text(clients["reporter"].get(url("submission", compact, submission.pk)))
    assert url("submission_transition", compact, submission.pk, "approve") not in reporter_page


def test_submit_approve_then_progress_counts_it(
    reporter_client, reviewer_client, observer_client, compact, definition, draft_submission
) -> None:
    submit = reporter_client.post(
        url("submission_transition", compact, draft_submission.pk, "submit"),
        {"version": draft_submission.version},
    )
    assert submit.status_code == 302
    draft_submission.refresh_from_db()
    assert draft_submission.status == Status.SUBMITTED
    approve = reviewer_client.post(
        url("submission_transition", compact, draft_submission.pk, "approve"),
        {"version": draft_submission.version},
    )
    assert approve.status_code == 302
    draft_submission.refresh_from_db()
    assert draft_submission.status == Status.APPROVED
    # Now the observer sees it and the progress counts it.
    assert observer_client.get(url("submission", compact, draft_submission.pk)).status_code == 200
    page = text(observer_client.get(url("progress", compact), {"year": 2023}))
    row = re.search(rf'<tr id="indicator-{definition.pk}">.*?</tr>', page, re.S)
    assert row is not None and re.search(r'pacte-actual">\s*10', row.group(0))


def test_return_needs_a_comment_and_reopen(reviewer_client, compact, submitted_submission) -> None:
    address = url("submission_transition", compact, submitted_submission.pk, "return")
    page = text(reviewer_client.get(address))
    assert 'name="comment"' in page
    response = reviewer_client.post(address, {"comment": "", "version": submitted_submission.version})
    assert response.status_code == 400
    assert 'id="id_comment_error"' in text(response)
    submitted_submission.refresh_from_db()
    assert submitted_submission.status == Status.SUBMITTED
    response = reviewer_client.post(
        address, {"comment": "Le total ne correspond pas", "version": submitted_submission.version}
    )
    assert response.status_code == 302
    submitted_submission.refresh_from_db()
    assert submitted_submission.status == Status.RETURNED
    assert submitted_submission.review_comment == "Le total ne correspond pas"


def test_reopen_an_approved_submission(reviewer_client, compact, definition, other_reporter_org) -> None:
    approved = make_submission(definition, other_reporter_org, "2023", total=5, status=Status.APPROVED)
    address = url("submission_transition", compact, approved.pk, "reopen")
    assert reviewer_client.post(address, {"comment": "", "version": approved.version}).status_code == 400
    assert (
        reviewer_client.post(
            address, {"comment": "Erreur de saisie", "version": approved.version}
        ).status_code
        == 302
    )
    approved.refresh_from_db()
    assert approved.status == Status.RETURNED


def test_stale_transition_is_refused(reporter_client, reviewer_client, compact, submitted_submission) -> None:
    stale = (
        submitted_submission.version - 1
        if submitted_submission.version > 1
        else submitted_submission.version + 5
    )
    response = reviewer_client.post(
        url("submission_transition", compact, submitted_submission.pk, "approve"), {"version": stale}
    )
    assert response.status_code == 409
    assert "Someone else saved this submission" in errors_of(response)
    submitted_submission.refresh_from_db()
    assert submitted_submission.status == Status.SUBMITTED


def test_transition_permissions(
    clients, compact, submitted_submission, definition, other_reporter_org
) -> None:
    approve = url("submission_transition", compact, submitted_submission.pk, "approve")
    # Reporters and observers may not review (403 / 404 for what they cannot see).
    assert clients["reporter"].post(approve, {}).status_code == 403
    assert clients["observer"].post(approve, {}).status_code == 404
    approved = make_submission(definition, other_reporter_org, "2023", total=5, status=Status.APPROVED)
    assert (
        clients["observer"]
        .post(url("submission_transition", compact, approved.pk, "reopen"), {"comment": "x"})
        .status_code
        == 403
    )
    # Unknown actions are 404.
    assert (
        clients["reviewer"]
        .post(url("submission_transition", compact, submitted_submission.pk, "delete"))
        .status_code
        == 404
    )
    submitted_submission.refresh_from_db()
    assert submitted_submission.status == Status.SUBMITTED


def test_reviewer_never_approves_own_organisation(
    compact, definition, reviewer, reviewer_client, reviewer_org
) -> None:
    definition.reporters.add(reviewer_org)
    own = make_submission(definition, reviewer_org, "2023", total=5, status=Status.SUBMITTED)
    page = text(reviewer_client.get(url("submission", compact, own.pk)))
    assert url("submission_transition", compact, own.pk, "approve") not in page
    response = reviewer_client.post(
        url("submission_transition", compact, own.pk, "approve"), {"version": own.version}
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED


# -- evidence ------------------------------------------------------------------------------------------------
def test_evidence_download_permissions(
    clients, compact, definition, draft_submission, other_reporter_org
) -> None:
    evidence = EvidenceFactory(submission=draft_submission)
    address = url("evidence_download", compact, draft_submission.pk, evidence.pk)
    response = clients["reporter"].get(address)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    # A draft's evidence is as invisible as the draft: only its organisation sees it.
    assert clients["officer"].get(address).status_code == 404
    assert clients["observer"].get(address).status_code == 404
    assert clients["reviewer"].get(address).status_code == 404
    # Once approved, everyone who sees the compact may read it.
    approved = make_submission(definition, other_reporter_org, "2023", total=5, status=Status.APPROVED)
    approved_evidence = EvidenceFactory(submission=approved)
    approved_address = url("evidence_download", compact, approved.pk, approved_evidence.pk)
    assert clients["observer"].get(approved_address).status_code == 200
    assert clients["outsider"].get(approved_address).status_code == 404
    # The evidence must belong to the submission of the address.
    assert (
        clients["reporter"].get(url("evidence_download", compact, approved.pk, evidence.pk)).status_code
        == 404
    )
    page = text(clients["observer"].get(url("submission", compact, approved.pk)))
    assert approved_address in page


# -- locking ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"), [("reporter", 403), ("observer", 403), ("officer", 200), ("reviewer", 200)]
)
def test_lock_period_needs_review_results(who, status, clients, compact) -> None:
    assert clients[who].get(url("lock_period", compact)).status_code == status


def test_reviewer_locks_a_period(
    reviewer_client, reporter_client, compact, definition, other_reporter_org
) -> None:
    approved = make_submission(definition, other_reporter_org, "2023", total=5, status=Status.APPROVED)
    response = reviewer_client.post(url("lock_period", compact), {"period": "2023"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.locked
    page = text(reviewer_client.get(url("submission", compact, approved.pk)))
    assert url("submission_transition", compact, approved.pk, "reopen") not in page
    bad = reviewer_client.post(url("lock_period", compact), {"period": "l'an dernier"})
    assert bad.status_code == 400
    assert 'id="id_period_error"' in text(bad)
    assert reporter_client.post(url("lock_period", compact), {"period": "2024"}).status_code == 403


def test_pages_are_in_french_by_default(reporter, compact, definition) -> None:
    client = Client()
    client.force_login(reporter)
    response = client.get(url("progress", compact))
    assert '<html lang="fr">' in text(response)
    with translation.override("fr"):
        assert translation.gettext("Progress") in text(response)


def test_services_value_input_contract() -> None:
    # The form builds ValueInput keyword arguments: the names must match the services' dataclass.
    assert {"category", "value", "numerator", "denominator", "text"} <= set(
        services.ValueInput.__dataclass_fields__
    )
