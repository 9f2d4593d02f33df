"""Funding opportunities: the list (published ones for everyone, drafts for grants officers), creation
and editing with merit criteria, the detail page (eligibility, the apply button, reviewers), the
publish / close / finish / cancel actions and the ranking of the applications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation
from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Objective
from pacte.compacts.web import AuthedRequest

from . import forms, permissions, selectors, services
from .models import Application, FundingOpportunity, ReviewerAssignment
from .views import data, done, page, page_view, record_view, status_of

Status = FundingOpportunity.Status
ACTIONS = ("publish", "close", "finish", "cancel")


def _url(opportunity: FundingOpportunity) -> str:
    return reverse("grants:opportunity", args=[opportunity.pk])


# -- list -------------------------------------------------------------------------------------------------
@page_view("GET")
def opportunity_list(request: AuthedRequest) -> HttpResponse:
    queryset = selectors.visible_opportunities(request.user).select_related("compact")
    status = request.GET.get("status", "")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    paginator = Paginator(queryset.order_by("-deadline", "title", "pk"), 25)
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "status": status,
        "statuses": Status.choices,
        "grants_section": "opportunities",
        "now": timezone.now(),
    }
    return page(request, "grants/opportunity_list.html", context)


# -- create and edit --------------------------------------------------------------------------------------
def _form_choices(request: AuthedRequest) -> dict[str, Any]:
    compacts = list(compact_selectors.visible_compacts(request.user).order_by("title"))
    objectives = list(
        compact_selectors.visible_records(request.user, Objective)
        .select_related("compact")
        .order_by("compact__title", "number")
    )
    return {"compacts": compacts, "objectives": objectives}


def _criteria(form: forms.OpportunityForm) -> list[Any]:
    return [services.CriterionInput(**row) for row in form.criteria()]


def _changed_criteria(opportunity: FundingOpportunity, criteria: list[Any]) -> list[Any] | None:
    """None when the criteria are unchanged: the service then keeps them (and does not refuse an
    edit of the other fields once reviewers have scored)."""
    current = [
        services.CriterionInput(name=c.name, weight=c.weight, description=c.description)
        for c in opportunity.criteria.all()
    ]
    return None if current == criteria else criteria


@page_view("GET", "POST")
def opportunity_create(request: AuthedRequest) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    initial: dict[str, Any] = {}
    if request.GET.get("compact", "").isdigit():
        initial = {"compact": int(request.GET["compact"]), "programme_type": "child_protection_compact"}
    form = forms.OpportunityForm(data(request), initial=initial, **_form_choices(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.create_opportunity(
                user=request.user,
                data=form.service_data(),
                objectives=form.chosen_objectives(),
                criteria=_criteria(form),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 400
        else:
            return done(
                request,
                _url(opportunity),
                _("The opportunity was saved as a draft: publish it when it is ready."),
            )
    context = {"form": form, "grants_section": "opportunities"}
    return page(request, "grants/opportunity_form.html", context, status=max(status, status_of(form)))


@record_view("get_opportunity", "GET", "POST")
def opportunity_edit(request: AuthedRequest, opportunity: FundingOpportunity) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    form = forms.OpportunityForm(data(request), opportunity=opportunity, **_form_choices(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_opportunity(
                user=request.user,
                opportunity=opportunity,
                data=form.service_data(),
                objectives=form.chosen_objectives(),
                criteria=_changed_criteria(opportunity, _criteria(form)),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 400
        else:
            return done(request, _url(opportunity))
    context = {"form": form, "opportunity": opportunity, "grants_section": "opportunities"}
    return page(request, "grants/opportunity_form.html", context, status=max(status, status_of(form)))


# -- detail -----------------------------------------------------------------------------------------------
def is_eligible(organisation: Organisation | None, opportunity: FundingOpportunity) -> bool:
    """What the page shows before a person applies; ``submit_application`` decides."""
    if organisation is None or not organisation.is_active:
        return False
    kinds = opportunity.eligible_org_types or []
    if kinds and organisation.partner_kind not in kinds and organisation.org_type not in kinds:
        return False
    return not (opportunity.registration_required and not organisation.registration_number)


def _reviewer_candidates(opportunity: FundingOpportunity, assigned_ids: set[int]) -> list[Any]:
    """People who may review: the active users of active donor offices (grants officers' colleagues)
    not yet assigned."""
    users = (
        get_user_model()
        ._default_manager.filter(
            is_active=True,
            organisation__is_active=True,
            organisation__org_type=Organisation.Type.DONOR_OFFICE,
        )
        .exclude(pk__in=assigned_ids)
        .select_related("organisation")
        .order_by("last_name", "first_name", "username")
    )
    return list(users)


def _detail_context(request: AuthedRequest, opportunity: FundingOpportunity, **extra: Any) -> dict[str, Any]:
    user = request.user
    officer = permissions.is_grants_officer(user)
    reviewer = permissions.is_reviewer(user, opportunity)
    organisation = user.organisation if user.organisation_id else None
    own = (
        selectors.visible_applications(user)
        .filter(opportunity=opportunity, organisation=organisation)
        .first()
        if organisation is not None
        else None
    )
    is_open = opportunity.status == Status.PUBLISHED and opportunity.deadline > timezone.now()
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "criteria": list(opportunity.criteria.all()),
        "objectives": list(opportunity.objectives.all()),
        "own_application": own,
        "is_open": is_open,
        "eligible": is_eligible(organisation, opportunity),
        "can_apply": is_open and own is None and organisation is not None,
        "is_reviewer": reviewer,
        "can_rank": officer or reviewer,
        "kinds": _kind_labels(opportunity.eligible_org_types or []),
        "grants_section": "opportunities",
    }
    if officer:
        assignments = list(
            ReviewerAssignment.objects.filter(opportunity=opportunity)
            .select_related("reviewer__organisation")
            .order_by("reviewer__last_name", "reviewer__username")
        )
        assigned = [a.reviewer for a in assignments]
        context["reviewers"] = assigned
        context.setdefault(
            "reviewer_form",
            forms.ReviewerForm(
                candidates=_reviewer_candidates(opportunity, {u.pk for u in assigned}), assigned=assigned
            ),
        )
        context.setdefault("cancel_form", forms.ReasonForm())
        context["application_counts"] = dict(
            selectors.visible_applications(user)
            .filter(opportunity=opportunity)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        context["application_statuses"] = Application.Status.choices
        context["actions"] = _available_actions(opportunity)
    context.update(extra)
    return context


def _kind_labels(kinds: list[str]) -> list[str]:
    labels = dict(forms.org_kind_choices())
    return [str(labels.get(k, k)) for k in kinds]


def _available_actions(opportunity: FundingOpportunity) -> list[str]:
    return {
        Status.DRAFT: ["publish", "cancel"],
        Status.PUBLISHED: ["close", "cancel"],
        Status.CLOSED: ["finish", "cancel"],
    }.get(opportunity.status, [])


@record_view("get_opportunity", "GET")
def opportunity_detail(request: AuthedRequest, opportunity: FundingOpportunity) -> HttpResponse:
    return page(request, "grants/opportunity_detail.html", _detail_context(request, opportunity))


def _action_messages() -> dict[str, str]:
    return {
        "publish": _("The opportunity is published: organisations may apply."),
        "close": _("The opportunity is closed to applications."),
        "finish": _("The selection is finished: the other applications are not selected."),
        "cancel": _("The opportunity was cancelled."),
    }


@record_view("get_opportunity", "POST")
def opportunity_action(request: AuthedRequest, opportunity: FundingOpportunity, action: str) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    cancel_form = forms.ReasonForm(request.POST) if action == "cancel" else None
    if cancel_form is not None and not cancel_form.is_valid():
        context = _detail_context(request, opportunity, cancel_form=cancel_form)
        return page(request, "grants/opportunity_detail.html", context, status=400)
    try:
        if action == "publish":
            services.publish_opportunity(user=request.user, opportunity=opportunity)
        elif action == "close":
            services.close_opportunity(user=request.user, opportunity=opportunity)
        elif action == "finish":
            services.finish_selection(user=request.user, opportunity=opportunity)
        else:
            assert cancel_form is not None
            services.cancel_opportunity(
                user=request.user, opportunity=opportunity, reason=cancel_form.cleaned_data["reason"]
            )
    except ValidationError as exc:
        context = _detail_context(request, opportunity, action_errors=exc.messages)
        return page(request, "grants/opportunity_detail.html", context, status=400)
    return done(request, _url(opportunity), _action_messages()[action])


@record_view("get_opportunity", "POST")
def opportunity_reviewers(request: AuthedRequest, opportunity: FundingOpportunity) -> HttpResponse:
    """Assign a reviewer (``reviewer``) or remove one (``remove``)."""
    permissions.require_grants_officer(request.user)
    assigned = [
        a.reviewer
        for a in ReviewerAssignment.objects.filter(opportunity=opportunity).select_related("reviewer")
    ]
    form = forms.ReviewerForm(
        request.POST,
        candidates=_reviewer_candidates(opportunity, {u.pk for u in assigned}),
        assigned=assigned,
    )
    if form.is_valid():
        removed, chosen = form.removed(), form.chosen()
        try:
            if removed is not None:
                services.remove_reviewer(user=request.user, opportunity=opportunity, reviewer=removed)
                message = _("%(name)s no longer reviews this opportunity.") % {"name": removed}
            elif chosen is not None:
                services.assign_reviewer(user=request.user, opportunity=opportunity, reviewer=chosen)
                message = _("%(name)s reviews this opportunity.") % {"name": chosen}
            else:
                raise PermissionDenied
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return done(request, _url(opportunity) + "#reviewers", message)
    context = _detail_context(request, opportunity, reviewer_form=form)
    return page(request, "grants/opportunity_detail.html", context, status=400)


# -- ranking ----------------------------------------------------------------------------------------------
@record_view("get_opportunity", "GET")
def ranking(request: AuthedRequest, opportunity: FundingOpportunity) -> HttpResponse:
    """The applications by weighted score (grants officers and the assigned reviewers)."""
    ranked = selectors.ranking(request.user, opportunity)
    context = {
        "opportunity": opportunity,
        "criteria": list(opportunity.criteria.all()),
        "ranked": ranked,
        "can_award": permissions.is_grants_officer(request.user),
        "grants_section": "opportunities",
    }
    return page(request, "grants/ranking.html", context)
