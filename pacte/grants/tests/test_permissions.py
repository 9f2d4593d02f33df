"""Who may see and do what, for ``outsider``, ``observer``, ``applicant``, ``reviewer`` and ``officer``
(and an assigned reviewer who is not a grants officer): the selectors' querysets agree with the
object-level rules of ``permissions.py``, and every service refuses the others with PermissionDenied
before changing anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.grants import permissions, selectors, services
from pacte.grants.factories import make_application, make_award, make_opportunity, ngo
from pacte.grants.models import (
    Application,
    Award,
    Budget,
    EmergencyRequest,
    FundingOpportunity,
    ReviewerAssignment,
    Transaction,
)
from pacte.grants.services import BudgetLineInput, CriterionInput, ScoreInput

USERS = ["outsider", "observer", "applicant", "reviewer", "officer", "expert"]


@pytest.fixture
def expert(opportunity):  # type: ignore[no-untyped-def]
    """Assigned to review ``opportunity``; not a grants officer (a service provider's person)."""
    org = OrganisationFactory(name="Cabinet d'experts", org_type=Organisation.Type.SERVICE_PROVIDER)
    user = UserFactory(username="expert", organisation=org)
    ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=user)
    return user


@pytest.fixture
def world(opportunity, application, award, applicant, outsider):  # type: ignore[no-untyped-def]
    """One record of each kind and state that visibility distinguishes."""
    draft_opportunity = make_opportunity(status=FundingOpportunity.Status.DRAFT)
    other_draft = make_application(opportunity, outsider.organisation, status=Application.Status.DRAFT)
    elsewhere = make_award(None, organisation=ngo("Partenaire ailleurs"))
    emergency = EmergencyRequest.objects.create(
        organisation=applicant.organisation,
        country="CIV",
        title="Urgence",
        need="x",
        amount_requested=D(1_000),
        received_on=dt.date(2024, 1, 1),
        decision_due=dt.date(2024, 1, 11),
    )
    return {
        "opportunities": [opportunity, draft_opportunity],
        "applications": [application, other_draft],
        "awards": [award, elsewhere],
        "emergency": [emergency],
    }


CHECKS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "opportunities": (
        selectors.visible_opportunities,
        selectors.get_opportunity,
        permissions.can_view_opportunity,
    ),
    "applications": (
        selectors.visible_applications,
        selectors.get_application,
        permissions.can_view_application,
    ),
    "awards": (selectors.visible_awards, selectors.get_award, permissions.can_view_award),
    "emergency": (
        selectors.visible_emergency_requests,
        selectors.get_emergency_request,
        permissions.can_view_emergency_request,
    ),
}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("kind", list(CHECKS))
def test_selectors_agree_with_the_object_rules(request, world, who, kind):
    user = request.getfixturevalue(who)
    visible, get, can_view = CHECKS[kind]
    for record in world[kind]:
        allowed = can_view(user, record)
        assert visible(user).filter(pk=record.pk).exists() == allowed, (who, record)
        if allowed:
            assert get(user, record.pk) == record
        else:
            with pytest.raises(Http404):
                get(user, record.pk)


# What each user sees (names of the records of ``world``), written out.
EXPECTED = {
    "outsider": {"opportunities": [0], "applications": [1], "awards": [], "emergency": []},
    "observer": {"opportunities": [0], "applications": [], "awards": [0], "emergency": []},
    "applicant": {"opportunities": [0], "applications": [0], "awards": [0], "emergency": [0]},
    "reviewer": {"opportunities": [0, 1], "applications": [0, 1], "awards": [0, 1], "emergency": [0]},
    "officer": {"opportunities": [0, 1], "applications": [0, 1], "awards": [0, 1], "emergency": [0]},
    "expert": {"opportunities": [0], "applications": [0], "awards": [], "emergency": []},
}


@pytest.mark.parametrize("who", USERS)
def test_who_sees_what(request, world, who):
    user = request.getfixturevalue(who)
    for kind, (visible, _get, _can) in CHECKS.items():
        seen = set(visible(user).values_list("pk", flat=True))
        assert seen == {world[kind][i].pk for i in EXPECTED[who][kind]}, (who, kind)


def test_an_inactive_user_sees_nothing(world, applicant, officer):
    for user in (applicant, officer):
        user.is_active = False
        user.save()
        for visible, _get, _can in CHECKS.values():
            assert not visible(user).exists()


# -- services ---------------------------------------------------------------------------------------------
def _officer_writes(ctx: dict[str, Any]) -> dict[str, Callable[[Any], Any]]:
    opportunity, award = ctx["opportunity"], ctx["award"]
    budget = ctx["budget"]
    return {
        "create_opportunity": lambda u: services.create_opportunity(
            user=u,
            data={
                "title": "T",
                "reference": "REF-1",
                "programme_type": "research_innovation",
                "description": "D",
                "ceiling": D(1),
                "deadline": opportunity.deadline,
            },
            criteria=[CriterionInput("C", D(100))],
        ),
        "update_opportunity": lambda u: services.update_opportunity(
            user=u, opportunity=opportunity, data={"title": "Changed"}
        ),
        "publish_opportunity": lambda u: services.publish_opportunity(user=u, opportunity=ctx["draft"]),
        "close_opportunity": lambda u: services.close_opportunity(user=u, opportunity=opportunity),
        "cancel_opportunity": lambda u: services.cancel_opportunity(
            user=u, opportunity=ctx["draft"], reason="R"
        ),
        "assign_reviewer": lambda u: services.assign_reviewer(
            user=u, opportunity=opportunity, reviewer=ctx["spare"]
        ),
        "remove_reviewer": lambda u: services.remove_reviewer(
            user=u, opportunity=opportunity, reviewer=ctx["expert"]
        ),
        "finish_selection": lambda u: services.finish_selection(user=u, opportunity=opportunity),
        "refuse_application": lambda u: services.refuse_application(
            user=u, application=ctx["to_refuse"], reason="R"
        ),
        "make_award": lambda u: services.make_award(
            user=u,
            data={
                "reference": "X1",
                "title": "T",
                "instrument": "grant",
                "start_date": dt.date(2024, 1, 1),
                "end_date": dt.date(2024, 12, 31),
                "amount": D(1),
                "justification": "J",
                "decided_on": dt.date(2024, 1, 1),
                "programme_type": "research_innovation",
            },
            organisation=ctx["applicant"].organisation,
        ),
        "update_award": lambda u: services.update_award(user=u, award=award, data={"title": "Changed"}),
        "set_budget": lambda u: services.set_budget(
            user=u,
            award=award,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 6, 30),
            amount=D(1),
        ),
        "delete_budget": lambda u: services.delete_budget(user=u, budget=budget),
        "record_disbursement": lambda u: services.record_transaction(
            user=u, award=award, kind=Transaction.Kind.DISBURSEMENT, date=dt.date(2024, 2, 1), amount=D(1)
        ),
        "decide_emergency_request": lambda u: services.decide_emergency_request(
            user=u, request=ctx["emergency"], approve=False, note="Non"
        ),
    }


@pytest.fixture
def ctx(world, opportunity, application, award, applicant, expert):  # type: ignore[no-untyped-def]
    budget = Budget.objects.create(
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 6, 30),
        amount=D(1),
        value_date=dt.date(2024, 1, 1),
    )
    return {
        "opportunity": opportunity,
        "application": application,
        "award": award,
        "applicant": applicant,
        "expert": expert,
        "draft": world["opportunities"][1],
        "emergency": world["emergency"][0],
        "spare": UserFactory(username="spare"),
        "budget": budget,
        "to_refuse": make_application(opportunity, ngo("À refuser")),
    }


def _snapshot() -> tuple[Any, ...]:
    return (
        list(FundingOpportunity.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Application.objects.order_by("pk").values_list("pk", "status", "title", "version")),
        list(Award.objects.order_by("pk").values_list("pk", "title", "version")),
        list(Budget.objects.order_by("pk").values_list("pk", "amount")),
        Transaction.objects.count(),
        list(EmergencyRequest.objects.values_list("pk", "status")),
        ReviewerAssignment.objects.count(),
    )


OFFICER_WRITES = [
    "create_opportunity",
    "update_opportunity",
    "publish_opportunity",
    "close_opportunity",
    "cancel_opportunity",
    "assign_reviewer",
    "remove_reviewer",
    "finish_selection",
    "refuse_application",
    "make_award",
    "update_award",
    "set_budget",
    "delete_budget",
    "record_disbursement",
    "decide_emergency_request",
]


@pytest.mark.parametrize("write", OFFICER_WRITES)
@pytest.mark.parametrize("who", ["outsider", "observer", "applicant", "expert"])
def test_grants_officer_writes_are_refused_to_others(request, ctx, who, write):
    user = request.getfixturevalue(who)
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        _officer_writes(ctx)[write](user)
    assert _snapshot() == before


@pytest.mark.parametrize("write", OFFICER_WRITES)
def test_grants_officers_may_do_them(officer, ctx, write):
    """The same calls succeed for ``officer`` (``reviewer`` is a grants officer too: same donor office)."""
    if write == "finish_selection":
        FundingOpportunity.objects.filter(pk=ctx["opportunity"].pk).update(status="closed")
    _officer_writes(ctx)[write](officer)


@pytest.fixture
def draft_of_applicant(opportunity, applicant):  # type: ignore[no-untyped-def]
    """``applicant``'s draft to a second opportunity (it has already applied to ``opportunity``)."""
    other = make_opportunity()
    return make_application(other, applicant.organisation, status=Application.Status.DRAFT)


def _applicant_writes(draft: Application) -> dict[str, Callable[[Any], Any]]:
    return {
        "update_application": lambda u: services.update_application(
            user=u, application=draft, title="X", narrative="Y", budget_lines=[BudgetLineInput(2024, D(1))]
        ),
        "add_application_document": lambda u: services.add_application_document(
            user=u, application=draft, title="Doc", file=SimpleUploadedFile("doc.pdf", b"%PDF")
        ),
        "submit_application": lambda u: services.submit_application(user=u, application=draft),
        "withdraw_application": lambda u: services.withdraw_application(user=u, application=draft),
    }


APPLICANT_WRITES = [
    "update_application",
    "add_application_document",
    "submit_application",
    "withdraw_application",
]


@pytest.mark.parametrize("write", APPLICANT_WRITES)
@pytest.mark.parametrize("who", ["outsider", "observer", "reviewer", "officer", "expert"])
def test_only_the_applying_organisation_changes_its_application(request, draft_of_applicant, who, write):
    user = request.getfixturevalue(who)
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        _applicant_writes(draft_of_applicant)[write](user)
    assert _snapshot() == before


@pytest.mark.parametrize("write", APPLICANT_WRITES)
def test_the_applying_organisation_may(applicant, draft_of_applicant, write, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _applicant_writes(draft_of_applicant)[write](applicant)


@pytest.mark.parametrize("who", ["outsider", "observer", "applicant", "officer"])
def test_review_is_for_assigned_reviewers(request, who, application, opportunity, expert, reviewer):
    user = request.getfixturevalue(who)
    criterion = opportunity.criteria.first()
    with pytest.raises(PermissionDenied):
        services.declare_conflict(user=user, application=application, has_conflict=False)
    with pytest.raises(PermissionDenied):
        services.score_application(
            user=user, application=application, scores={criterion.pk: ScoreInput(D(1))}
        )
    for assigned in (expert, reviewer):
        services.declare_conflict(user=assigned, application=application, has_conflict=False)
        services.score_application(
            user=assigned, application=application, scores={criterion.pk: ScoreInput(D(1))}
        )


@pytest.mark.parametrize("who", ["outsider", "observer", "applicant"])
def test_ranking_is_refused_to_others(request, who, opportunity, expert, reviewer, officer):
    with pytest.raises(PermissionDenied):
        selectors.ranking(request.getfixturevalue(who), opportunity)
    for allowed in (expert, reviewer, officer):
        assert selectors.ranking(allowed, opportunity) == selectors.ranking(officer, opportunity)


@pytest.mark.parametrize("who", ["outsider", "observer", "expert"])
def test_expenditures_by_the_partner_and_officers_only(request, who, award, applicant, officer):
    with pytest.raises(PermissionDenied):
        services.record_transaction(
            user=request.getfixturevalue(who),
            award=award,
            kind=Transaction.Kind.EXPENDITURE,
            date=dt.date(2024, 2, 1),
            amount=D(1),
        )
    for allowed in (applicant, officer):
        services.record_transaction(
            user=allowed,
            award=award,
            kind=Transaction.Kind.EXPENDITURE,
            date=dt.date(2024, 2, 1),
            amount=D(1),
        )
    assert Transaction.objects.count() == 2


def test_an_inactive_organisation_cannot_apply_or_request(outsider, opportunity):
    organisation = outsider.organisation
    organisation.is_active = False
    organisation.save()
    outsider.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.create_application(
            user=outsider, opportunity=opportunity, title="T", narrative="N", budget_lines=[]
        )
    with pytest.raises(PermissionDenied):
        services.request_emergency_assistance(
            user=outsider, data={"country": "CIV", "title": "T", "need": "N", "amount_requested": D(1)}
        )
    assert not Application.objects.filter(organisation=organisation).exists()
    assert not EmergencyRequest.objects.exists()
