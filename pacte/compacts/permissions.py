"""Who may do what on a compact.

The model, designed for what comes later:

* **Organisation first.** A user sees a compact only when their organisation takes part in it
  (a ``Participation``) or they hold a role on it (a ``Membership``). Site administrators see every
  compact. Nothing is visible by default.
* **Non-public information** (section X) is shown only to organisations acting for a party or as
  implementing partner, and to members holding a role other than *viewer*. It stays protected after
  the compact ends: visibility never depends on the status.
* **Capabilities, not roles, are checked** by services and views, through ``access_for``. A role is a
  named set of capabilities (``ROLE_CAPABILITIES``).
* **Children's case files** (later) will not use this table at all: a case file will be readable only
  by the organisation that holds it and the organisations it was referred to with recorded consent,
  and *not* by site administrators. The case-management app will own that rule in its own selectors;
  nothing here grants it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, IntegerField, OuterRef, Subquery, Value

from .models import Compact, Membership, Participation

if TYPE_CHECKING:
    from pacte.accounts.models import User


class Capability(enum.StrEnum):
    VIEW = "view"
    VIEW_NON_PUBLIC = "view_non_public"
    EDIT = "edit"  # the agreement itself: objectives, activities, indicators, parties, focal points…
    CHANGE_STATUS = "change_status"
    MANAGE_ACCESS = "manage_access"  # memberships and participating organisations
    COMMUNICATE = "communicate"  # record written communications
    RECORD_MEETINGS = "record_meetings"  # meetings and the monitoring committee
    # Results (section VI). Reporting also needs the organisation to be named as a reporter of the
    # indicator; reviewers never approve their own organisation's values.
    DEFINE_INDICATORS = "define_indicators"  # units, baselines, targets, disaggregations, reporters
    REPORT_RESULTS = "report_results"  # submit values and write the annual report's narrative
    REVIEW_RESULTS = "review_results"  # approve or return submissions, lock periods


R = Membership.Role
C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    R.PROGRAMME_OFFICER: frozenset(C),
    R.GOVERNMENT_FOCAL_POINT: frozenset(
        {C.VIEW, C.VIEW_NON_PUBLIC, C.EDIT, C.COMMUNICATE, C.RECORD_MEETINGS, C.REPORT_RESULTS}
    ),
    R.IMPLEMENTING_PARTNER: frozenset({C.VIEW, C.VIEW_NON_PUBLIC, C.COMMUNICATE, C.REPORT_RESULTS}),
    R.MONITORING_COMMITTEE_MEMBER: frozenset(
        {
            C.VIEW,
            C.VIEW_NON_PUBLIC,
            C.COMMUNICATE,
            C.RECORD_MEETINGS,
            C.DEFINE_INDICATORS,
            C.REVIEW_RESULTS,
        }
    ),
    R.VIEWER: frozenset({C.VIEW}),
}
PRIVILEGED_PARTICIPATIONS = (Participation.Role.PARTY_BODY, Participation.Role.IMPLEMENTING_PARTNER)


@dataclass(frozen=True)
class Access:
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    role: str | None = None

    def __contains__(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def can_view(self) -> bool:
        return C.VIEW in self.capabilities

    @property
    def can_view_non_public(self) -> bool:
        return C.VIEW_NON_PUBLIC in self.capabilities

    @property
    def can_edit(self) -> bool:
        return C.EDIT in self.capabilities


NO_ACCESS = Access()


def _membership_roles(user: User) -> Any:
    # A deactivated organisation takes its people's access with it.
    return Membership.objects.filter(user=user, user__organisation__is_active=True).values("role")


def _participation_roles(organisation_id: int) -> Any:
    return Participation.objects.filter(organisation_id=organisation_id, organisation__is_active=True).values(
        "role"
    )


def role_annotations(user: User) -> dict[str, Any]:
    """Annotations that carry the user's role on each compact and their organisation's participation,
    so that ``access_for`` reads them from the compact's own query instead of two more queries (the
    compact page and every page of a compact fetch the compact this way: selectors.get_compact)."""
    return {
        "access_user_id": Value(user.pk, output_field=IntegerField()),
        "access_membership_role": Subquery(_membership_roles(user).filter(compact=OuterRef("pk"))[:1]),
        "access_participation_role": (
            Subquery(_participation_roles(user.organisation_id).filter(compact=OuterRef("pk"))[:1])
            if user.organisation_id
            else Value(None, output_field=CharField())
        ),
    }


def _roles(user: User, compact: Compact) -> tuple[str | None, str | None]:
    """The user's role on ``compact`` and their organisation's participation, or None for each."""
    if getattr(compact, "access_user_id", None) == user.pk:  # annotated by role_annotations(user)
        return compact.access_membership_role, compact.access_participation_role  # type: ignore[attr-defined]
    membership = _membership_roles(user).filter(compact=compact).first()
    participation = None
    if user.organisation_id:
        participation = _participation_roles(user.organisation_id).filter(compact=compact).first()
    return (
        membership["role"] if membership else None,
        participation["role"] if participation else None,
    )


def access_for(user: User | None, compact: Compact) -> Access:
    """What ``user`` may do on ``compact``: two small queries, or none when the compact was fetched
    with ``role_annotations(user)``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    if user.is_superuser:
        return Access(frozenset(C), role="site_admin")
    capabilities: set[Capability] = set()
    role, participation_role = _roles(user, compact)
    if role is not None:
        capabilities |= ROLE_CAPABILITIES[role]
    if participation_role is not None and user.organisation_id:
        capabilities.add(C.VIEW)
        if participation_role in PRIVILEGED_PARTICIPATIONS:
            # Party bodies and implementing partners see non-public records and report results.
            capabilities |= {C.VIEW_NON_PUBLIC, C.REPORT_RESULTS}
    if compact.visibility != "public" and C.VIEW_NON_PUBLIC not in capabilities:
        return NO_ACCESS
    return Access(frozenset(capabilities), role=role)


def require(user: User | None, compact: Compact, capability: Capability) -> Access:
    """Raise PermissionDenied unless ``user`` has ``capability`` on ``compact``.

    Callers first fetch the compact through a selector, so a compact the user cannot see at all
    answers 404 before this is reached; this guards what a visible compact allows.
    """
    access = access_for(user, compact)
    if capability not in access:
        raise PermissionDenied
    return access


def can_create_compact(user: User | None) -> bool:
    """Programme officers of a donor office (the TIP Office) and site administrators open compacts."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    organisation = user.organisation
    return (
        organisation is not None
        and organisation.is_active
        and organisation.org_type == organisation.Type.DONOR_OFFICE
    )
