"""Routes of the countries API under /api/v1/ (namespace "countries-api")."""

from rest_framework.routers import SimpleRouter

from . import api

app_name = "countries-api"

router = SimpleRouter()
router.register("countries", api.CountryViewSet, basename="country")
router.register("observations", api.ObservationViewSet, basename="observation")
router.register("metrics", api.MetricViewSet, basename="metric")
router.register("sources", api.SourceViewSet, basename="source")
router.register("selection-models", api.SelectionModelViewSet, basename="selection-model")
router.register("selection-runs", api.SelectionRunViewSet, basename="selection-run")
router.register("qualitative-ratings", api.QualitativeRatingViewSet, basename="qualitative-rating")

urlpatterns = router.urls
