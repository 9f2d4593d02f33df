"""Who may see and do what in the country evidence base.

* Country profiles hold published figures (TIP tiers, CPI, Freedom House, World Bank, Factbook):
  every signed-in, active user may read them.
* Qualitative ratings, selection models and selection runs are the TIP Office's internal deliberation
  on which countries to offer a compact: only users of a donor office and site administrators see or
  change them. Partner governments and implementing partners never see them.
* Imports and hand-entered figures (e.g. tier placements for 2016 on) change the evidence base:
  donor-office users and site administrators only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from pacte.accounts.models import User


def _active(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_view_profiles(user: User | None) -> bool:
    return _active(user)


def is_selection_staff(user: User | None) -> bool:
    if not _active(user):
        return False
    assert user is not None
    if user.is_superuser:
        return True
    organisation = user.organisation
    return bool(
        organisation is not None
        and organisation.is_active
        and organisation.org_type == organisation.Type.DONOR_OFFICE
    )


def require_selection_staff(user: User | None) -> None:
    if not is_selection_staff(user):
        raise PermissionDenied
