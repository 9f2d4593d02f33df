"""/countries/: the list of countries, a country's profile, countries side by side.

The profile's code is exactly three letters, so that it never hides /countries/imports/ or
/countries/selection/ (included after these patterns)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.country_list, name="list"),
    path("compare/", views.compare, name="compare"),
    re_path(r"^(?P<iso3>[A-Za-z]{3})/$", views.country_detail, name="detail"),
]
