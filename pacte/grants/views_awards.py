"""Awards: the award decision (from an application, prefilled), the list, the detail page with its
budgets and transactions (and the forms to add them), editing, and deleting a budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.compacts.models import Activity, Compact, Objective
from pacte.compacts.web import AuthedRequest
from pacte.results.models import IndicatorDefinition

from . import forms, permissions, selectors, services
from .models import Application, Award, Budget, Transaction
from .views import done, page, page_view, record_view, status_of, version_of


def _url(award: Award) -> str:
    return reverse("grants:award", args=[award.pk])


def _links_of(compact: Compact | None) -> forms.Links:
    """What an award under ``compact`` may fund and report on (nothing without a compact)."""
    if compact is None:
        return {"objectives": [], "activities": [], "indicators": []}
    return {
        "objectives": list(Objective.objects.filter(compact=compact).order_by("number")),
        "activities": list(
            Activity.objects.filter(objective__compact=compact)
            .select_related("objective")
            .order_by("objective__number", "order", "pk")
        ),
        "indicators": list(
            IndicatorDefinition.objects.filter(compact=compact)
            .select_related("indicator")
            .order_by("indicator__objective__number", "indicator__order", "pk")
        ),
    }


def _sectors(form: forms.AwardForm) -> list[Any]:
    return [services.SectorInput(**row) for row in form.sectors()]


# -- the award decision -----------------------------------------------------------------------------------
def application_initial(application: Application) -> dict[str, Any]:
    """The award form prefilled from the application: its title, narrative, budget (within the
    opportunity's ceiling), years and objectives."""
    opportunity = application.opportunity
    lines = list(application.budget_lines.all())
    total = sum((line.amount for line in lines), Decimal(0))
    years = sorted({line.year for line in lines})
    objectives = {line.objective_id for line in lines if line.objective_id} or {
        o.pk for o in opportunity.objectives.all()
    }
    compact = opportunity.compact
    initial: dict[str, Any] = {
        "title": application.title,
        "description": application.narrative[:2000],
        "instrument": Award.Instrument.GRANT,
        "amount": min(total, opportunity.ceiling) if total else None,
        "decided_on": timezone.localdate(),
        "recipient_country": compact.country if compact else application.organisation.country,
        "status": Award.Status.IMPLEMENTATION,
        "objectives": sorted(objectives),
    }
    if years:
        initial["start_date"] = dt.date(years[0], 1, 1)
        initial["end_date"] = dt.date(years[-1], 12, 31)
    return initial


@record_view("get_application", "GET", "POST")
def application_award(request: AuthedRequest, application: Application) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    existing = Award.objects.filter(application=application).first()
    if existing is not None and request.method == "GET":
        messages.info(request, _("This application has already been awarded."))
        return redirect(_url(existing))
    opportunity = application.opportunity
    form = forms.AwardForm(
        request.POST if request.method == "POST" else None,
        initial=application_initial(application),
        **_links_of(opportunity.compact),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            award = services.make_award(
                user=request.user,
                data=form.service_data(),
                application=application,
                sectors=_sectors(form),
                **form.relations(),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc, {"application": "__all__", "opportunity": "__all__"})
            status = 400
        else:
            return done(request, _url(award), _("The award was recorded."))
    context = {
        "form": form,
        "application": application,
        "opportunity": opportunity,
        "grants_section": "awards",
    }
    return page(request, "grants/award_form.html", context, status=max(status, status_of(form)))


@record_view("get_award", "GET", "POST")
def award_edit(request: AuthedRequest, award: Award) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    form = forms.AwardForm(
        request.POST if request.method == "POST" else None, award=award, **_links_of(award.compact)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        links = form.relations()
        try:
            services.update_award(
                user=request.user,
                award=award,
                data=form.service_data(),
                sectors=_sectors(form),
                version=version_of(form),
                objectives=links["objectives"] if "objectives" in form.fields else None,
                activities=links["activities"] if "activities" in form.fields else None,
                indicators=links["indicators"] if "indicators" in form.fields else None,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 409 if hasattr(exc, "error_dict") and "version" in exc.error_dict else 400
        else:
            return done(request, _url(award))
    context = {"form": form, "award": award, "grants_section": "awards"}
    return page(request, "grants/award_form.html", context, status=max(status, status_of(form)))


# -- list and detail --------------------------------------------------------------------------------------
@page_view("GET")
def award_list(request: AuthedRequest) -> HttpResponse:
    """The awards the user may see, 25 a page. The body is rendered once per process and cached under
    ``selectors.portfolio_cache_key`` (it changes with every grants write, the compacts, the
    organisations, the user's scope, the language and the query)."""
    key = selectors.portfolio_cache_key(request.user, "awards?" + request.GET.urlencode())
    body_html = cache.get(key) if key else None
    if body_html is None:
        queryset = selectors.visible_awards(request.user).select_related("organisation", "compact")
        paginator = Paginator(queryset.order_by("-start_date", "reference", "pk"), 25)
        body_html = render_to_string(
            "grants/_award_list_body.html",
            {"page": paginator.get_page(request.GET.get("page"))},
        )
        if key:
            cache.set(key, body_html, selectors.PORTFOLIO_CACHE_SECONDS)
    return page(request, "grants/award_list.html", {"body_html": body_html, "grants_section": "awards"})


def _transaction_kinds(request: AuthedRequest, award: Award) -> list[str] | None:
    """The kinds of transaction the user may record (None: none)."""
    if permissions.is_grants_officer(request.user):
        return list(Transaction.Kind.values)
    if permissions.can_record_expenditure(request.user, award):
        return [Transaction.Kind.EXPENDITURE]
    return None


def _detail_context(request: AuthedRequest, award: Award, **extra: Any) -> dict[str, Any]:
    officer = permissions.is_grants_officer(request.user)
    kinds = _transaction_kinds(request, award)
    finances = selectors.award_finances(award)
    context: dict[str, Any] = {
        "award": award,
        "finances": finances,
        "sectors": list(award.sectors.all()),
        "objectives": list(award.objectives.all()),
        "activities": list(award.activities.select_related("objective")),
        "indicators": list(award.indicators.select_related("indicator")),
        "can_edit": officer,
        "budget_form": forms.BudgetForm() if officer else None,
        "transaction_form": forms.TransactionForm(kinds=kinds) if kinds else None,
        "grants_section": "awards",
    }
    context.update({k: v for k, v in extra.items() if v is not None})
    return context


@record_view("get_award", "GET")
def award_detail(request: AuthedRequest, award: Award) -> HttpResponse:
    return page(request, "grants/award_detail.html", _detail_context(request, award))


@record_view("get_award", "POST")
def budget_add(request: AuthedRequest, award: Award) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    form = forms.BudgetForm(request.POST)
    if form.is_valid():
        try:
            services.set_budget(user=request.user, award=award, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return done(request, _url(award) + "#budgets", _("The budget was recorded."))
    context = _detail_context(request, award, budget_form=form)
    return page(request, "grants/award_detail.html", context, status=400)


@record_view("get_award", "POST")
def budget_delete(request: AuthedRequest, award: Award, budget_pk: int) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    budget = Budget.objects.filter(award=award, pk=budget_pk).first()
    if budget is None:
        raise Http404
    services.delete_budget(user=request.user, budget=budget)
    return done(request, _url(award) + "#budgets", _("The budget was deleted."))


@record_view("get_award", "POST")
def transaction_add(request: AuthedRequest, award: Award) -> HttpResponse:
    kinds = _transaction_kinds(request, award)
    permissions.require(kinds is not None)
    form = forms.TransactionForm(request.POST, kinds=kinds)
    if form.is_valid():
        try:
            services.record_transaction(user=request.user, award=award, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return done(request, _url(award) + "#transactions", _("The transaction was recorded."))
    context = _detail_context(request, award, transaction_form=form)
    return page(request, "grants/award_detail.html", context, status=400)
