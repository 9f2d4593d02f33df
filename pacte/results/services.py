"""Writes for results. Web views, the API, the Excel upload and the demo loader call these, and only
these, to change indicator definitions, targets, submissions, narratives and annual reports.

Each public function is one transaction: it locks the row it changes (``select_for_update``), checks
the user's capability (``PermissionDenied``), validates everything first and then saves, or saves
nothing and raises ``ValidationError`` with field-level messages in the user's language.

Rules (see ``pacte.compacts.permissions``):

* defining indicators needs ``DEFINE_INDICATORS``; reporting needs ``REPORT_RESULTS`` *and* the
  organisation to be one of the indicator's reporters (programme officers and site administrators
  may report on behalf of any reporter organisation); reviewing needs ``REVIEW_RESULTS`` and never
  concerns one's own organisation's values (separation of duties);
* workflow: draft → submitted → approved, or → returned → submitted …; an approved submission may be
  reopened (→ returned) by a reviewer until its period is locked; only unlocked drafts and returned
  submissions can be edited;
* optimistic concurrency: a caller passes the ``version`` it read; when the stored version differs,
  the save is refused (``{"version": [...]}``); every successful save increments the version;
* every write calls ``results_changed(compact)`` in its transaction: the compact's results version
  token changes, so progress cached under the previous token (``selectors.cached_compact_progress``,
  the progress page, the indicator API) is no longer used, in any process.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from pacte.compacts.models import Compact, Indicator, Meeting, Membership, Objective, Participation
from pacte.compacts.permissions import Access, Capability, require

from . import periods, selectors
from .categories import install
from .models import (
    VALUE_DIGITS,
    VALUE_PLACES,
    AnnualReport,
    DisaggregationCategory,
    Evidence,
    IndicatorDefinition,
    NarrativeSection,
    ResultsState,
    Submission,
    Target,
    Value,
)

if TYPE_CHECKING:
    from pacte.accounts.models import Organisation, User

Unit = IndicatorDefinition.Unit
Status = Submission.Status
HUNDRED = Decimal(100)
QUANTUM = Decimal(1).scaleb(-VALUE_PLACES)  # 0.0001
MAX_ABS = Decimal(10) ** (VALUE_DIGITS - VALUE_PLACES)

DEFINITION_FIELDS = (
    "unit",
    "unit_label",
    "numerator_label",
    "denominator_label",
    "numerator_may_exceed_denominator",
    "direction",
    "cumulation",
    "frequency",
    "baseline_value",
    "baseline_numerator",
    "baseline_denominator",
    "baseline_year",
    "baseline_source",
    "notes",
)


@dataclass(frozen=True)
class ValueInput:
    """One figure of a submission: the total (``category`` None) or a disaggregated part.

    ``value`` for counts, percent-change counts and milestones (1 yes / 0 no); ``numerator`` and
    ``denominator`` for percentages; ``text`` for qualitative indicators. Numbers may also be given
    as strings or ints (the Excel upload and the API pass what they read); anything else is refused.
    """

    category: DisaggregationCategory | None = None
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    text: str = ""

    @property
    def is_empty(self) -> bool:
        text = self.text.strip() if isinstance(self.text, str) else self.text
        return _blank(self.value) and _blank(self.numerator) and _blank(self.denominator) and not text


# -- helpers -----------------------------------------------------------------------------------------
class Errors:
    """Collects field-level messages; ``raise_if_any`` raises them all at once."""

    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.messages.setdefault(field, []).append(message)

    def extend(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add(field, message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _check_version(stored: int, given: int | None, message: str) -> None:
    if given is not None and int(given) != stored:
        raise ValidationError({"version": [message]})


def _stale_submission() -> str:
    return _(
        "Someone else saved this submission since you opened it: reload the page to see their changes, "
        "then make yours again."
    )


def _stale_definition() -> str:
    return _(
        "Someone else saved this indicator definition since you opened it: reload the page to see their "
        "changes, then make yours again."
    )


def _stale_narrative() -> str:
    return _(
        "Someone else saved this section since you opened it: reload the page to see their changes, then "
        "make yours again."
    )


def _acts_for_any_organisation(access: Access) -> bool:
    """Programme officers and site administrators may act on behalf of any reporting organisation."""
    return access.role in (Membership.Role.PROGRAMME_OFFICER, "site_admin")


def _term_years(compact: Compact) -> tuple[int, int] | None:
    if not (compact.start_date and compact.end_date):
        return None
    return compact.start_date.year, compact.end_date.year


def _decimal(raw: object) -> Decimal:
    """A number as Decimal; ValueError when ``raw`` is not one (bools, NaN and infinities included)."""
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(str(raw))
    elif isinstance(raw, str):
        number = _parse_number_text(raw)
    else:
        raise ValueError
    if not number.is_finite():
        raise ValueError
    return number


def _parse_number_text(raw: str) -> Decimal:
    """``12``, ``12.5``, ``12,5`` (French decimal comma), ``1 000``; a lone comma followed by exactly
    three digits (``1,000``) is ambiguous and refused rather than misread."""
    text = raw.strip()
    for space in ("\u202f", "\xa0", " "):
        text = text.replace(space, "")
    if "," in text:
        head, _sep, tail = text.partition(",")
        if "." in text or "," in tail or len(tail) == 3 or not tail:
            raise ValueError
        text = f"{head}.{tail}"
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError from exc


def results_changed(compact: Compact | int) -> None:
    """What the results of ``compact`` show may have changed: give its ``ResultsState`` a new random
    token (in the caller's transaction: rolled back with it). Every service below that writes calls
    it; a write made outside the services (a data import, the admin site) must call it too."""
    compact_id = compact if isinstance(compact, int) else compact.pk
    token, now = uuid.uuid4().hex, timezone.now()
    if ResultsState.objects.filter(compact_id=compact_id).update(token=token, changed_at=now):
        return
    with transaction.atomic():  # a savepoint: a concurrent first write may create it first
        state, created = ResultsState.objects.get_or_create(
            compact_id=compact_id, defaults={"token": token, "changed_at": now}
        )
    if not created:
        ResultsState.objects.filter(pk=state.pk).update(token=token, changed_at=now)


def _lock_definition(definition: IndicatorDefinition) -> IndicatorDefinition:
    return (
        IndicatorDefinition.objects.select_for_update(of=("self",))
        .select_related("compact", "indicator")
        .get(pk=definition.pk)
    )


def _lock_submission(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("definition", "compact", "organisation")
        .get(pk=submission.pk)
    )


# -- standard categories -------------------------------------------------------------------------------
@transaction.atomic
def ensure_standard_categories() -> None:
    """Create or update the standard disaggregation categories (idempotent); the data migration
    ``0002_standard_categories`` runs the same code (``categories.install``)."""
    install(DisaggregationCategory)
    # Category labels show in every compact's progress (the flags).
    ResultsState.objects.update(token=uuid.uuid4().hex, changed_at=timezone.now())


# -- indicator definitions and targets --------------------------------------------------------------------
@transaction.atomic
def define_indicator(
    *,
    user: User,
    indicator: Indicator,
    data: Mapping[str, Any],
    categories: Iterable[DisaggregationCategory] = (),
    reporters: Iterable[Organisation] = (),
    version: int | None = None,
) -> IndicatorDefinition:
    """Create or update the definition of ``indicator``.

    ``data`` holds ``IndicatorDefinition`` field names (``DEFINITION_FIELDS``); ``categories`` and
    ``reporters`` are the complete sets (they replace the current ones). A percentage's baseline is
    given as numerator and denominator and its value derived from them; the unit and the frequency
    cannot change once values are reported, nor can a category in use be removed.
    """
    unexpected = set(data) - set(DEFINITION_FIELDS)
    if unexpected:
        raise TypeError(f"define_indicator does not take {', '.join(sorted(unexpected))}.")
    # Lock the indicator row: two first definitions of one indicator cannot race.
    indicator = (
        Indicator.objects.select_for_update(of=("self",))
        .select_related("objective__compact")
        .get(pk=indicator.pk)
    )
    compact = indicator.objective.compact
    require(user, compact, Capability.DEFINE_INDICATORS)
    existing = IndicatorDefinition.objects.select_for_update().filter(indicator=indicator).order_by().first()
    if existing is not None:
        _check_version(existing.version, version, _stale_definition())
        definition = existing
    else:
        definition = IndicatorDefinition(indicator=indicator, compact=compact)
    previous_unit, previous_frequency = definition.unit, definition.frequency
    for name, raw in data.items():
        setattr(definition, name, raw)
    categories = list(categories)
    reporters = list(reporters)
    errors = Errors()
    has_values = existing is not None and existing.submissions.exists()
    if has_values and definition.unit != previous_unit:
        errors.add(
            "unit", _("Values are already reported for this indicator: its unit can no longer change.")
        )
    if has_values and definition.frequency != previous_frequency:
        errors.add(
            "frequency",
            _(
                "Values are already reported for this indicator: its reporting frequency can no longer "
                "change."
            ),
        )
    _validate_baseline(definition, errors)
    for cat in categories:
        if cat.country and cat.country != compact.country:
            errors.add(
                "categories",
                _("“%(category)s” is a region of another country (%(country)s).")
                % {"category": cat.label, "country": cat.country},
            )
    if existing is not None:
        keep = {c.pk for c in categories}
        in_use = DisaggregationCategory.objects.filter(
            pk__in=Value.objects.filter(submission__definition=existing, category__isnull=False)
            .exclude(category_id__in=keep)
            .values("category_id")
        )
        for cat in in_use:
            errors.add(
                "categories",
                _("Values are reported for “%(category)s”: it cannot be removed from this indicator.")
                % {"category": cat.label},
            )
    participating = set(
        Participation.objects.filter(compact=compact, organisation__in=reporters).values_list(
            "organisation_id", flat=True
        )
    )
    for org in reporters:
        if org.pk not in participating:
            errors.add(
                "reporters",
                _(
                    "%(organisation)s does not take part in this compact: add it to the participating "
                    "organisations first."
                )
                % {"organisation": org},
            )
    try:
        definition.full_clean(exclude=["indicator", "compact"] if existing is None else None)
    except ValidationError as exc:
        errors.extend(exc)
    errors.raise_if_any()
    if existing is not None:
        definition.version = existing.version + 1
    definition.save()
    definition.categories.set(categories)
    definition.reporters.set(reporters)
    results_changed(compact)
    return definition


def _validate_baseline(definition: IndicatorDefinition, errors: Errors) -> None:
    if definition.unit == Unit.PERCENTAGE:
        num, den = definition.baseline_numerator, definition.baseline_denominator
        if num is None and den is None:
            if definition.baseline_value is not None:
                errors.add(
                    "baseline_numerator",
                    _("For a percentage, give the baseline as a numerator and a denominator."),
                )
            return
        try:
            num = None if _blank(num) else _decimal(num)
            den = None if _blank(den) else _decimal(den)
        except ValueError:
            errors.add("baseline_numerator", _("Give the baseline numerator and denominator as numbers."))
            return
        if num is None:
            errors.add("baseline_numerator", _("Give the baseline numerator as well as the denominator."))
        if den is None:
            errors.add("baseline_denominator", _("Give the baseline denominator as well as the numerator."))
        if num is None or den is None:
            return
        if num < 0:
            errors.add("baseline_numerator", _("The numerator cannot be negative."))
        if den <= 0:
            errors.add("baseline_denominator", _("The denominator must be greater than zero."))
            return
        if num > den and not definition.numerator_may_exceed_denominator:
            errors.add(
                "baseline_numerator",
                _("The numerator (%(numerator)s) cannot exceed the denominator (%(denominator)s).")
                % {"numerator": num, "denominator": den},
            )
        definition.baseline_numerator, definition.baseline_denominator = num, den
        definition.baseline_value = (HUNDRED * num / den).quantize(QUANTUM, ROUND_HALF_UP)
        return
    # Other units have no baseline ratio.
    definition.baseline_numerator = definition.baseline_denominator = None
    if _blank(definition.baseline_value):
        definition.baseline_value = None
        return
    try:
        baseline = _decimal(definition.baseline_value)
    except ValueError:
        errors.add("baseline_value", _("Give the baseline as a number."))
        return
    definition.baseline_value = baseline
    if definition.unit == Unit.QUALITATIVE:
        errors.add(
            "baseline_value", _("A qualitative indicator has no numeric baseline; describe it in the source.")
        )
    elif definition.unit == Unit.MILESTONE and baseline not in (0, 1):
        errors.add("baseline_value", _("A milestone's baseline is 1 (achieved) or 0 (not achieved)."))
    elif baseline < 0:
        errors.add("baseline_value", _("The baseline cannot be negative."))


@transaction.atomic
def set_targets(
    *,
    user: User,
    definition: IndicatorDefinition,
    targets: Mapping[int, Decimal | None],
    version: int | None = None,
) -> list[Target]:
    """Set the targets of the given years (a ``None`` value removes that year's target); other years
    are kept. Years must fall within the compact's term. Returns every target of the definition."""
    original = definition
    definition = _lock_definition(definition)
    compact = definition.compact
    require(user, compact, Capability.DEFINE_INDICATORS)
    _check_version(definition.version, version, _stale_definition())
    errors = Errors()
    term = _term_years(compact)
    cleaned: dict[int, Decimal | None] = {}
    for raw_year, raw in targets.items():
        try:
            year = int(raw_year)
        except (TypeError, ValueError):
            errors.add("targets", _("“%(year)s” is not a year.") % {"year": raw_year})
            continue
        if term is None or not term[0] <= year <= term[1]:
            errors.add(
                "targets",
                _("%(year)s is outside the term of the compact (%(first)s–%(last)s).")
                % {"year": year, "first": term[0] if term else "?", "last": term[1] if term else "?"},
            )
            continue
        if _blank(raw):
            cleaned[year] = None
            continue
        try:
            value = _decimal(raw)
        except ValueError:
            errors.add("targets", _("%(year)s: “%(value)s” is not a number.") % {"year": year, "value": raw})
            continue
        message = _target_error(definition, value)
        if message:
            errors.add("targets", _("%(year)s: %(message)s") % {"year": year, "message": message})
            continue
        cleaned[year] = value
    errors.raise_if_any()
    for year, target in cleaned.items():
        if target is None:
            Target.objects.filter(definition=definition, year=year).delete()
        else:
            Target.objects.update_or_create(definition=definition, year=year, defaults={"value": target})
    definition.version += 1
    definition.save(update_fields=["version", "updated_at"])
    original.version = definition.version
    results_changed(compact)
    return list(Target.objects.filter(definition=definition).order_by("year"))


def _target_error(definition: IndicatorDefinition, value: Decimal) -> str:
    if definition.unit == Unit.QUALITATIVE:
        return _("a qualitative indicator has no numeric target.")
    if definition.unit == Unit.MILESTONE and value not in (0, 1):
        return _("a milestone's target is 1 (achieved) or 0 (not achieved).")
    if value < 0 and definition.unit != Unit.PERCENT_CHANGE:
        return _("a target cannot be negative.")
    if (
        definition.unit == Unit.PERCENTAGE
        and value > HUNDRED
        and not definition.numerator_may_exceed_denominator
    ):
        return _("a percentage target cannot exceed 100.")
    if abs(value) >= MAX_ABS or value != value.quantize(QUANTUM, ROUND_HALF_UP):
        return _("the number is too large or has more than %(places)s decimals.") % {"places": VALUE_PLACES}
    return ""


# -- submissions ---------------------------------------------------------------------------------------
def _reporting_access(
    user: User, definition: IndicatorDefinition, organisation: Organisation | None
) -> Organisation:
    """Check that ``user`` may report for ``organisation`` (default: their own) on ``definition``;
    returns the organisation."""
    access = require(user, definition.compact, Capability.REPORT_RESULTS)
    on_behalf = _acts_for_any_organisation(access)
    if organisation is None:
        organisation = user.organisation
    if organisation is None:
        raise ValidationError({"organisation": [_("Choose the organisation these values are reported for.")]})
    if organisation.pk != user.organisation_id and not on_behalf:
        raise PermissionDenied(_("You may report values only for your own organisation."))
    if not definition.reporters.filter(pk=organisation.pk).exists():
        if organisation.pk == user.organisation_id and not on_behalf:
            raise PermissionDenied(_("Your organisation is not among those that report this indicator."))
        raise ValidationError(
            {
                "organisation": [
                    _("%(organisation)s does not report this indicator.") % {"organisation": organisation}
                ]
            }
        )
    return organisation


def _part_name(category: DisaggregationCategory | None) -> str:
    return category.label if category is not None else _("total")


def _number(raw: object, part: str, what: str, errors: Errors) -> Decimal | None:
    try:
        number = _decimal(raw)
    except ValueError:
        errors.add(
            "values",
            _("%(part)s: “%(value)s” is not a number (%(what)s).")
            % {"part": part, "value": raw, "what": what},
        )
        return None
    if abs(number) >= MAX_ABS:
        errors.add("values", _("%(part)s: %(value)s is too large.") % {"part": part, "value": number})
        return None
    if number != number.quantize(QUANTUM, ROUND_HALF_UP):
        errors.add(
            "values",
            _("%(part)s: %(value)s has more than %(places)s decimals.")
            % {"part": part, "value": number, "places": VALUE_PLACES},
        )
        return None
    return number


def _clean_value(definition: IndicatorDefinition, item: ValueInput, errors: Errors) -> Value | None:
    """A ``Value`` (unsaved, without submission) for ``item``, or None with messages in ``errors``."""
    part = _part_name(item.category)
    unit = definition.unit
    if unit == Unit.QUALITATIVE:
        text = (item.text or "").strip() if isinstance(item.text, str) else ""
        if not text:
            errors.add("values", _("%(part)s: write the qualitative value.") % {"part": part})
            return None
        return Value(category=item.category, text=text)
    if unit == Unit.PERCENTAGE:
        if _blank(item.numerator) or _blank(item.denominator):
            errors.add(
                "values",
                _("%(part)s: a percentage needs both the numerator and the denominator.") % {"part": part},
            )
            return None
        num = _number(item.numerator, part, _("numerator"), errors)
        den = _number(item.denominator, part, _("denominator"), errors)
        if num is None or den is None:
            return None
        failed = False
        if num < 0:
            errors.add("values", _("%(part)s: the numerator cannot be negative.") % {"part": part})
            failed = True
        if den <= 0:
            errors.add("values", _("%(part)s: the denominator must be greater than zero.") % {"part": part})
            return None
        if num > den and not definition.numerator_may_exceed_denominator:
            errors.add(
                "values",
                _("%(part)s: the numerator (%(numerator)s) cannot exceed the denominator (%(denominator)s).")
                % {"part": part, "numerator": num, "denominator": den},
            )
            failed = True
        if failed:
            return None
        ratio = (HUNDRED * num / den).quantize(QUANTUM, ROUND_HALF_UP)
        return Value(category=item.category, numerator=num, denominator=den, value=ratio)
    # Counts, counts behind a percentage change, milestones.
    if _blank(item.value):
        errors.add("values", _("%(part)s: give the value.") % {"part": part})
        return None
    number = _number(item.value, part, _("value"), errors)
    if number is None:
        return None
    if unit == Unit.MILESTONE:
        if number not in (0, 1):
            errors.add(
                "values",
                _("%(part)s: a milestone is 1 (achieved) or 0 (not achieved), not %(value)s.")
                % {"part": part, "value": number},
            )
            return None
    elif number < 0:
        errors.add(
            "values", _("%(part)s: a count cannot be negative (%(value)s).") % {"part": part, "value": number}
        )
        return None
    elif number != number.to_integral_value():
        errors.add(
            "values",
            _("%(part)s: a count is a whole number, not %(value)s.") % {"part": part, "value": number},
        )
        return None
    return Value(category=item.category, value=number)


def _clean_values(
    definition: IndicatorDefinition, values: Sequence[ValueInput], errors: Errors
) -> list[Value]:
    allowed = {c.pk: c for c in definition.categories.all()}
    seen: set[int | None] = set()
    cleaned: list[Value] = []
    for item in values:
        if not isinstance(item, ValueInput):
            raise TypeError("values must be ValueInput instances.")
        category = item.category
        key = category.pk if category is not None else None
        if category is not None and key not in allowed:
            errors.add(
                "values",
                _("“%(category)s” is not a disaggregation of this indicator.") % {"category": category.label},
            )
            continue
        if key in seen:
            errors.add("values", _("%(part)s is given twice.") % {"part": _part_name(category)})
            continue
        seen.add(key)
        if item.is_empty and category is not None:
            continue  # a blank part is simply not reported
        value = _clean_value(definition, item, errors)
        if value is not None:
            cleaned.append(value)
    if None not in seen:
        errors.add("values", _("Give the total."))
    return cleaned


@transaction.atomic
def save_submission(
    *,
    user: User,
    definition: IndicatorDefinition,
    period: str,
    values: Sequence[ValueInput],
    comment: str = "",
    organisation: Organisation | None = None,
    submission: Submission | None = None,
    version: int | None = None,
    is_demo: bool = False,
) -> Submission:
    """Create a draft (``submission`` None) or update an editable one (draft or returned, not locked),
    replacing all its values."""
    # The definition row serialises writes for one indicator: the duplicate check cannot race.
    definition = _lock_definition(definition)
    compact = definition.compact
    if submission is not None:
        submission = _lock_submission(submission)
        if submission.definition_id != definition.pk:
            raise ValidationError(_("This submission reports another indicator."))
        if organisation is not None and organisation.pk != submission.organisation_id:
            raise ValidationError(
                {"organisation": [_("The reporting organisation of a submission cannot change.")]}
            )
        organisation = _reporting_access(user, definition, submission.organisation)
        _check_version(submission.version, version, _stale_submission())
        if not submission.is_editable:
            raise ValidationError(_non_editable(submission))
    else:
        organisation = _reporting_access(user, definition, organisation)
    errors = Errors()
    parsed = _clean_period(definition, compact, period, errors)
    if parsed is not None:
        duplicate = Submission.objects.filter(
            definition=definition, organisation=organisation, period=parsed.code
        )
        if submission is not None:
            duplicate = duplicate.exclude(pk=submission.pk)
        if duplicate.exists():
            errors.add(
                "period",
                _(
                    "%(organisation)s has already reported this indicator for %(period)s: edit that "
                    "submission."
                )
                % {"organisation": organisation, "period": parsed.code},
            )
    if not isinstance(comment, str):
        errors.add("comment", _("The comment must be text."))
        comment = ""
    cleaned = _clean_values(definition, values, errors)
    errors.raise_if_any()
    assert parsed is not None
    if submission is None:
        submission = Submission(
            definition=definition,
            compact=compact,
            organisation=organisation,
            status=Status.DRAFT,
            created_by=user,
            is_demo=is_demo,
        )
    else:
        submission.version += 1
    submission.period = parsed.code
    submission.period_start, submission.period_end, submission.year = parsed.start, parsed.end, parsed.year
    submission.comment = comment.strip()
    submission.full_clean(exclude=["definition", "compact", "organisation", "created_by"])
    submission.save()
    submission.values.all().delete()
    for value in cleaned:
        value.submission = submission
    Value.objects.bulk_create(cleaned)
    record_parts_check(Submission.objects.filter(pk=submission.pk))
    submission.refresh_from_db(fields=["parts_add_up"])
    results_changed(compact)
    return submission


def record_parts_check(submissions: Any) -> int:
    """Store on each of ``submissions`` whether its disaggregated parts add up (``parts_add_up``),
    so that progress checks only those that do not; ``save_submission`` calls it with the values, and
    a write made without the services (a data import) calls it for what it wrote. No history record
    (a derived figure). Returns how many were checked."""
    found = selectors.parts_add_up(submissions)
    for value in (True, False):
        pks = [pk for pk, ok in found.items() if ok is value]
        for start in range(0, len(pks), 5000):
            Submission.objects.filter(pk__in=pks[start : start + 5000]).update(parts_add_up=value)
    return len(found)


def _clean_period(
    definition: IndicatorDefinition, compact: Compact, period: str, errors: Errors
) -> periods.Period | None:
    if not isinstance(period, str) or not period.strip():
        errors.add(
            "period", _("Give the period: a year (2024), a quarter (2024Q1) or a US fiscal year (FY2025).")
        )
        return None
    try:
        parsed = periods.parse_period(period)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add("period", message)
        return None
    if parsed.kind != definition.frequency:
        errors.add(
            "period",
            _("This indicator is reported %(frequency)s: “%(period)s” is not such a period.")
            % {"frequency": definition.get_frequency_display().lower(), "period": parsed.code},
        )
        return None
    if not parsed.overlaps(compact.start_date, compact.end_date) or not (
        compact.start_date and compact.end_date
    ):
        errors.add(
            "period",
            _("%(period)s is outside the term of the compact (%(start)s to %(end)s).")
            % {"period": parsed.code, "start": compact.start_date or "?", "end": compact.end_date or "?"},
        )
        return None
    return parsed


def _non_editable(submission: Submission) -> str:
    if submission.locked:
        return _("This period is locked: its values can no longer change.")
    return _("A submission that is “%(status)s” can no longer be edited.") % {
        "status": submission.get_status_display()
    }


# -- workflow ----------------------------------------------------------------------------------------------
@transaction.atomic
def submit(*, user: User, submission: Submission, version: int | None = None) -> Submission:
    """Draft or returned → submitted, by the reporting organisation (or on its behalf)."""
    submission = _lock_submission(submission)
    _reporting_access(user, submission.definition, submission.organisation)
    _check_version(submission.version, version, _stale_submission())
    if not submission.is_editable:
        raise ValidationError(
            _("Only a draft or a returned submission can be submitted; this one is “%(status)s”.")
            % {"status": submission.get_status_display()}
            if not submission.locked
            else _non_editable(submission)
        )
    if not submission.values.filter(category__isnull=True).exists():
        raise ValidationError({"values": [_("Give the total.")]})
    submission.status = Status.SUBMITTED
    submission.submitted_by = user
    submission.submitted_at = timezone.now()
    submission.version += 1
    submission.save()
    results_changed(submission.compact_id)
    return submission


def _review_access(user: User, submission: Submission) -> None:
    require(user, submission.compact, Capability.REVIEW_RESULTS)
    own = user.organisation_id is not None and user.organisation_id == submission.organisation_id
    if own or user.pk in (submission.submitted_by_id, submission.created_by_id):
        raise PermissionDenied(
            _("You cannot review values reported by your own organisation: another reviewer must do it.")
        )


@transaction.atomic
def approve(
    *, user: User, submission: Submission, comment: str = "", version: int | None = None
) -> Submission:
    """Submitted → approved: from now on the values count."""
    submission = _lock_submission(submission)
    _review_access(user, submission)
    _check_version(submission.version, version, _stale_submission())
    if submission.status != Status.SUBMITTED:
        raise ValidationError(
            _("Only a submitted submission can be approved; this one is “%(status)s”.")
            % {"status": submission.get_status_display()}
        )
    return _reviewed(submission, user, Status.APPROVED, comment)


@transaction.atomic
def return_submission(
    *, user: User, submission: Submission, comment: str, version: int | None = None
) -> Submission:
    """Submitted → returned for correction, with the reviewer's comments (required)."""
    submission = _lock_submission(submission)
    _review_access(user, submission)
    _check_version(submission.version, version, _stale_submission())
    if submission.status != Status.SUBMITTED:
        raise ValidationError(
            _("Only a submitted submission can be returned; this one is “%(status)s”.")
            % {"status": submission.get_status_display()}
        )
    if not (comment or "").strip():
        raise ValidationError({"comment": [_("Say what needs correcting.")]})
    return _reviewed(submission, user, Status.RETURNED, comment)


@transaction.atomic
def reopen(*, user: User, submission: Submission, comment: str, version: int | None = None) -> Submission:
    """Approved (period not locked) → returned, with the reason (required)."""
    submission = _lock_submission(submission)
    _review_access(user, submission)
    _check_version(submission.version, version, _stale_submission())
    if submission.locked:
        raise ValidationError(_non_editable(submission))
    if submission.status != Status.APPROVED:
        raise ValidationError(
            _("Only an approved submission can be reopened; this one is “%(status)s”.")
            % {"status": submission.get_status_display()}
        )
    if not (comment or "").strip():
        raise ValidationError({"comment": [_("Say why the approved values are reopened.")]})
    return _reviewed(submission, user, Status.RETURNED, comment)


def _reviewed(submission: Submission, user: User, status: str, comment: str) -> Submission:
    submission.status = status
    submission.reviewed_by = user
    submission.reviewed_at = timezone.now()
    if (comment or "").strip() or status == Status.APPROVED:
        submission.review_comment = (comment or "").strip()
    submission.version += 1
    submission.save()
    results_changed(submission.compact_id)
    return submission


def _period_submissions(compact: Compact, period: str) -> Any:
    try:
        parsed = periods.parse_period(period)
    except ValidationError as exc:
        raise ValidationError({"period": exc.messages}) from exc
    # The period itself and every shorter period within it (locking 2024 locks 2024Q1 … 2024Q4).
    return Submission.objects.filter(
        compact=compact, period_start__gte=parsed.start, period_end__lte=parsed.end
    )


@transaction.atomic
def lock_period(*, user: User, compact: Compact, period: str) -> int:
    """Lock every approved submission of ``period`` (and of the shorter periods within it) of the
    compact; returns how many were locked."""
    require(user, compact, Capability.REVIEW_RESULTS)
    rows = _period_submissions(compact, period).filter(status=Status.APPROVED, locked=False)
    results_changed(compact)
    return _set_locked(rows, True, user)


@transaction.atomic
def unlock_period(*, user: User, compact: Compact, period: str) -> int:
    """Unlock the submissions of ``period``: programme officers and site administrators only."""
    require(user, compact, Capability.CHANGE_STATUS)
    rows = _period_submissions(compact, period).filter(locked=True)
    results_changed(compact)
    return _set_locked(rows, False, user)


def _set_locked(rows: Any, locked: bool, user: User) -> int:
    """Lock the rows (in primary-key order, so that two callers cannot deadlock), change them and
    record each change in their history."""
    submissions = list(rows.order_by("pk").select_for_update(of=("self",)))
    now = timezone.now()
    for submission in submissions:
        submission.locked = locked
        submission.version += 1
        submission.updated_at = now
    bulk_update_with_history(
        submissions, Submission, ["locked", "version", "updated_at"], batch_size=500, default_user=user
    )
    return len(submissions)


# -- evidence --------------------------------------------------------------------------------------------
@transaction.atomic
def add_evidence(*, user: User, submission: Submission, file: Any, description: str = "") -> Evidence:
    submission = _lock_submission(submission)
    _reporting_access(user, submission.definition, submission.organisation)
    if not submission.is_editable:
        raise ValidationError(_non_editable(submission))
    evidence = Evidence(
        submission=submission, file=file, description=(description or "").strip(), uploaded_by=user
    )
    if not file:
        raise ValidationError({"file": [_("Choose a file.")]})
    evidence.full_clean()
    evidence.save()
    results_changed(submission.compact_id)
    return evidence


@transaction.atomic
def delete_evidence(*, user: User, evidence: Evidence) -> None:
    submission = _lock_submission(evidence.submission)
    _reporting_access(user, submission.definition, submission.organisation)
    if not submission.is_editable:
        raise ValidationError(_non_editable(submission))
    stored = Evidence.objects.get(pk=evidence.pk, submission=submission)
    name = stored.file.name
    storage = stored.file.storage
    stored.delete()
    results_changed(submission.compact_id)
    # Remove the file only once the row is gone for good.
    transaction.on_commit(lambda: storage.delete(name) if name else None)


# -- narrative and annual report -------------------------------------------------------------------------
@transaction.atomic
def save_narrative(
    *,
    user: User,
    compact: Compact,
    year: int,
    kind: str,
    text: str,
    objective: Objective | None = None,
    organisation: Organisation | None = None,
    version: int | None = None,
    is_demo: bool = False,
) -> NarrativeSection | None:
    """Write (or, with an empty text, delete) one narrative section of the annual report for
    ``organisation`` (default: the user's). Returns the section, or None when it was deleted.

    Reporting organisations (REPORT_RESULTS) and reviewers (REVIEW_RESULTS) write in their own
    organisation's name; programme officers and site administrators may write for any participating
    organisation."""
    compact = Compact.objects.select_for_update().get(pk=compact.pk)
    access = require(user, compact, Capability.VIEW)
    if not (access.can(Capability.REPORT_RESULTS) or access.can(Capability.REVIEW_RESULTS)):
        raise PermissionDenied
    if organisation is None:
        organisation = user.organisation
    errors = Errors()
    if organisation is None:
        errors.add("organisation", _("Choose the organisation this section is written for."))
    elif organisation.pk != user.organisation_id and not _acts_for_any_organisation(access):
        raise PermissionDenied(_("You may write only in your own organisation's name."))
    elif not Participation.objects.filter(compact=compact, organisation=organisation).exists():
        errors.add(
            "organisation",
            _("%(organisation)s does not take part in this compact.") % {"organisation": organisation},
        )
    if kind not in NarrativeSection.Kind.values:
        errors.add("kind", _("Choose a section of the annual report."))
    elif kind == NarrativeSection.Kind.PROGRESS:
        if objective is None:
            errors.add("objective", _("Say which objective this progress concerns."))
        elif objective.compact_id != compact.pk:
            errors.add("objective", _("This objective belongs to another compact."))
    elif objective is not None:
        errors.add("objective", _("Only the progress sections concern one objective."))
    term = _term_years(compact)
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors.add("year", _("Give the year of the report."))
    else:
        if term is None or not term[0] <= year <= term[1]:
            errors.add(
                "year",
                _("%(year)s is outside the term of the compact (%(first)s–%(last)s).")
                % {"year": year, "first": term[0] if term else "?", "last": term[1] if term else "?"},
            )
    if not isinstance(text, str):
        errors.add("text", _("The text must be text."))
    errors.raise_if_any()
    assert organisation is not None
    section = (
        NarrativeSection.objects.select_for_update()
        .order_by()
        .filter(compact=compact, year=year, organisation=organisation, kind=kind, objective=objective)
        .first()
    )
    if section is not None:
        _check_version(section.version, version, _stale_narrative())
    text = text.strip()
    if not text:
        if section is not None:
            section.delete()
            results_changed(compact)
        return None
    if section is None:
        section = NarrativeSection(
            compact=compact,
            year=year,
            organisation=organisation,
            kind=kind,
            objective=objective,
            is_demo=is_demo,
        )
    else:
        section.version += 1
    section.text = text
    section.author = user
    section.full_clean(exclude=["compact", "organisation", "objective"])
    section.save()
    results_changed(compact)
    return section


@transaction.atomic
def link_report_meeting(
    *, user: User, compact: Compact, year: int, meeting: Meeting | None, notes: str = ""
) -> AnnualReport:
    """Record which annual meeting reviewed the year's report (``meeting`` None unlinks it)."""
    compact = Compact.objects.select_for_update().get(pk=compact.pk)
    require(user, compact, Capability.RECORD_MEETINGS)
    errors = Errors()
    if meeting is not None and meeting.compact_id != compact.pk:
        errors.add("meeting", _("This meeting belongs to another compact."))
    term = _term_years(compact)
    try:
        year = int(year)
    except (TypeError, ValueError):
        errors.add("year", _("Give the year of the report."))
    else:
        if term is None or not term[0] <= year <= term[1]:
            errors.add(
                "year",
                _("%(year)s is outside the term of the compact (%(first)s–%(last)s).")
                % {"year": year, "first": term[0] if term else "?", "last": term[1] if term else "?"},
            )
    errors.raise_if_any()
    report, _created = AnnualReport.objects.get_or_create(compact=compact, year=year)
    report.reviewed_at = meeting
    report.notes = (notes or "").strip()
    report.full_clean(exclude=["compact"])
    report.save()
    results_changed(compact)
    return report
