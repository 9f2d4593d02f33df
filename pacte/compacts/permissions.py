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
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

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


def access_for(user: User | None, compact: Compact) -> Access:
    """What ``user`` may do on ``compact``. Two small queries at most; cache per request if needed."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    if user.is_superuser:
        return Access(frozenset(C), role="site_admin")
    capabilities: set[Capability] = set()
    role = None
    # A deactivated organisation takes its people's access with it.
    membership = (
        Membership.objects.filter(compact=compact, user=user, user__organisation__is_active=True)
        .only("role")
        .first()
    )
    if membership is not None:
        role = membership.role
        capabilities |= ROLE_CAPABILITIES[membership.role]
    if user.organisation_id:
        participation = (
            Participation.objects.filter(
                compact=compact, organisation_id=user.organisation_id, organisation__is_active=True
            )
            .only("role")
            .first()
        )
        if participation is not None:
            capabilities.add(C.VIEW)
            if participation.role in PRIVILEGED_PARTICIPATIONS:
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
