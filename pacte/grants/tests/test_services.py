"""Grants services: every rule with its refusal, and that a refused call saves nothing."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal as D

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.db import transaction as db_transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts.factories import ObjectiveFactory, make_compact_with_parties
from pacte.compacts.models import Commitment, Pillar
from pacte.grants import services
from pacte.grants.factories import ceiling, make_application, make_award, make_opportunity, ngo
from pacte.grants.models import (
    Application,
    ApplicationBudgetLine,
    ApplicationDocument,
    Award,
    Budget,
    ConflictDeclaration,
    EmergencyRequest,
    FundingOpportunity,
    MeritCriterion,
    ProgrammeType,
    ReviewerAssignment,
    Score,
    SectorShare,
    Transaction,
)
from pacte.grants.services import BudgetLineInput, CriterionInput, ScoreInput, SectorInput

TODAY = dt.date.today


def reload(record):  # type: ignore[no-untyped-def]
    return type(record).objects.get(pk=record.pk)


def messages(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict.get(field, []))


def opportunity_data(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "title": "Protection des enfants",
        "reference": "SFOP0001234",
        "programme_type": ProgrammeType.BILATERAL_REGIONAL,
        "description": "Appel.",
        "ceiling": D(500_000),
        "eligible_org_types": ["ngo"],
        "deadline": timezone.now() + dt.timedelta(days=20),
    }
    data.update(overrides)
    return data


CRITERIA = [CriterionInput("Technique", D(60)), CriterionInput("Coût", D(40))]


def award_data(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "reference": "SINLEC24GR9001",
        "title": "Protection à Abidjan",
        "instrument": Award.Instrument.GRANT,
        "start_date": dt.date(2024, 1, 1),
        "end_date": dt.date(2025, 12, 31),
        "amount": D(800_000),
        "justification": "Meilleure note.",
        "decided_on": dt.date(2023, 12, 20),
    }
    data.update(overrides)
    return data


HUMAN_RIGHTS = [SectorInput("15160", D(100))]


# -- opportunities --------------------------------------------------------------------------------------
def test_create_opportunity_makes_a_draft_with_criteria_and_objectives(officer, compact, objective):
    opportunity = services.create_opportunity(
        user=officer,
        data=opportunity_data(compact=compact, programme_type=ProgrammeType.CHILD_PROTECTION_COMPACT),
        objectives=[objective],
        criteria=CRITERIA,
    )
    opportunity = reload(opportunity)
    assert opportunity.status == FundingOpportunity.Status.DRAFT
    assert opportunity.created_by == officer
    assert list(opportunity.objectives.all()) == [objective]
    assert [(c.name, c.weight, c.order) for c in opportunity.criteria.all()] == [
        ("Technique", D(60), 0),
        ("Coût", D(40), 1),
    ]


@pytest.mark.parametrize("who", ["applicant", "observer", "outsider"])
def test_only_grants_officers_create_opportunities(request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.create_opportunity(user=user, data=opportunity_data(), criteria=CRITERIA)
    assert not FundingOpportunity.objects.exists()


def test_create_opportunity_refuses_bad_input_with_field_messages(officer, compact, db):
    other = ObjectiveFactory(compact=make_compact_with_parties(title="Autre"), pillar=Pillar.PREVENTION)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_opportunity(
            user=officer,
            data=opportunity_data(reference="SFOP 12", compact=compact, eligible_org_types=["pirates"]),
            objectives=[other],
            criteria=[CriterionInput("A", D(50)), CriterionInput("a", D(0))],
        )
    errors = exc.value.message_dict
    assert "letters, digits and -" in messages(exc, "reference")
    assert "not an objective of this compact" in messages(exc, "objectives")
    assert "Two criteria are named" in messages(exc, "criteria")
    assert "above 0 and at most 100" in messages(exc, "criteria")
    assert "programme_type" in errors  # model clean: a compact's opportunity is of the compact type
    assert "eligible_org_types" in errors
    assert not FundingOpportunity.objects.exists() and not MeritCriterion.objects.exists()


def test_publish_needs_criteria_adding_up_to_100(officer):
    draft = services.create_opportunity(
        user=officer, data=opportunity_data(), criteria=[CriterionInput("Seul", D(70))]
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.publish_opportunity(user=officer, opportunity=draft)
    assert "add up to 70.00, not 100" in messages(exc, "criteria")
    assert reload(draft).status == FundingOpportunity.Status.DRAFT


def test_publish_needs_a_deadline_in_the_future(officer):
    draft = services.create_opportunity(
        user=officer,
        data=opportunity_data(deadline=timezone.now() - dt.timedelta(hours=1)),
        criteria=CRITERIA,
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.publish_opportunity(user=officer, opportunity=draft)
    assert "has passed" in messages(exc, "deadline")
    assert reload(draft).status == FundingOpportunity.Status.DRAFT


def test_publish_close_and_the_wrong_transitions(officer, applicant):
    draft = services.create_opportunity(user=officer, data=opportunity_data(), criteria=CRITERIA)
    with pytest.raises(ValidationError):
        services.close_opportunity(user=officer, opportunity=draft)
    with pytest.raises(PermissionDenied):
        services.publish_opportunity(user=applicant, opportunity=draft)
    services.publish_opportunity(user=officer, opportunity=draft)
    assert draft.status == FundingOpportunity.Status.PUBLISHED and draft.published_at is not None
    with pytest.raises(ValidationError):
        services.publish_opportunity(user=officer, opportunity=draft)
    services.close_opportunity(user=officer, opportunity=draft)
    assert reload(draft).status == FundingOpportunity.Status.CLOSED
    with pytest.raises(ValidationError):
        services.update_opportunity(user=officer, opportunity=draft, data={"title": "Nouveau"})


def test_update_opportunity_keeps_published_criteria_at_100_and_frozen_once_scored(
    officer, opportunity, application, reviewer
):
    with pytest.raises(ValidationError) as exc:
        services.update_opportunity(
            user=officer, opportunity=opportunity, data={}, criteria=[CriterionInput("Seul", D(80))]
        )
    assert "criteria" in exc.value.message_dict
    services.update_opportunity(
        user=officer, opportunity=opportunity, data={"title": "Titre revu"}, criteria=CRITERIA
    )
    assert reload(opportunity).title == "Titre revu"
    assert sorted(opportunity.criteria.values_list("weight", flat=True)) == [D(40), D(60)]
    services.declare_conflict(user=reviewer, application=application, has_conflict=False)
    first = opportunity.criteria.first()
    services.score_application(user=reviewer, application=application, scores={first.pk: ScoreInput(D(70))})
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_opportunity(
            user=officer,
            opportunity=opportunity,
            data={"title": "Encore"},
            criteria=[CriterionInput("Autre", D(100))],
        )
    assert "already scored" in messages(exc, "criteria")
    assert reload(opportunity).title == "Titre revu"
    assert opportunity.criteria.count() == 2


def test_opportunity_ceiling_cannot_fall_below_an_award(officer, opportunity, award):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_opportunity(user=officer, opportunity=opportunity, data={"ceiling": D(900_000)})
    assert "cannot be lower" in messages(exc, "ceiling")
    assert reload(opportunity).ceiling == D(2_000_000)


def test_cancel_needs_a_reason_and_keeps_it(officer, opportunity):
    with pytest.raises(ValidationError) as exc:
        services.cancel_opportunity(user=officer, opportunity=opportunity, reason="  ")
    assert "reason" in exc.value.message_dict
    assert reload(opportunity).status == FundingOpportunity.Status.PUBLISHED
    services.cancel_opportunity(user=officer, opportunity=opportunity, reason="Fonds indisponibles")
    assert reload(opportunity).status == FundingOpportunity.Status.CANCELLED
    assert reload(opportunity).cancellation_reason == "Fonds indisponibles"
    with pytest.raises(ValidationError):
        services.cancel_opportunity(user=officer, opportunity=opportunity, reason="Encore")


def test_an_opportunity_with_awards_cannot_be_cancelled(officer, opportunity, award):
    with pytest.raises(ValidationError):
        services.cancel_opportunity(user=officer, opportunity=opportunity, reason="Non")
    assert reload(opportunity).status == FundingOpportunity.Status.PUBLISHED


def test_assign_and_remove_reviewers(officer, opportunity, applicant, reviewer, application):
    colleague = UserFactory(username="colleague", organisation=officer.organisation)
    assignment = services.assign_reviewer(user=officer, opportunity=opportunity, reviewer=colleague)
    assert assignment.reviewer == colleague
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.assign_reviewer(user=officer, opportunity=opportunity, reviewer=colleague)
    assert "already reviews" in messages(exc, "reviewer")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.assign_reviewer(user=officer, opportunity=opportunity, reviewer=applicant)
    assert "applied to this opportunity" in messages(exc, "reviewer")
    with pytest.raises(PermissionDenied):
        services.assign_reviewer(user=applicant, opportunity=opportunity, reviewer=applicant)
    services.remove_reviewer(user=officer, opportunity=opportunity, reviewer=colleague)
    assert not ReviewerAssignment.objects.filter(reviewer=colleague).exists()
    with pytest.raises(ValidationError):
        services.remove_reviewer(user=officer, opportunity=opportunity, reviewer=colleague)
    # A reviewer who scored stays (their scores count in the ranking).
    services.declare_conflict(user=reviewer, application=application, has_conflict=False)
    criterion = opportunity.criteria.first()
    services.score_application(
        user=reviewer, application=application, scores={criterion.pk: ScoreInput(D(50))}
    )
    with pytest.raises(ValidationError):
        services.remove_reviewer(user=officer, opportunity=opportunity, reviewer=reviewer)
    assert ReviewerAssignment.objects.filter(reviewer=reviewer).exists()


def test_finish_selection(officer, opportunity, application, award, outsider):
    other = make_application(opportunity, outsider.organisation)
    draft = make_application(opportunity, ngo("Brouillon"), status=Application.Status.DRAFT)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.finish_selection(user=officer, opportunity=opportunity)  # deadline not passed
    assert "close the opportunity first" in messages(exc, NON_FIELD_ERRORS)
    assert reload(other).status == Application.Status.SUBMITTED
    services.close_opportunity(user=officer, opportunity=opportunity)
    services.finish_selection(user=officer, opportunity=opportunity)
    assert reload(opportunity).status == FundingOpportunity.Status.AWARDED
    assert reload(other).status == Application.Status.NOT_SELECTED
    assert reload(application).status == Application.Status.AWARDED
    assert reload(draft).status == Application.Status.DRAFT


def test_finish_selection_needs_an_award(officer, opportunity, application):
    services.close_opportunity(user=officer, opportunity=opportunity)
    with pytest.raises(ValidationError):
        services.finish_selection(user=officer, opportunity=opportunity)
    assert reload(application).status == Application.Status.SUBMITTED
    assert reload(opportunity).status == FundingOpportunity.Status.CLOSED


# -- applications ---------------------------------------------------------------------------------------
LINES = [BudgetLineInput(2024, D(300_000)), BudgetLineInput(2025, D(200_000))]


def test_create_application_for_the_users_organisation(outsider, opportunity, objective):
    application = services.create_application(
        user=outsider,
        opportunity=opportunity,
        title="Projet",
        narrative="Texte",
        budget_lines=[BudgetLineInput(2024, D(300_000), objective, "Ligne")],
    )
    application = reload(application)
    assert application.status == Application.Status.DRAFT
    assert application.organisation == outsider.organisation
    assert application.created_by == outsider
    assert [(b.year, b.amount, b.objective) for b in application.budget_lines.all()] == [
        (2024, D(300_000), objective)
    ]


def test_create_application_refusals_save_nothing(outsider, opportunity, compact, application, applicant):
    foreign = ObjectiveFactory(compact=make_compact_with_parties(title="Autre"), pillar=Pillar.PROTECTION)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_application(
            user=outsider,
            opportunity=opportunity,
            title="",
            narrative="Texte",
            budget_lines=[BudgetLineInput(2024, D(1_900_000), foreign), BudgetLineInput(2025, D(200_000))],
        )
    assert "ceiling" in messages(exc, "budget_lines")
    assert "not an objective of this opportunity" in messages(exc, "budget_lines")
    assert "title" in exc.value.message_dict
    assert not Application.objects.filter(organisation=outsider.organisation).exists()
    # One application per organisation.
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_application(
            user=applicant, opportunity=opportunity, title="Bis", narrative="x", budget_lines=LINES
        )
    assert "already applied" in messages(exc, NON_FIELD_ERRORS)
    assert Application.objects.filter(organisation=applicant.organisation).count() == 1


def test_no_application_to_a_draft_or_closed_opportunity(outsider, officer, opportunity):
    draft = make_opportunity(status=FundingOpportunity.Status.DRAFT)
    with pytest.raises(PermissionDenied):
        services.create_application(
            user=outsider, opportunity=draft, title="P", narrative="N", budget_lines=LINES
        )
    services.close_opportunity(user=officer, opportunity=opportunity)
    with pytest.raises(ValidationError):
        services.create_application(
            user=outsider, opportunity=opportunity, title="P", narrative="N", budget_lines=LINES
        )
    assert not Application.objects.filter(organisation=outsider.organisation).exists()


def test_update_application_refuses_a_stale_version(outsider, opportunity):
    application = services.create_application(
        user=outsider, opportunity=opportunity, title="P", narrative="N", budget_lines=LINES
    )
    services.update_application(
        user=outsider,
        application=application,
        title="P2",
        narrative="N2",
        budget_lines=[BudgetLineInput(2026, D(10))],
        version=1,
    )
    assert application.version == 2
    stored = reload(application)
    assert (stored.title, stored.version) == ("P2", 2)
    assert list(stored.budget_lines.values_list("year", "amount")) == [(2026, D(10))]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_application(
            user=outsider, application=application, title="P3", narrative="N3", budget_lines=LINES, version=1
        )
    assert "Someone else saved" in messages(exc, "version")
    stored = reload(application)
    assert (stored.title, stored.version, stored.budget_lines.count()) == ("P2", 2, 1)


def test_only_the_organisation_edits_its_draft(outsider, applicant, officer, opportunity, application):
    draft = services.create_application(
        user=outsider, opportunity=opportunity, title="P", narrative="N", budget_lines=LINES
    )
    for user in (applicant, officer):
        with pytest.raises(PermissionDenied):
            services.update_application(
                user=user, application=draft, title="X", narrative="X", budget_lines=LINES
            )
    with pytest.raises(PermissionDenied):  # submitted: no longer a draft
        services.update_application(
            user=applicant, application=application, title="X", narrative="X", budget_lines=LINES
        )
    assert reload(draft).title == "P" and reload(application).title != "X"


def test_submit_application(outsider, opportunity):
    Organisation.objects.filter(pk=outsider.organisation_id).update(registration_number="CI-2020-1")
    draft = services.create_application(
        user=outsider, opportunity=opportunity, title="P", narrative="N", budget_lines=LINES
    )
    services.submit_application(user=outsider, application=draft)
    stored = reload(draft)
    assert stored.status == Application.Status.SUBMITTED and stored.submitted_at is not None
    with pytest.raises(PermissionDenied):
        services.submit_application(user=outsider, application=draft)


def _draft(opportunity, organisation, **org_fields):  # type: ignore[no-untyped-def]
    """A draft of ``organisation`` (registered unless ``registration_number`` says otherwise)."""
    org_fields.setdefault("registration_number", "CI-ABJ-2020-B-0042")
    for name, value in org_fields.items():
        setattr(organisation, name, value)
    organisation.save()
    return make_application(opportunity, organisation, status=Application.Status.DRAFT)


def test_submit_after_the_deadline_names_the_date(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation)
    deadline = timezone.now() - dt.timedelta(minutes=1)
    FundingOpportunity.objects.filter(pk=opportunity.pk).update(deadline=deadline)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.submit_application(user=outsider, application=draft)
    message = messages(exc, NON_FIELD_ERRORS)
    assert "deadline for applications" in message and "has passed" in message
    assert str(timezone.localtime(deadline).year) in message
    assert reload(draft).status == Application.Status.DRAFT


def test_submit_refuses_an_ineligible_kind_of_organisation(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation, partner_kind=Organisation.PartnerKind.FOR_PROFIT)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.submit_application(user=outsider, application=draft)
    assert "not eligible" in messages(exc, "organisation")
    assert reload(draft).status == Application.Status.DRAFT


def test_an_organisation_type_is_also_an_eligible_kind(outsider, opportunity):
    FundingOpportunity.objects.filter(pk=opportunity.pk).update(eligible_org_types=["implementing_partner"])
    draft = _draft(opportunity, outsider.organisation, partner_kind="")
    services.submit_application(user=outsider, application=draft)
    assert reload(draft).status == Application.Status.SUBMITTED


def test_submit_requires_a_registration_number_when_asked(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation, registration_number="")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.submit_application(user=outsider, application=draft)
    assert "registration" in messages(exc, "organisation")
    assert reload(draft).status == Application.Status.DRAFT
    FundingOpportunity.objects.filter(pk=opportunity.pk).update(registration_required=False)
    services.submit_application(user=outsider, application=draft)
    assert reload(draft).status == Application.Status.SUBMITTED


def test_an_inactive_organisation_cannot_submit(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation, registration_number="X-1", is_active=False)
    with pytest.raises(PermissionDenied):
        services.submit_application(user=outsider, application=draft)
    assert reload(draft).status == Application.Status.DRAFT


def test_eligibility_reports_an_inactive_organisation(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation, registration_number="X-1", is_active=False)
    with translation.override("en"):
        errors = services.eligibility_errors(reload(draft))
        assert "not active" in " ".join(errors.messages["organisation"])


def test_submit_needs_a_budget_within_the_ceiling(outsider, opportunity):
    draft = _draft(opportunity, outsider.organisation, registration_number="X-1")
    ApplicationBudgetLine.objects.filter(application=draft).delete()
    with pytest.raises(ValidationError) as exc:
        services.submit_application(user=outsider, application=draft)
    assert "budget_lines" in exc.value.message_dict
    ApplicationBudgetLine.objects.create(application=draft, year=2024, amount=D(2_000_001))
    with pytest.raises(ValidationError):
        services.submit_application(user=outsider, application=draft)
    assert reload(draft).status == Application.Status.DRAFT


def test_withdraw_and_refuse(applicant, officer, outsider, application):
    with pytest.raises(PermissionDenied):
        services.withdraw_application(user=outsider, application=application)
    with pytest.raises(PermissionDenied):
        services.refuse_application(user=applicant, application=application, reason="Non")
    with pytest.raises(ValidationError) as exc:
        services.refuse_application(user=officer, application=application, reason="")
    assert "reason" in exc.value.message_dict
    assert reload(application).status == Application.Status.SUBMITTED
    services.refuse_application(user=officer, application=application, reason="Hors délai")
    stored = reload(application)
    assert (stored.status, stored.refusal_reason) == (Application.Status.REFUSED, "Hors délai")
    with pytest.raises(ValidationError):
        services.withdraw_application(user=applicant, application=application)
    with pytest.raises(ValidationError):
        services.refuse_application(user=officer, application=application, reason="Encore")


def test_withdraw_a_submitted_application(applicant, application):
    services.withdraw_application(user=applicant, application=application)
    assert reload(application).status == Application.Status.WITHDRAWN


def test_documents(outsider, opportunity, applicant, application, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = _draft(opportunity, outsider.organisation)
    document = services.add_application_document(
        user=outsider, application=draft, title="Statuts", file=SimpleUploadedFile("statuts.pdf", b"%PDF-1.4")
    )
    assert reload(document).title == "Statuts"
    with pytest.raises(ValidationError) as exc:
        services.add_application_document(
            user=outsider, application=draft, title="Virus", file=SimpleUploadedFile("virus.exe", b"MZ")
        )
    assert "file" in exc.value.message_dict
    with pytest.raises(PermissionDenied):  # submitted: no more documents
        services.add_application_document(
            user=applicant, application=application, title="Tard", file=SimpleUploadedFile("t.pdf", b"%PDF")
        )
    assert ApplicationDocument.objects.count() == 1


# -- review ---------------------------------------------------------------------------------------------
@pytest.fixture
def external_reviewer(opportunity):  # type: ignore[no-untyped-def]
    """A reviewer who is not a grants officer (an independent expert's organisation)."""
    org = OrganisationFactory(name="Experts indépendants", org_type=Organisation.Type.SERVICE_PROVIDER)
    user = UserFactory(username="expert", organisation=org)
    ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=user)
    return user


def _scores(opportunity, *values):  # type: ignore[no-untyped-def]
    return {c.pk: ScoreInput(D(v)) for c, v in zip(opportunity.criteria.all(), values, strict=False)}


def test_scoring_needs_a_declaration_first(external_reviewer, application, opportunity):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.score_application(
            user=external_reviewer, application=application, scores=_scores(opportunity, 80)
        )
    assert "Declare whether you have a conflict" in messages(exc, "has_conflict")
    assert not Score.objects.exists()


def test_a_reviewer_with_a_conflict_may_not_score(external_reviewer, application, opportunity):
    services.declare_conflict(
        user=external_reviewer, application=application, has_conflict=True, statement="Ancien employeur"
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.score_application(
            user=external_reviewer, application=application, scores=_scores(opportunity, 80)
        )
    assert "conflict of interest" in messages(exc, "has_conflict")
    assert not Score.objects.exists()


def test_score_and_rescore(external_reviewer, application, opportunity):
    services.declare_conflict(user=external_reviewer, application=application, has_conflict=False)
    saved = services.score_application(
        user=external_reviewer, application=application, scores=_scores(opportunity, 80, 70, 60)
    )
    assert sorted(s.score for s in saved) == [D(60), D(70), D(80)]
    services.score_application(
        user=external_reviewer, application=application, scores=_scores(opportunity, 90)
    )
    assert Score.objects.count() == 3
    assert sorted(Score.objects.values_list("score", flat=True)) == [D(60), D(70), D(90)]


def test_a_declaration_cannot_change_once_scored(external_reviewer, application, opportunity):
    services.declare_conflict(user=external_reviewer, application=application, has_conflict=False)
    services.declare_conflict(
        user=external_reviewer, application=application, has_conflict=False, statement="Rien"
    )
    services.score_application(
        user=external_reviewer, application=application, scores=_scores(opportunity, 80)
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.declare_conflict(user=external_reviewer, application=application, has_conflict=True)
    assert "cannot change" in messages(exc, "has_conflict")
    assert ConflictDeclaration.objects.get().has_conflict is False


def test_scores_are_checked(external_reviewer, application, opportunity):
    services.declare_conflict(user=external_reviewer, application=application, has_conflict=False)
    other_criterion = MeritCriterion.objects.create(
        opportunity=make_opportunity(), name="Ailleurs", weight=D(100)
    )
    first = opportunity.criteria.first()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.score_application(
            user=external_reviewer,
            application=application,
            scores={first.pk: ScoreInput(D(101)), other_criterion.pk: ScoreInput(D(50))},
        )
    assert "from 0 to 100" in messages(exc, "scores")
    assert "not a criterion of this opportunity" in messages(exc, "scores")
    with pytest.raises(ValidationError):
        services.score_application(user=external_reviewer, application=application, scores={})
    assert not Score.objects.exists()


@pytest.mark.parametrize("who", ["applicant", "outsider", "observer", "officer"])
def test_only_assigned_reviewers_declare_and_score(request, who, application, opportunity):
    """The officer is a grants officer but not assigned to this opportunity: no review either."""
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.declare_conflict(user=user, application=application, has_conflict=False)
    with pytest.raises(PermissionDenied):
        services.score_application(user=user, application=application, scores=_scores(opportunity, 50))
    assert not ConflictDeclaration.objects.exists() and not Score.objects.exists()


def test_no_review_of_a_draft(external_reviewer, opportunity, outsider):
    draft = _draft(opportunity, outsider.organisation)
    with pytest.raises(ValidationError):
        services.declare_conflict(user=external_reviewer, application=draft, has_conflict=False)


# -- awards ---------------------------------------------------------------------------------------------
def test_make_award_from_an_application(officer, application, opportunity, compact, objective):
    award = services.make_award(
        user=officer,
        data=award_data(),
        application=application,
        objectives=[objective],
        sectors=[SectorInput("15160", D(60)), SectorInput("15180", D(40))],
    )
    award = reload(award)
    assert award.opportunity == opportunity and award.compact == compact
    assert award.organisation == application.organisation
    assert award.programme_type == ProgrammeType.CHILD_PROTECTION_COMPACT
    assert award.recipient_country == compact.country
    assert award.decided_by == officer
    assert list(award.objectives.all()) == [objective]
    assert sorted(award.sectors.values_list("code", "percentage")) == [("15160", D(60)), ("15180", D(40))]
    assert reload(application).status == Application.Status.AWARDED


@pytest.mark.parametrize("who", ["applicant", "reviewer_outside", "observer", "outsider"])
def test_only_grants_officers_make_awards(request, who, application):
    if who == "reviewer_outside":
        user = UserFactory(organisation=OrganisationFactory(name="Experts", org_type="service_provider"))
    else:
        user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.make_award(user=user, data=award_data(), application=application)
    assert not Award.objects.exists()


def test_award_over_the_opportunity_ceiling_is_refused(officer, application):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.make_award(user=officer, data=award_data(amount=D(2_000_001)), application=application)
    assert "opportunity's ceiling of 2,000,000.00 USD" in messages(exc, "amount")
    assert not Award.objects.exists()
    assert reload(application).status == Application.Status.SUBMITTED


def test_awards_under_a_compact_stay_within_its_us_ceiling(officer, compact, us_ceiling, application):
    make_award(compact, amount=D(4_000_000))
    make_award(compact, amount=D(5_500_000))
    make_award(compact, amount=D(3_000_000), status=Award.Status.CANCELLED)  # does not count
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.make_award(user=officer, data=award_data(amount=D(600_000)), application=application)
    message = messages(exc, "amount")
    assert "United States ceiling of 10,000,000.00 USD" in message
    assert "500,000.00 USD remains" in message
    assert Award.objects.count() == 3 and not Award.objects.filter(application=application).exists()
    assert reload(application).status == Application.Status.SUBMITTED
    award = services.make_award(user=officer, data=award_data(amount=D(500_000)), application=application)
    assert award.amount == D(500_000)


def test_an_award_under_a_compact_without_ceiling_is_refused(officer, compact, applicant_org):
    Commitment.objects.filter(compact=compact, kind=Commitment.Kind.CEILING).delete()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.make_award(user=officer, data=award_data(), compact=compact, organisation=applicant_org)
    assert "No United States ceiling" in messages(exc, "amount")
    assert not Award.objects.exists()


def test_award_links_must_belong_to_the_compact(officer, compact, us_ceiling, applicant_org, db):
    other = make_compact_with_parties(title="Autre pacte")
    foreign = ObjectiveFactory(compact=other, pillar=Pillar.PROSECUTION)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.make_award(
            user=officer,
            data=award_data(),
            compact=compact,
            organisation=applicant_org,
            objectives=[foreign],
            sectors=[SectorInput("15160", D(60)), SectorInput("99999", D(30))],
        )
    assert "not an objective of this compact" in messages(exc, "objectives")
    assert "not a DAC 5-digit sector code" in messages(exc, "sectors")
    assert not Award.objects.exists() and not SectorShare.objects.exists()


@pytest.mark.parametrize(
    ("sectors", "expected"),
    [
        ([SectorInput("15160", D(60)), SectorInput("15180", D(30))], "add up to 90, not 100"),
        ([SectorInput("15160", D(100)), SectorInput("15160", D(0))], "given twice"),
        ([SectorInput("151", D(100))], "not a DAC 5-digit sector code"),
        ([SectorInput("15161", D(100))], "withdrawn"),
    ],
)
def test_sectors_are_dac_codes_adding_up_to_100(officer, applicant_org, sectors, expected):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.make_award(
            user=officer,
            data=award_data(programme_type=ProgrammeType.RESEARCH_INNOVATION),
            organisation=applicant_org,
            sectors=sectors,
        )
    assert expected in messages(exc, "sectors")
    assert not Award.objects.exists()


def test_award_outside_compacts_and_model_rules(officer, applicant_org):
    with pytest.raises(ValidationError) as exc:
        services.make_award(
            user=officer,
            data=award_data(
                programme_type=ProgrammeType.RESEARCH_INNOVATION,
                start_date=dt.date(2025, 1, 1),
                end_date=dt.date(2024, 1, 1),
                reference="BAD REF",
            ),
            organisation=applicant_org,
        )
    assert {"end_date", "reference"} <= set(exc.value.message_dict)
    award = services.make_award(
        user=officer,
        data=award_data(programme_type=ProgrammeType.RESEARCH_INNOVATION),
        organisation=applicant_org,
        sectors=HUMAN_RIGHTS,
    )
    assert award.compact is None and award.recipient_country == "CIV"


def test_an_application_is_awarded_once(officer, award, application):
    with pytest.raises(ValidationError) as exc:
        services.make_award(
            user=officer, data=award_data(reference="SINLEC24GR9002", amount=D(1)), application=application
        )
    assert "application" in exc.value.message_dict
    assert Award.objects.count() == 1


def test_update_award_with_version_and_ceiling(officer, award, compact):
    make_award(compact, amount=D(8_000_000))
    services.update_award(user=officer, award=award, data={"amount": D(2_000_000)}, version=1)
    assert award.version == 2 and reload(award).amount == D(2_000_000)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_award(user=officer, award=award, data={"title": "Autre"}, version=1)
    assert "Someone else saved" in messages(exc, "version")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_award(user=officer, award=award, data={"amount": D("2000000.01")}, version=2)
    assert "0.00 USD remains" in messages(exc, "amount")
    stored = reload(award)
    assert (stored.amount, stored.version, stored.title) == (D(2_000_000), 2, award.title)


def test_update_award_keeps_commitments_transactions_and_budgets_inside(officer, award):
    services.record_transaction(
        user=officer,
        award=award,
        kind=Transaction.Kind.COMMITMENT,
        date=dt.date(2024, 2, 1),
        amount=D(600_000),
    )
    services.set_budget(
        user=officer,
        award=award,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        amount=D(1),
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_award(
            user=officer,
            award=award,
            data={"amount": D(500_000), "start_date": dt.date(2024, 3, 1), "end_date": dt.date(2025, 12, 31)},
        )
    assert "Commitments already total 600,000.00 USD" in messages(exc, "amount")
    assert "start_date" in exc.value.message_dict and "end_date" in exc.value.message_dict
    stored = reload(award)
    assert (stored.amount, stored.start_date, stored.version) == (D(1_000_000), dt.date(2024, 1, 1), 1)


def test_update_award_replaces_links_only_when_given(officer, award, objective):
    services.update_award(user=officer, award=award, data={}, sectors=[SectorInput("15180", D(100))])
    assert list(award.sectors.values_list("code", flat=True)) == ["15180"]
    assert list(award.objectives.all()) == [objective]


# -- budgets --------------------------------------------------------------------------------------------
def test_budgets_inside_the_period_a_year_at_most_and_without_overlap(officer, award):
    budget = services.set_budget(
        user=officer,
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=D(300),
    )
    assert budget.value_date == dt.date(2024, 1, 1)
    cases = [
        ((dt.date(2023, 12, 1), dt.date(2024, 3, 31)), "period_start", "within the award period"),
        ((dt.date(2025, 1, 1), dt.date(2026, 1, 1)), "period_end", "a year at most"),
        ((dt.date(2024, 6, 1), dt.date(2025, 5, 31)), "period_start", "overlaps"),
    ]
    for (start, end), field, text in cases:
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.set_budget(user=officer, award=award, period_start=start, period_end=end, amount=D(100))
        assert text in messages(exc, field), (start, end)
    assert Budget.objects.count() == 1
    revised = services.set_budget(
        user=officer,
        award=award,
        period_start=dt.date(2024, 6, 1),
        period_end=dt.date(2025, 5, 31),
        amount=D(400),
        kind=Budget.Kind.REVISED,
    )
    changed = services.set_budget(
        user=officer,
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=D(350),
        budget=budget,
    )
    assert changed.pk == budget.pk and reload(budget).amount == D(350)
    services.delete_budget(user=officer, budget=revised)
    assert list(Budget.objects.values_list("pk", flat=True)) == [budget.pk]


def test_budget_currency_needs_a_rate(officer, award, applicant):
    with pytest.raises(ValidationError) as exc:
        services.set_budget(
            user=officer,
            award=award,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            amount=D(1000),
            currency="XOF",
        )
    assert "rate_to_usd" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.set_budget(
            user=applicant,
            award=award,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 6, 30),
            amount=D(1),
        )
    assert not Budget.objects.exists()


def test_a_budget_of_another_award_is_refused(officer, award, compact):
    other = make_award(compact, amount=D(10))
    budget = Budget.objects.create(
        award=other,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 6, 30),
        amount=D(1),
        value_date=TODAY(),
    )
    with pytest.raises(ValidationError):
        services.set_budget(
            user=officer,
            award=award,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 6, 30),
            amount=D(5),
            budget=budget,
        )
    assert reload(budget).amount == D(1)


# -- transactions ---------------------------------------------------------------------------------------
def test_transaction_amount_in_usd(officer, award):
    record = services.record_transaction(
        user=officer,
        award=award,
        kind=Transaction.Kind.DISBURSEMENT,
        date=dt.date(2024, 3, 1),
        amount=D(1_000_000),
        currency="XOF",
        rate_to_usd=D("0.00165"),
        reference="VIR-1",
    )
    assert reload(record).amount_usd == D("1650.00")
    assert record.created_by == officer
    usd = services.record_transaction(
        user=officer,
        award=award,
        kind=Transaction.Kind.COMMITMENT,
        date=dt.date(2024, 1, 1),
        amount=D("12.34"),
    )
    assert usd.amount_usd == D("12.34")


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"date": dt.date(2023, 12, 31)}, "date", "before the award starts"),
        ({"amount": D(0)}, "amount", ""),
        ({"amount": D(-5)}, "amount", "above zero"),
        ({"currency": "XOF"}, "rate_to_usd", "rate"),
        ({"currency": "ZZZ", "rate_to_usd": D(1)}, "currency", ""),
        ({"date": "future"}, "date", "future"),
    ],
)
def test_transaction_refusals(officer, award, fields, field, text):
    values = {"kind": Transaction.Kind.DISBURSEMENT, "date": dt.date(2024, 2, 1), "amount": D(100)} | fields
    if values["date"] == "future":
        values["date"] = TODAY() + dt.timedelta(days=1)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.record_transaction(user=officer, award=award, **values)
    assert text in messages(exc, field)
    assert not Transaction.objects.exists()


def test_a_future_expenditure_is_refused_but_a_future_commitment_is_not(officer, award, applicant):
    tomorrow = TODAY() + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        services.record_transaction(
            user=applicant, award=award, kind=Transaction.Kind.EXPENDITURE, date=tomorrow, amount=D(1)
        )
    services.record_transaction(
        user=officer, award=award, kind=Transaction.Kind.COMMITMENT, date=tomorrow, amount=D(1)
    )
    assert Transaction.objects.count() == 1


def test_commitments_never_exceed_the_award(officer, award):
    services.record_transaction(
        user=officer,
        award=award,
        kind=Transaction.Kind.COMMITMENT,
        date=dt.date(2024, 1, 1),
        amount=D(600_000_000),
        currency="XOF",
        rate_to_usd=D("0.0016"),
    )  # 960,000 USD
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.record_transaction(
            user=officer,
            award=award,
            kind=Transaction.Kind.COMMITMENT,
            date=dt.date(2024, 2, 1),
            amount=D("40000.01"),
        )
    assert "40,000.00 USD remains" in messages(exc, "amount")
    services.record_transaction(
        user=officer,
        award=award,
        kind=Transaction.Kind.COMMITMENT,
        date=dt.date(2024, 2, 1),
        amount=D(40_000),
    )
    assert Transaction.objects.count() == 2


def test_the_partner_records_its_expenditures_only(applicant, award, outsider, observer):
    record = services.record_transaction(
        user=applicant, award=award, kind=Transaction.Kind.EXPENDITURE, date=dt.date(2024, 5, 1), amount=D(10)
    )
    assert record.created_by == applicant
    for kind in (Transaction.Kind.COMMITMENT, Transaction.Kind.DISBURSEMENT):
        with pytest.raises(PermissionDenied):
            services.record_transaction(
                user=applicant, award=award, kind=kind, date=dt.date(2024, 5, 1), amount=D(10)
            )
    for user in (outsider, observer):
        with pytest.raises(PermissionDenied):
            services.record_transaction(
                user=user,
                award=award,
                kind=Transaction.Kind.EXPENDITURE,
                date=dt.date(2024, 5, 1),
                amount=D(10),
            )
    assert Transaction.objects.count() == 1


# -- emergency assistance -------------------------------------------------------------------------------
def _emergency(user, **fields):  # type: ignore[no-untyped-def]
    data = {"country": "civ", "title": "Rapatriement", "need": "Hébergement", "amount_requested": D(50_000)}
    data.update(fields)
    return services.request_emergency_assistance(user=user, data=data)


def test_request_emergency_assistance(applicant):
    request = _emergency(applicant, received_on=dt.date(2024, 3, 1))
    stored = reload(request)
    assert stored.organisation == applicant.organisation and stored.created_by == applicant
    assert stored.country == "CIV"
    assert stored.decision_due == dt.date(2024, 3, 11)
    assert stored.status == EmergencyRequest.Status.RECEIVED
    today = _emergency(applicant, title="Autre")
    assert today.received_on == TODAY() and today.decision_due == TODAY() + dt.timedelta(days=10)


def test_emergency_request_refusals(applicant):
    with pytest.raises(ValidationError) as exc:
        _emergency(applicant, received_on=TODAY() + dt.timedelta(days=2), amount_requested=D(0), title="")
    assert {"received_on", "amount_requested", "title"} <= set(exc.value.message_dict)
    assert not EmergencyRequest.objects.exists()


def test_approve_an_emergency_request_creates_the_award(officer, applicant):
    request = _emergency(applicant)
    services.decide_emergency_request(
        user=officer,
        request=request,
        approve=True,
        note="Urgent",
        award_data={
            "reference": "SINLEC24EA0001",
            "instrument": Award.Instrument.GRANT,
            "start_date": TODAY(),
            "end_date": TODAY() + dt.timedelta(days=90),
            "amount": D(40_000),
            "sectors": HUMAN_RIGHTS,
        },
    )
    stored = reload(request)
    assert stored.status == EmergencyRequest.Status.APPROVED
    assert (stored.decided_by, stored.decided_on, stored.decision_note) == (officer, TODAY(), "Urgent")
    award = stored.award
    assert award.programme_type == ProgrammeType.EMERGENCY_VICTIM_ASSISTANCE
    assert award.organisation == applicant.organisation
    assert (award.title, award.recipient_country, award.justification) == ("Rapatriement", "CIV", "Urgent")
    assert list(award.sectors.values_list("code", flat=True)) == ["15160"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.decide_emergency_request(user=officer, request=request, approve=False, note="Non")
    assert "already been decided" in messages(exc, NON_FIELD_ERRORS)
    assert reload(request).status == EmergencyRequest.Status.APPROVED


def test_an_emergency_award_stays_within_the_request(officer, applicant):
    request = _emergency(applicant)
    data = {
        "reference": "SINLEC24EA0002",
        "instrument": Award.Instrument.GRANT,
        "start_date": TODAY(),
        "end_date": TODAY(),
        "amount": D("50000.01"),
    }
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.decide_emergency_request(
            user=officer, request=request, approve=True, note="Oui", award_data=data
        )
    assert "amount requested (50,000.00 USD)" in messages(exc, "amount")
    with pytest.raises(ValidationError):
        services.decide_emergency_request(
            user=officer, request=request, approve=True, note="Oui", award_data=None
        )
    stored = reload(request)
    assert stored.status == EmergencyRequest.Status.RECEIVED and stored.award is None
    assert not Award.objects.exists()


def test_refusing_an_emergency_request_needs_a_note(officer, applicant):
    request = _emergency(applicant)
    with pytest.raises(ValidationError) as exc:
        services.decide_emergency_request(user=officer, request=request, approve=False, note=" ")
    assert "note" in exc.value.message_dict
    assert reload(request).status == EmergencyRequest.Status.RECEIVED
    services.decide_emergency_request(user=officer, request=request, approve=False, note="Hors mandat")
    stored = reload(request)
    assert (stored.status, stored.decided_by, stored.decided_on) == (
        EmergencyRequest.Status.REFUSED,
        officer,
        TODAY(),
    )
    assert not Award.objects.exists()


@pytest.mark.parametrize("who", ["applicant", "observer", "outsider"])
def test_only_grants_officers_decide_emergency_requests(request, who, applicant):
    emergency = _emergency(applicant)
    with pytest.raises(PermissionDenied):
        services.decide_emergency_request(
            user=request.getfixturevalue(who), request=emergency, approve=False, note="Non"
        )
    assert reload(emergency).status == EmergencyRequest.Status.RECEIVED


# -- arithmetic of the compact ceiling (hypothesis) -----------------------------------------------------
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ceiling_amount=st.integers(min_value=1, max_value=2_000_000),
    amounts=st.lists(
        st.decimals(min_value=D("0.01"), max_value=D(900_000), places=2), min_size=1, max_size=6
    ),
    cancelled=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_the_ceiling_admits_exactly_the_awards_that_fit(officer, compact, ceiling_amount, amounts, cancelled):
    """Awards are made one after the other: each is saved when the awards already saved (not
    cancelled) plus its own amount stay within the ceiling, and refused otherwise."""
    partner = ngo("Partenaire hypothèse")
    with db_transaction.atomic():
        ceiling(compact, ceiling_amount)
        total = D(0)
        for number, (amount, is_cancelled) in enumerate(zip(amounts, cancelled, strict=False)):
            status = Award.Status.CANCELLED if is_cancelled else Award.Status.IMPLEMENTATION
            fits = is_cancelled or total + amount <= ceiling_amount
            try:
                services.make_award(
                    user=officer,
                    data=award_data(reference=f"HYP{number}", amount=amount, status=status),
                    compact=compact,
                    organisation=partner,
                )
            except ValidationError as exc:
                assert not fits, (total, amount)
                assert "amount" in exc.message_dict
            else:
                assert fits, (total, amount)
                if not is_cancelled:
                    total += amount
        stored = sum(
            Award.objects.filter(compact=compact)
            .exclude(status=Award.Status.CANCELLED)
            .values_list("amount", flat=True),
            D(0),
        )
        assert stored == total <= ceiling_amount
        db_transaction.set_rollback(True)
    partner.delete()


# -- concurrency ----------------------------------------------------------------------------------------
def _race(*targets):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def run(target):  # type: ignore[no-untyped-def]
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

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _slow(monkeypatch, name):  # type: ignore[no-untyped-def]
    """Sleep after the check, before the write: without row locks both writes would pass."""
    original = getattr(services, name)

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(*args, **kwargs)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(services, name, slow)


@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_never_exceed_the_compact_ceiling(monkeypatch, officer, compact):
    """Two awards of 6 million each under a 10 million ceiling, decided at the same time: on
    PostgreSQL the second waits for the first (the compact row is locked) and is refused. SQLite
    (tests only) serialises writers and may refuse either with "database is locked"."""
    ceiling(compact, 10_000_000)
    first, second = ngo("Premier"), ngo("Second")
    _slow(monkeypatch, "_check_compact_ceiling")

    def award(reference, organisation):  # type: ignore[no-untyped-def]
        return lambda: services.make_award(
            user=officer,
            data=award_data(reference=reference, amount=D(6_000_000)),
            compact=compact,
            organisation=organisation,
        )

    outcomes = _race(award("RACE1", first), award("RACE2", second))
    assert len(outcomes) == 2 and outcomes.count("saved") == Award.objects.count() <= 1, outcomes
    assert set(outcomes) <= {"saved", "refused", "locked"}, outcomes
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["refused", "saved"], outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_commitments_never_exceed_the_award(monkeypatch, officer, compact):
    ceiling(compact, 10_000_000)
    award = make_award(compact, amount=D(1_000))
    _slow(monkeypatch, "_award_money")

    def commit():  # type: ignore[no-untyped-def]
        return services.record_transaction(
            user=officer,
            award=award,
            kind=Transaction.Kind.COMMITMENT,
            date=dt.date(2024, 1, 2),
            amount=D(600),
        )

    outcomes = _race(commit, commit)
    assert len(outcomes) == 2 and outcomes.count("saved") == Transaction.objects.count() <= 1, outcomes
    assert set(outcomes) <= {"saved", "refused", "locked"}, outcomes
    if connection.vendor == "postgresql":
        assert sorted(outcomes) == ["refused", "saved"], outcomes
