"""Serializers of the results API. Input serializers only check types and that ids exist; every
business rule (periods, units, categories, numerators, workflow, concurrency) is checked by the
services the viewsets call. Output serializers render the models and the dataclasses of
``pacte.results.selectors``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pacte.compacts import selectors as compact_selectors

from .. import models
from ..models import VALUE_DIGITS, VALUE_PLACES
from ..services import ValueInput


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, allow_null=True, **kwargs
    )


# -- definitions -----------------------------------------------------------------------------------------
class CategorySerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text=_("Label in the language of the request."))  # type: ignore[assignment]

    class Meta:
        model = models.DisaggregationCategory
        fields = ("id", "dimension", "code", "label", "label_fr", "label_en", "country", "parent")


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Target
        fields = ("year", "value", "note")


class DefinitionSerializer(serializers.ModelSerializer):
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    level = serializers.CharField(source="indicator.level", read_only=True)
    objective = serializers.IntegerField(source="indicator.objective_id", read_only=True)
    pillar = serializers.CharField(source="indicator.objective.pillar", read_only=True)
    categories = CategorySerializer(many=True, read_only=True)
    reporters = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    targets = TargetSerializer(many=True, read_only=True, help_text=_("Yearly targets."))

    class Meta:
        model = models.IndicatorDefinition
        fields = (
            "id",
            "compact",
            "indicator",
            "indicator_name",
            "level",
            "objective",
            "pillar",
            "unit",
            "unit_label",
            "numerator_label",
            "denominator_label",
            "numerator_may_exceed_denominator",
            "direction",
            "cumulation",
            "frequency",
            "baseline_value",
            "baseline_numerator",
            "baseline_denominator",
            "baseline_year",
            "baseline_source",
            "notes",
            "categories",
            "reporters",
            "targets",
            "version",
            "updated_at",
        )
        read_only_fields = fields


# -- progress (dataclasses of the selectors) -------------------------------------------------------------
class AggregateSerializer(serializers.Serializer):
    value = _decimal(read_only=True, help_text=_("The figure: count, percentage, 1/0 for a milestone."))
    numerator = _decimal(read_only=True)
    denominator = _decimal(read_only=True)
    observations = serializers.IntegerField(read_only=True, help_text=_("Approved values counted."))
    is_demo = serializers.BooleanField(read_only=True)


class ChangeSerializer(serializers.Serializer):
    percent = _decimal(
        read_only=True, help_text=_("Change from the baseline in %; null: n/a (baseline 0 or missing).")
    )
    absolute = _decimal(read_only=True, help_text=_("Current value minus the baseline."))


class YearFigureSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    target = _decimal(read_only=True)
    actual = AggregateSerializer(read_only=True)
    measured = _decimal(read_only=True, help_text=_("What is compared with the target."))
    variance = _decimal(read_only=True, help_text=_("Measured minus target."))
    assessment = serializers.ChoiceField(choices=["met", "not_met", "no_target", "no_data"], read_only=True)
    change = ChangeSerializer(read_only=True, allow_null=True)


class BaselineSerializer(serializers.Serializer):
    value = _decimal(read_only=True)
    numerator = _decimal(read_only=True)
    denominator = _decimal(read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]
    from_data = serializers.BooleanField(
        read_only=True, help_text=_("Taken from the approved values of the baseline year.")
    )


class FlagSerializer(serializers.Serializer):
    submission_id = serializers.IntegerField(read_only=True)
    period = serializers.CharField(read_only=True)
    organisation_id = serializers.IntegerField(read_only=True)
    organisation_name = serializers.CharField(read_only=True)
    dimension = serializers.CharField(read_only=True)
    dimension_label = serializers.CharField(read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    parent_label = serializers.CharField(read_only=True, allow_null=True)
    field = serializers.CharField(read_only=True)
    expected = _decimal(read_only=True)
    parts_sum = _decimal(read_only=True)
    difference = _decimal(read_only=True)


class IndicatorRowSerializer(serializers.Serializer):
    definition = serializers.IntegerField(source="definition.pk", read_only=True)
    indicator = serializers.IntegerField(source="indicator.pk", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    objective = serializers.IntegerField(source="objective.pk", read_only=True)
    pillar = serializers.CharField(source="objective.pillar", read_only=True)
    unit = serializers.CharField(source="definition.unit", read_only=True)
    direction = serializers.CharField(source="definition.direction", read_only=True)
    cumulation = serializers.CharField(source="definition.cumulation", read_only=True)
    frequency = serializers.CharField(source="definition.frequency", read_only=True)
    baseline = BaselineSerializer(read_only=True)
    years = YearFigureSerializer(many=True, read_only=True, help_text=_("Target and actual per year."))
    latest = YearFigureSerializer(read_only=True, allow_null=True, help_text=_("The last year with data."))
    change = ChangeSerializer(read_only=True, allow_null=True)
    flags = FlagSerializer(many=True, read_only=True, help_text=_("Parts that do not add up to the total."))
    has_data = serializers.BooleanField(read_only=True)
    has_targets = serializers.BooleanField(read_only=True)
    is_demo = serializers.BooleanField(read_only=True)


class PeriodFigureSerializer(serializers.Serializer):
    period = serializers.CharField(read_only=True)
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    year = serializers.IntegerField(read_only=True)
    aggregate = AggregateSerializer(read_only=True)


class PointSerializer(serializers.Serializer):
    submission_id = serializers.IntegerField(read_only=True)
    period = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True)
    value = _decimal(read_only=True)
    numerator = _decimal(read_only=True)
    denominator = _decimal(read_only=True)
    text = serializers.CharField(read_only=True)
    figure = _decimal(read_only=True)
    is_demo = serializers.BooleanField(read_only=True)


class OrganisationSeriesSerializer(serializers.Serializer):
    organisation_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    points = PointSerializer(many=True, read_only=True)


class CategoryFigureSerializer(serializers.Serializer):
    category_id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    aggregate = AggregateSerializer(read_only=True)


class DimensionBreakdownSerializer(serializers.Serializer):
    dimension = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    categories = CategoryFigureSerializer(many=True, read_only=True)


class IndicatorProgressSerializer(serializers.Serializer):
    row = IndicatorRowSerializer(read_only=True)
    targets = TargetSerializer(many=True, read_only=True)
    periods = PeriodFigureSerializer(
        many=True, read_only=True, help_text=_("Approved values per period, combined across organisations.")
    )
    organisations = OrganisationSeriesSerializer(many=True, read_only=True)
    breakdown_year = serializers.IntegerField(read_only=True, allow_null=True)
    breakdown = DimensionBreakdownSerializer(many=True, read_only=True)
    is_demo = serializers.BooleanField(read_only=True)


class SummarySerializer(serializers.Serializer):
    indicators = serializers.IntegerField(read_only=True)
    defined = serializers.IntegerField(read_only=True)
    with_target = serializers.IntegerField(read_only=True)
    with_data = serializers.IntegerField(read_only=True)
    met = serializers.IntegerField(read_only=True)
    not_met = serializers.IntegerField(read_only=True)


class IndicatorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ObjectiveProgressSerializer(serializers.Serializer):
    objective = serializers.IntegerField(source="objective.pk", read_only=True)
    number = serializers.IntegerField(source="objective.number", read_only=True)
    statement = serializers.CharField(source="objective.statement", read_only=True)
    summary = SummarySerializer(read_only=True)
    rows = IndicatorRowSerializer(many=True, read_only=True)
    undefined = IndicatorRefSerializer(
        many=True, read_only=True, help_text=_("Indicators without a definition yet.")
    )


class PillarProgressSerializer(serializers.Serializer):
    pillar = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    summary = SummarySerializer(read_only=True)
    objectives = ObjectiveProgressSerializer(many=True, read_only=True)


class GapSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    objective = serializers.SerializerMethodField()
    indicator = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.INT)
    def get_objective(self, gap: Any) -> int | None:
        return gap.objective.pk if gap.objective is not None else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_indicator(self, gap: Any) -> int | None:
        return gap.indicator.pk if gap.indicator is not None else None


class CompactProgressSerializer(serializers.Serializer):
    compact = serializers.IntegerField(source="compact.pk", read_only=True)
    years = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    year = serializers.IntegerField(read_only=True, help_text=_("The year of interest."))
    summary = SummarySerializer(read_only=True)
    pillars = PillarProgressSerializer(many=True, read_only=True)
    gaps = GapSerializer(many=True, read_only=True)
    is_demo = serializers.BooleanField(read_only=True, help_text=_("Demonstration data are counted."))


# -- submissions -----------------------------------------------------------------------------------------
class ValueSerializer(serializers.ModelSerializer):
    category_label = serializers.SerializerMethodField()

    class Meta:
        model = models.Value
        fields = ("category", "category_label", "value", "numerator", "denominator", "text")

    def get_category_label(self, value: models.Value) -> str:
        return value.category.label if value.category is not None else str(_("Total"))


class EvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Download address (permissions checked)."))

    class Meta:
        model = models.Evidence
        fields = ("id", "description", "url", "created_at")

    def get_url(self, evidence: models.Evidence) -> str:
        url = reverse(
            "results:evidence_download",
            kwargs={
                "pk": evidence.submission.compact_id,
                "submission_pk": evidence.submission_id,
                "evidence_pk": evidence.pk,
            },
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class SubmissionSerializer(serializers.ModelSerializer):
    indicator = serializers.IntegerField(source="definition.indicator_id", read_only=True)
    indicator_name = serializers.CharField(source="definition.indicator.name", read_only=True)
    unit = serializers.CharField(source="definition.unit", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    editable = serializers.BooleanField(source="is_editable", read_only=True)
    values = ValueSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = models.Submission
        fields = (
            "id",
            "compact",
            "definition",
            "indicator",
            "indicator_name",
            "unit",
            "organisation",
            "organisation_name",
            "period",
            "period_start",
            "period_end",
            "year",
            "status",
            "status_display",
            "locked",
            "editable",
            "comment",
            "review_comment",
            "values",
            "evidence",
            "created_by",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "is_demo",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ValueInputSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=models.DisaggregationCategory.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Disaggregation category; null or absent for the total."),
    )
    value = _decimal(
        required=False, help_text=_("Count, count behind a percentage change, or 1/0 milestone.")
    )
    numerator = _decimal(required=False, help_text=_("Percentage: numerator."))
    denominator = _decimal(required=False, help_text=_("Percentage: denominator."))
    text = serializers.CharField(required=False, allow_blank=True, help_text=_("Qualitative value."))

    def to_value_input(self, data: dict[str, Any]) -> ValueInput:
        return ValueInput(
            category=data.get("category"),
            value=data.get("value"),
            numerator=data.get("numerator"),
            denominator=data.get("denominator"),
            text=data.get("text", ""),
        )


@extend_schema_field(OpenApiTypes.INT)
class OrganisationField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        return compact_selectors.organisation_choices()


def _value_inputs(data: dict[str, Any]) -> list[ValueInput] | None:
    if "values" not in data:
        return None
    child = ValueInputSerializer()
    return [child.to_value_input(item) for item in data["values"]]


class SubmissionCreateSerializer(serializers.Serializer):
    definition = serializers.IntegerField(help_text=_("Indicator definition reported."))
    organisation = OrganisationField(
        required=False,
        allow_null=True,
        help_text=_(
            "Reporting organisation (programme officers and site administrators, on behalf of a reporter); "
            "default: yours."
        ),
    )
    period = serializers.CharField(max_length=10, help_text=_("2024, 2024Q1 or FY2025."))
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    values = ValueInputSerializer(many=True, help_text=_("The total (no category) and disaggregated parts."))

    def value_inputs(self) -> list[ValueInput]:
        return _value_inputs(self.validated_data) or []


class SubmissionUpdateSerializer(serializers.Serializer):
    # Fields left out keep their stored value (PUT and PATCH alike); ``version`` is always required.
    period = serializers.CharField(max_length=10, required=False, help_text=_("2024, 2024Q1 or FY2025."))
    comment = serializers.CharField(required=False, allow_blank=True)
    values = ValueInputSerializer(
        many=True,
        required=False,
        help_text=_("The total (no category) and disaggregated parts; they replace the stored ones."),
    )
    version = serializers.IntegerField(
        min_value=0, help_text=_("The version you read; refused (400) when someone saved since.")
    )

    def value_inputs(self) -> list[ValueInput] | None:
        return _value_inputs(self.validated_data)


class WorkflowSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Reviewer's comments (required to return or reopen)."),
    )
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text=_("The version you read (optional).")
    )
