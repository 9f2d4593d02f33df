"""``python manage.py rank_countries --as-of YYYY-MM-DD [--model NAME] [--format csv|table]``.

Prints the ranking a selection run would give (the same computation, ``selection.compute``): rank,
ISO code, country, score, each criterion's contribution, then the sensitivity analysis (best and worst
rank, 5th and 95th percentile, probability of being in the top N; ``--draws 0`` leaves it out), then
the excluded countries with their reasons on stderr. It saves nothing unless ``--save`` is given (the
run is then recorded as by ``run_selection``, for ``--user`` when given, who must be selection staff).
Without ``--model`` the only model is used; with several, the command lists them and stops.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from pacte.accounts.models import User
from pacte.countries import engine, selection
from pacte.countries.models import SelectionModel


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            _("“%(value)s” is not a date in the form YYYY-MM-DD.") % {"value": text}
        ) from error


class Command(BaseCommand):
    help = "Print the ranking of a selection model as of a date (CSV or table); --save records the run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", required=True, type=_date, help="YYYY-MM-DD")
        parser.add_argument("--model", help="Name of the selection model (needed when there are several).")
        parser.add_argument("--format", choices=["csv", "table"], default="table")
        parser.add_argument(
            "--draws", type=int, default=engine.DEFAULT_DRAWS, help="0 leaves out the sensitivity"
        )
        parser.add_argument("--seed", type=int, default=engine.DEFAULT_SEED)
        parser.add_argument("--save", action="store_true", help="Save the run (not saved otherwise).")
        parser.add_argument("--user", help="User name recorded as the author of a saved run.")
        parser.add_argument("--title", default="", help="Title of a saved run.")

    def handle(self, *args: Any, **options: Any) -> None:
        model = self._model(options["model"])
        as_of: dt.date = options["as_of"]
        draws, seed = options["draws"], options["seed"]
        try:
            if options["save"]:
                run = self._save(model, as_of, draws, seed, options["user"], options["title"])
                results, sensitivity = run.results, run.sensitivity
            else:
                selection.check_draws(draws, seed)
                _inputs, results, sensitivity = selection.compute(
                    selection.snapshot_of(model), as_of, draws, seed
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        header, rows = self._rows(results, sensitivity)
        if options["format"] == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        else:
            self._table(header, rows)
        for warning in results.get("warnings", []):
            self.stderr.write(warning)
        for excluded in results.get("excluded", []):
            self.stderr.write(
                _("Excluded: %(iso3)s %(name)s – %(reasons)s")
                % {
                    "iso3": excluded["iso3"],
                    "name": excluded["name"],
                    "reasons": " ".join(excluded["reasons"]),
                }
            )
        if options["save"]:
            self.stderr.write(_("Run saved: %(title)s (id %(id)s).") % {"title": run.title, "id": run.pk})

    def _model(self, name: str | None) -> SelectionModel:
        if name:
            try:
                return SelectionModel.objects.get(name=name)
            except SelectionModel.DoesNotExist:
                raise CommandError(
                    _("No selection model is called “%(name)s”. Models: %(names)s.")
                    % {"name": name, "names": self._names()}
                ) from None
        models = list(SelectionModel.objects.all()[:2])
        if len(models) == 1:
            return models[0]
        if not models:
            raise CommandError(_("There is no selection model yet."))
        raise CommandError(
            _("There are several selection models: choose one with --model. Models: %(names)s.")
            % {"names": self._names()}
        )

    @staticmethod
    def _names() -> str:
        return ", ".join(f"“{n}”" for n in SelectionModel.objects.values_list("name", flat=True)) or "–"

    @staticmethod
    def _save(model: SelectionModel, as_of: dt.date, draws: int, seed: int, username: str | None, title: str):
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(_("No user is called “%(name)s”.") % {"name": username})
            try:
                return selection.run_selection(
                    user=user, model=model, as_of=as_of, draws=draws, seed=seed, title=title
                )
            except PermissionDenied as error:
                raise CommandError(_("%(name)s may not run selections.") % {"name": username}) from error
        return selection.create_run(model=model, as_of=as_of, draws=draws, seed=seed, title=title)

    @staticmethod
    def _rows(results: dict[str, Any], sensitivity: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
        criteria = results.get("criteria", [])
        per_country = sensitivity.get("countries", {})
        header = ["rank", "iso3", "country", "score", *[c["key"] for c in criteria]]
        if per_country:
            top_n = sensitivity.get("top_n")
            header += ["rank_min", "rank_max", "rank_p5", "rank_p95", f"p_top_{top_n}"]
        rows = []
        for row in results.get("ranking", []):
            line = [row["rank"], row["iso3"], row["name"], float(row["score"])]
            line += [float(row["contributions"][c["key"]]) for c in criteria]
            stats = per_country.get(row["iso3"])
            if per_country and stats:
                line += [stats["rank_min"], stats["rank_max"], stats["rank_p5"], stats["rank_p95"]]
                line.append(float(stats["p_top_n"]))
            rows.append(line)
        return header, rows

    def _table(self, header: list[str], rows: list[list[Any]]) -> None:
        def cell(value: Any) -> str:
            return f"{value:.4f}" if isinstance(value, float) else str(value)

        cells = [header, *[[cell(v) for v in row] for row in rows]]
        widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
        for line in cells:
            self.stdout.write(
                "  ".join(
                    v.ljust(w) if i in (1, 2) else v.rjust(w)
                    for i, (v, w) in enumerate(zip(line, widths, strict=True))
                )
            )
