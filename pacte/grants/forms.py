"""Forms of the funding pages. They only collect and type the input: every rule lives in ``services.py``
(and the models' ``clean()``). A view calls a service with what a form cleaned and shows the service's
``ValidationError`` with ``add_service_errors``: on the field of the same name, next to the rows it
names (criteria, budget lines, sectors), else above the form.

Repeated rows (merit criteria, budget lines, DAC sectors) are plain numbered fields
(``criteria-0-name``, ``criteria-0-weight`` …): empty rows are ignored, a few spare rows are always
offered, and a posted form keeps as many rows as were sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import Organisation
from pacte.compacts.forms import DateInput, country_choices, style_widget

from .models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    RATE_DIGITS,
    RATE_PLACES,
    Award,
    Budget,
    FundingOpportunity,
    ProgrammeType,
    Transaction,
)
from .sectors import sector_choices
from .services import SectorInput

MAX_ROWS = 60
ZERO = Decimal(0)
HUNDRED = Decimal(100)


class UswdsForm(forms.Form):
    """A form whose widgets carry the US Web Design System classes; rendered field by field with the
    ``uswds_field`` template tag (label, hint, error linked by ``aria-describedby``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            style_widget(form_field)
        self.row_groups: dict[str, RowGroup] = {}

    # -- repeated rows -------------------------------------------------------------------------------
    def add_rows(
        self,
        prefix: str,
        specs: Sequence[RowSpec],
        initial: Sequence[dict[str, Any]] = (),
        *,
        extra: int = 2,
        minimum: int = 3,
    ) -> RowGroup:
        count = max(len(initial) + extra, minimum)
        if self.is_bound:
            count = max(count, _posted_rows(self.data, prefix))
        count = min(count, MAX_ROWS)
        # The group's own (never rendered) field: the services' messages about the rows as a whole.
        self.fields[prefix] = forms.CharField(required=False, widget=forms.HiddenInput)
        group = RowGroup(prefix=prefix, specs=list(specs), form=self)
        for index in range(count):
            for spec in specs:
                name = f"{prefix}-{index}-{spec.name}"
                form_field = spec.factory()
                form_field.required = False
                form_field.label = f"{spec.label} ({_('row')} {index + 1})"
                style_widget(form_field)
                form_field.widget.attrs["aria-label"] = str(form_field.label)
                self.fields[name] = form_field
                if index < len(initial) and initial[index].get(spec.name) is not None:
                    self.initial[name] = initial[index][spec.name]
            group.indexes.append(index)
        self.row_groups[prefix] = group
        return group

    def row_values(self, prefix: str) -> list[dict[str, Any]]:
        """The rows that hold something, as dicts (after ``is_valid``)."""
        group = self.row_groups[prefix]
        values = []
        for index in group.indexes:
            row = {s.name: self.cleaned_data.get(f"{prefix}-{index}-{s.name}") for s in group.specs}
            if any(v not in (None, "", []) for v in row.values()):
                values.append(row)
        return values

    def _clean_rows(self) -> None:
        """A row that holds something needs its required columns."""
        for prefix, group in self.row_groups.items():
            for index in group.indexes:
                names = {s.name: f"{prefix}-{index}-{s.name}" for s in group.specs}
                filled = any(self.data.get(self.add_prefix(n), "") not in ("", None) for n in names.values())
                if not filled:
                    continue
                for spec in group.specs:
                    name = names[spec.name]
                    if (
                        spec.required
                        and self.cleaned_data.get(name) in (None, "")
                        and name not in self.errors
                    ):
                        self.add_error(name, _("This field is required."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._clean_rows()
        return cleaned


@dataclass
class RowSpec:
    name: str
    label: Any
    factory: Callable[[], forms.Field]
    required: bool = False


@dataclass
class RowGroup:
    prefix: str
    specs: list[RowSpec]
    form: forms.BaseForm | None = None
    indexes: list[int] = field(default_factory=list)

    @property
    def rows(self) -> list[list[forms.BoundField]]:
        assert self.form is not None
        return [[self.form[f"{self.prefix}-{i}-{s.name}"] for s in self.specs] for i in self.indexes]

    @property
    def errors(self) -> list[str]:
        """The messages about the rows as a whole (the services' ``criteria``, ``sectors`` …)."""
        assert self.form is not None
        return [str(e) for e in self.form.errors.get(self.prefix, [])]


def _posted_rows(data: Any, prefix: str) -> int:
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-")
    indexes = [int(m.group(1)) for key in data for m in [pattern.match(key)] if m]
    return max(indexes) + 1 if indexes else 0


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """A service's ValidationError on ``form``: on the field of the same name (or its alias), else
    above the form."""
    aliases = {"version": NON_FIELD_ERRORS, **(aliases or {})}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target: str | None = aliases.get(name, name)
        if target not in form.fields or target == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, errors)


def _amount(label: Any = None, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label if label is not None else _("Amount"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(Decimal("0.01"))],
        **kwargs,
    )


def _rate() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Rate (USD per unit)"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        required=False,
        help_text=_("Required for another currency than the US dollar."),
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )


def _percentage(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
    )


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


def _choices(items: Iterable[Any], label: Callable[[Any], str] = str) -> list[tuple[int, str]]:
    return [(item.pk, label(item)) for item in items]


def _pick(items: Sequence[Any], ids: Iterable[Any]) -> list[Any]:
    wanted = {int(i) for i in ids}
    return [item for item in items if item.pk in wanted]


# -- portfolio --------------------------------------------------------------------------------------
GROUPS = [
    ("compact", _("Compact")),
    ("partner", _("Implementing partner")),
    ("programme_type", _("Programme type")),
    ("year", _("Year")),
]


class PortfolioFilterForm(forms.Form):
    """The portfolio's grouping and filters (GET): never an error, unknown values are ignored."""

    group_by = forms.ChoiceField(label=_("Group by"), required=False, choices=GROUPS)
    compact = forms.TypedChoiceField(label=_("Compact"), required=False, coerce=int)
    organisation = forms.TypedChoiceField(label=_("Implementing partner"), required=False, coerce=int)
    programme_type = forms.ChoiceField(
        label=_("Programme type"), required=False, choices=[("", _("All")), *ProgrammeType.choices]
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int)

    def __init__(
        self,
        *args: Any,
        compacts: Sequence[Any] = (),
        organisations: Sequence[Organisation] = (),
        years: Sequence[int] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.compacts = list(compacts)
        self.organisations = list(organisations)
        self.fields["compact"].choices = [("", _("All")), *_choices(self.compacts)]  # type: ignore[attr-defined]
        self.fields["organisation"].choices = [("", _("All")), *_choices(self.organisations)]  # type: ignore[attr-defined]
        self.fields["year"].choices = [("", _("All")), *[(y, str(y)) for y in years]]  # type: ignore[attr-defined]
        for form_field in self.fields.values():
            form_field.widget.attrs["class"] = "usa-select"

    def value(self, name: str) -> Any:
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get(name) or None

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of ``selectors.portfolio``."""
        compact_id, organisation_id = self.value("compact"), self.value("organisation")
        return {
            "compact": next((c for c in self.compacts if c.pk == compact_id), None),
            "organisation": next((o for o in self.organisations if o.pk == organisation_id), None),
            "programme_type": self.value("programme_type"),
            "year": self.value("year"),
            "group_by": self.value("group_by") or "compact",
        }


# -- opportunities ----------------------------------------------------------------------------------
OPPORTUNITY_FIELDS = [
    "title",
    "reference",
    "programme_type",
    "compact",
    "description",
    "ceiling",
    "eligible_org_types",
    "registration_required",
    "eligibility_notes",
    "opens_on",
    "deadline",
]


def org_kind_choices() -> list[tuple[str, Any]]:
    return [*Organisation.PartnerKind.choices, *Organisation.Type.choices]


def criterion_specs() -> list[RowSpec]:
    return [
        RowSpec("name", _("Criterion"), lambda: forms.CharField(max_length=200), required=True),
        RowSpec("weight", _("Weight (%)"), lambda: _percentage(_("Weight (%)")), required=True),
        RowSpec(
            "description",
            _("Description"),
            lambda: forms.CharField(max_length=2000),
        ),
    ]


class OpportunityForm(UswdsForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=60,
        help_text=_("The notice's number, for example SFOP0009999. Letters, digits and - only."),
    )
    programme_type = forms.ChoiceField(label=_("Programme type"), choices=ProgrammeType.choices)
    compact = forms.TypedChoiceField(
        label=_("Compact"),
        coerce=int,
        required=False,
        help_text=_("For a Child Protection Compact opportunity: the compact it funds."),
    )
    objectives = forms.TypedMultipleChoiceField(
        label=_("Objectives served"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Objectives of the chosen compact."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea)
    ceiling = _amount(_("Ceiling (USD)"))
    eligible_org_types = forms.MultipleChoiceField(
        label=_("Eligible kinds of organisation"),
        required=False,
        choices=org_kind_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    registration_required = forms.BooleanField(label=_("Legal registration required"), required=False)
    eligibility_notes = forms.CharField(
        label=_("Other eligibility conditions"), required=False, widget=forms.Textarea
    )
    opens_on = forms.DateField(label=_("Open from"), required=False, widget=DateInput)
    deadline = forms.DateTimeField(
        label=_("Deadline for applications"),
        widget=DateTimeInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(
        self,
        *args: Any,
        compacts: Sequence[Any],
        objectives: Sequence[Any],
        opportunity: FundingOpportunity | None = None,
        **kwargs: Any,
    ) -> None:
        criteria: list[dict[str, Any]] = []
        if opportunity is not None:
            initial = kwargs.setdefault("initial", {})
            for name in OPPORTUNITY_FIELDS:
                initial.setdefault(name, getattr(opportunity, name))
            initial["compact"] = opportunity.compact_id
            initial["deadline"] = timezone.localtime(opportunity.deadline).replace(tzinfo=None)
            initial["objectives"] = [o.pk for o in opportunity.objectives.all()]
            criteria = [
                {"name": c.name, "weight": c.weight, "description": c.description}
                for c in opportunity.criteria.all()
            ]
        else:
            kwargs.setdefault("initial", {}).setdefault("registration_required", True)
        super().__init__(*args, **kwargs)
        self.compacts = list(compacts)
        self.objective_list = list(objectives)
        self.fields["compact"].choices = [("", _("None")), *_choices(self.compacts)]  # type: ignore[attr-defined]
        self.fields["objectives"].choices = _choices(  # type: ignore[attr-defined]
            self.objective_list, lambda o: f"{o.compact} – {o}" if len(self.compacts) > 1 else str(o)
        )
        self.add_rows("criteria", criterion_specs(), criteria, minimum=4)

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in OPPORTUNITY_FIELDS}
        data["compact"] = next((c for c in self.compacts if c.pk == data["compact"]), None)
        data["eligibility_notes"] = data["eligibility_notes"] or ""
        return data

    def chosen_objectives(self) -> list[Any]:
        return _pick(self.objective_list, self.cleaned_data.get("objectives") or [])

    def criteria(self) -> list[dict[str, Any]]:
        return [
            {"name": r["name"], "weight": r["weight"], "description": r.get("description") or ""}
            for r in self.row_values("criteria")
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("title", "reference", "programme_type", "compact", "objectives")] + [
            self[n] for n in OPPORTUNITY_FIELDS[4:]
        ]


class ReasonForm(UswdsForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea)


class ReviewerForm(UswdsForm):
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)
    remove = forms.TypedChoiceField(coerce=int, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, candidates: Sequence[Any], assigned: Sequence[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.assigned = list(assigned)
        self.fields["reviewer"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a person")),
            *_choices(self.candidates, _person),
        ]
        self.fields["remove"].choices = [("", ""), *_choices(self.assigned)]  # type: ignore[attr-defined]
        if self.is_bound and self.data.get("remove"):
            self.fields["reviewer"].required = False

    def chosen(self) -> Any:
        return next((u for u in self.candidates if u.pk == self.cleaned_data.get("reviewer")), None)

    def removed(self) -> Any:
        return next((u for u in self.assigned if u.pk == self.cleaned_data.get("remove")), None)


def _person(user: Any) -> str:
    name = user.get_full_name() or user.username
    return f"{name} ({user.organisation})" if user.organisation_id else name


# -- applications -----------------------------------------------------------------------------------
def budget_line_specs(objectives: Sequence[Any]) -> list[RowSpec]:
    def objective_field() -> forms.Field:
        return forms.TypedChoiceField(
            label=_("Objective"), coerce=int, choices=[("", _("None")), *_choices(objectives)]
        )

    def year_field() -> forms.Field:
        return forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    return [
        RowSpec("year", _("Year"), year_field, required=True),
        RowSpec("objective", _("Objective"), objective_field),
        RowSpec("amount", _("Amount (USD)"), lambda: _amount(_("Amount (USD)")), required=True),
        RowSpec("description", _("Description"), lambda: forms.CharField(max_length=300)),
    ]


class ApplicationForm(UswdsForm):
    title = forms.CharField(label=_("Project title"), max_length=300)
    narrative = forms.CharField(
        label=_("Narrative"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The problem, what you will do, for whom, with whom, and the results expected."),
    )
    version = version_field()

    def __init__(self, *args: Any, objectives: Sequence[Any], application: Any = None, **kwargs: Any) -> None:
        lines: list[dict[str, Any]] = []
        if application is not None:
            initial = kwargs.setdefault("initial", {})
            initial.update(
                {
                    "title": application.title,
                    "narrative": application.narrative,
                    "version": application.version,
                }
            )
            lines = [
                {
                    "year": li.year,
                    "objective": li.objective_id,
                    "amount": li.amount,
                    "description": li.description,
                }
                for li in application.budget_lines.all()
            ]
        super().__init__(*args, **kwargs)
        self.objective_list = list(objectives)
        self.add_rows("budget_lines", budget_line_specs(self.objective_list), lines)

    def budget_lines(self) -> list[dict[str, Any]]:
        by_pk = {o.pk: o for o in self.objective_list}
        return [
            {
                "year": r["year"],
                "amount": r["amount"],
                "objective": by_pk.get(r["objective"]) if r.get("objective") else None,
                "description": r.get("description") or "",
            }
            for r in self.row_values("budget_lines")
        ]


class DocumentForm(UswdsForm):
    title = forms.CharField(label=_("Title of the document"), max_length=300)
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, Word, Excel, OpenDocument or an image."), widget=forms.FileInput
    )


YES_NO = [("0", _("No, I have no conflict of interest")), ("1", _("Yes, I have a conflict of interest"))]


class ConflictForm(UswdsForm):
    has_conflict = forms.ChoiceField(
        label=_("Do you have a conflict of interest with this applicant?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text=_(
            "A personal, professional or financial interest in the applicant or its project. "
            "With a conflict, you do not score this application."
        ),
    )
    statement = forms.CharField(label=_("Statement"), required=False, widget=forms.Textarea)


class ScoreForm(UswdsForm):
    """A score from 0 to 100 and a comment per merit criterion."""

    def __init__(self, *args: Any, criteria: Sequence[Any], scores: dict[int, Any], **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        for criterion_id, score in scores.items():
            initial.setdefault(f"score_{criterion_id}", score.score)
            initial.setdefault(f"comment_{criterion_id}", score.comment)
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            score = _percentage(_("Score (0–100)"))
            score.help_text = _("Weight: %(weight)s %%") % {"weight": criterion.weight}
            comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)
            for name, form_field in ((f"score_{criterion.pk}", score), (f"comment_{criterion.pk}", comment)):
                style_widget(form_field)
                self.fields[name] = form_field

    def criterion_rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, dict[str, Any]]:
        return {
            c.pk: {
                "score": self.cleaned_data[f"score_{c.pk}"],
                "comment": self.cleaned_data.get(f"comment_{c.pk}") or "",
            }
            for c in self.criteria
        }


# -- awards -----------------------------------------------------------------------------------------
AWARD_FIELDS = [
    "reference",
    "title",
    "description",
    "instrument",
    "start_date",
    "end_date",
    "amount",
    "recipient_country",
    "status",
    "decided_on",
    "justification",
]


class Links(TypedDict):
    """What an award funds and reports on: objectives, activities and indicators of its compact."""

    objectives: list[Any]
    activities: list[Any]
    indicators: list[Any]


def sector_specs() -> list[RowSpec]:
    return [
        RowSpec(
            "code",
            _("DAC sector"),
            lambda: forms.ChoiceField(
                label=_("DAC sector"),
                choices=lambda: [("", _("Choose a sector")), *sector_choices(get_language() or "fr")],
            ),
            required=True,
        ),
        RowSpec("percentage", _("Percentage"), lambda: _percentage(_("Percentage")), required=True),
    ]


class AwardForm(UswdsForm):
    reference = forms.CharField(
        label=_("Award number"),
        max_length=60,
        help_text=_("For example SINLEC23CA0001. Letters, digits and - only; part of the IATI identifier."),
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    instrument = forms.ChoiceField(label=_("Instrument"), choices=Award.Instrument.choices)
    start_date = forms.DateField(label=_("Start"), widget=DateInput)
    end_date = forms.DateField(label=_("End"), widget=DateInput)
    amount = _amount(_("Amount (USD)"))
    recipient_country = forms.ChoiceField(
        label=_("Recipient country"), required=False, choices=country_choices
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Award.Status.choices, initial=Award.Status.IMPLEMENTATION
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    justification = forms.CharField(label=_("Justification of the decision"), widget=forms.Textarea)
    objectives = forms.TypedMultipleChoiceField(
        label=_("Objectives funded"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    activities = forms.TypedMultipleChoiceField(
        label=_("Activities funded"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    indicators = forms.TypedMultipleChoiceField(
        label=_("Indicators"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Indicators of the compact's results framework that the partner reports under this award."
        ),
    )
    version = version_field()

    def __init__(
        self,
        *args: Any,
        objectives: Sequence[Any] = (),
        activities: Sequence[Any] = (),
        indicators: Sequence[Any] = (),
        award: Award | None = None,
        sectors: Sequence[dict[str, Any]] = (),
        **kwargs: Any,
    ) -> None:
        initial = kwargs.setdefault("initial", {})
        if award is not None:
            for name in AWARD_FIELDS:
                initial[name] = getattr(award, name)
            initial["version"] = award.version
            initial["objectives"] = [o.pk for o in award.objectives.all()]
            initial["activities"] = [a.pk for a in award.activities.all()]
            initial["indicators"] = [i.pk for i in award.indicators.all()]
            sectors = [{"code": s.code, "percentage": s.percentage} for s in award.sectors.all()]
        super().__init__(*args, **kwargs)
        self.objective_list, self.activity_list = list(objectives), list(activities)
        self.indicator_list = list(indicators)
        self.fields["objectives"].choices = _choices(self.objective_list)  # type: ignore[attr-defined]
        self.fields["activities"].choices = _choices(  # type: ignore[attr-defined]
            self.activity_list, lambda a: str(a)[:160]
        )
        self.fields["indicators"].choices = _choices(  # type: ignore[attr-defined]
            self.indicator_list, lambda d: str(getattr(d, "indicator", d))[:160]
        )
        for name, items in (
            ("objectives", self.objective_list),
            ("activities", self.activity_list),
            ("indicators", self.indicator_list),
        ):
            if not items:
                del self.fields[name]
        self.add_rows("sectors", sector_specs(), list(sectors), extra=1, minimum=2)

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in AWARD_FIELDS}
        data["description"] = data["description"] or ""
        data["recipient_country"] = data["recipient_country"] or ""
        return data

    def relations(self) -> Links:
        return {
            "objectives": _pick(self.objective_list, self.cleaned_data.get("objectives") or []),
            "activities": _pick(self.activity_list, self.cleaned_data.get("activities") or []),
            "indicators": _pick(self.indicator_list, self.cleaned_data.get("indicators") or []),
        }

    def sectors(self) -> list[dict[str, Any]]:
        return [
            {"code": r["code"].strip(), "percentage": r["percentage"]} for r in self.row_values("sectors")
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in AWARD_FIELDS]

    def relation_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("objectives", "activities", "indicators") if n in self.fields]


class BudgetForm(UswdsForm):
    kind = forms.ChoiceField(label=_("Type"), choices=Budget.Kind.choices, initial=Budget.Kind.ORIGINAL)
    period_start = forms.DateField(label=_("Period start"), widget=DateInput)
    period_end = forms.DateField(
        label=_("Period end"), widget=DateInput, help_text=_("A budget covers a year at most.")
    )
    amount = _amount()
    currency = forms.CharField(
        label=_("Currency"), max_length=3, initial="USD", help_text=_("ISO 4217 code.")
    )
    rate_to_usd = _rate()
    value_date = forms.DateField(
        label=_("Value date"),
        required=False,
        widget=DateInput,
        help_text=_("The date of the exchange rate; by default the start of the period."),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["currency"] = (data["currency"] or "USD").upper()
        return data


class TransactionForm(UswdsForm):
    kind = forms.ChoiceField(label=_("Type"), choices=Transaction.Kind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput)
    amount = _amount()
    currency = forms.CharField(
        label=_("Currency"), max_length=3, initial="USD", help_text=_("ISO 4217 code.")
    )
    rate_to_usd = _rate()
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, kinds: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                c for c in Transaction.Kind.choices if c[0] in kinds
            ]
            if len(kinds) == 1:
                self.fields["kind"].initial = kinds[0]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["currency"] = (data["currency"] or "USD").upper()
        data["reference"] = data["reference"] or ""
        data["description"] = data["description"] or ""
        return data


# -- emergency assistance ---------------------------------------------------------------------------
class EmergencyRequestForm(UswdsForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    need = forms.CharField(
        label=_("Need"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The situation and the assistance needed (no names of victims)."),
    )
    amount_requested = _amount(_("Amount requested (USD)"))
    received_on = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=DateInput,
        help_text=_("By default today. The decision is due 10 days later."),
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["received_on"] = data.get("received_on") or timezone.localdate()
        return data


DECISIONS = [("approve", _("Approve and make an award")), ("refuse", _("Refuse"))]
EMERGENCY_AWARD_FIELDS = [
    "reference",
    "title",
    "instrument",
    "start_date",
    "end_date",
    "amount",
    "justification",
]


class EmergencyDecisionForm(UswdsForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note on the decision"), widget=forms.Textarea)
    reference = forms.CharField(label=_("Award number"), max_length=60, required=False)
    title = forms.CharField(label=_("Title of the award"), max_length=300, required=False)
    instrument = forms.ChoiceField(
        label=_("Instrument"), choices=Award.Instrument.choices, initial=Award.Instrument.GRANT
    )
    start_date = forms.DateField(label=_("Start"), required=False, widget=DateInput)
    end_date = forms.DateField(label=_("End"), required=False, widget=DateInput)
    amount = _amount(_("Amount (USD)"), required=False)
    justification = forms.CharField(label=_("Justification"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_rows("sectors", sector_specs(), extra=1, minimum=2)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "approve":
            for name in ("reference", "start_date", "end_date", "amount"):
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("Required to approve the request."))
        return cleaned

    def award_data(self) -> dict[str, Any] | None:
        if self.cleaned_data.get("decision") != "approve":
            return None
        data = {name: self.cleaned_data.get(name) for name in EMERGENCY_AWARD_FIELDS}
        data["justification"] = data["justification"] or self.cleaned_data["note"]
        data["title"] = data["title"] or None
        data["decided_on"] = timezone.localdate()
        data["sectors"] = [
            SectorInput(code=r["code"], percentage=r["percentage"]) for r in self.row_values("sectors")
        ]
        return {k: v for k, v in data.items() if v is not None}

    def award_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in EMERGENCY_AWARD_FIELDS]


def today() -> dt.date:
    return timezone.localdate()
