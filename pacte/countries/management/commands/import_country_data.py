"""Load the country evidence base: countries (ISO 3166-1), the catalogue of sources and indicators, and
the data files shipped in pacte/countries/data/. Idempotent: a file already imported is skipped."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count

from pacte.countries.catalogue import ensure_catalogue
from pacte.countries.imports import import_shipped_files
from pacte.countries.matching import ensure_countries
from pacte.countries.models import Metric


class Command(BaseCommand):
    help = "Import the shipped country data (TIP tiers, CPI, Freedom House, World Bank, Factbook…)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        created = ensure_countries()
        ensure_catalogue()
        self.stdout.write(f"Countries created: {created}")
        reports = import_shipped_files(stdout=None)
        for report in reports:
            if report.already_imported:
                self.stdout.write(f"{report.path}: already imported, skipped.")
                continue
            self.stdout.write(f"{report.path}: {report.rows} figures saved.")
            for reason, count in sorted(report.skipped.items()):
                self.stdout.write(f"    skipped {count}: {reason}")
            if report.unmatched:
                self.stdout.write("    unmatched names (skipped):")
                for line in report.unmatched_lines():
                    self.stdout.write(f"      {line}")
            if report.conflicts:
                self.stdout.write(f"    conflicts with earlier figures (kept): {len(report.conflicts)}")
        self.stdout.write("Figures per indicator in the evidence base:")
        for metric in Metric.objects.annotate(n=Count("observations")).order_by("order"):
            self.stdout.write(f"    {metric.code}: {metric.n}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))
