"""Web pages of the country evidence base and of the selection of candidate countries.

Thin: ``selectors`` read, the services of ``selection`` write, ``exports`` builds the XLSX file.
Profiles and the comparison are for every signed-in user; ratings, selection models and runs for
selection staff only (403 for anybody else; anonymous users go to the login page).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import forms, selectors
from .models import QualitativeCriterion, SelectionModel
from .permissions import is_selection_staff, require_selection_staff

if TYPE_CHECKING:
    from pacte.accounts.models import User

    class AuthedRequest(HttpRequest):
        user: User
else:
    AuthedRequest = HttpRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

View = Callable[..., HttpResponseBase]


def staff_view(*methods: str) -> Callable[[View], View]:
    """A page of the selection: login required, then selection staff (403), then the method (405)."""

    def decorator(view: View) -> View:
        @login_required
        @require_http_methods([*methods, "HEAD"] if "GET" in methods else list(methods))
        @functools.wraps(view)
        def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            require_selection_staff(request.user)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# -- profiles -----------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "HEAD"])
def country_list(request: AuthedRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    region = request.GET.get("region", "")
    income = request.GET.get("income", "")
    countries = list(selectors.countries_with_coverage(search=search, region=region, income_group=income))
    context = {
        "countries": countries,
        "metric_count": selectors.metric_count(),
        "regions": selectors.regions(),
        "income_groups": selectors.INCOME_GROUPS,
        "q": search,
        "region": region,
        "income": income,
        "staff": is_selection_staff(request.user),
    }
    return render(request, "countries/country_list.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def country_detail(request: AuthedRequest, iso3: str) -> HttpResponse:
    staff = is_selection_staff(request.user)
    profile = selectors.country_profile(request.user, iso3, staff=staff)
    ratings_by_criterion: list[tuple[Any, list[Any]]] = []
    if profile.ratings is not None:
        for value, label in QualitativeCriterion.choices:
            ratings_by_criterion.append((label, [r for r in profile.ratings if r.criterion == value]))
    context = {"profile": profile, "country": profile.country, "ratings_by_criterion": ratings_by_criterion}
    return render(request, "countries/country_detail.html", context)


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "HEAD"])
def compare(request: AuthedRequest) -> HttpResponse:
    """Countries side by side: the latest figure of every metric, optionally "as of" a date (only the
    figures public on that date). A bad date or too many countries answer 400 with the message."""
    codes = list(dict.fromkeys(c.strip().upper() for c in request.GET.getlist("c") if c.strip()))
    errors = []
    raw_as_of = request.GET.get("as_of", "").strip()
    as_of = _parse_date(raw_as_of) if raw_as_of else None
    if raw_as_of and as_of is None:
        errors.append(_("Enter the “as of” date as YYYY-MM-DD."))
    if len(codes) > selectors.MAX_COMPARED:
        errors.append(_("Compare at most %(n)s countries at a time.") % {"n": selectors.MAX_COMPARED})
    countries, rows = ([], []) if errors else selectors.compare_countries(codes, as_of)
    unknown = [] if errors else [c for c in codes if c not in {country.iso3 for country in countries}]
    context = {
        "countries": countries,
        "rows": rows,
        "as_of": as_of,
        "raw_as_of": raw_as_of,
        "errors": errors,
        "unknown": unknown,
        "codes": codes,
    }
    return render(request, "countries/compare.html", context, status=400 if errors else 200)


# -- selection models ---------------------------------------------------------------------------------
@staff_view("GET")
def model_list(request: AuthedRequest) -> HttpResponse:
    models = list(selectors.visible_models(request.user))
    runs = list(selectors.visible_runs(request.user)[:10])
    return render(request, "countries/model_list.html", {"models": models, "runs": runs})


def _initial_from_data(data: QueryDict, model_form: forms.SelectionModelForm) -> tuple[dict[str, Any], list]:
    """The entries of a form posted with "Add a criterion", as initial values (no error shown yet)."""
    initial: dict[str, Any] = {}
    for name, field in model_form.fields.items():
        if isinstance(field, django_forms.MultipleChoiceField):
            initial[name] = data.getlist(name)
        elif isinstance(field, django_forms.BooleanField):
            initial[name] = name in data
        else:
            initial[name] = data.get(name, "")
    try:
        total = min(int(data.get("criteria-TOTAL_FORMS", "0")), 50)
    except ValueError:
        total = 0
    rows = []
    for i in range(total):
        if data.get(f"criteria-{i}-DELETE"):
            continue
        rows.append(
            {
                f: data.get(f"criteria-{i}-{f}", "")
                for f in ("criterion", "direction", "normalisation", "weight")
            }
        )
    return initial, rows


def _model_form_page(request: AuthedRequest, instance: SelectionModel) -> HttpResponse:
    from . import selection  # the services of the selection (helper ENGINE)

    criteria_errors: list[str] = []
    status = 200
    if request.method == "POST" and "add_row" in request.POST:
        initial, rows = _initial_from_data(request.POST, forms.SelectionModelForm(instance=instance))
        form = forms.SelectionModelForm(instance=instance, initial=initial)
        formset = forms.CriterionFormSet(initial=rows, prefix="criteria")
        formset.extra = 1
    elif request.method == "POST":
        form = forms.SelectionModelForm(request.POST, instance=instance)
        formset = cast(forms.BaseCriterionFormSet, forms.CriterionFormSet(request.POST, prefix="criteria"))
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            try:
                model = selection.save_model(
                    user=request.user,
                    instance=instance,
                    data=form.service_data(),
                    criteria=formset.service_data(),
                )
            except ValidationError as exc:
                forms.add_service_errors(form, exc, criteria_errors)
            else:
                messages.success(request, _("Selection model saved."))
                return redirect("countries:model_run", model.pk)
        status = 400
    else:
        form = forms.SelectionModelForm(instance=instance)
        formset = forms.CriterionFormSet(
            initial=forms.initial_criteria(instance) if instance.pk else None, prefix="criteria"
        )
        if instance.pk:
            formset.extra = 1
    context = {
        "form": form,
        "formset": formset,
        "criteria_errors": criteria_errors + list(formset.non_form_errors() if formset.is_bound else []),
        "model": instance,
    }
    return render(request, "countries/model_form.html", context, status=status)


@staff_view("GET", "POST")
def model_create(request: AuthedRequest) -> HttpResponse:
    return _model_form_page(request, SelectionModel())


@staff_view("GET", "POST")
def model_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _model_form_page(request, selectors.get_model(request.user, pk))


@staff_view("GET", "POST")
def model_run(request: AuthedRequest, pk: int) -> HttpResponse:
    from . import selection

    model = selectors.get_model(request.user, pk)
    form = forms.RunForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            run = selection.run_selection(
                user=request.user,
                model=model,
                as_of=data["as_of"],
                draws=data["draws"],
                seed=data["seed"],
                title=data["title"],
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("Selection run saved."))
            return redirect("countries:run_detail", run.pk)
    context = {
        "model": model,
        "form": form,
        "filters": selectors.filters_in_words(selectors.model_settings(model)),
    }
    return render(request, "countries/model_run.html", context, status=400 if form.is_bound else 200)


# -- runs ---------------------------------------------------------------------------------------------
@staff_view("GET")
def run_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "countries/run_list.html", {"runs": list(selectors.visible_runs(request.user))})


def _run_context(request: AuthedRequest, pk: int) -> dict[str, Any]:
    run = selectors.get_run(request.user, pk)
    view = selectors.run_view(run)
    compare_url = (
        reverse("countries:compare")
        + "?"
        + urlencode([("c", c) for c in view.top5] + [("as_of", run.as_of.isoformat())])
    )
    return {"run": run, "v": view, "compare_url": compare_url}


@staff_view("GET")
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return render(request, "countries/run_detail.html", _run_context(request, pk))


@staff_view("GET")
def run_memo(request: AuthedRequest, pk: int) -> HttpResponse:
    context = _run_context(request, pk)
    context["today"] = dt.date.today()
    return render(request, "countries/run_memo.html", context)


@staff_view("GET")
def run_xlsx(request: AuthedRequest, pk: int) -> HttpResponse:
    from . import exports  # the XLSX export (helper ENGINE)

    run = selectors.get_run(request.user, pk)
    response = HttpResponse(exports.run_to_xlsx(run), content_type=XLSX)
    filename = f"selection-run-{run.pk}-{run.as_of.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
