"""Forms of the web interface.

Forms only collect and type the input; the rules live in the models' ``clean()`` and in
``services.py``. A view calls a service with ``form.service_data()`` and turns the service's
``ValidationError`` into field errors with ``add_service_errors``.
"""

from __future__ import annotations

import functools
import gettext
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

import pycountry
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import (
    Activity,
    Amendment,
    Commitment,
    CommitteeMember,
    Communication,
    Compact,
    Document,
    FocalPoint,
    Indicator,
    Meeting,
    Membership,
    MonitoringCommittee,
    Objective,
    Participation,
    Party,
    Signatory,
)
from .permissions import Access

# -- countries -------------------------------------------------------------------------------------


def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@functools.lru_cache(maxsize=8)
def _country_names(language: str) -> dict[str, str]:
    """ISO 3166-1 alpha-3 code → country name in ``language`` (pycountry's translations), by name."""
    translate: Callable[[str], str]
    try:
        translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext
    except OSError:
        translate = str
    names = {c.alpha_3: translate(getattr(c, "common_name", None) or c.name) for c in pycountry.countries}
    return dict(sorted(names.items(), key=lambda item: _sort_key(item[1])))


def country_label(code: str) -> str:
    return _country_names((get_language() or settings.LANGUAGE_CODE)[:2]).get(code, code)


def country_choices() -> list[tuple[str, str]]:
    names = _country_names((get_language() or settings.LANGUAGE_CODE)[:2])
    return [("", str(_("Choose a country"))), *names.items()]


# -- USWDS widgets ---------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def uswds_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """``formfield_callback`` of every model form: date pickers, plain file inputs (never a link to
    the stored file), size-limited uploads and check boxes for many-to-many choices."""
    if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
        kwargs["widget"] = DateInput
    if isinstance(db_field, models.FileField):
        kwargs["widget"] = forms.FileInput
    if isinstance(db_field, models.ManyToManyField):
        kwargs["widget"] = forms.CheckboxSelectMultiple
    return db_field.formfield(**kwargs)


WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxSelectMultiple, "usa-checkbox__input"),
    (forms.RadioSelect, "usa-radio__input"),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.FileInput, "usa-file-input"),
]


def style_widget(field: forms.Field) -> None:
    widget = field.widget
    css = next((c for cls, c in WIDGET_CLASSES if isinstance(widget, cls)), "usa-input")
    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    if isinstance(widget, forms.Textarea):
        widget.attrs["rows"] = 4
    if isinstance(field, forms.DecimalField):
        widget.attrs.setdefault("inputmode", "decimal")


class UswdsFormMixin:
    """Gives every widget its US Web Design System class. Errors and hints are added when the
    field is rendered (templatetag ``uswds_field``)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            style_widget(field)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has that field,
    else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


# -- the compact -----------------------------------------------------------------------------------


class CompactForm(UswdsFormMixin, forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)

    class Meta:
        model = Compact
        fields = ["title", "country", "purpose", "goal", "start_date", "end_date", "visibility"]
        labels = {"start_date": _("Start date (planned entry into force)")}
        help_texts = {
            "start_date": _("The compact enters into force on its date of signature."),
        }
        formfield_callback = uswds_formfield

    def service_data(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields or [] if name in self.cleaned_data
        }


class CompactEditForm(CompactForm):
    class Meta(CompactForm.Meta):
        fields = [*CompactForm.Meta.fields, "signature_place"]
        labels = {"start_date": _("Entry into force")}


STATUS_ACTIONS: dict[str, Any] = {
    "open_negotiation": _("Open negotiation"),
    "return_to_draft": _("Back to draft"),
    "sign": _("Record the signature"),
    "terminate": _("Terminate the compact"),
}


class StatusForm(UswdsFormMixin, forms.Form):
    """The input of one status change; fields are named as ``services.change_status`` arguments."""

    def __init__(self, action: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if action == "sign":
            self.fields["signature_date"] = forms.DateField(label=_("Date of signature"), widget=DateInput)
            self.fields["place"] = forms.CharField(
                label=_("Place of signature"), max_length=200, required=False
            )
        elif action == "terminate":
            self.fields["on"] = forms.DateField(label=_("Date of termination"), widget=DateInput)
            self.fields["reason"] = forms.CharField(label=_("Reason for termination"), widget=forms.Textarea)
        for name in ("signature_date", "place", "on", "reason"):
            if name in self.fields:
                style_widget(self.fields[name])


# -- records of a compact --------------------------------------------------------------------------

Scope = Callable[[Compact, Access], QuerySet[Any]]


def _parties(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.compact_records(compact, access, Party)


def _objectives(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.objective_choices(compact, access)


def _focal_points(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.compact_records(compact, access, FocalPoint).select_related("party")


def _current_focal_points(compact: Compact, access: Access) -> QuerySet[Any]:
    return _focal_points(compact, access).filter(is_active=True)


def _ceilings(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.compact_records(compact, access, Commitment).filter(kind=Commitment.Kind.CEILING)


def _activities(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.compact_records(compact, access, Activity).select_related("objective")


def _organisations(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.organisation_choices()


def _participating_organisations(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.participating_organisations(compact)


def _participating_users(compact: Compact, access: Access) -> QuerySet[Any]:
    return selectors.participating_users(compact)


class CompactRecordForm(UswdsFormMixin, forms.ModelForm):
    """A record of one compact. ``scoped`` limits choice fields to that compact's records the user
    may see; ``service_data`` splits the input into field values and many-to-many values."""

    scoped: ClassVar[dict[str, Scope]] = {}
    optional: ClassVar[tuple[str, ...]] = ()  # fields the service fills in when left empty

    def __init__(self, *args: Any, compact: Compact, access: Access, **kwargs: Any) -> None:
        self.compact = compact
        self.access = access
        super().__init__(*args, **kwargs)
        for name, scope in self.scoped.items():
            if name in self.fields:
                self.fields[name].queryset = scope(compact, access)  # type: ignore[attr-defined]
        for name in self.optional:
            if name in self.fields:
                self.fields[name].required = False

    def service_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any] = {}
        m2m: dict[str, Any] = {}
        for name in self._meta.fields or []:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            model_field = self._meta.model._meta.get_field(name)
            if model_field.many_to_many:
                m2m[name] = list(value)
            elif isinstance(model_field, models.FileField):
                if isinstance(value, UploadedFile):
                    data[name] = value
                elif value is False:
                    data[name] = ""
            else:
                data[name] = value
        return data, m2m


def record_form(
    model: type[models.Model],
    fields: list[str],
    scoped: dict[str, Scope] | None = None,
    optional: tuple[str, ...] = (),
    **meta: Any,
) -> type[CompactRecordForm]:
    """A CompactRecordForm for ``model`` (one line per kind of record instead of one class each)."""
    meta_class = type(
        "Meta", (), {"model": model, "fields": fields, "formfield_callback": uswds_formfield, **meta}
    )
    attrs = {"Meta": meta_class, "scoped": scoped or {}, "optional": optional}
    return type(f"{model.__name__}Form", (CompactRecordForm,), attrs)


ObjectiveForm = record_form(
    Objective,
    ["pillar", "number", "statement", "framework_statement", "visibility"],
    optional=("number",),
    help_texts={"number": _("Leave empty to number it after the last objective.")},
)
ActivityForm = record_form(
    Activity, ["objective", "description", "illustrative", "visibility"], {"objective": _objectives}
)
IndicatorForm = record_form(
    Indicator, ["objective", "name", "level", "illustrative", "visibility"], {"objective": _objectives}
)
CommitmentForm = record_form(
    Commitment,
    [
        "kind",
        "party",
        "description",
        "amount",
        "currency",
        "subject_to_availability_of_funds",
        "ceiling",
        "recorded_on",
        "visibility",
    ],
    {"party": _parties, "ceiling": _ceilings},
    help_texts={
        "amount": _("In the currency below. Funding is counted against the United States ceiling."),
        "ceiling": _("Only for funding under the United States ceiling."),
    },
)
SignatoryForm = record_form(
    Signatory,
    ["party", "name", "title", "organisation", "on_behalf_of", "signed_on", "order"],
    {"party": _parties, "organisation": _organisations},
)
FOCAL_POINT_FIELDS = [
    "party",
    "name",
    "organisation",
    "contact_person",
    "office",
    "phone",
    "fax",
    "email",
    "website",
    "address",
    "notes",
]
FocalPointForm = record_form(
    FocalPoint,
    [*FOCAL_POINT_FIELDS, "is_active", "order", "visibility"],
    {"party": _parties, "organisation": _organisations},
)
PartyForm = record_form(Party, ["name"])
DocumentForm = record_form(Document, ["title", "kind", "file", "visibility"])
MeetingForm = record_form(
    Meeting,
    [
        "kind",
        "date",
        "location",
        "participants",
        "achievements",
        "difficulties",
        "next_year_plan",
        "validated_activities",
        "visibility",
    ],
    {"validated_activities": _activities},
)
CommunicationForm = record_form(
    Communication,
    ["sent_on", "sender", "recipients", "subject", "body", "attachment", "visibility"],
    {"sender": _focal_points, "recipients": _focal_points},
)
CommitteeForm = record_form(MonitoringCommittee, ["established_on", "mandate"])
CommitteeMemberForm = record_form(
    CommitteeMember,
    ["name", "user", "organisation", "party", "role", "since"],
    {"user": _participating_users, "organisation": _participating_organisations, "party": _parties},
)
# Participations and roles are created through their own services (access page); these forms only
# exist so that the generic views can delete them.
ParticipationForm = record_form(
    Participation, ["organisation", "role", "party"], {"organisation": _organisations, "party": _parties}
)
MembershipForm = record_form(Membership, ["user", "role"], {"user": _participating_users})


class AmendmentForm(CompactRecordForm):
    """An amendment (written request of one party, three months' notice) or an extension (mutual
    written decision, new end of term): the form shows the fields that matter for its kind."""

    COMMON: ClassVar[list[str]] = ["title", "description", "effective_date", "visibility"]
    BY_KIND: ClassVar[dict[str, list[str]]] = {
        Amendment.Kind.AMENDMENT: ["requested_by", "request_date", "request_reference"],
        Amendment.Kind.EXTENSION: ["decision_date", "decision_reference", "new_end_date"],
    }
    scoped: ClassVar[dict[str, Scope]] = {"requested_by": _parties}

    class Meta:
        model = Amendment
        fields = [
            "title",
            "description",
            "requested_by",
            "request_date",
            "request_reference",
            "decision_date",
            "decision_reference",
            "effective_date",
            "new_end_date",
            "visibility",
        ]
        formfield_callback = uswds_formfield

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = set(self.COMMON) | set(self.BY_KIND[kind])
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def service_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data, m2m = super().service_data()
        return {**data, "kind": self.kind}, m2m


class FocalPointChangeForm(CompactRecordForm):
    """A new focal point replacing (or joining) the focal points of one party."""

    previous = forms.ModelChoiceField(
        label=_("Replaces"),
        queryset=FocalPoint.objects.none(),
        required=False,
        help_text=_("Leave empty when the party adds a focal point."),
    )
    changed_on = forms.DateField(label=_("Date of the change"), widget=DateInput)
    notified_on = forms.DateField(
        label=_("Other parties notified on"),
        widget=DateInput,
        required=False,
        help_text=_("Date of the written notice to the other focal points (within 30 days of the change)."),
    )
    scoped: ClassVar[dict[str, Scope]] = {
        "party": _parties,
        "organisation": _organisations,
        "previous": _current_focal_points,
    }

    class Meta:
        model = FocalPoint
        fields = [*FOCAL_POINT_FIELDS, "visibility"]
        formfield_callback = uswds_formfield

    field_order = ["party", "previous", *FOCAL_POINT_FIELDS[1:], "visibility", "changed_on", "notified_on"]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        new_data = {name: data[name] for name in self._meta.fields or [] if name != "party" and name in data}
        return {
            "party": data["party"],
            "previous": data.get("previous"),
            "new_data": new_data,
            "changed_on": data["changed_on"],
            "notified_on": data.get("notified_on"),
        }


class NotificationForm(UswdsFormMixin, forms.Form):
    notified_on = forms.DateField(
        label=_("Other parties notified on"),
        widget=DateInput,
        help_text=_("Date of the written notice to the other focal points."),
    )


class AddParticipationForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=selectors.organisation_choices())
    role = forms.ChoiceField(label=_("Role"), choices=Participation.Role.choices)
    party = forms.ModelChoiceField(
        label=_("Party"),
        queryset=Party.objects.none(),
        required=False,
        help_text=_("The party an organisation acting for a party represents."),
    )

    def __init__(self, *args: Any, compact: Compact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = compact.parties.all()  # type: ignore[attr-defined]


class GrantRoleForm(UswdsFormMixin, forms.Form):
    user: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("User"),
        queryset=None,
        help_text=_(
            "Users of the participating organisations. A user who already has a role gets the new one."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args: Any, compact: Compact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.participating_users(compact)  # type: ignore[attr-defined]
