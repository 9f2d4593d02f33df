"""Organisations and the people who work in them.

Access in Pacte is decided by organisation first: a user sees what their organisation takes part
in (see pacte.compacts.permissions). Roles are held on a compact, not globally; the only global
role is site administrator (is_superuser), who must use two-factor login.
"""

import pycountry
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pacte.core.models import TimeStampedModel


def validate_country_code(value: str) -> None:
    # pycountry ignores case; the stored code must be the canonical upper-case one.
    if value and (value != value.upper() or pycountry.countries.get(alpha_3=value) is None):
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 alpha-3 country code."), params={"value": value}
        )


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code) if code else None
    return getattr(country, "common_name", None) or (country.name if country else code)


class Organisation(TimeStampedModel):
    class Type(models.TextChoices):
        DONOR_OFFICE = "donor_office", _("Donor office")
        PARTNER_GOVERNMENT = "partner_government", _("Partner-government body")
        IMPLEMENTING_PARTNER = "implementing_partner", _("Implementing partner")
        SERVICE_PROVIDER = "service_provider", _("Service provider")
        JUSTICE_POLICE = "justice_police", _("Justice or police unit")

    class PartnerKind(models.TextChoices):
        NGO = "ngo", _("Non-governmental organisation (NGO)")
        INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")
        UNIVERSITY = "university", _("University")
        FOR_PROFIT = "for_profit", _("For-profit organisation")

    name = models.CharField(_("name"), max_length=300, unique=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    org_type = models.CharField(_("type"), max_length=30, choices=Type.choices)
    partner_kind = models.CharField(
        _("kind of implementing partner"),
        max_length=30,
        choices=PartnerKind.choices,
        blank=True,
        help_text=_("Only for implementing partners."),
    )
    country = models.CharField(
        _("country"),
        max_length=3,
        blank=True,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 alpha-3 code, for example CIV or USA."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("address"), blank=True)
    registration_number = models.CharField(
        _("registration number"),
        max_length=100,
        blank=True,
        help_text=_("Legal registration in its country (for example the RCCM number or the NGO's approval)."),
    )
    iati_ref = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        blank=True,
        help_text=_("For example XM-DAC-41122 (UNICEF). Left empty when the organisation has none."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def short_name(self) -> str:
        return self.acronym or self.name

    def clean(self) -> None:
        if self.org_type == self.Type.IMPLEMENTING_PARTNER and not self.partner_kind:
            raise ValidationError(
                {
                    "partner_kind": _(
                        "Say what kind of implementing partner this is "
                        "(NGO, international organisation, university or for-profit)."
                    )
                }
            )
        if self.org_type != self.Type.IMPLEMENTING_PARTNER and self.partner_kind:
            raise ValidationError(
                {"partner_kind": _("Only implementing partners have a kind of implementing partner.")}
            )


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    phone = models.CharField(_("telephone"), max_length=100, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_site_admin(self) -> bool:
        return bool(self.is_active and self.is_superuser)

    def clean(self) -> None:
        super().clean()
        if not self.is_superuser and self.organisation_id is None:
            raise ValidationError(
                {"organisation": _("Every user except site administrators belongs to an organisation.")}
            )
