from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompactsConfig(AppConfig):
    name = "pacte.compacts"
    label = "compacts"
    verbose_name = _("Compacts")
