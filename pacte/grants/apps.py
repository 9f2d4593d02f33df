from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "pacte.grants"
    label = "grants"
    verbose_name = _("Grants")
    # Called by ``manage.py load_demo`` after the results' demonstration data.
    demo_loader = "pacte.grants.demo.load"
    # Read by the compacts app's ``extra_compact_tabs`` tag: a "Funding" tab on every compact page.
    compact_tabs = [("grants:compact_portfolio", _("Funding"))]
