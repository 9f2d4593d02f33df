"""The submission workflow: draft → submitted → returned / approved, reopening, locking periods,
separation of duties, permissions and concurrent edits (optimistic versions and row locks)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection
from django.utils import translation

from pacte.accounts.factories import UserFactory
from pacte.compacts import models as compacts
from pacte.compacts.factories import make_compact_with_parties
from pacte.results import services
from pacte.results.factories import make_definition, make_submission
from pacte.results.models import Submission
from pacte.results.services import ValueInput

Status = Submission.Status
D = Decimal


def total(value):
    return ValueInput(value=D(value))


def reload(submission):
    return Submission.objects.get(pk=submission.pk)


@pytest.fixture
def approved(definition, reporter_org, reporter):
    return make_submission(
        definition,
        reporter_org,
        "2023",
        total=8,
        status=Status.APPROVED,
        created_by=reporter,
        submitted_by=reporter,
    )


# ================================================================================================
# Allowed transitions
# ================================================================================================
class TestHappyPath:
    def test_report_submit_return_correct_resubmit_approve(self, definition, reporter, reviewer):
        draft = services.save_submission(
            user=reporter, definition=definition, period="2023", values=[total(5)]
        )
        submitted = services.submit(user=reporter, submission=draft, version=1)
        assert (submitted.status, submitted.submitted_by, submitted.version) == (
            Status.SUBMITTED,
            reporter,
            2,
        )
        assert submitted.submitted_at is not None
        returned = services.return_submission(
            user=reviewer, submission=submitted, comment="Total manquant ?", version=2
        )
        assert (returned.status, returned.review_comment, returned.reviewed_by) == (
            Status.RETURNED,
            "Total manquant ?",
            reviewer,
        )
        corrected = services.save_submission(
            user=reporter,
            definition=definition,
            period="2023",
            values=[total(6)],
            submission=returned,
            version=3,
        )
        resubmitted = services.submit(user=reporter, submission=corrected, version=4)
        approved = services.approve(user=reviewer, submission=resubmitted, comment="Merci", version=5)
        approved = reload(approved)
        assert (approved.status, approved.version, approved.review_comment) == (Status.APPROVED, 6, "Merci")
        assert approved.reviewed_at is not None and approved.values.get(category=None).value == D(6)
        # The history keeps every step.
        assert [h.status for h in approved.history.order_by("history_date")] == [
            "draft",
            "submitted",
            "returned",
            "returned",
            "submitted",
            "approved",
        ]

    def test_reopen_an_approved_submission(self, approved, reviewer, reporter):
        reopened = services.reopen(user=reviewer, submission=approved, comment="Chiffre à revoir")
        assert reopened.status == Status.RETURNED and reopened.review_comment == "Chiffre à revoir"
        services.save_submission(
            user=reporter,
            definition=approved.definition,
            period="2023",
            values=[total(9)],
            submission=reopened,
        )

    def test_officer_reports_and_another_reviewer_approves(self, definition, officer, reviewer, reporter_org):
        draft = services.save_submission(
            user=officer, definition=definition, period="2024", values=[total(2)], organisation=reporter_org
        )
        services.submit(user=officer, submission=draft)
        assert services.approve(user=reviewer, submission=draft).status == Status.APPROVED


# ================================================================================================
# Refused transitions
# ================================================================================================
class TestRefusedTransitions:
    @pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
    def test_submit_only_drafts_and_returned(self, definition, reporter_org, reporter, status):
        submission = make_submission(definition, reporter_org, "2023", total=1, status=status)
        with pytest.raises(ValidationError):
            services.submit(user=reporter, submission=submission)
        assert reload(submission).status == status and reload(submission).version == 1

    @pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.APPROVED])
    def test_approve_and_return_only_submitted(self, definition, reporter_org, reviewer, status):
        submission = make_submission(definition, reporter_org, "2023", total=1, status=status)
        with pytest.raises(ValidationError):
            services.approve(user=reviewer, submission=submission)
        with pytest.raises(ValidationError):
            services.return_submission(user=reviewer, submission=submission, comment="x")
        assert reload(submission).status == status

    @pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.RETURNED])
    def test_reopen_only_approved(self, definition, reporter_org, reviewer, status):
        submission = make_submission(definition, reporter_org, "2023", total=1, status=status)
        with pytest.raises(ValidationError):
            services.reopen(user=reviewer, submission=submission, comment="x")

    def test_return_and_reopen_need_a_comment(self, submitted_submission, approved, reviewer):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.return_submission(user=reviewer, submission=submitted_submission, comment="  ")
        assert exc.value.message_dict == {"comment": ["Say what needs correcting."]}
        with pytest.raises(ValidationError) as exc:
            services.reopen(user=reviewer, submission=approved, comment="")
        assert "comment" in exc.value.message_dict
        assert (
            reload(submitted_submission).status == Status.SUBMITTED
            and reload(approved).status == Status.APPROVED
        )

    @pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
    def test_submitted_and_approved_values_cannot_be_edited(self, definition, reporter_org, reporter, status):
        submission = make_submission(definition, reporter_org, "2023", total=1, status=status)
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter, definition=definition, period="2023", values=[total(2)], submission=submission
            )
        assert "can no longer be edited" in exc.value.messages[0]
        assert reload(submission).values.get().value == D(1)

    def test_message_in_english(self, approved, reviewer):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.approve(user=reviewer, submission=approved)
        assert exc.value.messages == ["Only a submitted submission can be approved; this one is “Approved”."]


# ================================================================================================
# Who may do what
# ================================================================================================
class TestPermissions:
    @pytest.mark.parametrize("who", ["observer", "outsider", "reviewer", "other_reporter"])
    def test_who_cannot_submit(self, request, draft_submission, who):
        with pytest.raises(PermissionDenied):
            services.submit(user=request.getfixturevalue(who), submission=draft_submission)
        assert reload(draft_submission).status == Status.DRAFT

    @pytest.mark.parametrize("who", ["observer", "outsider", "reporter", "other_reporter"])
    def test_who_cannot_review(self, request, submitted_submission, approved, who):
        user = request.getfixturevalue(who)
        with pytest.raises(PermissionDenied):
            services.approve(user=user, submission=submitted_submission)
        with pytest.raises(PermissionDenied):
            services.return_submission(user=user, submission=submitted_submission, comment="x")
        with pytest.raises(PermissionDenied):
            services.reopen(user=user, submission=approved, comment="x")
        assert reload(submitted_submission).status == Status.SUBMITTED

    def test_viewer_membership_gives_no_reviewing(self, compact, submitted_submission, observer):
        compacts.Membership.objects.create(
            compact=compact, user=observer, role=compacts.Membership.Role.VIEWER
        )
        with pytest.raises(PermissionDenied):
            services.approve(user=observer, submission=submitted_submission)


class TestSeparationOfDuties:
    def test_reviewer_cannot_approve_own_organisations_values(
        self, compact, reviewer, reviewer_org, reporter
    ):
        definition = make_definition(compact, reporters=[reviewer_org])
        colleague = UserFactory(organisation=reviewer_org)
        submission = make_submission(
            definition,
            reviewer_org,
            "2023",
            total=3,
            status=Status.SUBMITTED,
            created_by=colleague,
            submitted_by=colleague,
        )
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.approve(user=reviewer, submission=submission)
        assert "your own organisation" in str(exc.value)
        with pytest.raises(PermissionDenied):
            services.return_submission(user=reviewer, submission=submission, comment="x")
        submission.status = Status.APPROVED
        submission.save()
        with pytest.raises(PermissionDenied):
            services.reopen(user=reviewer, submission=submission, comment="x")

    def test_officer_who_submitted_on_behalf_cannot_approve(
        self, definition, officer, reviewer, reporter_org
    ):
        draft = services.save_submission(
            user=officer, definition=definition, period="2023", values=[total(1)], organisation=reporter_org
        )
        services.submit(user=officer, submission=draft)
        with pytest.raises(PermissionDenied):
            services.approve(user=officer, submission=draft)
        assert services.approve(user=reviewer, submission=draft).status == Status.APPROVED

    def test_another_member_of_the_committee_from_another_organisation_may(
        self, compact, reviewer_org, submitted_submission, officer
    ):
        # The programme officer (TIP Office) reviews an NGO's values it did not enter.
        assert services.approve(user=officer, submission=submitted_submission).reviewed_by == officer


# ================================================================================================
# Locking periods
# ================================================================================================
class TestLocking:
    @pytest.fixture
    def quarterly(self, compact, reporter_org, other_reporter_org):
        return make_definition(compact, reporters=[reporter_org, other_reporter_org], frequency="quarterly")

    def test_lock_locks_approved_values_of_the_period_and_its_quarters(
        self, compact, definition, quarterly, reporter_org, other_reporter_org, reviewer
    ):
        year = make_submission(definition, reporter_org, "2023", total=1)
        quarter = make_submission(quarterly, reporter_org, "2023Q2", total=1)
        pending = make_submission(definition, other_reporter_org, "2023", total=1, status=Status.SUBMITTED)
        other_year = make_submission(definition, reporter_org, "2024", total=1)
        elsewhere = make_submission(
            make_definition(make_compact_with_parties(), reporters=[reporter_org]),
            reporter_org,
            "2023",
            total=1,
        )
        assert services.lock_period(user=reviewer, compact=compact, period="2023") == 2
        assert reload(year).locked and reload(quarter).locked and reload(year).version == 2
        assert not reload(pending).locked and not reload(other_year).locked and not reload(elsewhere).locked
        assert services.lock_period(user=reviewer, compact=compact, period="2023") == 0
        latest = reload(year).history.latest()
        assert latest.locked and latest.history_user == reviewer

    def test_locked_values_cannot_be_reopened_or_edited(self, compact, approved, reviewer, reporter, officer):
        services.lock_period(user=reviewer, compact=compact, period="2023")
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.reopen(user=reviewer, submission=approved, comment="x")
        assert exc.value.messages == ["This period is locked: its values can no longer change."]
        with pytest.raises(ValidationError):
            services.reopen(user=officer, submission=approved, comment="x")
        approved = reload(approved)
        assert approved.status == Status.APPROVED and not approved.is_editable

    def test_only_officers_unlock(self, compact, approved, reviewer, officer):
        services.lock_period(user=reviewer, compact=compact, period="2023")
        with pytest.raises(PermissionDenied):
            services.unlock_period(user=reviewer, compact=compact, period="2023")
        assert services.unlock_period(user=officer, compact=compact, period="2023") == 1
        assert not reload(approved).locked
        services.reopen(user=reviewer, submission=approved, comment="x")

    def test_bad_period(self, compact, reviewer):
        with pytest.raises(ValidationError) as exc:
            services.lock_period(user=reviewer, compact=compact, period="2023Q7")
        assert "period" in exc.value.message_dict

    @pytest.mark.parametrize("who", ["observer", "outsider", "reporter"])
    def test_who_cannot_lock(self, request, compact, approved, who):
        with pytest.raises(PermissionDenied):
            services.lock_period(user=request.getfixturevalue(who), compact=compact, period="2023")
        assert not reload(approved).locked


# ================================================================================================
# Concurrent edits
# ================================================================================================
class TestStaleVersions:
    def test_second_editor_is_refused(self, draft_submission, reporter, officer):
        definition = draft_submission.definition
        opened_by_reporter = draft_submission.version
        opened_by_officer = draft_submission.version
        services.save_submission(
            user=reporter,
            definition=definition,
            period="2023",
            values=[total(11)],
            submission=draft_submission,
            version=opened_by_reporter,
        )
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=officer,
                definition=definition,
                period="2023",
                values=[total(12)],
                submission=draft_submission,
                version=opened_by_officer,
            )
        assert exc.value.message_dict["version"][0].startswith("Someone else saved this submission")
        assert reload(draft_submission).values.get(category=None).value == D(11)

    @pytest.mark.parametrize("action", ["submit", "approve", "return", "reopen"])
    def test_each_transition_checks_the_version(self, definition, reporter_org, reporter, reviewer, action):
        status = {"submit": Status.DRAFT, "reopen": Status.APPROVED}.get(action, Status.SUBMITTED)
        submission = make_submission(definition, reporter_org, "2023", total=1, status=status, version=3)
        call = {
            "submit": lambda v: services.submit(user=reporter, submission=submission, version=v),
            "approve": lambda v: services.approve(user=reviewer, submission=submission, version=v),
            "return": lambda v: services.return_submission(
                user=reviewer, submission=submission, comment="x", version=v
            ),
            "reopen": lambda v: services.reopen(user=reviewer, submission=submission, comment="x", version=v),
        }[action]
        with pytest.raises(ValidationError) as exc:
            call(2)
        assert "version" in exc.value.message_dict
        assert reload(submission).status == status
        assert call(3).version == 4


def _race(target_a, target_b):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(target):
        try:
            barrier.wait(timeout=10)
            target()
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        except OperationalError:  # SQLite: the second writer finds the database locked
            outcomes.append("locked")
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in (target_a, target_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _slow_values(monkeypatch):
    """Sleep between the checks and the writes, so that without row locks both saves would pass."""
    clean = services._clean_values

    def slow(*args, **kwargs):
        result = clean(*args, **kwargs)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(services, "_clean_values", slow)


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_submission_never_overwrite(monkeypatch, draft_submission, reporter, officer):
    """Two people opened version 1 and save at the same time. On PostgreSQL the second waits for the
    first (select_for_update) and is refused because the version moved on: exactly one save lands.
    SQLite (tests only) serialises writers and may refuse either with "database is locked"; there we
    check that the two saves never both land."""
    _slow_values(monkeypatch)
    definition = draft_submission.definition

    def save(user, figure):
        return lambda: services.save_submission(
            user=user,
            definition=definition,
            period="2023",
            values=[total(figure)],
            submission=draft_submission,
            version=1,
        )

    outcomes = _race(save(reporter, 21), save(officer, 22))
    assert len(outcomes) == 2 and outcomes.count("saved") <= 1, outcomes
    assert set(outcomes) <= {"saved", "refused", "locked"}, outcomes
    stored = reload(draft_submission)
    # Never both: the stored version says how many saves landed, and the values are one save's.
    assert stored.version == 1 + outcomes.count("saved")
    assert stored.values.get(category=None).value in (D(10), D(21), D(22))
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["refused", "saved"], outcomes
        assert stored.values.get(category=None).value in (D(21), D(22))


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_reports_of_one_period_make_one_submission(
    monkeypatch, definition, reporter, officer, reporter_org
):
    """Two first reports for the same organisation and period: one is saved, the other refused with a
    message on "period" (no integrity error reaches the user on PostgreSQL)."""
    _slow_values(monkeypatch)

    def create(user):
        return lambda: services.save_submission(
            user=user, definition=definition, period="2023", values=[total(1)], organisation=reporter_org
        )

    outcomes = _race(create(reporter), create(officer))
    assert len(outcomes) == 2 and outcomes.count("saved") <= 1, outcomes
    assert set(outcomes) <= {"saved", "refused", "locked"}, outcomes
    assert Submission.objects.filter(definition=definition, period="2023").count() == outcomes.count("saved")
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["refused", "saved"], outcomes
