"""Reads of results: progress from approved values only, roll-ups, gaps, flags, visibility per user
and fixed query counts. Fixtures: ``pacte/results/tests/conftest.py`` and the root ``conftest.py``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pacte.accounts.factories import OrganisationFactory
from pacte.compacts.factories import IndicatorFactory, ObjectiveFactory
from pacte.compacts.models import Meeting, Pillar
from pacte.core.models import Visibility
from pacte.results import aggregation as agg
from pacte.results import selectors
from pacte.results.factories import (
    AnnualReportFactory,
    NarrativeSectionFactory,
    TargetFactory,
    make_definition,
    make_submission,
)
from pacte.results.models import IndicatorDefinition, NarrativeSection, Submission

D = Decimal
S = Submission.Status
Unit = IndicatorDefinition.Unit
Cumulation = IndicatorDefinition.Cumulation


def row_of(progress: selectors.CompactProgress, definition) -> selectors.IndicatorRow:
    return next(r for r in progress.rows if r.definition.pk == definition.pk)


def actual(progress, definition, year: int) -> Decimal | None:
    return row_of(progress, definition).figure(year).actual.value


# -- only approved values count ----------------------------------------------------------------------
class TestApprovedOnly:
    def test_approved_values_add_up_across_organisations(
        self, compact, officer, definition, reporter_org, other_reporter_org
    ):
        make_submission(definition, reporter_org, "2023", total=10)
        make_submission(definition, other_reporter_org, "2023", total=5)
        progress = selectors.compact_progress(officer, compact)
        figure = row_of(progress, definition).figure(2023)
        assert figure.actual.value == 15
        assert figure.actual.observations == 2

    @pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.RETURNED])
    def test_unapproved_values_never_change_progress(
        self, compact, officer, reviewer, reporter, definition, reporter_org, other_reporter_org, status
    ):
        make_submission(definition, other_reporter_org, "2023", total=10)
        before = {u.username: selectors.compact_progress(u, compact) for u in (officer, reviewer, reporter)}
        make_submission(definition, reporter_org, "2023", total=99, status=status)
        make_submission(definition, reporter_org, "2024", total=99, status=status)
        for user in (officer, reviewer, reporter):
            progress = selectors.compact_progress(user, compact)
            assert actual(progress, definition, 2023) == 10
            assert not row_of(progress, definition).figure(2024).has_data
            assert row_of(progress, definition).years == row_of(before[user.username], definition).years

    def test_indicator_progress_counts_approved_only(
        self, compact, reporter, definition, reporter_org, other_reporter_org
    ):
        make_submission(definition, other_reporter_org, "2023", total=10)
        make_submission(definition, reporter_org, "2023", total=99, status=S.SUBMITTED)
        detail = selectors.indicator_progress(reporter, compact, definition)
        assert [(p.period, p.aggregate.value) for p in detail.periods] == [("2023", 10)]
        assert [s.organisation_id for s in detail.organisations] == [other_reporter_org.pk]


# -- roll-ups -----------------------------------------------------------------------------------------
class TestRollUps:
    def test_percentages_combine_as_ratio_of_sums(
        self, compact, officer, percentage_definition, reporter_org, other_reporter_org
    ):
        make_submission(percentage_definition, reporter_org, "2024", total=(30, 100))
        make_submission(percentage_definition, other_reporter_org, "2024", total=(10, 20))
        figure = row_of(selectors.compact_progress(officer, compact), percentage_definition).figure(2024)
        assert (figure.actual.numerator, figure.actual.denominator) == (40, 120)
        assert figure.actual.display() == D("33.3")
        assert figure.measured == figure.actual.value

    def test_running_total_is_not_summed_twice(self, compact, officer, reporter_org, other_reporter_org):
        d = make_definition(
            compact, reporters=[reporter_org, other_reporter_org], cumulation=Cumulation.RUNNING_TOTAL
        )
        make_submission(d, reporter_org, "2023", total=10)
        make_submission(d, reporter_org, "2024", total=25)  # includes 2023's 10
        make_submission(d, other_reporter_org, "2023", total=7)  # no 2024 report: still counts
        progress = selectors.compact_progress(officer, compact, year=2025)
        assert [(f.year, f.actual.value) for f in row_of(progress, d).years] == [
            (2022, None),
            (2023, 17),
            (2024, 32),
            (2025, 32),
            (2026, None),  # after the year of interest: not counted
            (2027, None),
        ]

    def test_running_total_reported_quarterly(self, compact, officer, reporter_org):
        d = make_definition(
            compact,
            reporters=[reporter_org],
            cumulation=Cumulation.RUNNING_TOTAL,
            frequency=IndicatorDefinition.Frequency.QUARTERLY,
        )
        for quarter, value in ((1, 3), (2, 8), (3, 12)):
            make_submission(d, reporter_org, f"2024Q{quarter}", total=value)
        detail = selectors.indicator_progress(officer, compact, d)
        assert [(p.period, p.aggregate.value) for p in detail.periods] == [
            ("2024Q1", 3),
            ("2024Q2", 8),
            ("2024Q3", 12),
        ]
        assert detail.row.figure(2024).actual.value == 12

    def test_per_period_sums_the_year_periods(self, compact, officer, reporter_org, other_reporter_org):
        d = make_definition(
            compact,
            reporters=[reporter_org, other_reporter_org],
            frequency=IndicatorDefinition.Frequency.QUARTERLY,
        )
        make_submission(d, reporter_org, "2024Q1", total=3)
        make_submission(d, reporter_org, "2024Q2", total=4)
        make_submission(d, other_reporter_org, "2024Q1", total=5)
        make_submission(d, other_reporter_org, "2025Q1", total=100)
        progress = selectors.compact_progress(officer, compact, year=2025)
        assert actual(progress, d, 2024) == 12
        assert actual(progress, d, 2025) == 100
        detail = selectors.indicator_progress(officer, compact, d, year=2025)
        assert [(p.period, p.aggregate.value) for p in detail.periods] == [
            ("2024Q1", 8),
            ("2024Q2", 4),
            ("2025Q1", 100),
        ]

    def test_fiscal_year_counts_for_the_year_it_is_named_after(self, compact, officer, reporter_org):
        d = make_definition(
            compact, reporters=[reporter_org], frequency=IndicatorDefinition.Frequency.FISCAL_YEAR
        )
        make_submission(d, reporter_org, "FY2025", total=9)  # 1 Oct 2024 – 30 Sep 2025
        progress = selectors.compact_progress(officer, compact, year=2025)
        assert actual(progress, d, 2025) == 9
        assert actual(progress, d, 2024) is None

    def test_milestone_achieved(self, compact, officer, reporter_org):
        d = make_definition(compact, reporters=[reporter_org], unit=Unit.MILESTONE)
        TargetFactory(definition=d, year=2025, value=D(1))
        make_submission(d, reporter_org, "2024", total=1)
        row = row_of(selectors.compact_progress(officer, compact, year=2025), d)
        assert row.figure(2024).actual.value == 1
        assert row.figure(2025).actual.value == 1  # achieved stays achieved
        assert row.figure(2025).assessment == agg.MET

    def test_values_after_the_year_of_interest_are_not_counted(
        self, compact, officer, definition, reporter_org
    ):
        make_submission(definition, reporter_org, "2024", total=10)
        make_submission(definition, reporter_org, "2025", total=20)
        progress = selectors.compact_progress(officer, compact, year=2024)
        row = row_of(progress, definition)
        assert progress.year == 2024
        assert row.year.actual.value == 10
        assert row.latest.year == 2024
        assert not row.figure(2025).has_data


# -- targets, baselines, percentage change ---------------------------------------------------------------
class TestTargetsAndChange:
    def test_variance_and_assessment(self, compact, officer, definition, reporter_org):
        TargetFactory(definition=definition, year=2024, value=D(20))
        TargetFactory(definition=definition, year=2023, value=D(5))
        make_submission(definition, reporter_org, "2023", total=6)
        make_submission(definition, reporter_org, "2024", total=15)
        row = row_of(selectors.compact_progress(officer, compact, year=2024), definition)
        y2023, y2024 = row.figure(2023), row.figure(2024)
        assert (y2023.target, y2023.variance, y2023.assessment) == (5, 1, agg.MET)
        assert (y2024.target, y2024.variance, y2024.assessment) == (20, -5, agg.NOT_MET)
        assert row.figure(2022).assessment == agg.NO_TARGET
        assert row.has_targets

    def test_lower_is_better(self, compact, officer, reporter_org):
        d = make_definition(
            compact, reporters=[reporter_org], direction=IndicatorDefinition.Direction.DECREASE
        )
        TargetFactory(definition=d, year=2024, value=D(20))
        make_submission(d, reporter_org, "2024", total=15)
        assert row_of(selectors.compact_progress(officer, compact, year=2024), d).year.assessment == agg.MET

    def test_target_without_data(self, compact, officer, definition):
        TargetFactory(definition=definition, year=2024, value=D(20))
        assert (
            row_of(selectors.compact_progress(officer, compact, year=2024), definition).year.assessment
            == agg.NO_DATA
        )

    def test_percent_change_from_the_baseline_year(self, compact, officer, reporter_org, other_reporter_org):
        d = make_definition(
            compact,
            reporters=[reporter_org, other_reporter_org],
            unit=Unit.PERCENT_CHANGE,
            baseline_year=2023,
        )
        TargetFactory(definition=d, year=2024, value=D(10))
        make_submission(d, reporter_org, "2023", total=30)
        make_submission(d, other_reporter_org, "2023", total=20)
        make_submission(d, reporter_org, "2024", total=45)
        make_submission(d, other_reporter_org, "2024", total=15)
        row = row_of(selectors.compact_progress(officer, compact, year=2024), d)
        assert row.baseline.value == 50 and row.baseline.from_data
        figure = row.figure(2024)
        assert figure.actual.value == 60
        assert (figure.change.percent, figure.change.absolute) == (20, 10)
        assert (figure.measured, figure.variance, figure.assessment) == (20, 10, agg.MET)
        assert row.change == figure.change

    def test_percent_change_from_the_baseline_value(self, compact, officer, reporter_org):
        d = make_definition(compact, reporters=[reporter_org], unit=Unit.PERCENT_CHANGE, baseline_value=D(40))
        make_submission(d, reporter_org, "2024", total=30)
        row = row_of(selectors.compact_progress(officer, compact, year=2024), d)
        assert not row.baseline.from_data
        assert (row.change.percent, row.change.absolute) == (-25, -10)

    @pytest.mark.parametrize("baseline", [{"baseline_value": D(0)}, {}, {"baseline_year": 2022}])
    def test_percent_change_without_baseline_is_na(self, compact, officer, reporter_org, baseline):
        d = make_definition(compact, reporters=[reporter_org], unit=Unit.PERCENT_CHANGE, **baseline)
        TargetFactory(definition=d, year=2024, value=D(10))
        make_submission(d, reporter_org, "2024", total=12)
        row = row_of(selectors.compact_progress(officer, compact, year=2024), d)
        assert row.change.is_na
        assert row.change.absolute == (12 if baseline.get("baseline_value") == 0 else None)
        assert row.year.assessment == agg.NO_DATA

    def test_percentage_baseline_from_numerator_and_denominator(self, compact, officer, reporter_org):
        d = make_definition(
            compact,
            reporters=[reporter_org],
            unit=Unit.PERCENTAGE,
            baseline_numerator=D(1),
            baseline_denominator=D(3),
        )
        row = row_of(selectors.compact_progress(officer, compact), d)
        assert agg.display(row.baseline.value) == D("33.3")


# -- summaries and gaps -----------------------------------------------------------------------------------
class TestSummariesAndGaps:
    def test_gaps_and_summaries(self, compact, officer, definition, reporter_org):
        empty_objective = ObjectiveFactory(compact=compact, pillar=Pillar.PROTECTION)
        undefined = IndicatorFactory(objective=definition.indicator.objective)
        with_target = make_definition(compact, reporters=[reporter_org])
        TargetFactory(definition=with_target, year=2024, value=D(5))
        make_submission(with_target, reporter_org, "2024", total=7)
        make_submission(definition, reporter_org, "2024", total=3)

        progress = selectors.compact_progress(officer, compact, year=2024)
        kinds = {(g.kind, g.objective.pk, g.indicator.pk if g.indicator else None) for g in progress.gaps}
        assert kinds == {
            ("objective_without_indicator", empty_objective.pk, None),
            ("indicator_without_definition", definition.indicator.objective_id, undefined.pk),
            ("indicator_without_target", definition.indicator.objective_id, definition.indicator_id),
        }
        assert all(g.message for g in progress.gaps)
        summary = progress.summary
        assert (summary.indicators, summary.defined, summary.with_target, summary.with_data) == (3, 2, 1, 2)
        assert (summary.met, summary.not_met) == (1, 0)
        [pillar] = [p for p in progress.pillars if p.pillar == Pillar.PROTECTION]
        assert [o.objective for o in pillar.objectives] == [empty_objective]
        assert pillar.summary.indicators == 0
        objective = next(
            o
            for p in progress.pillars
            for o in p.objectives
            if o.objective.pk == definition.indicator.objective_id
        )
        assert objective.undefined == [undefined]

    def test_indicator_without_data(self, compact, officer, definition, reporter_org):
        make_submission(definition, reporter_org, "2024", total=3, status=S.SUBMITTED)
        progress = selectors.compact_progress(officer, compact, year=2024)
        assert "indicator_without_data" in {g.kind for g in progress.gaps}
        assert not row_of(progress, definition).has_data

    def test_gap_messages_in_english(self, compact, officer):
        ObjectiveFactory(compact=compact, pillar=Pillar.PROTECTION, number=7)
        with translation.override("en"):
            [gap] = selectors.compact_progress(officer, compact).gaps
            assert gap.message == "Objective 7 (Protection) has no indicator."

    def test_term_years(self, compact, officer):
        progress = selectors.compact_progress(officer, compact, year=2024)
        assert progress.years == [2022, 2023, 2024, 2025, 2026, 2027]
        assert [p.pillar for p in progress.pillars] == [
            "prevention",
            "protection",
            "prosecution",
            "partnership",
        ]

    def test_demo_flag(self, compact, officer, definition, reporter_org, other_reporter_org):
        make_submission(definition, reporter_org, "2023", total=3)
        assert not selectors.compact_progress(officer, compact, year=2024).is_demo
        make_submission(definition, other_reporter_org, "2023", total=3, status=S.SUBMITTED, is_demo=True)
        assert not selectors.compact_progress(officer, compact, year=2024).is_demo  # not counted
        make_submission(definition, other_reporter_org, "2024", total=3, is_demo=True)
        progress = selectors.compact_progress(officer, compact, year=2024)
        assert progress.is_demo and row_of(progress, definition).is_demo


# -- disaggregation flags ----------------------------------------------------------------------------------
class TestFlags:
    def test_parts_not_adding_up_are_flagged(
        self, compact, officer, definition, reporter_org, other_reporter_org
    ):
        bad = make_submission(
            definition, reporter_org, "2023", total=10, parts={"female": 6, "male": 3, "under-18": 10}
        )
        make_submission(definition, other_reporter_org, "2023", total=10, parts={"female": 6, "male": 4})
        make_submission(
            definition, other_reporter_org, "2024", total=10, parts={"female": 1}, status=S.SUBMITTED
        )
        with translation.override("en"):
            [flag] = row_of(selectors.compact_progress(officer, compact), definition).flags
        assert (flag.submission_id, flag.period, flag.organisation_id) == (bad.pk, "2023", reporter_org.pk)
        assert (flag.dimension, flag.parent_id, flag.field) == ("sex", None, "value")
        assert (flag.expected, flag.parts_sum, flag.difference) == (10, 9, -1)
        assert flag.dimension_label == "Sex"

    def test_finer_bands_are_checked_against_their_parent(
        self, compact, officer, reporter_org, standard_categories
    ):
        c = standard_categories
        d = make_definition(
            compact,
            reporters=[reporter_org],
            categories=[c["under-18"], c["18-and-over"], c["age-0-5"], c["age-15-17"]],
        )
        make_submission(
            d,
            reporter_org,
            "2023",
            total=15,
            parts={"under-18": 10, "18-and-over": 5, "age-0-5": 3, "age-15-17": 4},
        )
        make_submission(
            d,
            reporter_org,
            "2024",
            total=15,
            parts={"under-18": 10, "18-and-over": 5, "age-0-5": 3, "age-15-17": 7},
        )
        with translation.override("en"):
            [flag] = selectors.compact_progress(officer, compact).flags
        assert (flag.period, flag.parent_id, flag.parent_label) == ("2023", c["under-18"].pk, "Under 18")
        assert (flag.expected, flag.parts_sum) == (10, 7)

    def test_percentages_check_numerators_and_denominators(
        self, compact, officer, percentage_definition, reporter_org
    ):
        make_submission(
            percentage_definition,
            reporter_org,
            "2024",
            total=(30, 100),
            parts={"female": (20, 50), "male": (10, 40)},
        )
        flags = selectors.compact_progress(officer, compact).flags
        assert [(f.field, f.expected, f.parts_sum) for f in flags] == [("denominator", 100, 90)]

    def test_fractional_values_add_up(self, compact, officer, definition, reporter_org):
        make_submission(definition, reporter_org, "2023", total="0.3", parts={"female": "0.1", "male": "0.2"})
        make_submission(definition, reporter_org, "2024", total="0.3", parts={"female": "0.1", "male": "0.1"})
        [flag] = selectors.compact_progress(officer, compact).flags
        assert (flag.period, flag.expected, flag.parts_sum) == ("2024", D("0.3"), D("0.2"))

    @pytest.mark.parametrize(
        "parts",
        [
            {"female": 6, "male": 4},
            {"female": 6, "male": 3},
            {"female": 6, "male": 4, "under-18": 11},
            {"under-18": 10, "18-and-over": 1, "female": 5},
            {"male": 12},
        ],
    )
    def test_same_rule_as_the_pure_function(self, compact, officer, definition, reporter_org, parts):
        submission = make_submission(definition, reporter_org, "2023", total=10, parts=parts)
        by_dimension: dict[str, list[agg.Part]] = {}
        for value in submission.values.select_related("category").exclude(category=None):
            cat = value.category
            by_dimension.setdefault(cat.dimension, []).append(
                agg.Part(str(cat.pk), str(cat.parent_id) if cat.parent_id else None, value=value.value)
            )
        expected = agg.disaggregation_gaps(Unit.COUNT, submission.values.get(category=None), by_dimension)
        flags = selectors.compact_progress(officer, compact).flags
        assert sorted((f.dimension, f.field, f.expected, f.parts_sum) for f in flags) == sorted(
            (g.dimension, g.field, g.expected, g.parts_sum) for g in expected
        )

    def test_breakdown_of_the_latest_year(
        self, compact, officer, definition, reporter_org, other_reporter_org
    ):
        make_submission(definition, reporter_org, "2023", total=10, parts={"female": 6, "male": 4})
        make_submission(
            definition, reporter_org, "2024", total=5, parts={"female": 2, "male": 3, "under-18": 5}
        )
        make_submission(definition, other_reporter_org, "2024", total=5, parts={"female": 5})
        detail = selectors.indicator_progress(officer, compact, definition, year=2024)
        assert detail.breakdown_year == 2024
        figures = {(b.dimension, c.code): c.aggregate.value for b in detail.breakdown for c in b.categories}
        assert figures == {("sex", "female"): 7, ("sex", "male"): 3, ("age", "under-18"): 5}
        assert [b.dimension for b in detail.breakdown] == ["sex", "age"]
        assert detail.flags == []  # every group adds up


# -- visibility -------------------------------------------------------------------------------------------
@pytest.fixture
def hidden_definition(compact, reporter_org):
    objective = ObjectiveFactory(compact=compact)
    indicator = IndicatorFactory(objective=objective, visibility=Visibility.NON_PUBLIC)
    d = make_definition(indicator=indicator, reporters=[reporter_org])
    make_submission(d, reporter_org, "2023", total=4)
    return d


@pytest.fixture
def submissions(
    definition, reporter_org, other_reporter_org, reviewer_org, reporter, other_reporter, reviewer
):
    """One submission per (organisation, status) for ``definition``."""
    made = {}
    for org, user in (
        (reporter_org, reporter),
        (other_reporter_org, other_reporter),
        (reviewer_org, reviewer),
    ):
        for year, status in zip((2023, 2024, 2025, 2026), S.values, strict=True):
            made[(org.acronym, status)] = make_submission(
                definition, org, str(year), total=1, status=status, created_by=user
            )
    return made


def visible(user, compact, **kwargs) -> set[tuple[str, str]]:
    return {
        (s.organisation.acronym, s.status) for s in selectors.visible_submissions(user, compact, **kwargs)
    }


APPROVED = {("AEP", S.APPROVED), ("FAE", S.APPROVED), ("CNS", S.APPROVED)}


class TestVisibility:
    def test_reporter_sees_own_submissions_and_approved_ones(self, compact, reporter, submissions):
        assert visible(reporter, compact) == APPROVED | {("AEP", s) for s in S.values}

    def test_reviewer_sees_non_drafts_and_own_drafts(self, compact, reviewer, submissions):
        expected = {(org, s) for org in ("AEP", "FAE", "CNS") for s in S.values if s != S.DRAFT}
        assert visible(reviewer, compact) == expected | {("CNS", S.DRAFT)}

    def test_officer_sees_non_drafts_and_drafts_made_on_behalf(
        self, compact, officer, definition, submissions, reporter_org
    ):
        assert ("AEP", S.DRAFT) not in visible(officer, compact)
        on_behalf = make_submission(
            definition, reporter_org, "2027", total=1, status=S.DRAFT, created_by=officer
        )
        assert on_behalf in selectors.visible_submissions(officer, compact)

    def test_observer_sees_approved_values_of_public_indicators(
        self, compact, observer, submissions, hidden_definition
    ):
        assert visible(observer, compact) == APPROVED
        assert hidden_definition not in selectors.visible_definitions(observer, compact)
        hidden = Submission.objects.get(definition=hidden_definition)
        with pytest.raises(Http404):
            selectors.get_submission(observer, compact, hidden.pk)
        with pytest.raises(Http404):
            selectors.get_definition(observer, compact, hidden_definition.pk)
        with pytest.raises(Http404):
            selectors.indicator_progress(observer, compact, hidden_definition)
        rows = selectors.compact_progress(observer, compact).rows
        assert hidden_definition not in [r.definition for r in rows]
        assert hidden_definition.indicator not in selectors.undefined_indicators(observer, compact)

    def test_non_public_indicators_for_those_who_may_see_them(
        self, compact, reporter, officer, hidden_definition
    ):
        for user in (reporter, officer):
            assert (
                row_of(selectors.compact_progress(user, compact), hidden_definition).figure(2023).actual.value
                == 4
            )
            assert selectors.get_definition(user, compact, hidden_definition.pk) == hidden_definition

    def test_indicator_of_a_non_public_objective_is_hidden(self, compact, observer, reporter_org):
        objective = ObjectiveFactory(compact=compact, visibility=Visibility.NON_PUBLIC)
        d = make_definition(indicator=IndicatorFactory(objective=objective), reporters=[reporter_org])
        assert d not in selectors.visible_definitions(observer, compact)
        assert objective not in [
            o.objective for p in selectors.compact_progress(observer, compact).pillars for o in p.objectives
        ]

    def test_outsider_sees_nothing(self, compact, outsider, submissions, definition):
        assert not selectors.visible_submissions(outsider, compact).exists()
        assert not selectors.visible_definitions(outsider, compact).exists()
        assert not selectors.reportable_definitions(outsider, compact).exists()
        assert not selectors.undefined_indicators(outsider, compact).exists()
        progress = selectors.compact_progress(outsider, compact)
        assert progress.rows == [] and progress.gaps == [] and progress.summary.indicators == 0
        submission = submissions[("AEP", S.APPROVED)]
        for call in (
            lambda: selectors.get_submission(outsider, compact, submission.pk),
            lambda: selectors.get_definition(outsider, compact, definition.pk),
            lambda: selectors.indicator_progress(outsider, compact, definition),
        ):
            with pytest.raises(Http404):
                call()
        assert selectors.narratives(outsider, compact, 2024) == []
        assert selectors.annual_report(outsider, compact, 2024) is None

    def test_anonymous_sees_nothing(self, compact, submissions):
        assert not selectors.visible_submissions(None, compact).exists()
        assert selectors.compact_progress(None, compact).rows == []

    def test_get_submission_of_another_compact_is_404(self, compact, officer, definition, reporter_org):
        other = make_definition(reporters=[reporter_org])
        foreign = make_submission(other, reporter_org, "2023", total=1)
        with pytest.raises(Http404):
            selectors.get_submission(officer, compact, foreign.pk)
        with pytest.raises(Http404):
            selectors.get_definition(officer, compact, other.pk)
        with pytest.raises(Http404):
            selectors.indicator_progress(officer, compact, other)
        with pytest.raises(Http404):
            selectors.get_submission(officer, compact, "not-a-number")

    def test_filters(self, compact, reviewer, submissions, reporter_org):
        assert visible(reviewer, compact, status=S.SUBMITTED) == {
            (o, S.SUBMITTED) for o in ("AEP", "FAE", "CNS")
        }
        assert visible(reviewer, compact, status=[S.APPROVED, S.RETURNED], organisation=reporter_org) == {
            ("AEP", S.APPROVED),
            ("AEP", S.RETURNED),
        }
        assert visible(reviewer, compact, period=" 2024 ") == {
            ("AEP", S.SUBMITTED),
            ("FAE", S.SUBMITTED),
            ("CNS", S.SUBMITTED),
        }

    def test_reportable_definitions(
        self, compact, reporter, reviewer, officer, observer, definition, percentage_definition, reporter_org
    ):
        not_ours = make_definition(compact, reporters=[OrganisationFactory(name="Another partner")])
        nobody = make_definition(compact)
        assert set(selectors.reportable_definitions(reporter, compact)) == {definition, percentage_definition}
        assert set(selectors.reportable_definitions(officer, compact)) == {
            definition,
            percentage_definition,
            not_ours,
        }
        assert nobody not in selectors.reportable_definitions(officer, compact)
        assert not selectors.reportable_definitions(reviewer, compact).exists()  # CNS reports nothing
        assert not selectors.reportable_definitions(observer, compact).exists()


# -- annual report ----------------------------------------------------------------------------------------
class TestAnnualReport:
    def test_narratives_in_report_order(self, compact, observer, reporter_org, other_reporter_org):
        public = ObjectiveFactory(compact=compact, number=1)
        hidden = ObjectiveFactory(compact=compact, number=2, visibility=Visibility.NON_PUBLIC)
        K = NarrativeSection.Kind
        sustain = NarrativeSectionFactory(
            compact=compact, year=2024, organisation=reporter_org, kind=K.SUSTAINABILITY
        )
        progress = NarrativeSectionFactory(
            compact=compact, year=2024, organisation=reporter_org, kind=K.PROGRESS, objective=public
        )
        secret = NarrativeSectionFactory(
            compact=compact, year=2024, organisation=other_reporter_org, kind=K.PROGRESS, objective=hidden
        )
        NarrativeSectionFactory(compact=compact, year=2023, organisation=reporter_org, kind=K.DIFFICULTIES)
        assert selectors.narratives(observer, compact, 2024) == [progress, sustain]
        assert secret.objective == hidden
        assert selectors.narratives(None, compact, 2024) == []

    def test_narratives_with_non_public_objective_for_those_who_may_see_it(
        self, compact, officer, reporter_org
    ):
        hidden = ObjectiveFactory(compact=compact, number=2, visibility=Visibility.NON_PUBLIC)
        secret = NarrativeSectionFactory(
            compact=compact,
            year=2024,
            organisation=reporter_org,
            kind=NarrativeSection.Kind.PROGRESS,
            objective=hidden,
        )
        assert selectors.narratives(officer, compact, 2024) == [secret]

    def test_annual_report_hides_a_non_public_meeting(self, compact, officer, observer):
        meeting = Meeting.objects.create(compact=compact, date="2025-03-01", visibility=Visibility.NON_PUBLIC)
        AnnualReportFactory(compact=compact, year=2024, reviewed_at=meeting)
        assert selectors.annual_report(officer, compact, 2024).reviewed_at == meeting
        assert selectors.annual_report(observer, compact, 2024).reviewed_at is None
        assert selectors.annual_report(observer, compact, 2023) is None


# -- query counts -----------------------------------------------------------------------------------------
def populate(compact, reporters, categories, definitions: int, years: range) -> list[IndicatorDefinition]:
    made = []
    for n in range(definitions):
        unit = [Unit.COUNT, Unit.PERCENTAGE, Unit.PERCENT_CHANGE][n % 3]
        cumulation = [Cumulation.PER_PERIOD, Cumulation.RUNNING_TOTAL][n % 2]
        d = make_definition(
            compact,
            reporters=reporters,
            categories=categories,
            unit=unit,
            cumulation=cumulation,
            baseline_year=2022,
        )
        for year in years:
            TargetFactory(definition=d, year=year, value=D(10))
            for org in reporters:
                total = (5, 10) if unit == Unit.PERCENTAGE else 10
                part = (2, 5) if unit == Unit.PERCENTAGE else 4  # female + male ≠ total: flagged
                make_submission(d, org, str(year), total=total, parts={"female": part, "male": part})
                make_submission(d, org, f"{year}Q1", total=total, status=S.SUBMITTED)
        made.append(d)
    return made


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = func()
        # What a page does with the result: walk every row, figure, flag and gap.
        seen: list[object] = []
        for row in getattr(result, "rows", [getattr(result, "row", None)]):
            seen += [(f.actual.value, f.target, f.change) for f in row.years]
            seen += [row.indicator.name, row.objective.number, row.definition.unit]
            seen += [(f.organisation_name, f.parent_label) for f in row.flags]
        seen += [(gap.objective, gap.indicator) for gap in getattr(result, "gaps", [])]
    return len(ctx.captured_queries)


class TestQueryCounts:
    def test_compact_progress_queries_do_not_grow_with_data(
        self, compact, officer, observer, reporter_org, other_reporter_org, standard_categories
    ):
        cats = [standard_categories["female"], standard_categories["male"]]
        populate(compact, [reporter_org], cats, 2, range(2023, 2024))
        ObjectiveFactory(compact=compact, pillar=Pillar.PROTECTION)
        small = {
            u: count_queries(lambda u=u: selectors.compact_progress(u, compact, year=2025))
            for u in (officer, observer)
        }
        made = populate(compact, [reporter_org, other_reporter_org], cats, 6, range(2023, 2026))
        IndicatorFactory(objective=made[0].indicator.objective)
        large = {
            u: count_queries(lambda u=u: selectors.compact_progress(u, compact, year=2025))
            for u in (officer, observer)
        }
        assert large == small
        assert small[officer] <= 9
        progress = selectors.compact_progress(officer, compact, year=2025)
        assert len(progress.rows) == 8 and len(progress.flags) > 20

    def test_compact_progress_with_access_given(self, compact, officer, reporter_org, standard_categories):
        cats = [standard_categories["female"], standard_categories["male"]]
        populate(compact, [reporter_org], cats, 3, range(2023, 2025))
        from pacte.compacts.selectors import get_compact

        _, access = get_compact(officer, compact.pk)
        assert count_queries(lambda: selectors.compact_progress(officer, compact, access=access)) == 7

    def test_indicator_progress_queries_do_not_grow_with_data(
        self, compact, officer, reporter_org, other_reporter_org, standard_categories
    ):
        cats = [standard_categories["female"], standard_categories["male"]]
        [small_d] = populate(compact, [reporter_org], cats, 1, range(2023, 2024))
        [large_d] = populate(compact, [reporter_org, other_reporter_org], cats, 1, range(2022, 2027))

        def detail(d):
            d = selectors.get_definition(officer, compact, d.pk)
            return lambda: selectors.indicator_progress(officer, compact, d, year=2026)

        small = count_queries(detail(small_d))
        large = count_queries(detail(large_d))
        assert small == large <= 7
