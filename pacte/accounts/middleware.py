"""Two-factor enforcement.

A signed-in user who has a confirmed TOTP device must enter a code before anything else; a site
administrator without one must set one up first. Until then only the two-factor pages, logout,
the language switch and static files answer.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/accounts/logout/")


def needs_second_factor(user) -> str | None:  # type: ignore[no-untyped-def]
    """'verify' when a code is due, 'setup' when an administrator has no device yet, else None."""
    if not user.is_authenticated or user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if user.is_superuser or user.is_staff:
        return "setup"
    return None


class AdminTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = needs_second_factor(request.user)
        if step is None or request.path.startswith(ALWAYS_ALLOWED_PREFIXES):
            return self.get_response(request)
        target = reverse("accounts:two_factor_verify" if step == "verify" else "accounts:two_factor_setup")
        if request.path == target:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("Two-factor login is required.")}, status=403)
        return redirect(f"{target}?next={request.get_full_path()}")
