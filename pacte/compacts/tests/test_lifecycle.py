"""Lifecycle of a compact: draft → negotiation → signed → expired (derived), or terminated."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts.models import Compact, Membership, MonitoringCommittee, Participation, Party, Signatory
from pacte.compacts.selectors import get_compact, visible_compacts
from pacte.compacts.services import change_status, create_compact, update_compact

D = dt.date
S = Compact.Status


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def tip_officer(db):
    org = OrganisationFactory(name="TIP Office", org_type=Organisation.Type.DONOR_OFFICE, country="USA")
    return UserFactory(username="tip", organisation=org)


@pytest.fixture
def draft(tip_officer):
    return create_compact(
        user=tip_officer,
        data={"title": "CPC Côte d'Ivoire", "country": "CIV", "goal": "Lutter contre la traite des enfants."},
        partner_party_name="Gouvernement de la République de Côte d'Ivoire",
    )


def add_signatories(compact: Compact) -> None:
    for order, p in enumerate(compact.parties.all()):
        Signatory.objects.create(
            compact=compact, party=p, name=f"Signatory {order}", title="Minister", order=order
        )


def negotiated(compact: Compact, user) -> Compact:
    compact = change_status(user=user, compact=compact, action="open_negotiation")
    add_signatories(compact)
    return compact


class TestCreate:
    def test_new_compact_is_a_draft_with_both_parties_and_a_committee(self, draft, tip_officer):
        assert draft.status == S.DRAFT
        assert set(draft.parties.values_list("kind", flat=True)) == {
            Party.Kind.UNITED_STATES,
            Party.Kind.PARTNER_COUNTRY,
        }
        assert MonitoringCommittee.objects.filter(compact=draft).exists()
        assert draft.created_by == tip_officer
        participation = Participation.objects.get(compact=draft, organisation=tip_officer.organisation)
        assert participation.role == Participation.Role.PARTY_BODY
        assert participation.party.kind == Party.Kind.UNITED_STATES
        assert (
            Membership.objects.get(compact=draft, user=tip_officer).role == Membership.Role.PROGRAMME_OFFICER
        )

    def test_creator_sees_and_may_change_the_status_of_the_new_compact(self, draft, tip_officer):
        compact, access = get_compact(tip_officer, draft.pk)
        assert compact == draft
        assert access.role == Membership.Role.PROGRAMME_OFFICER

    def test_bad_country_code_is_refused(self, tip_officer):
        for code in ("XYZ", "civ"):
            with pytest.raises(ValidationError) as exc:
                create_compact(user=tip_officer, data={"title": "Bad", "country": code})
            assert "country" in exc.value.message_dict
        assert not Compact.objects.filter(title="Bad").exists()


class TestTransitions:
    def test_full_path_to_signature(self, draft, tip_officer):
        compact = change_status(user=tip_officer, compact=draft, action="open_negotiation")
        assert compact.status == S.NEGOTIATION
        compact = change_status(user=tip_officer, compact=compact, action="return_to_draft")
        assert compact.status == S.DRAFT
        compact = negotiated(compact, tip_officer)
        compact = change_status(
            user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7), place="Abidjan"
        )
        compact.refresh_from_db()
        assert compact.status == S.SIGNED
        assert (compact.signature_date, compact.start_date, compact.end_date) == (
            D(2022, 12, 7),
            D(2022, 12, 7),
            D(2027, 12, 7),
        )
        assert compact.original_end_date == D(2027, 12, 7)
        assert compact.signature_place == "Abidjan"

    def test_signature_on_a_leap_day_ends_on_28_february(self, draft, tip_officer):
        compact = negotiated(draft, tip_officer)
        compact = change_status(
            user=tip_officer, compact=compact, action="sign", signature_date=D(2024, 2, 29)
        )
        assert compact.end_date == D(2029, 2, 28)

    def test_signature_keeps_an_end_date_agreed_in_negotiation_within_five_years(self, draft, tip_officer):
        compact = update_compact(user=tip_officer, compact=draft, data={"end_date": D(2026, 12, 31)})
        compact = negotiated(compact, tip_officer)
        compact = change_status(
            user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7)
        )
        assert compact.end_date == D(2026, 12, 31)

    def test_signature_refuses_an_agreed_end_date_beyond_five_years(self, draft, tip_officer):
        compact = update_compact(user=tip_officer, compact=draft, data={"end_date": D(2027, 12, 8)})
        compact = negotiated(compact, tip_officer)
        with pytest.raises(ValidationError) as exc:
            change_status(user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7))
        assert "end_date" in exc.value.message_dict
        compact.refresh_from_db()
        assert compact.status == S.NEGOTIATION

    def test_signature_today_is_accepted_tomorrow_refused(self, draft, tip_officer):
        compact = negotiated(draft, tip_officer)
        with pytest.raises(ValidationError) as exc:
            change_status(
                user=tip_officer,
                compact=compact,
                action="sign",
                signature_date=today() + dt.timedelta(days=1),
            )
        assert "future" in exc.value.message_dict["signature_date"][0]
        compact = change_status(user=tip_officer, compact=compact, action="sign", signature_date=today())
        assert compact.status == S.SIGNED and compact.start_date == today()

    def test_signature_needs_a_date(self, draft, tip_officer):
        compact = negotiated(draft, tip_officer)
        with pytest.raises(ValidationError) as exc:
            change_status(user=tip_officer, compact=compact, action="sign", signature_date=None)
        assert "signature_date" in exc.value.message_dict

    def test_signature_needs_a_goal(self, draft, tip_officer):
        compact = update_compact(user=tip_officer, compact=draft, data={"goal": ""})
        compact = negotiated(compact, tip_officer)
        with pytest.raises(ValidationError) as exc:
            change_status(user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7))
        assert any("goal" in m for m in exc.value.message_dict["__all__"])

    def test_signature_needs_signatories_for_both_parties(self, draft, tip_officer):
        compact = change_status(user=tip_officer, compact=draft, action="open_negotiation")
        us = compact.parties.get(kind=Party.Kind.UNITED_STATES)
        Signatory.objects.create(compact=compact, party=us, name="Ambassador", title="Ambassador")
        with pytest.raises(ValidationError) as exc:
            change_status(user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7))
        [message] = exc.value.message_dict["__all__"]
        assert "Gouvernement de la République de Côte d'Ivoire" in message
        assert us.name not in message
        compact.refresh_from_db()
        assert compact.status == S.NEGOTIATION and compact.start_date is None

    def test_signature_needs_both_parties(self, draft, tip_officer):
        compact = negotiated(draft, tip_officer)
        compact.parties.filter(kind=Party.Kind.PARTNER_COUNTRY).delete()
        with pytest.raises(ValidationError) as exc:
            change_status(user=tip_officer, compact=compact, action="sign", signature_date=D(2022, 12, 7))
        assert any("Partner country" in m for m in exc.value.message_dict["__all__"])

    @pytest.mark.parametrize(
        ("status", "action", "expected"),
        [
            (S.DRAFT, "sign", "Only a compact in negotiation can be signed; this compact is “Draft”."),
            (S.DRAFT, "return_to_draft", "Only a compact in negotiation can return to draft"),
            (S.SIGNED, "open_negotiation", "Only a draft compact can be opened for negotiation"),
            (S.SIGNED, "return_to_draft", "this compact is “Signed”"),
            (S.TERMINATED, "open_negotiation", "this compact is “Terminated”"),
            (S.TERMINATED, "terminate", "A compact that is “Terminated” cannot be terminated."),
            (S.DRAFT, "expire", "Unknown change of status"),
        ],
    )
    def test_illegal_transitions_are_refused_with_a_clear_message(
        self, compact, officer, status, action, expected
    ):
        start = today() - relativedelta(years=1)  # in force whenever the suite runs
        Compact.objects.filter(pk=compact.pk).update(
            status=status, start_date=start, signature_date=start, end_date=start + relativedelta(years=5)
        )
        kwargs = {"on": today(), "reason": "x"} if action == "terminate" else {}
        with pytest.raises(ValidationError) as exc:
            change_status(user=officer, compact=compact, action=action, **kwargs)
        assert expected in exc.value.messages[0]
        compact.refresh_from_db()
        assert compact.status == status

    def test_unexpected_arguments_are_a_programming_error(self, draft, tip_officer):
        with pytest.raises(TypeError):
            change_status(user=tip_officer, compact=draft, action="open_negotiation", signature_date=today())


class TestTermination:
    @pytest.fixture
    def compact(self, compact):
        """The compact of the seed, in force on the day the suite runs (signed two years ago)."""
        start = today() - relativedelta(years=2)
        Compact.objects.filter(pk=compact.pk).update(
            start_date=start, signature_date=start, end_date=start + relativedelta(years=5)
        )
        compact.refresh_from_db()
        return compact

    @pytest.mark.parametrize("status", [S.DRAFT, S.NEGOTIATION, S.SIGNED])
    @pytest.mark.parametrize("days_ago", [0, 30])
    def test_terminate_with_date_and_reason(self, compact, officer, status, days_ago):
        Compact.objects.filter(pk=compact.pk).update(status=status)
        on = today() - dt.timedelta(days=days_ago)
        compact = change_status(
            user=officer, compact=compact, action="terminate", on=on, reason="Décision conjointe"
        )
        compact.refresh_from_db()
        assert compact.status == S.TERMINATED
        assert (compact.terminated_on, compact.termination_reason) == (on, "Décision conjointe")
        assert compact.current_status == S.TERMINATED

    def test_terminate_needs_date_and_reason(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            change_status(user=officer, compact=compact, action="terminate", on=None, reason="  ")
        assert {"on", "reason"} <= set(exc.value.message_dict)
        compact.refresh_from_db()
        assert compact.status == S.SIGNED

    def test_termination_date_cannot_be_in_the_future(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            change_status(
                user=officer,
                compact=compact,
                action="terminate",
                on=today() + dt.timedelta(days=1),
                reason="x",
            )
        assert "on" in exc.value.message_dict

    def test_termination_before_entry_into_force_is_refused(self, compact, officer):
        on = compact.start_date - dt.timedelta(days=1)
        with pytest.raises(ValidationError) as exc:
            change_status(user=officer, compact=compact, action="terminate", on=on, reason="x")
        assert "terminated_on" in exc.value.message_dict

    def test_an_expired_compact_cannot_be_terminated(self, compact, officer):
        Compact.objects.filter(pk=compact.pk).update(
            start_date=D(2015, 1, 1), signature_date=D(2015, 1, 1), end_date=D(2020, 1, 1)
        )
        with pytest.raises(ValidationError, match="expired compact cannot be terminated"):
            change_status(user=officer, compact=compact, action="terminate", on=D(2021, 1, 1), reason="x")
        compact.refresh_from_db()
        assert compact.status == S.SIGNED


class TestExpiry:
    def test_expired_is_derived_from_the_end_date(self, compact, officer):
        assert Compact.objects.in_status(S.SIGNED, today=D(2027, 12, 7)).filter(pk=compact.pk).exists()
        assert not Compact.objects.in_status(S.EXPIRED, today=D(2027, 12, 7)).filter(pk=compact.pk).exists()
        assert Compact.objects.in_status(S.EXPIRED, today=D(2027, 12, 8)).filter(pk=compact.pk).exists()
        assert not Compact.objects.in_status(S.SIGNED, today=D(2027, 12, 8)).filter(pk=compact.pk).exists()

    @pytest.mark.parametrize(("end_offset", "expected"), [(0, S.SIGNED), (-1, S.EXPIRED)])
    def test_visible_compacts_annotates_status_now(self, compact, officer, end_offset, expected):
        end = today() + dt.timedelta(days=end_offset)
        Compact.objects.filter(pk=compact.pk).update(start_date=end - relativedelta(years=5), end_date=end)
        annotated = visible_compacts(officer).get(pk=compact.pk)
        assert annotated.status_now == expected
        assert annotated.current_status == expected
        compact.refresh_from_db()
        assert compact.current_status == expected  # without the annotation too
        assert compact.status == S.SIGNED  # the stored state does not change
        assert Compact.objects.in_status(expected).filter(pk=compact.pk).exists()

    def test_signing_a_compact_whose_term_is_already_over_makes_it_expired(self, draft, tip_officer):
        compact = negotiated(draft, tip_officer)
        signed_on = today() - relativedelta(years=5) - dt.timedelta(days=1)
        compact = change_status(user=tip_officer, compact=compact, action="sign", signature_date=signed_on)
        assert compact.current_status == S.EXPIRED
        assert compact.is_in_force is False
        assert compact.days_left is None

    def test_draft_and_terminated_compacts_never_expire(self, compact):
        for status in (S.DRAFT, S.TERMINATED):
            Compact.objects.filter(pk=compact.pk).update(
                status=status, end_date=D(2020, 1, 1), start_date=D(2019, 1, 1)
            )
            assert Compact.objects.with_current_status().get(pk=compact.pk).status_now == status


class TestWhoMayChangeTheStatus:
    @pytest.mark.parametrize(
        "role",
        [
            Membership.Role.GOVERNMENT_FOCAL_POINT,
            Membership.Role.IMPLEMENTING_PARTNER,
            Membership.Role.MONITORING_COMMITTEE_MEMBER,
            Membership.Role.VIEWER,
        ],
    )
    def test_only_change_status_holders(self, draft, role):
        org = OrganisationFactory(name="CNS", org_type=Organisation.Type.PARTNER_GOVERNMENT)
        partner = draft.parties.get(kind=Party.Kind.PARTNER_COUNTRY)
        Participation.objects.create(
            compact=draft, organisation=org, role=Participation.Role.PARTY_BODY, party=partner
        )
        user = UserFactory(organisation=org)
        Membership.objects.create(compact=draft, user=user, role=role)
        with pytest.raises(PermissionDenied):
            change_status(user=user, compact=draft, action="open_negotiation")
        draft.refresh_from_db()
        assert draft.status == S.DRAFT

    def test_site_admin_may(self, draft):
        admin = UserFactory(username="admin", organisation=None, is_superuser=True, is_staff=True)
        assert change_status(user=admin, compact=draft, action="open_negotiation").status == S.NEGOTIATION

    def test_outsider_may_not(self, draft, outsider):
        with pytest.raises(PermissionDenied):
            change_status(user=outsider, compact=draft, action="open_negotiation")
