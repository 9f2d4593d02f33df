"""/countries/selection/: selection models and runs (selection staff only)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.model_list, name="model_list"),
    path("models/new/", views.model_create, name="model_create"),
    path("models/<int:pk>/", views.model_edit, name="model_edit"),
    path("models/<int:pk>/run/", views.model_run, name="model_run"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/xlsx/", views.run_xlsx, name="run_xlsx"),
    path("runs/<int:pk>/memo/", views.run_memo, name="run_memo"),
]
