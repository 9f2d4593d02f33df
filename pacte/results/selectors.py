"""Reads of results. Every selector takes the user and returns only what that user may see.

Visibility (``/work/notes/RESULTS_CONTRACT.md``):

* nobody without ``Capability.VIEW`` on the compact sees anything (querysets are empty, ``get_*``
  raise Http404, ``compact_progress`` has no row);
* indicators follow ``pacte.compacts.selectors.filter_visibility``: a user who may not see non-public
  information sees only public indicators of public objectives;
* **progress counts approved values only**; every user who sees an indicator sees its approved values;
* submissions: everyone sees the approved ones; reporting organisations (``REPORT_RESULTS``) also see
  every submission of their own organisation (and the ones they created on behalf of others);
  reviewers (``REVIEW_RESULTS``) see every submission that is not a draft, plus their own drafts.

Every selector takes an optional ``access`` (from ``get_compact``) to spare the two queries of
``access_for``. ``compact_progress`` and ``indicator_progress`` run a fixed number of queries whatever
the amount of data: approved totals are read as plain rows (one query) and combined in Python with
``aggregation.combine``; disaggregation checks run in the database and return only the mismatches.

The dataclasses below are what pages, the API and the annual report render.

Caching (``cached_compact_progress``, ``progress_cache_key``): the progress page and the indicator
API keep what they compute in Django's cache under a key made of the compact, its results version
token (``ResultsState``, changed by every results service), its content version and last change
(compacts services), the year, whether the viewer sees non-public indicators (the only thing of the
user progress depends on: every user who sees an indicator sees its approved values) and the active
language (messages and labels). Invalidation therefore comes from the database: a write commits a new
token and every process stops using what it cached under the old one. ``compact_progress`` itself
never caches (the annual report and the tests read fresh figures).

* ``CompactProgress``: ``compact``, ``years`` (the compact's term), ``year`` (the year of interest:
  the ``year`` argument, else the current year within the term; values of later years are not
  counted), ``pillars`` (``PillarProgress`` for every pillar, in order), ``summary``, ``gaps``,
  ``is_demo``; properties ``rows``, ``flags``.
* ``PillarProgress``: ``pillar``, ``label``, ``objectives`` (``ObjectiveProgress``), ``summary``.
* ``ObjectiveProgress``: ``objective``, ``rows`` (``IndicatorRow``), ``undefined`` (visible
  indicators without a definition), ``summary``.
* ``Summary`` (for the year of interest): ``indicators`` (visible, defined or not), ``defined``,
  ``with_target`` (a target for that year), ``with_data`` (an approved value counted for that year),
  ``met``, ``not_met``.
* ``IndicatorRow``: ``definition``, ``indicator``, ``objective``, ``baseline`` (``Baseline``),
  ``years`` (``YearFigure`` per year of the term), ``year`` (the figure of the year of interest),
  ``latest`` (the last year with data), ``change`` (percent-change indicators: the latest change
  from the baseline), ``flags`` (``Flag``), ``has_data``, ``has_targets``, ``is_demo``.
* ``YearFigure``: ``year``, ``target``, ``actual`` (``aggregation.Aggregate``: ``value``,
  ``numerator``, ``denominator``, ``observations``, ``is_demo``), ``change`` (``aggregation.Change``
  for percent-change indicators: ``percent`` (None = "n/a"), ``absolute``), ``measured`` (what is
  compared to the target: the percentage change for percent-change indicators, else
  ``actual.value``), ``variance`` (measured − target), ``assessment`` ("met", "not_met",
  "no_target", "no_data").
* ``Baseline``: ``value``, ``numerator``, ``denominator``, ``year``, ``source``, ``from_data`` (True
  when a percent-change indicator's empty baseline value was taken from the approved values of
  its baseline year).
* ``Flag``: an approved submission whose disaggregated parts do not add up: ``definition_id``,
  ``submission_id``, ``period``, ``organisation_id``, ``organisation_name``, ``dimension``,
  ``dimension_label``, ``parent_id`` / ``parent_label`` (None: the dimension's top level against the
  total; else the finer bands of that category), ``field`` ("value", "numerator", "denominator"),
  ``expected``, ``parts_sum``, ``difference``.
* ``ProgressGap``: ``kind`` ("objective_without_indicator", "indicator_without_definition",
  "indicator_without_target", "indicator_without_data"), ``message`` (in the active language),
  ``objective``, ``indicator``.
* ``IndicatorProgress``: ``definition``, ``row`` (the ``IndicatorRow``), ``targets`` (``Target``
  rows), ``periods`` (``PeriodFigure``: ``period``, ``start``, ``end``, ``year``, ``aggregate`` —
  combined across organisations; for running totals and latest values each organisation's latest
  value up to the period's end), ``organisations`` (``OrganisationSeries``: ``organisation_id``,
  ``name``, ``points`` of ``Point``: ``submission_id``, ``period``, ``start``, ``end``, ``year``,
  ``value``, ``numerator``, ``denominator``, ``text``, ``figure``, ``is_demo``), ``breakdown_year``
  and ``breakdown`` (``DimensionBreakdown``: ``dimension``, ``label``, ``categories`` of
  ``CategoryFigure``: ``category_id``, ``code``, ``label``, ``parent_id``, ``aggregate``: the
  approved parts of the submissions counted for that year), ``flags``, ``is_demo``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Abs
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from pacte.compacts.models import PILLAR_ORDER, Compact, Indicator, Membership, Objective, Pillar
from pacte.compacts.permissions import Access, Capability, access_for
from pacte.compacts.selectors import filter_visibility

from . import aggregation as agg
from .models import (
    AnnualReport,
    Dimension,
    IndicatorDefinition,
    NarrativeSection,
    ResultsState,
    Submission,
    Target,
    Value,
)

if TYPE_CHECKING:
    from pacte.accounts.models import User

Unit = IndicatorDefinition.Unit
Cumulation = IndicatorDefinition.Cumulation
Status = Submission.Status

# Who may report on behalf of any reporter organisation.
REPORT_ON_BEHALF_ROLES = (Membership.Role.PROGRAMME_OFFICER, "site_admin")


# -- access ------------------------------------------------------------------------------------------
def _access(user: User | None, compact: Compact, access: Access | None) -> Access:
    return access if access is not None else access_for(user, compact)


def _indicators(compact: Compact, access: Access) -> QuerySet[Indicator]:
    """The compact's indicators the user may see (public ones of public objectives, unless the user
    may see non-public information)."""
    return filter_visibility(Indicator.objects.filter(objective__compact=compact), access)


def _indicator_visible(indicator: Indicator, access: Access) -> bool:
    if not access.can_view:
        return False
    if access.can_view_non_public:
        return True
    return indicator.is_public and indicator.objective.is_public


def _restrict_to_visible_indicators(
    qs: QuerySet[Any], compact: Compact, access: Access, path: str
) -> QuerySet[Any]:
    if access.can_view_non_public:
        return qs
    return qs.filter(**{f"{path}__in": _indicators(compact, access).values("pk")})


# -- definitions and submissions --------------------------------------------------------------------
def visible_definitions(
    user: User | None, compact: Compact, *, access: Access | None = None
) -> QuerySet[IndicatorDefinition]:
    """Definitions of indicators the user may see, with indicator and objective selected and the
    targets prefetched (``definition.targets.all()``, by year)."""
    access = _access(user, compact, access)
    qs = IndicatorDefinition.objects.filter(compact=compact)
    if not access.can_view:
        return qs.none()
    qs = _restrict_to_visible_indicators(qs, compact, access, "indicator")
    targets = Target.objects.order_by("year")
    return qs.select_related("indicator__objective").prefetch_related(Prefetch("targets", queryset=targets))


def undefined_indicators(
    user: User | None, compact: Compact, *, access: Access | None = None
) -> QuerySet[Indicator]:
    """Visible indicators of the compact that have no definition yet."""
    access = _access(user, compact, access)
    if not access.can_view:
        return Indicator.objects.none()
    return _indicators(compact, access).filter(definition__isnull=True).select_related("objective")


def reportable_definitions(
    user: User | None, compact: Compact, *, access: Access | None = None
) -> QuerySet[IndicatorDefinition]:
    """Definitions the user may report on: those naming the user's organisation as a reporter;
    programme officers and site administrators may report for any reporter, so every definition
    that has one."""
    access = _access(user, compact, access)
    qs = visible_definitions(user, compact, access=access)
    if not access.can(Capability.REPORT_RESULTS):
        return qs.none()
    reporters = IndicatorDefinition.reporters.through.objects.filter(indicatordefinition_id=OuterRef("pk"))
    if access.role in REPORT_ON_BEHALF_ROLES:
        return qs.filter(Exists(reporters))
    if user is None or not user.organisation_id:
        return qs.none()
    return qs.filter(Exists(reporters.filter(organisation_id=user.organisation_id)))


def _submission_rule(user: User | None, access: Access) -> Q:
    """Which statuses / organisations of submissions ``access`` shows (approved: everyone)."""
    rule = Q(status=Status.APPROVED)
    if user is None:
        return rule
    own = Q(created_by=user)
    if user.organisation_id:
        own |= Q(organisation_id=user.organisation_id)
    if access.can(Capability.REVIEW_RESULTS):
        return rule | ~Q(status=Status.DRAFT) | own
    if access.can(Capability.REPORT_RESULTS):
        return rule | own
    return rule


def visible_submissions(
    user: User | None,
    compact: Compact,
    *,
    status: str | Sequence[str] | None = None,
    organisation: Any = None,
    period: str | None = None,
    definition: Any = None,
    access: Access | None = None,
) -> QuerySet[Submission]:
    """Submissions of the compact the user may see, with definition, indicator and organisation
    selected. ``organisation`` and ``definition`` accept an instance or a primary key."""
    access = _access(user, compact, access)
    qs = Submission.objects.filter(compact=compact)
    if not access.can_view:
        return qs.none()
    qs = _restrict_to_visible_indicators(qs, compact, access, "definition__indicator")
    qs = qs.filter(_submission_rule(user, access))
    if status:
        qs = qs.filter(status=status) if isinstance(status, str) else qs.filter(status__in=list(status))
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if period:
        qs = qs.filter(period=period.strip().upper())
    if definition is not None:
        qs = qs.filter(definition=definition)
    return qs.select_related("definition__indicator__objective", "organisation")


def get_submission(
    user: User | None, compact: Compact, pk: Any, *, access: Access | None = None
) -> Submission:
    """One visible submission with its values (categories selected) and evidence; 404 otherwise."""
    qs = visible_submissions(user, compact, access=access).prefetch_related("values__category", "evidence")
    try:
        return qs.get(pk=pk)
    except (Submission.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_definition(
    user: User | None, compact: Compact, pk: Any, *, access: Access | None = None
) -> IndicatorDefinition:
    """One visible definition with targets, categories and reporters prefetched; 404 otherwise."""
    qs = visible_definitions(user, compact, access=access).prefetch_related("categories", "reporters")
    try:
        return qs.get(pk=pk)
    except (IndicatorDefinition.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# -- progress dataclasses -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    year: int | None = None
    source: str = ""
    from_data: bool = False
    is_demo: bool = False


@dataclass(frozen=True)
class YearFigure:
    year: int
    target: Decimal | None
    actual: agg.Aggregate
    measured: Decimal | None
    variance: Decimal | None
    assessment: str
    change: agg.Change | None = None

    @property
    def has_data(self) -> bool:
        return self.actual.has_data


@dataclass(frozen=True)
class Flag:
    definition_id: int
    submission_id: int
    period: str
    organisation_id: int
    organisation_name: str
    dimension: str
    dimension_label: str
    parent_id: int | None
    parent_label: str | None
    field: str
    expected: Decimal
    parts_sum: Decimal

    @property
    def difference(self) -> Decimal:
        return self.parts_sum - self.expected


@dataclass
class IndicatorRow:
    definition: IndicatorDefinition
    indicator: Indicator
    objective: Objective
    baseline: Baseline
    years: list[YearFigure]
    year: YearFigure | None
    latest: YearFigure | None
    change: agg.Change | None
    flags: list[Flag] = field(default_factory=list)
    has_data: bool = False
    has_targets: bool = False
    is_demo: bool = False

    @property
    def unit(self) -> str:
        return self.definition.unit

    def figure(self, year: int) -> YearFigure | None:
        return next((f for f in self.years if f.year == year), None)


@dataclass
class Summary:
    indicators: int = 0
    defined: int = 0
    with_target: int = 0
    with_data: int = 0
    met: int = 0
    not_met: int = 0

    def add(self, other: Summary) -> None:
        self.indicators += other.indicators
        self.defined += other.defined
        self.with_target += other.with_target
        self.with_data += other.with_data
        self.met += other.met
        self.not_met += other.not_met


@dataclass
class ObjectiveProgress:
    objective: Objective
    rows: list[IndicatorRow] = field(default_factory=list)
    undefined: list[Indicator] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


@dataclass
class PillarProgress:
    pillar: str
    label: str
    objectives: list[ObjectiveProgress] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for objective in self.objectives for row in objective.rows]


@dataclass(frozen=True)
class ProgressGap:
    kind: str
    message: str
    objective: Objective | None = None
    indicator: Indicator | None = None


@dataclass
class CompactProgress:
    compact: Compact
    years: list[int]
    year: int
    pillars: list[PillarProgress]
    summary: Summary
    gaps: list[ProgressGap]
    is_demo: bool = False

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for pillar in self.pillars for row in pillar.rows]

    @property
    def flags(self) -> list[Flag]:
        return [flag for row in self.rows for flag in row.flags]


@dataclass(frozen=True)
class PeriodFigure:
    period: str
    start: dt.date
    end: dt.date
    year: int
    aggregate: agg.Aggregate


@dataclass(frozen=True)
class Point:
    submission_id: int
    period: str
    start: dt.date
    end: dt.date
    year: int
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    text: str
    figure: Decimal | None  # the figure shown: value, or 100 × numerator / denominator
    is_demo: bool = False


@dataclass
class OrganisationSeries:
    organisation_id: int
    name: str
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class CategoryFigure:
    category_id: int
    code: str
    label: str
    parent_id: int | None
    aggregate: agg.Aggregate


@dataclass
class DimensionBreakdown:
    dimension: str
    label: str
    categories: list[CategoryFigure] = field(default_factory=list)


@dataclass
class IndicatorProgress:
    definition: IndicatorDefinition
    row: IndicatorRow
    targets: list[Target]
    periods: list[PeriodFigure]
    organisations: list[OrganisationSeries]
    breakdown_year: int | None
    breakdown: list[DimensionBreakdown]
    flags: list[Flag]
    is_demo: bool = False


# -- progress: computation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Obs:
    """An approved total with what the selectors need besides ``aggregation.Observation``."""

    submission_id: int
    year: int
    period: str
    organisation_name: str
    text: str
    observation: agg.Observation


def term_years(compact: Compact) -> list[int]:
    if compact.start_date and compact.end_date and compact.start_date <= compact.end_date:
        return list(range(compact.start_date.year, compact.end_date.year + 1))
    return []


def year_of_interest(years: list[int], year: int | None) -> int:
    """The year a progress view is about: ``year`` if given, else the current year within the term."""
    return _year_of_interest(years, year)


def _year_of_interest(years: list[int], year: int | None) -> int:
    if year is not None:
        return year
    today = timezone.localdate().year
    if years:
        return min(max(today, years[0]), years[-1])
    return today


def _counts_up_to(definition: IndicatorDefinition) -> bool:
    """Whether a year's figure takes each organisation's latest value up to that year (running
    totals, latest values, milestones) rather than the sum of that year's periods."""
    return definition.unit == Unit.MILESTONE or definition.cumulation in (
        Cumulation.RUNNING_TOTAL,
        Cumulation.LATEST,
    )


def _for_year(definition: IndicatorDefinition, rows: Iterable[_Obs], year: int) -> list[agg.Observation]:
    if _counts_up_to(definition):
        return [r.observation for r in rows if r.year <= year]
    return [r.observation for r in rows if r.year == year]


def _baseline(definition: IndicatorDefinition, rows: Sequence[_Obs]) -> Baseline:
    d = definition
    value = d.baseline_value
    if value is None and d.unit == Unit.PERCENTAGE:
        value = agg.ratio_percent(d.baseline_numerator, d.baseline_denominator)
    from_data = False
    is_demo = False
    if value is None and d.unit == Unit.PERCENT_CHANGE and d.baseline_year:
        measured = agg.combine(d.unit, d.cumulation, _for_year(d, rows, d.baseline_year))
        if measured.has_data:
            value, from_data, is_demo = measured.value, True, measured.is_demo
    return Baseline(
        value=value,
        numerator=d.baseline_numerator,
        denominator=d.baseline_denominator,
        year=d.baseline_year,
        source=d.baseline_source,
        from_data=from_data,
        is_demo=is_demo,
    )


def _build_row(
    definition: IndicatorDefinition,
    rows: Sequence[_Obs],
    targets: dict[int, Decimal | None],
    years: list[int],
    year_of_interest: int,
    flags: list[Flag],
) -> IndicatorRow:
    d = definition
    baseline = _baseline(d, rows)
    figures: list[YearFigure] = []
    for year in years:
        target = targets.get(year)
        actual = (
            agg.combine(d.unit, d.cumulation, _for_year(d, rows, year))
            if year <= year_of_interest
            else agg.EMPTY
        )
        change = None
        measured = actual.value
        if d.unit == Unit.PERCENT_CHANGE:
            change = agg.percent_change(actual.value, baseline.value) if actual.has_data else None
            measured = change.percent if change else None
        figures.append(
            YearFigure(
                year=year,
                target=target,
                actual=actual,
                measured=measured,
                variance=agg.variance(measured, target),
                assessment=agg.assess(d.direction, measured, target),
                change=change,
            )
        )
    with_data = [f for f in figures if f.has_data]
    latest = with_data[-1] if with_data else None
    return IndicatorRow(
        definition=d,
        indicator=d.indicator,
        objective=d.indicator.objective,
        baseline=baseline,
        years=figures,
        year=next((f for f in figures if f.year == year_of_interest), None),
        latest=latest,
        change=latest.change if latest else None,
        flags=flags,
        has_data=bool(with_data),
        has_targets=any(v is not None for v in targets.values()),
        is_demo=baseline.is_demo or any(f.actual.is_demo for f in figures),
    )


TOTAL_FIELDS = (
    "submission_id",
    "submission__definition_id",
    "submission__organisation_id",
    "submission__organisation__name",
    "submission__period",
    "submission__period_start",
    "submission__period_end",
    "submission__year",
    "submission__is_demo",
    "value",
    "numerator",
    "denominator",
    "text",
)


def _approved_totals(compact: Compact, definition_ids: Sequence[int]) -> dict[int, list[_Obs]]:
    """Approved totals per definition, ordered by period (one query, plain rows)."""
    by_definition: dict[int, list[_Obs]] = defaultdict(list)
    if not definition_ids:
        return by_definition
    rows = (
        Value.objects.filter(
            category__isnull=True,
            submission__compact=compact,
            submission__status=Status.APPROVED,
            submission__definition_id__in=list(definition_ids),
        )
        .order_by("submission__period_start", "submission__period_end", "submission__organisation_id")
        .values_list(*TOTAL_FIELDS)
    )
    for sub, definition_id, org, org_name, period, start, end, year, demo, value, num, den, text in rows:
        by_definition[definition_id].append(
            _Obs(
                submission_id=sub,
                year=year,
                period=period,
                organisation_name=org_name,
                text=text,
                observation=agg.Observation(
                    organisation_id=org,
                    period_start=start,
                    period_end=end,
                    value=value,
                    numerator=num,
                    denominator=den,
                    is_demo=demo,
                ),
            )
        )
    return by_definition


def _targets(definitions: Iterable[IndicatorDefinition]) -> dict[int, dict[int, Decimal | None]]:
    return {d.pk: {t.year: t.value for t in d.targets.all()} for d in definitions}


CHECKED_UNITS = (Unit.COUNT, Unit.PERCENTAGE, Unit.PERCENT_CHANGE)
# Submissions the check is run on: not those whose parts are known to add up (stored by
# ``services.save_submission``; their values cannot change once submitted).
UNCHECKED = ~Q(parts_add_up=True)


FIGURES = ("value", "numerator", "denominator")


def _flags(
    compact: Compact,
    definitions: Iterable[IndicatorDefinition],
    *,
    submissions: Q | None = None,
    approved_only: bool = True,
) -> dict[int, list[Flag]]:
    """Approved submissions whose disaggregated parts do not add up, per definition (two queries at
    most: the categories the definitions use, then the check).

    The same rule as ``aggregation.disaggregation_gaps``, run in the database so that only the
    mismatches travel: per submission and dimension, the top-level parts against the total; per
    parent category, its finer bands against the parent's own figure. Only reported parts are summed;
    a group whose reference figure is missing is not checked.

    One pass over the values, grouped by submission: each group of parts and its reference figure
    is a filtered sum (``SUM(value) FILTER (WHERE …)``), compared in ``HAVING``."""
    flags: dict[int, list[Flag]] = defaultdict(list)
    checked = [d.pk for d in definitions if d.unit in CHECKED_UNITS]
    if not checked:
        return flags
    english = (translation.get_language() or "fr").startswith("en")
    # The groups to check: the dimensions and the parent categories of the definitions' categories.
    label = (
        "disaggregationcategory__parent__label_en" if english else "disaggregationcategory__parent__label_fr"
    )
    used = set(
        IndicatorDefinition.categories.through.objects.filter(indicatordefinition_id__in=checked)
        .order_by()
        .values_list("disaggregationcategory__dimension", "disaggregationcategory__parent_id", label)
        .distinct()
    )
    if not used:
        return flags
    dimensions = [d for d in Dimension.values if any(u[0] == d and u[1] is None for u in used)]
    parents = sorted((pk, dimension, name) for dimension, pk, name in used if pk is not None)
    # (dimension, parent id, parent label, alias of the parts' sums, alias of the reference)
    groups: list[tuple[str, int | None, str | None, str, str]] = [
        (dimension, None, None, f"top_{dimension}", "total") for dimension in dimensions
    ]
    groups += [(dimension, pk, name, f"children_{pk}", f"parent_{pk}") for pk, dimension, name in parents]
    sums: dict[str, Any] = {}
    for name in FIGURES:
        figure = f"values__{name}"
        sums[f"total_{name}"] = Sum(figure, filter=Q(values__category__isnull=True))
        for dimension in dimensions:
            top = Q(values__category__dimension=dimension, values__category__parent__isnull=True)
            sums[f"top_{dimension}_{name}"] = Sum(figure, filter=top)
        for pk, _dimension, _label in parents:
            sums[f"children_{pk}_{name}"] = Sum(figure, filter=Q(values__category__parent_id=pk))
            sums[f"parent_{pk}_{name}"] = Sum(figure, filter=Q(values__category_id=pk))
    tolerance = agg.TOLERANCE
    differences = {
        f"diff_{parts}_{name}": Abs(F(f"{parts}_{name}") - F(f"{reference}_{name}"))
        for _dimension, _pk, _label, parts, reference in groups
        for name in FIGURES
    }
    mismatch = Q()
    for alias in differences:
        mismatch |= Q(**{f"{alias}__gt": tolerance})
    rows = (
        Submission.objects.filter(compact=compact, definition_id__in=checked)
        .filter(Q(status=Status.APPROVED) if approved_only else Q())
        .filter(submissions if submissions is not None else UNCHECKED)
        .order_by()
        .annotate(**sums)
        .annotate(**differences)
        .filter(mismatch)
        .values(
            "pk",
            "definition_id",
            "definition__unit",
            "period",
            "organisation_id",
            "organisation__name",
            *sums,
        )
    )
    for row in rows:
        unit = row["definition__unit"]
        for dimension, parent_id, parent_label, parts, reference in groups:
            for name in agg.checked_fields(unit):
                expected, parts_sum = row[f"{reference}_{name}"], row[f"{parts}_{name}"]
                if expected is None or parts_sum is None:
                    continue
                expected, parts_sum = _exact(expected), _exact(parts_sum)
                if abs(parts_sum - expected) <= tolerance:
                    continue
                flags[row["definition_id"]].append(
                    Flag(
                        definition_id=row["definition_id"],
                        submission_id=row["pk"],
                        period=row["period"],
                        organisation_id=row["organisation_id"],
                        organisation_name=row["organisation__name"],
                        dimension=dimension,
                        dimension_label=str(Dimension(dimension).label),
                        parent_id=parent_id,
                        parent_label=parent_label,
                        field=name,
                        expected=expected,
                        parts_sum=parts_sum,
                    )
                )
    order = Dimension.values
    for items in flags.values():
        items.sort(
            key=lambda f: (f.period, f.organisation_name, order.index(f.dimension), f.parent_id or 0, f.field)
        )
    return flags


def parts_add_up(submissions: QuerySet[Submission]) -> dict[int, bool]:
    """For each of ``submissions`` (any status), whether its disaggregated parts add up (the rule of
    the progress flags); a fixed number of queries per compact."""
    found: dict[int, bool] = {}
    by_compact: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, compact_id, definition_id in submissions.values_list("pk", "compact_id", "definition_id"):
        by_compact[compact_id].append((pk, definition_id))
    for compact_id, items in by_compact.items():
        definitions = IndicatorDefinition.objects.filter(pk__in={d for _pk, d in items}).only("pk", "unit")
        ids = [pk for pk, _d in items]
        flags = _flags(Compact(pk=compact_id), definitions, submissions=Q(pk__in=ids), approved_only=False)
        flagged = {f.submission_id for items_ in flags.values() for f in items_}
        found.update({pk: pk not in flagged for pk in ids})
    return found


def _exact(value: Any) -> Decimal:
    """A database sum back to the four decimals of the stored values (SQLite sums in floating point)."""
    return Decimal(str(value)).quantize(FOUR_PLACES)


FOUR_PLACES = Decimal("0.0001")


def _gap(
    kind: str, message: str, objective: Objective | None, indicator: Indicator | None = None
) -> ProgressGap:
    return ProgressGap(kind=kind, message=message, objective=objective, indicator=indicator)


def compact_progress(
    user: User | None, compact: Compact, *, year: int | None = None, access: Access | None = None
) -> CompactProgress:
    """Progress of every visible indicator of the compact, from approved values only.

    Nine queries at most whatever the amount of data (seven with ``access`` given): access (2),
    objectives, indicators, definitions, targets, approved totals, and the disaggregation check
    (the categories in use, then one grouped pass over the values)."""
    access = _access(user, compact, access)
    years = term_years(compact)
    year_of_interest = _year_of_interest(years, year)
    pillars = [PillarProgress(p, str(Pillar(p).label)) for p in PILLAR_ORDER]
    progress = CompactProgress(
        compact=compact, years=years, year=year_of_interest, pillars=pillars, summary=Summary(), gaps=[]
    )
    if not access.can_view:
        return progress

    objectives = list(filter_visibility(compact.objectives.order_by("number"), access))
    indicators = list(_indicators(compact, access).order_by("objective__number", "order", "id"))
    definitions = {d.indicator_id: d for d in visible_definitions(user, compact, access=access)}
    ids = [d.pk for d in definitions.values()]
    totals = _approved_totals(compact, ids)
    flags = _flags(compact, definitions.values())
    targets = _targets(definitions.values())

    by_pillar = {p.pillar: p for p in pillars}
    by_objective: dict[int, ObjectiveProgress] = {}
    for objective in objectives:
        item = ObjectiveProgress(objective)
        by_objective[objective.pk] = item
        by_pillar[objective.pillar].objectives.append(item)

    gaps: list[ProgressGap] = []
    for indicator in indicators:
        item = by_objective[indicator.objective_id]  # visible indicators hang from visible objectives
        item.summary.indicators += 1
        definition = definitions.get(indicator.pk)
        if definition is None:
            item.undefined.append(indicator)
            continue
        definition.indicator = indicator
        indicator.objective = item.objective
        row = _build_row(
            definition,
            totals.get(definition.pk, []),
            targets.get(definition.pk, {}),
            years,
            year_of_interest,
            flags.get(definition.pk, []),
        )
        item.rows.append(row)
        summary = item.summary
        summary.defined += 1
        if row.year is not None:
            summary.with_target += row.year.target is not None
            summary.with_data += row.year.has_data
            summary.met += row.year.assessment == agg.MET
            summary.not_met += row.year.assessment == agg.NOT_MET

    for pillar in pillars:
        for item in pillar.objectives:
            pillar.summary.add(item.summary)
            gaps.extend(_objective_gaps(item, pillar.label))
        progress.summary.add(pillar.summary)
    progress.gaps = gaps
    progress.is_demo = any(row.is_demo for row in progress.rows)
    return progress


PROGRESS_CACHE_SECONDS = 60 * 60 * 24


def results_token(compact: Compact) -> str | None:
    """The compact's results version token (one query); None when no results service ever wrote for
    this compact (nothing is cached then)."""
    return ResultsState.objects.filter(compact_id=compact.pk).values_list("token", flat=True).first()


UNREAD: Any = object()  # "the token was not read yet" (None: read, and there is none)


def progress_cache_key(
    compact: Compact, access: Access, year: int, *parts: object, token: str | None = UNREAD
) -> str | None:
    """The cache key of what is computed from the progress of ``compact`` for ``year`` as ``access``
    sees it (``parts`` tell apart what is derived from it: a page fragment, an API page…); None when
    nothing may be cached. Read the token before the data: a write committed in between then only
    leaves fresher data under the old key, which nobody reads any more."""
    if not access.can_view:
        return None
    if token is UNREAD:
        token = results_token(compact)
    if token is None:
        return None
    changed = compact.updated_at.timestamp() if compact.updated_at else ""
    content = getattr(compact, "content_version", "")
    language = translation.get_language() or ""
    scope = "all" if access.can_view_non_public else "public"
    extra = ":".join(str(p) for p in parts)
    return f"results:progress:{compact.pk}:{token}:{content}:{changed}:{year}:{scope}:{language}:{extra}"


def cached_compact_progress(
    user: User | None,
    compact: Compact,
    *,
    year: int | None = None,
    access: Access | None = None,
    token: str | None = UNREAD,
) -> CompactProgress:
    """``compact_progress`` through the cache (see the module's docstring): one query (the token,
    none when given) when cached, else the computation. The returned ``compact`` is the caller's."""
    access = _access(user, compact, access)
    year = _year_of_interest(term_years(compact), year)
    key = progress_cache_key(compact, access, year, "data", token=token)
    progress = cache.get(key) if key else None
    if progress is None:
        progress = compact_progress(user, compact, year=year, access=access)
        if key:
            for row in progress.rows:
                # The prefetched targets (querysets) would triple the pickle's cost; the rows hold
                # the targets already (``years``).
                row.definition._prefetched_objects_cache = {}  # type: ignore[attr-defined]
            cache.set(key, progress, PROGRESS_CACHE_SECONDS)
    progress.compact = compact
    return progress


def _objective_gaps(item: ObjectiveProgress, pillar_label: str) -> list[ProgressGap]:
    objective = item.objective
    params = {"number": objective.number, "pillar": pillar_label}
    if not item.rows and not item.undefined:
        return [
            _gap(
                "objective_without_indicator",
                gettext("Objective %(number)s (%(pillar)s) has no indicator.") % params,
                objective,
            )
        ]
    gaps = []
    for indicator in item.undefined:
        gaps.append(
            _gap(
                "indicator_without_definition",
                gettext(
                    "Indicator “%(name)s” (objective %(number)s) is not defined yet: "
                    "no unit, baseline or target."
                )
                % {"name": indicator.name, **params},
                objective,
                indicator,
            )
        )
    for row in item.rows:
        name = {"name": row.indicator.name, **params}
        if not row.has_targets and row.definition.unit != Unit.QUALITATIVE:
            gaps.append(
                _gap(
                    "indicator_without_target",
                    gettext("Indicator “%(name)s” (objective %(number)s) has no target.") % name,
                    objective,
                    row.indicator,
                )
            )
        if not row.has_data:
            gaps.append(
                _gap(
                    "indicator_without_data",
                    gettext("Indicator “%(name)s” (objective %(number)s) has no approved data.") % name,
                    objective,
                    row.indicator,
                )
            )
    return gaps


def indicator_progress(
    user: User | None,
    compact: Compact,
    definition: IndicatorDefinition,
    *,
    year: int | None = None,
    access: Access | None = None,
) -> IndicatorProgress:
    """One indicator in detail, from approved values only; Http404 when the user may not see it.

    Five queries at most whatever the amount of data: targets (none when prefetched), approved
    totals, the approved parts of the latest year's submissions, and the disaggregation check (2)."""
    access = _access(user, compact, access)
    if definition.compact_id != compact.pk or not _indicator_visible(definition.indicator, access):
        raise Http404
    d = definition
    years = term_years(compact)
    year_of_interest = _year_of_interest(years, year)
    targets = sorted(d.targets.all(), key=lambda t: t.year)
    rows = _approved_totals(compact, [d.pk]).get(d.pk, [])
    flags = _flags(compact, [d]).get(d.pk, [])
    row = _build_row(d, rows, {t.year: t.value for t in targets}, years, year_of_interest, flags)
    counted = [r for r in rows if r.year <= year_of_interest]

    periods: list[PeriodFigure] = []
    seen: dict[str, _Obs] = {}
    for r in counted:
        seen.setdefault(r.period, r)
    for code, first in sorted(
        seen.items(), key=lambda kv: (kv[1].observation.period_end, kv[1].observation.period_start)
    ):
        end = first.observation.period_end
        if _counts_up_to(d):
            chosen = [r.observation for r in counted if r.observation.period_end <= end]
        else:
            chosen = [r.observation for r in counted if r.period == code]
        periods.append(
            PeriodFigure(
                period=code,
                start=first.observation.period_start,
                end=end,
                year=first.year,
                aggregate=agg.combine(d.unit, d.cumulation, chosen),
            )
        )

    organisations: dict[int, OrganisationSeries] = {}
    for r in counted:
        o = r.observation
        series = organisations.setdefault(
            o.organisation_id, OrganisationSeries(o.organisation_id, r.organisation_name)
        )
        figure = agg.ratio_percent(o.numerator, o.denominator) if d.unit == Unit.PERCENTAGE else o.value
        series.points.append(
            Point(
                submission_id=r.submission_id,
                period=r.period,
                start=o.period_start,
                end=o.period_end,
                year=r.year,
                value=o.value,
                numerator=o.numerator,
                denominator=o.denominator,
                text=r.text,
                figure=figure,
                is_demo=o.is_demo,
            )
        )

    breakdown_year = row.latest.year if row.latest else None
    breakdown = _breakdown(d, counted, breakdown_year) if breakdown_year is not None else []
    return IndicatorProgress(
        definition=d,
        row=row,
        targets=targets,
        periods=periods,
        organisations=sorted(organisations.values(), key=lambda s: s.name),
        breakdown_year=breakdown_year,
        breakdown=breakdown,
        flags=flags,
        is_demo=row.is_demo,
    )


def _breakdown(definition: IndicatorDefinition, rows: Sequence[_Obs], year: int) -> list[DimensionBreakdown]:
    """Approved parts of the submissions counted for ``year``, combined per category (one query)."""
    d = definition
    if d.unit in (Unit.MILESTONE, Unit.QUALITATIVE):
        return []
    candidates = [r for r in rows if (r.year <= year if _counts_up_to(d) else r.year == year)]
    chosen = set(agg.selected(d.unit, d.cumulation, [r.observation for r in candidates]))
    submission_ids = [r.submission_id for r in candidates if r.observation in chosen]
    if not submission_ids:
        return []
    english = (translation.get_language() or "fr").startswith("en")
    parts = (
        Value.objects.filter(submission_id__in=submission_ids, category__isnull=False)
        .order_by("category__dimension", "category__order", "category__code")
        .values_list(
            "category_id",
            "category__dimension",
            "category__code",
            "category__label_en" if english else "category__label_fr",
            "category__parent_id",
            "submission__organisation_id",
            "submission__period_start",
            "submission__period_end",
            "submission__is_demo",
            "value",
            "numerator",
            "denominator",
        )
    )
    grouped: dict[int, tuple[str, str, str, int | None, list[agg.Observation]]] = {}
    for cat, dimension, code, label, parent, org, start, end, demo, value, num, den in parts:
        entry = grouped.setdefault(cat, (dimension, code, label, parent, []))
        entry[4].append(agg.Observation(org, start, end, value, num, den, demo))
    dimensions: dict[str, DimensionBreakdown] = {}
    for cat, (dimension, code, label, parent, observations) in grouped.items():
        breakdown = dimensions.setdefault(
            dimension, DimensionBreakdown(dimension, str(Dimension(dimension).label))
        )
        # The submissions are already those counted for the year: add them all up.
        aggregate = agg.combine(d.unit, Cumulation.PER_PERIOD, observations)
        breakdown.categories.append(CategoryFigure(cat, code, label, parent, aggregate))
    order = [dim.value for dim in Dimension]
    return sorted(dimensions.values(), key=lambda b: order.index(b.dimension))


# -- annual report --------------------------------------------------------------------------------------
NARRATIVE_ORDER = [k.value for k in NarrativeSection.Kind]


def narratives(
    user: User | None, compact: Compact, year: int, *, access: Access | None = None
) -> list[NarrativeSection]:
    """The year's narrative sections the user may see (those about a non-public objective only for
    users who may see it), in the report's order: progress per objective, then the other sections;
    organisation and objective selected."""
    access = _access(user, compact, access)
    if not access.can_view:
        return []
    qs = NarrativeSection.objects.filter(compact=compact, year=year).select_related(
        "organisation", "objective", "author"
    )
    if not access.can_view_non_public:
        objectives = filter_visibility(compact.objectives.all(), access)
        qs = qs.filter(Q(objective__isnull=True) | Q(objective__in=objectives))
    return sorted(
        qs,
        key=lambda s: (
            NARRATIVE_ORDER.index(s.kind),
            s.objective.number if s.objective else 0,
            s.organisation.name,
        ),
    )


def annual_report(
    user: User | None, compact: Compact, year: int, *, access: Access | None = None
) -> AnnualReport | None:
    """The year's annual report record with the meeting that reviewed it (None when none is
    recorded or the user may not see the compact). A non-public meeting is left out for users who
    may not see it (``reviewed_at`` is None on the returned, unsaved instance)."""
    access = _access(user, compact, access)
    if not access.can_view:
        return None
    report = AnnualReport.objects.filter(compact=compact, year=year).select_related("reviewed_at").first()
    meeting = report.reviewed_at if report is not None else None
    if report is not None and meeting is not None and not (access.can_view_non_public or meeting.is_public):
        report.reviewed_at = None  # only in memory: selectors never save
    return report


def meeting_report_links(compact: Compact, meetings: Sequence[Any]) -> dict[int, list[tuple[str, str]]]:
    """For the compacts app's meetings page (``ResultsConfig.meeting_links``): the annual reports each
    of ``meetings`` (already filtered for the user) reviewed, as links to their report pages. One query."""
    reports = AnnualReport.objects.filter(compact=compact, reviewed_at__in=[m.pk for m in meetings])
    links: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for report in reports.order_by("year"):
        assert report.reviewed_at_id is not None
        url = reverse("results:report", kwargs={"pk": compact.pk, "year": report.year})
        label = gettext("Annual report %(year)s, reviewed at this meeting") % {"year": report.year}
        links[report.reviewed_at_id].append((url, label))
    return dict(links)
