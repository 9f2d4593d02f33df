"""The annual report pages: years of the term, one year's report (narrative sections, the annual
meeting that reviewed it, downloads), and the Word / PDF downloads.

Thin like every view: ``pacte.compacts.selectors.get_compact`` first (404 when the user may not see the
compact, whatever the method), then the year (404 outside the compact's term), then the capability
(403); ``services`` write, ``selectors`` (through ``report.build_report``) read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.accounts.models import Organisation
from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Compact, Meeting, Objective
from pacte.compacts.permissions import Access, Capability
from pacte.compacts.web import AuthedRequest, View, compact_view

from . import report, selectors, services
from .models import NarrativeSection

if TYPE_CHECKING:
    from pacte.accounts.models import User


def report_view(*methods: str, with_year: bool = True) -> Callable[[View], View]:
    """A page of one compact's annual report: ``compact_view`` (login, the compact (404), the method
    (405)), then the year (404 outside the term). The view receives ``compact``, ``access`` and ``year``."""

    def decorator(view: View) -> View:
        @compact_view(*methods)
        @functools.wraps(view)
        def inner(
            request: AuthedRequest, compact: Compact, access: Access, **kwargs: Any
        ) -> HttpResponseBase:
            if with_year and kwargs.get("year") not in report.term_years(compact):
                raise Http404
            return view(request, compact, access, **kwargs)

        return inner

    return decorator


def can_write_narratives(access: Access) -> bool:
    return access.can(Capability.REPORT_RESULTS) or access.can(Capability.REVIEW_RESULTS)


def writes_for_any_organisation(access: Access) -> bool:
    """Programme officers and site administrators write on behalf of any participating organisation;
    the other writers (reporting organisations, reviewers) in their own organisation's name."""
    return can_write_narratives(access) and access.role in selectors.REPORT_ON_BEHALF_ROLES


def can_edit_section(user: User, access: Access, section: NarrativeSection) -> bool:
    if writes_for_any_organisation(access):
        return True
    return can_write_narratives(access) and section.organisation_id == user.organisation_id


# -- forms ---------------------------------------------------------------------------------------------
class ObjectiveChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Objective) -> str:
        return f"{obj.number}. {obj.get_pillar_display()} – {obj.statement[:90]}"


class MeetingChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{obj.get_kind_display()} – {date_format(obj.date)}"


class NarrativeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Section"), choices=NarrativeSection.Kind.choices)
    objective = ObjectiveChoiceField(
        label=gettext_lazy("Objective"),
        queryset=Objective.objects.none(),
        required=False,
        help_text=gettext_lazy("Required for progress toward an objective; empty for the other sections."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=gettext_lazy("The organisation the text is written for (default: yours)."),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Leave empty to delete the section."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, compact: Compact, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        objective_field = self.fields["objective"]
        assert isinstance(objective_field, forms.ModelChoiceField)
        objective_field.queryset = compact_selectors.objective_choices(compact, access)
        organisation_field = self.fields["organisation"]
        assert isinstance(organisation_field, forms.ModelChoiceField)
        if writes_for_any_organisation(access):
            organisation_field.queryset = compact_selectors.participating_organisations(compact).distinct()
        else:
            del self.fields["organisation"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == NarrativeSection.Kind.PROGRESS and not data.get("objective"):
            self.add_error("objective", _("Choose the objective this progress is about."))
        return data


class MeetingForm(forms.Form):
    meeting = MeetingChoiceField(
        label=gettext_lazy("Annual meeting that reviewed the report"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not reviewed yet"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, compact: Compact, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = compact_selectors.compact_records(compact, access, Meeting).filter(
            kind=Meeting.Kind.ANNUAL
        )


def _shown_field(form: forms.Form, name: str) -> str | None:
    """The field an error is shown on: hidden fields (the version) and unknown keys show on the form."""
    field = form.fields.get(name)
    return name if field is not None and not field.widget.is_hidden else None


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field-level errors on the form's fields (other keys: on the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(_shown_field(form, name), errors)
    else:
        form.add_error(None, error.messages)


def _surface_hidden_errors(form: forms.Form) -> None:
    for field in form.hidden_fields():
        for message in field.errors:
            form.add_error(None, message)


def _visible_meeting(annual: Any, access: Access) -> Meeting | None:
    """The meeting that reviewed the report, unless it is non-public and the user may not see it."""
    meeting: Meeting | None = annual.reviewed_at if annual is not None else None
    if meeting is not None and not (meeting.is_public or access.can(Capability.VIEW_NON_PUBLIC)):
        return None
    return meeting


def _base_context(compact: Compact, access: Access) -> dict[str, Any]:
    """What the compact and results layouts read: the compact, ``caps.<capability>``, the section."""
    return {
        "compact": compact,
        "access": access,
        "caps": {c.value: c in access for c in Capability},
        "results_section": "reports",
    }


# -- pages ---------------------------------------------------------------------------------------------
@report_view("GET", with_year=False)
def report_list(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    years = report.term_years(compact)
    rows = []
    for year in reversed(years):
        annual = selectors.annual_report(request.user, compact, year)
        rows.append((year, annual, _visible_meeting(annual, access)))
    return render(
        request,
        "results/report/report_list.html",
        {
            **_base_context(compact, access),
            "rows": rows,
            "languages": report.LANGUAGES,
        },
    )


def _report_page(
    request: AuthedRequest,
    compact: Compact,
    access: Access,
    year: int,
    *,
    narrative_form: NarrativeForm | None = None,
    meeting_form: MeetingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    sections = selectors.narratives(user, compact, year)
    annual = selectors.annual_report(user, compact, year)
    meeting = _visible_meeting(annual, access)
    writer = can_write_narratives(access)
    if narrative_form is None and writer:
        initial: dict[str, Any] = {}
        editing = request.GET.get("edit")
        if editing:
            section = next((s for s in sections if str(s.pk) == editing), None)
            if section is not None and can_edit_section(user, access, section):
                initial = {
                    "kind": section.kind,
                    "objective": section.objective_id,
                    "organisation": section.organisation_id,
                    "text": section.text,
                    "version": section.version,
                }
        narrative_form = NarrativeForm(initial=initial, compact=compact, access=access)
    if meeting_form is None and access.can(Capability.RECORD_MEETINGS):
        meeting_form = MeetingForm(
            initial={"meeting": meeting.pk if meeting else None, "notes": annual.notes if annual else ""},
            compact=compact,
            access=access,
        )
    kinds = []
    for kind, label in NarrativeSection.Kind.choices:
        items = [
            {"section": s, "editable": can_edit_section(user, access, s)} for s in sections if s.kind == kind
        ]
        kinds.append({"kind": kind, "label": label, "items": items})
    return render(
        request,
        "results/report/report_detail.html",
        {
            **_base_context(compact, access),
            "year": year,
            "kinds": kinds,
            "annual": annual,
            "meeting": meeting,
            "narrative_form": narrative_form,
            "meeting_form": meeting_form,
            "downloads": [
                {"fmt": fmt, "language": language} for fmt in report.FORMATS for language in report.LANGUAGES
            ],
        },
        status=status,
    )


@report_view("GET")
def report_detail(request: AuthedRequest, compact: Compact, access: Access, year: int) -> HttpResponse:
    return _report_page(request, compact, access, year)


def _report_url(compact: Compact, year: int, anchor: str = "") -> str:
    url = reverse("results:report", args=[compact.pk, year])
    return f"{url}#{anchor}" if anchor else url


@report_view("POST")
def narrative_edit(request: AuthedRequest, compact: Compact, access: Access, year: int) -> HttpResponse:
    if not can_write_narratives(access):
        raise PermissionDenied
    form = NarrativeForm(request.POST, compact=compact, access=access)
    if form.is_valid():
        data = form.cleaned_data
        kind = data["kind"]
        try:
            section = services.save_narrative(
                user=request.user,
                compact=compact,
                year=year,
                kind=kind,
                text=data["text"] or "",
                objective=data["objective"] if kind == NarrativeSection.Kind.PROGRESS else None,
                organisation=data.get("organisation"),
                version=data.get("version"),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Section saved.") if section is not None else _("Section deleted."))
            return redirect(_report_url(compact, year, "narratives"))
    else:
        _surface_hidden_errors(form)
    return _report_page(request, compact, access, year, narrative_form=form, status=400)


@report_view("POST")
def report_meeting(request: AuthedRequest, compact: Compact, access: Access, year: int) -> HttpResponse:
    if not access.can(Capability.RECORD_MEETINGS):
        raise PermissionDenied
    form = MeetingForm(request.POST, compact=compact, access=access)
    if form.is_valid():
        try:
            services.link_report_meeting(
                user=request.user,
                compact=compact,
                year=year,
                meeting=form.cleaned_data["meeting"],
                notes=form.cleaned_data["notes"] or "",
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_report_url(compact, year, "meeting"))
    return _report_page(request, compact, access, year, meeting_form=form, status=400)


@report_view("GET")
def report_download(
    request: AuthedRequest, compact: Compact, access: Access, year: int, fmt: str
) -> HttpResponse:
    if fmt not in report.FORMATS:
        raise Http404
    language = request.GET.get("language") or translation.get_language() or "fr"
    language = language[:2]
    if language not in report.LANGUAGES:
        return HttpResponse(
            _("Unknown language: choose fr or en."), status=400, content_type="text/plain; charset=utf-8"
        )
    data = report.build_report(request.user, compact, year, language)
    response = HttpResponse(report.render(data, fmt), content_type=report.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{data.filename(fmt)}"'
    response["Cache-Control"] = "private, no-store"
    return response
