"""A saved selection run as an Excel workbook (XLSX), from the run's saved JSON only.

Sheets: Ranking (rank, country, score, each criterion's contribution, imputed flags), Inputs (every
value used, with year, edition and public-from date), Model (criteria, weights, shares, directions,
normalisations, filters, missing-data policy in words, "as of" date, seed, draws), Sensitivity (rank
range, 5th–95th percentile, probability of being in the top N) and Excluded (country, reasons).
Headers are in the current language; numbers and dates are stored as numbers and dates.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .models import ModelCriterion, QualitativeCriterion, SelectionModel, SelectionRun
from .selection import criterion_name

MAX_WIDTH = 60
BOLD = Font(bold=True)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _finish(sheet: Worksheet, header_rows: int = 1, widths: dict[int, int] | None = None) -> None:
    """Bold headers, frozen header row, column widths from the longest value (capped)."""
    for row in sheet.iter_rows(min_row=1, max_row=header_rows):
        for cell in row:
            cell.font = BOLD
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = f"A{header_rows + 1}"
    lengths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            if isinstance(cell.value, float):
                text = f"{cell.value:.4f}"
            elif isinstance(cell.value, dt.date):
                text = "2000-01-01"
            else:
                text = str(cell.value)
            lengths[cell.column] = max(lengths.get(cell.column, 0), len(text))
    for column, length in lengths.items():
        width = (widths or {}).get(column) or min(max(length + 2, 8), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(column)].width = width


def _number_formats(sheet: Worksheet, columns: dict[int, str], first_row: int = 2) -> None:
    for column, number_format in columns.items():
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
            if cell.value is not None:
                cell.number_format = number_format


def run_to_xlsx(run: SelectionRun) -> bytes:
    """The run as an XLSX file (bytes), built from its saved JSON: identical whenever it is reopened."""
    results = run.results or {}
    snapshot = run.model_snapshot or {}
    sensitivity = run.sensitivity or {}
    criteria = results.get("criteria", [])
    keys = [c["key"] for c in criteria]
    # Criterion names in the current language (from the snapshot), else as saved with the results.
    names = {c["key"]: c["name"] for c in criteria}
    names.update({c["key"]: criterion_name(c) for c in snapshot.get("criteria", []) if c.get("key") in names})
    countries = {row["iso3"]: row["name"] for row in results.get("ranking", [])}
    countries.update({row["iso3"]: row["name"] for row in results.get("excluded", [])})

    workbook = Workbook()
    ranking = workbook.active
    assert isinstance(ranking, Worksheet)  # a new workbook always has one worksheet
    ranking.title = "Ranking"
    ranking.append(
        [
            _("Rank"),
            _("ISO code"),
            _("Country"),
            _("Score"),
            *[_("Contribution: %(criterion)s") % {"criterion": names[k]} for k in keys],
            _("Imputed values"),
        ]
    )
    for row in results.get("ranking", []):
        imputed = [names[k] for k in keys if row.get("values", {}).get(k, {}).get("imputed")]
        ranking.append(
            [
                row["rank"],
                row["iso3"],
                row["name"],
                row["score"],
                *[row["contributions"].get(k) for k in keys],
                ", ".join(imputed),
            ]
        )
    _number_formats(ranking, dict.fromkeys(range(4, 5 + len(keys)), "0.0000"))
    _finish(ranking)

    inputs = workbook.create_sheet("Inputs")
    inputs.append(
        [
            _("ISO code"),
            _("Country"),
            _("Criterion"),
            _("Value"),
            _("Category"),
            _("Year"),
            _("Edition"),
            _("Public from"),
            _("Imputed"),
            _("Used for"),
        ]
    )
    for value in (run.inputs or {}).get("values", []):
        key = value.get("criterion", "")
        if key.startswith("filter:"):
            code = key.split(":", 1)[1]
            criterion = _filter_name(code)
            used_for = pgettext("noun: what a figure is used for", "Filter")
        else:
            criterion = names.get(key, key)
            used_for = _("Score")
        inputs.append(
            [
                value.get("iso3"),
                countries.get(value.get("iso3"), ""),
                criterion,
                value.get("raw"),
                value.get("label") or "",
                value.get("year"),
                value.get("edition") or "",
                _date(value.get("published_on")),
                _("Yes") if value.get("imputed") else _("No"),
                used_for,
            ]
        )
    _number_formats(inputs, {8: "yyyy-mm-dd"})
    _finish(inputs)

    model = workbook.create_sheet("Model")
    model.append([_("Selection model"), snapshot.get("name", "")])
    model.append([pgettext("noun: a saved selection run", "Run"), run.title])
    model.append([_("As of"), run.as_of])
    model.append([_("Rule"), _("Only figures public on or before the “as of” date are used.")])
    model.append([_("Oldest usable figure (years)"), snapshot.get("max_age_years")])
    model.append(
        [_("Missing data"), _label(SelectionModel.MissingPolicy, results.get("policy", {}).get("missing"))]
    )
    model.append([_("Missing-data policy in words"), results.get("policy", {}).get("description", "")])
    groups = snapshot.get("income_groups") or []
    model.append([_("Income groups kept"), ", ".join(groups) if groups else _("All")])
    model.append([_("Tier 1 countries excluded"), _("Yes") if snapshot.get("exclude_tier_1") else _("No")])
    model.append(
        [
            _("Countries rated 1 for restrictions on assistance excluded"),
            _("Yes") if snapshot.get("exclude_restricted") else _("No"),
        ]
    )
    model.append([_("Size of the shortlist"), sensitivity.get("top_n", snapshot.get("top_n"))])
    model.append([_("Random seed"), run.seed])
    model.append([_("Sensitivity draws"), run.draws])
    model.append([_("Weight perturbation (±)"), sensitivity.get("spread", snapshot.get("spread"))])
    for warning in results.get("warnings", []):
        model.append([_("Warning"), warning])
    model.append([])
    header_row = model.max_row + 1
    model.append([_("Criterion"), _("Weight"), _("Share"), _("Direction"), _("Normalisation")])
    for c in criteria:
        model.append(
            [
                names[c["key"]],
                c["weight"],
                c["share"],
                _label(ModelCriterion.Direction, c["direction"]),
                _label(ModelCriterion.Normalisation, c["normalisation"]),
            ]
        )
    for cell in model[header_row]:
        cell.font = BOLD
    model["B3"].number_format = "yyyy-mm-dd"
    _number_formats(model, {3: "0.0%"}, first_row=header_row + 1)
    for (cell,) in model.iter_rows(min_row=1, max_row=header_row - 2, max_col=1):
        cell.font = BOLD
    _finish(model, header_rows=0, widths={1: 45, 2: 60})

    sens = workbook.create_sheet("Sensitivity")
    top_n = sensitivity.get("top_n", snapshot.get("top_n"))
    sens.append(
        [
            _("Rank"),
            _("ISO code"),
            _("Country"),
            _("Best rank"),
            _("Worst rank"),
            _("5th percentile"),
            _("95th percentile"),
            _("Probability of being in the top %(n)s") % {"n": top_n},
        ]
    )
    per_country = sensitivity.get("countries", {})
    for row in results.get("ranking", []):
        stats = per_country.get(row["iso3"])
        if not stats:
            continue
        sens.append(
            [
                row["rank"],
                row["iso3"],
                row["name"],
                stats["rank_min"],
                stats["rank_max"],
                stats["rank_p5"],
                stats["rank_p95"],
                stats["p_top_n"],
            ]
        )
    _number_formats(sens, {8: "0.0%"})
    _finish(sens)

    excluded = workbook.create_sheet("Excluded")
    excluded.append([_("ISO code"), _("Country"), _("Reasons")])
    for row in results.get("excluded", []):
        excluded.append([row["iso3"], row["name"], "\n".join(row["reasons"])])
    _finish(excluded, widths={3: 90})

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _filter_name(code: str) -> str:
    if code == "wb_income_group":
        return _("Income group (filter)")
    if code == "tip_tier":
        return _("TIP tier (filter)")
    return _label(QualitativeCriterion, code)
