"""django-axes: five failed logins for one user name lock it for 15 minutes (settings.AXES_*)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client

from pacte.accounts.factories import UserFactory

from .conftest import english, password_login

pytestmark = pytest.mark.django_db

WRONG = "definitely-not-it"


def fail(client: Client, username: str, times: int) -> list[int]:
    return [password_login(client, username, WRONG).status_code for _ in range(times)]


def lock(username: str) -> None:
    statuses = fail(Client(), username, settings.AXES_FAILURE_LIMIT)
    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def move_attempts_back(username: str, delta: dt.timedelta) -> None:
    for attempt in AccessAttempt.objects.filter(username=username):
        attempt.attempt_time -= delta
        attempt.save(update_fields=["attempt_time"])


def test_settings_are_five_failures_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_fifth_failure_locks_and_the_right_password_is_then_refused(member):
    lock("awa")
    client = english(Client())
    response = password_login(client, "awa")  # 6th attempt, right password
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    html = response.content.decode()
    assert "Account temporarily locked" in html
    assert "Try again in 15 minutes." in html
    assert "axes_reset_username awa" in html
    assert '<html lang="en">' in html


def test_locked_page_is_translated_french_by_default(member):
    lock("awa")
    response = password_login(Client(), "awa")
    assert response.status_code == 429
    assert '<html lang="fr">' in response.content.decode()
    assert response["Content-Language"] == "fr"


def test_login_works_again_after_the_cool_off(member):
    lock("awa")
    move_attempts_back("awa", settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
    client = Client()
    response = password_login(client, "awa")
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == member.pk


def test_still_locked_just_before_the_cool_off_ends(member):
    lock("awa")
    move_attempts_back("awa", settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
    assert password_login(Client(), "awa").status_code == 429


def test_a_new_attempt_during_the_lock_starts_the_wait_again(member):
    """What the locked-out page tells the user."""
    lock("awa")
    move_attempts_back("awa", dt.timedelta(minutes=10))
    assert password_login(Client(), "awa").status_code == 429
    move_attempts_back("awa", dt.timedelta(minutes=10))  # 20 minutes after the lock, 10 after the last try
    assert password_login(Client(), "awa").status_code == 429


def test_an_administrator_can_unlock_at_once(member):
    lock("awa")
    assert reset(username="awa") >= 1
    client = Client()
    assert password_login(client, "awa").status_code == 302
    assert SESSION_KEY in client.session


def test_the_lock_is_per_user_name_not_per_address(member):
    UserFactory(username="colleague")
    lock("awa")
    client = Client()  # same address (127.0.0.1) as the failed attempts
    assert password_login(client, "colleague").status_code == 302


def test_a_successful_login_resets_the_count(member):
    client = Client()
    assert fail(client, "awa", settings.AXES_FAILURE_LIMIT - 1) == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert password_login(client, "awa").status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, "awa", settings.AXES_FAILURE_LIMIT - 1) == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert password_login(client, "awa").status_code == 302


def test_unknown_user_names_lock_too_so_that_they_cannot_be_told_apart():
    lock("nobody")
    assert password_login(Client(), "nobody").status_code == 429
