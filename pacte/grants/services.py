"""Writes for grants. Web views, the API and the demo loader call these, and only these, to change
funding opportunities, applications, reviews, awards, budgets, transactions and emergency requests.

Each public function is one transaction (``@writes``, which also gives the grants version a new
token): it checks the user's capability (``permissions.py``; ``PermissionDenied``), locks the rows
whose sums it checks, validates everything (model ``full_clean()`` plus the rules below) and then
saves, or saves nothing and raises one ``ValidationError`` whose messages are keyed by field
(``__all__`` for the record as a whole), in the user's language.

Locks (``select_for_update``), so that two concurrent writes cannot together break a ceiling:

* awards: the compact row (its US ceiling), then the opportunity row (its ceiling), then the award;
* budgets and transactions: the award row (commitments never exceed the award amount);
* applications, reviews, emergency requests: the row that changes state.

Optimistic concurrency: ``update_application`` and ``update_award`` take the ``version`` the caller
read; when the stored version differs the save is refused (``{"version": [...]}``), never silently
overwritten. Every successful change of those records increments the version.

Rules (besides each model's ``clean()``):

* opportunity: drafts may be incomplete; publishing needs merit criteria adding up to 100 and a
  deadline in the future; criteria cannot change once a reviewer has scored; objectives belong to the
  opportunity's compact; the ceiling cannot drop below an award already made under it;
* application: one per organisation and opportunity; total budget ≤ the opportunity's ceiling; budget
  line objectives among the opportunity's (or, without any, the compact's); submitting needs the
  opportunity published and open (``timezone.now() <= deadline``), an active organisation of an
  eligible kind (``eligible_org_types``, matched against ``org_type`` and ``partner_kind``) with a
  registration number when ``registration_required``;
* review: only reviewers assigned to the opportunity; a declaration (conflict or none) before any
  score; no score after declaring a conflict; a declaration cannot change once the reviewer scored;
* award: amount ≤ the opportunity's ceiling; under a compact, the awards that are not cancelled
  (status "5") add up to at most the compact's US ceiling (``Commitment`` of kind "ceiling", USD);
  objectives, activities and indicators of the award's compact only; sectors are active DAC 5-digit
  codes whose percentages add up to 100; references are letters, digits and "-";
* budget: within the award period, at most a year (model), no overlap with another budget of the same
  kind of the same award;
* transaction: ``amount_usd`` from ``models.to_usd``; not before the award starts; disbursements and
  expenditures not in the future; commitments (USD) never above the award amount; the implementing
  partner's people record expenditures only;
* emergency request: decision due 10 days after receipt; approving creates the award (programme type
  emergency assistance, amount ≤ requested) with the rules of ``make_award``; refusing needs a note;
  a request is decided once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models as dj_models
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pacte.compacts.models import Activity, Commitment, Compact, Objective

from . import permissions
from .models import (
    Application,
    ApplicationBudgetLine,
    ApplicationDocument,
    Award,
    Budget,
    ConflictDeclaration,
    EmergencyRequest,
    FundingOpportunity,
    GrantsState,
    MeritCriterion,
    ProgrammeType,
    ReviewerAssignment,
    Score,
    SectorShare,
    Transaction,
    to_usd,
)
from .sectors import is_dac_sector, is_withdrawn_sector

if TYPE_CHECKING:
    from pacte.accounts.models import Organisation, User
    from pacte.results.models import IndicatorDefinition

_F = TypeVar("_F", bound=Callable[..., Any])

HUNDRED = Decimal(100)
ZERO = Decimal(0)
REFERENCE_RE = re.compile(r"^[A-Za-z0-9-]+$")

OPPORTUNITY_FIELDS = (
    "title",
    "reference",
    "programme_type",
    "compact",
    "description",
    "ceiling",
    "eligible_org_types",
    "registration_required",
    "eligibility_notes",
    "opens_on",
    "deadline",
)
AWARD_FIELDS = (
    "reference",
    "title",
    "description",
    "instrument",
    "programme_type",
    "start_date",
    "end_date",
    "amount",
    "justification",
    "decided_on",
    "recipient_country",
    "status",
)
EMERGENCY_FIELDS = ("country", "title", "need", "amount_requested", "received_on")

OppStatus = FundingOpportunity.Status
AppStatus = Application.Status


# -- inputs ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriterionInput:
    name: str
    weight: Decimal
    description: str = ""


@dataclass(frozen=True)
class BudgetLineInput:
    year: int
    amount: Decimal
    objective: Objective | None = None
    description: str = ""


@dataclass(frozen=True)
class ScoreInput:
    score: Decimal
    comment: str = ""


@dataclass(frozen=True)
class SectorInput:
    code: str
    percentage: Decimal


# -- helpers --------------------------------------------------------------------------------------------
class Errors:
    """Collects field-level messages; ``raise_if_any`` raises them all at once."""

    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        bucket = self.messages.setdefault(field, [])
        if message not in bucket:
            bucket.append(message)

    def extend(self, exc: ValidationError, *, prefix: str = "") -> None:
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add(field if not prefix or field != NON_FIELD_ERRORS else prefix, message)
        else:
            for message in exc.messages:
                self.add(prefix or NON_FIELD_ERRORS, message)

    def has(self, field: str) -> bool:
        return field in self.messages

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def _full_clean(record: dj_models.Model, errors: Errors, *, exclude: Iterable[str] = ()) -> None:
    try:
        record.full_clean(exclude=list(exclude) or None)
    except ValidationError as exc:
        errors.extend(exc)


def _check_version(stored: int, given: int | None, message: str) -> None:
    if given is not None and int(given) != stored:
        raise ValidationError({"version": [message]})


def _stale(what: str) -> str:
    return _(
        "Someone else saved this %(record)s since you opened it: reload the page to see their changes, "
        "then make yours again."
    ) % {"record": what}


def _money(amount: Decimal | None) -> str:
    if amount is None:
        return "–"
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} USD"


def _date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return str(formats.date_format(value, "DATETIME_FORMAT"))
    return str(formats.date_format(value, "DATE_FORMAT"))


def _decimal_or_none(raw: object) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _check_reference(reference: object, errors: Errors) -> None:
    if isinstance(reference, str) and reference and not REFERENCE_RE.match(reference):
        errors.add("reference", _("Use letters, digits and - only (no spaces)."))


def _assign(record: dj_models.Model, data: Mapping[str, Any], allowed: Sequence[str], service: str) -> None:
    unexpected = set(data) - set(allowed)
    if unexpected:
        raise TypeError(f"{service} does not take {', '.join(sorted(unexpected))}.")
    for name, value in data.items():
        setattr(record, name, value)


def _organisation_of(user: User) -> Organisation:
    organisation = user.organisation if user.is_authenticated else None
    if organisation is None or not user.is_active or not organisation.is_active:
        raise PermissionDenied(_("Only the people of an active organisation may do this."))
    return organisation


def _lock_row(model: type[dj_models.Model], pk: int) -> None:
    """Lock one row (``SELECT … FOR UPDATE``) until the end of the transaction."""
    list(model._default_manager.select_for_update(of=("self",)).filter(pk=pk).values_list("pk", flat=True))


def _lock_opportunity(opportunity: FundingOpportunity) -> FundingOpportunity:
    return FundingOpportunity.objects.select_for_update(of=("self",)).get(pk=opportunity.pk)


def _lock_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("opportunity", "organisation")
        .get(pk=application.pk)
    )


def _lock_award(award: Award) -> Award:
    return Award.objects.select_for_update(of=("self",)).select_related("compact").get(pk=award.pk)


def _sync(original: dj_models.Model, fresh: dj_models.Model) -> None:
    """Copy the saved state onto the caller's instance (it may be displayed after the call)."""
    for field in fresh._meta.concrete_fields:
        setattr(original, field.attname, getattr(fresh, field.attname))


# -- opportunities ----------------------------------------------------------------------------------------
def _check_objectives_of_compact(
    compact_id: int | None, objectives: Sequence[Objective], errors: Errors, field: str = "objectives"
) -> None:
    for objective in objectives:
        if compact_id is None or objective.compact_id != compact_id:
            errors.add(
                field,
                _("“%(objective)s” is not an objective of this compact.") % {"objective": objective},
            )


def _check_criteria(criteria: Sequence[CriterionInput], errors: Errors) -> None:
    names: set[str] = set()
    for criterion in criteria:
        name = (criterion.name or "").strip()
        weight = _decimal_or_none(criterion.weight)
        if not name:
            errors.add("criteria", _("Give each criterion a name."))
        elif name.casefold() in names:
            errors.add("criteria", _("Two criteria are named “%(name)s”.") % {"name": name})
        names.add(name.casefold())
        if weight is None or weight <= 0 or weight > HUNDRED:
            errors.add(
                "criteria",
                _("The weight of “%(name)s” must be a number above 0 and at most 100.") % {"name": name},
            )
        elif weight != weight.quantize(Decimal("0.01")):
            errors.add("criteria", _("The weight of “%(name)s” has more than two decimals.") % {"name": name})


def _criteria_total(weights: Iterable[Decimal]) -> Decimal:
    return sum((Decimal(w) for w in weights), ZERO)


def _check_criteria_total(total: Decimal, count: int, errors: Errors) -> None:
    if count == 0:
        errors.add("criteria", _("Give at least one merit criterion."))
    elif total != HUNDRED:
        errors.add(
            "criteria",
            _("The weights of the merit criteria add up to %(total)s, not 100.") % {"total": total},
        )


def _save_criteria(opportunity: FundingOpportunity, criteria: Sequence[CriterionInput]) -> None:
    MeritCriterion.objects.filter(opportunity=opportunity).delete()
    MeritCriterion.objects.bulk_create(
        [
            MeritCriterion(
                opportunity=opportunity,
                name=c.name.strip(),
                weight=Decimal(c.weight),
                description=c.description or "",
                order=order,
            )
            for order, c in enumerate(criteria)
        ]
    )


def _validate_opportunity(
    opportunity: FundingOpportunity,
    objectives: Sequence[Objective] | None,
    criteria: Sequence[CriterionInput] | None,
    errors: Errors,
) -> None:
    _full_clean(opportunity, errors)
    _check_reference(opportunity.reference, errors)
    if objectives is not None:
        _check_objectives_of_compact(opportunity.compact_id, objectives, errors)
    if criteria is not None:
        _check_criteria(criteria, errors)


def grants_changed() -> None:
    """What the portfolio shows may have changed: give ``GrantsState`` a new random token (in the
    caller's transaction: rolled back with it). Every service below calls it through ``writes``; a
    write made outside them (bench data, the admin site) calls it too."""
    token, now = uuid.uuid4().hex, timezone.now()
    if not GrantsState.objects.filter(pk=1).update(token=token, changed_at=now):
        with transaction.atomic():  # a savepoint: a concurrent first write may create it first
            GrantsState.objects.get_or_create(pk=1, defaults={"token": token, "changed_at": now})


def writes(service: _F) -> _F:
    """A writing service: one transaction, and the grants version changes with it when it succeeds."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            result = service(*args, **kwargs)
            grants_changed()
            return result

    return wrapper  # type: ignore[return-value]


@writes
def create_opportunity(
    *,
    user: User,
    data: dict,
    objectives: Iterable[Objective] = (),
    criteria: Sequence[CriterionInput] = (),
) -> FundingOpportunity:
    """A draft opportunity. ``data`` holds ``OPPORTUNITY_FIELDS`` (``compact``: a Compact or None)."""
    permissions.require_grants_officer(user)
    opportunity = FundingOpportunity(status=OppStatus.DRAFT, created_by=user)
    _assign(opportunity, data, OPPORTUNITY_FIELDS, "create_opportunity")
    objectives, criteria = list(objectives), list(criteria)
    errors = Errors()
    _validate_opportunity(opportunity, objectives, criteria, errors)
    errors.raise_if_any()
    opportunity.save()
    opportunity.objectives.set(objectives)
    _save_criteria(opportunity, criteria)
    return opportunity


@writes
def update_opportunity(
    *,
    user: User,
    opportunity: FundingOpportunity,
    data: dict,
    objectives: Iterable[Objective] | None = None,
    criteria: Sequence[CriterionInput] | None = None,
) -> FundingOpportunity:
    """Change a draft or published opportunity; ``objectives``/``criteria`` None keep the current ones."""
    permissions.require_grants_officer(user)
    original = opportunity
    opportunity = _lock_opportunity(opportunity)
    if opportunity.status not in (OppStatus.DRAFT, OppStatus.PUBLISHED):
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("A closed, awarded or cancelled opportunity can no longer be changed.")]}
        )
    previous_compact = opportunity.compact_id
    _assign(opportunity, data, OPPORTUNITY_FIELDS, "update_opportunity")
    objective_list = list(objectives) if objectives is not None else None
    criteria_list = list(criteria) if criteria is not None else None
    errors = Errors()
    if objective_list is None and opportunity.compact_id != previous_compact:
        objective_list = [o for o in opportunity.objectives.all() if o.compact_id == opportunity.compact_id]
    _validate_opportunity(opportunity, objective_list, criteria_list, errors)
    if opportunity.compact_id != previous_compact and opportunity.applications.exists():
        errors.add("compact", _("Organisations have applied: the compact can no longer change."))
    if criteria_list is not None:
        if Score.objects.filter(criterion__opportunity=opportunity).exists():
            errors.add("criteria", _("Reviewers have already scored: the criteria can no longer change."))
        elif opportunity.status != OppStatus.DRAFT:
            _check_criteria_total(
                _criteria_total(_decimal_or_none(c.weight) or ZERO for c in criteria_list),
                len(criteria_list),
                errors,
            )
    if (
        opportunity.status == OppStatus.PUBLISHED
        and not errors.has("deadline")
        and opportunity.deadline
        and opportunity.deadline <= timezone.now()
    ):
        errors.add("deadline", _("The deadline of a published opportunity must be in the future."))
    if not errors.has("ceiling") and opportunity.ceiling is not None:
        largest = opportunity.awards.exclude(status=Award.Status.CANCELLED).order_by("-amount").first()
        if largest is not None and largest.amount > Decimal(opportunity.ceiling):
            errors.add(
                "ceiling",
                _("An award of %(amount)s was made under this opportunity: the ceiling cannot be lower.")
                % {"amount": _money(largest.amount)},
            )
    errors.raise_if_any()
    opportunity.save()
    if objective_list is not None:
        opportunity.objectives.set(objective_list)
    if criteria_list is not None:
        _save_criteria(opportunity, criteria_list)
    _sync(original, opportunity)
    return original


@writes
def publish_opportunity(*, user: User, opportunity: FundingOpportunity) -> FundingOpportunity:
    """draft → published: criteria adding up to 100, a deadline in the future."""
    permissions.require_grants_officer(user)
    original = opportunity
    opportunity = _lock_opportunity(opportunity)
    if opportunity.status != OppStatus.DRAFT:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only a draft opportunity can be published.")]})
    errors = Errors()
    _full_clean(opportunity, errors)
    weights = list(opportunity.criteria.values_list("weight", flat=True))
    _check_criteria_total(_criteria_total(weights), len(weights), errors)
    if opportunity.deadline <= timezone.now():
        errors.add(
            "deadline",
            _("The deadline (%(date)s) has passed: set a later one before publishing.")
            % {"date": _date(opportunity.deadline)},
        )
    errors.raise_if_any()
    opportunity.status = OppStatus.PUBLISHED
    opportunity.published_at = timezone.now()
    opportunity.save(update_fields=["status", "published_at", "updated_at"])
    _sync(original, opportunity)
    return original


@writes
def close_opportunity(*, user: User, opportunity: FundingOpportunity) -> FundingOpportunity:
    """published → closed: no more applications."""
    permissions.require_grants_officer(user)
    original = opportunity
    opportunity = _lock_opportunity(opportunity)
    if opportunity.status != OppStatus.PUBLISHED:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only a published opportunity can be closed.")]})
    opportunity.status = OppStatus.CLOSED
    opportunity.save(update_fields=["status", "updated_at"])
    _sync(original, opportunity)
    return original


@writes
def cancel_opportunity(*, user: User, opportunity: FundingOpportunity, reason: str) -> FundingOpportunity:
    """draft, published or closed → cancelled, with a reason."""
    permissions.require_grants_officer(user)
    original = opportunity
    opportunity = _lock_opportunity(opportunity)
    errors = Errors()
    if opportunity.status in (OppStatus.AWARDED, OppStatus.CANCELLED):
        errors.add(NON_FIELD_ERRORS, _("An awarded or cancelled opportunity cannot be cancelled."))
    elif opportunity.awards.exclude(status=Award.Status.CANCELLED).exists():
        errors.add(NON_FIELD_ERRORS, _("Awards were made under this opportunity: cancel them first."))
    if not (reason or "").strip():
        errors.add("reason", _("Give the reason for the cancellation."))
    errors.raise_if_any()
    opportunity.status = OppStatus.CANCELLED
    opportunity.cancellation_reason = reason.strip()
    opportunity.save(update_fields=["status", "cancellation_reason", "updated_at"])
    _sync(original, opportunity)
    return original


@writes
def assign_reviewer(*, user: User, opportunity: FundingOpportunity, reviewer: User) -> ReviewerAssignment:
    """Make ``reviewer`` (an active person) a reviewer of the opportunity's applications; a person of
    an organisation that applied cannot review."""
    permissions.require_grants_officer(user)
    opportunity = _lock_opportunity(opportunity)
    errors = Errors()
    if opportunity.status in (OppStatus.AWARDED, OppStatus.CANCELLED):
        errors.add(NON_FIELD_ERRORS, _("The review of this opportunity is over."))
    if not reviewer.is_active:
        errors.add("reviewer", _("This person's account is not active."))
    elif (
        reviewer.organisation_id is not None
        and opportunity.applications.filter(organisation_id=reviewer.organisation_id).exists()
    ):
        errors.add(
            "reviewer", _("This person's organisation applied to this opportunity: they cannot review it.")
        )
    if ReviewerAssignment.objects.filter(opportunity=opportunity, reviewer=reviewer).exists():
        errors.add("reviewer", _("This person already reviews this opportunity."))
    errors.raise_if_any()
    return ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=reviewer)


@writes
def remove_reviewer(*, user: User, opportunity: FundingOpportunity, reviewer: User) -> None:
    """Remove a reviewer who has not scored yet (with their declarations on this opportunity)."""
    permissions.require_grants_officer(user)
    opportunity = _lock_opportunity(opportunity)
    assignment = ReviewerAssignment.objects.filter(opportunity=opportunity, reviewer=reviewer).first()
    if assignment is None:
        raise ValidationError({"reviewer": [_("This person does not review this opportunity.")]})
    if Score.objects.filter(application__opportunity=opportunity, reviewer=reviewer).exists():
        raise ValidationError(
            {"reviewer": [_("This reviewer has already scored applications: they cannot be removed.")]}
        )
    ConflictDeclaration.objects.filter(application__opportunity=opportunity, reviewer=reviewer).delete()
    assignment.delete()


@writes
def finish_selection(*, user: User, opportunity: FundingOpportunity) -> FundingOpportunity:
    """End the selection: submitted applications that were not awarded become "not selected" and the
    opportunity "awarded". Needs at least one award and the deadline passed (or the opportunity closed)."""
    permissions.require_grants_officer(user)
    original = opportunity
    opportunity = _lock_opportunity(opportunity)
    errors = Errors()
    if opportunity.status not in (OppStatus.PUBLISHED, OppStatus.CLOSED):
        errors.add(NON_FIELD_ERRORS, _("Only a published or closed opportunity can finish its selection."))
    elif opportunity.status == OppStatus.PUBLISHED and timezone.now() <= opportunity.deadline:
        errors.add(
            NON_FIELD_ERRORS,
            _("Applications are open until %(date)s: close the opportunity first.")
            % {"date": _date(opportunity.deadline)},
        )
    if not opportunity.awards.exclude(status=Award.Status.CANCELLED).exists():
        errors.add(NON_FIELD_ERRORS, _("No award was made: make one, or cancel the opportunity."))
    errors.raise_if_any()
    for application in Application.objects.select_for_update().filter(
        opportunity=opportunity, status=AppStatus.SUBMITTED
    ):
        application.status = AppStatus.NOT_SELECTED
        application.version += 1
        application.save(update_fields=["status", "version", "updated_at"])
    opportunity.status = OppStatus.AWARDED
    opportunity.save(update_fields=["status", "updated_at"])
    _sync(original, opportunity)
    return original


# -- applications ---------------------------------------------------------------------------------------
def _check_budget_lines(
    opportunity: FundingOpportunity, lines: Sequence[BudgetLineInput], errors: Errors
) -> Decimal:
    """Validate the lines; returns their total (the valid amounts)."""
    allowed = {o.pk for o in opportunity.objectives.all()}
    if not allowed and opportunity.compact_id:
        allowed = set(
            Objective.objects.filter(compact_id=opportunity.compact_id).values_list("pk", flat=True)
        )
    total = ZERO
    for line in lines:
        amount = _decimal_or_none(line.amount)
        if amount is None or amount <= 0:
            errors.add("budget_lines", _("%(year)s: the amount must be above zero.") % {"year": line.year})
        else:
            total += amount
        if line.objective is not None and line.objective.pk not in allowed:
            errors.add(
                "budget_lines",
                _("“%(objective)s” is not an objective of this opportunity.") % {"objective": line.objective},
            )
    return total


def _check_total_within_ceiling(opportunity: FundingOpportunity, total: Decimal, errors: Errors) -> None:
    if total > opportunity.ceiling:
        errors.add(
            "budget_lines",
            _("The budget (%(total)s) exceeds the opportunity's ceiling of %(ceiling)s.")
            % {"total": _money(total), "ceiling": _money(opportunity.ceiling)},
        )


def _build_lines(application: Application, lines: Sequence[BudgetLineInput], errors: Errors) -> list:
    built = []
    for line in lines:
        record = ApplicationBudgetLine(
            application=application,
            year=line.year,
            amount=line.amount,
            objective=line.objective,
            description=line.description or "",
        )
        line_errors = Errors()
        _full_clean(record, line_errors, exclude=["application"])
        for field, messages in line_errors.messages.items():
            for message in messages:
                label = "" if field == NON_FIELD_ERRORS else f"{field}: "
                errors.add("budget_lines", f"{line.year}: {label}{message}")
        built.append(record)
    return built


@writes
def create_application(
    *,
    user: User,
    opportunity: FundingOpportunity,
    title: str,
    narrative: str,
    budget_lines: Sequence[BudgetLineInput],
) -> Application:
    """A draft application of the user's organisation to a published, open opportunity."""
    organisation = _organisation_of(user)
    permissions.require(permissions.can_view_opportunity(user, opportunity))
    opportunity = FundingOpportunity.objects.get(pk=opportunity.pk)
    errors = Errors()
    if opportunity.status != OppStatus.PUBLISHED:
        errors.add(NON_FIELD_ERRORS, _("This opportunity does not take applications."))
    elif timezone.now() > opportunity.deadline:
        errors.add(
            NON_FIELD_ERRORS,
            _("The deadline for applications (%(date)s) has passed.") % {"date": _date(opportunity.deadline)},
        )
    if Application.objects.filter(opportunity=opportunity, organisation=organisation).exists():
        errors.add(NON_FIELD_ERRORS, _("Your organisation has already applied to this opportunity."))
    application = Application(
        opportunity=opportunity,
        organisation=organisation,
        title=(title or "").strip(),
        narrative=(narrative or "").strip(),
        status=AppStatus.DRAFT,
        created_by=user,
    )
    _full_clean(application, errors)
    lines = list(budget_lines)
    total = _check_budget_lines(opportunity, lines, errors)
    built = _build_lines(application, lines, errors)
    _check_total_within_ceiling(opportunity, total, errors)
    errors.raise_if_any()
    application.save()
    for record in built:
        record.application = application
    ApplicationBudgetLine.objects.bulk_create(built)
    return application


@writes
def update_application(
    *,
    user: User,
    application: Application,
    title: str,
    narrative: str,
    budget_lines: Sequence[BudgetLineInput],
    version: int | None = None,
) -> Application:
    """Change a draft (the applying organisation's people); the budget lines replace the current ones."""
    original = application
    application = _lock_application(application)
    permissions.require(permissions.can_edit_application(user, application))
    _check_version(application.version, version, _stale(_("application")))
    application.title = (title or "").strip()
    application.narrative = (narrative or "").strip()
    errors = Errors()
    _full_clean(application, errors)
    lines = list(budget_lines)
    total = _check_budget_lines(application.opportunity, lines, errors)
    built = _build_lines(application, lines, errors)
    _check_total_within_ceiling(application.opportunity, total, errors)
    errors.raise_if_any()
    application.version += 1
    application.save()
    ApplicationBudgetLine.objects.filter(application=application).delete()
    ApplicationBudgetLine.objects.bulk_create(built)
    _sync(original, application)
    return original


@writes
def add_application_document(
    *, user: User, application: Application, title: str, file: Any
) -> ApplicationDocument:
    """Attach a document to a draft (allowed file types and size: the model's validators)."""
    application = _lock_application(application)
    permissions.require(permissions.can_edit_application(user, application))
    document = ApplicationDocument(
        application=application, title=(title or "").strip(), file=file, uploaded_by=user
    )
    errors = Errors()
    _full_clean(document, errors)
    errors.raise_if_any()
    document.save()
    return document


def eligibility_errors(application: Application, *, now: dt.datetime | None = None) -> Errors:
    """Why ``application`` may not be submitted now (empty when it may)."""
    now = now or timezone.now()
    opportunity, organisation = application.opportunity, application.organisation
    errors = Errors()
    if opportunity.status != OppStatus.PUBLISHED:
        errors.add(NON_FIELD_ERRORS, _("This opportunity does not take applications."))
    elif now > opportunity.deadline:
        errors.add(
            NON_FIELD_ERRORS,
            _("The deadline for applications (%(date)s) has passed.") % {"date": _date(opportunity.deadline)},
        )
    if not organisation.is_active:
        errors.add("organisation", _("Your organisation is not active."))
    kinds = [str(k) for k in opportunity.eligible_org_types or []]
    if kinds and organisation.org_type not in kinds and organisation.partner_kind not in kinds:
        errors.add(
            "organisation",
            _("This opportunity is open to %(kinds)s only: %(organisation)s is not eligible.")
            % {"kinds": ", ".join(_kind_label(k) for k in kinds), "organisation": organisation},
        )
    if opportunity.registration_required and not (organisation.registration_number or "").strip():
        errors.add(
            "organisation",
            _(
                "This opportunity requires a legal registration: record your organisation's registration "
                "number first."
            ),
        )
    return errors


def _kind_label(kind: str) -> str:
    from pacte.accounts.models import Organisation

    labels = dict(Organisation.PartnerKind.choices) | dict(Organisation.Type.choices)
    return str(labels.get(kind, kind))


@writes
def submit_application(*, user: User, application: Application) -> Application:
    """draft → submitted, when the opportunity is open and the organisation eligible."""
    original = application
    application = _lock_application(application)
    permissions.require(permissions.can_edit_application(user, application))
    errors = eligibility_errors(application)
    _full_clean(application, errors)
    lines = list(application.budget_lines.all())
    if not lines:
        errors.add("budget_lines", _("Give the budget before submitting."))
    _check_total_within_ceiling(application.opportunity, sum((line.amount for line in lines), ZERO), errors)
    errors.raise_if_any()
    application.status = AppStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.version += 1
    application.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    _sync(original, application)
    return original


@writes
def withdraw_application(*, user: User, application: Application) -> Application:
    """draft or submitted → withdrawn (the applying organisation's people)."""
    original = application
    application = _lock_application(application)
    if not permissions._own_organisation(user, application.organisation_id):
        raise PermissionDenied
    if application.status not in (AppStatus.DRAFT, AppStatus.SUBMITTED):
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Only a draft or a submitted application can be withdrawn.")]}
        )
    application.status = AppStatus.WITHDRAWN
    application.version += 1
    application.save(update_fields=["status", "version", "updated_at"])
    _sync(original, application)
    return original


@writes
def refuse_application(*, user: User, application: Application, reason: str) -> Application:
    """submitted → refused (late or ineligible), with the reason (grants officers)."""
    permissions.require_grants_officer(user)
    original = application
    application = _lock_application(application)
    errors = Errors()
    if application.status != AppStatus.SUBMITTED:
        errors.add(NON_FIELD_ERRORS, _("Only a submitted application can be refused."))
    if not (reason or "").strip():
        errors.add("reason", _("Give the reason for the refusal."))
    errors.raise_if_any()
    application.status = AppStatus.REFUSED
    application.refusal_reason = reason.strip()
    application.version += 1
    application.save(update_fields=["status", "refusal_reason", "version", "updated_at"])
    _sync(original, application)
    return original


# -- review ---------------------------------------------------------------------------------------------
def _require_reviewer(user: User, application: Application) -> None:
    if not permissions.is_reviewer(user, application.opportunity):
        raise PermissionDenied(_("Only the reviewers assigned to this opportunity may do this."))


def _check_under_review(application: Application) -> None:
    if application.status != AppStatus.SUBMITTED or application.opportunity.status not in (
        OppStatus.PUBLISHED,
        OppStatus.CLOSED,
    ):
        raise ValidationError({NON_FIELD_ERRORS: [_("This application is not under review.")]})


@writes
def declare_conflict(
    *, user: User, application: Application, has_conflict: bool, statement: str = ""
) -> ConflictDeclaration:
    """The reviewer's declaration on one application (a conflict of interest, or none). It can change
    until the reviewer scores the application."""
    application = _lock_application(application)
    _require_reviewer(user, application)
    _check_under_review(application)
    declaration = ConflictDeclaration.objects.filter(application=application, reviewer=user).first()
    if declaration is not None and Score.objects.filter(application=application, reviewer=user).exists():
        raise ValidationError(
            {"has_conflict": [_("You have already scored this application: your declaration cannot change.")]}
        )
    if declaration is None:
        declaration = ConflictDeclaration(application=application, reviewer=user)
    declaration.has_conflict = bool(has_conflict)
    declaration.statement = (statement or "").strip()
    errors = Errors()
    _full_clean(declaration, errors, exclude=["application", "reviewer"])
    errors.raise_if_any()
    declaration.save()
    return declaration


@writes
def score_application(
    *, user: User, application: Application, scores: Mapping[int, ScoreInput]
) -> list[Score]:
    """Score criteria of the application (criterion id → score 0–100), creating or replacing the
    reviewer's scores of those criteria. Needs a declaration of no conflict of interest."""
    application = _lock_application(application)
    _require_reviewer(user, application)
    _check_under_review(application)
    declaration = ConflictDeclaration.objects.filter(application=application, reviewer=user).first()
    if declaration is None:
        raise ValidationError(
            {
                "has_conflict": [
                    _("Declare whether you have a conflict of interest with this application before scoring.")
                ]
            }
        )
    if declaration.has_conflict:
        raise ValidationError(
            {
                "has_conflict": [
                    _("You declared a conflict of interest with this application: you may not score it.")
                ]
            }
        )
    criteria = {c.pk: c for c in application.opportunity.criteria.all()}
    existing = {s.criterion_id: s for s in Score.objects.filter(application=application, reviewer=user)}
    errors = Errors()
    if not scores:
        errors.add("scores", _("Give at least one score."))
    records: list[Score] = []
    for raw_id, given in scores.items():
        try:
            criterion = criteria.get(int(raw_id))
        except (TypeError, ValueError):
            criterion = None
        if criterion is None:
            errors.add(
                "scores", _("“%(criterion)s” is not a criterion of this opportunity.") % {"criterion": raw_id}
            )
            continue
        value = _decimal_or_none(given.score)
        if value is None or not ZERO <= value <= HUNDRED:
            errors.add(
                "scores",
                _("%(criterion)s: the score is a number from 0 to 100.") % {"criterion": criterion.name},
            )
            continue
        record = existing.get(criterion.pk) or Score(
            application=application, criterion=criterion, reviewer=user
        )
        record.score = value
        record.comment = (given.comment or "").strip()
        score_errors = Errors()
        _full_clean(record, score_errors, exclude=["application", "criterion", "reviewer"])
        for messages in score_errors.messages.values():
            for message in messages:
                errors.add("scores", f"{criterion.name}: {message}")
        records.append(record)
    errors.raise_if_any()
    for record in records:
        record.save()
    return records


# -- awards ---------------------------------------------------------------------------------------------
def _lock_compact_ceiling(compact_id: int) -> Commitment | None:
    """Lock the compact row (serialises every award under it) and return its US ceiling."""
    _lock_row(Compact, compact_id)
    return Commitment.objects.filter(compact_id=compact_id, kind=Commitment.Kind.CEILING).first()


def _check_compact_ceiling(award: Award, errors: Errors) -> None:
    """Locks the compact, then checks the awards under it (not cancelled) against its US ceiling."""
    if award.compact_id is None or award.status == Award.Status.CANCELLED or errors.has("amount"):
        return
    ceiling = _lock_compact_ceiling(award.compact_id)
    if ceiling is None or ceiling.amount is None:
        errors.add(
            "amount",
            _("No United States ceiling is recorded for this compact: record it before making awards."),
        )
        return
    if ceiling.currency != "USD":
        errors.add("amount", _("The compact's United States ceiling is not in US dollars."))
        return
    others = Award.objects.filter(compact_id=award.compact_id).exclude(status=Award.Status.CANCELLED)
    if award.pk:
        others = others.exclude(pk=award.pk)
    awarded = others.aggregate(total=Sum("amount"))["total"] or ZERO
    remaining = ceiling.amount - awarded
    if Decimal(award.amount) > remaining:
        errors.add(
            "amount",
            _(
                "This award would exceed the compact's United States ceiling of %(ceiling)s: "
                "%(awarded)s is already awarded, %(remaining)s remains."
            )
            % {
                "ceiling": _money(ceiling.amount),
                "awarded": _money(awarded),
                "remaining": _money(max(remaining, ZERO)),
            },
        )


def _check_opportunity_ceiling(award: Award, errors: Errors) -> None:
    if award.opportunity_id is None or errors.has("amount"):
        return
    opportunity = FundingOpportunity.objects.select_for_update(of=("self",)).get(pk=award.opportunity_id)
    if Decimal(award.amount) > opportunity.ceiling:
        errors.add(
            "amount",
            _("The amount exceeds the opportunity's ceiling of %(ceiling)s.")
            % {"ceiling": _money(opportunity.ceiling)},
        )


def _check_links(
    compact_id: int | None,
    objectives: Sequence[Objective] | None,
    activities: Sequence[Activity] | None,
    indicators: Sequence[IndicatorDefinition] | None,
    errors: Errors,
) -> None:
    if objectives is not None:
        _check_objectives_of_compact(compact_id, objectives, errors)
    for activity in activities or ():
        if compact_id is None or activity.objective.compact_id != compact_id:
            errors.add(
                "activities", _("“%(activity)s” is not an activity of this compact.") % {"activity": activity}
            )
    for indicator in indicators or ():
        if compact_id is None or indicator.compact_id != compact_id:
            errors.add(
                "indicators",
                _("“%(indicator)s” is not an indicator of this compact.") % {"indicator": indicator},
            )


def _check_sectors(sectors: Sequence[SectorInput], errors: Errors) -> list[SectorInput]:
    cleaned: list[SectorInput] = []
    seen: set[str] = set()
    total = ZERO
    for share in sectors:
        code = str(share.code or "").strip()
        percentage = _decimal_or_none(share.percentage)
        if is_withdrawn_sector(code):
            errors.add("sectors", _("%(code)s was withdrawn from the DAC sector list.") % {"code": code})
        elif not is_dac_sector(code):
            errors.add("sectors", _("“%(code)s” is not a DAC 5-digit sector code.") % {"code": code})
        if code in seen:
            errors.add("sectors", _("%(code)s is given twice.") % {"code": code})
        seen.add(code)
        if percentage is None or percentage <= 0 or percentage > HUNDRED:
            errors.add(
                "sectors", _("%(code)s: the percentage must be above 0 and at most 100.") % {"code": code}
            )
            continue
        if percentage != percentage.quantize(Decimal("0.01")):
            errors.add(
                "sectors", _("%(code)s: give the percentage with two decimals at most.") % {"code": code}
            )
            continue
        total += percentage
        cleaned.append(SectorInput(code=code, percentage=percentage))
    if sectors and not errors.has("sectors") and total != HUNDRED:
        errors.add("sectors", _("The sector percentages add up to %(total)s, not 100.") % {"total": total})
    return cleaned


def _save_links(
    award: Award,
    objectives: Sequence[Objective] | None,
    activities: Sequence[Activity] | None,
    indicators: Sequence[IndicatorDefinition] | None,
    sectors: Sequence[SectorInput] | None,
) -> None:
    if objectives is not None:
        award.objectives.set(objectives)
    if activities is not None:
        award.activities.set(activities)
    if indicators is not None:
        award.indicators.set(indicators)
    if sectors is not None:
        SectorShare.objects.filter(award=award).delete()
        SectorShare.objects.bulk_create(
            [SectorShare(award=award, code=s.code, percentage=s.percentage) for s in sectors]
        )


def _as_list(items: Iterable[Any] | None) -> list[Any] | None:
    return None if items is None else list(items)


@writes
def make_award(
    *,
    user: User,
    data: dict,
    application: Application | None = None,
    opportunity: FundingOpportunity | None = None,
    organisation: Organisation | None = None,
    compact: Compact | None = None,
    objectives: Iterable[Objective] = (),
    activities: Iterable[Activity] = (),
    indicators: Iterable[IndicatorDefinition] = (),
    sectors: Sequence[SectorInput] = (),
) -> Award:
    """Decide an award (grants officers).

    ``data`` holds ``AWARD_FIELDS``. From an application, the opportunity, organisation, compact and
    programme type come from it and the application becomes "awarded"; from an opportunity alone, its
    compact and programme type; otherwise ``compact`` (programme type Child Protection Compact) or
    ``data["programme_type"]``.
    """
    permissions.require_grants_officer(user)
    errors = Errors()
    # Lock order, the same in every service: compact, opportunity, application, award.
    source = opportunity
    if application is not None:
        source = Application.objects.select_related("opportunity").get(pk=application.pk).opportunity
    source_compact = (
        source.compact_id if source is not None else (compact.pk if compact is not None else None)
    )
    if source_compact is not None:
        _lock_compact_ceiling(source_compact)
    if source is not None:
        _lock_opportunity(source)
    if application is not None:
        application = _lock_application(application)
        if opportunity is not None and opportunity.pk != application.opportunity_id:
            errors.add("opportunity", _("The application was made to another opportunity."))
        if organisation is not None and organisation.pk != application.organisation_id:
            errors.add("organisation", _("The application was made by another organisation."))
        opportunity = application.opportunity
        organisation = application.organisation
        if application.status != AppStatus.SUBMITTED:
            errors.add("application", _("Only a submitted application can be awarded."))
        elif Award.objects.filter(application=application).exists():
            errors.add("application", _("This application has already been awarded."))
    if opportunity is not None:
        opportunity = FundingOpportunity.objects.get(pk=opportunity.pk)
        if compact is not None and compact.pk != opportunity.compact_id:
            errors.add("compact", _("The opportunity funds another compact."))
        compact_id = opportunity.compact_id
        if opportunity.status not in (OppStatus.PUBLISHED, OppStatus.CLOSED):
            errors.add("opportunity", _("Awards are made under a published or closed opportunity only."))
    else:
        compact_id = compact.pk if compact is not None else None
    award = Award(
        opportunity=opportunity,
        application=application,
        compact_id=compact_id,
        organisation=organisation,
        decided_by=user,
        decided_on=timezone.localdate(),
    )
    values = dict(data)
    if opportunity is not None:
        values.pop("programme_type", None)
        award.programme_type = opportunity.programme_type
    elif compact_id is not None:
        values.setdefault("programme_type", ProgrammeType.CHILD_PROTECTION_COMPACT)
    _assign(award, values, AWARD_FIELDS, "make_award")
    if not award.recipient_country:
        if compact_id is not None:
            award.recipient_country = Compact.objects.values_list("country", flat=True).get(pk=compact_id)
        elif organisation is not None and organisation.country:
            award.recipient_country = organisation.country
    return _validate_and_save_award(
        award,
        errors,
        objectives=list(objectives),
        activities=list(activities),
        indicators=list(indicators),
        sectors=list(sectors),
        application=application,
    )


def _validate_and_save_award(
    award: Award,
    errors: Errors,
    *,
    objectives: list[Objective] | None,
    activities: list[Activity] | None,
    indicators: list[IndicatorDefinition] | None,
    sectors: list[SectorInput] | None,
    application: Application | None = None,
) -> Award:
    if award.organisation_id is None:
        errors.add("organisation", _("Choose the implementing partner."))
    _full_clean(award, errors, exclude=["organisation"] if award.organisation_id is None else ())
    _check_reference(award.reference, errors)
    if award.recipient_country:
        from pacte.accounts.models import validate_country_code

        try:
            validate_country_code(award.recipient_country)
        except ValidationError as exc:
            errors.extend(exc, prefix="recipient_country")
    _check_links(award.compact_id, objectives, activities, indicators, errors)
    cleaned_sectors = _check_sectors(sectors, errors) if sectors is not None else None
    if not errors.has("amount") and _decimal_or_none(award.amount) is not None:
        # Lock order: compact, then opportunity (every path takes them in this order).
        _check_compact_ceiling(award, errors)
        _check_opportunity_ceiling(award, errors)
    errors.raise_if_any()
    award.save()
    _save_links(award, objectives, activities, indicators, cleaned_sectors)
    if application is not None:
        application.status = AppStatus.AWARDED
        application.version += 1
        application.save(update_fields=["status", "version", "updated_at"])
    return award


@writes
def update_award(
    *,
    user: User,
    award: Award,
    data: dict,
    objectives: Iterable[Objective] | None = None,
    activities: Iterable[Activity] | None = None,
    indicators: Iterable[IndicatorDefinition] | None = None,
    sectors: Sequence[SectorInput] | None = None,
    version: int | None = None,
) -> Award:
    """Change an award (grants officers): ``data`` holds ``AWARD_FIELDS`` to change (its opportunity,
    application, compact and partner do not change); links given as None are kept. The amount cannot
    fall below the commitments, nor the period leave out a transaction or a budget."""
    permissions.require_grants_officer(user)
    original = award
    # Lock order, the same in every service: compact, opportunity, application, award.
    if award.compact_id is not None:
        _lock_compact_ceiling(award.compact_id)
    if award.opportunity_id is not None:
        _lock_row(FundingOpportunity, award.opportunity_id)
    award = _lock_award(award)
    _check_version(award.version, version, _stale(_("award")))
    values = dict(data)
    if award.opportunity_id is not None or award.compact_id is not None:
        programme = values.get("programme_type")
        if programme is not None and programme != award.programme_type:
            raise ValidationError(
                {"programme_type": [_("The programme type comes from the opportunity or the compact.")]}
            )
    _assign(award, values, AWARD_FIELDS, "update_award")
    errors = Errors()
    money = _award_money(award)
    amount = _decimal_or_none(award.amount)
    if amount is not None and money["committed"] > amount:
        errors.add(
            "amount",
            _("Commitments already total %(committed)s: the amount cannot be lower.")
            % {"committed": _money(money["committed"])},
        )
    if (
        isinstance(award.start_date, dt.date)
        and money["first_date"]
        and money["first_date"] < award.start_date
    ):
        errors.add(
            "start_date",
            _("A transaction is dated %(date)s: the award cannot start later.")
            % {"date": _date(money["first_date"])},
        )
    if isinstance(award.start_date, dt.date) and isinstance(award.end_date, dt.date):
        outside = award.budgets.filter(
            Q(period_start__lt=award.start_date) | Q(period_end__gt=award.end_date)
        )
        if outside.exists():
            errors.add("end_date", _("A budget falls outside this period: change the budget first."))
    award.version += 1
    saved = _validate_and_save_award(
        award,
        errors,
        objectives=_as_list(objectives),
        activities=_as_list(activities),
        indicators=_as_list(indicators),
        sectors=_as_list(sectors),
    )
    _sync(original, saved)
    return original


def _award_money(award: Award) -> dict[str, Any]:
    from django.db.models import Min

    sums = Transaction.objects.filter(award=award).aggregate(
        committed=Sum("amount_usd", filter=Q(kind=Transaction.Kind.COMMITMENT)),
        first_date=Min("date"),
    )
    return {"committed": sums["committed"] or ZERO, "first_date": sums["first_date"]}


# -- money ----------------------------------------------------------------------------------------------
@writes
def set_budget(
    *,
    user: User,
    award: Award,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    currency: str = "USD",
    rate_to_usd: Decimal | None = None,
    kind: str = "1",
    value_date: dt.date | None = None,
    budget: Budget | None = None,
) -> Budget:
    """Create (``budget`` None) or change a budget of the award (grants officers)."""
    permissions.require_grants_officer(user)
    award = _lock_award(award)
    if budget is not None:
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        if budget.award_id != award.pk:
            raise ValidationError({NON_FIELD_ERRORS: [_("This budget belongs to another award.")]})
    else:
        budget = Budget(award=award)
    budget.period_start = period_start
    budget.period_end = period_end
    budget.amount = amount
    budget.currency = (currency or "").strip().upper()
    budget.rate_to_usd = rate_to_usd
    budget.kind = kind
    budget.value_date = value_date or period_start
    errors = Errors()
    _full_clean(budget, errors)
    if not errors.has("period_start") and not errors.has("period_end"):
        if budget.period_start < award.start_date or budget.period_end > award.end_date:
            errors.add(
                "period_start",
                _("The budget period must fall within the award period (%(start)s – %(end)s).")
                % {"start": _date(award.start_date), "end": _date(award.end_date)},
            )
        overlapping = Budget.objects.filter(
            award=award,
            kind=budget.kind,
            period_start__lte=budget.period_end,
            period_end__gte=budget.period_start,
        )
        if budget.pk:
            overlapping = overlapping.exclude(pk=budget.pk)
        other = overlapping.first()
        if other is not None:
            errors.add(
                "period_start",
                _("This period overlaps the %(kind)s budget of %(start)s – %(end)s.")
                % {
                    "kind": str(other.get_kind_display()).lower(),
                    "start": _date(other.period_start),
                    "end": _date(other.period_end),
                },
            )
    errors.raise_if_any()
    budget.save()
    return budget


@writes
def delete_budget(*, user: User, budget: Budget) -> None:
    permissions.require_grants_officer(user)
    _lock_award(budget.award)
    Budget.objects.filter(pk=budget.pk).delete()


@writes
def record_transaction(
    *,
    user: User,
    award: Award,
    kind: str,
    date: dt.date,
    amount: Decimal,
    currency: str = "USD",
    rate_to_usd: Decimal | None = None,
    reference: str = "",
    description: str = "",
) -> Transaction:
    """Record a commitment, disbursement or expenditure. Grants officers record any kind; the
    implementing partner's people their expenditures only."""
    if not permissions.can_record_expenditure(user, award):
        raise PermissionDenied
    if kind != Transaction.Kind.EXPENDITURE and not permissions.is_grants_officer(user):
        raise PermissionDenied(_("You may record expenditures only."))
    award = _lock_award(award)
    record = Transaction(
        award=award,
        kind=kind,
        date=date,
        amount=amount,
        currency=(currency or "").strip().upper(),
        rate_to_usd=rate_to_usd,
        reference=(reference or "").strip(),
        description=(description or "").strip(),
        created_by=user,
    )
    errors = Errors()
    number = _decimal_or_none(amount)
    if number is not None and number <= 0:
        errors.add("amount", _("The amount must be above zero."))
    _full_clean(record, errors, exclude=["amount_usd"])
    if isinstance(record.date, dt.date) and not errors.has("date"):
        if record.date < award.start_date:
            errors.add(
                "date",
                _("%(date)s is before the award starts (%(start)s).")
                % {"date": _date(record.date), "start": _date(award.start_date)},
            )
        if record.kind != Transaction.Kind.COMMITMENT and record.date > timezone.localdate():
            errors.add("date", _("A disbursement or an expenditure cannot be dated in the future."))
    if not errors:
        usd = to_usd(Decimal(record.amount), record.currency, record.rate_to_usd)
        if usd is None:  # pragma: no cover - the model's clean asks for the rate first
            errors.add("rate_to_usd", _("Give the rate used to convert the amount to US dollars."))
        else:
            record.amount_usd = usd
            committed = (
                _award_money(award)["committed"] if record.kind == Transaction.Kind.COMMITMENT else ZERO
            )
            if record.kind == Transaction.Kind.COMMITMENT and committed + usd > award.amount:
                errors.add(
                    "amount",
                    _(
                        "Commitments would total %(total)s, above the award's %(amount)s "
                        "(%(remaining)s remains to commit)."
                    )
                    % {
                        "total": _money(committed + usd),
                        "amount": _money(award.amount),
                        "remaining": _money(max(award.amount - committed, ZERO)),
                    },
                )
    errors.raise_if_any()
    record.save()
    return record


# -- emergency assistance -------------------------------------------------------------------------------
@writes
def request_emergency_assistance(*, user: User, data: dict) -> EmergencyRequest:
    """A request of the user's organisation (``data``: country, title, need, amount_requested and
    optionally received_on, default today). The decision is due 10 days after receipt."""
    organisation = _organisation_of(user)
    request = EmergencyRequest(
        organisation=organisation, created_by=user, status=EmergencyRequest.Status.RECEIVED
    )
    values = dict(data)
    values.setdefault("received_on", timezone.localdate())
    _assign(request, values, EMERGENCY_FIELDS, "request_emergency_assistance")
    if isinstance(request.country, str):
        request.country = request.country.strip().upper()
    errors = Errors()
    if isinstance(request.received_on, dt.date):
        request.decision_due = EmergencyRequest.due_date(request.received_on)
        if request.received_on > timezone.localdate():
            errors.add("received_on", _("The date of receipt cannot be in the future."))
    _full_clean(
        request, errors, exclude=["decision_due"] if not isinstance(request.received_on, dt.date) else ()
    )
    if request.country and not errors.has("country"):
        from pacte.accounts.models import validate_country_code

        try:
            validate_country_code(request.country)
        except ValidationError as exc:
            errors.extend(exc, prefix="country")
    errors.raise_if_any()
    request.save()
    return request


@writes
def decide_emergency_request(
    *,
    user: User,
    request: EmergencyRequest,
    approve: bool,
    note: str,
    award_data: dict | None = None,
) -> EmergencyRequest:
    """Approve (creating the award from ``award_data``: the ``AWARD_FIELDS`` plus optionally
    ``sectors``, a list of SectorInput) or refuse (a note is required) a received request."""
    permissions.require_grants_officer(user)
    original = request
    request = (
        EmergencyRequest.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=request.pk)
    )
    if request.status != EmergencyRequest.Status.RECEIVED:
        raise ValidationError({NON_FIELD_ERRORS: [_("This request has already been decided.")]})
    note = (note or "").strip()
    if approve:
        errors = Errors()
        values = dict(award_data or {})
        sectors = list(values.pop("sectors", ()) or ())
        if not award_data:
            errors.add(NON_FIELD_ERRORS, _("Give the award's details to approve the request."))
            errors.raise_if_any()
        values.pop("programme_type", None)
        amount = _decimal_or_none(values.get("amount"))
        if amount is not None and amount > request.amount_requested:
            errors.add(
                "amount",
                _("The award cannot exceed the amount requested (%(amount)s).")
                % {"amount": _money(request.amount_requested)},
            )
        values.setdefault("recipient_country", request.country)
        values.setdefault("title", request.title)
        values.setdefault("justification", note)
        values["programme_type"] = ProgrammeType.EMERGENCY_VICTIM_ASSISTANCE
        award = Award(
            organisation=request.organisation,
            decided_by=user,
            decided_on=timezone.localdate(),
        )
        _assign(award, values, AWARD_FIELDS, "decide_emergency_request")
        award = _validate_and_save_award(
            award, errors, objectives=[], activities=[], indicators=[], sectors=sectors
        )
        request.award = award
        request.status = EmergencyRequest.Status.APPROVED
    else:
        if not note:
            raise ValidationError({"note": [_("Give the reason for the refusal.")]})
        request.status = EmergencyRequest.Status.REFUSED
    request.decision_note = note
    request.decided_on = timezone.localdate()
    request.decided_by = user
    request.save()
    _sync(original, request)
    return original
