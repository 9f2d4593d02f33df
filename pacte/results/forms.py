"""Forms of the results pages. They only collect and type the input: the rules live in ``services.py``.

A view calls a service with what a form cleaned and turns the service's ``ValidationError`` into field
errors with ``add_service_errors`` (``values`` errors go next to the rows they name).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Organisation
from pacte.compacts.models import Compact

from . import periods, services
from .models import (
    Dimension,
    DisaggregationCategory,
    IndicatorDefinition,
    Submission,
)

# -- USWDS styling (the same classes as the compact pages) ----------------------------------------------
WIDGET_CLASSES: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxSelectMultiple, "usa-checkbox__input"),
    (forms.RadioSelect, "usa-radio__input"),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.FileInput, "usa-file-input"),
]


class UswdsForm(forms.Form):
    """A form whose widgets carry the US Web Design System classes; rendered field by field with the
    ``uswds_field`` template tag (label, hint, error message linked by ``aria-describedby``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            widget = form_field.widget
            css = next((c for cls, c in WIDGET_CLASSES if isinstance(widget, cls)), "usa-input")
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)
            if isinstance(form_field, forms.DecimalField):
                widget.attrs.setdefault("inputmode", "decimal")


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on ``form``: on the field of the same name (or its alias),
    else above the form."""
    aliases = {"version": NON_FIELD_ERRORS, **(aliases or {})}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = aliases.get(name, name)
        if target not in form.fields or target == NON_FIELD_ERRORS:
            target = None  # type: ignore[assignment]
        form.add_error(target, errors)


VERSION_WIDGET = forms.HiddenInput


def version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=VERSION_WIDGET, required=False, min_value=0)


# -- indicator definitions -------------------------------------------------------------------------------
# The fields the form edits: those ``services.define_indicator`` accepts.
DEFINITION_FIELDS = list(services.DEFINITION_FIELDS)


def category_label(category: DisaggregationCategory) -> str:
    """Finer bands are shown under their parent: "— 15–17 years"."""
    return f"— {category.label}" if category.parent_id else category.label


class DefinitionForm(UswdsForm):
    """Unit, direction, cumulative mode, baseline, frequency, disaggregations (one group of check boxes
    per dimension) and reporting organisations of one indicator."""

    version = version_field()

    def __init__(
        self,
        *args: Any,
        compact: Compact,
        categories: Iterable[DisaggregationCategory],
        organisations: Iterable[Organisation],
        definition: IndicatorDefinition | None = None,
        **kwargs: Any,
    ) -> None:
        if definition is not None and "initial" not in kwargs:
            kwargs["initial"] = definition_initial(definition)
        super_fields = forms.fields_for_model(IndicatorDefinition, fields=DEFINITION_FIELDS)
        for form_field in super_fields.values():
            _radio_choices(form_field)
        self.base_fields = {**super_fields, **self.base_fields}  # type: ignore[misc]
        self.dimension_fields: list[str] = []
        by_dimension: dict[str, list[tuple[int, str]]] = {}
        for category in categories:
            by_dimension.setdefault(category.dimension, []).append((category.pk, category_label(category)))
        extra: dict[str, forms.Field] = {}
        for dimension, label in Dimension.choices:
            name = f"categories_{dimension}"
            extra[name] = forms.TypedMultipleChoiceField(
                label=label,
                choices=by_dimension.get(dimension, []),
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.dimension_fields.append(name)
        extra["reporters"] = forms.TypedMultipleChoiceField(
            label=_("Reporting organisations"),
            help_text=_("Organisations taking part in the compact that report this indicator."),
            choices=[(o.pk, str(o)) for o in organisations],
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.base_fields = {**self.base_fields, **extra}  # type: ignore[misc]
        super().__init__(*args, **kwargs)
        self.compact = compact

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in DEFINITION_FIELDS}
        for name in ("unit_label", "numerator_label", "denominator_label", "baseline_source", "notes"):
            data[name] = data[name] or ""
        return data

    def category_ids(self) -> list[int]:
        return [pk for name in self.dimension_fields for pk in self.cleaned_data.get(name, [])]

    def dimension_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.dimension_fields if self.fields[name].choices]  # type: ignore[attr-defined]

    def main_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DEFINITION_FIELDS]


def _radio_choices(form_field: Any) -> None:
    """Few choices (unit, direction, cumulative mode, frequency) read better as radio buttons; a radio
    group always has a value, so no empty choice."""
    if isinstance(form_field, forms.TypedChoiceField):
        choices: list[Any] = [c for c in form_field.choices if c[0] != ""]  # type: ignore[union-attr,index]
        form_field.choices = choices
        form_field.widget = forms.RadioSelect(choices=choices)


def definition_initial(definition: IndicatorDefinition) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(definition, name) for name in DEFINITION_FIELDS}
    initial["version"] = definition.version
    chosen = list(definition.categories.all())
    for dimension in Dimension.values:
        initial[f"categories_{dimension}"] = [c.pk for c in chosen if c.dimension == dimension]
    initial["reporters"] = [o.pk for o in definition.reporters.all()]
    return initial


class TargetsForm(UswdsForm):
    """One target per year of the compact's term (empty: no target that year)."""

    version = version_field()

    def __init__(self, *args: Any, years: Sequence[int], targets: dict[int, Decimal | None], **kwargs: Any):
        kwargs.setdefault("initial", {})
        for year in years:
            kwargs["initial"].setdefault(f"target_{year}", targets.get(year))
        super().__init__(*args, **kwargs)
        self.years = list(years)
        for year in years:
            self.fields[f"target_{year}"] = forms.DecimalField(
                label=str(year),
                required=False,
                max_digits=18,
                decimal_places=4,
                widget=forms.NumberInput(attrs={"step": "any", "class": "usa-input usa-input--small"}),
            )

    def targets(self) -> dict[int, Decimal | None]:
        return {year: self.cleaned_data.get(f"target_{year}") for year in self.years}


# -- submissions ----------------------------------------------------------------------------------------
YES_NO = [("1", _("Yes")), ("0", _("No"))]


@dataclass
class ValueRow:
    """One line of the values table: the total or one category, with its inputs and its errors."""

    key: str  # "total" or the category id
    label: str
    category: DisaggregationCategory | None
    dimension_label: str = ""
    fields: list[forms.BoundField] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    is_child: bool = False


def period_choices(definition: IndicatorDefinition, compact: Compact) -> list[tuple[str, str]]:
    if compact.start_date is None or compact.end_date is None:
        return []
    return [
        (p.code, p.code)
        for p in periods.periods_for(definition.frequency, compact.start_date, compact.end_date)
    ]


class SubmissionForm(UswdsForm):
    """The values of one submission: the total and one row per category the definition allows."""

    # Not required here: the services' message says what a period looks like.
    period = forms.CharField(label=_("Period"), max_length=10, required=False)
    organisation = forms.TypedChoiceField(label=_("Reporting organisation"), coerce=int, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)
    evidence = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_("Optional: a report, a list or a photograph supporting the values (PDF, Word, Excel…)."),
        widget=forms.FileInput,
    )
    evidence_description = forms.CharField(label=_("Description of the evidence file"), required=False)
    version = version_field()

    def __init__(
        self,
        *args: Any,
        definition: IndicatorDefinition,
        compact: Compact,
        categories: Sequence[DisaggregationCategory],
        organisations: Sequence[Organisation] = (),
        submission: Submission | None = None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        if submission is not None:
            initial.update(submission_initial(submission, definition))
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.submission = submission
        self.categories = list(categories)
        choices = period_choices(definition, compact)
        if submission is not None and submission.period not in dict(choices):
            choices.append((submission.period, submission.period))
        self.fields["period"].widget = forms.Select(
            choices=[("", _("Choose a period")), *choices], attrs={"class": "usa-select"}
        )
        self.fields["period"].help_text = IndicatorDefinition.Frequency(definition.frequency).label
        if organisations:
            self.fields["organisation"].choices = [(o.pk, str(o)) for o in organisations]  # type: ignore[attr-defined]
            self.fields["organisation"].widget.attrs["class"] = "usa-select"
        else:
            del self.fields["organisation"]
        if submission is not None:
            # The period and organisation of a saved submission are kept; evidence is added here too.
            self.fields["period"].disabled = True
            if "organisation" in self.fields:
                self.fields["organisation"].disabled = True
        self.rows: list[ValueRow] = []
        self.values_errors: list[str] = []
        self._add_row("total", _("Total"), None)
        for category in self.categories:
            self._add_row(str(category.pk), category.label, category)

    # One to three inputs per row, by unit.
    def _add_row(self, key: str, label: Any, category: DisaggregationCategory | None) -> None:
        unit = self.definition.unit
        Unit = IndicatorDefinition.Unit
        row = ValueRow(
            key=key,
            label=str(label),
            category=category,
            dimension_label=str(Dimension(category.dimension).label) if category else "",
            is_child=bool(category and category.parent_id),
        )
        names: list[tuple[str, forms.Field]] = []
        row_label = str(label)
        if unit == Unit.PERCENTAGE:
            names = [
                (
                    f"{key}_numerator",
                    _decimal(_("Numerator"), row_label, self.definition.numerator_label),
                ),
                (
                    f"{key}_denominator",
                    _decimal(_("Denominator"), row_label, self.definition.denominator_label),
                ),
            ]
        elif unit == Unit.MILESTONE:
            names = [
                (
                    f"{key}_value",
                    forms.ChoiceField(
                        label=_("Achieved"),
                        choices=[("", "–"), *YES_NO],
                        required=False,
                        widget=forms.Select(attrs={"class": "usa-select"}),
                    ),
                )
            ]
        elif unit == Unit.QUALITATIVE:
            names = [
                (
                    f"{key}_text",
                    forms.CharField(
                        label=_("Text"),
                        required=False,
                        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
                    ),
                )
            ]
        else:
            names = [(f"{key}_value", _decimal(_("Value"), row_label, self.definition.unit_label))]
        for name, form_field in names:
            self.fields[name] = form_field
            row.fields.append(self[name])
        self.rows.append(row)

    def value_inputs(self) -> list[dict[str, Any]]:
        """The rows that hold something, as keyword arguments of ``services.ValueInput``."""
        Unit = IndicatorDefinition.Unit
        unit = self.definition.unit
        inputs: list[dict[str, Any]] = []
        for row in self.rows:
            data = self.cleaned_data
            if unit == Unit.PERCENTAGE:
                numerator, denominator = data.get(f"{row.key}_numerator"), data.get(f"{row.key}_denominator")
                if numerator is None and denominator is None:
                    continue
                inputs.append({"category": row.category, "numerator": numerator, "denominator": denominator})
            elif unit == Unit.QUALITATIVE:
                text = (data.get(f"{row.key}_text") or "").strip()
                if text:
                    inputs.append({"category": row.category, "text": text})
            else:
                value = data.get(f"{row.key}_value")
                if value is None or value == "":
                    continue
                inputs.append({"category": row.category, "value": Decimal(str(value))})
        return inputs

    def add_values_errors(self, messages: Iterable[str]) -> None:
        """Attach each "values" message to the row it names (the services start their messages with
        the category's label, or "total"); messages naming no row go above the table."""
        for message in messages:
            row = next((r for r in self.rows[1:] if _names(message, r.label)), None)
            if row is None and (_names(message, str(_("total"))) or message == str(_("Give the total."))):
                row = self.rows[0]
            if row is None:
                self.values_errors.append(message)
            else:
                row.errors.append(message)
                for bound in row.fields:
                    bound.field.widget.attrs["aria-invalid"] = "true"
                    bound.field.widget.attrs["aria-describedby"] = f"row-{row.key}-error"
        # The form is invalid whatever the row: one non-field error keeps it so (status 400).
        self.add_error(None, _("Some values are not valid: see the messages next to the rows."))

    def rows_by_dimension(self) -> list[tuple[str, list[ValueRow]]]:
        groups: list[tuple[str, list[ValueRow]]] = []
        for row in self.rows[1:]:
            if not groups or groups[-1][0] != row.dimension_label:
                groups.append((row.dimension_label, []))
            groups[-1][1].append(row)
        return groups


def _names(message: str, label: str) -> bool:
    """Whether a service's message is about the row labelled ``label``."""
    label = label.strip()
    if not label:
        return False
    lowered, wanted = message.casefold(), label.casefold()
    return (
        lowered.startswith(f"{wanted}:")
        or lowered.startswith(f"{wanted} :")
        or lowered.startswith(f"{wanted} ")
        or f"“{wanted}”" in lowered
    )


def _decimal(label: Any, row_label: str, hint: str = "") -> forms.DecimalField:
    form_field = forms.DecimalField(
        label=label,
        required=False,
        max_digits=18,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "any", "class": "usa-input usa-input--small"}),
    )
    form_field.row_label = row_label  # type: ignore[attr-defined]
    if hint:
        form_field.help_text = hint
    return form_field


def submission_initial(submission: Submission, definition: IndicatorDefinition) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "period": submission.period,
        "organisation": submission.organisation_id,
        "comment": submission.comment,
        "version": submission.version,
    }
    for value in submission.values.all():
        key = str(value.category_id) if value.category_id else "total"
        if definition.unit == IndicatorDefinition.Unit.PERCENTAGE:
            initial[f"{key}_numerator"] = _plain(value.numerator)
            initial[f"{key}_denominator"] = _plain(value.denominator)
        elif definition.unit == IndicatorDefinition.Unit.QUALITATIVE:
            initial[f"{key}_text"] = value.text
        elif definition.unit == IndicatorDefinition.Unit.MILESTONE:
            initial[f"{key}_value"] = "" if value.value is None else str(int(value.value))
        else:
            initial[f"{key}_value"] = _plain(value.value)
    return initial


def _plain(value: Decimal | None) -> Decimal | None:
    """4 decimal places stored, but 12 is shown as 12, not 12.0000."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


# -- workflow -------------------------------------------------------------------------------------------
class TransitionForm(UswdsForm):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)
    version = version_field()

    def __init__(self, *args: Any, comment_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("Comments for the reporting organisation")


class LockPeriodForm(UswdsForm):
    period = forms.CharField(
        label=_("Period to lock"),
        max_length=10,
        help_text=_("2024, 2024Q1 or FY2025. Every approved submission of this period is locked."),
    )


class SubmissionFilterForm(forms.Form):
    """The filters of the submissions list (GET): never an error, unknown values are ignored."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Submission.Status.choices]
    )
    period = forms.CharField(label=_("Period"), required=False, max_length=10)
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("review", _("To review")), ("mine", _("My organisation"))],
    )

    def __init__(self, *args: Any, organisations: Sequence[Organisation] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("All")), *[(o.pk, str(o)) for o in organisations]]  # type: ignore[attr-defined]
        for form_field in self.fields.values():
            form_field.widget.attrs["class"] = (
                "usa-select" if isinstance(form_field.widget, forms.Select) else "usa-input"
            )

    def value(self, name: str) -> Any:
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get(name) or None
