"""/compacts/<pk>/results/: the web interface of results (views.py, views_xlsx.py, views_report.py)."""

from django.urls import path

from . import views, views_report, views_xlsx

app_name = "results"

urlpatterns = [
    # Progress (everyone who sees the compact)
    path("", views.progress, name="progress"),
    path("indicators/<int:definition_pk>/", views.indicator_detail, name="indicator"),
    path("indicators/<int:definition_pk>/chart.svg", views.indicator_chart, name="indicator_chart"),
    # Definitions and targets (monitoring committee, programme officers)
    path("definitions/", views.definitions, name="definitions"),
    path("definitions/<int:indicator_pk>/edit/", views.definition_edit, name="definition_edit"),
    path("definitions/<int:definition_pk>/targets/", views.targets_edit, name="targets_edit"),
    # Submissions (reporting organisations, reviewers)
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/new/<int:definition_pk>/", views.submission_create, name="submission_create"),
    path("submissions/<int:submission_pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:submission_pk>/edit/", views.submission_edit, name="submission_edit"),
    path(
        "submissions/<int:submission_pk>/<str:action>/",
        views.submission_transition,
        name="submission_transition",
    ),
    path(
        "submissions/<int:submission_pk>/evidence/<int:evidence_pk>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("periods/lock/", views.lock_period, name="lock_period"),
    # Excel template and upload
    path("template.xlsx", views_xlsx.template_download, name="template"),
    path("upload/", views_xlsx.upload, name="upload"),
    # Annual report
    path("reports/", views_report.report_list, name="reports"),
    path("reports/<int:year>/", views_report.report_detail, name="report"),
    path("reports/<int:year>/narrative/", views_report.narrative_edit, name="narrative_edit"),
    path("reports/<int:year>/meeting/", views_report.report_meeting, name="report_meeting"),
    path("reports/<int:year>/annual-report.<str:fmt>", views_report.report_download, name="report_download"),
]
