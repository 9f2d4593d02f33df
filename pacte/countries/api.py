"""API of the country evidence base and of the selection, under /api/v1/.

* Countries, observations, metrics and sources: read-only, for every signed-in user.
* Selection models, selection runs and qualitative ratings: selection staff only (donor-office users
  and site administrators). Anybody else gets 403 on every one of these endpoints, lists and single
  records alike (the whole resource is forbidden, not one record); anonymous users get 403.
* Writes go through the services (``selection.save_model``, ``selection.run_selection``,
  ``imports.record_rating``); their ValidationError answers 400 with field names
  (``pacte.core.api.exception_handler``).
* Lists take a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors
from .models import (
    Country,
    Metric,
    ModelCriterion,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    SelectionModel,
    SelectionRun,
    Source,
)
from .permissions import is_selection_staff

if TYPE_CHECKING:
    from pacte.accounts.models import User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORBIDDEN = OpenApiResponse(
    description=_("Selection staff only (donor office users and site administrators).")
)
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=_("Only figures public on this date (published_on on or before it)."),
)


class IsSelectionStaff(permissions.BasePermission):
    message = _("Only the TIP Office may see or change the selection of candidate countries.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_selection_staff(cast("User", request.user))


def _as_of(request: Request) -> dt.date | None:
    raw = request.query_params.get("as_of")
    if not raw:
        return None
    return cast(dt.date, serializers.DateField().run_validation(raw)) if _valid_date(raw) else _bad_date()


def _valid_date(raw: str) -> bool:
    try:
        dt.date.fromisoformat(raw)
    except ValueError:
        return False
    return True


def _bad_date() -> dt.date:
    raise serializers.ValidationError({"as_of": [_("Enter the “as of” date as YYYY-MM-DD.")]})


# -- serializers ---------------------------------------------------------------------------------------
class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = [
            "code",
            "name",
            "publisher",
            "url",
            "licence",
            "provenance",
            "publication_lag_years",
            "publication_month",
            "publication_day",
            "publication_rule",
        ]


class MetricSerializer(serializers.ModelSerializer):
    source: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Metric
        fields = [
            "code",
            "name",
            "name_fr",
            "display_name",
            "description",
            "source",
            "kind",
            "unit",
            "minimum",
            "maximum",
            "categories",
            "higher_is_better",
            "order",
        ]


class ObservationSerializer(serializers.ModelSerializer):
    metric: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    country: Any = serializers.SlugRelatedField(slug_field="iso3", read_only=True)

    class Meta:
        model = Observation
        fields = ["id", "metric", "country", "year", "edition", "value", "label", "published_on", "note"]


class CountrySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    metrics_with_data = serializers.IntegerField(read_only=True)
    tier_label = serializers.CharField(read_only=True, allow_null=True, help_text=_("Latest TIP tier."))
    tier_year = serializers.IntegerField(read_only=True, allow_null=True)
    cpi_value = serializers.FloatField(read_only=True, allow_null=True, help_text=_("Latest CPI score."))
    cpi_year = serializers.IntegerField(read_only=True, allow_null=True)
    income_label = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Latest World Bank income group.")
    )
    income_year = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Country
        fields = [
            "iso3",
            "iso2",
            "name",
            "name_fr",
            "display_name",
            "region",
            "metrics_with_data",
            "tier_label",
            "tier_year",
            "cpi_value",
            "cpi_year",
            "income_label",
            "income_year",
        ]


class LatestFigureSerializer(serializers.Serializer):
    metric = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    label: Any = serializers.CharField()
    edition = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    first_year = serializers.IntegerField(allow_null=True, help_text=_("First year of the metric's data."))
    last_year = serializers.IntegerField(allow_null=True, help_text=_("Last year of the metric's data."))
    missing_years = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("Years between the first and the last year with no figure for this country."),
    )


class CountryDetailSerializer(CountrySerializer):
    latest = serializers.SerializerMethodField()

    class Meta(CountrySerializer.Meta):
        fields = [*CountrySerializer.Meta.fields, "latest"]

    @extend_schema_field(LatestFigureSerializer(many=True))
    def get_latest(self, country: Country) -> list[dict[str, Any]]:
        """The latest figure of every metric (as of ``?as_of=`` when given), with the missing years."""
        as_of = self.context.get("as_of")
        profile = selectors.country_profile(self.context["request"].user, country.iso3, staff=False)
        _countries, rows = selectors.compare_countries([country.iso3], as_of)
        latest = {row.metric.code: row.cells[0] for row in rows}
        out = []
        for series in profile.series:
            obs = latest.get(series.metric.code)
            out.append(
                {
                    "metric": series.metric.code,
                    "year": obs.year if obs else None,
                    "value": obs.value if obs else None,
                    "label": obs.label if obs else "",
                    "edition": obs.edition if obs else "",
                    "published_on": obs.published_on if obs else None,
                    "first_year": series.first_year,
                    "last_year": series.last_year,
                    "missing_years": series.missing_years,
                }
            )
        return LatestFigureSerializer(out, many=True).data  # type: ignore[return-value]


class CriterionSerializer(serializers.Serializer):
    metric: Any = serializers.SlugRelatedField(
        slug_field="code", queryset=Metric.objects.all(), allow_null=True, required=False
    )
    # A plain string (its values are those of a rating's ``criterion``; checked by selection.save_model):
    # a second enum of the same choices would get a second name in the schema.
    qualitative = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=format_lazy(
            _("Instead of a metric, a qualitative criterion: {values}."),
            values=", ".join(QualitativeCriterion.values),
        ),
    )
    direction = serializers.ChoiceField(
        choices=ModelCriterion.Direction.choices,
        required=False,
        help_text=_("Default: the indicator's usual direction."),
    )
    normalisation = serializers.ChoiceField(
        choices=ModelCriterion.Normalisation.choices, default=ModelCriterion.Normalisation.MIN_MAX
    )
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, default=Decimal(1))


class SelectionModelSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)
    income_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=selectors.INCOME_GROUPS),
        required=False,
        help_text=_("World Bank income groups a country must be in; empty keeps all."),
    )

    class Meta:
        model = SelectionModel
        fields = [
            "id",
            "name",
            "description",
            "missing_policy",
            "max_age_years",
            "income_groups",
            "exclude_tier_1",
            "exclude_restricted",
            "top_n",
            "criteria",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_validators(self) -> list[Any]:
        return []  # the name's uniqueness and every rule: selection.save_model

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["name"].validators = []
        return fields

    def to_representation(self, instance: SelectionModel) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["criteria"] = [
            {
                "metric": c.metric.code if c.metric is not None else None,
                "qualitative": c.qualitative,
                "direction": c.direction,
                "normalisation": c.normalisation,
                "weight": str(c.weight),
            }
            for c in instance.criteria.all()
        ]
        return data


class SelectionRunListSerializer(serializers.ModelSerializer):
    model: Any = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    created_by: Any = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = SelectionRun
        fields = ["id", "title", "model", "as_of", "draws", "seed", "created_by", "created_at"]


class SelectionRunSerializer(SelectionRunListSerializer):
    class Meta(SelectionRunListSerializer.Meta):
        fields = [
            *SelectionRunListSerializer.Meta.fields,
            "model_snapshot",
            "inputs",
            "results",
            "sensitivity",
        ]


class RunRequestSerializer(serializers.Serializer):
    model: Any = serializers.PrimaryKeyRelatedField(queryset=SelectionModel.objects.all())
    as_of = serializers.DateField(help_text=_("Only figures public on this date are used."))
    draws = serializers.IntegerField(min_value=0, max_value=100_000, default=10_000)
    seed = serializers.IntegerField(min_value=0, default=2022)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class QualitativeRatingSerializer(serializers.ModelSerializer):
    country: Any = serializers.SlugRelatedField(slug_field="iso3", queryset=Country.objects.all())
    author: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = QualitativeRating
        fields = ["id", "country", "criterion", "score", "rated_on", "justification", "author", "created_at"]
        read_only_fields = ["created_at"]

    def get_validators(self) -> list[Any]:
        return []


# -- viewsets ------------------------------------------------------------------------------------------
class _UserMixin:
    @property
    def user(self) -> User:
        return cast("User", cast(Any, self).request.user)


@extend_schema_view(
    list=extend_schema(
        description=_(
            "Countries with the coverage of their data and their latest tier, CPI and income group."
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=_("Name or ISO code.")),
            OpenApiParameter("region", OpenApiTypes.STR, description=_("Region.")),
            OpenApiParameter(
                "income",
                OpenApiTypes.STR,
                enum=[code for code, _label in selectors.INCOME_GROUPS],
                description=_("Latest World Bank income group."),
            ),
            AS_OF,
        ],
    ),
    retrieve=extend_schema(
        description=_("A country with the latest figure of every metric and the years missing."),
        parameters=[AS_OF],
    ),
)
class CountryViewSet(_UserMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return CountryDetailSerializer if self.action == "retrieve" else CountrySerializer

    def get_queryset(self) -> QuerySet[Country]:
        params = self.request.query_params
        return selectors.countries_with_coverage(
            search=params.get("q", ""),
            region=params.get("region", ""),
            income_group=params.get("income", ""),
            as_of=_as_of(self.request),
        ).order_by("name", "pk")

    def get_object(self) -> Country:
        self.kwargs["iso3"] = self.kwargs["iso3"].upper()
        return cast(Country, super().get_object())

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "retrieve":
            context["as_of"] = _as_of(self.request)
        return context


@extend_schema_view(
    list=extend_schema(
        description=_("Figures, filtered by country, metric and “as of” date."),
        parameters=[
            OpenApiParameter("country", OpenApiTypes.STR, description=_("ISO 3166-1 alpha-3 code.")),
            OpenApiParameter("metric", OpenApiTypes.STR, description=_("Metric code, e.g. cpi_score.")),
            OpenApiParameter("year", OpenApiTypes.INT, description=_("Year the figure refers to.")),
            AS_OF,
        ],
    )
)
class ObservationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ObservationSerializer

    def get_queryset(self) -> QuerySet[Observation]:
        qs = Observation.objects.select_related("metric", "country").order_by(
            "country__iso3", "metric__order", "metric__code", "year", "published_on", "id"
        )
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("country"):
            qs = qs.filter(country__iso3=params["country"].upper())
        if params.get("metric"):
            qs = qs.filter(metric__code=params["metric"])
        if params.get("year"):
            year = serializers.IntegerField().run_validation(params["year"])
            qs = qs.filter(year=year)
        as_of = _as_of(self.request)
        if as_of is not None:
            qs = qs.filter(published_on__lte=as_of)
        return qs


@extend_schema_view(list=extend_schema(description=_("The indicators of the evidence base.")))
class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MetricSerializer
    lookup_field = "code"
    queryset = Metric.objects.select_related("source").order_by("order", "code")


@extend_schema_view(list=extend_schema(description=_("The data sources, with their publication rule.")))
class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SourceSerializer
    lookup_field = "code"
    queryset = Source.objects.order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(
        description=_("Selection models (selection staff only)."),
        responses={200: SelectionModelSerializer(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(responses={200: SelectionModelSerializer, 403: FORBIDDEN}),
    create=extend_schema(
        description=_("Create a selection model with its criteria (selection.save_model)."),
        responses={201: SelectionModelSerializer, 403: FORBIDDEN},
    ),
    update=extend_schema(responses={200: SelectionModelSerializer, 403: FORBIDDEN}),
    partial_update=extend_schema(
        description=_("Change a selection model; the criteria are replaced when given, kept otherwise."),
        responses={200: SelectionModelSerializer, 403: FORBIDDEN},
    ),
)
class SelectionModelViewSet(
    _UserMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SelectionModelSerializer
    permission_classes = [permissions.IsAuthenticated, IsSelectionStaff]

    def get_queryset(self) -> QuerySet[SelectionModel]:
        if getattr(self, "swagger_fake_view", False):
            return SelectionModel.objects.none()
        return selectors.visible_models(self.user).order_by("name", "pk")

    def _save(self, serializer: serializers.BaseSerializer, instance: SelectionModel) -> None:
        from . import selection

        data = dict(serializer.validated_data)
        criteria = data.pop("criteria", None)
        if criteria is None:  # partial update without criteria: keep them
            criteria = [
                {
                    "metric": c.metric,
                    "qualitative": c.qualitative,
                    "direction": c.direction,
                    "normalisation": c.normalisation,
                    "weight": c.weight,
                }
                for c in instance.criteria.all()
            ]
        criteria = [{"metric": None, "qualitative": "", **c} for c in criteria]
        saved = selection.save_model(user=self.user, instance=instance, data=data, criteria=criteria)
        serializer.instance = self.get_queryset().get(pk=saved.pk)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, SelectionModel())

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, cast(SelectionModel, serializer.instance))


@extend_schema_view(
    list=extend_schema(
        description=_("Saved selection runs (selection staff only)."),
        responses={200: SelectionRunListSerializer(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        description=_("A saved run: the model used, every input, the ranking and the sensitivity analysis."),
        responses={200: SelectionRunSerializer, 403: FORBIDDEN},
    ),
)
class SelectionRunViewSet(
    _UserMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [permissions.IsAuthenticated, IsSelectionStaff]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return SelectionRunListSerializer
        if self.action == "create":
            return RunRequestSerializer
        return SelectionRunSerializer

    def get_queryset(self) -> QuerySet[SelectionRun]:
        if getattr(self, "swagger_fake_view", False):
            return SelectionRun.objects.none()
        if self.action == "list":
            return selectors.visible_runs(self.user).order_by("-created_at", "-pk")
        return (
            SelectionRun.objects.select_related("model", "created_by")
            if is_selection_staff(self.user)
            else SelectionRun.objects.none()
        )

    @extend_schema(
        description=_("Run a selection model “as of” a date and save the run (selection.run_selection)."),
        request=RunRequestSerializer,
        responses={
            201: SelectionRunSerializer,
            400: OpenApiResponse(description=_("Invalid input.")),
            403: FORBIDDEN,
        },
    )
    def create(self, request: Request) -> Response:
        from . import selection

        serializer = RunRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = selection.run_selection(
            user=self.user,
            model=data["model"],
            as_of=data["as_of"],
            draws=data["draws"],
            seed=data["seed"],
            title=data["title"],
        )
        return Response(SelectionRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        description=_("The run as an XLSX file."),
        responses={(200, XLSX): OpenApiTypes.BINARY, 403: FORBIDDEN},
    )
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        from . import exports

        run = self.get_object()
        response = HttpResponse(exports.run_to_xlsx(run), content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="selection-run-{run.pk}-{run.as_of.isoformat()}.xlsx"'
        )
        return response


@extend_schema_view(
    list=extend_schema(
        description=_("Qualitative ratings (selection staff only)."),
        parameters=[
            OpenApiParameter("country", OpenApiTypes.STR, description=_("ISO 3166-1 alpha-3 code.")),
            OpenApiParameter(
                "criterion",
                OpenApiTypes.STR,
                enum=list(QualitativeCriterion.values),
                description=_("Criterion."),
            ),
        ],
        responses={200: QualitativeRatingSerializer(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(responses={200: QualitativeRatingSerializer, 403: FORBIDDEN}),
    create=extend_schema(
        description=_(
            "Record a dated rating with its justification; you are its author (imports.record_rating)."
        ),
        responses={201: QualitativeRatingSerializer, 403: FORBIDDEN},
    ),
)
class QualitativeRatingViewSet(
    _UserMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = QualitativeRatingSerializer
    permission_classes = [permissions.IsAuthenticated, IsSelectionStaff]

    def get_queryset(self) -> QuerySet[QualitativeRating]:
        if getattr(self, "swagger_fake_view", False):
            return QualitativeRating.objects.none()
        params = self.request.query_params if self.action == "list" else {}
        return selectors.ratings_for(
            self.user, country=params.get("country", ""), criterion=params.get("criterion", "")
        ).order_by("country__iso3", "criterion", "-rated_on", "-id")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        from . import imports

        data = dict(serializer.validated_data)
        serializer.instance = imports.record_rating(user=self.user, data=data)
