"""Building blocks shared by every domain app."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


def validate_file_size(value: Any) -> None:
    """Uploaded files are limited to settings.MAX_ATTACHMENT_SIZE (slow connections, small servers)."""
    size = getattr(value, "size", None) or 0
    if size > settings.MAX_ATTACHMENT_SIZE:
        raise ValidationError(
            _("This file is too large (%(size)s): files may be at most %(max)s."),
            params={"size": filesizeformat(size), "max": filesizeformat(settings.MAX_ATTACHMENT_SIZE)},
            code="file_too_large",
        )


class Visibility(models.TextChoices):
    """Section X of the compact: non-public information stays with the parties and their
    implementing partners, also after the compact has ended."""

    PUBLIC = "public", _("Public")
    NON_PUBLIC = "non_public", _("Non-public")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
