"""The compact's US ceiling is compact information: the portfolio shows it only to those who may see
it on the compact (a partner funded under a compact it does not take part in sees its award, not the
ceiling; a non-public ceiling stays with those who see non-public information)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pacte.core.models import Visibility
from pacte.grants import selectors

pytestmark = pytest.mark.django_db

TEN_MILLION = Decimal(10_000_000)


def ceilings(user, compact) -> tuple[Decimal | None, Decimal | None, Decimal | None]:  # type: ignore[no-untyped-def]
    by_compact = selectors.portfolio(user, group_by="compact")
    row = next(r for r in by_compact.rows if r.key == compact.pk)
    filtered = selectors.portfolio(user, compact=compact)
    return row.ceiling, by_compact.total.ceiling, filtered.total.ceiling


def test_officer_and_compact_participants_see_the_ceiling(award, compact, officer, observer):  # type: ignore[no-untyped-def]
    assert ceilings(officer, compact) == (TEN_MILLION, TEN_MILLION, TEN_MILLION)
    assert ceilings(observer, compact) == (TEN_MILLION, TEN_MILLION, TEN_MILLION)
    assert selectors.compact_funding(observer, compact).total.ceiling == TEN_MILLION


def test_a_funded_partner_outside_the_compact_sees_its_award_not_the_ceiling(award, compact, applicant):  # type: ignore[no-untyped-def]
    row_ceiling, total_ceiling, filtered_ceiling = ceilings(applicant, compact)
    assert (row_ceiling, total_ceiling, filtered_ceiling) == (None, None, None)
    assert selectors.portfolio(applicant).total.awarded == Decimal(1_000_000)


def test_a_non_public_ceiling_is_hidden_from_a_public_only_participant(  # type: ignore[no-untyped-def]
    award, compact, us_ceiling, officer, observer
):
    us_ceiling.visibility = Visibility.NON_PUBLIC
    us_ceiling.save()
    assert ceilings(observer, compact) == (None, None, None)
    assert selectors.compact_funding(observer, compact).total.ceiling is None
    assert ceilings(officer, compact) == (TEN_MILLION, TEN_MILLION, TEN_MILLION)
