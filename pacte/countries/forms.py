"""Forms of the country pages. They collect and type the input; the rules live in the services
(``selection.save_model``, ``selection.run_selection``), whose ValidationError the views show as field
errors with ``add_service_errors``."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from pacte.compacts.forms import DateInput

from .models import Metric, ModelCriterion, QualitativeCriterion, SelectionModel
from .selectors import INCOME_GROUPS

DEFAULT_DIRECTION = "default"


class SelectionModelForm(forms.ModelForm):
    income_groups = forms.MultipleChoiceField(
        label=_("Income groups kept"),
        choices=INCOME_GROUPS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("World Bank income groups a country must be in; none ticked keeps all."),
    )

    class Meta:
        model = SelectionModel
        fields = [
            "name",
            "description",
            "missing_policy",
            "max_age_years",
            "income_groups",
            "exclude_tier_1",
            "exclude_restricted",
            "top_n",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"class": "usa-input"}),
            "description": forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
            "missing_policy": forms.RadioSelect,
            "max_age_years": forms.NumberInput(attrs={"class": "usa-input usa-input--small", "min": 0}),
            "exclude_tier_1": forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
            "exclude_restricted": forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
            "top_n": forms.NumberInput(attrs={"class": "usa-input usa-input--small", "min": 1}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["missing_policy"].help_text = _(
            "Always shown with the ranking: a country without a figure is excluded, or gets an imputed "
            "value that is flagged."
        )
        for name in ("income_groups",):
            self.fields[name].widget.attrs["class"] = "usa-checkbox__input"
        self.fields["missing_policy"].widget.attrs["class"] = "usa-radio__input"

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def criterion_choices() -> list[tuple[Any, Any]]:
    metrics = Metric.objects.exclude(kind=Metric.Kind.CATEGORICAL).select_related("source")
    return [
        ("", _("Choose a criterion")),
        (
            _("Indicators"),
            [(f"metric:{m.code}", f"{m.display_name} ({m.source.name})") for m in metrics],
        ),
        (
            _("Qualitative criteria"),
            [(f"rating:{value}", label) for value, label in QualitativeCriterion.choices],
        ),
    ]


class CriterionForm(forms.Form):
    criterion = forms.ChoiceField(label=_("Criterion"), choices=(), required=False)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (DEFAULT_DIRECTION, _("The indicator's usual direction")),
            *ModelCriterion.Direction.choices,
        ],
        initial=DEFAULT_DIRECTION,
    )
    normalisation = forms.ChoiceField(label=_("Normalisation"), choices=ModelCriterion.Normalisation.choices)
    weight = forms.DecimalField(label=_("Weight"), max_digits=6, decimal_places=2, min_value=0, initial=1)

    def __init__(self, *args: Any, choices: list[tuple[Any, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["criterion"]).choices = choices or []
        for name in ("criterion", "direction", "normalisation"):
            self.fields[name].widget.attrs["class"] = "usa-select"
        self.fields["weight"].widget.attrs.update({"class": "usa-input usa-input--small", "step": "0.01"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("criterion")
        if not key:
            return data
        kind, code = key.split(":", 1)
        if kind == "metric":
            metric = Metric.objects.filter(code=code).first()
            if metric is None:
                self.add_error("criterion", _("This indicator does not exist any more."))
                return data
            data["metric"], data["qualitative"] = metric, ""
            if data.get("direction") == DEFAULT_DIRECTION:
                data["direction"] = (
                    ModelCriterion.Direction.HIGHER
                    if metric.higher_is_better
                    else ModelCriterion.Direction.LOWER
                )
        else:
            data["metric"], data["qualitative"] = None, code
            if data.get("direction") == DEFAULT_DIRECTION:
                data["direction"] = ModelCriterion.Direction.HIGHER  # 5 = strongest case for a compact
        return data

    def service_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("criterion") or data.get("DELETE"):
            return None
        return {
            "metric": data["metric"],
            "qualitative": data["qualitative"],
            "direction": data["direction"],
            "normalisation": data["normalisation"],
            "weight": data["weight"],
        }


class BaseCriterionFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.criterion_choices = criterion_choices()
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "choices": self.criterion_choices}

    def service_data(self) -> list[dict[str, Any]]:
        return [d for d in (f.service_data() for f in self.forms if f.cleaned_data) if d is not None]


CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=2, can_delete=True
)


def initial_criteria(model: SelectionModel) -> list[dict[str, Any]]:
    return [
        {
            "criterion": c.key,
            "direction": c.direction,
            "normalisation": c.normalisation,
            "weight": c.weight,
        }
        for c in model.criteria.all()
    ]


class RunForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "usa-input"})
    )
    as_of = forms.DateField(
        label=_("As of"),
        help_text=_("Only figures public on this date are used."),
        widget=DateInput(attrs={"class": "usa-input"}),
    )
    draws = forms.IntegerField(
        label=_("Sensitivity draws"),
        min_value=0,
        max_value=100_000,
        initial=10_000,
        widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        min_value=0,
        initial=2022,
        help_text=_("The same seed gives the same sensitivity analysis."),
        widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = dt.date.today()


def add_service_errors(
    form: forms.BaseForm, error: ValidationError, fallback: list[str] | None = None
) -> None:
    """Show a service's ValidationError on ``form``: on the field it names when the form has it; on the
    form (or in ``fallback``, e.g. the list shown above the criteria) otherwise."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            if fallback is not None:
                fallback.append(message)
            else:
                form.add_error(None, message)
        return
    for name, errors in error.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        if name in form.fields:
            form.add_error(name, messages)
        elif fallback is not None and name != NON_FIELD_ERRORS:
            fallback.extend(messages)
        else:
            form.add_error(None, messages)
