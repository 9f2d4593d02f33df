"""Two-factor enforcement.

A signed-in user who has a confirmed TOTP device must enter a code before anything else; a site
administrator (or staff member) without one must set one up first. Until then only the two-factor
pages, logout, the language switch and static files answer; the API answers 403 in JSON; htmx
requests get an HX-Redirect so that the whole page moves to the two-factor page.

Whether the user has a confirmed device is remembered in the session for
``SESSION_REFRESH_INTERVAL`` seconds (one minute), so that a page does not cost two device queries. The
two-factor views forget it whenever they change or check the devices; another session of the same
user notices a device added or removed elsewhere within that minute.

``SessionRefreshMiddleware`` pushes the expiry of a session back (two hours from now) at most once a
``SESSION_REFRESH_INTERVAL``, instead of writing the session on every request.
"""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/accounts/logout/")
# [user id, has a confirmed device, time of the check]: see has_device().
DEVICE_CHECK_SESSION_KEY = "pacte_device_check"
# Time (seconds since the epoch) the session was last written, hence its expiry last pushed back.
SESSION_REFRESHED_KEY = "pacte_session_refreshed"


def refresh_interval() -> int:
    return int(getattr(settings, "SESSION_REFRESH_INTERVAL", 60))


def is_verified(user) -> bool:  # type: ignore[no-untyped-def]
    """True when this session passed a second factor (django-otp's OTPMiddleware adds is_verified;
    a user object that did not go through it, e.g. just after login(), is not verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def needs_second_factor(user, request: HttpRequest | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """'verify' when a code is due, 'setup' when an administrator has no device yet, else None.

    With ``request``, whether the user has a device may come from the session (see has_device)."""
    if not user.is_authenticated or is_verified(user):
        return None
    device = has_device(request, user) if request is not None else user_has_device(user, confirmed=True)
    if device:
        return "verify"
    if user.is_superuser or user.is_staff:
        return "setup"
    return None


def has_device(request: HttpRequest, user) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``user`` has a confirmed device, as checked at most ``refresh_interval()`` seconds ago
    in this session (for this user), else checked now and remembered."""
    session = request.session
    now = int(time.time())
    check = session.get(DEVICE_CHECK_SESSION_KEY)
    if (
        isinstance(check, list)
        and len(check) == 3
        and check[0] == user.pk
        and 0 <= now - check[2] < refresh_interval()
    ):
        return bool(check[1])
    found = user_has_device(user, confirmed=True)
    session[DEVICE_CHECK_SESSION_KEY] = [user.pk, found, now]
    return found


def forget_device_check(request: HttpRequest) -> None:
    """The devices changed, or a view checks them itself: the next request checks them again."""
    if DEVICE_CHECK_SESSION_KEY in request.session:
        del request.session[DEVICE_CHECK_SESSION_KEY]


def second_factor_url(step: str, next_url: str | None = None) -> str:
    target = reverse("accounts:two_factor_verify" if step == "verify" else "accounts:two_factor_setup")
    return f"{target}?{urlencode({'next': next_url})}" if next_url else target


class AdminTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = needs_second_factor(request.user, request)
        if step is None or request.path.startswith(ALWAYS_ALLOWED_PREFIXES):
            return self.get_response(request)
        if request.path == second_factor_url(step):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("Two-factor login is required.")}, status=403)
        url = second_factor_url(step, request.get_full_path() if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


class SessionRefreshMiddleware:
    """Sessions end after ``SESSION_COOKIE_AGE`` (two hours) without a request. Instead of writing the
    session on every request (SESSION_SAVE_EVERY_REQUEST), the expiry is pushed back when the session
    was last written ``SESSION_REFRESH_INTERVAL`` seconds ago or more: a session therefore ends
    between two hours minus that interval (one minute) and two hours after the last request.

    Placed right after SessionMiddleware, so that SessionMiddleware saves what this marks modified.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or response.status_code >= 500:
            return response
        refreshed = session.get(SESSION_REFRESHED_KEY)  # loads the session if the view did not
        if session.is_empty():
            return response
        now = int(time.time())
        if (
            session.modified
            or not isinstance(refreshed, int)
            or not 0 <= now - refreshed < refresh_interval()
        ):
            # Written now (SessionMiddleware saves a modified session): the expiry moves to now + age.
            session[SESSION_REFRESHED_KEY] = now
        return response
