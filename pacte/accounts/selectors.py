"""Reads on accounts: the state of a user's two-factor login."""

from dataclasses import dataclass

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    backup_codes_left: int
    mandatory: bool


def two_factor_status(user: User) -> TwoFactorStatus:
    return TwoFactorStatus(
        enabled=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        backup_codes_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
        mandatory=bool(user.is_superuser or user.is_staff),
    )


def pending_totp_device(user: User, pending_id: int | None) -> TOTPDevice | None:
    if pending_id is None:
        return None
    return TOTPDevice.objects.filter(user=user, pk=pending_id, confirmed=False).first()
