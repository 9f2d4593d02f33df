"""``manage.py annual_report``: the annual report of a compact as a Word document or a PDF.

    python manage.py annual_report --compact 3 --year 2024 --language fr --format docx --output rapport.docx

The document is the one the web page offers (``pacte.results.report``). By default the command runs
in a *system context* that sees everything: an unsaved user with site-administrator rights (no row is
written, nobody can log in as it). The report then includes non-public indicators and texts: it is
meant for the parties. ``--user USERNAME`` produces the report exactly as that user may see it instead
(for example an observer's public-only report).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from pacte.compacts.models import Compact
from pacte.results import report


def system_user() -> Any:
    """A site administrator that exists only in memory: sees every compact and every record."""
    User = get_user_model()
    return User(username="annual_report", is_superuser=True, is_staff=True, is_active=True)


class Command(BaseCommand):
    help = "Produce the annual report of a compact for a year, in French or English, as Word or PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--compact", type=int, required=True, help="Id of the compact.")
        parser.add_argument("--year", type=int, required=True, help="Year of the report (within the term).")
        parser.add_argument("--language", choices=report.LANGUAGES, default="fr", help="fr (default) or en.")
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=report.FORMATS,
            help="docx or pdf (default: from the output file's extension).",
        )
        parser.add_argument("--output", required=True, help="File to write.")
        parser.add_argument(
            "--user",
            help="Produce the report as this user sees it (default: a system context that sees everything).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        fmt = options["fmt"] or output.suffix.lstrip(".").lower()
        if fmt not in report.FORMATS:
            raise CommandError(f"Unknown format {fmt!r}: choose --format docx or --format pdf.")
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")

        try:
            compact = Compact.objects.get(pk=options["compact"])
        except Compact.DoesNotExist as exc:
            raise CommandError(f"No compact with id {options['compact']}.") from exc
        years = report.term_years(compact)
        year = options["year"]
        if year not in years:
            term = f"{years[0]}–{years[-1]}" if years else "none (no entry into force)"
            raise CommandError(f"{year} is outside the term of compact {compact.pk} ({term}).")

        if options["user"]:
            User = get_user_model()
            try:
                user = User.objects.get(username=options["user"])
            except User.DoesNotExist as exc:
                raise CommandError(f"No user {options['user']!r}.") from exc
        else:
            user = system_user()

        started = time.perf_counter()
        try:
            data = report.build_report(user, compact, year, options["language"])
        except Http404 as exc:
            raise CommandError(f"User {options['user']!r} may not see compact {compact.pk}.") from exc
        content = report.render(data, fmt)
        output.write_bytes(content)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {output} ({len(content):,} bytes, {fmt}, {data.language}) in {elapsed:.2f} s."
            )
        )
