"""Login, logout, profile, password change and reset, session expiry."""

import datetime as dt
import re
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pacte.accounts.factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from pacte.accounts.middleware import SESSION_REFRESHED_KEY

from .conftest import LOGIN_URL, english, password_login

pytestmark = pytest.mark.django_db

PROFILE_URL = "/accounts/profile/"
NEW_PASSWORD = "une-nouvelle-phrase-secrete-2025"


def is_logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- Login ---------------------------------------------------------------------------------------------


def test_login_page_has_the_fields_the_browser_tests_use_and_says_what_pacte_is():
    response = Client().get(LOGIN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_username"' in html
    assert 'id="id_password"' in html
    assert re.search(r'<button type="submit"[^>]*>', html)
    assert "Pacte" in html
    assert "(CPC)" in html  # the sentence on what Pacte is, in French: « … (CPC) … »
    assert 'class="usa-form"' in html
    assert '<html lang="fr">' in html  # French is the default


def test_login_with_the_right_password_lands_on_the_default_page(member):
    client = Client()
    response = password_login(client, "awa")
    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert int(client.session[SESSION_KEY]) == member.pk


def test_login_follows_a_local_next_but_not_an_external_one(member):
    client = Client()
    response = password_login(client, "awa", next=PROFILE_URL)
    assert response["Location"] == PROFILE_URL

    other = Client()
    response = password_login(other, "awa", next="https://evil.example/steal")
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_wrong_password_answers_400_with_a_translated_message(member):
    client = english(Client())
    response = password_login(client, "awa", "not-the-password")
    assert response.status_code == 400
    assert not is_logged_in(client)
    form = response.context["form"]
    assert form.has_error(NON_FIELD_ERRORS, "invalid_login")
    assert "The user name or password is incorrect." in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_unknown_user_gets_the_same_message_as_a_wrong_password(member):
    response = password_login(Client(), "nobody-here", "whatever-password")
    assert response.status_code == 400
    assert response.context["form"].has_error(NON_FIELD_ERRORS, "invalid_login")


def test_empty_fields_are_field_errors_described_for_screen_readers():
    response = Client().post(LOGIN_URL, {"username": "", "password": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-describedby="id_username_error"' in html
    assert 'id="id_username_error"' in html
    assert "usa-error-message" in html


def test_inactive_user_cannot_log_in():
    UserFactory(username="gone", is_active=False)
    client = Client()
    response = password_login(client, "gone")
    assert response.status_code == 400
    assert not is_logged_in(client)


# --- Logout --------------------------------------------------------------------------------------------


def test_logout_refuses_get(member):
    client = Client()
    client.force_login(member)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert is_logged_in(client)


def test_logout_by_post_ends_the_session_and_says_so(member):
    client = english(Client())
    client.force_login(member)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == resolve_url("accounts:login")
    assert not is_logged_in(client)
    page = client.get(response["Location"])
    assert "You have been logged out." in page.content.decode()
    assert client.get(PROFILE_URL).status_code == 302


# --- Profile -------------------------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login_from_the_profile():
    response = Client().get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_profile_shows_the_user_and_links_to_password_and_two_factor(member):
    client = Client()
    client.force_login(member)
    response = client.get(PROFILE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert str(member.organisation) in html
    assert "/accounts/password/change/" in html
    assert "/accounts/two-factor/setup/" in html
    assert 'name="language"' in html
    assert ">Français</option>" in html and ">English</option>" in html  # each language in its own name


def test_saving_english_switches_language_at_once(member):
    client = Client()
    client.force_login(member)
    data = {
        "first_name": "Awa",
        "last_name": "Koné Traoré",
        "job_title": "Analyste",
        "phone": "",
        "language": "en",
    }
    response = client.post(PROFILE_URL, data)
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["path"] == settings.LANGUAGE_COOKIE_PATH
    member.refresh_from_db()
    assert (member.language, member.last_name, member.job_title) == ("en", "Koné Traoré", "Analyste")
    page = client.get(PROFILE_URL)
    assert '<html lang="en">' in page.content.decode()
    assert "Your profile has been saved." in page.content.decode()


def test_profile_refuses_an_unknown_language_and_saves_nothing(member):
    client = Client()
    client.force_login(member)
    data = {"first_name": "Changed", "last_name": "Koné", "job_title": "", "phone": "", "language": "de"}
    response = client.post(PROFILE_URL, data)
    assert response.status_code == 400
    assert "language" in response.context["form"].errors
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    member.refresh_from_db()
    assert (member.first_name, member.language) == ("Awa", "fr")


def test_users_cannot_move_themselves_to_another_organisation(member):
    """The organisation decides what a user sees: it is not editable from the profile."""
    original = member.organisation
    other = OrganisationFactory(name="Another organisation")
    client = Client()
    client.force_login(member)
    data = {
        "first_name": "Awa",
        "last_name": "Koné",
        "job_title": "",
        "phone": "",
        "language": "fr",
        "organisation": other.pk,
        "email": "attacker@example.org",
        "is_superuser": "on",
    }
    assert client.post(PROFILE_URL, data).status_code == 302
    member.refresh_from_db()
    assert member.organisation == original
    assert member.email == "awa@example.org"
    assert not member.is_superuser


# --- Password change -----------------------------------------------------------------------------------


def test_password_change_needs_the_old_password(member):
    client = Client()
    client.force_login(member)
    data = {
        "old_password": "wrong-old-password",
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    response = client.post("/accounts/password/change/", data)
    assert response.status_code == 400
    assert "old_password" in response.context["form"].errors
    member.refresh_from_db()
    assert member.check_password(TEST_PASSWORD)


def test_password_change_keeps_the_session_and_changes_the_password(member):
    client = Client()
    client.force_login(member)
    data = {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post("/accounts/password/change/", data)
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert client.get(PROFILE_URL).status_code == 200


def test_password_change_applies_the_password_rules(member):
    client = Client()
    client.force_login(member)
    data = {"old_password": TEST_PASSWORD, "new_password1": "short", "new_password2": "short"}
    response = client.post("/accounts/password/change/", data)
    assert response.status_code == 400
    assert "new_password2" in response.context["form"].errors


# --- Password reset ------------------------------------------------------------------------------------


def test_password_reset_full_flow(member):
    client = english(Client())
    response = client.post("/accounts/password/reset/", {"email": "AWA@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert client.get(response["Location"]).status_code == 200

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["awa@example.org"]
    assert "Pacte" in message.subject
    assert "\n" not in message.subject
    assert "awa" in message.body  # the user name is reminded
    link = re.search(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1))
    assert response.status_code == 302  # Django moves the token out of the URL into the session
    form_url = response["Location"]
    response = client.get(form_url)
    assert response.status_code == 200
    assert response.context["validlink"]

    mismatch = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/complete/"
    assert client.get(response["Location"]).status_code == 200

    assert password_login(Client(), "awa", TEST_PASSWORD).status_code == 400
    assert password_login(Client(), "awa", NEW_PASSWORD).status_code == 302

    # The link works once.
    reused = client.get(link.group(1), follow=True)
    assert reused.context["validlink"] is False


def test_password_reset_does_not_reveal_whether_an_address_exists(member):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_password_reset_refuses_a_malformed_address():
    response = Client().post("/accounts/password/reset/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


# --- Session expiry ------------------------------------------------------------------------------------


def _session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_session_lasts_two_hours_of_inactivity_and_ends_with_the_browser(member):
    client = Client()
    response = password_login(client, "awa")
    # No Max-Age/Expires: the cookie goes when the browser closes.
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"]
    # On the server the session expires SESSION_COOKIE_AGE (2 h) after the last request.
    expiry = _session_row(client).expire_date
    expected = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert abs((expiry - expected).total_seconds()) < 60


def _expire_in(client: Client, delta: dt.timedelta, refreshed_seconds_ago: int | None = None) -> None:
    """Move the stored expiry of the client's session (and, optionally, when it was last written)."""
    if refreshed_seconds_ago is not None:
        session = client.session
        session[SESSION_REFRESHED_KEY] = int(time.time()) - refreshed_seconds_ago
        session.save()
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=timezone.now() + delta)


def test_the_first_request_of_a_session_pushes_the_expiry_back(member):
    client = Client()
    client.force_login(member)
    _expire_in(client, dt.timedelta(minutes=5))
    assert client.get(PROFILE_URL).status_code == 200
    remaining = _session_row(client).expire_date - timezone.now()
    assert remaining > dt.timedelta(hours=1, minutes=59)


def test_requests_push_the_expiry_back_once_a_minute_not_on_every_request(member):
    client = Client()
    client.force_login(member)
    assert client.get(PROFILE_URL).status_code == 200  # the session was written: its expiry is 2 h away
    assert settings.SESSION_REFRESH_INTERVAL == 60

    # Written less than a minute ago: a request reads the session but does not write it.
    _expire_in(client, dt.timedelta(minutes=5), refreshed_seconds_ago=30)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PROFILE_URL).status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    remaining = _session_row(client).expire_date - timezone.now()
    assert dt.timedelta(minutes=4) < remaining <= dt.timedelta(minutes=5)

    # Written a minute ago or more: the next request pushes the expiry back to 2 h from now.
    _expire_in(client, dt.timedelta(minutes=5), refreshed_seconds_ago=60)
    assert client.get(PROFILE_URL).status_code == 200
    remaining = _session_row(client).expire_date - timezone.now()
    assert remaining > dt.timedelta(hours=1, minutes=59)


def test_a_session_ends_two_hours_after_the_last_write_even_with_requests_in_between(member):
    """The idle rule holds to within the refresh interval: requests that did not write the session
    (less than a minute after a write) do not keep it alive past two hours after that write."""
    client = Client()
    client.force_login(member)
    assert client.get(PROFILE_URL).status_code == 200
    _expire_in(client, -dt.timedelta(seconds=1), refreshed_seconds_ago=30)
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_a_session_past_its_age_is_no_longer_authenticated(member):
    client = Client()
    password_login(client, "awa")
    assert client.get(PROFILE_URL).status_code == 200
    row = _session_row(client)
    row.expire_date = timezone.now() - dt.timedelta(seconds=1)
    row.save()
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
