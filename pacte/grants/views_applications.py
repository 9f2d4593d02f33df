"""Applications: "my applications" and "to review", applying with budget lines per year and
objective, documents, submission (refused with its reason when late or ineligible), withdrawal, the
review (conflict of interest first, then a score per criterion) and the refusal by a grants officer."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from pacte.compacts.web import AuthedRequest

from . import forms, permissions, selectors, services
from .models import Application, ApplicationDocument, ConflictDeclaration, FundingOpportunity, Score
from .views import data, done, page, page_view, record_view, status_of, version_of

Status = Application.Status


def _url(application: Application) -> str:
    return reverse("grants:application", args=[application.pk])


# -- lists ------------------------------------------------------------------------------------------------
@page_view("GET")
def application_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    officer = permissions.is_grants_officer(user)
    to_review = selectors.applications_to_review(user).select_related("opportunity", "organisation")
    mine = (
        selectors.visible_applications(user)
        .filter(organisation_id=user.organisation_id)
        .select_related("opportunity", "organisation")
        if user.organisation_id
        else selectors.visible_applications(user).none()
    )
    shows = ["mine", "review"] + (["all"] if officer else [])
    show = request.GET.get("show", "")
    if show not in shows:
        show = "review" if to_review.exists() and not mine.exists() else "mine"
    if show == "review":
        queryset = to_review
    elif show == "all":
        queryset = (
            selectors.visible_applications(user)
            .exclude(status=Status.DRAFT)
            .select_related("opportunity", "organisation")
        )
    else:
        queryset = mine
    paginator = Paginator(queryset.order_by("-updated_at", "pk"), 25)
    labels = {
        "mine": _("My organisation's applications"),
        "review": _("To review"),
        "all": _("All applications"),
    }
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "show": show,
        "tabs": [(s, labels[s], s == show) for s in shows],
        "grants_section": "applications",
    }
    return page(request, "grants/application_list.html", context)


# -- create and edit --------------------------------------------------------------------------------------
def _lines(form: forms.ApplicationForm) -> list[Any]:
    return [services.BudgetLineInput(**line) for line in form.budget_lines()]


@record_view("get_opportunity", "GET", "POST")
def application_create(request: AuthedRequest, opportunity: FundingOpportunity) -> HttpResponse:
    user = request.user
    if not user.organisation_id:
        raise PermissionDenied
    existing = selectors.visible_applications(user).filter(
        opportunity=opportunity, organisation_id=user.organisation_id
    )
    if existing.exists():
        return redirect(_url(existing.get()))
    form = forms.ApplicationForm(data(request), objectives=list(opportunity.objectives.all()))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            application = services.create_application(
                user=user,
                opportunity=opportunity,
                title=form.cleaned_data["title"],
                narrative=form.cleaned_data["narrative"],
                budget_lines=_lines(form),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 400
        else:
            return done(
                request,
                _url(application),
                _("Your application was saved as a draft: add your documents, then submit it."),
            )
    context = {"form": form, "opportunity": opportunity, "grants_section": "applications"}
    return page(request, "grants/application_form.html", context, status=max(status, status_of(form)))


@record_view("get_application", "GET", "POST")
def application_edit(request: AuthedRequest, application: Application) -> HttpResponse:
    permissions.require(permissions.can_edit_application(request.user, application))
    opportunity = application.opportunity
    form = forms.ApplicationForm(
        data(request), objectives=list(opportunity.objectives.all()), application=application
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_application(
                user=request.user,
                application=application,
                title=form.cleaned_data["title"],
                narrative=form.cleaned_data["narrative"],
                budget_lines=_lines(form),
                version=version_of(form),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 409 if hasattr(exc, "error_dict") and "version" in exc.error_dict else 400
        else:
            return done(request, _url(application))
    context = {
        "form": form,
        "opportunity": opportunity,
        "application": application,
        "grants_section": "applications",
    }
    return page(request, "grants/application_form.html", context, status=max(status, status_of(form)))


# -- detail and actions -----------------------------------------------------------------------------------
def _detail_context(request: AuthedRequest, application: Application, **extra: Any) -> dict[str, Any]:
    user = request.user
    opportunity = application.opportunity
    own = user.organisation_id is not None and user.organisation_id == application.organisation_id
    officer = permissions.is_grants_officer(user)
    lines = list(application.budget_lines.select_related("objective").order_by("year", "objective__number"))
    by_year: dict[int, Any] = {}
    for line in lines:
        by_year[line.year] = by_year.get(line.year, 0) + line.amount
    submitted = application.status == Status.SUBMITTED
    context: dict[str, Any] = {
        "application": application,
        "opportunity": opportunity,
        "lines": lines,
        "by_year": sorted(by_year.items()),
        "total": application.budget_lines.aggregate(total=Sum("amount"))["total"],
        "documents": list(application.documents.order_by("title")),
        "can_edit": permissions.can_edit_application(user, application),
        "can_withdraw": own and application.status in (Status.DRAFT, Status.SUBMITTED),
        "can_review": submitted and permissions.is_reviewer(user, opportunity),
        "can_decide": submitted and officer,
        "award": getattr(application, "award", None) if application.status == Status.AWARDED else None,
        "grants_section": "applications",
    }
    if context["can_edit"]:
        context.setdefault("document_form", forms.DocumentForm())
    context.update(extra)
    return context


@record_view("get_application", "GET")
def application_detail(request: AuthedRequest, application: Application) -> HttpResponse:
    return page(request, "grants/application_detail.html", _detail_context(request, application))


@record_view("get_application", "POST")
def application_documents(request: AuthedRequest, application: Application) -> HttpResponse:
    permissions.require(permissions.can_edit_application(request.user, application))
    form = forms.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_application_document(
                user=request.user,
                application=application,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return done(request, _url(application) + "#documents", _("The document was added."))
    context = _detail_context(request, application, document_form=form)
    return page(request, "grants/application_detail.html", context, status=400)


@record_view("get_application", "GET")
def document_download(request: AuthedRequest, application: Application, document_pk: int) -> FileResponse:
    document = ApplicationDocument.objects.filter(application=application, pk=document_pk).first()
    if document is None or not document.file or not document.file.name:
        raise Http404
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(document.file.name))


@record_view("get_application", "POST")
def application_submit(request: AuthedRequest, application: Application) -> HttpResponse:
    try:
        services.submit_application(user=request.user, application=application)
    except ValidationError as exc:
        context = _detail_context(request, application, action_errors=exc.messages)
        return page(request, "grants/application_detail.html", context, status=400)
    return done(request, _url(application), _("Your application was submitted."))


@record_view("get_application", "POST")
def application_withdraw(request: AuthedRequest, application: Application) -> HttpResponse:
    try:
        services.withdraw_application(user=request.user, application=application)
    except ValidationError as exc:
        context = _detail_context(request, application, action_errors=exc.messages)
        return page(request, "grants/application_detail.html", context, status=400)
    return done(request, _url(application), _("Your application was withdrawn."))


@record_view("get_application", "GET", "POST")
def application_refuse(request: AuthedRequest, application: Application) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    form = forms.ReasonForm(data(request))
    form.fields["reason"].label = _("Reason for refusal")
    form.fields["reason"].help_text = _("The applicant reads it: for example, received after the deadline.")
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.refuse_application(
                user=request.user, application=application, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc, {"refusal_reason": "reason", "status": "__all__"})
            status = 400
        else:
            return done(request, _url(application), _("The application was refused."))
    context = {"form": form, "application": application, "grants_section": "applications"}
    return page(request, "grants/application_refuse.html", context, status=max(status, status_of(form)))


# -- review -----------------------------------------------------------------------------------------------
@record_view("get_application", "GET", "POST")
def application_review(request: AuthedRequest, application: Application) -> HttpResponse:
    """An assigned reviewer first declares a conflict of interest (or none), then scores each
    criterion from 0 to 100 with a comment."""
    user = request.user
    permissions.require(permissions.is_reviewer(user, application.opportunity))
    declaration = ConflictDeclaration.objects.filter(application=application, reviewer=user).first()
    criteria = list(application.opportunity.criteria.all())
    own_scores = {s.criterion_id: s for s in Score.objects.filter(application=application, reviewer=user)}
    step = request.POST.get("step", "") if request.method == "POST" else ""
    conflict_form = forms.ConflictForm(request.POST if step == "declare" else None)
    score_form = forms.ScoreForm(
        request.POST if step == "score" else None, criteria=criteria, scores=own_scores
    )
    status = 200
    if step == "declare" and conflict_form.is_valid():
        try:
            services.declare_conflict(
                user=user,
                application=application,
                has_conflict=conflict_form.cleaned_data["has_conflict"] == "1",
                statement=conflict_form.cleaned_data.get("statement") or "",
            )
        except ValidationError as exc:
            forms.add_service_errors(conflict_form, exc)
            status = 400
        else:
            url = reverse("grants:application_review", args=[application.pk])
            return done(request, url, _("Your declaration was recorded."))
    elif step == "score" and score_form.is_valid():
        try:
            services.score_application(
                user=user,
                application=application,
                scores={pk: services.ScoreInput(**value) for pk, value in score_form.scores().items()},
            )
        except ValidationError as exc:
            _score_errors(score_form, exc)
            status = 400
        else:
            url = reverse("grants:ranking", args=[application.opportunity_id])
            return done(request, url, _("Your scores were recorded."))
    elif step not in ("", "declare", "score"):
        status = 400
    context = {
        "application": application,
        "opportunity": application.opportunity,
        "declaration": declaration,
        "conflict_form": conflict_form,
        "score_form": score_form,
        "scored": bool(own_scores),
        "grants_section": "applications",
    }
    return page(
        request,
        "grants/application_review.html",
        context,
        status=max(status, status_of(conflict_form, score_form)),
    )


def _score_errors(form: forms.ScoreForm, error: ValidationError) -> None:
    """Messages about the scores go above the form (or next to a criterion named ``score_<id>``)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)
