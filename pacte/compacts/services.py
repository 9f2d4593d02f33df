"""Writes. The web views and the API call these, and only these, to change a compact.

Each public function is one transaction: it locks the compact row, checks the user's capability,
validates the record (model ``clean()`` plus the cross-record rules below) and saves, or saves
nothing and raises ``ValidationError`` with field-level messages.

Locking the compact (``_lock``) also bumps its ``content_version``, the number under which the compact
page caches its overview: every service that changes a compact or one of its records locks it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Model, ProtectedError, Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
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
    FocalPointChange: Capability.EDIT,
}
# Records that are part of the legal history: never changed once recorded, never deleted through Pacte.
NOT_DELETABLE = (Amendment, FocalPointChange)
# The field by which each kind of record reaches its compact (for error messages).
COMPACT_FIELD: dict[type[Model], str] = {
    Activity: "objective",
    Indicator: "objective",
    CommitteeMember: "committee",
}


def compact_of(instance: Model) -> Compact:
    if isinstance(instance, Activity | Indicator):
        return instance.objective.compact
    if isinstance(instance, CommitteeMember):
        return instance.committee.compact
    return instance.compact  # type: ignore[attr-defined]


def _lock(compact: Compact) -> Compact:
    """Serialise writes on one compact, so that sums (the ceiling) are checked against committed data,
    and bump its content version (the UPDATE takes the row lock): pages cached under the previous
    number are no longer used. Rolled back with the rest when the service fails."""
    if compact.pk is None:
        return compact
    bump_content_version(compact)
    return Compact.objects.select_for_update().get(pk=compact.pk)


def bump_content_version(compact: Compact) -> None:
    """What the compact page shows of ``compact`` changed. The services call it through ``_lock``;
    a write made outside them (the admin site, a data import) calls it too."""
    Compact.objects.filter(pk=compact.pk).update(content_version=F("content_version") + 1)


def _fmt(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _money(amount: Decimal) -> str:
    """An amount in the user's language: 10,000,000.00 in English, 10 000 000,00 in French."""
    return number_format(amount, decimal_pos=2, force_grouping=True)


# -- cross-record rules ------------------------------------------------------------------------
def latest_extension_end(compact: Compact) -> dt.date | None:
    if compact.pk is None:
        return None
    return compact.amendments.filter(kind=Amendment.Kind.EXTENSION).aggregate(end=Max("new_end_date"))["end"]


def validate_term(compact: Compact) -> None:
    """A compact lasts at most five years; beyond that only a recorded extension allows it."""
    if not (compact.start_date and compact.end_date):
        return
    extended_to = latest_extension_end(compact)
    allowed = compact.allowed_end_date(extended_to)
    if allowed and compact.end_date > allowed:
        if extended_to and extended_to >= allowed:
            message = _(
                "The term was extended to %(date)s by mutual written decision of the parties; the end of "
                "term cannot be later. A longer term needs a new extension."
            ) % {"date": _fmt(allowed)}
        else:
            message = _(
                "A compact lasts at most five years: with this entry into force the term ends on "
                "%(date)s at the latest. A longer term needs an extension recorded by mutual written "
                "decision of the parties."
            ) % {"date": _fmt(allowed)}
        raise ValidationError({"end_date": message})


def validate_ceiling(commitment: Commitment) -> None:
    """The sum of funding recorded under the US ceiling cannot exceed it."""
    if commitment.kind == Commitment.Kind.FUNDING and commitment.ceiling_id and commitment.amount is not None:
        # Read the ceiling from the database: an in-memory copy may carry an unsaved amount.
        ceiling = Commitment.objects.get(pk=commitment.ceiling_id)
        # The commitment being edited is left out, so that it counts once, with its new amount.
        others = Commitment.objects.filter(ceiling_id=ceiling.pk, kind=Commitment.Kind.FUNDING).exclude(
            pk=commitment.pk
        ).aggregate(t=Sum("amount"))["t"] or Decimal("0")
        if ceiling.amount is not None and others + commitment.amount > ceiling.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "This would bring funding under the ceiling to %(total)s USD, above the ceiling of "
                        "%(ceiling)s USD. At most %(left)s USD remain."
                    )
                    % {
                        "total": _money(others + commitment.amount),
                        "ceiling": _money(ceiling.amount),
                        "left": _money(max(ceiling.amount - others, Decimal("0"))),
                    }
                }
            )
    if commitment.pk:
        under = Commitment.objects.filter(ceiling_id=commitment.pk).aggregate(t=Sum("amount"))["t"]
        if under is not None and commitment.kind != Commitment.Kind.CEILING:
            raise ValidationError(
                {"kind": _("Funding is recorded under this ceiling: it must stay the United States ceiling.")}
            )
        if under is not None and commitment.amount is not None and under > commitment.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "Funding of %(under)s USD is already recorded under this ceiling; it cannot be lower."
                    )
                    % {"under": _money(under)}
                }
            )


def _validate_same_compact(field: str, compact: Compact, records: Iterable[Any]) -> None:
    for record in records:
        if compact_of(record).pk != compact.pk:
            raise ValidationError({field: _("“%(record)s” belongs to another compact.") % {"record": record}})


def _validate_related(instance: Model, compact: Compact, m2m: Mapping[str, Iterable[Any]]) -> None:
    if isinstance(instance, FocalPointChange):
        _validate_focal_point_change(instance, compact)
    if isinstance(instance, Communication):
        recipients = list(m2m.get("recipients", instance.recipients.all() if instance.pk else []))
        if not recipients:
            raise ValidationError(
                {"recipients": _("A communication is addressed to at least one focal point.")}
            )
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
        if user.is_superuser:
            return
        if user.organisation_id is None:
            raise ValidationError({"user": _("This user belongs to no organisation and cannot hold a role.")})
        if not Participation.objects.filter(compact=compact, organisation_id=user.organisation_id).exists():
            raise ValidationError(
                {
                    "user": _(
                        "First add %(organisation)s to the participating organisations of this compact."
                    )
                    % {"organisation": user.organisation}
                }
            )
    if (
        isinstance(instance, CommitteeMember)
        and instance.party_id
        and instance.party.compact_id != compact.pk  # type: ignore[union-attr]
    ):
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
    """Create or update one record of a compact (anything but the compact itself).

    Amendments and changes of focal point follow the same rules as ``record_amendment`` and
    ``change_focal_point``; once recorded they cannot be changed here.
    """
    model = type(instance)
    if model not in CAPABILITY_FOR:
        raise TypeError(f"save_record does not handle {model.__name__}.")
    compact = _lock(compact_of_unsaved(instance, data))
    require(user, compact, CAPABILITY_FOR[model])
    if isinstance(instance, NOT_DELETABLE) and instance.pk:
        raise ValidationError(
            _(
                "Amendments, extensions and changes of focal point are part of the record and cannot be "
                "changed."
            )
        )
    for name, value in data.items():
        setattr(instance, name, value)
    _stamp_author(instance, user)
    if isinstance(instance, Amendment):
        return _save_amendment(compact, instance)
    _number_if_missing(instance)
    instance.full_clean()
    _validate_related(instance, compact, m2m or {})
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    if isinstance(instance, FocalPointChange):
        _deactivate_previous(instance)
    return instance


def _target_compact(data: Mapping[str, Any]) -> tuple[str, Compact] | None:
    for key in ("compact", "objective", "committee"):
        target = data.get(key)
        if target is not None:
            return key, target if isinstance(target, Compact) else target.compact
    return None


def compact_of_unsaved(instance: Model, data: Mapping[str, Any]) -> Compact:
    """The compact a record belongs to, taking the incoming data into account.

    A saved record is resolved from the database, not from the instance: a caller (a ModelForm's
    validation, for one) may already have pointed the instance at another compact in memory. Moving a
    record to another compact is refused, whether the move comes in ``data`` or on the instance.
    """
    target = _target_compact(data)
    if instance.pk is None:
        if target is not None:
            return target[1]
        try:
            return compact_of(instance)
        except ObjectDoesNotExist as exc:
            field = COMPACT_FIELD.get(type(instance), "compact")
            raise ValidationError({field: _("Say which compact this record belongs to.")}) from exc
    try:
        stored = type(instance)._default_manager.get(pk=instance.pk)
    except ObjectDoesNotExist as exc:
        raise ValidationError(_("This record no longer exists.")) from exc
    stored_compact = compact_of(stored)
    field = COMPACT_FIELD.get(type(instance), "compact")
    try:
        in_memory_pk = compact_of(instance).pk
    except ObjectDoesNotExist:
        in_memory_pk = stored_compact.pk
    if in_memory_pk != stored_compact.pk or (target is not None and target[1].pk != stored_compact.pk):
        key = target[0] if target else field
        raise ValidationError({key: _("A record cannot be moved to another compact.")})
    return stored_compact


def _stamp_author(instance: Model, user: User) -> None:
    for attr in ("recorded_by", "uploaded_by"):
        if hasattr(instance, f"{attr}_id") and getattr(instance, f"{attr}_id") is None:
            setattr(instance, attr, user)


def _number_if_missing(instance: Model) -> None:
    if isinstance(instance, Objective) and not instance.number:
        top = Objective.objects.filter(compact=instance.compact).aggregate(n=Max("number"))["n"] or 0
        instance.number = top + 1
    if isinstance(instance, Activity | Indicator) and not instance.order and instance.objective_id:
        siblings = type(instance).objects.filter(objective_id=instance.objective_id)
        top = siblings.aggregate(n=Max("order"))["n"] or 0
        instance.order = top + 1


@transaction.atomic
def delete_record(*, user: User, instance: Model) -> None:
    if type(instance) not in CAPABILITY_FOR or instance.pk is None:
        raise TypeError(f"delete_record cannot delete this {type(instance).__name__}.")
    compact = _lock(compact_of_unsaved(instance, {}))
    require(user, compact, CAPABILITY_FOR[type(instance)])
    if isinstance(instance, NOT_DELETABLE):
        raise ValidationError(
            _(
                "Amendments, extensions and changes of focal point are part of the record and cannot be "
                "deleted."
            )
        )
    if isinstance(instance, Party):
        raise ValidationError(_("A party cannot be removed from a compact."))
    if isinstance(instance, MonitoringCommittee):
        raise ValidationError(_("The monitoring and evaluation committee cannot be removed from a compact."))
    if isinstance(instance, Participation):
        holders = Membership.objects.filter(compact=compact, user__organisation_id=instance.organisation_id)
        if holders.exists():
            raise ValidationError(
                _(
                    "Members of %(organisation)s hold roles on this compact: remove their roles before "
                    "removing the organisation."
                )
                % {"organisation": instance.organisation}
            )
    try:
        instance.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("“%(record)s” cannot be deleted: other records refer to it.") % {"record": instance}
        ) from exc


# -- the compact itself ---------------------------------------------------------------------------
COMPACT_FIELDS = (
    "title",
    "country",
    "purpose",
    "goal",
    "visibility",
    "start_date",
    "end_date",
    "signature_place",
)


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
        compact=compact,
        kind=Party.Kind.UNITED_STATES,
        name=us_party_name or _("Government of the United States of America"),
    )
    Party.objects.create(
        compact=compact,
        kind=Party.Kind.PARTNER_COUNTRY,
        name=partner_party_name or _("Government of %(country)s") % {"country": compact.country_name},
    )
    MonitoringCommittee.objects.create(compact=compact)
    if user.organisation_id:
        Participation.objects.create(
            compact=compact,
            organisation_id=user.organisation_id,
            role=Participation.Role.PARTY_BODY,
            party=us,
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


ILLEGAL_TRANSITION = {
    "open_negotiation": _lazy(
        "Only a draft compact can be opened for negotiation; this compact is “%(status)s”."
    ),
    "return_to_draft": _lazy(
        "Only a compact in negotiation can return to draft; this compact is “%(status)s”."
    ),
    "sign": _lazy("Only a compact in negotiation can be signed; this compact is “%(status)s”."),
    "terminate": _lazy("A compact that is “%(status)s” cannot be terminated."),
}


@transaction.atomic
def change_status(*, user: User, compact: Compact, action: str, **kwargs: Any) -> Compact:
    """Move the compact through its lifecycle: open_negotiation, return_to_draft, sign, terminate."""
    compact = _lock(compact)
    require(user, compact, Capability.CHANGE_STATUS)
    methods = {
        "open_negotiation": (compact.open_negotiation, ()),
        "return_to_draft": (compact.return_to_draft, ()),
        "sign": (compact.sign, ("signature_date", "place")),
        "terminate": (compact.terminate, ("on", "reason")),
    }
    if action not in methods:
        raise ValidationError(_("Unknown change of status: “%(action)s”.") % {"action": action})
    method, accepted = methods[action]
    unexpected = set(kwargs) - set(accepted)
    if unexpected:
        raise TypeError(f"{action} does not take {', '.join(sorted(unexpected))}.")
    status = compact.get_current_status_display()
    if compact.current_status == Compact.Status.EXPIRED and action == "terminate":
        raise ValidationError(_("An expired compact cannot be terminated."))
    if not can_proceed(method):
        raise ValidationError(ILLEGAL_TRANSITION[action] % {"status": status})
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
    elif signature_date > timezone.localdate():
        errors["signature_date"] = [_("The date of signature cannot be in the future.")]
    parties = {p.kind: p for p in compact.parties.all()}
    missing_parties = [Party.Kind(kind).label for kind in Party.Kind if kind not in parties]
    if missing_parties:
        errors.setdefault("__all__", []).append(
            _("A compact is signed by both parties; add the missing party: %(parties)s.")
            % {"parties": ", ".join(str(label) for label in missing_parties)}
        )
    signed_for = set(Signatory.objects.filter(compact=compact).values_list("party_id", flat=True))
    missing = [p.name for p in parties.values() if p.pk not in signed_for]
    if missing:
        errors.setdefault("__all__", []).append(
            _("Record who signed for: %(parties)s.") % {"parties": ", ".join(missing)}
        )
    if not compact.goal:
        errors.setdefault("__all__", []).append(_("State the goal of the compact before it is signed."))
    if errors:
        raise ValidationError(errors)


def _check_termination(compact: Compact, on: dt.date | None, reason: str) -> None:
    errors: dict[str, list[str]] = {}
    if not on:
        errors["on"] = [_("Give the date of termination.")]
    elif on > timezone.localdate():
        errors["on"] = [_("The date of termination cannot be in the future.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for termination.")]
    if errors:
        raise ValidationError(errors)


# -- amendments, extensions and focal-point changes ------------------------------------------------
@transaction.atomic
def record_amendment(*, user: User, compact: Compact, data: Mapping[str, Any]) -> Amendment:
    """Record an amendment (written request, three months' notice) or an extension (mutual written
    decision, new end of term). An extension moves the end of term."""
    compact = _lock(compact)
    require(user, compact, Capability.EDIT)
    protected = {"compact", "recorded_by", "previous_end_date", "id", "pk"}
    amendment = Amendment(**{k: v for k, v in data.items() if k not in protected})
    amendment.compact = compact
    amendment.recorded_by = user
    return _save_amendment(compact, amendment)


def _save_amendment(compact: Compact, amendment: Amendment) -> Amendment:
    """Validate and save a new amendment or extension of the locked ``compact``; an extension moves
    the end of term. Called inside the caller's transaction."""
    if compact.status != Compact.Status.SIGNED:
        raise ValidationError(_("Amendments and extensions are recorded on a signed compact."))
    amendment.compact = compact
    amendment.previous_end_date = None
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
    new = FocalPoint(**{k: v for k, v in new_data.items() if k not in ("compact", "party", "is_active")})
    new.compact = compact
    new.party = party
    new.is_active = True
    change = FocalPointChange(
        compact=compact,
        party=party,
        previous=previous,
        changed_on=changed_on,
        notified_on=notified_on,
        recorded_by=user,
    )
    errors: dict[str, list[str]] = {}
    for record, exclude in ((new, None), (change, ["new"])):
        try:
            record.full_clean(exclude=exclude)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _validate_focal_point_change(change, compact)
    new.save()
    change.new = new
    change.save()
    _deactivate_previous(change)
    return change


def _validate_focal_point_change(change: FocalPointChange, compact: Compact) -> None:
    """The previous and the new focal point belong to the party of this compact that changes them;
    the previous one is still current; the dates are not in the future."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if change.party_id and change.party.compact_id != compact.pk:
        errors.setdefault("party", []).append(_("This party belongs to another compact."))
    previous = change.previous
    if previous is not None:
        if previous.compact_id != compact.pk or previous.party_id != change.party_id:
            errors.setdefault("previous", []).append(
                _("Choose a focal point of the same party of this compact.")
            )
        elif not previous.is_active:
            errors.setdefault("previous", []).append(_("This focal point has already been replaced."))
    new = change.new if change.new_id else None
    if new is not None and (new.compact_id != compact.pk or new.party_id != change.party_id):
        errors.setdefault("new", []).append(_("Choose a focal point of the same party of this compact."))
    if new is not None and previous is not None and new.pk == previous.pk:
        errors.setdefault("new", []).append(_("The new focal point must differ from the previous one."))
    if change.changed_on and change.changed_on > today:
        errors.setdefault("changed_on", []).append(_("Record the change once it has happened."))
    if change.notified_on and change.notified_on > today:
        errors.setdefault("notified_on", []).append(_("The date of the notice cannot be in the future."))
    if errors:
        raise ValidationError(errors)


def _deactivate_previous(change: FocalPointChange) -> None:
    if change.previous is not None:
        change.previous.is_active = False
        change.previous.save(update_fields=["is_active", "updated_at"])


@transaction.atomic
def record_notification(*, user: User, change: FocalPointChange, notified_on: dt.date) -> FocalPointChange:
    compact = _lock(compact_of_unsaved(change, {}))
    require(user, compact, Capability.EDIT)
    change.notified_on = notified_on
    change.full_clean()
    if notified_on and notified_on > timezone.localdate():
        raise ValidationError({"notified_on": _("The date of the notice cannot be in the future.")})
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
