"""Health check, language selection and API error shape."""

import pytest
from django.core.exceptions import ValidationError
from django.db.utils import OperationalError

from pacte.core.api import django_errors_to_drf
from pacte.core.middleware import header_language


def test_healthz_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(rf, monkeypatch):
    from pacte.core import views

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Unreachable())
    response = views.healthz(rf.get("/healthz"))
    assert response.status_code == 503
    assert b'"unreachable"' in response.content


@pytest.mark.parametrize(
    ("header", "expected"),
    [("en-US,en;q=0.9", "en"), ("fr-CI", "fr"), ("de,en;q=0.5", "en"), ("de", None), ("", None)],
)
def test_header_language(header, expected):
    assert header_language(header) == expected


def test_pages_are_french_by_default_whatever_the_browser_says(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_language_cookie_switches_pages_to_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_api_follows_accept_language_over_the_profile(db):
    from rest_framework.test import APIClient

    from pacte.accounts.factories import UserFactory

    user = UserFactory(language="fr")
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/compacts/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
    assert client.get("/api/v1/compacts/")["Content-Language"] == "fr"


def test_service_errors_keep_their_field_names():
    error = django_errors_to_drf(ValidationError({"end_date": ["Too long."], "__all__": ["Whole."]}))
    assert error.detail == {"end_date": ["Too long."], "non_field_errors": ["Whole."]}
    plain = django_errors_to_drf(ValidationError("Refused."))
    assert plain.detail == {"non_field_errors": ["Refused."]}
