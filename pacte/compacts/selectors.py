"""Reads. Every selector takes the user and returns only what that user may see."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, Max, Model, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from pacte.core.models import Visibility

from .models import (
    PILLAR_ORDER,
    Activity,
    Amendment,
    Commitment,
    CommitteeMember,
    Communication,
    Compact,
    CompactQuerySet,
    Document,
    FocalPoint,
    FocalPointChange,
    Indicator,
    Meeting,
    Membership,
    Objective,
    Participation,
    Party,
    Pillar,
    Signatory,
)
from .permissions import (
    PRIVILEGED_PARTICIPATIONS,
    ROLE_CAPABILITIES,
    Access,
    Capability,
    access_for,
    role_annotations,
)

if TYPE_CHECKING:
    from pacte.accounts.models import User

NON_PUBLIC_ROLES = [r for r, caps in ROLE_CAPABILITIES.items() if Capability.VIEW_NON_PUBLIC in caps]

# How each record reaches its compact, for filtering.
COMPACT_PATH: dict[type[Model], str] = {
    Activity: "objective__compact",
    Indicator: "objective__compact",
    CommitteeMember: "committee__compact",
}


# Records shown only when the records they hang from are visible too: an activity or indicator of a
# non-public objective, a change of focal point that brings in or replaces a non-public focal point.
PARENT_VISIBILITY: dict[type[Model], tuple[str, ...]] = {
    Activity: ("objective",),
    Indicator: ("objective",),
    FocalPointChange: ("new", "previous"),
}


def compact_path(model: type[Model]) -> str:
    return COMPACT_PATH.get(model, "compact")


def _has_visibility_field(model: type[Model]) -> bool:
    return any(f.name == "visibility" for f in model._meta.get_fields())


# Who holds which role on a compact is personal data about colleagues: it is shown only to those who
# may see non-public information (the parties, implementing partners and members with a real role).
NON_PUBLIC_MODELS: tuple[type[Model], ...] = (Membership,)


def _public_q(model: type[Model]) -> Q | None:
    """What a user without access to non-public information may see of ``model``; None: everything."""
    if model in NON_PUBLIC_MODELS:
        return Q(pk__in=[])
    conditions = [Q(visibility=Visibility.PUBLIC)] if _has_visibility_field(model) else []
    for parent in PARENT_VISIBILITY.get(model, ()):
        public_parent = Q(**{f"{parent}__visibility": Visibility.PUBLIC})
        if getattr(model._meta.get_field(parent), "null", False):
            public_parent |= Q(**{f"{parent}__isnull": True})
        conditions.append(public_parent)
    if not conditions:
        return None
    q = conditions[0]
    for condition in conditions[1:]:
        q &= condition
    return q


def _anonymous(user: User | None) -> bool:
    return user is None or not user.is_authenticated or not user.is_active


def _privileged_q(user: User) -> Q:
    """Compacts on which ``user`` may see non-public information."""
    participations = Participation.objects.filter(  # type: ignore[misc]
        compact=OuterRef("pk"),
        organisation_id=user.organisation_id,
        organisation__is_active=True,
        role__in=PRIVILEGED_PARTICIPATIONS,
    )
    memberships = Membership.objects.filter(
        compact=OuterRef("pk"), user=user, user__organisation__is_active=True, role__in=NON_PUBLIC_ROLES
    )
    return Q(Exists(participations)) | Q(Exists(memberships))


def visible_compacts(user: User | None) -> CompactQuerySet:
    """Compacts the user may open, with ``status_now`` annotated."""
    qs = Compact.objects.with_current_status()
    if _anonymous(user):
        return qs.none()
    assert user is not None
    if user.is_superuser:
        return qs
    participates = Participation.objects.filter(  # type: ignore[misc]
        compact=OuterRef("pk"), organisation_id=user.organisation_id, organisation__is_active=True
    )
    member = Membership.objects.filter(compact=OuterRef("pk"), user=user, user__organisation__is_active=True)
    return qs.filter(Q(Exists(participates)) | Q(Exists(member))).filter(
        Q(visibility=Visibility.PUBLIC) | _privileged_q(user)
    )


def compacts_with_non_public(user: User | None) -> QuerySet[Compact]:
    if _anonymous(user):
        return Compact.objects.none()
    assert user is not None
    if user.is_superuser:
        return Compact.objects.all()
    return Compact.objects.filter(_privileged_q(user))


def get_compact(user: User | None, pk: Any) -> tuple[Compact, Access]:
    """The compact and what the user may do on it; 404 whether it does not exist or is not theirs.

    The compact is fetched by its id alone and then shown only when ``access_for`` grants the view:
    the same rule as ``visible_compacts`` (a participating organisation or a role; the non-public
    compacts to those who may see non-public information), without its EXISTS subqueries in a query
    that access_for follows anyway (tests/test_get_compact.py checks that both agree)."""
    if _anonymous(user):
        raise Http404
    assert user is not None
    compacts = Compact.objects.with_current_status()
    if not user.is_superuser:
        compacts = compacts.annotate(**role_annotations(user))  # access_for then needs no query
    try:
        compact = compacts.get(pk=pk)
    except (Compact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    access = access_for(user, compact)
    if not access.can_view:
        raise Http404
    return compact, access


def visible_records(user: User | None, model: type[Model]) -> QuerySet[Any]:
    """All records of ``model`` the user may see, across compacts (for lists and the API)."""
    path = compact_path(model)
    qs = model._default_manager.filter(**{f"{path}__in": visible_compacts(user).values("pk")})
    public = _public_q(model)
    if public is not None:
        qs = qs.filter(public | Q(**{f"{path}__in": compacts_with_non_public(user).values("pk")}))
    return qs


def filter_visibility(qs: QuerySet[Any], access: Access) -> QuerySet[Any]:
    """Restrict a compact's records to the public ones unless the user may see non-public ones
    (for activities, indicators and changes of focal point, the records they hang from too)."""
    if access.can_view_non_public:
        return qs
    public = _public_q(qs.model)
    return qs if public is None else qs.filter(public)


def get_record(user: User | None, model: type[Model], pk: Any) -> Any:
    try:
        return visible_records(user, model).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


@dataclass
class PillarView:
    pillar: str
    label: str
    objectives: list[Objective] = field(default_factory=list)

    @property
    def activity_count(self) -> int:
        return sum(len(o.visible_activities) for o in self.objectives)  # type: ignore[attr-defined,misc]

    @property
    def indicator_count(self) -> int:
        return sum(len(o.visible_indicators) for o in self.objectives)  # type: ignore[attr-defined,misc]


@dataclass
class Gap:
    kind: str
    message: str
    objective: Objective | None = None


@dataclass
class CompactOverview:
    compact: Compact
    access: Access
    parties: list[Party]
    signatories: list[Signatory]
    pillars: list[PillarView]
    focal_points: list[FocalPoint]
    commitments: list[Commitment]
    ceiling: Commitment | None
    committed_under_ceiling: Decimal
    next_meeting: Meeting | None
    next_annual_meeting_due: dt.date | None
    amendments: list[Amendment]
    gaps: list[Gap]
    late_focal_point_changes: list[FocalPointChange]
    annual_meeting_overdue: bool = False

    @property
    def ceiling_share(self) -> float | None:
        if not self.ceiling or not self.ceiling.amount:
            return None
        return float(self.committed_under_ceiling / self.ceiling.amount * 100)

    @property
    def ceiling_remaining(self) -> Decimal | None:
        if not self.ceiling or self.ceiling.amount is None:
            return None
        return self.ceiling.amount - self.committed_under_ceiling


def next_annual_meeting_due(
    compact: Compact, held: list[Meeting], today: dt.date | None = None
) -> dt.date | None:
    """Section V.A: a meeting once a year from one year after entry into force."""
    if not compact.start_date or compact.current_status != Compact.Status.SIGNED:
        return None
    today = today or timezone.localdate()
    due = compact.start_date + relativedelta(years=1)
    last_annual = max(
        (m.date for m in held if m.kind == Meeting.Kind.ANNUAL and m.date <= today), default=None
    )
    if last_annual:
        due = max(due, last_annual + relativedelta(years=1))
    if compact.end_date and due > compact.end_date:
        return None
    return due


def compact_overview(compact: Compact, access: Access) -> CompactOverview:
    """Everything the compact page shows, in a fixed number of queries."""
    from django.utils.translation import gettext as _

    today = timezone.localdate()
    activities = filter_visibility(Activity.objects.all(), access)
    indicators = filter_visibility(Indicator.objects.all(), access)
    objectives = list(
        filter_visibility(compact.objectives.all(), access).prefetch_related(
            Prefetch("activities", queryset=activities, to_attr="visible_activities"),
            Prefetch("indicators", queryset=indicators, to_attr="visible_indicators"),
        )
    )
    pillars = [PillarView(p, str(Pillar(p).label)) for p in PILLAR_ORDER]
    by_pillar = {p.pillar: p for p in pillars}
    for objective in objectives:
        by_pillar[objective.pillar].objectives.append(objective)

    gaps: list[Gap] = []
    for pillar in pillars:
        if not pillar.objectives:
            gaps.append(
                Gap(
                    "pillar_without_objective",
                    _("No objective on the %(pillar)s pillar.") % {"pillar": pillar.label},
                )
            )
        for objective in pillar.objectives:
            if not objective.visible_indicators:  # type: ignore[attr-defined]
                gaps.append(
                    Gap(
                        "objective_without_indicator",
                        _("Objective %(number)s (%(pillar)s) has no indicator in the results framework.")
                        % {"number": objective.number, "pillar": pillar.label},
                        objective,
                    )
                )
            if not objective.visible_activities:  # type: ignore[attr-defined]
                gaps.append(
                    Gap(
                        "objective_without_activity",
                        _("Objective %(number)s (%(pillar)s) has no activity.")
                        % {"number": objective.number, "pillar": pillar.label},
                        objective,
                    )
                )

    commitments = list(filter_visibility(compact.commitments.select_related("party"), access))
    ceiling = next((c for c in commitments if c.kind == Commitment.Kind.CEILING), None)
    # The ceiling rule itself (services.validate_ceiling) counts every funding commitment. What is shown
    # counts only the funding the user may see: the total of non-public funding is non-public too
    # (section X).
    funding = filter_visibility(
        Commitment.objects.filter(compact=compact, kind=Commitment.Kind.FUNDING), access
    )
    committed = funding.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    meetings = list(filter_visibility(compact.meetings.all(), access))
    upcoming = sorted((m for m in meetings if m.date >= today), key=lambda m: m.date)
    changes = list(
        filter_visibility(compact.focal_point_changes.select_related("party", "new", "previous"), access)
    )
    annual_due = next_annual_meeting_due(compact, meetings, today)
    annual_scheduled = any(m.kind == Meeting.Kind.ANNUAL for m in upcoming)
    return CompactOverview(
        compact=compact,
        access=access,
        parties=list(compact.parties.all()),
        signatories=list(compact.signatories.select_related("party", "organisation")),
        pillars=pillars,
        focal_points=list(
            filter_visibility(
                compact.focal_points.filter(is_active=True).select_related("party", "organisation"), access
            )
        ),
        commitments=commitments,
        ceiling=ceiling,
        committed_under_ceiling=committed,
        next_meeting=upcoming[0] if upcoming else None,
        next_annual_meeting_due=annual_due,
        amendments=list(filter_visibility(compact.amendments.select_related("requested_by"), access)),
        gaps=gaps,
        late_focal_point_changes=[c for c in changes if c.notification_late],
        # Section V.A: once a year from one year after entry into force. Past due and none scheduled.
        annual_meeting_overdue=bool(annual_due and annual_due < today and not annual_scheduled),
    )


def overview_cache_key(compact: Compact, access: Access) -> str:
    """The key under which the compact page caches what it shows of ``compact_overview``.

    It changes with everything that page depends on: the compact's content version (bumped by every
    service that writes to the compact), the organisations (their names are shown; they are not
    records of the compact), the language, today's date (what is upcoming, due, overdue or late) and
    the user's capabilities (edit links; non-public records). The row's creation time tells apart two
    compacts that got the same id (a restored database)."""
    from pacte.accounts.models import Organisation

    organisations = Organisation.objects.aggregate(count=Count("pk"), last=Max("updated_at"))
    parts = [
        compact.pk,
        compact.created_at.isoformat(),
        compact.content_version,
        organisations["count"],
        organisations["last"],
        get_language(),
        timezone.localdate().isoformat(),
        *sorted(access.capabilities),
    ]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"compacts:overview:{compact.pk}:{digest}"


# How long a process keeps a rendered compact overview, list or rows of the list (views and API). Their
# keys change with every change to the compacts (overview_cache_key, compact_list_cache_key,
# compact_rows_cache_key), so this only bounds the memory held by unused entries.
CACHE_SECONDS = 6 * 60 * 60


def compacts_state() -> tuple[Any, ...]:
    """What every cached list of compacts depends on besides the user, the language and the date, read
    in two small queries: the compacts (how many, the newest, the sum of their content versions, which
    every service and the admin site bump with any change to a compact, its records, who takes part
    and in which role) and the organisations (names, and active or not: an inactive organisation's
    users see nothing)."""
    from pacte.accounts.models import Organisation

    compacts = Compact.objects.aggregate(
        n=Count("pk"), last=Max("pk"), versions=Sum("content_version"), changed=Max("updated_at")
    )
    organisations = Organisation.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    return (*compacts.values(), *organisations.values())


def compact_list_cache_key(user: User, variant: str) -> str:
    """The key under which a list of the compacts ``user`` may see is cached: ``variant`` names the
    list (the page or endpoint, with its query string). The list changes with the compacts and the
    organisations (``compacts_state``), with who the user is (their organisation, site administrator
    or not), the language and today's date (expired or not, days left)."""
    parts = [
        *compacts_state(),
        user.pk,
        user.organisation_id,
        user.is_superuser,
        get_language(),
        timezone.localdate().isoformat(),
        variant,
    ]
    return "compacts:list:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def compact_rows_cache_key(compacts: list[Compact]) -> str:
    """The key under which the compact list caches the rendering of these rows: what a row shows
    comes from the compact alone (changed only through the services, which bump its content version),
    the language and today's date (expired or not, days left)."""
    parts: list[Any] = [get_language(), timezone.localdate().isoformat()]
    parts += [(c.pk, c.created_at.isoformat(), c.content_version) for c in compacts]
    return "compacts:rows:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def objective_choices(compact: Compact, access: Access) -> QuerySet[Objective]:
    return filter_visibility(compact.objectives.all(), access)


__all__ = [
    "Communication",
    "Document",
    "compact_overview",
    "get_compact",
    "get_record",
    "visible_compacts",
    "visible_records",
]


# -- reads of the web interface (compacts.views) ----------------------------------------------------
def compact_records(compact: Compact, access: Access, model: type[Model]) -> QuerySet[Any]:
    """The records of ``model`` that belong to ``compact`` and that ``access`` may see."""
    return filter_visibility(model._default_manager.filter(**{compact_path(model): compact}), access)


def get_compact_record(compact: Compact, access: Access, model: type[Model], pk: Any) -> Any:
    """One record of ``compact``; 404 when it belongs to another compact or is hidden from the user."""
    try:
        return compact_records(compact, access, model).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


def communications_for(compact: Compact, access: Access) -> QuerySet[Communication]:
    """The communications log, with only the focal points the user may see as sender and recipients."""
    focal_points = filter_visibility(FocalPoint.objects.select_related("party"), access)
    return (
        compact_records(compact, access, Communication)
        .select_related("sender__party")
        .prefetch_related(Prefetch("recipients", queryset=focal_points, to_attr="visible_recipients"))
    )


def meetings_for(compact: Compact, access: Access) -> QuerySet[Meeting]:
    activities = filter_visibility(Activity.objects.select_related("objective"), access)
    return compact_records(compact, access, Meeting).prefetch_related(
        Prefetch("validated_activities", queryset=activities, to_attr="visible_validated_activities")
    )


def committee_members(compact: Compact) -> QuerySet[CommitteeMember]:
    members = CommitteeMember.objects.filter(committee__compact=compact)
    return members.select_related("organisation", "party", "user")


def focal_point_history(compact: Compact, access: Access) -> tuple[list[FocalPoint], list[FocalPointChange]]:
    """Every focal point (current and former) and every change of focal point the user may see."""
    focal_points = compact_records(compact, access, FocalPoint).select_related("party", "organisation")
    changes = compact_records(compact, access, FocalPointChange).select_related("party", "new", "previous")
    return list(focal_points), list(changes)


def access_records(compact: Compact) -> tuple[list[Participation], list[Membership]]:
    participations = list(compact.participations.select_related("organisation", "party"))
    memberships = list(compact.memberships.select_related("user__organisation"))
    return participations, memberships


def organisation_choices() -> QuerySet[Any]:
    from pacte.accounts.models import Organisation

    return Organisation.objects.filter(is_active=True)


def participating_organisations(compact: Compact) -> QuerySet[Any]:
    from pacte.accounts.models import Organisation

    return Organisation.objects.filter(participations__compact=compact)


def participating_users(compact: Compact) -> QuerySet[Any]:
    """Users who may receive a role on ``compact``: members of its participating organisations."""
    from pacte.accounts.models import User

    return User.objects.filter(is_active=True, organisation__participations__compact=compact).select_related(
        "organisation"
    )


# -- reads for the REST API (appended; see pacte/compacts/api/) -------------------------------------
def attach_amounts(user: User | None, compacts: list[Compact]) -> list[Compact]:
    """Set ``ceiling_amount`` (the US ceiling, when the user may see that record) and
    ``committed_amount`` (the funding commitments the user may see, as ``compact_overview`` counts
    them: a non-public figure never leaks into a total) on each of ``compacts``, which the user may see.

    One query for the whole list, whatever its length (the ceiling and funding totals of each compact
    by visibility), and a second one only when some of these figures are non-public: on which of these
    compacts the user may see non-public records."""
    for compact in compacts:
        compact.ceiling_amount = None  # type: ignore[attr-defined]
        compact.committed_amount = Decimal("0")  # type: ignore[attr-defined]
    if not compacts or _anonymous(user):
        return compacts
    assert user is not None
    by_id = {compact.pk: compact for compact in compacts}
    totals = list(
        Commitment.objects.filter(
            compact_id__in=by_id, kind__in=[Commitment.Kind.CEILING, Commitment.Kind.FUNDING]
        )
        .order_by()
        .values("compact_id", "kind", "visibility")
        .annotate(total=Sum("amount"))
        .values_list("compact_id", "kind", "visibility", "total")
    )
    sees_non_public: set[int] = set()
    if any(visibility != Visibility.PUBLIC for _id, _kind, visibility, _total in totals):
        sees_non_public = set(
            compacts_with_non_public(user).filter(pk__in=by_id).values_list("pk", flat=True)
        )
    for compact_id, kind, visibility, total in totals:
        if visibility != Visibility.PUBLIC and compact_id not in sees_non_public:
            continue
        compact = by_id[compact_id]
        if kind == Commitment.Kind.CEILING:
            compact.ceiling_amount = total  # type: ignore[attr-defined]  # one ceiling per compact
        elif total is not None:
            compact.committed_amount += total  # type: ignore[attr-defined]
    return compacts


def assignable_users(user: User | None) -> QuerySet[Any]:
    """Active users whose organisation takes part in a compact ``user`` may see: the people ``user``
    may name in a role or on a monitoring committee (services check the compact itself)."""
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager.filter(is_active=True)
    if _anonymous(user):
        return users.none()
    participating = Participation.objects.filter(
        organisation_id=OuterRef("organisation_id"), compact__in=visible_compacts(user).values("pk")
    )
    return users.filter(Exists(participating))


def visible_focal_point_changes(user: User | None) -> QuerySet[FocalPointChange]:
    """Changes of focal point the user may see: those whose new focal point the user may see (a change
    has no visibility of its own; the focal point it brings in has)."""
    focal_points = visible_records(user, FocalPoint).values("pk")
    return visible_records(user, FocalPointChange).filter(new__in=focal_points)
