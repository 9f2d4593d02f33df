"""Writes on accounts: profile changes and two-factor devices.

Two-factor login uses django-otp: one TOTP device (authenticator app) per user, plus one static
device holding single-use backup codes. Every code check goes through ``check_code``, which uses
django-otp's own verification, so its throttling (exponential back-off after wrong codes) applies.
"""

from base64 import b32encode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def update_profile(
    *, user: User, first_name: str, last_name: str, job_title: str, phone: str, language: str
) -> User:
    user.first_name = first_name
    user.last_name = last_name
    user.job_title = job_title
    user.phone = phone
    user.language = language
    changed = ["first_name", "last_name", "job_title", "phone", "language"]
    # Only the changed fields are validated: an unrelated rule (such as the organisation every
    # non-administrator needs) must not stop someone from fixing their name or language.
    user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name not in changed])
    user.save(update_fields=changed)
    return user


def is_administrator(user: User) -> bool:
    """Site administrators and staff (who reach the admin site) must keep two-factor login."""
    return bool(user.is_superuser or user.is_staff)


def start_totp_setup(*, user: User, pending_id: int | None) -> TOTPDevice:
    """The unconfirmed device being set up in this session, or a new one with a fresh secret.

    The pending device is tied to the session (its id is kept there), so a secret shown to one
    session is never reused for another; stale unconfirmed devices of the user are removed.
    """
    if pending_id is not None:
        device = TOTPDevice.objects.filter(user=user, pk=pending_id, confirmed=False).first()
        if device is not None:
            return device
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it when typed by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _verify(device: Device, code: str) -> bool:
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        if extra and extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            raise ValidationError(
                {
                    "code": _(
                        "Too many wrong codes in a row. Wait a little and try again; each new mistake "
                        "makes the wait longer."
                    )
                },
                code="throttled",
            )
        raise ValidationError(
            {"code": _("Codes cannot be checked for this device at the moment.")}, code="not_allowed"
        )
    return bool(device.verify_token(code))


def confirm_totp_device(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm a new authenticator app with a code it produced; return new backup codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"code": _("This set-up has expired. Start again.")}, code="stale")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(
            {"code": _("Two-factor login is already set up for this account.")}, code="exists"
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        verified = _verify(device, code)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
            return _replace_backup_codes(user)
    # Raised outside the atomic block, so that the failure counted by django-otp's throttling stays.
    raise ValidationError(
        {
            "code": _(
                "This code is not valid. Check the clock of your phone and enter the code "
                "currently shown by the app."
            )
        },
        code="invalid",
    )


def _replace_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return sorted(codes)


def check_code(*, user: User, code: str, allow_backup_code: bool = True) -> Device:
    """The confirmed device of ``user`` that accepts ``code`` (normalised: 6 digits or 8 base32
    characters), or ValidationError. A backup code is consumed. Wrong codes count towards
    django-otp's throttling of the device they were meant for."""
    is_totp = code.isdigit()
    if not is_totp and not allow_backup_code:
        raise ValidationError(
            {"code": _("Enter the 6-digit code from your authenticator app.")}, code="format"
        )
    model = TOTPDevice if is_totp else StaticDevice
    with transaction.atomic():
        devices = list(model.objects.devices_for_user(user, confirmed=True).select_for_update())
        for device in devices:
            if _verify(device, code):
                return device
    if not devices and not is_totp:
        message = _("You have no backup codes left. Use your authenticator app.")
    elif is_totp:
        message = _(
            "This code is not valid. Check the clock of your phone and enter the code currently "
            "shown by the app; each code works only once."
        )
    else:
        message = _("This backup code is not valid or has already been used.")
    raise ValidationError({"code": message}, code="invalid")


def regenerate_backup_codes(*, user: User, code: str) -> list[str]:
    """New backup codes replace the old ones; needs a current code from the authenticator app."""
    check_code(user=user, code=code, allow_backup_code=False)
    with transaction.atomic():
        return _replace_backup_codes(user)


def remove_two_factor(*, user: User, code: str) -> None:
    """Turn two-factor login off, after a valid code. Administrators cannot: it is mandatory for them."""
    if is_administrator(user):
        raise ValidationError(
            {"code": _("Two-factor login is mandatory for administrators and cannot be turned off.")},
            code="mandatory",
        )
    check_code(user=user, code=code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
