"""Reporting periods, named as people write them: ``2024``, ``2024Q1`` … ``2024Q4``, ``FY2025``.

The US federal fiscal year FY2025 runs from 1 October 2024 to 30 September 2025.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PERIOD_RE = re.compile(r"^(?:(?P<fy>FY)(?P<fyear>\d{4})|(?P<year>\d{4})(?:Q(?P<quarter>[1-4]))?)$")
MIN_YEAR = 1990
MAX_YEAR = 2100


class Kind:
    YEAR = "annual"
    QUARTER = "quarterly"
    FISCAL_YEAR = "fiscal_year"


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    code: str
    kind: str
    year: int
    quarter: int | None = None

    def __str__(self) -> str:
        return self.code

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        return (start is None or self.end >= start) and (end is None or self.start <= end)


def parse_period(code: str) -> Period:
    """Parse a period code (case and surrounding spaces ignored); ValidationError when malformed."""
    text = (code or "").strip().upper()
    match = PERIOD_RE.match(text)
    if not match:
        raise ValidationError(
            _(
                "“%(value)s” is not a period: write a year (2024), a quarter (2024Q1) "
                "or a US fiscal year (FY2025)."
            ),
            params={"value": code},
            code="invalid_period",
        )
    year = int(match["fyear"] or match["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            _("The year of “%(value)s” must be between %(min)s and %(max)s."),
            params={"value": code, "min": MIN_YEAR, "max": MAX_YEAR},
            code="invalid_period",
        )
    if match["fy"]:
        return Period(dt.date(year - 1, 10, 1), dt.date(year, 9, 30), text, Kind.FISCAL_YEAR, year)
    if match["quarter"]:
        quarter = int(match["quarter"])
        first_month = 3 * (quarter - 1) + 1
        start = dt.date(year, first_month, 1)
        next_start = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, first_month + 3, 1)
        return Period(start, next_start - dt.timedelta(days=1), text, Kind.QUARTER, year, quarter)
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), text, Kind.YEAR, year)


def periods_for(kind: str, start: dt.date, end: dt.date) -> list[Period]:
    """Every period of ``kind`` that overlaps ``start``..``end``, in order."""
    if kind == Kind.QUARTER:
        codes = [f"{y}Q{q}" for y in range(start.year, end.year + 1) for q in range(1, 5)]
    elif kind == Kind.FISCAL_YEAR:
        codes = [f"FY{y}" for y in range(start.year, end.year + 2)]
    else:
        codes = [str(y) for y in range(start.year, end.year + 1)]
    return [p for p in map(parse_period, codes) if p.overlaps(start, end)]
