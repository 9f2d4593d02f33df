"""Two-factor login with django-otp: set-up with a QR code, verification, backup codes, removal."""

import datetime as dt
import re
from base64 import b32encode

import pytest
import segno
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts import services

from .conftest import english, mark_verified, password_login, totp_code, wrong_code

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/two-factor/setup/"
VERIFY_URL = "/accounts/two-factor/verify/"
REMOVE_URL = "/accounts/two-factor/remove/"
BACKUP_URL = "/accounts/two-factor/backup-codes/"
PROFILE_URL = "/accounts/profile/"


def unthrottle(device) -> None:  # type: ignore[no-untyped-def]
    """As if the back-off delay after earlier wrong codes had passed."""
    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(days=1)
    device.save()


def give_backup_codes(user, codes=("aaaabbbb", "ccccdddd")) -> StaticDevice:  # type: ignore[no-untyped-def]
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return device


# --- Set-up --------------------------------------------------------------------------------------------


def test_setup_page_shows_a_server_rendered_qr_code_and_the_secret(member):
    client = Client()
    client.force_login(member)
    response = client.get(SETUP_URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    device = TOTPDevice.objects.get(user=member)
    assert not device.confirmed
    html = response.content.decode()
    assert re.search(r"<svg [^>]*class=\"segno\"", html)
    assert "<script" not in html.split("<main", 1)[1]  # no JavaScript needed for the QR code
    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1)
    assert shown.replace(" ", "") == secret
    # The QR code encodes the otpauth:// URI of this device (issuer Pacte, shown in the app).
    assert device.config_url.startswith("otpauth://totp/Pacte%3Aawa?")
    expected = segno.make(device.config_url, error="m", micro=False).svg_inline(scale=5)
    assert re.search(r'class="qrline"[^>]* d="([^"]+)"', expected).group(1) in html


def test_setup_keeps_the_same_secret_in_a_session_but_not_across_sessions(member):
    first = Client()
    first.force_login(member)
    first.get(SETUP_URL)
    key = TOTPDevice.objects.get(user=member).key
    first.get(SETUP_URL)
    assert TOTPDevice.objects.get(user=member).key == key

    second = Client()
    second.force_login(member)
    second.get(SETUP_URL)
    devices = TOTPDevice.objects.filter(user=member)
    assert devices.count() == 1  # the stale unconfirmed device is gone
    assert devices.get().key != key


def test_setup_refuses_a_wrong_code(member):
    client = english(Client())
    client.force_login(member)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=member)
    response = client.post(SETUP_URL, {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert 'aria-describedby="id_code_helptext id_code_error"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # django-otp's throttling counted it
    assert not StaticDevice.objects.filter(user=member).exists()


def test_setup_refuses_a_backup_code_format(member):
    client = Client()
    client.force_login(member)
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, {"code": "abcdefgh"})
    assert response.status_code == 400


def test_setup_with_a_right_code_confirms_logs_in_the_device_and_shows_ten_backup_codes(member):
    client = Client()
    client.force_login(member)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=member)
    response = client.post(SETUP_URL, {"code": totp_code(device), "next": PROFILE_URL})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(shown) == 10
    stored = set(
        StaticToken.objects.filter(device__user=member, device__confirmed=True).values_list(
            "token", flat=True
        )
    )
    assert set(shown) == stored
    assert f'href="{PROFILE_URL}"' in response.content.decode()
    # Verified: pages answer without asking for a code.
    assert client.get(PROFILE_URL).status_code == 200


def test_setup_page_sends_users_who_already_have_a_device_to_their_profile(member, member_device):
    client = Client()
    client.force_login(member)
    mark_verified(client, member_device)
    response = client.get(SETUP_URL)
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    assert TOTPDevice.objects.filter(user=member).count() == 1


# --- Verification after the password ------------------------------------------------------------------


def test_user_without_device_logs_in_with_the_password_only(member):
    client = Client()
    response = password_login(client, "awa")
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert client.get(PROFILE_URL).status_code == 200


def test_user_with_a_device_must_enter_a_code_after_the_password(member, member_device):
    client = english(Client())
    response = password_login(client, "awa", next=PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY_URL}?next=%2Faccounts%2Fprofile%2F"
    # Nothing else answers before the code.
    blocked = client.get(PROFILE_URL)
    assert blocked.status_code == 302
    assert blocked["Location"].startswith(VERIFY_URL)

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()

    wrong = client.post(VERIFY_URL, {"code": wrong_code(member_device), "next": PROFILE_URL})
    assert wrong.status_code == 400
    assert "code" in wrong.context["form"].errors
    assert client.get(PROFILE_URL).status_code == 302

    unthrottle(member_device)
    right = client.post(VERIFY_URL, {"code": totp_code(member_device), "next": PROFILE_URL})
    assert right.status_code == 302
    assert right["Location"] == PROFILE_URL
    assert client.session[DEVICE_ID_SESSION_KEY] == member_device.persistent_id
    assert client.get(PROFILE_URL).status_code == 200


def test_verify_ignores_an_external_next(member, member_device):
    client = Client()
    password_login(client, "awa")
    response = client.post(VERIFY_URL, {"code": totp_code(member_device), "next": "//evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_codes_typed_with_spaces_are_accepted(member, member_device):
    client = Client()
    password_login(client, "awa")
    code = totp_code(member_device)
    response = client.post(VERIFY_URL, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_a_totp_code_cannot_be_replayed(member, member_device):
    code = totp_code(member_device)
    first = Client()
    password_login(first, "awa")
    assert first.post(VERIFY_URL, {"code": code}).status_code == 302

    second = Client()
    password_login(second, "awa")
    assert second.post(VERIFY_URL, {"code": code}).status_code == 400


def test_django_otp_throttling_refuses_even_the_right_code_after_repeated_failures(member, member_device):
    member_device.throttling_failure_count = 5
    member_device.throttling_failure_timestamp = timezone.now()  # 16 s back-off from now
    member_device.save()
    client = english(Client())
    password_login(client, "awa")
    response = client.post(VERIFY_URL, {"code": totp_code(member_device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session

    unthrottle(member_device)
    assert client.post(VERIFY_URL, {"code": totp_code(member_device)}).status_code == 302


def test_backup_codes_work_once(member, member_device):
    give_backup_codes(member, ["aaaabbbb", "ccccdddd"])
    client = english(Client())
    password_login(client, "awa")
    response = client.post(VERIFY_URL, {"code": "AAAA-BBBB", "next": PROFILE_URL}, follow=True)
    assert response.redirect_chain == [(PROFILE_URL, 302)]
    assert "You used a backup code; 1 left." in response.content.decode()
    left = StaticToken.objects.filter(device__user=member).values_list("token", flat=True)
    assert list(left) == ["ccccdddd"]
    client.post("/accounts/logout/")

    again = Client()
    password_login(again, "awa")
    assert again.post(VERIFY_URL, {"code": "aaaabbbb"}).status_code == 400
    assert again.get(PROFILE_URL).status_code == 302
    unthrottle(StaticDevice.objects.get(user=member))  # the wrong code started django-otp's back-off
    assert again.post(VERIFY_URL, {"code": "ccccdddd"}).status_code == 302
    assert not StaticToken.objects.filter(device__user=member).exists()


def test_verify_page_is_not_shown_to_users_who_need_no_code(member):
    client = Client()
    client.force_login(member)
    response = client.get(VERIFY_URL)
    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_verify_page_needs_a_password_login_first():
    response = Client().get(VERIFY_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Backup codes, removal -----------------------------------------------------------------------------


def test_new_backup_codes_need_an_app_code_and_replace_the_old_ones(member, member_device):
    give_backup_codes(member, ["aaaabbbb"])
    client = Client()
    client.force_login(member)
    mark_verified(client, member_device)
    refused = client.post(BACKUP_URL, {"backup-code": "aaaabbbb"})
    assert refused.status_code == 400
    response = client.post(BACKUP_URL, {"backup-code": totp_code(member_device)})
    assert response.status_code == 200
    codes = set(re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode()))
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=member).values_list("token", flat=True)) == codes
    assert "aaaabbbb" not in codes


def test_a_member_can_turn_two_factor_off_with_a_valid_code(member, member_device):
    give_backup_codes(member)
    client = Client()
    client.force_login(member)
    mark_verified(client, member_device)

    wrong = client.post(REMOVE_URL, {"remove-code": wrong_code(member_device)})
    assert wrong.status_code == 400
    assert "code" in wrong.context["remove_form"].errors
    assert TOTPDevice.objects.filter(user=member).exists()

    unthrottle(member_device)
    response = client.post(REMOVE_URL, {"remove-code": totp_code(member_device)})
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not StaticDevice.objects.filter(user=member).exists()
    # Next login: password only.
    fresh = Client()
    assert password_login(fresh, "awa")["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert fresh.get(PROFILE_URL).status_code == 200


def test_remove_answers_get_with_405(member, member_device):
    client = Client()
    client.force_login(member)
    mark_verified(client, member_device)
    assert client.get(REMOVE_URL).status_code == 405


def test_administrators_cannot_turn_two_factor_off(superuser, superuser_device):
    client = Client()
    client.force_login(superuser)
    mark_verified(client, superuser_device)
    response = client.post(REMOVE_URL, {"remove-code": totp_code(superuser_device)})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=superuser, confirmed=True).exists()
    profile = client.get(PROFILE_URL).content.decode()
    assert REMOVE_URL not in profile
    with pytest.raises(services.ValidationError):
        services.remove_two_factor(user=superuser, code=totp_code(superuser_device, steps_ahead=1))
    assert TOTPDevice.objects.filter(user=superuser, confirmed=True).exists()
