from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "pacte.results"
    label = "results"
    verbose_name = _("Results")
    # Called by ``manage.py load_demo`` after the compact registry's own demonstration data.
    demo_loader = "pacte.results.demo.load"
    # Read by the compacts app's ``extra_compact_tabs`` tag: a "Results" tab on every compact page.
    compact_tabs = [("results:progress", _("Results"))]
    # Read by the compacts app's meetings page: each meeting links to the annual report it reviewed.
    meeting_links = "pacte.results.selectors.meeting_report_links"
