"""Building blocks shared by every domain app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
