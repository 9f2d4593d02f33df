"""``python manage.py export_iati --output FILE [--user USERNAME]``: the grants portfolio as an IATI 2.03
activity file (everything, or what USERNAME may see). ``--output -`` writes to standard output; the
number of activities goes to standard error."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pacte.grants.iati import stream


class Command(BaseCommand):
    help = "Export the grants portfolio as IATI 2.03 activities (compacts as parents, awards as children)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", required=True, help="File to write, or - for standard output.")
        parser.add_argument(
            "--user", default=None, help="Export only what this user may see (default: everything)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user_model = get_user_model()
            try:
                user = user_model.objects.get(username=options["user"])
            except user_model.DoesNotExist as exc:
                raise CommandError(f"No user named {options['user']!r}.") from exc
        chunks = stream(user)
        if options["output"] == "-":
            self._write(chunks, sys.stdout.buffer)
        else:
            try:
                with open(options["output"], "wb") as output:
                    self._write(chunks, output)
            except OSError as exc:
                raise CommandError(f"Cannot write {options['output']}: {exc}") from exc
        self.stderr.write(f"{chunks.activities} IATI activities exported.")

    @staticmethod
    def _write(chunks: Any, output: BinaryIO) -> None:
        for chunk in chunks:
            output.write(chunk)
        output.flush()
