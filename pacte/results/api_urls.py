"""Routes of the results API under /api/v1/results/ (included by config/api_urls.py).

A simple router: the API root view is the compacts router's."""

from rest_framework.routers import SimpleRouter

from .api import views

app_name = "results-api"

router = SimpleRouter()
router.register("results/definitions", views.DefinitionViewSet, basename="definition")
router.register("results/indicators", views.IndicatorProgressViewSet, basename="indicator")
router.register("results/submissions", views.SubmissionViewSet, basename="submission")
router.register("results/progress", views.CompactProgressViewSet, basename="progress")

urlpatterns = router.urls
