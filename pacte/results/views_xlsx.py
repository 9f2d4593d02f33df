"""The Excel template of a reporting organisation's values (download) and its upload.

Both need ``Capability.REPORT_RESULTS`` on a compact the user sees (404 for a compact they do not
see, 403 without the capability). Thin: ``xlsx.build_template`` and ``xlsx.import_workbook`` check
everything and save through the services; a refused file answers 400 with every cell in error.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.accounts.models import Organisation
from pacte.compacts.models import Compact
from pacte.compacts.permissions import Access, Capability

from . import xlsx
from .forms import UswdsForm, add_service_errors
from .views import _require, compact_view

if TYPE_CHECKING:
    from .views import AuthedRequest

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _OrganisationMixin:
    fields: dict[str, forms.Field]

    def setup_organisation(self, compact: Compact, on_behalf: bool) -> None:
        if on_behalf:
            field = self.fields["organisation"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = xlsx.reporting_organisations(compact)
        else:
            del self.fields["organisation"]


class TemplateForm(_OrganisationMixin, UswdsForm):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Reporting organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("My organisation"),
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Year"),
        help_text=gettext_lazy(
            "Every period named after this year: the year, its quarters or the US fiscal year, as each "
            "indicator is reported."
        ),
    )

    def __init__(self, *args: Any, compact: Compact, on_behalf: bool, **kwargs: Any) -> None:
        # Its own ids: the upload form on the same page has an "organisation" field too.
        kwargs.setdefault("auto_id", "id_template_%s")
        super().__init__(*args, **kwargs)
        self.setup_organisation(compact, on_behalf)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p, p) for p in xlsx.period_choices(compact)]


class UploadForm(_OrganisationMixin, UswdsForm):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Reporting organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("The one the workbook was prepared for"),
    )
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        help_text=gettext_lazy("The template downloaded from Pacte, filled in."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    submit = forms.BooleanField(
        label=gettext_lazy("Submit the values for review after the import"),
        required=False,
        help_text=gettext_lazy("Otherwise they are saved as drafts, which you may check and submit later."),
    )

    def __init__(self, *args: Any, compact: Compact, on_behalf: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_organisation(compact, on_behalf)


def _default_period(compact: Compact) -> str:
    choices = xlsx.period_choices(compact)
    this_year = str(dt.date.today().year)
    return this_year if this_year in choices else choices[-1]


def _page(
    request: AuthedRequest,
    compact: Compact,
    access: Access,
    *,
    template_form: TemplateForm | None = None,
    upload_form: UploadForm | None = None,
    cell_errors: list[xlsx.CellError] | None = None,
    status: int = 200,
) -> HttpResponse:
    on_behalf = xlsx.may_report_for_others(request.user, access)
    if template_form is None:
        template_form = TemplateForm(
            compact=compact, on_behalf=on_behalf, initial={"period": _default_period(compact)}
        )
    if upload_form is None:
        upload_form = UploadForm(compact=compact, on_behalf=on_behalf)
    context = {
        "compact": compact,
        "access": access,
        "caps": {c.value: c in access for c in Capability},
        "results_section": "submissions",
        "template_form": template_form,
        "upload_form": upload_form,
        "cell_errors": cell_errors or [],
    }
    return render(request, "results/upload.html", context, status=status)


@compact_view("GET")
def template_download(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    _require(access, Capability.REPORT_RESULTS)
    on_behalf = xlsx.may_report_for_others(request.user, access)
    data = request.GET if request.GET else {"period": _default_period(compact)}
    form = TemplateForm(data, compact=compact, on_behalf=on_behalf)
    if form.is_valid():
        organisation = form.cleaned_data.get("organisation")
        try:
            content = xlsx.build_template(
                request.user, compact, organisation=organisation, period=form.cleaned_data["period"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            who = organisation or request.user.organisation
            name = "-".join(
                part
                for part in (
                    "pacte",
                    str(compact.pk),
                    slugify(getattr(who, "acronym", "") or getattr(who, "name", ""))[:30],
                    form.cleaned_data["period"],
                )
                if part
            )
            response = HttpResponse(content, content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
    return _page(request, compact, access, template_form=form, status=400)


@compact_view("GET", "POST")
def upload(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    _require(access, Capability.REPORT_RESULTS)
    if request.method != "POST":
        return _page(request, compact, access)
    on_behalf = xlsx.may_report_for_others(request.user, access)
    form = UploadForm(request.POST, request.FILES, compact=compact, on_behalf=on_behalf)
    cell_errors: list[xlsx.CellError] = []
    if form.is_valid():
        try:
            result = xlsx.import_workbook(
                request.user,
                compact,
                form.cleaned_data["file"],
                organisation=form.cleaned_data.get("organisation"),
                submit=form.cleaned_data["submit"],
            )
        except xlsx.WorkbookInvalid as error:
            cell_errors = error.cell_errors
            form.add_error(
                None,
                _("Nothing was saved: correct the %(count)s problems listed below and upload the file again.")
                % {"count": len(cell_errors)},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, xlsx.counts_message(result))
            return redirect("results:submissions", pk=compact.pk)
    return _page(request, compact, access, upload_form=form, cell_errors=cell_errors, status=400)
