"""Emergency victim assistance: requests (any signed-in person of an organisation), the list with the
overdue decisions flagged, and the decision of a grants officer (approve with an award, or refuse)
within 10 days of receipt."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pacte.compacts.web import AuthedRequest

from . import forms, permissions, selectors, services
from .models import EmergencyRequest
from .views import data, done, page, page_view, record_view, status_of

Status = EmergencyRequest.Status


def _url(request_: EmergencyRequest) -> str:
    return reverse("grants:emergency", args=[request_.pk])


@page_view("GET")
def emergency_list(request: AuthedRequest) -> HttpResponse:
    queryset = selectors.visible_emergency_requests(request.user).select_related("organisation", "award")
    paginator = Paginator(queryset.order_by("status", "decision_due", "pk"), 25)
    page_ = paginator.get_page(request.GET.get("page"))
    rows = [(r, selectors.is_overdue(r)) for r in page_.object_list]
    context = {
        "page": page_,
        "rows": rows,
        "can_request": bool(request.user.organisation_id),
        "grants_section": "emergency",
    }
    return page(request, "grants/emergency_list.html", context)


@page_view("GET", "POST")
def emergency_create(request: AuthedRequest) -> HttpResponse:
    if not request.user.organisation_id:
        raise PermissionDenied
    form = forms.EmergencyRequestForm(
        data(request),
        initial={
            "received_on": timezone.localdate(),
            "country": getattr(request.user.organisation, "country", ""),
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_emergency_assistance(user=request.user, data=form.service_data())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            status = 400
        else:
            return done(
                request,
                _url(created),
                _("Your request was received: a decision is due by %(date)s.")
                % {"date": date_format(created.decision_due, "SHORT_DATE_FORMAT")},
            )
    context = {"form": form, "grants_section": "emergency"}
    return page(request, "grants/emergency_form.html", context, status=max(status, status_of(form)))


def _detail_context(request: AuthedRequest, request_: EmergencyRequest, **extra: Any) -> dict[str, Any]:
    officer = permissions.is_grants_officer(request.user)
    context: dict[str, Any] = {
        "emergency": request_,
        "overdue": selectors.is_overdue(request_),
        "days_left": (request_.decision_due - timezone.localdate()).days,
        "grants_section": "emergency",
    }
    if officer and request_.status == Status.RECEIVED:
        context["decision_form"] = forms.EmergencyDecisionForm(
            initial={
                "title": request_.title,
                "amount": request_.amount_requested,
                "start_date": timezone.localdate(),
            }
        )
    context.update(extra)
    return context


@record_view("get_emergency_request", "GET")
def emergency_detail(request: AuthedRequest, emergency: EmergencyRequest) -> HttpResponse:
    return page(request, "grants/emergency_detail.html", _detail_context(request, emergency))


@record_view("get_emergency_request", "POST")
def emergency_decide(request: AuthedRequest, emergency: EmergencyRequest) -> HttpResponse:
    permissions.require_grants_officer(request.user)
    form = forms.EmergencyDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_emergency_request(
                user=request.user,
                request=emergency,
                approve=approve,
                note=form.cleaned_data["note"],
                award_data=form.award_data(),
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            message = (
                _("The request was approved and the award recorded.")
                if approve
                else _("The request was refused.")
            )
            return done(request, _url(emergency), message)
    context = _detail_context(request, emergency, decision_form=form)
    return page(request, "grants/emergency_detail.html", context, status=400)
