"""Services of the country selection: save a selection model, run it "as of" a date, recompute a run.

The "as of" rule
----------------
A run as of date D uses a figure only when its ``published_on`` ("public from") is **on or before D**
(``published_on <= D``): a figure is public from its ``published_on`` day, so on D it is known. A
qualitative rating counts when it is dated on or before D (``rated_on <= D``). Nothing published after
D is ever read, so a run as of a past date gives the same ranking whatever was imported since.

For a metric criterion, a country's value is its latest figure public by D whose year is at least
``D.year - max_age_years``: the most recent year, then the most recent ``published_on``, then the most
recently stored row. When that latest figure cannot be ranked (e.g. tier "Special Case", no value),
or is too old, the value is missing; an older figure is not used instead. Hard filters use the latest
figure public by D whatever its age (its year is shown in the inputs): the World Bank income group,
the TIP tier (Tier 1) and the latest rating of restrictions on assistance (1 = severe restrictions).

Every run saves a copy of the model (``model_snapshot``), every value it used (``inputs``), the
ranking with each criterion's contribution (``results``) and the sensitivity analysis, as JSON in
the shape of docs COUNTRIES.md. Reopening a run shows what was saved; ``recompute(run)`` recomputes
from the snapshot and the database (same result while the data public by the run's date is unchanged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import engine
from .models import (
    Country,
    Metric,
    ModelCriterion,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    SelectionModel,
    SelectionRun,
)
from .permissions import require_selection_staff

SNAPSHOT_VERSION = 1
INCOME_METRIC = "wb_income_group"
TIER_METRIC = "tip_tier"
RESTRICTIONS = QualitativeCriterion.RESTRICTIONS_ON_ASSISTANCE.value
INCOME_GROUPS = ["Low income", "Lower middle income", "Upper middle income", "High income"]
AS_OF_RULE = "published_on <= as_of"

MODEL_FIELDS = (
    "name",
    "description",
    "missing_policy",
    "max_age_years",
    "income_groups",
    "exclude_tier_1",
    "exclude_restricted",
    "top_n",
)


# --------------------------------------------------------------------------------------------------
# Selection models


def _criterion_errors(number: int, message: str) -> str:
    return _("Criterion %(number)s: %(message)s") % {"number": number, "message": message}


def _as_metric(value: Any) -> Metric | None:
    if value in (None, ""):
        return None
    if isinstance(value, Metric):
        return value
    return Metric.objects.filter(code=str(value)).first()


def _as_weight(value: Any) -> Decimal | None:
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return weight if weight.is_finite() else None


@transaction.atomic
def save_model(
    *, user: Any, instance: SelectionModel, data: dict[str, Any], criteria: list[dict]
) -> SelectionModel:
    """Create or update a selection model and its criteria (all replaced), all or nothing.

    ``criteria``: dicts with ``metric`` (a Metric or its code, or None) or ``qualitative`` (a
    QualitativeCriterion value), ``direction``, ``normalisation`` and ``weight``. Refuses no criterion,
    a criterion twice, a categorical indicator, negative weights and weights that are all zero."""
    require_selection_staff(user)
    errors: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    for name in MODEL_FIELDS:
        if name in data:
            setattr(instance, name, data[name])
    groups = instance.income_groups or []
    if not isinstance(groups, list | tuple):
        add("income_groups", _("Choose income groups from the list."))
    else:
        allowed = {g.casefold(): g for g in INCOME_GROUPS}
        unknown = [str(g) for g in groups if str(g).casefold() not in allowed]
        if unknown:
            add(
                "income_groups",
                _("Unknown income group: %(groups)s.") % {"groups": ", ".join(unknown)},
            )
        else:
            instance.income_groups = [allowed[str(g).casefold()] for g in groups]
    if instance.created_by_id is None and instance.pk is None and getattr(user, "pk", None):
        instance.created_by = user
    try:
        instance.full_clean(exclude=["income_groups"])
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            for message in messages:
                add(field_name, message)

    rows: list[ModelCriterion] = []
    seen: set[str] = set()
    total = Decimal(0)
    if not criteria:
        add("criteria", _("Add at least one criterion."))
    directions = dict(ModelCriterion.Direction.choices)
    normalisations = dict(ModelCriterion.Normalisation.choices)
    qualitative_values = dict(QualitativeCriterion.choices)
    for number, item in enumerate(criteria or [], start=1):
        raw_metric = item.get("metric")
        metric = _as_metric(raw_metric)
        qualitative = item.get("qualitative") or ""
        if raw_metric not in (None, "") and metric is None:
            add("metric", _criterion_errors(number, _("this indicator does not exist.")))
            continue
        if bool(metric) == bool(qualitative):
            add(
                "criteria",
                _criterion_errors(number, _("choose either an indicator or a qualitative criterion.")),
            )
            continue
        if qualitative and qualitative not in qualitative_values:
            add("qualitative", _criterion_errors(number, _("unknown qualitative criterion.")))
            continue
        if metric is not None and metric.kind == Metric.Kind.CATEGORICAL:
            add(
                "metric",
                _criterion_errors(
                    number, _("categories without an order cannot be ranked; use them as a filter.")
                ),
            )
            continue
        key = f"metric:{metric.code}" if metric else f"rating:{qualitative}"
        if key in seen:
            add("criteria", _criterion_errors(number, _("this criterion is already in the model.")))
            continue
        seen.add(key)
        direction = item.get("direction") or (
            ModelCriterion.Direction.HIGHER
            if (metric is None or metric.higher_is_better)
            else ModelCriterion.Direction.LOWER
        )
        if direction not in directions:
            add("direction", _criterion_errors(number, _("choose higher or lower is better.")))
        normalisation = item.get("normalisation") or ModelCriterion.Normalisation.MIN_MAX
        if normalisation not in normalisations:
            add("normalisation", _criterion_errors(number, _("unknown normalisation.")))
        weight = _as_weight(item.get("weight", 1))
        if weight is None:
            add("weight", _criterion_errors(number, _("the weight must be a number.")))
            continue
        if weight < 0:
            add("weight", _criterion_errors(number, _("a weight cannot be negative.")))
            continue
        if weight >= Decimal("10000") or weight != weight.quantize(Decimal("0.01")):
            add(
                "weight",
                _criterion_errors(number, _("give a weight below 10,000 with at most two decimals.")),
            )
            continue
        total += weight
        rows.append(
            ModelCriterion(
                metric=metric,
                qualitative=qualitative if metric is None else "",
                direction=direction,
                normalisation=normalisation,
                weight=weight,
                order=number,
            )
        )
    if criteria and rows and total <= 0 and "weight" not in errors:
        add("weight", _("All weights are zero: give at least one criterion a weight above zero."))
    if errors:
        raise ValidationError(errors)
    instance.save()
    instance.criteria.all().delete()
    for row in rows:
        row.model = instance
    ModelCriterion.objects.bulk_create(rows)
    return instance


def snapshot_of(model: SelectionModel) -> dict[str, Any]:
    """Everything a run needs to be recomputed: criteria with metric codes, weights, filters, policy."""
    criteria = []
    for c in model.criteria.select_related("metric").order_by("order", "id"):
        metric = c.metric
        if metric is not None:
            criteria.append(
                {
                    "key": c.key,
                    "metric": metric.code,
                    "qualitative": "",
                    "name": metric.name,
                    "name_fr": metric.name_fr,
                    "kind": metric.kind,
                    "unit": metric.unit,
                    "direction": c.direction,
                    "normalisation": c.normalisation,
                    "weight": float(c.weight),
                }
            )
        else:
            criteria.append(
                {
                    "key": c.key,
                    "metric": None,
                    "qualitative": c.qualitative,
                    "name": "",
                    "name_fr": "",
                    "kind": "rating",
                    "unit": "",
                    "direction": c.direction,
                    "normalisation": c.normalisation,
                    "weight": float(c.weight),
                }
            )
    return {
        "version": SNAPSHOT_VERSION,
        "model_id": model.pk,
        "name": model.name,
        "description": model.description,
        "missing_policy": model.missing_policy,
        "max_age_years": model.max_age_years,
        "income_groups": list(model.income_groups or []),
        "exclude_tier_1": model.exclude_tier_1,
        "exclude_restricted": model.exclude_restricted,
        "top_n": model.top_n,
        "spread": engine.DEFAULT_SPREAD,
        "as_of_rule": AS_OF_RULE,
        "criteria": criteria,
    }


# --------------------------------------------------------------------------------------------------
# Loading the data public "as of" a date


@dataclass(frozen=True)
class Datum:
    """One figure or rating as a run uses it."""

    raw: float | None
    label: str
    year: int | None
    edition: str
    published_on: dt.date | None
    observation_id: int | None = None
    rating_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "label": self.label,
            "year": self.year,
            "edition": self.edition,
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "observation_id": self.observation_id,
            "rating_id": self.rating_id,
        }


@dataclass
class AsOfData:
    observations: dict[tuple[str, str], Datum]  # (metric code, iso3) → latest figure public by as_of
    ratings: dict[tuple[str, str], Datum]  # (criterion, iso3) → latest rating dated by as_of
    names: dict[str, str]  # iso3 → country name in the current language
    categories: dict[str, list[dict]]  # metric code → categories
    stale: dict[tuple[str, str], int]  # (metric code, iso3) → year of the latest figure, too old to use
    without_data: int  # countries with nothing public by as_of for this model (not listed)


def _display_name(name: str, name_fr: str) -> str:
    return name_fr if (get_language() or "fr").startswith("fr") and name_fr else name


def load_as_of(
    *,
    criteria_metrics: list[str],
    filter_metrics: list[str],
    rating_criteria: list[str],
    as_of: dt.date,
    min_year: int,
) -> AsOfData:
    """The latest figure public by ``as_of`` per (metric, country) and the latest rating dated by it.

    At most five queries, whatever the number of metrics: the candidate rows come ordered (most recent
    year, then most recent ``published_on``, then the latest stored) and the first per pair is kept in
    Python, which works the same on SQLite and PostgreSQL. Criteria read years ≥ ``min_year`` (plus,
    grouped, the latest older year, to say why a value is missing); filters read every year (their
    latest figure is what counts); then the ratings, the categories, and how many countries have
    nothing at all."""
    names: dict[str, str] = {}
    observations: dict[tuple[str, str], Datum] = {}
    wanted = Q(metric__code__in=criteria_metrics, year__gte=min_year) | Q(metric__code__in=filter_metrics)
    rows = (
        Observation.objects.filter(published_on__lte=as_of)
        .filter(wanted)
        .order_by("metric__code", "country__iso3", "-year", "-published_on", "-id")
        .values_list(
            "id",
            "metric__code",
            "country__iso3",
            "country__name",
            "country__name_fr",
            "year",
            "edition",
            "value",
            "label",
            "published_on",
        )
    )
    for obs_id, code, iso3, name, name_fr, year, edition, value, label, published_on in rows:
        names.setdefault(iso3, _display_name(name, name_fr))
        if (code, iso3) not in observations:
            observations[(code, iso3)] = Datum(
                value, label, year, edition, published_on, observation_id=obs_id
            )
    # Countries whose latest figure of a criterion is too old: the year of that figure, for the reason.
    stale: dict[tuple[str, str], int] = {}
    if criteria_metrics:
        old_rows = (
            Observation.objects.filter(
                metric__code__in=criteria_metrics, published_on__lte=as_of, year__lt=min_year
            )
            .values("metric__code", "country__iso3", "country__name", "country__name_fr")
            .annotate(latest=Max("year"))
            .order_by()
        )
        for row in old_rows:
            names.setdefault(
                row["country__iso3"], _display_name(row["country__name"], row["country__name_fr"])
            )
            stale[(row["metric__code"], row["country__iso3"])] = row["latest"]
    ratings: dict[tuple[str, str], Datum] = {}
    if rating_criteria:
        rating_rows = (
            QualitativeRating.objects.filter(criterion__in=rating_criteria, rated_on__lte=as_of)
            .order_by("criterion", "country__iso3", "-rated_on", "-id")
            .values_list(
                "id", "criterion", "country__iso3", "country__name", "country__name_fr", "score", "rated_on"
            )
        )
        for rating_id, criterion, iso3, name, name_fr, score, rated_on in rating_rows:
            names.setdefault(iso3, _display_name(name, name_fr))
            if (criterion, iso3) not in ratings:
                ratings[(criterion, iso3)] = Datum(
                    float(score),
                    str(score),
                    rated_on.year,
                    _("Rating of %(date)s") % {"date": rated_on.isoformat()},
                    rated_on,
                    rating_id=rating_id,
                )
    categories = dict(
        Metric.objects.filter(code__in={*criteria_metrics, *filter_metrics}).values_list("code", "categories")
    )
    without_data = Country.objects.exclude(iso3__in=list(names)).count()
    return AsOfData(observations, ratings, names, categories, stale, without_data)


# --------------------------------------------------------------------------------------------------
# Computing a run


def criterion_name(criterion: dict[str, Any]) -> str:
    if criterion.get("metric"):
        return _display_name(criterion.get("name") or criterion["metric"], criterion.get("name_fr") or "")
    try:
        return str(QualitativeCriterion(criterion["qualitative"]).label)
    except ValueError:
        return criterion["qualitative"]


def policy_description(snapshot: dict[str, Any]) -> str:
    policy = snapshot["missing_policy"]
    if policy == engine.IMPUTE_MEDIAN:
        text = _(
            "A missing value is replaced by the median of the ranked countries that have one, for that "
            "criterion, and flagged as imputed."
        )
    elif policy == engine.IMPUTE_WORST:
        text = _(
            "A missing value is replaced by the worst value among the ranked countries that have one, for "
            "that criterion, and flagged as imputed."
        )
    else:
        text = _(
            "A country that lacks a value for a criterion with a weight above zero is left out of the "
            "ranking and listed with the reason."
        )
    age = _(
        "Only figures public on or before the “as of” date are used, the latest for each country; a figure "
        "older than %(years)s years before that date counts as missing."
    ) % {"years": snapshot["max_age_years"]}
    return f"{text} {age}"


def _category_label(categories: list[dict], value: float | None) -> str:
    for category in categories or []:
        if value is not None and category.get("value") == value:
            return str(category.get("label", ""))
    return ""


def _income_matches(datum: Datum, wanted: list[str], categories: list[dict]) -> tuple[bool, str]:
    label = datum.label or _category_label(categories, datum.raw)
    if label and label.casefold() in {g.casefold() for g in wanted}:
        return True, label
    if datum.raw is not None:
        values = {INCOME_GROUPS.index(g) + 1 for g in wanted if g in INCOME_GROUPS}
        return int(datum.raw) in values and float(datum.raw).is_integer(), label or str(datum.raw)
    return False, label


def _is_tier_1(datum: Datum) -> bool:
    if datum.label:
        return datum.label.strip().casefold() == "tier 1"
    return datum.raw == 1


def compute(
    snapshot: dict[str, Any],
    as_of: dt.date,
    draws: int = engine.DEFAULT_DRAWS,
    seed: int = engine.DEFAULT_SEED,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(inputs, results, sensitivity) of a model snapshot as of a date, in the JSON shapes of a run.

    Raises ValidationError when no country has data, when a weighted criterion has no value for any
    country left, or when the filters and the missing-data policy leave no country to rank."""
    criteria = snapshot["criteria"]
    if not criteria:
        raise ValidationError({"criteria": _("Add at least one criterion.")})
    weights = np.array([float(c["weight"]) for c in criteria])
    if weights.sum() <= 0:
        raise ValidationError(
            {"weight": _("All weights are zero: give at least one criterion a weight above zero.")}
        )
    keys = [c["key"] for c in criteria]
    names = [criterion_name(c) for c in criteria]
    policy = snapshot["missing_policy"]
    min_year = as_of.year - int(snapshot["max_age_years"])
    income_groups = list(snapshot.get("income_groups") or [])
    filter_metrics = [
        *([INCOME_METRIC] if income_groups else []),
        *([TIER_METRIC] if snapshot.get("exclude_tier_1") else []),
    ]
    rating_criteria = sorted(
        {c["qualitative"] for c in criteria if not c.get("metric")}
        | ({RESTRICTIONS} if snapshot.get("exclude_restricted") else set())
    )
    data = load_as_of(
        criteria_metrics=[c["metric"] for c in criteria if c.get("metric")],
        filter_metrics=filter_metrics,
        rating_criteria=rating_criteria,
        as_of=as_of,
        min_year=min_year,
    )
    date_text = as_of.isoformat()
    candidates = sorted(data.names)
    if not candidates:
        raise ValidationError(
            _("No country has any data for this model's criteria and filters as of %(date)s.")
            % {"date": date_text}
        )

    # The raw matrix and the reasons for leaving countries out.
    n, k = len(candidates), len(criteria)
    raw = np.full((n, k), np.nan)
    used: dict[tuple[str, str], Datum] = {}
    missing_reasons: dict[str, list[str]] = {}
    for i, iso3 in enumerate(candidates):
        for j, c in enumerate(criteria):
            if c.get("metric"):
                datum = data.observations.get((c["metric"], iso3))
                reason = None
                too_old = datum is not None and datum.year is not None and datum.year < min_year
                old_year = (
                    datum.year if too_old and datum is not None else data.stale.get((c["metric"], iso3))
                )
                if (datum is None or too_old) and old_year is not None:
                    reason = _(
                        "The latest figure of %(criterion)s public by %(date)s is of %(old)s, older than "
                        "%(years)s years (%(year)s on)."
                    ) % {
                        "criterion": names[j],
                        "date": date_text,
                        "old": old_year,
                        "years": snapshot["max_age_years"],
                        "year": min_year,
                    }
                elif datum is None:
                    reason = _("No figure of %(criterion)s from %(year)s on public by %(date)s.") % {
                        "criterion": names[j],
                        "year": min_year,
                        "date": date_text,
                    }
                elif datum.raw is None:
                    reason = _("%(criterion)s: “%(label)s” (%(year)s) cannot be ranked.") % {
                        "criterion": names[j],
                        "label": datum.label,
                        "year": datum.year,
                    }
            else:
                datum = data.ratings.get((c["qualitative"], iso3))
                reason = (
                    None
                    if datum is not None
                    else _("No rating of %(criterion)s dated by %(date)s.")
                    % {"criterion": names[j], "date": date_text}
                )
            if reason is None and datum is not None:
                raw[i, j] = datum.raw
                used[(iso3, keys[j])] = datum
            elif weights[j] > 0 and reason is not None:
                missing_reasons.setdefault(iso3, []).append(reason)

    filter_reasons: dict[str, list[str]] = {}
    counts = {"income": 0, "tier": 0, "restricted": 0, "missing": 0}
    filter_inputs: list[dict[str, Any]] = []
    for iso3 in candidates:
        reasons: list[str] = []
        if income_groups:
            datum = data.observations.get((INCOME_METRIC, iso3))
            if datum is None:
                reasons.append(_("No income group public by %(date)s.") % {"date": date_text})
                counts["income"] += 1
            else:
                filter_inputs.append(
                    {"iso3": iso3, "criterion": f"filter:{INCOME_METRIC}", **datum.as_json()}
                )
                ok, label = _income_matches(datum, income_groups, data.categories.get(INCOME_METRIC, []))
                if not ok:
                    reasons.append(
                        _("Income group “%(group)s” (%(year)s) is not among those kept.")
                        % {"group": label, "year": datum.year}
                    )
                    counts["income"] += 1
        if snapshot.get("exclude_tier_1"):
            datum = data.observations.get((TIER_METRIC, iso3))
            if datum is not None:
                filter_inputs.append({"iso3": iso3, "criterion": f"filter:{TIER_METRIC}", **datum.as_json()})
                if _is_tier_1(datum):
                    reasons.append(_("Tier 1 (%(edition)s).") % {"edition": datum.edition or datum.year})
                    counts["tier"] += 1
        if snapshot.get("exclude_restricted"):
            datum = data.ratings.get((RESTRICTIONS, iso3))
            if datum is not None:
                filter_inputs.append({"iso3": iso3, "criterion": f"filter:{RESTRICTIONS}", **datum.as_json()})
                if datum.raw == 1:
                    reasons.append(
                        _("Rated 1 (severe) for restrictions on assistance on %(date)s.")
                        % {"date": datum.published_on.isoformat() if datum.published_on else ""}
                    )
                    counts["restricted"] += 1
        if reasons:
            filter_reasons[iso3] = reasons

    passing = [i for i, iso3 in enumerate(candidates) if iso3 not in filter_reasons]
    for j in range(k):
        if weights[j] > 0 and passing and np.isnan(raw[passing, j]).all():
            raise ValidationError(
                {
                    "weight": _(
                        "No country left by the filters has a value of %(criterion)s as of %(date)s: remove "
                        "this criterion or give it a weight of zero."
                    )
                    % {"criterion": names[j], "date": date_text}
                }
            )

    excluded: list[dict[str, Any]] = []
    for iso3 in candidates:
        reasons = list(filter_reasons.get(iso3, []))
        if policy == engine.EXCLUDE and iso3 in missing_reasons:
            reasons.extend(missing_reasons[iso3])
            counts["missing"] += 1
        if reasons:
            excluded.append({"iso3": iso3, "name": data.names[iso3], "reasons": reasons})
    if len(excluded) == n:
        details = []
        if counts["income"]:
            details.append(_("the income-group filter removed %(count)s") % {"count": counts["income"]})
        if counts["tier"]:
            details.append(_("the Tier 1 filter removed %(count)s") % {"count": counts["tier"]})
        if counts["restricted"]:
            details.append(_("the restrictions filter removed %(count)s") % {"count": counts["restricted"]})
        if counts["missing"]:
            details.append(_("missing data removed %(count)s") % {"count": counts["missing"]})
        raise ValidationError(
            _("The model filters out every country as of %(date)s (%(count)s with data): %(details)s.")
            % {"date": date_text, "count": n, "details": "; ".join(details)}
        )

    iso_passing = [candidates[i] for i in passing]
    try:
        ranking = engine.compute(
            raw[passing],
            weights,
            [c["direction"] for c in criteria],
            [c["normalisation"] for c in criteria],
            policy,
            tie_keys=iso_passing,
        )
    except engine.EngineError as error:  # guarded above; kept as a clear message
        raise ValidationError(str(error)) from error

    shares = ranking.shares
    result_criteria = [
        {
            "key": keys[j],
            "name": names[j],
            "weight": float(weights[j]),
            "share": float(shares[j]),
            "direction": c["direction"],
            "normalisation": c["normalisation"],
        }
        for j, c in enumerate(criteria)
    ]
    inputs_values: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for position in ranking.order:
        iso3 = iso_passing[ranking.kept[position]]
        values: dict[str, Any] = {}
        for j, key in enumerate(keys):
            imputed = bool(ranking.imputed[position, j])
            datum = used.get((iso3, key))
            normalised = ranking.normalised[position, j]
            raw_value = ranking.values[position, j]
            entry = {
                "raw": None if np.isnan(raw_value) else float(raw_value),
                "label": "" if imputed or datum is None else datum.label,
                "year": None if imputed or datum is None else datum.year,
                "edition": "" if imputed or datum is None else datum.edition,
                "published_on": None
                if imputed or datum is None or datum.published_on is None
                else datum.published_on.isoformat(),
                "imputed": imputed,
                "normalised": None if np.isnan(normalised) else float(normalised),
            }
            values[key] = entry
        rows.append(
            {
                "iso3": iso3,
                "name": data.names[iso3],
                "rank": int(ranking.ranks[position]),
                "score": float(ranking.scores[position]),
                "contributions": {
                    key: float(ranking.contributions[position, j]) for j, key in enumerate(keys)
                },
                "values": values,
            }
        )
    ranked = {row["iso3"]: row for row in rows}
    for iso3 in candidates:
        for key in keys:
            datum = used.get((iso3, key))
            if datum is not None:
                inputs_values.append({"iso3": iso3, "criterion": key, **datum.as_json(), "imputed": False})
            elif iso3 in ranked and ranked[iso3]["values"][key]["imputed"]:
                inputs_values.append(
                    {
                        "iso3": iso3,
                        "criterion": key,
                        **Datum(ranked[iso3]["values"][key]["raw"], "", None, "", None).as_json(),
                        "imputed": True,
                    }
                )
    inputs_values.extend({**f, "imputed": False} for f in filter_inputs)

    warnings: list[str] = []
    for j in ranking.zero_spread:
        warnings.append(
            _(
                "%(criterion)s has the same value for every ranked country: it normalises to 0.5 for "
                "everyone and does not change the ranking."
            )
            % {"criterion": names[j]}
        )
    for j, fill in sorted(ranking.imputed_with.items()):
        warnings.append(
            _("%(count)s missing values of %(criterion)s were imputed (%(value)s) and are flagged.")
            % {"count": int(ranking.imputed[:, j].sum()), "criterion": names[j], "value": f"{fill:g}"}
        )
    if data.without_data:
        warnings.append(
            _("%(count)s countries have nothing public by %(date)s for this model and are not listed.")
            % {"count": data.without_data, "date": date_text}
        )
    if policy == engine.EXCLUDE and counts["missing"]:
        warnings.append(
            _("%(count)s countries were excluded for missing data (see the excluded countries).")
            % {"count": counts["missing"]}
        )

    results = {
        "criteria": result_criteria,
        "ranking": rows,
        "excluded": sorted(excluded, key=lambda e: (e["name"], e["iso3"])),
        "policy": {"missing": policy, "description": policy_description(snapshot)},
        "warnings": warnings,
    }
    inputs = {
        "as_of": date_text,
        "rule": AS_OF_RULE,
        "max_age_years": int(snapshot["max_age_years"]),
        "min_year": min_year,
        "values": inputs_values,
    }
    top_n = int(snapshot.get("top_n") or 10)
    spread = float(snapshot.get("spread", engine.DEFAULT_SPREAD))
    analysis = engine.sensitivity(
        ranking.normalised, weights, draws=draws, spread=spread, seed=seed, top_n=top_n
    )
    countries: dict[str, Any] = {}
    if draws > 0:
        for position in ranking.order:
            iso3 = iso_passing[ranking.kept[position]]
            countries[iso3] = {
                "rank_min": int(analysis.rank_min[position]),
                "rank_max": int(analysis.rank_max[position]),
                "rank_p5": int(analysis.rank_p5[position]),
                "rank_p95": int(analysis.rank_p95[position]),
                "p_top_n": float(analysis.p_top_n[position]),
            }
    sensitivity = {
        "draws": int(draws),
        "spread": spread,
        "top_n": top_n,
        "seed": int(seed),
        "countries": countries,
    }
    return inputs, results, sensitivity


def check_draws(draws: int, seed: int) -> None:
    errors = {}
    if not isinstance(draws, int) or not 0 <= draws <= 100_000:
        errors["draws"] = _("Give a number of draws between 0 and 100,000.")
    if not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1:
        errors["seed"] = _("Give a seed between 0 and 2,147,483,647.")
    if errors:
        raise ValidationError(errors)


def create_run(
    *,
    model: SelectionModel,
    as_of: dt.date,
    draws: int = engine.DEFAULT_DRAWS,
    seed: int = engine.DEFAULT_SEED,
    title: str = "",
    created_by: Any = None,
) -> SelectionRun:
    """Compute and save a run (no permission check: for ``run_selection`` and the command line)."""
    check_draws(draws, seed)
    snapshot = snapshot_of(model)
    inputs, results, sensitivity = compute(snapshot, as_of, draws, seed)
    with transaction.atomic():
        return SelectionRun.objects.create(
            model=model,
            title=(title or "").strip() or f"{model.name} – {as_of.isoformat()}",
            as_of=as_of,
            seed=seed,
            draws=draws,
            model_snapshot=snapshot,
            inputs=inputs,
            results=results,
            sensitivity=sensitivity,
            created_by=created_by,
        )


def run_selection(
    *,
    user: Any,
    model: SelectionModel,
    as_of: dt.date,
    draws: int = engine.DEFAULT_DRAWS,
    seed: int = engine.DEFAULT_SEED,
    title: str = "",
) -> SelectionRun:
    """Run ``model`` as of ``as_of`` and save the run with its model, inputs, results and sensitivity."""
    require_selection_staff(user)
    return create_run(model=model, as_of=as_of, draws=draws, seed=seed, title=title, created_by=user)


def recompute(run: SelectionRun) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Recompute a saved run from its snapshot and the database (the saved JSON is not changed)."""
    return compute(run.model_snapshot, run.as_of, run.draws, run.seed)
