"""Reporting periods: 2024, 2024Q1 … 2024Q4, FY2025 (1 October 2024 – 30 September 2025)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pacte.results.periods import Kind, parse_period, periods_for

D = dt.date


@pytest.mark.parametrize(
    ("code", "start", "end", "kind", "year", "quarter"),
    [
        ("2024", D(2024, 1, 1), D(2024, 12, 31), Kind.YEAR, 2024, None),
        ("2024Q1", D(2024, 1, 1), D(2024, 3, 31), Kind.QUARTER, 2024, 1),
        ("2024Q2", D(2024, 4, 1), D(2024, 6, 30), Kind.QUARTER, 2024, 2),
        ("2024Q3", D(2024, 7, 1), D(2024, 9, 30), Kind.QUARTER, 2024, 3),
        ("2024Q4", D(2024, 10, 1), D(2024, 12, 31), Kind.QUARTER, 2024, 4),
        ("FY2025", D(2024, 10, 1), D(2025, 9, 30), Kind.FISCAL_YEAR, 2025, None),
        (" fy2025 ", D(2024, 10, 1), D(2025, 9, 30), Kind.FISCAL_YEAR, 2025, None),
        ("2024q1", D(2024, 1, 1), D(2024, 3, 31), Kind.QUARTER, 2024, 1),
    ],
)
def test_parse_period(code, start, end, kind, year, quarter):
    period = parse_period(code)
    assert (period.start, period.end, period.kind, period.year, period.quarter) == (
        start,
        end,
        kind,
        year,
        quarter,
    )
    assert str(period) == code.strip().upper()


def test_leap_year_first_quarter_ends_on_31_march_and_q1_2024_includes_29_february():
    period = parse_period("2024Q1")
    assert period.overlaps(D(2024, 2, 29), D(2024, 2, 29))


@pytest.mark.parametrize(
    "code", ["", "24", "2024Q5", "2024Q0", "FY24", "2024-Q1", "Q1 2024", "abc", "2024 Q1"]
)
def test_malformed_periods_are_refused(code):
    with pytest.raises(ValidationError) as exc:
        parse_period(code)
    assert exc.value.code == "invalid_period"


@pytest.mark.parametrize("code", ["1989", "2101", "FY1989", "2101Q1"])
def test_years_out_of_range_are_refused(code):
    with pytest.raises(ValidationError):
        parse_period(code)


def test_message_in_english():
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            parse_period("2024Q9")
        assert "is not a period" in exc.value.messages[0]
        assert "2024Q9" in exc.value.messages[0]


def test_message_in_french_by_default():
    with pytest.raises(ValidationError) as exc:
        parse_period("2024Q9")
    assert "n'est pas une période" in exc.value.messages[0]


def test_overlaps_is_inclusive_on_both_ends():
    fy = parse_period("FY2023")  # 2022-10-01 .. 2023-09-30
    assert fy.overlaps(D(2023, 9, 30), None)
    assert not fy.overlaps(D(2023, 10, 1), None)
    assert fy.overlaps(None, D(2022, 10, 1))
    assert not fy.overlaps(None, D(2022, 9, 30))
    assert fy.overlaps(None, None)


def test_periods_for_the_compact_term():
    # The Côte d'Ivoire compact runs from 7 December 2022 to 7 December 2027.
    start, end = D(2022, 12, 7), D(2027, 12, 7)
    assert [p.code for p in periods_for(Kind.YEAR, start, end)] == [str(y) for y in range(2022, 2028)]
    quarters = periods_for(Kind.QUARTER, start, end)
    assert quarters[0].code == "2022Q4" and quarters[-1].code == "2027Q4" and len(quarters) == 21
    assert [p.code for p in periods_for(Kind.FISCAL_YEAR, start, end)] == [
        f"FY{y}" for y in range(2023, 2029)
    ]


@given(st.integers(1990, 2100), st.integers(1, 4))
def test_quarters_tile_the_year(year, quarter):
    period = parse_period(f"{year}Q{quarter}")
    assert period.start.year == period.end.year == year
    if quarter < 4:
        assert parse_period(f"{year}Q{quarter + 1}").start == period.end + dt.timedelta(days=1)
    else:
        assert period.end == D(year, 12, 31)


@given(st.integers(1991, 2100))
def test_fiscal_year_is_the_four_quarters_from_october(year):
    fy = parse_period(f"FY{year}")
    quarters = [parse_period(f"{year - 1}Q4")] + [parse_period(f"{year}Q{q}") for q in (1, 2, 3)]
    assert fy.start == quarters[0].start and fy.end == quarters[-1].end
    assert (fy.end - fy.start).days + 1 == sum((q.end - q.start).days + 1 for q in quarters)
