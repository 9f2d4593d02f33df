"""Who may see and do what with funding.

* **Grants officers** are the people of an active donor office (the TIP Office) and site
  administrators: they publish opportunities, assign reviewers, decide awards, record budgets,
  commitments and disbursements, decide emergency requests, and see everything here.
* **Published opportunities** (published, closed, awarded) are open to every signed-in user, so that
  any organisation may apply; drafts and cancelled ones only to grants officers.
* **An application** is seen by its organisation's people, by grants officers and, once submitted, by
  the reviewers assigned to its opportunity. Reviewers' declarations and scores are never shown to
  applicants.
* **An award**, its budgets and transactions are seen by grants officers, by the implementing
  partner's people and, under a compact, by everyone who may open that compact. The implementing
  partner records its own expenditures.
* **An emergency request** is seen by the requesting organisation and grants officers.

Object-level checks live here; the selectors filter with the same rules (``selectors.py``); the
services call ``require_*`` before every write. A record you may not see answers 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from pacte.compacts.permissions import access_for, can_create_compact

from .models import Application, Award, EmergencyRequest, FundingOpportunity, ReviewerAssignment

if TYPE_CHECKING:
    from pacte.accounts.models import User

PUBLISHED_STATUSES = (
    FundingOpportunity.Status.PUBLISHED,
    FundingOpportunity.Status.CLOSED,
    FundingOpportunity.Status.AWARDED,
)
REVIEWABLE_STATUSES = (
    Application.Status.SUBMITTED,
    Application.Status.AWARDED,
    Application.Status.NOT_SELECTED,
)


def _active(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _own_organisation(user: User | None, organisation_id: int | None) -> bool:
    return (
        _active(user)
        and user is not None
        and organisation_id is not None
        and user.organisation_id == organisation_id
        and user.organisation is not None
        and user.organisation.is_active
    )


def is_grants_officer(user: User | None) -> bool:
    """People of an active donor office, and site administrators (the same rule as opening a compact)."""
    return can_create_compact(user)


def is_reviewer(user: User | None, opportunity: FundingOpportunity) -> bool:
    return (
        _active(user)
        and user is not None
        and ReviewerAssignment.objects.filter(opportunity=opportunity, reviewer=user).exists()
    )


def can_view_opportunity(user: User | None, opportunity: FundingOpportunity) -> bool:
    if not _active(user):
        return False
    return opportunity.status in PUBLISHED_STATUSES or is_grants_officer(user)


def can_view_application(user: User | None, application: Application) -> bool:
    if is_grants_officer(user) or _own_organisation(user, application.organisation_id):
        return True
    return application.status in REVIEWABLE_STATUSES and is_reviewer(user, application.opportunity)


def can_edit_application(user: User | None, application: Application) -> bool:
    """The applying organisation's people, while the application is a draft."""
    return application.status == Application.Status.DRAFT and _own_organisation(
        user, application.organisation_id
    )


def can_view_award(user: User | None, award: Award) -> bool:
    if is_grants_officer(user) or _own_organisation(user, award.organisation_id):
        return True
    return award.compact is not None and access_for(user, award.compact).can_view


def can_record_expenditure(user: User | None, award: Award) -> bool:
    return is_grants_officer(user) or _own_organisation(user, award.organisation_id)


def can_view_emergency_request(user: User | None, request: EmergencyRequest) -> bool:
    return is_grants_officer(user) or _own_organisation(user, request.organisation_id)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def require_grants_officer(user: User | None) -> None:
    require(is_grants_officer(user))
