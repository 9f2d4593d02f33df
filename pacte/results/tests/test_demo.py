"""The demo results (``pacte.results.demo``), loaded by ``manage.py load_demo``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from pacte.accounts.models import User
from pacte.compacts import demo as compact_demo
from pacte.compacts.models import Compact, Indicator, Pillar
from pacte.results import demo, selectors
from pacte.results.models import (
    AnnualReport,
    IndicatorDefinition,
    NarrativeSection,
    Submission,
    Value,
)

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo_compact() -> Compact:
    load_demo()
    return Compact.objects.get(title=compact_demo.TITLE, country=compact_demo.COUNTRY)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every results model, history tables included."""
    return {
        m._meta.label: list(m._default_manager.order_by("pk").values())
        for m in apps.get_app_config("results").get_models()
    }


def expected_statuses() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for spec in demo.INDICATORS:
        for reports in spec.reporters.values():
            for report in reports:
                counts[report.status] += 1
    return dict(counts)


def test_load_demo_twice_changes_nothing() -> None:
    output = load_demo()
    before = snapshot()
    assert before["results.Submission"]
    load_demo()
    assert snapshot() == before
    assert set(demo.load().values()) == {0}  # nothing created the third time either
    assert snapshot() == before
    # One line of summary after the registry's own report.
    assert len(output.strip().splitlines()) == len(load_demo().strip().splitlines())


def test_counts(demo_compact: Compact) -> None:
    annex = sum(len(o["indicators"]) for o in compact_demo.OBJECTIVES)
    definitions = IndicatorDefinition.objects.filter(compact=demo_compact)
    assert definitions.count() == len(demo.INDICATORS) == annex + 1  # + the monitoring indicator
    submissions = Submission.objects.filter(compact=demo_compact)
    by_status = {s: submissions.filter(status=s).count() for s in Submission.Status.values}
    assert {s: n for s, n in by_status.items() if n} == expected_statuses()
    assert by_status["approved"] > by_status["submitted"] > by_status["returned"] == 1
    assert set(submissions.values_list("year", flat=True)) == {2023, 2024, 2025}
    # Approved years 2023 and 2024; 2025 only partly approved (quarterly police operations).
    assert not submissions.filter(year__in=(2023, 2024)).exclude(status="approved").exists()
    assert submissions.filter(year=2025, status="approved").count() == 1
    # 2023 is locked (its quarters too); 2024 is not.
    assert set(submissions.filter(locked=True).values_list("year", flat=True)) == {2023}
    assert not submissions.filter(year=2023, locked=False).exists()
    assert NarrativeSection.objects.filter(compact=demo_compact, year=2024).count() == len(demo.NARRATIVES)
    assert AnnualReport.objects.filter(compact=demo_compact, year=2024).count() == 1
    # Every definition has its reporters, baseline and targets 2023–2027 (the milestone from 2025).
    for definition in definitions.prefetch_related("targets", "reporters"):
        assert definition.reporters.exists()
        assert definition.baseline_year == 2022 and definition.baseline_value is not None
        years = [t.year for t in definition.targets.all()]
        assert years == ([2025, 2026, 2027] if definition.unit == "milestone" else list(range(2023, 2028)))
    units = set(definitions.values_list("unit", flat=True))
    assert units == {"count", "percentage", "percent_change", "milestone"}
    assert definitions.filter(frequency="quarterly").count() == 1


def test_protection_stays_a_gap_and_the_monitoring_indicator(demo_compact: Compact) -> None:
    protection = demo_compact.objectives.get(pillar=Pillar.PROTECTION)
    assert not protection.indicators.exists()
    added = Indicator.objects.get(objective__compact=demo_compact, level=Indicator.Level.MONITORING)
    assert added.objective.pillar == Pillar.PREVENTION and not added.illustrative
    assert added.definition.unit == "percentage"
    officer = User.objects.get(username="officer")
    progress = selectors.compact_progress(officer, demo_compact, year=2024)
    assert [g.objective for g in progress.gaps if g.objective and not g.indicator] == [protection]


def test_everything_is_demo_data(demo_compact: Compact) -> None:
    assert Submission.objects.filter(compact=demo_compact).exists()
    assert not Submission.objects.filter(is_demo=False).exists()
    assert not NarrativeSection.objects.filter(is_demo=False).exists()
    officer = User.objects.get(username="officer")
    progress = selectors.compact_progress(officer, demo_compact, year=2024)
    assert progress.is_demo
    assert all(row.is_demo for row in progress.rows if row.has_data)
    notes = AnnualReport.objects.get(compact=demo_compact, year=2024).notes
    assert notes


def test_rules_applied(demo_compact: Compact) -> None:
    """Written through the services: reviewers never reviewed their own organisation's values, the
    submitted ones were submitted by a user, and the parts of approved values add up."""
    for s in Submission.objects.filter(compact=demo_compact).select_related("reviewed_by", "submitted_by"):
        if s.status in ("approved", "returned"):
            assert s.reviewed_by is not None
            assert s.reviewed_by.organisation_id != s.organisation_id
            assert s.reviewed_by_id != s.submitted_by_id
        if s.status != "draft":
            assert s.submitted_by is not None
    returned = Submission.objects.get(compact=demo_compact, status="returned")
    assert returned.review_comment
    officer = User.objects.get(username="officer")
    progress = selectors.compact_progress(officer, demo_compact, year=2024)
    assert not [f for row in progress.rows for f in row.flags]
    for value in Value.objects.filter(submission__compact=demo_compact, numerator__isnull=False):
        assert value.numerator <= value.denominator


def approved_totals() -> dict[tuple[str, int], list]:
    """(indicator name, year) -> approved totals, straight from ``demo.INDICATORS``."""
    found: dict[tuple[str, int], list] = defaultdict(list)
    for spec in demo.INDICATORS:
        for reports in spec.reporters.values():
            for report in reports:
                if report.status == demo.APPROVED:
                    found[(spec.name, int(report.period[:4]))].append(report.total)
    return found


def test_progress_counts_only_approved_values(demo_compact: Compact) -> None:
    officer = User.objects.get(username="officer")
    expected = approved_totals()
    progress = selectors.compact_progress(officer, demo_compact, year=2025)
    specs = {spec.name: spec for spec in demo.INDICATORS}
    checked = 0
    for row in progress.rows:
        spec = specs[row.indicator.name]
        for figure in row.years:
            totals = expected.get((spec.name, figure.year), [])
            if spec.unit in ("count", "percent_change") and spec.cumulation == "per_period":
                want = Decimal(sum(totals)) if totals else None
                assert figure.actual.value == want, (spec.name, figure.year)
                checked += 1
            elif spec.unit == "percentage" and totals:
                num = sum(t[0] for t in totals)
                den = sum(t[1] for t in totals)
                assert figure.actual.numerator == num and figure.actual.denominator == den
                checked += 1
    assert checked > 30
    by_name = {row.indicator.name: row for row in progress.rows}
    # Campaigns 2025: two submissions pending review, none approved: no figure yet.
    campaigns = by_name[compact_demo.OBJECTIVES[0]["indicators"][0]]
    assert not campaigns.figure(2025).has_data and campaigns.figure(2024).actual.value == 10
    # Percentages combine as the ratio of the sums: (30 + 150) / (40 + 196) in 2023.
    share = by_name[demo.INDICATORS[4].name].figure(2023).actual
    assert (share.numerator, share.denominator) == (180, 236)
    # Convictions: baseline 0, so the change is "n/a" with the absolute change.
    convictions = by_name[compact_demo.OBJECTIVES[2]["indicators"][2]].figure(2024)
    assert convictions.change.percent is None and convictions.change.absolute == 9
    # The sustainability plan's adoption (2025) is only submitted: still not achieved.
    plan = by_name[demo.SUSTAINABILITY_NAME]
    assert plan.figure(2025).actual.value == 0


def test_load_without_demo_compact_does_nothing() -> None:
    out = StringIO()
    assert demo.load(stdout=out) == {}
    assert "load_demo" in out.getvalue()
    assert not Submission.objects.exists()


def test_split_parts_add_up() -> None:
    for total in (0, 1, 7, 99, 12460):
        for shares in demo.DIMENSION_SHARES.values():
            parts = demo.split_parts(total, shares)
            assert sum(parts.values()) == total and min(parts.values()) >= 0
    numerators = demo.fit_numerators({"a": 5, "b": 0}, {"a": 3, "b": 4})
    assert numerators == {"a": 3, "b": 2}
