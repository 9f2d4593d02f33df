"""selectors.get_compact fetches a compact by id and lets access_for decide: it must open exactly the
compacts that visible_compacts lists, for every kind of user."""

from __future__ import annotations

import itertools

import pytest
from django.http import Http404

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models
from pacte.compacts.factories import make_compact_with_parties
from pacte.compacts.permissions import access_for, role_annotations
from pacte.compacts.selectors import get_compact, visible_compacts
from pacte.core.models import Visibility

pytestmark = pytest.mark.django_db

MEMBERSHIP_ROLES = [None, *models.Membership.Role.values]
PARTICIPATION_ROLES = [None, *models.Participation.Role.values]


def opens(user, compact) -> bool:  # type: ignore[no-untyped-def]
    try:
        found, access = get_compact(user, compact.pk)
    except Http404:
        return False
    assert found == compact and access.can_view
    return True


def test_get_compact_opens_exactly_the_visible_compacts():
    public = make_compact_with_parties(title="Public")
    secret = make_compact_with_parties(title="Non public", visibility=Visibility.NON_PUBLIC)
    combinations = itertools.product(MEMBERSHIP_ROLES, PARTICIPATION_ROLES, [True, False], [True, False])
    checked = 0
    for n, (membership, participation, org_active, user_active) in enumerate(combinations):
        org = OrganisationFactory(
            name=f"Organisation {n}", org_type=Organisation.Type.PARTNER_GOVERNMENT, is_active=org_active
        )
        user = UserFactory(username=f"user{n}", organisation=org, is_active=user_active)
        for compact in (public, secret):
            if participation:
                models.Participation.objects.create(compact=compact, organisation=org, role=participation)
            if membership:
                models.Membership.objects.create(compact=compact, user=user, role=membership)
            expected = visible_compacts(user).filter(pk=compact.pk).exists()
            assert opens(user, compact) == expected, (membership, participation, org_active, user_active)
            checked += expected
    assert checked  # some combinations do see the compacts
    for active in (True, False):
        admin = UserFactory(
            username=f"admin-{active}", organisation=None, is_superuser=True, is_active=active
        )
        assert opens(admin, public) == opens(admin, secret) == active
    assert not opens(None, public)


@pytest.mark.parametrize("pk", [0, 10**9, "abc", None])
def test_get_compact_answers_404_for_ids_that_are_not_compacts(officer, pk):  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        get_compact(officer, pk)


def test_roles_read_from_the_compact_query_give_the_same_access(  # type: ignore[no-untyped-def]
    compact, officer, observer, outsider, django_assert_num_queries
):
    """get_compact reads the user's roles from the compact's own query (role_annotations); access_for
    must then decide as it does with its own queries, and use those roles for that user only."""
    nobody = UserFactory(username="sans-organisation", organisation=None)
    for user in (officer, observer, outsider, nobody):
        expected = access_for(user, compact)
        annotated = models.Compact.objects.annotate(**role_annotations(user)).get(pk=compact.pk)
        with django_assert_num_queries(0):
            assert access_for(user, annotated) == expected
    for_officer = models.Compact.objects.annotate(**role_annotations(officer)).get(pk=compact.pk)
    expected = access_for(outsider, compact)
    with django_assert_num_queries(2):  # the outsider's own membership and participation
        assert access_for(outsider, for_officer) == expected
    assert access_for(officer, for_officer).can_edit and not access_for(outsider, for_officer).can_view
