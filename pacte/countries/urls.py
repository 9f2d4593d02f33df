"""/countries/: profiles, imports and the selection of candidate countries."""

from django.urls import include, path

app_name = "countries"

urlpatterns = [
    path("", include("pacte.countries.urls_profiles")),
    path("imports/", include("pacte.countries.urls_imports")),
    path("selection/", include("pacte.countries.urls_selection")),
]
