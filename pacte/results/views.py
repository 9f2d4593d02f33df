"""Web pages of results: progress, indicator definitions and targets, submissions and their review.

Thin: ``selectors`` read (and decide what the user may see), ``services`` write (and decide what the
user may do), forms collect the input. Every page (``compact_view``) first fetches the compact with
``pacte.compacts.selectors.get_compact`` (404 when the user may not see it, whatever the method), then
the record through a results selector (404 when invisible to this user), then checks the capability
(403).
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Compact, Indicator
from pacte.compacts.permissions import Access, Capability
from pacte.compacts.web import AuthedRequest, compact_view
from pacte.compacts.web import require as _require

from . import aggregation, charts, forms, selectors, services
from .models import Dimension, DisaggregationCategory, Evidence, IndicatorDefinition, Submission

PAGE_SIZE = 25
# Who may report on behalf of any reporting organisation (contract: services accept ``organisation=``).
ON_BEHALF_ROLES = ("programme_officer", "site_admin")
Unit = IndicatorDefinition.Unit
# Which tab of the results navigation a page belongs to (by template name).
SECTIONS = [
    ("progress", "progress"),
    ("indicator", "progress"),
    ("definition", "definitions"),
    ("targets", "definitions"),
    ("submission", "submissions"),
    ("lock", "submissions"),
]


# -- shared helpers ---------------------------------------------------------------------------------------
def _data(request: AuthedRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _files(request: AuthedRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _status(*forms_: Any) -> int:
    return 400 if any(f is not None and f.is_bound and f.errors for f in forms_) else 200


def _page(request: AuthedRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    access: Access = context["access"]
    context.setdefault("caps", {c.value: c in access for c in Capability})
    name = template.removeprefix("results/")
    section = next((s for prefix, s in SECTIONS if name.startswith(prefix)), "")
    context.setdefault("results_section", section)
    return render(request, template, context, status=status)


def _done(request: AuthedRequest, url: str, message: str | None = None) -> HttpResponse:
    messages.success(request, message or _("Saved."))
    if getattr(request, "htmx", False):
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(url)
    return redirect(url)


def _url(name: str, compact: Compact, *args: Any) -> str:
    return reverse(f"results:{name}", args=[compact.pk, *args])


def _version(form: Any) -> int | None:
    value = form.cleaned_data.get("version") if form.is_bound and hasattr(form, "cleaned_data") else None
    return int(value) if value is not None else None


def _is_conflict(error: ValidationError) -> bool:
    return hasattr(error, "error_dict") and "version" in error.error_dict


def _percent_suffix(definition: IndicatorDefinition) -> str:
    return " %" if definition.unit == Unit.PERCENTAGE else ""


def _categories_for(compact: Compact) -> list[DisaggregationCategory]:
    """Categories valid in the compact's country (standard ones and the country's regions)."""
    return list(
        DisaggregationCategory.objects.filter(country__in=["", compact.country]).order_by(
            "dimension", "country", "order", "code"
        )
    )


def _can_report_on_behalf(access: Access) -> bool:
    return access.role in ON_BEHALF_ROLES and Capability.REPORT_RESULTS in access


def _reportable_ids(request: AuthedRequest, compact: Compact, access: Access) -> set[int]:
    if Capability.REPORT_RESULTS not in access:
        return set()
    return set(
        selectors.reportable_definitions(request.user, compact, access=access).values_list("pk", flat=True)
    )


# -- progress -------------------------------------------------------------------------------------------
@compact_view("GET")
def progress(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    """The progress of the compact. Its content (``progress_body.html``) is cached as rendered under
    ``selectors.progress_cache_key`` plus what the fragment shows of the user (the "Define" links):
    a visit costs the compact, the access and the results version token when nothing changed."""
    years = selectors.term_years(compact)
    requested = request.GET.get("year", "")
    year = selectors.year_of_interest(
        years, int(requested) if requested.isdigit() and int(requested) in years else None
    )
    caps = {c.value: c in access for c in Capability}
    token = selectors.results_token(compact)
    key = selectors.progress_cache_key(
        compact, access, year, "page", int(caps[Capability.DEFINE_INDICATORS.value]), token=token
    )
    packed = cache.get(key) if key else None
    body = zlib.decompress(packed).decode() if packed is not None else None
    if body is None:
        data = selectors.cached_compact_progress(request.user, compact, year=year, access=access, token=token)
        fragment = {
            "compact": compact,
            "progress": data,
            "year": data.year,
            "years": data.years,
            "caps": caps,
        }
        body = render_to_string("results/progress_body.html", fragment, request=request)
        if key:  # compressed: some 200 kB of HTML for 200 indicators, a tenth of it stored
            cache.set(key, zlib.compress(body.encode(), 1), selectors.PROGRESS_CACHE_SECONDS)
    context = {
        "compact": compact,
        "access": access,
        "caps": caps,
        "year": year,
        "years": years,
        "progress_body": mark_safe(body),  # noqa: S308 - rendered by our template above
    }
    return _page(request, "results/progress.html", context)


def _chart(
    definition: IndicatorDefinition, data: selectors.IndicatorProgress, *, standalone: bool = False
) -> str:
    """The indicator's chart: what is compared with the targets (the percentage change from the
    baseline for percent-change indicators, else the actual value) per year of the term."""
    row = data.row
    change = definition.unit == Unit.PERCENT_CHANGE
    return charts.progress_chart(
        title=_("%(indicator)s: actual against target") % {"indicator": definition.indicator.name[:160]},
        points=[charts.ChartPoint(str(f.year), f.measured, f.target) for f in row.years],
        baseline=None if change else row.baseline.value,
        suffix=" %" if definition.unit in (Unit.PERCENTAGE, Unit.PERCENT_CHANGE) else "",
        chart_id=f"chart-{definition.pk}",
        standalone=standalone,
    )


@compact_view("GET")
def indicator_detail(
    request: AuthedRequest, compact: Compact, access: Access, definition_pk: int
) -> HttpResponse:
    definition = selectors.get_definition(request.user, compact, definition_pk, access=access)
    data = selectors.indicator_progress(request.user, compact, definition, access=access)
    submissions = selectors.visible_submissions(
        request.user, compact, definition=definition, access=access
    ).order_by("-period_start", "organisation__name", "pk")
    shown = list(submissions[: PAGE_SIZE + 1])
    context = {
        "compact": compact,
        "access": access,
        "definition": definition,
        "indicator": definition.indicator,
        "data": data,
        "row": data.row,
        "chart": _chart(definition, data),
        "submissions": shown[:PAGE_SIZE],
        "more_submissions": len(shown) > PAGE_SIZE,
        "can_report": Capability.REPORT_RESULTS in access
        and selectors.reportable_definitions(request.user, compact, access=access)
        .filter(pk=definition.pk)
        .exists(),
    }
    return _page(request, "results/indicator_detail.html", context)


@compact_view("GET")
def indicator_chart(
    request: AuthedRequest, compact: Compact, access: Access, definition_pk: int
) -> HttpResponse:
    definition = selectors.get_definition(request.user, compact, definition_pk, access=access)
    data = selectors.indicator_progress(request.user, compact, definition, access=access)
    response = HttpResponse(
        _chart(definition, data, standalone=True), content_type="image/svg+xml; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=60"
    return response


# -- definitions and targets ------------------------------------------------------------------------------
@compact_view("GET")
def definitions(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    context = {
        "compact": compact,
        "access": access,
        "definitions": selectors.visible_definitions(request.user, compact, access=access).prefetch_related(
            "categories", "reporters"
        ),
        "undefined": selectors.undefined_indicators(request.user, compact, access=access).select_related(
            "objective"
        ),
    }
    return _page(request, "results/definitions.html", context)


@compact_view("GET", "POST")
def definition_edit(
    request: AuthedRequest, compact: Compact, access: Access, indicator_pk: int
) -> HttpResponse:
    indicators = compact_selectors.filter_visibility(
        Indicator.objects.filter(objective__compact=compact).select_related("objective"), access
    )
    indicator = indicators.filter(pk=indicator_pk).first()
    if indicator is None:
        raise Http404
    _require(access, Capability.DEFINE_INDICATORS)
    definition = IndicatorDefinition.objects.filter(indicator=indicator).first()
    categories = _categories_for(compact)
    organisations = list(compact_selectors.participating_organisations(compact).order_by("name"))
    form = forms.DefinitionForm(
        _data(request),
        compact=compact,
        categories=categories,
        organisations=organisations,
        definition=definition,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        chosen = set(form.category_ids())
        reporters = set(form.cleaned_data["reporters"])
        try:
            saved = services.define_indicator(
                user=request.user,
                indicator=indicator,
                data=form.service_data(),
                categories=[c for c in categories if c.pk in chosen],
                reporters=[o for o in organisations if o.pk in reporters],
                version=_version(form) if definition is not None else None,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc, {"categories": "__all__"})
            status = 409 if _is_conflict(exc) else 400
        else:
            return _done(request, _url("definitions", compact) + f"#definition-{saved.pk}")
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "indicator": indicator,
        "definition": definition,
    }
    return _page(request, "results/definition_form.html", context, status=max(status, _status(form)))


@compact_view("GET", "POST")
def targets_edit(
    request: AuthedRequest, compact: Compact, access: Access, definition_pk: int
) -> HttpResponse:
    definition = selectors.get_definition(request.user, compact, definition_pk, access=access)
    _require(access, Capability.DEFINE_INDICATORS)
    years = _term_years(compact)
    current = {t.year: t.value for t in definition.targets.all()}
    form = forms.TargetsForm(
        _data(request), years=years, targets=current, initial={"version": definition.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.set_targets(
                user=request.user, definition=definition, targets=form.targets(), version=_version(form)
            )
        except ValidationError as exc:
            _add_target_errors(form, exc)
            status = 409 if _is_conflict(exc) else 400
        else:
            return _done(request, _url("definitions", compact) + f"#definition-{definition.pk}")
    context = {"compact": compact, "access": access, "form": form, "definition": definition}
    return _page(request, "results/targets_form.html", context, status=max(status, _status(form)))


def _term_years(compact: Compact) -> list[int]:
    if compact.start_date is None or compact.end_date is None:
        return []
    return list(range(compact.start_date.year, compact.end_date.year + 1))


def _add_target_errors(form: forms.TargetsForm, error: ValidationError) -> None:
    """The services' "targets" messages start with the year they concern ("2024: …", "2031 is
    outside …"): each goes next to that year's field; the others above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, errors in error.error_dict.items():
        for message in (m for e in errors for m in e.messages):
            year = message[:4]
            name = f"target_{year}" if year.isdigit() else ""
            if key == "version" or name not in form.fields:
                form.add_error(None, message)
            else:
                form.add_error(name, message)


# -- submissions ------------------------------------------------------------------------------------------
@compact_view("GET")
def submissions(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    organisations = list(compact_selectors.participating_organisations(compact).order_by("name"))
    filters = forms.SubmissionFilterForm(request.GET or None, organisations=organisations)
    status = filters.value("status")
    organisation_id = filters.value("organisation")
    period = (filters.value("period") or "").strip().upper() or None
    show = filters.value("show")
    user = request.user
    if show == "review" and Capability.REVIEW_RESULTS in access:
        status = Submission.Status.SUBMITTED
    elif show == "mine" and user.organisation_id:
        organisation_id = user.organisation_id
    organisation = next((o for o in organisations if o.pk == organisation_id), None)
    if organisation_id and organisation is None:
        organisation_id = None
    queryset = selectors.visible_submissions(
        user, compact, status=status, organisation=organisation, period=period, access=access
    ).select_related("definition__indicator__objective", "organisation")
    if show == "review" and user.organisation_id:
        # Separation of duties: a reviewer's own organisation's submissions are not theirs to review.
        queryset = queryset.exclude(organisation_id=user.organisation_id)
    page = Paginator(
        queryset.order_by("-period_start", "definition_id", "organisation__name", "pk"), PAGE_SIZE
    )
    context = {
        "compact": compact,
        "access": access,
        "filters": filters,
        "show": show or "",
        "page": page.get_page(request.GET.get("page")),
        "query": _query_without_page(request),
        "reportable": (
            selectors.reportable_definitions(user, compact, access=access).select_related("indicator")
            if Capability.REPORT_RESULTS in access
            else []
        ),
        "lock_form": forms.LockPeriodForm() if Capability.REVIEW_RESULTS in access else None,
    }
    return _page(request, "results/submissions.html", context)


def _query_without_page(request: AuthedRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _reporting_organisations(
    request: AuthedRequest, access: Access, definition: IndicatorDefinition
) -> list[Any]:
    """The organisations the user may choose to report for (officers report on behalf of any
    reporter); empty when the user reports for their own organisation."""
    if not _can_report_on_behalf(access):
        return []
    return list(definition.reporters.order_by("name"))


def _save_submission(
    request: AuthedRequest,
    compact: Compact,
    definition: IndicatorDefinition,
    form: forms.SubmissionForm,
    submission: Submission | None,
) -> tuple[Submission | None, int]:
    """Save the values (and the evidence file, and submit when asked) all or nothing. Returns the
    saved submission, or None and the status to answer with."""
    data = form.cleaned_data
    organisation = None
    if "organisation" in form.fields and submission is None and data.get("organisation"):
        organisation = definition.reporters.filter(pk=data["organisation"]).first()
    try:
        with transaction.atomic():
            saved = services.save_submission(
                user=request.user,
                definition=definition,
                period=(submission.period if submission else data["period"]),
                values=[services.ValueInput(**v) for v in form.value_inputs()],
                comment=data.get("comment") or "",
                organisation=organisation,
                submission=submission,
                version=_version(form) if submission is not None else None,
            )
            if data.get("evidence"):
                try:
                    services.add_evidence(
                        user=request.user,
                        submission=saved,
                        file=data["evidence"],
                        description=data.get("evidence_description") or "",
                    )
                except ValidationError as exc:
                    raise ValidationError({"evidence": exc.messages}) from exc
            if "submit" in request.POST:
                saved = services.submit(user=request.user, submission=saved)
    except ValidationError as exc:
        _add_submission_errors(form, exc)
        return None, 409 if _is_conflict(exc) else 400
    return saved, 200


def _add_submission_errors(form: forms.SubmissionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        values = error.error_dict.pop("values", None)
        if values:
            form.add_values_errors([m for e in values for m in e.messages])
        if error.error_dict:
            forms.add_service_errors(
                form, ValidationError(error.error_dict), {"file": "evidence", "status": "__all__"}
            )
    else:
        forms.add_service_errors(form, error)


def _saved_message(submission: Submission) -> str:
    if submission.status == Submission.Status.SUBMITTED:
        return _("The submission was sent for review.")
    return _("Saved as a draft: submit it for review when it is complete.")


@compact_view("GET", "POST")
def submission_create(
    request: AuthedRequest, compact: Compact, access: Access, definition_pk: int
) -> HttpResponse:
    definition = selectors.get_definition(request.user, compact, definition_pk, access=access)
    _require(access, Capability.REPORT_RESULTS)
    if definition.pk not in _reportable_ids(request, compact, access):
        raise PermissionDenied
    form = forms.SubmissionForm(
        _data(request),
        _files(request),
        definition=definition,
        compact=compact,
        categories=list(definition.categories.order_by("dimension", "order", "code")),
        organisations=_reporting_organisations(request, access, definition),
        initial={"period": request.GET.get("period", "")},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        saved, status = _save_submission(request, compact, definition, form, None)
        if saved is not None:
            return _done(request, _url("submission", compact, saved.pk), _saved_message(saved))
    context = {"compact": compact, "access": access, "form": form, "definition": definition}
    return _page(request, "results/submission_form.html", context, status=max(status, _status(form)))


@compact_view("GET", "POST")
def submission_edit(
    request: AuthedRequest, compact: Compact, access: Access, submission_pk: int
) -> HttpResponse:
    submission = selectors.get_submission(request.user, compact, submission_pk, access=access)
    definition = submission.definition
    _require(access, Capability.REPORT_RESULTS)
    if definition.pk not in _reportable_ids(request, compact, access):
        raise PermissionDenied
    if not submission.is_editable:
        messages.warning(request, _("This submission can no longer be changed."))
        return redirect(_url("submission", compact, submission.pk))
    form = forms.SubmissionForm(
        _data(request),
        _files(request),
        definition=definition,
        compact=compact,
        categories=list(definition.categories.order_by("dimension", "order", "code")),
        organisations=_reporting_organisations(request, access, definition),
        submission=submission,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        saved, status = _save_submission(request, compact, definition, form, submission)
        if saved is not None:
            return _done(request, _url("submission", compact, saved.pk), _saved_message(saved))
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "definition": definition,
        "submission": submission,
    }
    return _page(request, "results/submission_form.html", context, status=max(status, _status(form)))


TRANSITIONS: dict[str, dict[str, Any]] = {
    "submit": {"service": "submit", "comment": False, "capability": Capability.REPORT_RESULTS},
    "approve": {"service": "approve", "comment": False, "capability": Capability.REVIEW_RESULTS},
    "return": {"service": "return_submission", "comment": True, "capability": Capability.REVIEW_RESULTS},
    "reopen": {"service": "reopen", "comment": True, "capability": Capability.REVIEW_RESULTS},
}


def _transition_labels() -> dict[str, str]:
    return {
        "submit": _("Submit for review"),
        "approve": _("Approve"),
        "return": _("Return for correction"),
        "reopen": _("Reopen"),
    }


def _available_transitions(request: AuthedRequest, access: Access, submission: Submission) -> list[str]:
    """The actions offered on the page; the services decide again when one is posted."""
    Status = Submission.Status
    user = request.user
    own = user.organisation_id is not None and user.organisation_id == submission.organisation_id
    actions = []
    if (
        Capability.REPORT_RESULTS in access
        and submission.is_editable
        and (own or _can_report_on_behalf(access))
    ):
        actions.append("submit")
    reviewer = Capability.REVIEW_RESULTS in access and not own
    if reviewer and submission.status == Status.SUBMITTED:
        actions += ["approve", "return"]
    if reviewer and submission.status == Status.APPROVED and not submission.locked:
        actions.append("reopen")
    return actions


def _submission_context(
    request: AuthedRequest, compact: Compact, access: Access, submission: Submission
) -> dict[str, Any]:
    values = list(
        submission.values.select_related("category__parent").order_by(
            "category__dimension", "category__order"
        )
    )
    total = next((v for v in values if v.category_id is None), None)
    parts = [v for v in values if v.category_id is not None]
    history = list(
        submission.history.select_related("history_user").order_by("-history_date", "-history_id")[:50]
    )
    actions = _available_transitions(request, access, submission)
    labels = _transition_labels()
    return {
        "compact": compact,
        "access": access,
        "submission": submission,
        "definition": submission.definition,
        "total": total,
        "parts": parts,
        "flags": _submission_flags(submission, total, parts),
        "evidence": list(submission.evidence.all()),
        "history": history,
        "actions": [(a, labels[a], TRANSITIONS[a]["comment"]) for a in actions],
        "can_edit": submission.is_editable
        and submission.definition_id in _reportable_ids(request, compact, access),
    }


def _submission_flags(submission: Submission, total: Any, parts: list[Any]) -> list[str]:
    """Messages for the dimensions whose parts do not add up to the total (or to their parent)."""
    if total is None or not parts:
        return []
    by_dimension: dict[str, list[aggregation.Part]] = {}
    categories = {str(p.category_id): p.category for p in parts}
    for part in parts:
        by_dimension.setdefault(part.category.dimension, []).append(
            aggregation.Part(
                category=str(part.category_id),
                parent=str(part.category.parent_id) if part.category.parent_id else None,
                value=part.value,
                numerator=part.numerator,
                denominator=part.denominator,
            )
        )
    field_labels = {"value": "", "numerator": _("numerator"), "denominator": _("denominator")}
    flags = []
    for gap in aggregation.disaggregation_gaps(submission.definition.unit, total, by_dimension):
        label = str(Dimension(gap.dimension).label)
        if gap.parent is not None and gap.parent in categories:
            label = f"{label} – {categories[gap.parent].label}"
        if field_labels[gap.field]:
            label = f"{label} ({field_labels[gap.field]})"
        flags.append(
            _("%(dimension)s: the parts add up to %(parts)s, not %(total)s.")
            % {
                "dimension": label,
                "parts": charts.format_number(gap.parts_sum),
                "total": charts.format_number(gap.expected),
            }
        )
    return flags


@compact_view("GET")
def submission_detail(
    request: AuthedRequest, compact: Compact, access: Access, submission_pk: int
) -> HttpResponse:
    submission = selectors.get_submission(request.user, compact, submission_pk, access=access)
    return _page(
        request, "results/submission_detail.html", _submission_context(request, compact, access, submission)
    )


@compact_view("GET", "POST")
def submission_transition(
    request: AuthedRequest, compact: Compact, access: Access, submission_pk: int, action: str
) -> HttpResponse:
    submission = selectors.get_submission(request.user, compact, submission_pk, access=access)
    spec = TRANSITIONS.get(action)
    if spec is None:
        raise Http404
    _require(access, spec["capability"])
    form = forms.TransitionForm(
        _data(request), comment_required=spec["comment"], initial={"version": submission.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        service = getattr(services, spec["service"])
        kwargs: dict[str, Any] = {"user": request.user, "submission": submission, "version": _version(form)}
        if action != "submit":
            kwargs["comment"] = form.cleaned_data.get("comment") or ""
        try:
            service(**kwargs)
        except ValidationError as exc:
            forms.add_service_errors(form, exc, {"status": "__all__", "review_comment": "comment"})
            status = 409 if _is_conflict(exc) else 400
        else:
            done = {
                "submit": _("The submission was sent for review."),
                "approve": _("The submission was approved."),
                "return": _("The submission was returned for correction."),
                "reopen": _("The submission was reopened."),
            }[action]
            return _done(request, _url("submission", compact, submission.pk), done)
    context = _submission_context(request, compact, access, submission)
    context.update({"form": form, "action": action, "action_label": _transition_labels()[action]})
    return _page(request, "results/submission_transition.html", context, status=max(status, _status(form)))


@compact_view("GET")
def evidence_download(
    request: AuthedRequest, compact: Compact, access: Access, submission_pk: int, evidence_pk: int
) -> FileResponse:
    submission = selectors.get_submission(request.user, compact, submission_pk, access=access)
    evidence = Evidence.objects.filter(submission=submission, pk=evidence_pk).first()
    if evidence is None or not evidence.file or not evidence.file.name:
        raise Http404
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(evidence.file.name))


@compact_view("GET", "POST")
def lock_period(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    _require(access, Capability.REVIEW_RESULTS)
    form = forms.LockPeriodForm(_data(request))
    if request.method == "POST" and form.is_valid():
        period = form.cleaned_data["period"].strip().upper()
        try:
            count = services.lock_period(user=request.user, compact=compact, period=period)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            message = _("%(count)s approved submissions of %(period)s are now locked.") % {
                "count": count,
                "period": period,
            }
            return _done(request, _url("submissions", compact) + f"?period={period}", message)
    context = {"compact": compact, "access": access, "form": form}
    return _page(request, "results/lock_period.html", context, status=_status(form))
