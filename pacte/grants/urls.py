"""/grants/: the web interface of funding (views.py and views_*.py)."""

from django.urls import path

from . import views, views_applications, views_awards, views_emergency, views_opportunities

app_name = "grants"

urlpatterns = [
    # Portfolio and exports
    path("", views.portfolio, name="portfolio"),
    path("compacts/<int:pk>/", views.compact_portfolio, name="compact_portfolio"),
    path("export/iati.xml", views.iati_export, name="iati_export"),
    path("export/portfolio.xlsx", views.xlsx_export, name="xlsx_export"),
    # Funding opportunities
    path("opportunities/", views_opportunities.opportunity_list, name="opportunities"),
    path("opportunities/new/", views_opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", views_opportunities.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", views_opportunities.opportunity_edit, name="opportunity_edit"),
    *[
        path(
            f"opportunities/<int:pk>/{action}/",
            views_opportunities.opportunity_action,
            {"action": action},
            name=f"opportunity_{action}",
        )
        for action in views_opportunities.ACTIONS
    ],
    path(
        "opportunities/<int:pk>/reviewers/",
        views_opportunities.opportunity_reviewers,
        name="opportunity_reviewers",
    ),
    path("opportunities/<int:pk>/apply/", views_applications.application_create, name="apply"),
    path("opportunities/<int:pk>/ranking/", views_opportunities.ranking, name="ranking"),
    # Applications
    path("applications/", views_applications.application_list, name="applications"),
    path("applications/<int:pk>/", views_applications.application_detail, name="application"),
    path("applications/<int:pk>/edit/", views_applications.application_edit, name="application_edit"),
    path("applications/<int:pk>/submit/", views_applications.application_submit, name="application_submit"),
    path(
        "applications/<int:pk>/withdraw/",
        views_applications.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/documents/",
        views_applications.application_documents,
        name="application_documents",
    ),
    path(
        "applications/<int:pk>/documents/<int:document_pk>/",
        views_applications.document_download,
        name="application_document",
    ),
    path("applications/<int:pk>/review/", views_applications.application_review, name="application_review"),
    path("applications/<int:pk>/refuse/", views_applications.application_refuse, name="application_refuse"),
    path("applications/<int:pk>/award/", views_awards.application_award, name="application_award"),
    # Awards, budgets and transactions
    path("awards/", views_awards.award_list, name="awards"),
    path("awards/<int:pk>/", views_awards.award_detail, name="award"),
    path("awards/<int:pk>/edit/", views_awards.award_edit, name="award_edit"),
    path("awards/<int:pk>/budgets/", views_awards.budget_add, name="award_budgets"),
    path(
        "awards/<int:pk>/budgets/<int:budget_pk>/delete/",
        views_awards.budget_delete,
        name="award_budget_delete",
    ),
    path("awards/<int:pk>/transactions/", views_awards.transaction_add, name="award_transactions"),
    # Emergency victim assistance
    path("emergency/", views_emergency.emergency_list, name="emergency_list"),
    path("emergency/new/", views_emergency.emergency_create, name="emergency_create"),
    path("emergency/<int:pk>/", views_emergency.emergency_detail, name="emergency"),
    path("emergency/<int:pk>/decide/", views_emergency.emergency_decide, name="emergency_decide"),
]
