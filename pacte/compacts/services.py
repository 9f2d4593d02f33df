"""Writes. The web views and the API call these, and only these, to change a compact.

Each public function is one transaction: it locks the compact row, checks the user's capability,
validates the record (model ``clean()`` plus the cross-record rules below) and saves, or saves
nothing and raises ``ValidationError`` with field-level messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Model, ProtectedError, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from .models import (
    Activity,
    Amendment,
    Commitment,
    CommitteeMember,
    Communication,
    Compact,
    Document,
    FocalPoint,
    FocalPointChange,
    Indicator,
    Meeting,
    Membership,
    MonitoringCommittee,
    Objective,
    Participation,
    Party,
    Signatory,
)
from .permissions import Capability, can_create_compact, require

if TYPE_CHECKING:
    from pacte.accounts.models import Organisation, User

# Which capability a change of each kind of record needs.
CAPABILITY_FOR: dict[type[Model], Capability] = {
    Party: Capability.EDIT,
    Signatory: Capability.EDIT,
    Objective: Capability.EDIT,
    Activity: Capability.EDIT,
    Indicator: Capability.EDIT,
    Commitment: Capability.EDIT,
    FocalPoint: Capability.EDIT,
    Document: Capability.EDIT,
    Amendment: Capability.EDIT,
    Communication: Capability.COMMUNICATE,
    Meeting: Capability.RECORD_MEETINGS,
    MonitoringCommittee: Capability.RECORD_MEETINGS,
    CommitteeMember: Capability.RECORD_MEETINGS,
    Participation: Capability.MANAGE_ACCESS,
    Membership: Capability.MANAGE_ACCESS,
}
# Records that are part of the legal history and are never deleted through Pacte.
NOT_DELETABLE = (Amendment, FocalPointChange)


def compact_of(instance: Model) -> Compact:
    if isinstance(instance, Activity | Indicator):
        return instance.objective.compact
    if isinstance(instance, CommitteeMember):
        return instance.committee.compact
    return instance.compact  # type: ignore[attr-defined]


def _lock(compact: Compact) -> Compact:
    """Serialise writes on one compact, so that sums (the ceiling) are checked against committed data."""
    if compact.pk is None:
        return compact
    return Compact.objects.select_for_update().get(pk=compact.pk)


def _fmt(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


# -- cross-record rules ------------------------------------------------------------------------
def latest_extension_end(compact: Compact) -> dt.date | None:
    if compact.pk is None:
        return None
    return compact.amendments.filter(kind=Amendment.Kind.EXTENSION).aggregate(end=Max("new_end_date"))["end"]


def validate_term(compact: Compact) -> None:
    """A compact lasts at most five years; beyond that only a recorded extension allows it."""
    if not (compact.start_date and compact.end_date):
        return
    allowed = compact.allowed_end_date(latest_extension_end(compact))
    if allowed and compact.end_date > allowed:
        raise ValidationError(
            {
                "end_date": _(
                    "A compact lasts at most five years: with this entry into force the term ends on "
                    "%(date)s at the latest. A longer term needs an extension recorded by mutual written "
                    "decision of the parties."
                )
                % {"date": _fmt(allowed)}
            }
        )


def validate_ceiling(commitment: Commitment) -> None:
    """The sum of funding recorded under the US ceiling cannot exceed it."""
    if commitment.kind == Commitment.Kind.FUNDING and commitment.ceiling_id and commitment.amount is not None:
        ceiling = commitment.ceiling
        others = (
            Commitment.objects.filter(ceiling=ceiling).exclude(pk=commitment.pk).aggregate(t=Sum("amount"))["t"]
            or Decimal("0")
        )
        if ceiling is not None and ceiling.amount is not None and others + commitment.amount > ceiling.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "This would bring funding under the ceiling to %(total)s USD, above the ceiling of "
                        "%(ceiling)s USD. At most %(left)s USD remain."
                    )
                    % {
                        "total": f"{others + commitment.amount:,.2f}",
                        "ceiling": f"{ceiling.amount:,.2f}",
                        "left": f"{max(ceiling.amount - others, Decimal('0')):,.2f}",
                    }
                }
            )
    if commitment.kind == Commitment.Kind.CEILING and commitment.pk and commitment.amount is not None:
        under = commitment.commitments_under.aggregate(t=Sum("amount"))["t"] or Decimal("0")
        if under > commitment.amount:
            raise ValidationError(
                {
                    "amount": _("Funding of %(under)s USD is already recorded under this ceiling; it cannot be lower.")
                    % {"under": f"{under:,.2f}"}
                }
            )


def _validate_same_compact(field: str, compact: Compact, records: Iterable[Any]) -> None:
    for record in records:
        if compact_of(record).pk != compact.pk:
            raise ValidationError({field: _("“%(record)s” belongs to another compact.") % {"record": record}})


def _validate_related(instance: Model, compact: Compact, m2m: Mapping[str, Iterable[Any]]) -> None:
    if isinstance(instance, Communication):
        recipients = list(m2m.get("recipients", instance.recipients.all() if instance.pk else []))
        if not recipients:
            raise ValidationError({"recipients": _("A communication is addressed to at least one focal point.")})
        if instance.sender_id and any(r.pk == instance.sender_id for r in recipients):
            raise ValidationError({"recipients": _("The sender cannot also be a recipient.")})
        _validate_same_compact("recipients", compact, recipients)
    if isinstance(instance, Meeting):
        _validate_same_compact("validated_activities", compact, m2m.get("validated_activities", []))
    if isinstance(instance, Commitment):
        validate_ceiling(instance)
    if isinstance(instance, Membership | Participation | CommitteeMember):
        _validate_access_record(instance, compact)


def _validate_access_record(instance: Model, compact: Compact) -> None:
    if isinstance(instance, Membership):
        user = instance.user
        if not user.is_superuser and not Participation.objects.filter(
            compact=compact, organisation_id=user.organisation_id
        ).exists():
            raise ValidationError(
                {
                    "user": _("First add %(organisation)s to the participating organisations of this compact.")
                    % {"organisation": user.organisation}
                }
            )
    if isinstance(instance, CommitteeMember) and instance.party_id and instance.party.compact_id != compact.pk:
        raise ValidationError({"party": _("This party belongs to another compact.")})


# -- generic record services ---------------------------------------------------------------------
@transaction.atomic
def save_record(
    *,
    user: User,
    instance: Model,
    data: Mapping[str, Any],
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> Model:
    """Create or update one record of a compact (anything but the compact itself)."""
    model = type(instance)
    if model in NOT_DELETABLE and instance.pk:
        raise PermissionDenied
    compact = _lock(compact_of_unsaved(instance, data))
    require(user, compact, CAPABILITY_FOR[model])
    for name, value in data.items():
        setattr(instance, name, value)
    _stamp_author(instance, user)
    _number_if_missing(instance)
    instance.full_clean()
    _validate_related(instance, compact, m2m or {})
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    return instance


def compact_of_unsaved(instance: Model, data: Mapping[str, Any]) -> Compact:
    """The compact a record belongs to, taking the incoming data into account (a moved record is
    checked against the compact it is moved to, and the one it leaves)."""
    for key in ("compact", "objective", "committee"):
        if key in data and data[key] is not None:
            target = data[key]
            target_compact = target if isinstance(target, Compact) else target.compact
            if instance.pk and compact_of(instance).pk != target_compact.pk:
                raise ValidationError({key: _("A record cannot be moved to another compact.")})
            return target_compact
    return compact_of(instance)


def _stamp_author(instance: Model, user: User) -> None:
    for attr in ("recorded_by", "uploaded_by"):
        if hasattr(instance, f"{attr}_id") and getattr(instance, f"{attr}_id") is None:
            setattr(instance, attr, user)


def _number_if_missing(instance: Model) -> None:
    if isinstance(instance, Objective) and not instance.number:
        top = Objective.objects.filter(compact=instance.compact).aggregate(n=Max("number"))["n"] or 0
        instance.number = top + 1
    if isinstance(instance, Activity | Indicator) and not instance.order and instance.objective_id:
        top = type(instance).objects.filter(objective_id=instance.objective_id).aggregate(n=Max("order"))["n"] or 0
        instance.order = top + 1


@transaction.atomic
def delete_record(*, user: User, instance: Model) -> None:
    if isinstance(instance, NOT_DELETABLE):
        raise ValidationError(_("Amendments, extensions and changes of focal point are part of the record and cannot be deleted."))
    compact = _lock(compact_of(instance))
    require(user, compact, CAPABILITY_FOR[type(instance)])
    if isinstance(instance, Party):
        raise ValidationError(_("A party cannot be removed from a compact."))
    try:
        instance.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("“%(record)s” cannot be deleted: other records refer to it.") % {"record": instance}
        ) from exc


# -- the compact itself ---------------------------------------------------------------------------
COMPACT_FIELDS = ("title", "country", "purpose", "goal", "visibility", "start_date", "end_date", "signature_place")


@transaction.atomic
def create_compact(
    *, user: User, data: Mapping[str, Any], partner_party_name: str = "", us_party_name: str = ""
) -> Compact:
    if not can_create_compact(user):
        raise PermissionDenied
    compact = Compact(created_by=user)
    for name in COMPACT_FIELDS:
        if name in data:
            setattr(compact, name, data[name])
    compact.full_clean()
    validate_term(compact)
    compact.save()
    us = Party.objects.create(
        compact=compact, kind=Party.Kind.UNITED_STATES,
        name=us_party_name or _("Government of the United States of America"),
    )
    Party.objects.create(
        compact=compact, kind=Party.Kind.PARTNER_COUNTRY,
        name=partner_party_name or _("Government of %(country)s") % {"country": compact.country_name},
    )
    MonitoringCommittee.objects.create(compact=compact)
    if user.organisation_id:
        Participation.objects.create(
            compact=compact, organisation_id=user.organisation_id, role=Participation.Role.PARTY_BODY, party=us
        )
        Membership.objects.create(compact=compact, user=user, role=Membership.Role.PROGRAMME_OFFICER)
    return compact


@transaction.atomic
def update_compact(*, user: User, compact: Compact, data: Mapping[str, Any]) -> Compact:
    compact = _lock(compact)
    require(user, compact, Capability.EDIT)
    if compact.status in (Compact.Status.SIGNED, Compact.Status.TERMINATED):
        for frozen in ("start_date", "country"):
            if frozen in data and data[frozen] != getattr(compact, frozen):
                raise ValidationError(
                    {frozen: _("This cannot change once the compact is signed; record an amendment instead.")}
                )
    for name in COMPACT_FIELDS:
        if name in data:
            setattr(compact, name, data[name])
    compact.full_clean()
    validate_term(compact)
    compact.save()
    return compact


@transaction.atomic
def change_status(*, user: User, compact: Compact, action: str, **kwargs: Any) -> Compact:
    """Move the compact through its lifecycle: open_negotiation, return_to_draft, sign, terminate."""
    compact = _lock(compact)
    require(user, compact, Capability.CHANGE_STATUS)
    method = {
        "open_negotiation": compact.open_negotiation,
        "return_to_draft": compact.return_to_draft,
        "sign": compact.sign,
        "terminate": compact.terminate,
    }.get(action)
    if method is None or not can_proceed(method):
        raise ValidationError(
            _("A compact that is “%(status)s” cannot do that.") % {"status": compact.get_current_status_display()}
        )
    if action == "sign":
        _check_ready_to_sign(compact, kwargs.get("signature_date"))
    if action == "terminate":
        _check_termination(compact, kwargs.get("on"), kwargs.get("reason", ""))
    method(**kwargs)
    compact.full_clean()
    validate_term(compact)
    compact.save()
    return compact


def _check_ready_to_sign(compact: Compact, signature_date: dt.date | None) -> None:
    errors: dict[str, list[str]] = {}
    if not signature_date:
        errors["signature_date"] = [_("Give the date of signature.")]
    elif signature_date > dt.date.today() + dt.timedelta(days=1):
        errors["signature_date"] = [_("The date of signature cannot be in the future.")]
    missing = [p.name for p in compact.parties.all() if not p.signatories.exists()]
    if missing:
        errors["__all__"] = [
            _("Record who signed for: %(parties)s.") % {"parties": ", ".join(missing)}
        ]
    if not compact.goal:
        errors.setdefault("__all__", []).append(_("State the goal of the compact before it is signed."))
    if errors:
        raise ValidationError(errors)


def _check_termination(compact: Compact, on: dt.date | None, reason: str) -> None:
    errors: dict[str, list[str]] = {}
    if not on:
        errors["on"] = [_("Give the date of termination.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for termination.")]
    if compact.current_status == Compact.Status.EXPIRED:
        errors["__all__"] = [_("An expired compact cannot be terminated.")]
    if errors:
        raise ValidationError(errors)


# -- amendments, extensions and focal-point changes ------------------------------------------------
@transaction.atomic
def record_amendment(*, user: User, compact: Compact, data: Mapping[str, Any]) -> Amendment:
    """Record an amendment (written request, three months' notice) or an extension (mutual written
    decision, new end of term). An extension moves the end of term."""
    compact = _lock(compact)
    require(user, compact, Capability.EDIT)
    if compact.status != Compact.Status.SIGNED:
        raise ValidationError(_("Amendments and extensions are recorded on a signed compact."))
    amendment = Amendment(compact=compact, recorded_by=user, **data)
    amendment.full_clean()
    if amendment.kind == Amendment.Kind.EXTENSION:
        assert amendment.new_end_date is not None
        if compact.end_date and amendment.new_end_date <= compact.end_date:
            raise ValidationError(
                {
                    "new_end_date": _("The new end of term must come after the current one, %(date)s.")
                    % {"date": _fmt(compact.end_date)}
                }
            )
        amendment.previous_end_date = compact.end_date
        amendment.save()
        compact.end_date = amendment.new_end_date
        compact.save(update_fields=["end_date", "updated_at"])
    else:
        amendment.save()
    return amendment


@transaction.atomic
def change_focal_point(
    *,
    user: User,
    compact: Compact,
    party: Party,
    new_data: Mapping[str, Any],
    changed_on: dt.date,
    previous: FocalPoint | None = None,
    notified_on: dt.date | None = None,
) -> FocalPointChange:
    """Replace a focal point (or add one) and record the date of the change and of the notice."""
    compact = _lock(compact)
    require(user, compact, Capability.EDIT)
    if party.compact_id != compact.pk:
        raise ValidationError({"party": _("This party belongs to another compact.")})
    if previous is not None and (previous.compact_id != compact.pk or previous.party_id != party.pk):
        raise ValidationError({"previous": _("Choose a focal point of the same party of this compact.")})
    new = FocalPoint(compact=compact, party=party, **new_data)
    new.full_clean()
    change = FocalPointChange(
        compact=compact, party=party, previous=previous, changed_on=changed_on, notified_on=notified_on,
        recorded_by=user,
    )
    change.full_clean(exclude=["new"])
    new.save()
    change.new = new
    change.save()
    if previous is not None:
        previous.is_active = False
        previous.save(update_fields=["is_active", "updated_at"])
    return change


@transaction.atomic
def record_notification(*, user: User, change: FocalPointChange, notified_on: dt.date) -> FocalPointChange:
    compact = _lock(change.compact)
    require(user, compact, Capability.EDIT)
    change.notified_on = notified_on
    change.full_clean()
    change.save(update_fields=["notified_on", "updated_at"])
    return change


# -- access -----------------------------------------------------------------------------------------
@transaction.atomic
def add_participation(
    *, user: User, compact: Compact, organisation: Organisation, role: str, party: Party | None = None
) -> Participation:
    participation = Participation(compact=compact, organisation=organisation, role=role, party=party)
    return save_record(user=user, instance=participation, data={})  # type: ignore[return-value]


@transaction.atomic
def grant_role(*, user: User, compact: Compact, member: User, role: str) -> Membership:
    existing = Membership.objects.filter(compact=compact, user=member).first()
    instance = existing or Membership(compact=compact, user=member)
    return save_record(user=user, instance=instance, data={"role": role})  # type: ignore[return-value]
