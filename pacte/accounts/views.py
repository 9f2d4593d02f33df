"""Account pages: login and logout, two-factor login, profile, password change and reset.

Thin views: checks of input are in forms, writes in services, reads in selectors. Bad input
re-renders the form with status 400.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from . import selectors, services
from .forms import LoginForm, OtpCodeForm, PasswordChangeForm, PasswordResetForm, ProfileForm, SetPasswordForm
from .middleware import forget_device_check, is_verified, needs_second_factor, second_factor_url
from .models import User

PENDING_DEVICE_SESSION_KEY = "pacte_pending_totp_device"


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required."""

    user: User


def _safe_next(request: HttpRequest) -> str:
    """The ?next= (or posted next) URL when it stays on this site, else the default landing page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class InvalidFormStatusMixin:
    """Forms that do not validate are re-rendered with 400, not 200."""

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_invalid(form)  # type: ignore[misc]
        response.status_code = 400
        return response


# --- Login and logout -----------------------------------------------------------------------------------


class LoginView(InvalidFormStatusMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        forget_device_check(self.request)
        # Straight to the second factor when one is due, keeping where the user was going.
        step = needs_second_factor(self.request.user)
        if step is not None:
            return HttpResponseRedirect(second_factor_url(step, self.get_success_url()))
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET); back to the login page with a message."""

    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        was_authenticated = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_authenticated:
            messages.success(request, _("You have been logged out."))
        return response


# --- Two-factor login --------------------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=5,
        border=4,
        dark="#1b1b1b",
        light="#ffffff",
        title=_("QR code to scan with your authenticator app"),
    )
    # segno builds the SVG from the QR matrix; the only text in it (the title) is escaped by segno.
    return mark_safe(svg)  # noqa: S308


def _show_backup_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    # Never cached (the views are decorated with never_cache): the codes are shown this once only.
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_url})


@never_cache
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Set up an authenticator app: QR code and secret, then a code to confirm; backup codes once."""
    # This view reads the devices itself; what the session remembers of them may be out of date.
    forget_device_check(request)
    status = selectors.two_factor_status(request.user)
    if status.enabled:
        messages.info(request, _("Two-factor login is already set up for your account."))
        return redirect("accounts:profile")
    next_url = _safe_next(request)
    pending_id = request.session.get(PENDING_DEVICE_SESSION_KEY)
    device = services.start_totp_setup(user=request.user, pending_id=pending_id)
    request.session[PENDING_DEVICE_SESSION_KEY] = device.pk
    form = OtpCodeForm(request.POST or None, allow_backup_code=False)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_device(
                user=request.user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
            request.session.cycle_key()
            otp_login(request, device)
            messages.success(request, _("Two-factor login is now active for your account."))
            return _show_backup_codes(request, codes, next_url)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": services.totp_secret_base32(device),
        "next": next_url,
        "mandatory": status.mandatory,
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    """Second step of login: a code from the authenticator app or a backup code."""
    next_url = _safe_next(request)
    forget_device_check(request)  # checked here from the database (see two_factor_setup)
    if is_verified(request.user) or needs_second_factor(request.user) != "verify":
        return redirect(next_url)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.check_code(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    _("You used a backup code; %(count)d left. Generate new ones from your profile.")
                    % {"count": left},
                )
            return redirect(next_url)
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
@require_POST
def two_factor_remove(request: AuthenticatedRequest) -> HttpResponse:
    """Turn two-factor login off (not for administrators), after a valid code."""
    if services.is_administrator(request.user):
        raise PermissionDenied(_("Two-factor login is mandatory for administrators."))
    form = OtpCodeForm(request.POST, prefix="remove")
    if form.is_valid():
        try:
            services.remove_two_factor(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            forget_device_check(request)
            messages.success(request, _("Two-factor login is now turned off for your account."))
            return redirect("accounts:profile")
    return _render_profile(request, remove_form=form, status=400)


@never_cache
@login_required
@sensitive_post_parameters("code")
@require_POST
def two_factor_backup_codes(request: AuthenticatedRequest) -> HttpResponse:
    """New backup codes, after a code from the authenticator app; the old ones stop working."""
    form = OtpCodeForm(request.POST, prefix="backup", allow_backup_code=False)
    if form.is_valid():
        try:
            codes = services.regenerate_backup_codes(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("New backup codes were created; the old ones no longer work."))
            return _show_backup_codes(request, codes, reverse("accounts:profile"))
    return _render_profile(request, backup_form=form, status=400)


# --- Profile -------------------------------------------------------------------------------------------


def _render_profile(
    request: AuthenticatedRequest,
    *,
    form: ProfileForm | None = None,
    remove_form: OtpCodeForm | None = None,
    backup_form: OtpCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = {
        "form": form or ProfileForm.for_user(user),
        "remove_form": remove_form or OtpCodeForm(prefix="remove"),
        "backup_form": backup_form or OtpCodeForm(prefix="backup", allow_backup_code=False),
        "two_factor": selectors.two_factor_status(user),
        "organisation": user.organisation,
    }
    return render(request, "accounts/profile.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_profile(request)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, form=form, status=400)
    try:
        user = services.update_profile(user=request.user, **form.cleaned_data)
    except ValidationError as error:
        request.user.refresh_from_db()
        form.add_error(None, error)
        return _render_profile(request, form=form, status=400)
    # Switch language at once: this message, the next page, and the cookie the language middleware reads.
    translation.activate(user.language)
    messages.success(request, _("Your profile has been saved."))
    response = redirect("accounts:profile")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# --- Passwords -----------------------------------------------------------------------------------------


class PasswordChangeView(InvalidFormStatusMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(InvalidFormStatusMixin, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetForm
    # Own names: django.contrib.admin ships registration/password_reset_*.html and comes first.
    email_template_name = "registration/pacte_password_reset_email.txt"
    subject_template_name = "registration/pacte_password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(InvalidFormStatusMixin, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
