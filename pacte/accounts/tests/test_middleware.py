"""AdminTwoFactorMiddleware: administrators must set up two-factor login; devices must be used."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts import middleware
from pacte.accounts.factories import UserFactory
from pacte.accounts.middleware import DEVICE_CHECK_SESSION_KEY, needs_second_factor

from .conftest import mark_verified, password_login, totp_code

pytestmark = pytest.mark.django_db

SETUP_URL = "/accounts/two-factor/setup/"
VERIFY_URL = "/accounts/two-factor/verify/"
PROFILE_URL = "/accounts/profile/"
API_URL = "/api/v1/compacts/"
REMOVE_URL = "/accounts/two-factor/remove/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- Which step is due ---------------------------------------------------------------------------------


def test_needs_second_factor_by_kind_of_user(member, superuser):
    assert needs_second_factor(AnonymousUser()) is None
    assert needs_second_factor(member) is None  # no device, not an administrator
    assert needs_second_factor(superuser) == "setup"
    staff = UserFactory(username="staff", is_staff=True)
    assert needs_second_factor(staff) == "setup"
    TOTPDevice.objects.create(user=member, name="phone", confirmed=False)
    assert needs_second_factor(member) is None  # an unconfirmed device does not count
    TOTPDevice.objects.create(user=member, name="phone", confirmed=True)
    assert needs_second_factor(member) == "verify"


# --- Administrators without a device -------------------------------------------------------------------


@pytest.mark.parametrize("path", [PROFILE_URL, "/admin/", "/admin/accounts/user/", "/compacts/", "/"])
def test_administrator_without_device_is_sent_to_setup_from_any_page(superuser, path):
    response = logged_in(superuser).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP_URL}?next=")


def test_staff_member_without_device_is_sent_to_setup_too():
    staff = UserFactory(username="staff", is_staff=True)
    response = logged_in(staff).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP_URL)


@pytest.mark.parametrize("method", ["get", "post"])
def test_api_answers_403_json_while_unverified(superuser, method):
    response = getattr(logged_in(superuser), method)(API_URL)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_api_answers_403_json_to_a_user_whose_code_is_due(member, member_device):
    response = logged_in(member).get("/api/v1/schema/")
    assert response.status_code == 403
    assert "detail" in response.json()


def test_setup_page_logout_language_switch_and_health_check_stay_reachable(superuser):
    client = logged_in(superuser)
    assert client.get(SETUP_URL).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.get(VERIFY_URL).status_code == 302  # not the step due: back to setup
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_next_is_url_encoded(superuser):
    response = logged_in(superuser).get("/admin/accounts/user/?q=a&o=1")
    assert response["Location"] == f"{SETUP_URL}?next=%2Fadmin%2Faccounts%2Fuser%2F%3Fq%3Da%26o%3D1"


def test_post_to_a_blocked_page_is_redirected_without_next(superuser):
    response = logged_in(superuser).post(PROFILE_URL, {"language": "en"})
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_htmx_requests_get_a_full_page_redirect(superuser):
    response = logged_in(superuser).get(PROFILE_URL, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SETUP_URL)


def test_administrator_password_login_goes_through_setup_then_reaches_the_admin_site(superuser):
    client = Client()
    response = password_login(client, "root", next="/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP_URL}?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302
    assert client.get(response["Location"]).status_code == 200
    device = TOTPDevice.objects.get(user=superuser)
    codes_page = client.post(SETUP_URL, {"code": totp_code(device), "next": "/admin/"})
    assert codes_page.status_code == 200
    assert 'href="/admin/"' in codes_page.content.decode()
    assert client.get("/admin/").status_code == 200


# --- Administrators with a device ----------------------------------------------------------------------


def test_admin_site_needs_the_code_before_it_answers(superuser, superuser_device):
    client = Client()
    response = password_login(client, "root", next="/admin/")
    assert response["Location"] == f"{VERIFY_URL}?next=%2Fadmin%2F"
    blocked = client.get("/admin/")
    assert blocked.status_code == 302
    assert blocked["Location"] == f"{VERIFY_URL}?next=%2Fadmin%2F"
    assert client.get(API_URL).status_code == 403
    assert client.get(SETUP_URL).status_code == 302  # not the step due

    response = client.post(VERIFY_URL, {"code": totp_code(superuser_device), "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_verified_administrator_reaches_admin_pages(superuser, superuser_device):
    client = logged_in(superuser)
    mark_verified(client, superuser_device)
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_session_verified_with_another_users_device_does_not_count(superuser, member, member_device):
    client = logged_in(superuser)
    mark_verified(client, member_device)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP_URL)


# --- Whether the user has a device, remembered in the session for a minute -----------------------------


def _age_device_check(client: Client, seconds: int) -> None:
    session = client.session
    user_pk, found, checked_at = session[DEVICE_CHECK_SESSION_KEY]
    session[DEVICE_CHECK_SESSION_KEY] = [user_pk, found, checked_at - seconds]
    session.save()


def test_the_device_check_is_remembered_for_a_minute(member, monkeypatch):
    calls = []

    def counting(user, confirmed=True):  # type: ignore[no-untyped-def]
        calls.append(user.pk)
        return user_has_device(user, confirmed=confirmed)

    monkeypatch.setattr(middleware, "user_has_device", counting)
    client = logged_in(member)
    for _ in range(3):
        assert client.get(PROFILE_URL).status_code == 200
    assert calls == [member.pk]
    _age_device_check(client, 60)
    assert client.get(PROFILE_URL).status_code == 200
    assert calls == [member.pk, member.pk]


def test_a_device_set_up_in_another_session_is_asked_for_within_a_minute(member):
    client = logged_in(member)
    assert client.get(PROFILE_URL).status_code == 200  # no device: remembered
    TOTPDevice.objects.create(user=member, name="phone", confirmed=True)  # set up in another browser
    assert client.get(PROFILE_URL).status_code == 200  # still within the minute
    _age_device_check(client, 60)
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)


def test_the_check_remembered_belongs_to_the_user_who_made_it(member, superuser):
    client = logged_in(member)
    assert client.get(PROFILE_URL).status_code == 200
    session = client.session
    remembered = session[DEVICE_CHECK_SESSION_KEY]
    assert remembered[:2] == [member.pk, False]
    # The same session data for another user (e.g. a login as someone else that kept the data):
    session[DEVICE_CHECK_SESSION_KEY] = [superuser.pk + 1000, True, remembered[2]]
    session.save()
    assert client.get(PROFILE_URL).status_code == 200  # checked again, not taken from another user


def test_the_setup_page_checks_the_devices_itself_so_that_no_redirect_loop_follows(superuser):
    client = logged_in(superuser)
    assert client.get("/compacts/")["Location"].startswith(SETUP_URL)  # no device: remembered
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)  # set up in another browser
    response = client.get(SETUP_URL)
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL  # already set up
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)  # not back to the set-up page
    assert client.get(response["Location"]).status_code == 200


def test_the_verify_page_checks_the_devices_itself(member, member_device):
    client = Client()
    password_login(client, "awa")
    assert client.get(PROFILE_URL)["Location"].startswith(VERIFY_URL)  # a device: remembered
    member_device.delete()  # turned off in another browser
    response = client.get(VERIFY_URL)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # no loop back to the verify page
    assert client.get(PROFILE_URL).status_code == 200


def test_turning_two_factor_off_is_seen_at_once(member, member_device):
    client = logged_in(member)
    assert client.get(PROFILE_URL)["Location"].startswith(VERIFY_URL)  # remembered: a device
    mark_verified(client, member_device)
    session = client.session
    session[DEVICE_CHECK_SESSION_KEY] = [member.pk, True, int(time.time())]
    session.save()
    response = client.post(REMOVE_URL, {"remove-code": totp_code(member_device)})
    assert response.status_code == 302
    assert DEVICE_CHECK_SESSION_KEY not in client.session
    assert client.get("/compacts/").status_code == 200
