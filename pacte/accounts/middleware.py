"""Two-factor enforcement.

A signed-in user who has a confirmed TOTP device must enter a code before anything else; a site
administrator (or staff member) without one must set one up first. Until then only the two-factor
pages, logout, the language switch and static files answer; the API answers 403 in JSON; htmx
requests get an HX-Redirect so that the whole page moves to the two-factor page.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/accounts/logout/")


def is_verified(user) -> bool:  # type: ignore[no-untyped-def]
    """True when this session passed a second factor (django-otp's OTPMiddleware adds is_verified;
    a user object that did not go through it, e.g. just after login(), is not verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def needs_second_factor(user) -> str | None:  # type: ignore[no-untyped-def]
    """'verify' when a code is due, 'setup' when an administrator has no device yet, else None."""
    if not user.is_authenticated or is_verified(user):
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if user.is_superuser or user.is_staff:
        return "setup"
    return None


def second_factor_url(step: str, next_url: str | None = None) -> str:
    target = reverse("accounts:two_factor_verify" if step == "verify" else "accounts:two_factor_setup")
    return f"{target}?{urlencode({'next': next_url})}" if next_url else target


class AdminTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = needs_second_factor(request.user)
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
