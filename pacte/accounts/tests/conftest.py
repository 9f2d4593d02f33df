"""Fixtures and helpers of the account tests: users with and without two-factor devices, real TOTP codes."""

import time

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts.factories import TEST_PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"


def totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows now (or ``steps_ahead`` periods later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that the device accepts in none of the periods of its tolerance window."""
    valid = {totp_code(device, steps) for steps in range(-device.tolerance - 1, device.tolerance + 2)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in valid)


def password_login(client: Client, username: str, password: str = TEST_PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def mark_verified(client: Client, device) -> None:  # type: ignore[no-untyped-def]
    """Put the session in the state django_otp.login() leaves it in (second factor passed)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def english(client: Client) -> Client:
    """Show pages in English (French is the default), so that tests can read the messages."""
    client.cookies["pacte_language"] = "en"
    return client


@pytest.fixture
def member(db):  # type: ignore[no-untyped-def]
    """An ordinary user of a partner organisation, without two-factor login."""
    return UserFactory(username="awa", first_name="Awa", last_name="Koné", email="awa@example.org")


@pytest.fixture
def superuser(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="root", is_superuser=True, is_staff=True, organisation=None, email="root@example.org"
    )


@pytest.fixture
def member_device(member):  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=member, name="phone", confirmed=True)


@pytest.fixture
def superuser_device(superuser):  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
