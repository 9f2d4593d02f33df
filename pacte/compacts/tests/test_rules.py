"""Business rules of the compact (seed 001, sections VII, VIII, IX, XI), checked at the service level
with dates on the boundaries.

Dates: the Côte d'Ivoire compact enters into force on 7 December 2022; a leap-day compact (entry into
force 29 February 2024) checks how "five years" and "three months" fall at the end of a month.
``relativedelta`` (and so Pacte) counts like the French civil code (art. 641): the same day number
in the target month, or its last day when the month is shorter. So 29 Feb 2024 + 5 years is
28 Feb 2029 and 31 Jan 2023 + 3 months is 30 Apr 2023.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.compacts import services
from pacte.compacts.factories import make_compact_with_parties
from pacte.compacts.models import (
    Amendment,
    Commitment,
    Communication,
    Compact,
    FocalPoint,
    FocalPointChange,
    Meeting,
    Party,
    earliest_amendment_effect,
    latest_end_date,
)
from pacte.compacts.services import (
    change_focal_point,
    create_compact,
    record_amendment,
    record_notification,
    save_record,
    update_compact,
    validate_term,
)

D = dt.date
TODAY = timezone.localdate


def short(day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return exc.value.message_dict[field]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def party(compact: Compact, kind: str = Party.Kind.UNITED_STATES) -> Party:
    return compact.parties.get(kind=kind)


# ================================================================================================
# 1. Term: at most five years from entry into force, unless extended by mutual written decision
# ================================================================================================
class TestTerm:
    def test_latest_end_date_of_the_ivorian_compact(self):
        assert latest_end_date(D(2022, 12, 7)) == D(2027, 12, 7)

    def test_latest_end_date_from_a_leap_day_is_the_last_day_of_february(self):
        assert latest_end_date(D(2024, 2, 29)) == D(2029, 2, 28)

    def test_end_exactly_five_years_after_entry_into_force_is_accepted(self, compact, officer):
        updated = update_compact(user=officer, compact=compact, data={"end_date": D(2027, 12, 7)})
        assert updated.end_date == D(2027, 12, 7)

    def test_one_day_more_is_refused_on_end_date_naming_the_latest_date(self, compact, officer):
        compact.end_date = D(2027, 6, 30)
        compact.save()
        with pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"end_date": D(2027, 12, 8)})
        [message] = messages(exc, "end_date")
        assert short(D(2027, 12, 7)) == "12/07/2027"
        assert "12/07/2027" in message
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 6, 30)

    def test_message_uses_the_date_format_of_the_users_language(self, compact, officer):
        with translation.override("fr"), pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"end_date": D(2027, 12, 8)})
        assert "07/12/2027" in messages(exc, "end_date")[0]

    @pytest.mark.parametrize(
        ("end", "ok"), [(D(2029, 2, 28), True), (D(2029, 3, 1), False)], ids=["28-feb-2029", "1-mar-2029"]
    )
    def test_leap_day_entry_into_force(self, officer, end, ok):
        data = {"title": "Leap", "country": "CIV", "start_date": D(2024, 2, 29), "end_date": end}
        if ok:
            assert create_compact(user=officer, data=data).end_date == end
        else:
            with pytest.raises(ValidationError) as exc:
                create_compact(user=officer, data=data)
            assert short(D(2029, 2, 28)) in messages(exc, "end_date")[0]
            assert not Compact.objects.filter(title="Leap").exists()

    @pytest.mark.parametrize("end", [D(2022, 12, 6), D(2022, 12, 7)], ids=["before", "same-day"])
    def test_end_not_after_start_is_refused(self, compact, officer, end):
        with pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"end_date": end})
        assert "end_date" in exc.value.message_dict

    def test_signed_compact_keeps_an_end_of_term(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"end_date": None})
        assert "end_date" in exc.value.message_dict
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 12, 7)

    def test_entry_into_force_of_a_signed_compact_cannot_change(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"start_date": D(2023, 1, 1)})
        assert "start_date" in exc.value.message_dict


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=D(1990, 1, 1), max_value=D(2200, 12, 31)))
def test_any_start_latest_end_accepted_and_one_day_more_refused(start):
    limit = latest_end_date(start)
    assert 365 * 5 <= (limit - start).days <= 365 * 5 + 2
    validate_term(Compact(start_date=start, end_date=limit))  # unsaved: no extension, no query
    with pytest.raises(ValidationError) as exc:
        validate_term(Compact(start_date=start, end_date=limit + dt.timedelta(days=1)))
    assert short(limit) in exc.value.message_dict["end_date"][0]


class TestExtension:
    def extension(self, **overrides):
        data = {
            "kind": Amendment.Kind.EXTENSION,
            "title": "Prorogation",
            "effective_date": D(2027, 11, 1),
            "decision_date": D(2027, 10, 1),
            "decision_reference": "Lettre conjointe n° 12",
            "new_end_date": D(2028, 12, 31),
        }
        data.update(overrides)
        return data

    def test_extension_without_mutual_written_decision_is_refused(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            record_amendment(
                user=officer, compact=compact, data=self.extension(decision_date=None, decision_reference="")
            )
        assert {"decision_date", "decision_reference"} <= set(exc.value.message_dict)
        assert not Amendment.objects.exists()
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 12, 7)

    def test_extension_needs_a_new_end_of_term(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            record_amendment(user=officer, compact=compact, data=self.extension(new_end_date=None))
        assert "new_end_date" in exc.value.message_dict

    def test_extension_moves_the_end_of_term(self, compact, officer):
        extension = record_amendment(user=officer, compact=compact, data=self.extension())
        compact.refresh_from_db()
        assert compact.end_date == D(2028, 12, 31)
        assert extension.previous_end_date == D(2027, 12, 7)
        assert extension.recorded_by == officer

    @pytest.mark.parametrize("new_end", [D(2027, 12, 7), D(2027, 6, 1)], ids=["same", "earlier"])
    def test_new_end_must_come_after_the_current_one(self, compact, officer, new_end):
        with pytest.raises(ValidationError) as exc:
            record_amendment(user=officer, compact=compact, data=self.extension(new_end_date=new_end))
        assert short(D(2027, 12, 7)) in messages(exc, "new_end_date")[0]
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 12, 7)
        assert not Amendment.objects.exists()

    def test_after_an_extension_the_end_may_be_set_up_to_the_extended_date_not_beyond(self, compact, officer):
        record_amendment(user=officer, compact=compact, data=self.extension())
        compact = update_compact(user=officer, compact=compact, data={"end_date": D(2028, 6, 30)})
        assert compact.end_date == D(2028, 6, 30)
        compact = update_compact(user=officer, compact=compact, data={"end_date": D(2028, 12, 31)})
        assert compact.end_date == D(2028, 12, 31)
        with pytest.raises(ValidationError) as exc:
            update_compact(user=officer, compact=compact, data={"end_date": D(2029, 1, 1)})
        message = messages(exc, "end_date")[0]
        assert short(D(2028, 12, 31)) in message
        assert "extended" in message

    def test_extension_cannot_take_effect_before_it_is_decided(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            record_amendment(
                user=officer, compact=compact, data=self.extension(effective_date=D(2027, 9, 30))
            )
        assert "effective_date" in exc.value.message_dict

    @pytest.mark.parametrize(
        "status", [Compact.Status.DRAFT, Compact.Status.NEGOTIATION, Compact.Status.TERMINATED]
    )
    def test_only_on_signed_compacts(self, compact, officer, status):
        Compact.objects.filter(pk=compact.pk).update(status=status)
        compact.refresh_from_db()
        with pytest.raises(ValidationError, match="signed compact"):
            record_amendment(user=officer, compact=compact, data=self.extension())
        assert not Amendment.objects.exists()

    def test_save_record_applies_the_same_rules_as_record_amendment(self, compact, officer):
        """The generic service must not be a way round the extension rules."""
        with pytest.raises(ValidationError) as exc:
            save_record(
                user=officer,
                instance=Amendment(compact=compact),
                data=self.extension(new_end_date=D(2027, 12, 1)),
            )
        assert "new_end_date" in exc.value.message_dict
        extension = save_record(user=officer, instance=Amendment(compact=compact), data=self.extension())
        compact.refresh_from_db()
        assert compact.end_date == D(2028, 12, 31)
        assert extension.previous_end_date == D(2027, 12, 7)

    def test_a_recorded_extension_cannot_be_changed_or_deleted(self, compact, officer):
        extension = record_amendment(user=officer, compact=compact, data=self.extension())
        with pytest.raises(ValidationError):
            save_record(user=officer, instance=extension, data={"new_end_date": D(2030, 1, 1)})
        with pytest.raises(ValidationError):
            services.delete_record(user=officer, instance=extension)
        extension.refresh_from_db()
        assert extension.new_end_date == D(2028, 12, 31)


# ================================================================================================
# 2. Amendment: written request by one party, takes effect three months later at the earliest
# ================================================================================================
class TestAmendment:
    def amendment(self, compact, **overrides):
        data = {
            "kind": Amendment.Kind.AMENDMENT,
            "title": "Avenant n° 1",
            "requested_by": party(compact, Party.Kind.PARTNER_COUNTRY),
            "request_date": D(2023, 1, 31),
            "request_reference": "Lettre n° 0042/CNS",
            "effective_date": D(2023, 4, 30),
        }
        data.update(overrides)
        return data

    @pytest.mark.parametrize(
        ("requested", "earliest"),
        [
            (D(2023, 1, 31), D(2023, 4, 30)),  # no 31 April: last day of April
            (D(2023, 11, 30), D(2024, 2, 29)),  # leap year
            (D(2023, 11, 29), D(2024, 2, 29)),
            (D(2022, 11, 30), D(2023, 2, 28)),
            (D(2024, 2, 29), D(2024, 5, 29)),
            (D(2022, 12, 7), D(2023, 3, 7)),
        ],
    )
    def test_earliest_effect_counts_months_like_the_civil_code(self, requested, earliest):
        assert earliest_amendment_effect(requested) == earliest

    @pytest.mark.parametrize("missing", ["requested_by", "request_date", "request_reference"])
    def test_written_request_by_one_party_is_required(self, compact, officer, missing):
        data = self.amendment(compact, **{missing: None if missing != "request_reference" else ""})
        with pytest.raises(ValidationError) as exc:
            record_amendment(user=officer, compact=compact, data=data)
        assert missing in exc.value.message_dict
        assert not Amendment.objects.exists()

    def test_exactly_three_months_after_the_request_is_accepted(self, compact, officer):
        amendment = record_amendment(user=officer, compact=compact, data=self.amendment(compact))
        assert amendment.pk and amendment.effective_date == D(2023, 4, 30)
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 12, 7)  # an amendment does not move the term

    def test_one_day_earlier_is_refused_naming_the_earliest_date(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            record_amendment(
                user=officer, compact=compact, data=self.amendment(compact, effective_date=D(2023, 4, 29))
            )
        assert short(D(2023, 4, 30)) in messages(exc, "effective_date")[0]

    @pytest.mark.parametrize(("effective", "ok"), [(D(2024, 2, 29), True), (D(2024, 2, 28), False)])
    def test_leap_year_boundary(self, compact, officer, effective, ok):
        data = self.amendment(compact, request_date=D(2023, 11, 30), effective_date=effective)
        if ok:
            assert record_amendment(user=officer, compact=compact, data=data).pk
        else:
            with pytest.raises(ValidationError) as exc:
                record_amendment(user=officer, compact=compact, data=data)
            assert "effective_date" in exc.value.message_dict

    def test_an_amendment_cannot_change_the_end_of_term(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            record_amendment(
                user=officer, compact=compact, data=self.amendment(compact, new_end_date=D(2028, 1, 1))
            )
        assert "new_end_date" in exc.value.message_dict

    def test_requesting_party_of_another_compact_is_refused(self, compact, officer):
        other = make_compact_with_parties()
        with pytest.raises(ValidationError) as exc:
            record_amendment(
                user=officer,
                compact=compact,
                data=self.amendment(compact, requested_by=party(other, Party.Kind.PARTNER_COUNTRY)),
            )
        assert "requested_by" in exc.value.message_dict

    def test_record_amendment_ignores_attempts_to_set_who_recorded_it(self, compact, officer, observer):
        data = self.amendment(compact, recorded_by=observer, previous_end_date=D(2020, 1, 1))
        amendment = record_amendment(user=officer, compact=compact, data=data)
        assert amendment.recorded_by == officer
        assert amendment.previous_end_date is None


@settings(max_examples=200, deadline=None)
@given(request=st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)))
def test_any_request_exactly_three_months_accepted_one_day_earlier_refused(request):
    earliest = earliest_amendment_effect(request)
    assert 89 <= (earliest - request).days <= 92
    ok = Amendment(
        kind=Amendment.Kind.AMENDMENT,
        requested_by_id=1,
        request_date=request,
        request_reference="x",
        effective_date=earliest,
    )
    ok.clean()  # no compact: the party check is skipped, nothing touches the database
    early = Amendment(
        kind=Amendment.Kind.AMENDMENT,
        requested_by_id=1,
        request_date=request,
        request_reference="x",
        effective_date=earliest - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        early.clean()
    assert list(exc.value.message_dict) == ["effective_date"]


# ================================================================================================
# 3. Change of focal point, notified in writing within 30 days
# ================================================================================================
def make_focal_point(compact: Compact, kind: str = Party.Kind.PARTNER_COUNTRY, **kwargs) -> FocalPoint:
    defaults = {"name": "CNS", "email": "cns@example.ci"}
    defaults.update(kwargs)
    return FocalPoint.objects.create(compact=compact, party=party(compact, kind), **defaults)


NEW_FOCAL_POINT = {"name": "CNLTP", "email": "cnltp@example.ci"}


class TestFocalPointChange:
    def change(self, compact, officer, **kwargs):
        previous = kwargs.pop("previous", None) or make_focal_point(compact)
        args = {
            "user": officer,
            "compact": compact,
            "party": party(compact, Party.Kind.PARTNER_COUNTRY),
            "new_data": NEW_FOCAL_POINT,
            "changed_on": D(2023, 3, 1),
            "previous": previous,
        }
        args.update(kwargs)
        return change_focal_point(**args)

    def test_change_is_recorded_and_previous_focal_point_deactivated(self, compact, officer):
        previous = make_focal_point(compact)
        change = self.change(compact, officer, previous=previous, notified_on=D(2023, 3, 15))
        previous.refresh_from_db()
        assert previous.is_active is False
        assert change.new.is_active and change.new.name == "CNLTP"
        assert change.new.party.kind == Party.Kind.PARTNER_COUNTRY
        assert change.recorded_by == officer
        assert (change.changed_on, change.notified_on) == (D(2023, 3, 1), D(2023, 3, 15))

    @pytest.mark.parametrize(
        ("notified_on", "late"), [(D(2023, 3, 31), False), (D(2023, 4, 1), True)], ids=["day-30", "day-31"]
    )
    def test_notice_on_day_30_is_on_time_day_31_late(self, compact, officer, notified_on, late):
        change = self.change(compact, officer, changed_on=D(2023, 3, 1), notified_on=notified_on)
        assert change.notice_deadline == D(2023, 3, 31)
        assert change.notification_late is late
        assert change.is_notification_late(D(2099, 1, 1)) is late  # a recorded notice does not age

    def test_notice_on_the_day_of_the_change_is_on_time(self, compact, officer):
        change = self.change(compact, officer, changed_on=D(2023, 3, 1), notified_on=D(2023, 3, 1))
        assert change.notification_late is False

    def test_missing_notice_becomes_late_after_30_days(self, compact, officer):
        change = self.change(compact, officer, changed_on=D(2024, 2, 1))
        assert change.notice_deadline == D(2024, 3, 2)  # 2024 is a leap year
        assert change.is_notification_late(D(2024, 3, 2)) is False
        assert change.is_notification_late(D(2024, 3, 3)) is True

    @pytest.mark.parametrize(("days_ago", "late"), [(30, False), (31, True)])
    def test_property_counts_from_today(self, compact, officer, days_ago, late):
        change = self.change(compact, officer, changed_on=TODAY() - dt.timedelta(days=days_ago))
        assert change.notification_late is late

    def test_notified_before_the_change_is_refused(self, compact, officer):
        previous = make_focal_point(compact)
        with pytest.raises(ValidationError) as exc:
            self.change(
                compact, officer, previous=previous, changed_on=D(2023, 3, 1), notified_on=D(2023, 2, 28)
            )
        assert "notified_on" in exc.value.message_dict
        previous.refresh_from_db()
        assert previous.is_active
        assert not FocalPointChange.objects.exists()
        assert not FocalPoint.objects.filter(name="CNLTP").exists()

    def test_notice_in_the_future_is_refused(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            self.change(compact, officer, changed_on=TODAY(), notified_on=TODAY() + dt.timedelta(days=1))
        assert "notified_on" in exc.value.message_dict

    def test_previous_focal_point_of_another_party_is_refused(self, compact, officer):
        us_focal_point = make_focal_point(compact, Party.Kind.UNITED_STATES, name="JTIP")
        with pytest.raises(ValidationError) as exc:
            self.change(compact, officer, previous=us_focal_point)
        assert "previous" in exc.value.message_dict
        us_focal_point.refresh_from_db()
        assert us_focal_point.is_active

    def test_previous_focal_point_of_another_compact_is_refused(self, compact, officer):
        other = make_focal_point(make_compact_with_parties())
        with pytest.raises(ValidationError) as exc:
            self.change(compact, officer, previous=other)
        assert "previous" in exc.value.message_dict

    def test_party_of_another_compact_is_refused(self, compact, officer):
        other = make_compact_with_parties()
        with pytest.raises(ValidationError) as exc:
            self.change(compact, officer, party=party(other, Party.Kind.PARTNER_COUNTRY))
        assert "party" in exc.value.message_dict

    def test_a_focal_point_already_replaced_cannot_be_replaced_again(self, compact, officer):
        previous = make_focal_point(compact)
        self.change(compact, officer, previous=previous)
        with pytest.raises(ValidationError) as exc:
            self.change(
                compact, officer, previous=previous, new_data={"name": "CIM", "email": "cim@example.ci"}
            )
        assert "previous" in exc.value.message_dict

    def test_new_focal_point_needs_a_way_to_be_reached(self, compact, officer):
        with pytest.raises(ValidationError):
            self.change(compact, officer, new_data={"name": "Nobody"})
        assert FocalPointChange.objects.count() == 0

    def test_record_notification_later(self, compact, officer):
        change = self.change(compact, officer, changed_on=D(2023, 3, 1))
        with pytest.raises(ValidationError) as exc:
            record_notification(user=officer, change=change, notified_on=D(2023, 2, 1))
        assert "notified_on" in exc.value.message_dict
        change.refresh_from_db()
        assert change.notified_on is None
        record_notification(user=officer, change=change, notified_on=D(2023, 3, 31))
        change.refresh_from_db()
        assert change.notified_on == D(2023, 3, 31)
        assert change.notification_late is False

    def test_save_record_applies_the_same_rules(self, compact, officer):
        previous = make_focal_point(compact)
        other_party_fp = make_focal_point(compact, Party.Kind.UNITED_STATES, name="JTIP")
        new = make_focal_point(compact, name="CIM")
        with pytest.raises(ValidationError) as exc:
            save_record(
                user=officer,
                instance=FocalPointChange(compact=compact),
                data={
                    "party": party(compact, Party.Kind.PARTNER_COUNTRY),
                    "previous": previous,
                    "new": other_party_fp,
                    "changed_on": D(2023, 3, 1),
                },
            )
        assert "new" in exc.value.message_dict
        change = save_record(
            user=officer,
            instance=FocalPointChange(compact=compact),
            data={
                "party": party(compact, Party.Kind.PARTNER_COUNTRY),
                "previous": previous,
                "new": new,
                "changed_on": D(2023, 3, 1),
            },
        )
        previous.refresh_from_db()
        assert previous.is_active is False
        assert change.recorded_by == officer


# ================================================================================================
# 4. The United States ceiling (section VII.A: up to USD 10 million)
# ================================================================================================
CEILING = Decimal("10000000.00")


def ceiling_for(compact: Compact, user, amount: Decimal = CEILING) -> Commitment:
    return save_record(
        user=user,
        instance=Commitment(compact=compact),
        data={
            "party": party(compact),
            "kind": Commitment.Kind.CEILING,
            "description": "Section VII.A",
            "amount": amount,
            "currency": "USD",
            "subject_to_availability_of_funds": True,
        },
    )


def funding(compact: Compact, user, ceiling: Commitment, amount: Decimal, **extra) -> Commitment:
    data = {
        "party": party(compact),
        "kind": Commitment.Kind.FUNDING,
        "description": "Award",
        "amount": amount,
        "currency": "USD",
        "ceiling": ceiling,
    }
    data.update(extra)
    return save_record(user=user, instance=Commitment(compact=compact), data=data)


def funded(compact: Compact) -> Decimal:
    return sum(
        (c.amount for c in Commitment.objects.filter(compact=compact, kind=Commitment.Kind.FUNDING)),
        Decimal(0),
    )


class TestCeiling:
    def test_funding_summing_exactly_to_the_ceiling_is_accepted(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        funding(compact, officer, ceiling, Decimal("6000000.00"))
        funding(compact, officer, ceiling, Decimal("4000000.00"))
        assert funded(compact) == CEILING

    def test_one_cent_more_is_refused_naming_what_remains(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        funding(compact, officer, ceiling, Decimal("6000000.00"))
        with pytest.raises(ValidationError) as exc:
            funding(compact, officer, ceiling, Decimal("4000000.01"))
        [message] = messages(exc, "amount")
        assert "At most 4,000,000.00 USD remain" in message
        assert "10,000,000.00" in message
        assert funded(compact) == Decimal("6000000.00")

    def test_amounts_in_the_message_follow_the_users_language(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        with translation.override("fr"), pytest.raises(ValidationError) as exc:
            funding(compact, officer, ceiling, Decimal("10000000.01"))
        assert "10\xa0000\xa0000,00" in messages(exc, "amount")[0]

    def test_editing_a_funding_commitment_counts_it_once(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        first = funding(compact, officer, ceiling, Decimal("6000000.00"))
        funding(compact, officer, ceiling, Decimal("4000000.00"))
        # Same amount again: counted once, so still exactly at the ceiling.
        save_record(
            user=officer, instance=first, data={"amount": Decimal("6000000.00"), "description": "Edited"}
        )
        save_record(user=officer, instance=first, data={"amount": Decimal("5000000.00")})
        with pytest.raises(ValidationError) as exc:
            save_record(user=officer, instance=first, data={"amount": Decimal("6000000.01")})
        assert "At most 6,000,000.00 USD remain" in messages(exc, "amount")[0]
        first.refresh_from_db()
        assert first.amount == Decimal("5000000.00")

    def test_lowering_the_ceiling_below_what_is_recorded_is_refused(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        funding(compact, officer, ceiling, Decimal("7500000.00"))
        with pytest.raises(ValidationError) as exc:
            save_record(user=officer, instance=ceiling, data={"amount": Decimal("7499999.99")})
        assert "7,500,000.00" in messages(exc, "amount")[0]
        save_record(user=officer, instance=ceiling, data={"amount": Decimal("7500000.00")})
        ceiling.refresh_from_db()
        assert ceiling.amount == Decimal("7500000.00")

    def test_the_ceiling_with_funding_under_it_stays_a_ceiling(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        funding(compact, officer, ceiling, Decimal("1.00"))
        with pytest.raises(ValidationError) as exc:
            save_record(user=officer, instance=ceiling, data={"kind": Commitment.Kind.FINANCIAL})
        assert "kind" in exc.value.message_dict

    def test_ceiling_check_reads_the_stored_ceiling(self, compact, officer):
        """An in-memory ceiling with an unsaved, higher amount does not let funding through."""
        ceiling = ceiling_for(compact, officer, Decimal("100.00"))
        ceiling.amount = Decimal("1000.00")  # not saved
        with pytest.raises(ValidationError):
            funding(compact, officer, ceiling, Decimal("100.01"))

    def test_funding_must_be_in_us_dollars(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        with pytest.raises(ValidationError) as exc:
            funding(compact, officer, ceiling, Decimal("100.00"), currency="XOF")
        assert "currency" in exc.value.message_dict

    def test_funding_must_be_of_the_united_states(self, compact, officer):
        ceiling = ceiling_for(compact, officer)
        with pytest.raises(ValidationError) as exc:
            funding(
                compact, officer, ceiling, Decimal("100.00"), party=party(compact, Party.Kind.PARTNER_COUNTRY)
            )
        assert "party" in exc.value.message_dict

    def test_funding_is_recorded_under_the_ceiling_of_this_compact(self, compact, officer):
        other = make_compact_with_parties()
        other_ceiling = Commitment.objects.create(
            compact=other, party=party(other), kind=Commitment.Kind.CEILING, description="x", amount=CEILING
        )
        with pytest.raises(ValidationError) as exc:
            funding(compact, officer, other_ceiling, Decimal("1.00"))
        assert "ceiling" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            funding(compact, officer, None, Decimal("1.00"))
        assert "ceiling" in exc.value.message_dict

    def test_only_one_ceiling_per_compact(self, compact, officer):
        ceiling_for(compact, officer)
        with pytest.raises(ValidationError):
            ceiling_for(compact, officer, Decimal("1.00"))
        assert Commitment.objects.filter(compact=compact, kind=Commitment.Kind.CEILING).count() == 1

    def test_partner_contribution_in_another_currency_is_accepted(self, compact, officer):
        contribution = save_record(
            user=officer,
            instance=Commitment(compact=compact),
            data={
                "party": party(compact, Party.Kind.PARTNER_COUNTRY),
                "kind": Commitment.Kind.FINANCIAL,
                "description": "Budget du CNS",
                "amount": Decimal("5000000"),
                "currency": "XOF",
            },
        )
        assert contribution.pk

    def test_currency_code_must_be_written_in_capitals(self, compact, officer):
        with pytest.raises(ValidationError) as exc:
            save_record(
                user=officer,
                instance=Commitment(compact=compact),
                data={
                    "party": party(compact, Party.Kind.PARTNER_COUNTRY),
                    "kind": Commitment.Kind.FINANCIAL,
                    "description": "Budget",
                    "amount": Decimal("1"),
                    "currency": "xof",
                },
            )
        assert "currency" in exc.value.message_dict


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.lists(st.integers(min_value=1, max_value=600_000_000), min_size=1, max_size=8))
def test_random_funding_never_exceeds_the_ceiling(compact, officer, cents):
    ceiling_amount = Decimal("10000.00")
    with transaction.atomic():
        ceiling = ceiling_for(compact, officer, ceiling_amount)
        expected = Decimal("0")
        for amount in (Decimal(c) / 100 for c in cents):
            fits = expected + amount <= ceiling_amount
            try:
                funding(compact, officer, ceiling, amount)
            except ValidationError:
                assert not fits
            else:
                assert fits
                expected += amount
        assert funded(compact) == expected <= ceiling_amount
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_funding_cannot_both_pass_the_ceiling(monkeypatch):
    """Two fundings that each fit but together exceed the ceiling, saved at the same time.

    Each save sleeps between its check and its write, so without the row lock both would check
    against the same committed sum. On PostgreSQL the second waits for the first (select_for_update)
    and is refused; SQLite serialises writers (it may refuse one with "database is locked")."""
    from pacte.compacts.factories import donor_officer

    compact = make_compact_with_parties()
    officer = donor_officer(compact)
    ceiling = ceiling_for(compact, officer, Decimal("100.00"))
    check = services.validate_ceiling

    def slow_check(commitment):
        check(commitment)
        time.sleep(0.4)

    monkeypatch.setattr(services, "validate_ceiling", slow_check)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            funding(compact, officer, ceiling, Decimal("60.00"))
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        except OperationalError:  # SQLite: the second writer finds the database locked
            outcomes.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    assert outcomes.count("saved") <= 1
    assert funded(compact) <= Decimal("100.00")
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["refused", "saved"]
        assert funded(compact) == Decimal("60.00")


# ================================================================================================
# 9. Atomicity: a failing service leaves nothing half-saved
# ================================================================================================
class TestAtomicity:
    def test_communication_with_invalid_recipients_leaves_no_row(self, compact, officer):
        sender = make_focal_point(compact, Party.Kind.UNITED_STATES, name="JTIP")
        foreign = make_focal_point(make_compact_with_parties())
        for recipients, field in (([], "recipients"), ([sender], "recipients"), ([foreign], "recipients")):
            with pytest.raises(ValidationError) as exc:
                save_record(
                    user=officer,
                    instance=Communication(compact=compact),
                    data={"sent_on": D(2023, 5, 2), "sender": sender, "subject": "Rapport annuel"},
                    m2m={"recipients": recipients},
                )
            assert field in exc.value.message_dict
        assert not Communication.objects.exists()

    def test_valid_communication_is_saved_with_its_recipients(self, compact, officer):
        sender = make_focal_point(compact, Party.Kind.UNITED_STATES, name="JTIP")
        recipient = make_focal_point(compact)
        communication = save_record(
            user=officer,
            instance=Communication(compact=compact),
            data={"sent_on": D(2023, 5, 2), "sender": sender, "subject": "Rapport annuel"},
            m2m={"recipients": [recipient]},
        )
        assert list(communication.recipients.all()) == [recipient]
        assert communication.recorded_by == officer

    def test_meeting_validating_activities_of_another_compact_leaves_no_row(self, compact, officer):
        from pacte.compacts.factories import ActivityFactory

        foreign = ActivityFactory(objective__compact=make_compact_with_parties())
        with pytest.raises(ValidationError) as exc:
            save_record(
                user=officer,
                instance=Meeting(compact=compact),
                data={"kind": Meeting.Kind.COMMITTEE, "date": D(2023, 6, 1)},
                m2m={"validated_activities": [foreign]},
            )
        assert "validated_activities" in exc.value.message_dict
        assert not Meeting.objects.exists()

    def test_extension_failing_after_its_first_write_is_rolled_back(self, compact, officer, monkeypatch):
        def broken_save(self, *args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(Compact, "save", broken_save)
        with pytest.raises(RuntimeError):
            record_amendment(user=officer, compact=compact, data=TestExtension().extension())
        monkeypatch.undo()
        assert not Amendment.objects.exists()
        compact.refresh_from_db()
        assert compact.end_date == D(2027, 12, 7)

    def test_focal_point_change_failing_at_the_end_is_rolled_back(self, compact, officer, monkeypatch):
        previous = make_focal_point(compact)

        def broken(change):
            raise RuntimeError("boom")

        monkeypatch.setattr(services, "_deactivate_previous", broken)
        with pytest.raises(RuntimeError):
            change_focal_point(
                user=officer,
                compact=compact,
                party=previous.party,
                new_data=NEW_FOCAL_POINT,
                changed_on=D(2023, 3, 1),
                previous=previous,
            )
        assert not FocalPointChange.objects.exists()
        assert list(FocalPoint.objects.values_list("name", flat=True)) == ["CNS"]

    def test_create_compact_failing_at_the_end_is_rolled_back(self, officer, monkeypatch):
        from pacte.compacts.models import MonitoringCommittee

        def broken(**kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(MonitoringCommittee.objects, "create", broken)
        before = Compact.objects.count()
        with pytest.raises(RuntimeError):
            create_compact(user=officer, data={"title": "Half", "country": "CIV"})
        assert Compact.objects.count() == before
        assert not Party.objects.filter(compact__title="Half").exists()

    def test_a_refused_service_leaves_the_surrounding_request_transaction_usable(self, compact, officer):
        """ATOMIC_REQUESTS wraps each request: a service that fails must roll back only its own work."""
        with transaction.atomic():
            with pytest.raises(ValidationError):
                update_compact(user=officer, compact=compact, data={"end_date": D(2030, 1, 1)})
            update_compact(user=officer, compact=compact, data={"title": "Renamed"})
        compact.refresh_from_db()
        assert (compact.title, compact.end_date) == ("Renamed", D(2027, 12, 7))

    def test_refused_permission_writes_nothing(self, compact, observer):
        with pytest.raises(PermissionDenied):
            update_compact(user=observer, compact=compact, data={"title": "Hijacked"})
        compact.refresh_from_db()
        assert compact.title != "Hijacked"
