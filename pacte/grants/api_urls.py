"""Routes of the grants API under /api/v1/grants/ (included by config/api_urls.py).

A simple router (the API root view is the compacts router's), plus the portfolio figures."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import views

app_name = "grants-api"

router = SimpleRouter()
router.register("grants/opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("grants/applications", views.ApplicationViewSet, basename="application")
router.register("grants/awards", views.AwardViewSet, basename="award")
router.register("grants/emergency-requests", views.EmergencyRequestViewSet, basename="emergency-request")

urlpatterns = [
    *router.urls,
    path("grants/portfolio/", views.PortfolioView.as_view(), name="portfolio"),
]
