"""Web pages of funding: the portfolio, the compact's Funding tab and the exports (this module), funding
opportunities (``views_opportunities``), applications and their review (``views_applications``),
awards, budgets and transactions (``views_awards``) and emergency assistance (``views_emergency``).

Thin: ``selectors`` read (a record the user may not see answers 404, whatever the method), then the
HTTP method is checked (405), then ``permissions`` decide what the user may do (403), forms collect the
input (400 with field-level messages) and ``services`` write and decide again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Max, Min
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation
from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Compact
from pacte.compacts.permissions import Access, Capability
from pacte.compacts.web import AuthedRequest, compact_view

from . import forms, permissions, selectors

View = Callable[..., HttpResponseBase]
PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- shared helpers ---------------------------------------------------------------------------------------
def _allowed(request: AuthedRequest, methods: tuple[str, ...]) -> bool:
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
    return request.method in allowed


def page_view(*methods: str) -> Callable[[View], View]:
    """A page that is not about one record: login required, then the HTTP method (405)."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: AuthedRequest, **kwargs: Any) -> HttpResponseBase:
            if not _allowed(request, methods):
                return HttpResponseNotAllowed(methods)
            return view(request, **kwargs)

        return wrapper

    return decorator


def record_view(getter: str, *methods: str) -> Callable[[View], View]:
    """A page of one record: login required, then the record through ``selectors.<getter>(user, pk)``
    (404 when the user may not see it, whatever the method), then the HTTP method (405). The view
    receives the record instead of its ``pk``."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: AuthedRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
            record = getattr(selectors, getter)(request.user, pk)
            if not _allowed(request, methods):
                return HttpResponseNotAllowed(methods)
            return view(request, record, **kwargs)

        return wrapper

    return decorator


def data(request: AuthedRequest) -> Any:
    return request.POST if request.method == "POST" else None


def files(request: AuthedRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def status_of(*forms_: Any) -> int:
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms_) else 200


def page(request: AuthedRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("is_officer", permissions.is_grants_officer(request.user))
    return render(request, template, context, status=status)


def done(request: AuthedRequest, url: str, message: str | None = None) -> HttpResponse:
    messages.success(request, message or _("Saved."))
    if getattr(request, "htmx", False):
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(url)
    return redirect(url)


def version_of(form: Any) -> int | None:
    value = form.cleaned_data.get("version") if hasattr(form, "cleaned_data") else None
    return int(value) if value is not None else None


def caps_of(access: Access) -> dict[str, bool]:
    return {c.value: c in access for c in Capability}


# -- portfolio --------------------------------------------------------------------------------------------
@page_view("GET")
def portfolio(request: AuthedRequest) -> HttpResponse:
    """The portfolio: totals and one row per compact, partner, programme type or year. Its body is
    rendered once per process and cached under ``selectors.portfolio_cache_key`` (which changes with
    every grants write, the compacts, the organisations, the user's scope, the language and the query)."""
    user = request.user
    is_officer = permissions.is_grants_officer(user)
    key = selectors.portfolio_cache_key(user, "portfolio?" + request.GET.urlencode())
    body_html = cache.get(key) if key else None
    if body_html is None:
        body_html = render_to_string(
            "grants/_portfolio_body.html", {**_portfolio_context(request), "is_officer": is_officer}, request
        )
        if key:
            cache.set(key, body_html, selectors.PORTFOLIO_CACHE_SECONDS)
    return page(request, "grants/portfolio.html", {"body_html": body_html, "grants_section": "portfolio"})


def _portfolio_context(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    awards = selectors.visible_awards(user)
    compacts = list(
        compact_selectors.visible_compacts(user)
        .filter(pk__in=awards.exclude(compact=None).values("compact"))
        .order_by("title")
    )
    organisations = list(Organisation.objects.filter(pk__in=awards.values("organisation")).order_by("name"))
    span = awards.aggregate(first=Min("decided_on"), last=Max("end_date"))
    years = list(range(span["first"].year, span["last"].year + 1)) if span["first"] and span["last"] else []
    filters = forms.PortfolioFilterForm(
        request.GET or None, compacts=compacts, organisations=organisations, years=years
    )
    chosen = filters.filters()
    data_ = selectors.portfolio(user, **chosen)
    query = request.GET.copy()
    tabs = []
    for value, label in forms.GROUPS:
        query["group_by"] = value
        tabs.append((value, label, f"?{query.urlencode()}", value == chosen["group_by"]))
    return {
        "filters": filters,
        "portfolio": data_,
        "group_by": chosen["group_by"],
        "group_label": dict(forms.GROUPS)[chosen["group_by"]],
        "tabs": tabs,
        "filtered": any(chosen[k] for k in ("compact", "organisation", "programme_type", "year")),
    }


@compact_view("GET")
def compact_portfolio(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    """The compact's Funding tab: its US ceiling against the awards made under it."""
    user = request.user
    funding = selectors.compact_funding(user, compact)
    awards = {
        a.pk: a for a in selectors.visible_awards(user).filter(compact=compact).select_related("organisation")
    }
    total = funding.total
    remaining = total.ceiling - total.awarded if total.ceiling is not None else None
    context = {
        "compact": compact,
        "access": access,
        "caps": caps_of(access),
        "funding": funding,
        "rows": [(row, awards.get(row.key)) for row in funding.rows],
        "remaining": remaining,
        "opportunities": selectors.visible_opportunities(user).filter(compact=compact),
        "is_officer": permissions.is_grants_officer(user),
    }
    return render(request, "grants/compact_funding.html", context)


# -- exports ----------------------------------------------------------------------------------------------
@page_view("GET")
def iati_export(request: AuthedRequest) -> StreamingHttpResponse:
    """The portfolio as IATI 2.03 activities, streamed (grants officers)."""
    permissions.require_grants_officer(request.user)
    from . import iati

    response = StreamingHttpResponse(iati.stream(request.user), content_type="application/xml")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="pacte-iati-activities-{stamp}.xml"'
    return response


@page_view("GET")
def xlsx_export(request: AuthedRequest) -> HttpResponse:
    """What the user may see of the portfolio, as an Excel workbook."""
    from . import exports

    response = HttpResponse(exports.portfolio_xlsx(request.user), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="pacte-portfolio-{stamp}.xlsx"'
    return response
