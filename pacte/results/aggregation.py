"""How reported values roll up: pure functions, no database, exact ``Decimal`` arithmetic.

The rules (issue 3):

* **counts** (and the counts behind a *percentage change*) add up over organisations; over periods
  they add up only when the indicator counts *per period*. For a *running total* or a *latest value*
  each organisation's latest period is taken and those are summed across organisations: a running
  total is never summed over periods twice;
* **percentages** combine as the ratio of the summed numerators to the summed denominators
  (30/100 and 10/20 give 40/120 = 33.3 %, not the mean 40 %), with the same choice of periods;
* a **milestone** is achieved (1) when any organisation's latest value is 1;
* a **qualitative** indicator has no figure: only its observations are counted.

Figures stay exact internally; round them only to show them (``display``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Units and cumulative modes, as stored in IndicatorDefinition (kept as plain strings: no database).
COUNT = "count"
PERCENTAGE = "percentage"
PERCENT_CHANGE = "percent_change"
MILESTONE = "milestone"
QUALITATIVE = "qualitative"
PER_PERIOD = "per_period"
RUNNING_TOTAL = "running_total"
LATEST = "latest"
INCREASE = "increase"
DECREASE = "decrease"

# assess() answers
MET = "met"
NOT_MET = "not_met"
NO_TARGET = "no_target"
NO_DATA = "no_data"


def display(value: Decimal | None, places: int = 1) -> Decimal | None:
    """``value`` rounded half-up to ``places`` decimals, for showing only (33.333… -> 33.3)."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ratio_percent(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """100 × numerator / denominator, exact; None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return HUNDRED * numerator / denominator


class Figures(Protocol):
    """Anything carrying a reported figure: an Observation, a Part, a Value row."""

    @property
    def value(self) -> Decimal | None: ...
    @property
    def numerator(self) -> Decimal | None: ...
    @property
    def denominator(self) -> Decimal | None: ...


@dataclass(frozen=True)
class Observation:
    """One approved total: an organisation's figure for one period."""

    organisation_id: int
    period_start: dt.date
    period_end: dt.date
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    is_demo: bool = False


@dataclass(frozen=True)
class Aggregate:
    """A combined figure.

    ``value`` is the figure shown: the count, 100 × numerator / denominator for a percentage, 1 / 0
    for a milestone, None for a qualitative indicator or when nothing was reported.
    ``observations`` is how many reported values were counted; ``is_demo`` whether any of them is
    demonstration data.
    """

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    observations: int = 0
    is_demo: bool = False

    @property
    def has_data(self) -> bool:
        return self.observations > 0

    def display(self, places: int = 1) -> Decimal | None:
        return display(self.value, places)


EMPTY = Aggregate(value=None)


def _usable(unit: str, observation: Figures) -> bool:
    if unit == QUALITATIVE:
        return True
    if unit == PERCENTAGE:
        return observation.numerator is not None and observation.denominator is not None
    return observation.value is not None


def _latest_per_organisation(observations: Iterable[Observation]) -> list[Observation]:
    """Each organisation's latest observation (by end of period, then start of period)."""
    latest: dict[int, Observation] = {}
    for observation in observations:
        current = latest.get(observation.organisation_id)
        if current is None or _recency(observation) > _recency(current):
            latest[observation.organisation_id] = observation
    return list(latest.values())


def _recency(o: Observation) -> tuple[dt.date, dt.date, Decimal, Decimal, Decimal]:
    # Dates first; the figures only make the choice deterministic should two observations of one
    # organisation share their dates (which the database's uniqueness rules out).
    return (o.period_end, o.period_start, o.value or ZERO, o.numerator or ZERO, o.denominator or ZERO)


def selected(unit: str, cumulation: str, observations: Iterable[Observation]) -> list[Observation]:
    """The observations ``combine`` counts: all of them per period; otherwise (and always for a
    milestone) each organisation's latest one."""
    usable = [o for o in observations if _usable(unit, o)]
    if unit == MILESTONE or cumulation in (RUNNING_TOTAL, LATEST):
        return _latest_per_organisation(usable)
    return usable


def combine(unit: str, cumulation: str, observations: Iterable[Observation]) -> Aggregate:
    """Roll observations of one indicator (several organisations, several periods) into one figure."""
    chosen = selected(unit, cumulation, observations)
    is_demo = any(o.is_demo for o in chosen)
    count = len(chosen)
    if not chosen:
        return EMPTY
    if unit == QUALITATIVE:
        return Aggregate(value=None, observations=count, is_demo=is_demo)
    if unit == PERCENTAGE:
        numerator = sum((o.numerator or ZERO for o in chosen), ZERO)
        denominator = sum((o.denominator or ZERO for o in chosen), ZERO)
        return Aggregate(
            value=ratio_percent(numerator, denominator),
            numerator=numerator,
            denominator=denominator,
            observations=count,
            is_demo=is_demo,
        )
    if unit == MILESTONE:
        achieved = any(o.value == ONE for o in chosen)
        return Aggregate(value=ONE if achieved else ZERO, observations=count, is_demo=is_demo)
    total = sum((o.value or ZERO for o in chosen), ZERO)
    return Aggregate(value=total, observations=count, is_demo=is_demo)


@dataclass(frozen=True)
class Change:
    """Change from the baseline: ``percent`` is None ("n/a") when the baseline is 0 or missing;
    ``absolute`` (current − baseline) is None only when either figure is missing."""

    percent: Decimal | None
    absolute: Decimal | None
    current: Decimal | None = None
    baseline: Decimal | None = None

    @property
    def is_na(self) -> bool:
        return self.percent is None

    def display(self, places: int = 1) -> Decimal | None:
        return display(self.percent, places)


def percent_change(current: Decimal | None, baseline: Decimal | None) -> Change:
    absolute = current - baseline if current is not None and baseline is not None else None
    percent = None
    if absolute is not None and baseline:  # baseline is neither None nor 0
        percent = HUNDRED * absolute / abs(baseline)
    return Change(percent=percent, absolute=absolute, current=current, baseline=baseline)


def assess(direction: str, actual: Decimal | None, target: Decimal | None) -> str:
    """ "met", "not_met", "no_target" (no target for that year, whatever the data) or "no_data"."""
    if target is None:
        return NO_TARGET
    if actual is None:
        return NO_DATA
    met = actual <= target if direction == DECREASE else actual >= target
    return MET if met else NOT_MET


def variance(actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    """actual − target, None when either is missing."""
    if actual is None or target is None:
        return None
    return actual - target


# -- disaggregations --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One disaggregated value of a submission. ``category`` and ``parent`` are keys of categories
    (ids or codes); ``parent`` is the category this one is a finer band of (15–17 of *under 18*)."""

    category: str
    parent: str | None = None
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None


@dataclass(frozen=True)
class DisaggregationGap:
    """Parts of one level that do not add up.

    ``parent`` None: the dimension's top-level parts against the total; otherwise the children of
    that parent category against the parent's own figure. ``field`` is "value" (counts),
    "numerator" or "denominator" (percentages).
    """

    dimension: str
    parent: str | None
    field: str
    expected: Decimal
    parts_sum: Decimal
    categories: tuple[str, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.parts_sum - self.expected


Gap = DisaggregationGap

# Sums are of values with four decimal places: anything smaller than this is no difference at all
# (and absorbs the floating point of SQLite's sums when the check runs in the database).
TOLERANCE = Decimal("0.00005")


def checked_fields(unit: str) -> tuple[str, ...]:
    if unit == PERCENTAGE:
        return ("numerator", "denominator")
    if unit in (COUNT, PERCENT_CHANGE):
        return ("value",)
    return ()


def disaggregation_gaps(
    unit: str, total: Figures, parts: Mapping[str, Sequence[Part]]
) -> list[DisaggregationGap]:
    """Per dimension (the keys of ``parts``), the groups of reported parts of one level whose sum
    differs from what they divide: top-level parts against ``total``, the children of a parent
    against the parent's figure. Only reported parts are summed (a category left out counts as 0);
    a dimension without reported parts, or a group whose reference figure is missing, is not
    checked. Milestones and qualitative indicators have nothing to add up."""
    fields = checked_fields(unit)
    gaps: list[DisaggregationGap] = []
    for dimension in sorted(parts):
        members = parts[dimension]
        by_key = {p.category: p for p in members}
        groups: dict[str | None, list[Part]] = defaultdict(list)
        for part in members:
            groups[part.parent].append(part)
        for parent in sorted(groups, key=lambda k: (k is not None, k or "")):
            reference: Figures | None = total if parent is None else by_key.get(parent)
            if reference is None:
                continue
            group = groups[parent]
            for name in fields:
                expected = getattr(reference, name)
                values = [getattr(p, name) for p in group if getattr(p, name) is not None]
                if expected is None or not values:
                    continue
                parts_sum = sum(values, ZERO)
                if abs(parts_sum - expected) > TOLERANCE:
                    gaps.append(
                        DisaggregationGap(
                            dimension=dimension,
                            parent=parent,
                            field=name,
                            expected=expected,
                            parts_sum=parts_sum,
                            categories=tuple(sorted(p.category for p in group)),
                        )
                    )
    return gaps
