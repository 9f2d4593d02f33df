"""Reads of the country evidence base and of the selection runs.

* Profiles (published figures) are readable by every signed-in user.
* Qualitative ratings, selection models and selection runs are for selection staff only
  (``permissions.is_selection_staff``): the selectors that return them raise PermissionDenied (403)
  for anybody else.
* Lists take a fixed number of queries, whatever the number of countries or figures.
* A missing year is never filled: the profile computes and shows which years are missing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    Country,
    CountryAlias,
    Metric,
    ModelCriterion,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    SelectionModel,
    SelectionRun,
    Source,
)
from .permissions import require_selection_staff

if TYPE_CHECKING:
    from pacte.accounts.models import User

TIER_METRIC = "tip_tier"
CPI_METRIC = "cpi_score"
INCOME_METRIC = "wb_income_group"

# The four World Bank income groups, as published (the labels of the wb_income_group metric).
INCOME_GROUPS: list[tuple[str, Any]] = [
    ("Low income", gettext_lazy("Low income")),
    ("Lower middle income", gettext_lazy("Lower middle income")),
    ("Upper middle income", gettext_lazy("Upper middle income")),
    ("High income", gettext_lazy("High income")),
]
# The TIP report's tier placements, as published, in the user's language (glossary: tier placement).
TIER_LABELS: dict[str, Any] = {
    "Tier 1": gettext_lazy("Tier 1"),
    "Tier 2": gettext_lazy("Tier 2"),
    "Tier 2 Watch List": gettext_lazy("Tier 2 Watch List"),
    "Tier 3": gettext_lazy("Tier 3"),
    "Special Case": gettext_lazy("Special Case"),
}
MAX_COMPARED = 12


def income_group_label(label: str) -> str:
    """The published (English) income group label in the user's language."""
    return str(dict(INCOME_GROUPS).get(label, label))


def category_label(metric_code: str, label: str) -> str:
    """A published category label (tier, income group) in the user's language; others as published."""
    if metric_code == INCOME_METRIC:
        return income_group_label(label)
    if metric_code == TIER_METRIC:
        return str(TIER_LABELS.get(label, label))
    return label


def _latest(metric_code: str, column: str, as_of: dt.date | None = None) -> Subquery:
    """The ``column`` of a country's latest figure of a metric (latest year, then latest edition),
    among the figures public on ``as_of`` when given."""
    latest = Observation.objects.filter(country=OuterRef("pk"), metric__code=metric_code)
    if as_of is not None:
        latest = latest.filter(published_on__lte=as_of)
    latest = latest.order_by("-year", "-published_on", "-id")
    return Subquery(latest.values(column)[:1])


# -- the list of countries -----------------------------------------------------------------------------
def countries_with_coverage(
    *, search: str = "", region: str = "", income_group: str = "", as_of: dt.date | None = None
) -> QuerySet[Country]:
    """Countries with ``metrics_with_data`` (how many metrics have at least one figure), the latest TIP
    tier (``tier_label``, ``tier_year``), CPI (``cpi_value``, ``cpi_year``) and income group
    (``income_label``, ``income_year``), counting only figures public on ``as_of`` when given. One query."""
    observations = Observation.objects.filter(country=OuterRef("pk"))
    if as_of is not None:
        observations = observations.filter(published_on__lte=as_of)
    coverage = (
        observations.order_by().values("country").annotate(n=Count("metric", distinct=True)).values("n")[:1]
    )
    qs = Country.objects.annotate(
        metrics_with_data=Coalesce(Subquery(coverage), 0),
        tier_label=_latest(TIER_METRIC, "label", as_of),
        tier_value=_latest(TIER_METRIC, "value", as_of),
        tier_year=_latest(TIER_METRIC, "year", as_of),
        cpi_value=_latest(CPI_METRIC, "value", as_of),
        cpi_year=_latest(CPI_METRIC, "year", as_of),
        income_label=_latest(INCOME_METRIC, "label", as_of),
        income_value=_latest(INCOME_METRIC, "value", as_of),
        income_year=_latest(INCOME_METRIC, "year", as_of),
    )
    search = search.strip()
    if search:
        alias = CountryAlias.objects.filter(country=OuterRef("pk"), alias__icontains=search)
        qs = qs.filter(
            Q(name__icontains=search) | Q(name_fr__icontains=search) | Q(iso3__iexact=search) | Exists(alias)
        )
    if region:
        qs = qs.filter(region=region)
    codes = [code for code, _label in INCOME_GROUPS]
    if income_group in codes:
        # The label as published, or the ordinal value (Low income = 1 … High income = 4).
        qs = qs.filter(Q(income_label__iexact=income_group) | Q(income_value=codes.index(income_group) + 1))
    return qs.order_by("name")


def regions() -> list[str]:
    return list(
        Country.objects.exclude(region="").order_by("region").values_list("region", flat=True).distinct()
    )


def metric_count() -> int:
    return Metric.objects.count()


# -- the profile of a country --------------------------------------------------------------------------
def year_ranges(years: list[int]) -> list[tuple[int, int]]:
    """[2016, 2017, 2018, 2020] → [(2016, 2018), (2020, 2020)]."""
    ranges: list[tuple[int, int]] = []
    for year in sorted(set(years)):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], year)
        else:
            ranges.append((year, year))
    return ranges


def format_year_ranges(years: list[int]) -> str:
    """ "2016–2019, 2021"."""
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in year_ranges(years))


@dataclass
class MetricSeries:
    metric: Metric
    observations: list[Observation]
    first_year: int | None  # first and last year of the metric's source (over all countries)
    last_year: int | None
    missing_years: list[int] = field(default_factory=list)

    @property
    def missing_text(self) -> str:
        return format_year_ranges(self.missing_years)

    @property
    def latest(self) -> Observation | None:
        return self.observations[-1] if self.observations else None

    @property
    def chart_points(self) -> list[Observation]:
        """One figure per year (the latest edition), only those with a number."""
        by_year: dict[int, Observation] = {}
        for obs in self.observations:  # ordered by year, then publication
            if obs.value is not None:
                by_year[obs.year] = obs
        return [by_year[y] for y in sorted(by_year)]


@dataclass
class CountryProfile:
    country: Country
    series: list[MetricSeries]
    ratings: list[QualitativeRating] | None  # None when the user may not see them
    can_edit: bool


def get_country(iso3: str) -> Country:
    return get_object_or_404(Country, iso3=iso3.upper())


def country_profile(user: User, iso3: str, *, staff: bool) -> CountryProfile:
    """Every metric's full series for the country, with the years missing between the first and the
    last year of the metric's data (over all countries). Ratings only for staff. Five queries."""
    country = get_country(iso3)
    metrics = list(Metric.objects.select_related("source"))
    spans = {
        row["metric_id"]: (row["first"], row["last"])
        for row in Observation.objects.values("metric_id").annotate(first=Min("year"), last=Max("year"))
    }
    per_metric: dict[int, list[Observation]] = defaultdict(list)
    for obs in Observation.objects.filter(country=country).order_by(
        "metric_id", "year", "published_on", "id"
    ):
        per_metric[obs.metric_id].append(obs)
    series = []
    for metric in metrics:
        observations = per_metric.get(metric.pk, [])
        for obs in observations:
            obs.metric = metric  # no query per figure for its metric or source
            obs.country = country
        first, last = spans.get(metric.pk, (None, None))
        present = {o.year for o in observations}
        missing = [y for y in range(first, last + 1) if y not in present] if first and last else []
        series.append(MetricSeries(metric, observations, first, last, missing))
    ratings = None
    if staff:
        ratings = list(QualitativeRating.objects.filter(country=country).select_related("author"))
    return CountryProfile(country=country, series=series, ratings=ratings, can_edit=staff)


# -- countries side by side ----------------------------------------------------------------------------
@dataclass
class CompareRow:
    metric: Metric
    cells: list[Observation | None]


def compare_countries(
    iso3_codes: list[str], as_of: dt.date | None = None
) -> tuple[list[Country], list[CompareRow]]:
    """The latest figure of every metric for each country (in the order asked), using only figures public
    on ``as_of`` (``published_on <= as_of``) when given. Three queries."""
    wanted = [c.upper() for c in dict.fromkeys(iso3_codes) if c]
    by_code = {c.iso3: c for c in Country.objects.filter(iso3__in=wanted)}
    countries = [by_code[c] for c in wanted if c in by_code]
    metrics = list(Metric.objects.select_related("source"))
    observations = Observation.objects.filter(country__in=countries)
    if as_of is not None:
        observations = observations.filter(published_on__lte=as_of)
    latest: dict[tuple[int, int], Observation] = {}
    for obs in observations.order_by("year", "published_on", "id"):
        latest[(obs.metric_id, obs.country_id)] = obs  # the last one wins: latest year, latest edition
    rows = []
    for metric in metrics:
        cells = [latest.get((metric.pk, c.pk)) for c in countries]
        for cell in cells:
            if cell is not None:
                cell.metric = metric
        rows.append(CompareRow(metric, cells))
    return countries, rows


# -- selection models and runs (staff only) ------------------------------------------------------------
def visible_models(user: User) -> QuerySet[SelectionModel]:
    require_selection_staff(user)
    return SelectionModel.objects.annotate(run_count=Count("runs")).prefetch_related("criteria__metric")


def get_model(user: User, pk: int) -> SelectionModel:
    require_selection_staff(user)
    return get_object_or_404(SelectionModel.objects.prefetch_related("criteria__metric"), pk=pk)


def visible_runs(user: User) -> QuerySet[SelectionRun]:
    require_selection_staff(user)
    return SelectionRun.objects.select_related("model", "created_by").defer(
        "inputs", "results", "sensitivity", "model_snapshot"
    )


def get_run(user: User, pk: int) -> SelectionRun:
    require_selection_staff(user)
    return get_object_or_404(SelectionRun.objects.select_related("model", "created_by"), pk=pk)


def ratings_for(user: User, *, country: str = "", criterion: str = "") -> QuerySet[QualitativeRating]:
    require_selection_staff(user)
    qs = QualitativeRating.objects.select_related("country", "author")
    if country:
        qs = qs.filter(country__iso3=country.upper())
    if criterion:
        qs = qs.filter(criterion=criterion)
    return qs


# -- a run, ready to show ------------------------------------------------------------------------------
def _choice_label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@dataclass
class RunView:
    run: SelectionRun
    criteria: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    policy_text: str
    filters: list[str]
    warnings: list[str]
    top_n: int
    sources: list[dict[str, Any]]
    snapshot: dict[str, Any]

    @property
    def top5(self) -> list[str]:
        return [row["iso3"] for row in self.ranking[:5]]

    @property
    def top(self) -> list[dict[str, Any]]:
        return self.ranking[: self.top_n]


def policy_text(results: dict[str, Any], snapshot: dict[str, Any]) -> str:
    """The missing-data policy in words: always something, whatever the run holds."""
    policy = results.get("policy") or {}
    code = policy.get("missing") or snapshot.get("missing_policy") or ""
    label = _choice_label(SelectionModel.MissingPolicy, code) if code else ""
    description = policy.get("description") or ""
    if label and description and description != label:
        return f"{label}. {description}"
    return description or label or _("Not stated in this run (recorded before policies were saved).")


def model_settings(model: SelectionModel) -> dict[str, Any]:
    """The settings of a model, in the shape of a run's snapshot, to describe it in words."""
    return {
        "income_groups": model.income_groups,
        "exclude_tier_1": model.exclude_tier_1,
        "exclude_restricted": model.exclude_restricted,
        "max_age_years": model.max_age_years,
        "missing_policy": model.missing_policy,
        "top_n": model.top_n,
    }


def filters_in_words(snapshot: dict[str, Any], max_age: Any = None) -> list[str]:
    lines = []
    groups = snapshot.get("income_groups") or []
    if groups:
        names = ", ".join(income_group_label(str(g)) for g in groups)
        lines.append(_("Income groups kept: %(groups)s.") % {"groups": names})
    else:
        lines.append(_("All income groups kept."))
    if snapshot.get("exclude_tier_1"):
        lines.append(_("Tier 1 countries are excluded."))
    elif "exclude_tier_1" in snapshot:
        lines.append(_("Tier 1 countries are kept."))
    if snapshot.get("exclude_restricted"):
        lines.append(_("Countries rated 1 for restrictions on assistance are excluded."))
    elif "exclude_restricted" in snapshot:
        lines.append(_("Countries with restrictions on assistance are kept."))
    age = snapshot.get("max_age_years", max_age)
    if age is not None:
        lines.append(
            _("A figure older than %(years)s years before the “as of” date counts as missing.")
            % {"years": age}
        )
    return lines


def run_view(run: SelectionRun) -> RunView:
    """A saved run as pages show it: criteria in words, ranking rows with the contributions in criteria
    order and a bar of contributions, sensitivity joined to each country. One query (the sources)."""
    results = run.results or {}
    snapshot = run.model_snapshot or {}
    sensitivity = run.sensitivity or {}
    criteria = []
    for c in results.get("criteria", []):
        direction = c.get("direction", "")
        criteria.append(
            {
                **c,
                "direction_label": _choice_label(ModelCriterion.Direction, direction),
                "normalisation_label": _choice_label(
                    ModelCriterion.Normalisation, c.get("normalisation", "")
                ),
                "share_percent": 100 * float(c.get("share") or 0),
            }
        )
    keys = [c["key"] for c in criteria]
    per_country = sensitivity.get("countries", {})
    ranking = []
    best = max((float(r.get("score") or 0) for r in results.get("ranking", [])), default=0) or 1.0
    palette = ["#005ea2", "#e5a000", "#00a91c", "#8b0a03", "#71767a", "#1a4480", "#c05600", "#4d8055"]
    for row in results.get("ranking", []):
        contributions = row.get("contributions", {})
        values = row.get("values", {})
        cells = []
        bars = []
        offset = 0.0
        for i, key in enumerate(keys):
            value = values.get(key, {})
            contribution = contributions.get(key)
            cells.append({"key": key, "contribution": contribution, "value": value})
            if contribution and contribution > 0:
                width = 100 * contribution / best
                bars.append({"x": offset, "width": width, "color": palette[i % len(palette)], "key": key})
                offset += width
        names = {c["key"]: c.get("name", c["key"]) for c in criteria}
        main = sorted(
            (c for c in cells if c["contribution"] is not None), key=lambda c: -float(c["contribution"])
        )[:3]
        ranking.append(
            {
                **row,
                "cells": cells,
                "main_contributions": [{"name": names[c["key"]], **c} for c in main],
                "bars": bars,
                "imputed": any(v.get("imputed") for v in values.values()),
                "sensitivity": per_country.get(row.get("iso3"), {}),
            }
        )
    for i, c in enumerate(criteria):
        c["color"] = palette[i % len(palette)]
    top_n = int(sensitivity.get("top_n") or snapshot.get("top_n") or 10)
    return RunView(
        run=run,
        criteria=criteria,
        ranking=ranking,
        excluded=results.get("excluded", []),
        policy_text=policy_text(results, snapshot),
        filters=filters_in_words(snapshot),
        warnings=results.get("warnings", []),
        top_n=top_n,
        sources=run_sources(results),
        snapshot=snapshot,
    )


def run_sources(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The data sources a run used, with the editions of the figures it used. One query."""
    editions: dict[str, set[str]] = defaultdict(set)
    for row in results.get("ranking", []):
        for key, value in row.get("values", {}).items():
            if value.get("edition") and not value.get("imputed"):
                editions[key].add(value["edition"])
    metric_codes = [
        c["key"].split(":", 1)[1] for c in results.get("criteria", []) if c["key"].startswith("metric:")
    ]
    sources: dict[int, dict[str, Any]] = {}
    for metric in Metric.objects.filter(code__in=metric_codes).select_related("source"):
        entry = sources.setdefault(
            metric.source_id, {"source": metric.source, "metrics": [], "editions": set()}
        )
        entry["metrics"].append(metric)
        entry["editions"] |= editions.get(f"metric:{metric.code}", set())
    out = [{**e, "editions": sorted(e["editions"])} for e in sources.values()]
    ratings = [c for c in results.get("criteria", []) if c["key"].startswith("rating:")]
    if ratings:
        out.append(
            {
                "source": None,
                "name": _("Qualitative ratings by the TIP Office"),
                "metrics": [_choice_label(QualitativeCriterion, c["key"].split(":", 1)[1]) for c in ratings],
                "editions": [],
            }
        )
    return out


def sources_list() -> QuerySet[Source]:
    return Source.objects.all()
