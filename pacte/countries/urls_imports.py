"""/countries/imports/: imports of data, figures entered by hand, qualitative ratings (selection staff)."""

from django.urls import path

from . import views_imports

urlpatterns = [
    path("", views_imports.import_list, name="import_list"),
    path("upload/", views_imports.import_upload, name="import_upload"),
    path("upload/<str:token>/", views_imports.import_preview, name="import_preview"),
    path("figures/add/", views_imports.observation_add, name="observation_add"),
    path("ratings/add/", views_imports.rating_add, name="rating_add"),
]
