"""Roll-up rules of ``pacte.results.aggregation`` (pure functions), with property-based tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pacte.results import aggregation as agg
from pacte.results.aggregation import (
    Aggregate,
    Observation,
    Part,
    assess,
    combine,
    disaggregation_gaps,
    display,
    percent_change,
)

D = Decimal
YEARS = list(range(2020, 2030))

# Values as stored: up to 14 integer digits and 4 decimals.
amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
whole = st.integers(min_value=0, max_value=10**6).map(D)


def period(year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end - dt.timedelta(days=1)


def obs(org: int, year: int, value=None, *, quarter=None, num=None, den=None, demo=False) -> Observation:
    start, end = period(year, quarter)
    return Observation(
        organisation_id=org,
        period_start=start,
        period_end=end,
        value=None if value is None else D(value),
        numerator=None if num is None else D(num),
        denominator=None if den is None else D(den),
        is_demo=demo,
    )


@st.composite
def count_observations(draw, min_size=0, max_size=12):
    """Observations of distinct (organisation, period), as the database allows."""
    keys = draw(
        st.lists(
            st.tuples(st.integers(1, 4), st.sampled_from(YEARS), st.sampled_from([None, 1, 2, 3, 4])),
            min_size=min_size,
            max_size=max_size,
            unique=True,
        )
    )
    return [obs(org, year, draw(amounts), quarter=q) for org, year, q in keys]


@st.composite
def ratio_observations(draw, min_size=1, max_size=12):
    keys = draw(
        st.lists(
            st.tuples(st.integers(1, 4), st.sampled_from(YEARS)),
            min_size=min_size,
            max_size=max_size,
            unique=True,
        )
    )
    result = []
    for org, year in keys:
        den = draw(st.integers(1, 10**6))
        num = draw(st.integers(0, den))
        result.append(obs(org, year, num=num, den=den))
    return result


# -- counts -----------------------------------------------------------------------------------------
class TestCounts:
    @given(count_observations(), st.randoms())
    def test_per_period_is_the_sum_whatever_the_order(self, observations, random):
        shuffled = list(observations)
        random.shuffle(shuffled)
        result = combine(agg.COUNT, agg.PER_PERIOD, observations)
        assert combine(agg.COUNT, agg.PER_PERIOD, shuffled) == result
        if observations:
            assert result.value == sum((o.value for o in observations), D(0))
            assert result.observations == len(observations)
        else:
            assert result.value is None and result.observations == 0

    @given(count_observations(min_size=1), st.data())
    def test_splitting_a_value_between_two_organisations_keeps_the_total(self, observations, data):
        victim = data.draw(st.sampled_from(observations))
        share = data.draw(st.decimals(min_value=0, max_value=1, places=2))
        first = (victim.value * share).quantize(D("0.0001"))
        rest = [o for o in observations if o is not victim]
        new_org = 99  # an organisation that reported nothing else
        split = [
            *rest,
            Observation(victim.organisation_id, victim.period_start, victim.period_end, value=first),
            Observation(new_org, victim.period_start, victim.period_end, value=victim.value - first),
        ]
        before = combine(agg.COUNT, agg.PER_PERIOD, observations).value
        assert combine(agg.COUNT, agg.PER_PERIOD, split).value == before

    @given(whole, whole)
    def test_quarters_of_a_per_period_indicator_add_up(self, q1, q2):
        result = combine(
            agg.COUNT, agg.PER_PERIOD, [obs(1, 2024, q1, quarter=1), obs(1, 2024, q2, quarter=2)]
        )
        assert result.value == q1 + q2

    def test_percent_change_indicators_add_their_counts(self):
        result = combine(agg.PERCENT_CHANGE, agg.PER_PERIOD, [obs(1, 2024, 12), obs(2, 2024, 8)])
        assert result.value == 20

    def test_missing_values_are_not_counted(self):
        result = combine(agg.COUNT, agg.PER_PERIOD, [obs(1, 2024, 5), obs(2, 2024, None)])
        assert result == Aggregate(value=D(5), observations=1)

    def test_nothing_reported(self):
        assert combine(agg.COUNT, agg.PER_PERIOD, []) == agg.EMPTY
        assert not agg.EMPTY.has_data


# -- running totals and latest values ---------------------------------------------------------------
class TestRunningTotals:
    @pytest.mark.parametrize("cumulation", [agg.RUNNING_TOTAL, agg.LATEST])
    @given(
        latest=st.dictionaries(st.integers(1, 5), amounts, min_size=1, max_size=5),
        earlier=st.lists(st.tuples(st.integers(1, 5), st.sampled_from(YEARS[:-1]), amounts), max_size=15),
    )
    def test_earlier_periods_of_an_organisation_never_change_the_total(self, cumulation, latest, earlier):
        last_year = YEARS[-1]
        current = [obs(org, last_year, value) for org, value in latest.items()]
        expected = sum(latest.values(), D(0))
        assert combine(agg.COUNT, cumulation, current).value == expected
        # Earlier reports of the same organisations (distinct periods) are superseded, never added.
        history = {(org, year): value for org, year, value in earlier if org in latest}
        with_history = current + [obs(org, year, value) for (org, year), value in history.items()]
        assert combine(agg.COUNT, cumulation, with_history).value == expected
        assert combine(agg.COUNT, cumulation, list(reversed(with_history))).value == expected

    def test_running_total_is_the_latest_of_each_organisation_summed(self):
        observations = [
            obs(1, 2023, 10),
            obs(1, 2024, 25),  # includes the 10 of 2023
            obs(2, 2023, 7),  # organisation 2 did not report in 2024: its 7 still counts
        ]
        result = combine(agg.COUNT, agg.RUNNING_TOTAL, observations)
        assert result.value == 32
        assert result.observations == 2

    def test_quarters_of_a_running_total_are_not_summed(self):
        observations = [obs(1, 2024, v, quarter=q) for q, v in ((1, 3), (2, 8), (3, 12))]
        assert combine(agg.COUNT, agg.RUNNING_TOTAL, observations).value == 12

    def test_latest_value_may_go_down(self):
        assert combine(agg.COUNT, agg.LATEST, [obs(1, 2023, 40), obs(1, 2024, 15)]).value == 15

    def test_demo_flag_only_for_counted_values(self):
        superseded_demo = [obs(1, 2023, 10, demo=True), obs(1, 2024, 12)]
        assert not combine(agg.COUNT, agg.RUNNING_TOTAL, superseded_demo).is_demo
        assert combine(agg.COUNT, agg.PER_PERIOD, superseded_demo).is_demo


# -- percentages --------------------------------------------------------------------------------------
class TestPercentages:
    def test_ratio_of_sums_not_mean_of_ratios(self):
        result = combine(
            agg.PERCENTAGE, agg.PER_PERIOD, [obs(1, 2024, num=30, den=100), obs(2, 2024, num=10, den=20)]
        )
        assert (result.numerator, result.denominator) == (40, 120)
        assert result.value == D(100) * 40 / 120
        assert result.display() == D("33.3")
        assert display(result.value) != D(40)

    @given(ratio_observations(), st.randoms())
    def test_ratio_of_summed_numerators_and_denominators(self, observations, random):
        result = combine(agg.PERCENTAGE, agg.PER_PERIOD, observations)
        num = sum((o.numerator for o in observations), D(0))
        den = sum((o.denominator for o in observations), D(0))
        assert (result.numerator, result.denominator) == (num, den)
        assert result.value == D(100) * num / den
        assert D(0) <= result.value <= D(100)
        shuffled = list(observations)
        random.shuffle(shuffled)
        assert combine(agg.PERCENTAGE, agg.PER_PERIOD, shuffled) == result

    @given(ratio_observations())
    def test_weighted_between_the_smallest_and_largest_ratio(self, observations):
        ratios = [D(100) * o.numerator / o.denominator for o in observations]
        value = combine(agg.PERCENTAGE, agg.PER_PERIOD, observations).value
        assert min(ratios) - D("1e-20") <= value <= max(ratios) + D("1e-20")

    def test_running_percentage_takes_latest_of_each_organisation(self):
        observations = [obs(1, 2023, num=5, den=10), obs(1, 2024, num=9, den=10), obs(2, 2024, num=1, den=10)]
        result = combine(agg.PERCENTAGE, agg.LATEST, observations)
        assert (result.numerator, result.denominator, result.value) == (10, 20, 50)

    def test_zero_denominator_has_no_figure(self):
        result = combine(agg.PERCENTAGE, agg.PER_PERIOD, [obs(1, 2024, num=0, den=0)])
        assert result.value is None and result.observations == 1

    def test_value_without_numerator_is_not_counted(self):
        assert combine(agg.PERCENTAGE, agg.PER_PERIOD, [obs(1, 2024, 50)]) == agg.EMPTY

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            (D("33.35"), D("33.4")),
            (D("33.349999"), D("33.3")),
            (D(100) / 3, D("33.3")),
            (D("-2.25"), D("-2.3")),
        ],
    )
    def test_display_rounds_half_up(self, value, shown):
        assert display(value) == shown

    def test_display_of_nothing(self):
        assert display(None) is None


# -- milestones and qualitative indicators -------------------------------------------------------------
class TestMilestones:
    def test_achieved_when_any_organisation_latest_is_one(self):
        assert combine(agg.MILESTONE, agg.PER_PERIOD, [obs(1, 2024, 0), obs(2, 2024, 1)]).value == 1
        assert combine(agg.MILESTONE, agg.PER_PERIOD, [obs(1, 2024, 0), obs(2, 2023, 0)]).value == 0

    def test_latest_value_of_an_organisation_decides(self):
        assert combine(agg.MILESTONE, agg.PER_PERIOD, [obs(1, 2023, 1), obs(1, 2024, 0)]).value == 0
        assert combine(agg.MILESTONE, agg.PER_PERIOD, [obs(1, 2023, 0), obs(1, 2024, 1)]).value == 1

    def test_qualitative_counts_observations_only(self):
        result = combine(agg.QUALITATIVE, agg.PER_PERIOD, [obs(1, 2024), obs(2, 2024)])
        assert result.value is None and result.observations == 2 and result.has_data


# -- percentage change ----------------------------------------------------------------------------------
class TestPercentChange:
    def test_increase(self):
        change = percent_change(D(120), D(100))
        assert (change.percent, change.absolute, change.is_na) == (20, 20, False)

    def test_decrease(self):
        assert percent_change(D(75), D(100)).percent == -25

    def test_zero_baseline_gives_na_with_absolute_change(self):
        change = percent_change(D(14), D(0))
        assert change.is_na and change.percent is None
        assert change.absolute == 14

    def test_missing_baseline_gives_na(self):
        change = percent_change(D(14), None)
        assert change.percent is None and change.absolute is None and change.current == 14

    def test_missing_current(self):
        change = percent_change(None, D(10))
        assert change.percent is None and change.absolute is None

    def test_display(self):
        assert percent_change(D(4), D(3)).display() == D("33.3")

    @given(
        st.integers(1, 10**6).map(D),
        st.decimals(min_value=-100, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    )
    def test_round_trip(self, baseline, percent):
        current = baseline + baseline * percent / 100
        change = percent_change(current, baseline)
        assert change.absolute == current - baseline
        assert abs(change.percent - percent) < D("1e-20")


# -- assessment -----------------------------------------------------------------------------------------
class TestAssess:
    @pytest.mark.parametrize(
        ("direction", "actual", "target", "expected"),
        [
            (agg.INCREASE, D(10), D(10), agg.MET),
            (agg.INCREASE, D(11), D(10), agg.MET),
            (agg.INCREASE, D("9.9999"), D(10), agg.NOT_MET),
            (agg.DECREASE, D(10), D(10), agg.MET),
            (agg.DECREASE, D(9), D(10), agg.MET),
            (agg.DECREASE, D(11), D(10), agg.NOT_MET),
            (agg.INCREASE, None, D(10), agg.NO_DATA),
            (agg.INCREASE, D(10), None, agg.NO_TARGET),
            (agg.DECREASE, None, None, agg.NO_TARGET),
        ],
    )
    def test_assess(self, direction, actual, target, expected):
        assert assess(direction, actual, target) == expected

    def test_variance(self):
        assert agg.variance(D(8), D(10)) == -2
        assert agg.variance(None, D(10)) is None
        assert agg.variance(D(8), None) is None


# -- disaggregation -------------------------------------------------------------------------------------
def total(value=None, num=None, den=None) -> Observation:
    return Observation(
        1, dt.date(2024, 1, 1), dt.date(2024, 12, 31), value=value, numerator=num, denominator=den
    )


class TestDisaggregationGaps:
    def test_parts_that_add_up(self):
        parts = {"sex": [Part("female", value=D(6)), Part("male", value=D(4))]}
        assert disaggregation_gaps(agg.COUNT, total(D(10)), parts) == []

    def test_parts_that_do_not_add_up(self):
        parts = {
            "sex": [Part("female", value=D(6)), Part("male", value=D(3))],
            "age": [Part("under-18", value=D(10))],
        }
        [gap] = disaggregation_gaps(agg.COUNT, total(D(10)), parts)
        assert (gap.dimension, gap.parent, gap.field) == ("sex", None, "value")
        assert (gap.expected, gap.parts_sum, gap.difference) == (10, 9, -1)
        assert gap.categories == ("female", "male")

    def test_parts_exceeding_the_total(self):
        parts = {"sex": [Part("female", value=D(8)), Part("male", value=D(4))]}
        [gap] = disaggregation_gaps(agg.PERCENT_CHANGE, total(D(10)), parts)
        assert gap.difference == 2

    def test_one_level_at_a_time(self):
        # Under 18 (10) and 18 and over (5) make the total; the finer bands make under 18, not the total.
        parts = {
            "age": [
                Part("under-18", value=D(10)),
                Part("18-and-over", value=D(5)),
                Part("age-0-5", parent="under-18", value=D(3)),
                Part("age-15-17", parent="under-18", value=D(7)),
            ]
        }
        assert disaggregation_gaps(agg.COUNT, total(D(15)), parts) == []

    def test_finer_bands_not_adding_up_to_their_parent(self):
        parts = {
            "age": [
                Part("under-18", value=D(10)),
                Part("18-and-over", value=D(5)),
                Part("age-0-5", parent="under-18", value=D(3)),
                Part("age-15-17", parent="under-18", value=D(4)),
            ]
        }
        [gap] = disaggregation_gaps(agg.COUNT, total(D(15)), parts)
        assert (gap.parent, gap.expected, gap.parts_sum) == ("under-18", 10, 7)
        assert gap.categories == ("age-0-5", "age-15-17")

    def test_finer_bands_without_their_parent_are_not_checked(self):
        parts = {"age": [Part("age-0-5", parent="under-18", value=D(3))]}
        assert disaggregation_gaps(agg.COUNT, total(D(15)), parts) == []

    def test_percentages_check_numerators_and_denominators(self):
        parts = {
            "sex": [
                Part("female", numerator=D(20), denominator=D(50)),
                Part("male", numerator=D(10), denominator=D(40)),
            ]
        }
        gaps = disaggregation_gaps(agg.PERCENTAGE, total(num=D(30), den=D(100)), parts)
        assert [(g.field, g.expected, g.parts_sum) for g in gaps] == [("denominator", 100, 90)]

    def test_percentages_are_not_added_up(self):
        # 40 % and 25 % are not meant to make 30 %: only numerators and denominators are.
        parts = {
            "sex": [
                Part("female", value=D(40), numerator=D(20), denominator=D(50)),
                Part("male", value=D(20), numerator=D(10), denominator=D(50)),
            ]
        }
        assert disaggregation_gaps(agg.PERCENTAGE, total(D(30), num=D(30), den=D(100)), parts) == []

    @pytest.mark.parametrize("unit", [agg.MILESTONE, agg.QUALITATIVE])
    def test_nothing_to_add_up(self, unit):
        parts = {"sex": [Part("female", value=D(1)), Part("male", value=D(1))]}
        assert disaggregation_gaps(unit, total(D(1)), parts) == []

    def test_missing_total_is_not_checked(self):
        assert disaggregation_gaps(agg.COUNT, total(None), {"sex": [Part("female", value=D(3))]}) == []

    @given(st.lists(whole, min_size=1, max_size=8), st.lists(whole, min_size=1, max_size=8))
    def test_any_split_of_the_total_adds_up(self, sexes, regions):
        # Make both splits of the same total.
        grand = sum(sexes, D(0))
        regions = regions[:-1] + [grand - sum(regions[:-1], D(0))]
        assume(regions[-1] >= 0)
        parts = {
            "sex": [Part(f"s{i}", value=v) for i, v in enumerate(sexes)],
            "region": [Part(f"r{i}", value=v) for i, v in enumerate(regions)],
        }
        assert disaggregation_gaps(agg.COUNT, total(grand), parts) == []

    @given(st.lists(whole, min_size=1, max_size=8), st.integers(1, 1000), st.data())
    def test_any_error_in_one_part_is_flagged_once(self, values, error, data):
        grand = sum(values, D(0))
        index = data.draw(st.integers(0, len(values) - 1))
        wrong = list(values)
        wrong[index] += error
        parts = {"sex": [Part(f"s{i}", value=v) for i, v in enumerate(wrong)]}
        [gap] = disaggregation_gaps(agg.COUNT, total(grand), parts)
        assert gap.difference == error
