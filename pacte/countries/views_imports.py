"""Pages that change the country evidence base: imports (shipped files, uploads with a preview), figures
entered by hand and qualitative ratings. Selection staff only (403 otherwise); thin: the services of
``imports`` do every check and every write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from . import imports, permissions
from .matching import normalise
from .models import Country, ImportBatch, Metric, QualitativeCriterion, QualitativeRating, Source

if TYPE_CHECKING:
    from pacte.accounts.models import User

    class AuthedRequest(HttpRequest):
        user: User
else:
    AuthedRequest = HttpRequest


# -- forms (collect input only; the services validate) -------------------------------------------------
class CountryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.iso3})"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _metric_field(form: forms.Form) -> forms.ModelChoiceField:
    field = form.fields["metric"]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "usa-input"
        if isinstance(widget, forms.Select):
            css = "usa-select"
        elif isinstance(widget, forms.Textarea):
            css = "usa-textarea"
        elif isinstance(widget, forms.FileInput):
            css = "usa-file-input"
        widget.attrs.setdefault("class", css)


class UploadForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Indicator"), queryset=Metric.objects.none(), to_field_name="code"
    )
    edition = forms.CharField(
        label=gettext_lazy("Edition"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "For example “TIP Report 2024” or “CPI 2024”. Leave empty to use the usual name for each "
            "row's year, or give an “edition” column."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy(
            "First row: country, year, value (optional: label, edition, published_on). Countries by "
            "ISO code or by name; categories by their label, e.g. “Tier 2 Watch List”."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _metric_field(self).queryset = Metric.objects.exclude(kind=Metric.Kind.CATEGORICAL).order_by("order")
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx,text/csv"
        _style(self)


class ObservationForm(forms.Form):
    metric = forms.ModelChoiceField(
        label=gettext_lazy("Indicator"), queryset=Metric.objects.none(), to_field_name="code"
    )
    country = CountryChoiceField(
        label=gettext_lazy("Country"), queryset=Country.objects.all(), to_field_name="iso3"
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"), help_text=gettext_lazy("For a TIP report tier: the year of the report.")
    )
    label = forms.CharField(
        label=gettext_lazy("Category"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("For tiers and other categories, e.g. “Tier 2 Watch List”."),
    )
    value = forms.FloatField(
        label=gettext_lazy("Value"), required=False, help_text=gettext_lazy("For numbers.")
    )
    edition = forms.CharField(
        label=gettext_lazy("Edition"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Leave empty for the usual name, e.g. “TIP Report 2016”."),
    )
    published_on = forms.DateField(
        label=gettext_lazy("Public from"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Leave empty to apply the source's publication rule (TIP report: 30 June)."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _metric_field(self).queryset = Metric.objects.exclude(kind=Metric.Kind.CATEGORICAL).order_by("order")
        tiers = Metric.objects.filter(code="tip_tier").first()
        if tiers is not None:
            self.fields["metric"].initial = tiers.code
            options = ", ".join(c["label"] for c in tiers.categories)
            self.fields["label"].widget.attrs["list"] = "tier-labels"
            self.fields["label"].help_text = _("For tiers: %(options)s.") % {"options": options}
        _style(self)


class RatingForm(forms.Form):
    country = CountryChoiceField(
        label=gettext_lazy("Country"), queryset=Country.objects.all(), to_field_name="iso3"
    )
    criterion = forms.ChoiceField(label=gettext_lazy("Criterion"), choices=QualitativeCriterion.choices)
    score = forms.TypedChoiceField(
        label=gettext_lazy("Rating"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
        help_text=gettext_lazy(
            "From 1 (weakest case for a compact) to 5 (strongest). For restrictions on assistance, "
            "1 means severe restrictions and 5 none."
        ),
    )
    rated_on = forms.DateField(label=gettext_lazy("Date of the rating"), widget=DateInput())
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Explain the rating in a few sentences, with your sources."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


# -- helpers ----------------------------------------------------------------------------------------------
def _require_staff(request: AuthedRequest) -> None:
    permissions.require_selection_staff(request.user)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field_name, errors in error.error_dict.items():
            target = field_name if field_name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


def _safe_next(request: AuthedRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# -- pages --------------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET"])
def import_list(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    batches = ImportBatch.objects.select_related("source", "imported_by").order_by("-created_at", "-id")[:200]
    sources = Source.objects.prefetch_related("metrics").order_by("name")
    return render(request, "countries/imports/import_list.html", {"batches": batches, "sources": sources})


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            preview = imports.preview_upload(
                user=request.user,
                metric_code=form.cleaned_data["metric"].code,
                edition=form.cleaned_data["edition"],
                uploaded_file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if preview.token:
                return redirect("countries:import_preview", token=preview.token)
            # Bad rows: nothing is kept; the user corrects the file and uploads it again.
            return render(
                request,
                "countries/imports/import_preview.html",
                {"preview": preview, "form": form, "countries": _country_choices()},
                status=400,
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "countries/imports/import_upload.html", {"form": form}, status=status)


def _country_choices() -> list[tuple[str, str]]:
    countries = sorted(Country.objects.all(), key=lambda c: normalise(c.display_name))
    return [(c.iso3, f"{c.display_name} ({c.iso3})") for c in countries]


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: AuthedRequest, token: str) -> HttpResponse:
    _require_staff(request)
    resolutions: dict[str, str] = {}
    if request.method == "POST":
        names = request.POST.getlist("unmatched")
        for index, name in enumerate(names):
            resolutions[name] = request.POST.get(f"resolve_{index}", "").strip()
        try:
            batch = imports.confirm_upload(user=request.user, token=token, resolutions=resolutions)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"rows": error.messages}
            try:
                # Every unmatched name again, with the user's choices preselected.
                preview = imports.load_preview(user=request.user, token=token)
            except ValidationError:
                preview = None
            context = {
                "preview": preview,
                "errors": [m for messages_ in errors.values() for m in messages_],
                "resolutions": resolutions,
                "countries": _country_choices(),
                "token": token,
            }
            return render(request, "countries/imports/import_preview.html", context, status=400)
        messages.success(
            request,
            _("%(rows)s figures imported from %(file)s.") % {"rows": batch.rows, "file": batch.file_name},
        )
        return redirect("countries:import_list")
    try:
        preview = imports.load_preview(user=request.user, token=token)
    except ValidationError as error:
        context = {"preview": None, "errors": error.messages, "countries": [], "token": token}
        return render(request, "countries/imports/import_preview.html", context, status=404)
    context = {"preview": preview, "countries": _country_choices(), "token": token, "resolutions": {}}
    return render(
        request, "countries/imports/import_preview.html", context, status=400 if preview.problems else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_add(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    initial = {"country": request.GET.get("country", "").upper()} if request.GET.get("country") else None
    form = ObservationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            observation = imports.record_observation(user=request.user, data=data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(metric)s %(year)s saved for %(country)s.")
                % {
                    "metric": observation.metric.display_name,
                    "year": observation.year,
                    "country": observation.country.display_name,
                },
            )
            return redirect(_safe_next(request) or reverse("countries:observation_add"))
    status = 400 if request.method == "POST" else 200
    tiers = Metric.objects.filter(code="tip_tier").first()
    context = {
        "form": form,
        "tier_labels": [c["label"] for c in tiers.categories] if tiers else [],
        "next": _safe_next(request) or "",
    }
    return render(request, "countries/imports/observation_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rating_add(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    initial: dict[str, Any] = {}
    iso3 = request.GET.get("country", "").strip().upper()
    if iso3 and Country.objects.filter(iso3=iso3).exists():
        initial["country"] = iso3
    if request.GET.get("criterion") in QualitativeCriterion.values:
        initial["criterion"] = request.GET["criterion"]
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rating = imports.record_rating(user=request.user, data=dict(form.cleaned_data))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Rating saved: %(criterion)s, %(country)s, %(score)s/5.")
                % {
                    "criterion": rating.get_criterion_display(),
                    "country": rating.country.display_name,
                    "score": rating.score,
                },
            )
            return redirect(
                _safe_next(request) or f"{reverse('countries:rating_add')}?country={rating.country.iso3}"
            )
    country_iso3 = (form.data.get("country") if form.is_bound else initial.get("country")) or ""
    recent = (
        QualitativeRating.objects.filter(country__iso3=country_iso3).select_related("author")[:20]
        if country_iso3
        else []
    )
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "recent": recent, "next": _safe_next(request) or ""}
    return render(request, "countries/imports/rating_form.html", context, status=status)
