"""Admin site for results. Site administrators only (the admin site requires two-factor login).

Values are entered and reviewed in Pacte itself (the services check the workflow, the periods and
the categories); the admin shows submissions read-only so that nothing bypasses those rules.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from simple_history.admin import SimpleHistoryAdmin

from . import models, services


def _compact_ids(obj: Model) -> set[int]:
    """The compacts whose results pages show ``obj``. A category is shared: every compact."""
    if isinstance(obj, models.DisaggregationCategory):
        return set(models.ResultsState.objects.values_list("compact_id", flat=True))
    compact_id = getattr(obj, "compact_id", None)
    return {compact_id} if compact_id is not None else set()


class ResultsChangedMixin:
    """The admin site writes outside the services: every change it makes marks the compact's results
    as changed, so that the cached progress pages and API show it at once."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        for compact_id in _compact_ids(form.instance):
            services.results_changed(compact_id)

    def delete_model(self, request: Any, obj: Model) -> None:
        compact_ids = _compact_ids(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        for compact_id in compact_ids:
            services.results_changed(compact_id)

    def delete_queryset(self, request: Any, queryset: QuerySet[Any]) -> None:
        compact_ids: set[int] = set()
        for obj in queryset:
            compact_ids |= _compact_ids(obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for compact_id in compact_ids:
            services.results_changed(compact_id)


@admin.register(models.DisaggregationCategory)
class DisaggregationCategoryAdmin(ResultsChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("label_fr", "label_en", "dimension", "country", "parent", "order", "code")
    list_filter = ("dimension", "country")
    search_fields = ("label_fr", "label_en", "code")
    ordering = ("dimension", "country", "order", "code")


class TargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.Target
    extra = 0


@admin.register(models.IndicatorDefinition)
class IndicatorDefinitionAdmin(ResultsChangedMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "compact", "unit", "direction", "cumulation", "frequency", "baseline_value")
    list_filter = ("unit", "frequency", "cumulation", "direction")
    search_fields = ("indicator__name", "unit_label")
    raw_id_fields = ("indicator", "compact")
    filter_horizontal = ("categories", "reporters")
    readonly_fields = ("version",)
    inlines = [TargetInline]


class ValueInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.Value
    extra = 0
    can_delete = False
    readonly_fields = ("category", "value", "numerator", "denominator", "text")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EvidenceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.Evidence
    extra = 0
    can_delete = False
    readonly_fields = ("file", "description", "uploaded_by", "created_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.Submission)
class SubmissionAdmin(ResultsChangedMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("definition", "organisation", "period", "status", "locked", "is_demo", "updated_at")
    list_filter = ("status", "locked", "is_demo", "year")
    search_fields = ("definition__indicator__name", "organisation__name", "period")
    list_select_related = ("definition__indicator", "organisation")
    inlines = [ValueInline, EvidenceInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(models.NarrativeSection)
class NarrativeSectionAdmin(ResultsChangedMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("compact", "year", "kind", "objective", "organisation", "is_demo")
    list_filter = ("kind", "year", "is_demo")
    search_fields = ("text",)
    raw_id_fields = ("compact", "objective", "organisation", "author")
    readonly_fields = ("version",)


@admin.register(models.AnnualReport)
class AnnualReportAdmin(ResultsChangedMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("compact", "year", "reviewed_at")
    list_filter = ("year",)
    raw_id_fields = ("compact", "reviewed_at")
