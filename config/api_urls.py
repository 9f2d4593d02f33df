"""/api/v1/: one router for every domain's endpoints, and the OpenAPI schema with its documentation."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("pacte.compacts.api_urls")),
    path("", include("pacte.results.api_urls")),
    path("", include("pacte.grants.api_urls")),
    path("", include("pacte.countries.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
