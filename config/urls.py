from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from pacte.core.views import healthz

admin.site.site_header = "Pacte"
admin.site.site_title = "Pacte"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="compacts:list", permanent=False), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("pacte.accounts.urls")),
    path("compacts/", include("pacte.compacts.urls")),
    path("compacts/<int:pk>/results/", include("pacte.results.urls")),
    path("countries/", include("pacte.countries.urls")),
    path("grants/", include("pacte.grants.urls")),
    path("api/v1/", include("config.api_urls")),
    # One login for the whole site, with lockout and two-factor login: the admin's own form is not used.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True, permanent=False),
        name="admin-login-redirect",
    ),
    path("admin/", admin.site.urls),
]
