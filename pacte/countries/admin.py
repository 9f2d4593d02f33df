from django.contrib import admin

from . import models

admin.site.register(
    models.Country, list_display=("iso3", "name", "name_fr", "region"), search_fields=("iso3", "name")
)
admin.site.register(models.CountryAlias, list_display=("alias", "country"), search_fields=("alias",))
admin.site.register(models.Source, list_display=("code", "name", "publisher", "publication_rule"))
admin.site.register(models.Metric, list_display=("code", "name", "source", "kind", "higher_is_better"))
admin.site.register(models.ImportBatch, list_display=("source", "origin", "file_name", "rows", "created_at"))
admin.site.register(
    models.Observation,
    list_display=("metric", "country", "year", "edition", "value", "label", "published_on"),
    list_filter=("metric",),
    search_fields=("country__iso3", "country__name"),
    raw_id_fields=("country", "batch"),
)
admin.site.register(
    models.QualitativeRating,
    list_display=("country", "criterion", "score", "rated_on", "author"),
    raw_id_fields=("country",),
)


class ModelCriterionInline(admin.TabularInline):
    model = models.ModelCriterion
    extra = 0


@admin.register(models.SelectionModel)
class SelectionModelAdmin(admin.ModelAdmin):
    list_display = ("name", "missing_policy", "exclude_tier_1", "top_n")
    inlines = [ModelCriterionInline]


admin.site.register(models.ModelCriterion, list_display=("model", "metric", "qualitative", "weight"))
admin.site.register(models.SelectionRun, list_display=("title", "as_of", "model", "created_by", "created_at"))
