"""The permission model: who may do what on a compact, checked through the services and selectors
(views and the API call the same functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import services
from pacte.compacts.factories import (
    ActivityFactory,
    ObjectiveFactory,
    donor_officer,
    make_compact_with_parties,
)
from pacte.compacts.models import (
    Activity,
    Amendment,
    Communication,
    Compact,
    FocalPoint,
    Meeting,
    Membership,
    MonitoringCommittee,
    Objective,
    Participation,
    Party,
    latest_end_date,
)
from pacte.compacts.permissions import (
    NO_ACCESS,
    ROLE_CAPABILITIES,
    Capability,
    access_for,
    can_create_compact,
    require,
)
from pacte.compacts.selectors import get_compact, get_record, visible_compacts, visible_records
from pacte.core.models import Visibility

C = Capability
R = Membership.Role
D = dt.date
ALL = frozenset(C)

# What each kind of user may do on the compact: written out here, not derived from ROLE_CAPABILITIES,
# so that a change of the table has to be a deliberate change of this specification too.
EXPECTED: dict[str, frozenset[Capability]] = {
    R.PROGRAMME_OFFICER: ALL,
    R.GOVERNMENT_FOCAL_POINT: frozenset(
        {C.VIEW, C.VIEW_NON_PUBLIC, C.EDIT, C.COMMUNICATE, C.RECORD_MEETINGS, C.REPORT_RESULTS}
    ),
    R.IMPLEMENTING_PARTNER: frozenset({C.VIEW, C.VIEW_NON_PUBLIC, C.COMMUNICATE, C.REPORT_RESULTS}),
    R.MONITORING_COMMITTEE_MEMBER: frozenset(
        {C.VIEW, C.VIEW_NON_PUBLIC, C.COMMUNICATE, C.RECORD_MEETINGS, C.DEFINE_INDICATORS, C.REVIEW_RESULTS}
    ),
    R.VIEWER: frozenset({C.VIEW}),
    "site_admin": ALL,
    "party_body_organisation": frozenset({C.VIEW, C.VIEW_NON_PUBLIC, C.REPORT_RESULTS}),
    "implementing_partner_organisation": frozenset({C.VIEW, C.VIEW_NON_PUBLIC, C.REPORT_RESULTS}),
    "observer_organisation": frozenset({C.VIEW}),
    "outsider": frozenset(),
    "inactive_programme_officer": frozenset(),
    "anonymous": frozenset(),
}


def test_role_table_matches_the_specification():
    assert set(ROLE_CAPABILITIES) == set(R)
    for role in R:
        assert ROLE_CAPABILITIES[role] == EXPECTED[role], role


def make_user(compact: Compact, who: str) -> Any:
    """A user of the kind ``who`` on ``compact``. Role holders belong to an organisation that only
    observes the compact, so that what they may do comes from their role alone."""
    partner = compact.parties.get(kind=Party.Kind.PARTNER_COUNTRY)
    if who == "anonymous":
        return AnonymousUser()
    if who == "site_admin":
        return UserFactory(username="admin", organisation=None, is_superuser=True, is_staff=True)
    if who == "outsider":
        return UserFactory(organisation=OrganisationFactory(name="Unrelated"))
    if who == "inactive_programme_officer":
        return donor_officer(compact, is_active=False)
    participation_role = {
        "party_body_organisation": Participation.Role.PARTY_BODY,
        "implementing_partner_organisation": Participation.Role.IMPLEMENTING_PARTNER,
    }.get(who, Participation.Role.OBSERVER)
    org_type = (
        Organisation.Type.IMPLEMENTING_PARTNER
        if participation_role == Participation.Role.IMPLEMENTING_PARTNER
        else Organisation.Type.PARTNER_GOVERNMENT
    )
    org = OrganisationFactory(
        name=f"Org of {who}",
        org_type=org_type,
        partner_kind="ngo" if org_type == Organisation.Type.IMPLEMENTING_PARTNER else "",
    )
    Participation.objects.create(
        compact=compact,
        organisation=org,
        role=participation_role,
        party=partner if participation_role == Participation.Role.PARTY_BODY else None,
    )
    user = UserFactory(organisation=org)
    if who in R.values:
        Membership.objects.create(compact=compact, user=user, role=who)
    return user


@dataclass
class World:
    compact: Compact
    objective: Objective
    secret_objective: Objective
    activity: Activity
    us_focal_point: FocalPoint
    partner_focal_point: FocalPoint
    candidate: Any  # a user of a participating organisation, who may receive a role
    newcomer: Organisation  # an organisation that does not take part yet


@pytest.fixture
def world(compact) -> World:
    # In force today, whenever the suite runs, so that it can be terminated today.
    start = timezone.localdate() - dt.timedelta(days=400)
    Compact.objects.filter(pk=compact.pk).update(
        start_date=start, signature_date=start, end_date=latest_end_date(start)
    )
    compact.refresh_from_db()
    us = compact.parties.get(kind=Party.Kind.UNITED_STATES)
    partner = compact.parties.get(kind=Party.Kind.PARTNER_COUNTRY)
    objective = ObjectiveFactory(compact=compact, number=1)
    secret = ObjectiveFactory(compact=compact, number=2, visibility=Visibility.NON_PUBLIC)
    candidate_org = OrganisationFactory(name="CNLTP")
    Participation.objects.create(
        compact=compact, organisation=candidate_org, role=Participation.Role.PARTY_BODY, party=partner
    )
    return World(
        compact=compact,
        objective=objective,
        secret_objective=secret,
        activity=ActivityFactory(objective=objective),
        us_focal_point=FocalPoint.objects.create(
            compact=compact, party=us, name="JTIP", email="j@example.org"
        ),
        partner_focal_point=FocalPoint.objects.create(
            compact=compact, party=partner, name="CNS", email="cns@example.ci"
        ),
        candidate=UserFactory(username="candidate", organisation=candidate_org),
        newcomer=OrganisationFactory(
            name="New NGO", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
        ),
    )


# Every write, with the capability it needs.
OPERATIONS: dict[str, tuple[Capability, Callable[[Any, World], Any]]] = {
    "update_compact": (
        C.EDIT,
        lambda u, w: services.update_compact(user=u, compact=w.compact, data={"title": "Renamed"}).title,
    ),
    "save_record_objective": (
        C.EDIT,
        lambda u, w: (
            services.save_record(
                user=u,
                instance=Objective(compact=w.compact),
                data={"pillar": "protection", "statement": "Les victimes sont protégées."},
            ).pk
        ),
    ),
    "delete_record_activity": (C.EDIT, lambda u, w: services.delete_record(user=u, instance=w.activity)),
    "record_amendment": (
        C.EDIT,
        lambda u, w: (
            services.record_amendment(
                user=u,
                compact=w.compact,
                data={
                    "kind": Amendment.Kind.AMENDMENT,
                    "title": "Avenant",
                    "requested_by": w.us_focal_point.party,
                    "request_date": D(2023, 1, 31),
                    "request_reference": "L-1",
                    "effective_date": D(2023, 4, 30),
                },
            ).pk
        ),
    ),
    "change_focal_point": (
        C.EDIT,
        lambda u, w: (
            services.change_focal_point(
                user=u,
                compact=w.compact,
                party=w.partner_focal_point.party,
                previous=w.partner_focal_point,
                new_data={"name": "CIM", "email": "cim@example.ci"},
                changed_on=D(2023, 3, 1),
            ).pk
        ),
    ),
    "change_status": (
        C.CHANGE_STATUS,
        lambda u, w: (
            services.change_status(
                user=u,
                compact=w.compact,
                action="terminate",
                on=timezone.localdate(),
                reason="Décision conjointe",
            ).status
        ),
    ),
    "save_record_communication": (
        C.COMMUNICATE,
        lambda u, w: (
            services.save_record(
                user=u,
                instance=Communication(compact=w.compact),
                data={"sent_on": D(2023, 5, 2), "sender": w.partner_focal_point, "subject": "Rapport"},
                m2m={"recipients": [w.us_focal_point]},
            ).pk
        ),
    ),
    "save_record_meeting": (
        C.RECORD_MEETINGS,
        lambda u, w: (
            services.save_record(
                user=u,
                instance=Meeting(compact=w.compact),
                data={"kind": Meeting.Kind.COMMITTEE, "date": D(2023, 6, 1)},
            ).pk
        ),
    ),
    "grant_role": (
        C.MANAGE_ACCESS,
        lambda u, w: services.grant_role(user=u, compact=w.compact, member=w.candidate, role=R.VIEWER).pk,
    ),
    "add_participation": (
        C.MANAGE_ACCESS,
        lambda u, w: (
            services.add_participation(
                user=u,
                compact=w.compact,
                organisation=w.newcomer,
                role=Participation.Role.IMPLEMENTING_PARTNER,
            ).pk
        ),
    ),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_access_for(world, who):
    user = make_user(world.compact, who)
    access = access_for(user, world.compact)
    assert access.capabilities == EXPECTED[who]
    assert access.can_view == (C.VIEW in EXPECTED[who])
    assert access.can_view_non_public == (C.VIEW_NON_PUBLIC in EXPECTED[who])
    assert access.can_edit == (C.EDIT in EXPECTED[who])
    if who in R.values:
        assert access.role == who


# What each write leaves in the database when it succeeds.
EFFECTS: dict[str, Callable[[World], bool]] = {
    "update_compact": lambda w: Compact.objects.filter(pk=w.compact.pk, title="Renamed").exists(),
    "save_record_objective": lambda w: Objective.objects.filter(
        compact=w.compact, pillar="protection"
    ).exists(),
    "delete_record_activity": lambda w: not Activity.objects.filter(pk=w.activity.pk).exists(),
    "record_amendment": lambda w: Amendment.objects.filter(compact=w.compact).exists(),
    "change_focal_point": lambda w: not FocalPoint.objects.get(pk=w.partner_focal_point.pk).is_active,
    "change_status": lambda w: Compact.objects.get(pk=w.compact.pk).status == Compact.Status.TERMINATED,
    "save_record_communication": lambda w: Communication.objects.filter(compact=w.compact).exists(),
    "save_record_meeting": lambda w: Meeting.objects.filter(compact=w.compact).exists(),
    "grant_role": lambda w: Membership.objects.filter(compact=w.compact, user=w.candidate).exists(),
    "add_participation": lambda w: Participation.objects.filter(organisation=w.newcomer).exists(),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("who", list(EXPECTED))
def test_services_allow_exactly_what_the_capabilities_allow(world, who, operation):
    capability, run = OPERATIONS[operation]
    user = make_user(world.compact, who)
    if capability in EXPECTED[who]:
        run(user, world)
        assert EFFECTS[operation](world)
    else:
        with pytest.raises(PermissionDenied):
            run(user, world)
        assert not any(effect(world) for effect in EFFECTS.values())


@pytest.mark.parametrize("who", list(EXPECTED))
def test_selectors_show_what_the_capabilities_allow(world, who):
    user = make_user(world.compact, who)
    expected = EXPECTED[who]
    assert visible_compacts(user).filter(pk=world.compact.pk).exists() == (C.VIEW in expected)
    objectives = set(visible_records(user, Objective))
    if C.VIEW not in expected:
        assert objectives == set()
        with pytest.raises(Http404):
            get_compact(user, world.compact.pk)
        with pytest.raises(Http404):
            get_record(user, Objective, world.objective.pk)
        return
    compact, access = get_compact(user, world.compact.pk)
    assert compact == world.compact and access.capabilities == expected
    assert world.objective in objectives
    assert (world.secret_objective in objectives) == (C.VIEW_NON_PUBLIC in expected)
    if C.VIEW_NON_PUBLIC not in expected:
        with pytest.raises(Http404):
            get_record(user, Objective, world.secret_objective.pk)


@pytest.mark.parametrize(
    "model", [Party, Objective, Activity, FocalPoint, Participation, Membership, MonitoringCommittee]
)
def test_an_outsider_gets_nothing_from_selectors(world, officer, outsider, model):
    assert model.objects.filter(
        **{"compact" if model is not Activity else "objective__compact": world.compact}
    )
    assert not visible_records(outsider, model).exists()
    assert not visible_compacts(outsider).exists()


def test_an_outsider_gets_404_for_each_record(world, outsider):
    with pytest.raises(Http404):
        get_compact(outsider, world.compact.pk)
    for model, record in (
        (Objective, world.objective),
        (Activity, world.activity),
        (FocalPoint, world.us_focal_point),
    ):
        with pytest.raises(Http404):
            get_record(outsider, model, record.pk)


def test_outsider_cannot_delete_even_what_nobody_may_delete(world, officer, outsider):
    amendment = OPERATIONS["record_amendment"][1](officer, world)
    with pytest.raises(PermissionDenied):
        services.delete_record(user=outsider, instance=Amendment.objects.get(pk=amendment))
    with pytest.raises(PermissionDenied):
        services.save_record(user=outsider, instance=world.objective, data={"statement": "Hijacked"})
    with pytest.raises(PermissionDenied):
        services.record_notification(
            user=outsider,
            change=services.change_focal_point(
                user=officer,
                compact=world.compact,
                party=world.us_focal_point.party,
                new_data={"name": "Embassy", "email": "e@example.org"},
                changed_on=D(2023, 1, 1),
            ),
            notified_on=D(2023, 1, 2),
        )


def test_inactive_site_admin_sees_nothing(world):
    admin = UserFactory(username="gone", organisation=None, is_superuser=True, is_active=False)
    assert access_for(admin, world.compact) is NO_ACCESS
    assert not visible_compacts(admin).exists()
    assert not visible_records(admin, Objective).exists()


@pytest.mark.parametrize("who", ["viewer_member", "observer_org"])
def test_a_non_public_compact_is_invisible_without_non_public_access(world, who):
    Compact.objects.filter(pk=world.compact.pk).update(visibility=Visibility.NON_PUBLIC)
    world.compact.refresh_from_db()
    user = make_user(world.compact, R.VIEWER if who == "viewer_member" else "observer_organisation")
    assert access_for(user, world.compact) is NO_ACCESS
    assert not visible_compacts(user).exists()
    assert not visible_records(user, Objective).exists()
    with pytest.raises(Http404):
        get_compact(user, world.compact.pk)
    with pytest.raises(PermissionDenied):
        require(user, world.compact, C.VIEW)


@pytest.mark.parametrize(
    "who", ["party_body_organisation", "implementing_partner_organisation", R.VIEWER + "_party"]
)
def test_a_non_public_compact_is_visible_to_the_parties_and_their_partners(world, who):
    Compact.objects.filter(pk=world.compact.pk).update(visibility=Visibility.NON_PUBLIC)
    if who == R.VIEWER + "_party":  # a viewer whose organisation acts for a party
        user = world.candidate
        Membership.objects.create(compact=world.compact, user=user, role=R.VIEWER)
    else:
        user = make_user(world.compact, who)
    compact, access = get_compact(user, world.compact.pk)
    assert access.can_view_non_public
    assert world.secret_objective in visible_records(user, Objective)


# -- memberships and participations ------------------------------------------------------------------
class TestAccessRecords:
    def test_a_role_needs_the_members_organisation_to_take_part(self, world, officer):
        stranger = UserFactory(organisation=world.newcomer)
        with pytest.raises(ValidationError) as exc:
            services.grant_role(
                user=officer, compact=world.compact, member=stranger, role=R.IMPLEMENTING_PARTNER
            )
        assert world.newcomer.name in exc.value.message_dict["user"][0]
        assert not Membership.objects.filter(user=stranger).exists()
        services.add_participation(
            user=officer,
            compact=world.compact,
            organisation=world.newcomer,
            role=Participation.Role.IMPLEMENTING_PARTNER,
        )
        membership = services.grant_role(
            user=officer, compact=world.compact, member=stranger, role=R.IMPLEMENTING_PARTNER
        )
        assert access_for(stranger, world.compact).capabilities == EXPECTED[R.IMPLEMENTING_PARTNER]
        assert membership.role == R.IMPLEMENTING_PARTNER

    def test_grant_role_changes_an_existing_role(self, world, officer):
        services.grant_role(user=officer, compact=world.compact, member=world.candidate, role=R.VIEWER)
        services.grant_role(
            user=officer, compact=world.compact, member=world.candidate, role=R.GOVERNMENT_FOCAL_POINT
        )
        assert Membership.objects.get(user=world.candidate).role == R.GOVERNMENT_FOCAL_POINT
        assert Membership.objects.filter(user=world.candidate).count() == 1

    def test_unknown_role_is_refused(self, world, officer):
        with pytest.raises(ValidationError) as exc:
            services.grant_role(user=officer, compact=world.compact, member=world.candidate, role="emperor")
        assert "role" in exc.value.message_dict

    def test_a_site_admin_may_hold_a_role_without_organisation(self, world, officer):
        admin = UserFactory(username="root", organisation=None, is_superuser=True)
        assert services.grant_role(user=officer, compact=world.compact, member=admin, role=R.VIEWER).pk

    def test_a_user_without_organisation_cannot_hold_a_role(self, world, officer):
        orphan = UserFactory(username="orphan", organisation=None)
        with pytest.raises(ValidationError) as exc:
            services.grant_role(user=officer, compact=world.compact, member=orphan, role=R.VIEWER)
        assert "user" in exc.value.message_dict

    def test_an_organisation_takes_part_once(self, world, officer):
        with pytest.raises(ValidationError):
            services.add_participation(
                user=officer,
                compact=world.compact,
                organisation=world.candidate.organisation,
                role=Participation.Role.OBSERVER,
            )

    def test_acting_for_a_party_needs_the_party(self, world, officer):
        with pytest.raises(ValidationError) as exc:
            services.add_participation(
                user=officer,
                compact=world.compact,
                organisation=world.newcomer,
                role=Participation.Role.PARTY_BODY,
            )
        assert "party" in exc.value.message_dict
        other = make_compact_with_parties()
        with pytest.raises(ValidationError) as exc:
            services.add_participation(
                user=officer,
                compact=world.compact,
                organisation=world.newcomer,
                role=Participation.Role.PARTY_BODY,
                party=other.parties.first(),
            )
        assert "party" in exc.value.message_dict

    def test_an_organisation_whose_members_hold_roles_cannot_be_removed(self, world, officer):
        services.grant_role(user=officer, compact=world.compact, member=world.candidate, role=R.VIEWER)
        participation = Participation.objects.get(organisation=world.candidate.organisation)
        with pytest.raises(ValidationError):
            services.delete_record(user=officer, instance=participation)
        services.delete_record(user=officer, instance=Membership.objects.get(user=world.candidate))
        services.delete_record(user=officer, instance=participation)
        assert not access_for(world.candidate, world.compact).can_view

    @pytest.mark.parametrize("kind", ["party", "committee"])
    def test_parties_and_the_committee_cannot_be_removed(self, world, officer, kind):
        record = world.compact.parties.first() if kind == "party" else world.compact.monitoring_committee
        with pytest.raises(ValidationError):
            services.delete_record(user=officer, instance=record)
        assert type(record).objects.filter(pk=record.pk).exists()


# -- who may open a compact -----------------------------------------------------------------------------
class TestCreateCompact:
    @pytest.mark.parametrize(
        ("org_type", "superuser", "active", "allowed"),
        [
            (Organisation.Type.DONOR_OFFICE, False, True, True),
            (Organisation.Type.DONOR_OFFICE, False, False, False),
            (Organisation.Type.PARTNER_GOVERNMENT, False, True, False),
            (Organisation.Type.IMPLEMENTING_PARTNER, False, True, False),
            (Organisation.Type.SERVICE_PROVIDER, False, True, False),
            (Organisation.Type.JUSTICE_POLICE, False, True, False),
            (None, True, True, True),
            (None, True, False, False),
        ],
    )
    def test_can_create_compact(self, db, org_type, superuser, active, allowed):
        org = (
            OrganisationFactory(
                name=f"Org {org_type}",
                org_type=org_type,
                partner_kind="ngo" if org_type == Organisation.Type.IMPLEMENTING_PARTNER else "",
            )
            if org_type
            else None
        )
        user = UserFactory(organisation=org, is_superuser=superuser, is_active=active)
        assert can_create_compact(user) is allowed
        data = {"title": "New compact", "country": "GHA"}
        if allowed:
            compact = services.create_compact(user=user, data=data)
            assert get_compact(user, compact.pk)[1].can(C.CHANGE_STATUS)
        else:
            with pytest.raises(PermissionDenied):
                services.create_compact(user=user, data=data)
            assert not Compact.objects.filter(title="New compact").exists()

    def test_anonymous_cannot_create(self, db):
        assert can_create_compact(AnonymousUser()) is False
        assert can_create_compact(None) is False


# -- records cannot be moved to another compact -------------------------------------------------------
class TestNoMovingBetweenCompacts:
    """A user who may edit compact B but only view compact A must not be able to pull A's records
    into B (a ModelForm points its instance at the new objective before the service is called)."""

    @pytest.fixture
    def two(self, world):
        other = make_compact_with_parties()
        user = donor_officer(other)  # programme officer on B
        org = OrganisationFactory(name="Viewer org")
        user.organisation = org
        user.save()
        Participation.objects.create(compact=other, organisation=org, role=Participation.Role.OBSERVER)
        Participation.objects.create(
            compact=world.compact, organisation=org, role=Participation.Role.OBSERVER
        )
        Membership.objects.create(compact=world.compact, user=user, role=R.VIEWER)
        assert access_for(user, world.compact).capabilities == {C.VIEW}
        assert C.EDIT in access_for(user, other).capabilities
        return other, user, ObjectiveFactory(compact=other, number=1)

    def test_move_in_data_is_refused(self, world, two):
        other, user, target = two
        with pytest.raises(ValidationError) as exc:
            services.save_record(user=user, instance=world.activity, data={"objective": target})
        assert "objective" in exc.value.message_dict
        world.activity.refresh_from_db()
        assert world.activity.objective == world.objective

    def test_move_already_made_on_the_instance_is_refused(self, world, two):
        other, user, target = two
        activity = Activity.objects.get(pk=world.activity.pk)
        activity.objective = target  # what ModelForm validation does before the view calls the service
        with pytest.raises(ValidationError):
            services.save_record(user=user, instance=activity, data={"description": "Moved"})
        world.activity.refresh_from_db()
        assert world.activity.objective == world.objective and world.activity.description != "Moved"

    def test_move_of_a_compact_child_is_refused(self, world, two, officer):
        other, user, target = two
        focal_point = FocalPoint.objects.get(pk=world.us_focal_point.pk)
        focal_point.compact = other
        with pytest.raises(ValidationError) as exc:
            services.save_record(user=officer, instance=focal_point, data={"name": "Moved"})
        assert "compact" in exc.value.message_dict

    def test_a_permitted_change_within_the_compact_is_accepted(self, world, officer):
        second = ObjectiveFactory(compact=world.compact, number=3)
        activity = services.save_record(user=officer, instance=world.activity, data={"objective": second})
        activity.refresh_from_db()
        assert activity.objective == second

    def test_a_record_without_compact_is_refused_with_a_field_error(self, world, officer):
        with pytest.raises(ValidationError) as exc:
            services.save_record(
                user=officer, instance=Objective(), data={"pillar": "prevention", "statement": "x"}
            )
        assert "compact" in exc.value.message_dict


def test_deactivated_organisation_loses_access(compact, officer):
    from pacte.compacts.selectors import visible_compacts

    assert visible_compacts(officer).filter(pk=compact.pk).exists()
    assert access_for(officer, compact).can_edit
    officer.organisation.is_active = False
    officer.organisation.save()
    officer.refresh_from_db()
    assert not visible_compacts(officer).filter(pk=compact.pk).exists()
    assert not access_for(officer, compact).can_view
    assert not can_create_compact(officer)


def test_country_and_currency_codes_must_be_upper_case():
    from django.core.exceptions import ValidationError

    from pacte.accounts.models import validate_country_code
    from pacte.compacts.models import validate_currency

    validate_country_code("CIV")
    validate_currency("XOF")
    with pytest.raises(ValidationError):
        validate_country_code("civ")
    with pytest.raises(ValidationError):
        validate_currency("xof")
