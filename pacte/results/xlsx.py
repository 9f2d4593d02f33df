"""The Excel template a reporting organisation fills, and its upload (all or nothing).

``build_template`` writes one sheet of values ("Valeurs" in French, "Values" in English) with one row
per reportable indicator, period and category (the total first), prefilled with the ids, the
indicator, its unit, the category, the period and any values already saved; the columns a row does
not use are locked (the sheet is protected without a password, to prevent accidents, not to secure
anything), milestones accept only 0 or 1, and an instructions sheet explains the rest. A very hidden
sheet records the compact and the organisation the workbook was made for.

``import_workbook`` reads such a workbook back, checks every cell first (type, indicator, category,
period, numerator above its denominator, duplicates, reporting organisation) and then saves one
submission per indicator and period through ``services.save_submission`` (and ``services.submit`` if
asked), all inside one transaction: any problem, found by these checks or by the services, refuses the
whole file and every problem is reported with its cell ("Valeurs!I7") in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pacte.accounts.models import Organisation
from pacte.compacts.models import Compact
from pacte.compacts.permissions import Access, Capability, require

from . import selectors, services
from .models import VALUE_DIGITS, VALUE_PLACES, DisaggregationCategory, IndicatorDefinition, Submission
from .periods import Kind, Period, parse_period

if TYPE_CHECKING:
    from pacte.accounts.models import User

Unit = IndicatorDefinition.Unit

#: The sheet of values, per language (an identifier more than a label: fixed, not translated).
SHEET_NAMES = {"fr": "Valeurs", "en": "Values"}
INSTRUCTION_SHEET_NAMES = {"fr": "Mode d'emploi", "en": "Instructions"}
META_SHEET = "pacte"
FORMAT_VERSION = 1
KEY_ROW = 1  # hidden row of column keys, so that columns are found whatever the language
HEADER_ROW = 2
FIRST_DATA_ROW = 3
MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_ROWS = 20_000

#: (key, header) of every column, in order.
COLUMNS: list[tuple[str, Any]] = [
    ("definition_id", gettext_lazy("Indicator ID")),
    ("category_id", gettext_lazy("Category ID")),
    ("indicator", gettext_lazy("Indicator")),
    ("unit", gettext_lazy("Unit or measure")),
    ("category", gettext_lazy("Category")),
    ("period", gettext_lazy("Period")),
    ("status", gettext_lazy("Status")),
    ("value", gettext_lazy("Value")),
    ("numerator", gettext_lazy("Numerator")),
    ("denominator", gettext_lazy("Denominator")),
    ("text", gettext_lazy("Qualitative value")),
    ("comment", gettext_lazy("Comment")),
]
KEYS = [key for key, _header in COLUMNS]
COLUMN = {key: index + 1 for index, key in enumerate(KEYS)}
REQUIRED_KEYS = ("definition_id", "category_id", "period", "value", "numerator", "denominator", "text")
FIGURE_KEYS = ("value", "numerator", "denominator", "text")
#: The columns a row of each unit fills (besides the period and the comment).
UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    Unit.COUNT: ("value",),
    Unit.PERCENT_CHANGE: ("value",),
    Unit.MILESTONE: ("value",),
    Unit.PERCENTAGE: ("numerator", "denominator"),
    Unit.QUALITATIVE: ("text",),
}
YES = {"1", "yes", "oui", "y", "o", "true", "vrai", "x"}
NO = {"0", "no", "non", "n", "false", "faux"}

BOLD = Font(bold=True)
LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
UNLOCKED = Protection(locked=False)


# -- common -------------------------------------------------------------------------------------------
def _language() -> str:
    return "en" if (translation.get_language() or "fr").startswith("en") else "fr"


def may_report_for_others(user: User, access: Access) -> bool:
    """Site administrators and programme officers report on behalf of any reporting organisation."""
    return access.role in selectors.REPORT_ON_BEHALF_ROLES


def reporting_organisations(compact: Compact) -> QuerySet[Organisation]:
    """Organisations named as reporter of at least one indicator of ``compact``."""
    return Organisation.objects.filter(reported_indicators__compact=compact).distinct().order_by("name")


def _organisation_for(
    user: User, compact: Compact, access: Access, organisation: Organisation | None
) -> Organisation:
    own = user.organisation
    if organisation is None or (own is not None and organisation.pk == own.pk):
        if own is None:
            raise ValidationError({"organisation": [_("Choose the reporting organisation.")]})
        return own
    if not may_report_for_others(user, access):
        raise ValidationError({"organisation": [_("You may report only for your own organisation.")]})
    return organisation


def _definitions(user: User, compact: Compact, organisation: Organisation) -> list[IndicatorDefinition]:
    qs = selectors.visible_definitions(user, compact).filter(reporters=organisation)
    return list(qs.prefetch_related("categories__parent"))


def template_periods(definition: IndicatorDefinition, period: Period, compact: Compact) -> list[Period]:
    """The periods of ``definition`` a template for ``period`` asks for, within the compact's term:
    the period itself when its kind is the indicator's frequency, else those named after its year
    (2024 → 2024Q1…2024Q4 for a quarterly indicator, FY2024 for a fiscal-year one)."""
    if definition.frequency == period.kind:
        candidates = [period]
    elif definition.frequency == Kind.QUARTER:
        candidates = [parse_period(f"{period.year}Q{q}") for q in range(1, 5)]
    elif definition.frequency == Kind.FISCAL_YEAR:
        candidates = [parse_period(f"FY{period.year}")]
    else:
        candidates = [parse_period(str(period.year))]
    return [p for p in candidates if p.overlaps(compact.start_date, compact.end_date)]


def period_choices(compact: Compact) -> list[str]:
    """The years of the compact's term (a template asks for every period named after the year)."""
    start, end = compact.start_date, compact.end_date
    if start is None or end is None:
        this_year = dt.date.today().year
        return [str(y) for y in range(this_year - 2, this_year + 1)]
    return [str(y) for y in range(start.year, end.year + 1)]


def _unit_text(definition: IndicatorDefinition) -> str:
    text = str(definition.get_unit_display())
    if definition.unit == Unit.PERCENTAGE and (definition.numerator_label or definition.denominator_label):
        return _("%(unit)s: numerator = %(numerator)s; denominator = %(denominator)s") % {
            "unit": text,
            "numerator": definition.numerator_label or "?",
            "denominator": definition.denominator_label or "?",
        }
    if definition.unit_label:
        return f"{text} ({definition.unit_label})"
    return text


def _category_text(category: DisaggregationCategory | None) -> str:
    if category is None:
        return _("Total")
    label = category.label
    parent = category.parent if category.parent_id is not None else None
    if parent is not None:
        label = f"{parent.label} › {label}"
    return f"{category.get_dimension_display()}: {label}"


def _sorted_categories(definition: IndicatorDefinition) -> list[DisaggregationCategory]:
    return sorted(definition.categories.all(), key=lambda c: (c.dimension, c.country, c.order, c.code))


# =========================================================================================================
# Template
# =========================================================================================================
def build_template(
    user: User, compact: Compact, *, organisation: Organisation | None = None, period: str | int
) -> bytes:
    """The .xlsx template of ``organisation``'s values (default: the user's) for ``period`` (a year,
    or any period code). PermissionDenied without REPORT_RESULTS; ValidationError on a bad period or
    an organisation the user may not report for."""
    access = require(user, compact, Capability.REPORT_RESULTS)
    organisation = _organisation_for(user, compact, access, organisation)
    asked = parse_period(str(period))
    if not asked.overlaps(compact.start_date, compact.end_date):
        raise ValidationError({"period": [_("This period is outside the term of the compact.")]})
    definitions = _definitions(user, compact, organisation)
    plan = [(d, template_periods(d, asked, compact)) for d in definitions]
    codes = {p.code for _d, periods in plan for p in periods}
    existing = {
        (s.definition_id, s.period): s
        for s in Submission.objects.filter(
            compact=compact, organisation=organisation, definition__in=definitions, period__in=codes
        ).prefetch_related("values")
    }

    language = _language()
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook always has one worksheet
    sheet.title = SHEET_NAMES[language]
    sheet.append(KEYS)
    sheet.row_dimensions[KEY_ROW].hidden = True
    sheet.append([str(header) for _key, header in COLUMNS])
    for cell in sheet[HEADER_ROW]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    milestone = DataValidation(
        type="list",
        formula1='"0,1"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Milestone"),
        error=_("Write 1 when the milestone is achieved, 0 when it is not."),
    )
    non_negative = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Number"),
        error=_("Write a number, zero or more."),
    )
    row_number = FIRST_DATA_ROW
    for definition, periods in plan:
        inputs = UNIT_COLUMNS[definition.unit]
        categories: list[DisaggregationCategory | None] = [None, *_sorted_categories(definition)]
        for p in periods:
            submission = existing.get((definition.pk, p.code))
            values = {v.category_id: v for v in submission.values.all()} if submission else {}
            status = ""
            if submission is not None:
                status = str(submission.get_status_display())
                if submission.locked:
                    status = _("%(status)s (locked)") % {"status": status}
            for category in categories:
                value = values.get(category.pk if category else None)
                is_total = category is None
                row = {
                    "definition_id": definition.pk,
                    "category_id": category.pk if category else None,
                    "indicator": str(definition.indicator.name),
                    "unit": _unit_text(definition),
                    "category": _category_text(category),
                    "period": p.code,
                    "status": status,
                    "value": _cell_number(value.value) if value else None,
                    "numerator": _cell_number(value.numerator) if value else None,
                    "denominator": _cell_number(value.denominator) if value else None,
                    "text": (value.text or None) if value else None,
                    "comment": (submission.comment or None) if (submission and is_total) else None,
                }
                sheet.append([row[key] for key in KEYS])
                editable = {"period", "comment", *inputs} if is_total else {"period", *inputs}
                for key in KEYS:
                    cell = sheet.cell(row=row_number, column=COLUMN[key])
                    if key in editable:
                        cell.protection = UNLOCKED
                    else:
                        cell.fill = LOCKED_FILL
                    if key in ("indicator", "unit", "category", "text", "comment"):
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                    if is_total and key in ("indicator", "category"):
                        cell.font = BOLD
                for key in inputs:
                    ref = f"{get_column_letter(COLUMN[key])}{row_number}"
                    if definition.unit == Unit.MILESTONE:
                        milestone.add(ref)
                    elif key != "text":
                        non_negative.add(ref)
                row_number += 1
    for validation in (milestone, non_negative):
        if validation.sqref.ranges:
            sheet.add_data_validation(validation)
    widths = {
        "definition_id": 10,
        "category_id": 10,
        "indicator": 50,
        "unit": 28,
        "category": 28,
        "period": 10,
        "status": 14,
        "value": 12,
        "numerator": 12,
        "denominator": 12,
        "text": 40,
        "comment": 40,
    }
    for key, width in widths.items():
        sheet.column_dimensions[get_column_letter(COLUMN[key])].width = width
    sheet.freeze_panes = f"{get_column_letter(COLUMN['period'])}{FIRST_DATA_ROW}"
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.autoFilter = False
    protection.sort = False

    _instructions(workbook, compact, organisation, asked, language, row_number - FIRST_DATA_ROW)
    meta = workbook.create_sheet(META_SHEET)
    meta.append(["compact", compact.pk])
    meta.append(["organisation", organisation.pk])
    meta.append(["period", asked.code])
    meta.append(["format", FORMAT_VERSION])
    meta.sheet_state = "veryHidden"

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_number(value: Decimal | None) -> int | float | None:
    """A stored decimal as a spreadsheet number (integers stay integers)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _instructions(
    workbook: Workbook, compact: Compact, organisation: Organisation, period: Period, language: str, rows: int
) -> None:
    sheet = workbook.create_sheet(INSTRUCTION_SHEET_NAMES[language])
    values_sheet = SHEET_NAMES[language]
    lines: list[tuple[str, str]] = [
        (_("Compact"), str(compact.title)),
        (_("Reporting organisation"), str(organisation.name)),
        (_("Period"), period.code),
        (_("Prepared on"), dt.date.today().isoformat()),
        (_("Rows to fill"), str(rows)),
        ("", ""),
        (
            _("How to fill"),
            _(
                "Fill the white cells of the sheet “%(sheet)s”: one row per indicator, period and category; "
                "the total comes first, then the disaggregated parts (sex, age group, region, form of "
                "trafficking). Grey cells are locked: do not change the ids."
            )
            % {"sheet": values_sheet},
        ),
        (_("Count"), _("Write the number in “Value” (zero or more).")),
        (
            _("Percentage"),
            _(
                "Write the numerator and the denominator; Pacte computes the percentage. The numerator "
                "cannot exceed the denominator unless the indicator allows it."
            ),
        ),
        (
            _("Percentage change from the baseline"),
            _("Write the count of the period in “Value”; Pacte computes the change from the baseline."),
        ),
        (_("Milestone"), _("Write 1 when the milestone is achieved, 0 when it is not.")),
        (_("Qualitative"), _("Write the text in “Qualitative value”.")),
        (
            _("Periods"),
            _(
                "A year (2024), a quarter (2024Q1) or a US fiscal year (FY2025 = 1 October 2024 to "
                "30 September 2025), as the indicator's reporting frequency requires and within the term "
                "of the compact. You may change the period of a whole indicator's rows to report another "
                "period."
            ),
        ),
        (
            _("Empty rows"),
            _("Rows left empty are ignored: an indicator with no value for a period is not reported."),
        ),
        (_("Comment"), _("One comment per indicator and period, on the total row.")),
        (
            _("Upload"),
            _(
                "Upload the file on the page “Report values with Excel” (compact, Results, Submissions, "
                "“Report with the Excel template”). The file is saved "
                "whole or not at all: every cell with a problem is listed with its reference (for example "
                "%(sheet)s!H5). Values are saved as drafts, which you may submit for review on upload or "
                "later."
            )
            % {"sheet": values_sheet},
        ),
    ]
    for label, text in lines:
        sheet.append([label, text])
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        cell.font = BOLD
        cell.alignment = Alignment(vertical="top")
    for (cell,) in sheet.iter_rows(min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 100


# =========================================================================================================
# Upload
# =========================================================================================================
@dataclass(frozen=True)
class CellError:
    cell: str  # "Valeurs!H7"
    message: str

    def __str__(self) -> str:
        return _("%(cell)s: %(message)s") % {"cell": self.cell, "message": self.message}


class WorkbookInvalid(ValidationError):
    """Cells with problems: nothing was saved. ``cell_errors`` lists them in sheet order."""

    def __init__(self, errors: Sequence[CellError]) -> None:
        self.cell_errors = list(errors)
        super().__init__({"cells": [str(e) for e in self.cell_errors]})


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    submitted: int = 0
    submissions: list[Submission] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.created + self.updated


@dataclass
class _Row:
    number: int
    category: DisaggregationCategory | None
    value: services.ValueInput


@dataclass
class _Group:
    definition: IndicatorDefinition
    period: Period
    first_row: int
    rows: list[_Row] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    has_comment_column: bool = True


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _open(file: IO[bytes] | Any) -> Any:
    """The workbook of an uploaded file; ValidationError("file") when it is not a readable .xlsx."""
    if file is None:
        raise _file_error(_("Choose the Excel file (.xlsx) to upload."))
    name = str(getattr(file, "name", "") or "")
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_SIZE:
        raise _file_error(_("The file is too large (10 MB at most)."))
    if name and not name.lower().endswith((".xlsx", ".xlsm")):
        raise _file_error(
            _("“%(name)s” is not an Excel workbook (.xlsx): download the template and fill it.")
            % {"name": name}
        )
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read()
    if not content:
        raise _file_error(_("The file is empty."))
    if len(content) > MAX_FILE_SIZE:
        raise _file_error(_("The file is too large (10 MB at most)."))
    if not zipfile.is_zipfile(BytesIO(content)):
        raise _file_error(_("This file is not an Excel workbook (.xlsx), or it is damaged."))
    try:
        return load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise _file_error(_("This file is not an Excel workbook (.xlsx), or it is damaged.")) from exc


def _values_sheet(workbook: Any) -> Any:
    names = set(SHEET_NAMES.values())
    for sheet in workbook.worksheets:
        if sheet.title in names:
            return sheet
    raise _file_error(
        _("The workbook has no sheet “%(fr)s” or “%(en)s”: download the template and fill it.")
        % {"fr": SHEET_NAMES["fr"], "en": SHEET_NAMES["en"]}
    )


def _normalise(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def _header_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for language in ("fr", "en"):
        with translation.override(language):
            for key, header in COLUMNS:
                names.setdefault(_normalise(str(header)), key)
    for key in KEYS:
        names[key] = key
    return names


def _columns(rows: list[tuple[Any, ...]]) -> tuple[dict[str, int], int]:
    """(key → 0-based column index, 1-based number of the last header row)."""
    names = _header_names()
    for number, row in enumerate(rows[:5], start=1):
        found: dict[str, int] = {}
        for index, text in enumerate(row):
            key = names.get(_normalise(text))
            if key is not None and key not in found:
                found[key] = index
        if all(k in found for k in REQUIRED_KEYS):
            # The key row is followed by the header row of the template: skip it too.
            if number < len(rows) and all(
                names.get(_normalise(rows[number][i] if i < len(rows[number]) else None)) == k
                for k, i in found.items()
                if k in REQUIRED_KEYS
            ):
                number += 1
            return found, number
    raise _file_error(
        _(
            "The columns of the sheet were changed: the template's columns (indicator ID, category ID, "
            "period, value, numerator, denominator, qualitative value) are needed. Download the template "
            "again."
        )
    )


def _meta(workbook: Any) -> dict[str, Any]:
    if META_SHEET not in workbook.sheetnames:
        return {}
    meta: dict[str, Any] = {}
    for row in workbook[META_SHEET].iter_rows(min_row=1, max_row=10, max_col=2, values_only=True):
        if row and row[0]:
            meta[str(row[0])] = row[1] if len(row) > 1 else None
    return meta


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_decimal(raw: Any) -> Decimal:
    """A decimal from a cell (12, 12.5, "12,5", " 1 200 "); ValueError when it is not a number."""
    if isinstance(raw, bool | dt.date | dt.datetime | dt.time):
        raise ValueError(raw)
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    else:
        text = str(raw).strip().replace("\xa0", "").replace("\u202f", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(raw) from exc
    if not number.is_finite():
        raise ValueError(raw)
    return number.quantize(Decimal(1).scaleb(-VALUE_PLACES), rounding=ROUND_HALF_UP)


MAX_NUMBER = Decimal(10) ** (VALUE_DIGITS - VALUE_PLACES)


def _int_id(raw: Any) -> int | None:
    """An id cell as an integer; None when it is not a whole number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    text = str(raw).strip()
    return int(text) if text.isdigit() else None


def import_workbook(
    user: User,
    compact: Compact,
    file: IO[bytes] | Any,
    *,
    organisation: Organisation | None = None,
    submit: bool = False,
) -> ImportResult:
    """Save the values of an uploaded template as drafts of ``organisation`` (default: the one the
    workbook was made for, else the user's), creating submissions or updating editable ones; with
    ``submit``, submit them for review too. All or nothing: raises ``WorkbookInvalid`` listing every
    cell with a problem, ValidationError("file"/"organisation") when the file cannot be used,
    PermissionDenied without REPORT_RESULTS."""
    access = require(user, compact, Capability.REPORT_RESULTS)
    workbook = _open(file)
    try:
        sheet = _values_sheet(workbook)
        meta = _meta(workbook)
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if meta.get("compact") not in (None, "") and _int_id(meta["compact"]) != compact.pk:
        raise _file_error(
            _("This workbook was prepared for another compact: download this compact's template.")
        )
    if organisation is None and meta.get("organisation") not in (None, ""):
        organisation = Organisation.objects.filter(pk=_int_id(meta["organisation"]) or 0).first()
    organisation = _organisation_for(user, compact, access, organisation)
    columns, header_rows = _columns(rows)
    if len(rows) - header_rows > MAX_ROWS:
        raise _file_error(_("At most %(max)s rows can be imported at once.") % {"max": MAX_ROWS})
    checker = _Checker(user, compact, organisation, sheet.title, columns)
    for number, cells in enumerate(rows[header_rows:], start=header_rows + 1):
        checker.read_row(number, cells)
    checker.check_groups()
    return checker.save(submit=submit)


class _Checker:
    """Reads the rows, collecting every problem; then saves the groups in one transaction."""

    def __init__(
        self, user: User, compact: Compact, organisation: Organisation, sheet: str, columns: dict[str, int]
    ) -> None:
        self.user = user
        self.compact = compact
        self.organisation = organisation
        self.sheet = sheet
        self.columns = columns
        self.errors: list[tuple[int, int, CellError]] = []
        visible = selectors.visible_definitions(user, compact).prefetch_related("categories", "reporters")
        self.definitions = {d.pk: d for d in visible}
        self.groups: dict[tuple[int, str], _Group] = {}
        self.seen: dict[tuple[int, str, int | None], int] = {}
        self.existing: dict[tuple[int, str], Submission] = {}

    # -- cells ----------------------------------------------------------------------------------------
    def ref(self, key: str, row: int) -> str:
        index = self.columns.get(key, self.columns["definition_id"])
        return f"{self.sheet}!{get_column_letter(index + 1)}{row}"

    def error(self, key: str, row: int, message: str) -> None:
        column = self.columns.get(key, self.columns["definition_id"])
        self.errors.append((row, column, CellError(self.ref(key, row), message)))

    @staticmethod
    def _get(cells: tuple[Any, ...], index: int | None) -> Any:
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    def cell(self, cells: tuple[Any, ...], key: str) -> Any:
        return self._get(cells, self.columns.get(key))

    # -- rows -----------------------------------------------------------------------------------------
    def read_row(self, number: int, cells: tuple[Any, ...]) -> None:
        figures = {key: self.cell(cells, key) for key in FIGURE_KEYS}
        if all(_is_blank(v) for v in figures.values()):
            comment = self.cell(cells, "comment")
            if _is_blank(comment):
                return  # an empty row, or a template row left empty: not reported
        definition = self._definition(number, self.cell(cells, "definition_id"))
        period = self._period(number, self.cell(cells, "period"), definition)
        category = self._category(number, self.cell(cells, "category_id"), definition)
        value = self._value(number, figures, definition, category) if definition else False
        if definition is None or period is None or category is False or value is False:
            return
        assert not isinstance(category, bool) and not isinstance(value, bool)
        key = (definition.pk, period.code, category.pk if category else None)
        if key in self.seen:
            self.error(
                "category_id",
                number,
                _("Same indicator, period and category as row %(row)s.") % {"row": self.seen[key]},
            )
            return
        self.seen[key] = number
        group = self.groups.get((definition.pk, period.code))
        if group is None:
            group = self.groups[(definition.pk, period.code)] = _Group(definition, period, number)
            group.has_comment_column = "comment" in self.columns
        comment = self.cell(cells, "comment")
        if not _is_blank(comment):
            group.comments.append(str(comment))
        if value is not None:
            group.rows.append(_Row(number, category, value))

    def _definition(self, number: int, raw: Any) -> IndicatorDefinition | None:
        if _is_blank(raw):
            self.error("definition_id", number, _("The indicator ID is missing."))
            return None
        pk = _int_id(raw)
        definition = self.definitions.get(pk) if pk is not None else None
        if definition is None:
            self.error(
                "definition_id",
                number,
                _("“%(value)s” is not the ID of an indicator of this compact.") % {"value": raw},
            )
            return None
        if not any(o.pk == self.organisation.pk for o in definition.reporters.all()):
            self.error(
                "definition_id",
                number,
                _("%(organisation)s is not a reporting organisation of the indicator “%(indicator)s”.")
                % {"organisation": self.organisation.name, "indicator": definition.indicator},
            )
            return None
        return definition

    def _period(self, number: int, raw: Any, definition: IndicatorDefinition | None) -> Period | None:
        if _is_blank(raw):
            self.error("period", number, _("The period is missing."))
            return None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        try:
            period = parse_period(str(raw))
        except ValidationError as exc:
            self.error("period", number, " ".join(exc.messages))
            return None
        if definition is not None and period.kind != definition.frequency:
            self.error(
                "period",
                number,
                _("“%(period)s” is not a period of this indicator, reported: %(frequency)s.")
                % {"period": raw, "frequency": definition.get_frequency_display()},
            )
            return None
        if not period.overlaps(self.compact.start_date, self.compact.end_date):
            self.error(
                "period",
                number,
                _("%(period)s is outside the term of the compact (%(start)s – %(end)s).")
                % {
                    "period": period.code,
                    "start": _date(self.compact.start_date),
                    "end": _date(self.compact.end_date),
                },
            )
            return None
        return period

    def _category(
        self, number: int, raw: Any, definition: IndicatorDefinition | None
    ) -> DisaggregationCategory | None | bool:
        """The category (None: the total); False when the cell is wrong (reported)."""
        if _is_blank(raw):
            return None
        pk = _int_id(raw)
        if definition is None:
            return False if pk is None else None
        category = next((c for c in definition.categories.all() if c.pk == pk), None)
        if category is None:
            self.error(
                "category_id",
                number,
                _("“%(value)s” is not a disaggregation category of the indicator “%(indicator)s”.")
                % {"value": raw, "indicator": definition.indicator},
            )
            return False
        return category

    def _number(self, number: int, key: str, raw: Any) -> Decimal | None | bool:
        """The cell's number (None when blank); False when wrong (reported)."""
        if _is_blank(raw):
            return None
        try:
            value = parse_decimal(raw)
        except ValueError:
            self.error(key, number, _("“%(value)s” is not a number.") % {"value": raw})
            return False
        if abs(value) >= MAX_NUMBER:
            self.error(key, number, _("%(value)s is too large.") % {"value": raw})
            return False
        if value < 0:
            self.error(key, number, _("%(value)s is negative: write zero or more.") % {"value": raw})
            return False
        return value

    def _value(
        self,
        number: int,
        figures: dict[str, Any],
        definition: IndicatorDefinition,
        category: DisaggregationCategory | None | bool,
    ) -> services.ValueInput | None | bool:
        """The row's value; None when it has none (a comment only); False when wrong (reported)."""
        used = UNIT_COLUMNS[definition.unit]
        ok = True
        for key in FIGURE_KEYS:
            if key not in used and not _is_blank(figures[key]):
                ok = False
                self.error(key, number, _unused_message(definition, key))
        if all(_is_blank(figures[key]) for key in used):
            return None if ok else False
        cat = category if isinstance(category, DisaggregationCategory) else None
        unit = definition.unit
        if unit == Unit.QUALITATIVE:
            return services.ValueInput(category=cat, text=str(figures["text"])) if ok else False
        if unit == Unit.MILESTONE:
            raw = figures["value"]
            text = _normalise(raw)
            if isinstance(raw, int | float) and not isinstance(raw, bool) and raw in (0, 1):
                milestone = Decimal(int(raw))
            elif text in YES:
                milestone = Decimal(1)
            elif text in NO:
                milestone = Decimal(0)
            else:
                self.error(
                    "value",
                    number,
                    _("“%(value)s” is not a milestone value: write 1 (achieved) or 0 (not achieved).")
                    % {"value": raw},
                )
                return False
            return services.ValueInput(category=cat, value=milestone) if ok else False
        if unit == Unit.PERCENTAGE:
            numerator = self._number(number, "numerator", figures["numerator"])
            denominator = self._number(number, "denominator", figures["denominator"])
            if numerator is False or denominator is False:
                return False
            if numerator is None:
                self.error("numerator", number, _("Give the numerator as well as the denominator."))
                return False
            if denominator is None:
                self.error("denominator", number, _("Give the denominator as well as the numerator."))
                return False
            assert isinstance(numerator, Decimal) and isinstance(denominator, Decimal)
            if denominator == 0:
                self.error("denominator", number, _("The denominator must be more than zero."))
                return False
            if numerator > denominator and not definition.numerator_may_exceed_denominator:
                self.error(
                    "numerator",
                    number,
                    _("The numerator (%(numerator)s) is above the denominator (%(denominator)s).")
                    % {"numerator": figures["numerator"], "denominator": figures["denominator"]},
                )
                return False
            return (
                services.ValueInput(category=cat, numerator=numerator, denominator=denominator)
                if ok
                else False
            )
        value = self._number(number, "value", figures["value"])
        if value is False or value is None:
            return False
        assert isinstance(value, Decimal)
        if value != value.to_integral_value():
            self.error(
                "value",
                number,
                _("“%(value)s” is not a whole number: a count is.") % {"value": figures["value"]},
            )
            return False
        return services.ValueInput(category=cat, value=value) if ok else False

    # -- groups ---------------------------------------------------------------------------------------
    def check_groups(self) -> None:
        if not self.groups:
            return
        definitions = {d for d, _p in self.groups}
        periods = {p for _d, p in self.groups}
        self.existing = {
            (s.definition_id, s.period): s
            for s in Submission.objects.filter(
                compact=self.compact,
                organisation=self.organisation,
                definition_id__in=definitions,
                period__in=periods,
            ).prefetch_related("values")
        }
        for key, group in list(self.groups.items()):
            if not group.rows:
                del self.groups[key]  # a comment without any value: nothing to report
                continue
            if not any(r.category is None for r in group.rows):
                self.error(
                    _total_key(group.definition),
                    group.first_row,
                    _("Give the total of “%(indicator)s” for %(period)s, not only its parts.")
                    % {"indicator": group.definition.indicator, "period": group.period.code},
                )
            submission = self.existing.get(key)
            if (
                submission is not None
                and not submission.is_editable
                and not self._unchanged(group, submission)
            ):
                self.error(
                    _total_key(group.definition),
                    group.first_row,
                    _("The values of %(period)s were already %(status)s: they can no longer be changed.")
                    % {
                        "period": group.period.code,
                        "status": (
                            _("locked") if submission.locked else str(submission.get_status_display()).lower()
                        ),
                    },
                )

    def _comment(self, group: _Group, submission: Submission | None) -> str:
        if not group.has_comment_column and submission is not None:
            return submission.comment
        return "\n".join(dict.fromkeys(group.comments))

    def _unchanged(self, group: _Group, submission: Submission) -> bool:
        fields = UNIT_COLUMNS[group.definition.unit]

        def key(category_id: int | None, v: Any) -> tuple[Any, ...]:
            return (category_id, *(getattr(v, name) or ("" if name == "text" else None) for name in fields))

        stored = {key(v.category_id, v) for v in submission.values.all()}
        new = {key(r.category.pk if r.category else None, r.value) for r in group.rows}
        return stored == new and self._comment(group, submission) == submission.comment

    def _service_errors(self, group: _Group, exc: ValidationError) -> None:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for name, messages in details.items():
            key = {"period": "period", "comment": "comment", "values": _total_key(group.definition)}.get(
                name, "definition_id"
            )
            for message in messages:
                self.error(key, group.first_row, message)

    def save(self, *, submit: bool) -> ImportResult:
        result = ImportResult()
        if self.errors:
            raise self.invalid()
        with transaction.atomic():
            for key, group in sorted(self.groups.items(), key=lambda item: item[1].first_row):
                existing = self.existing.get(key)
                if existing is not None and not existing.is_editable:
                    result.unchanged += 1
                    continue
                unchanged = existing is not None and self._unchanged(group, existing)
                if unchanged and not submit:
                    result.unchanged += 1
                    continue
                try:
                    if unchanged:
                        assert existing is not None
                        submission = existing
                    else:
                        submission = services.save_submission(
                            user=self.user,
                            definition=group.definition,
                            period=group.period.code,
                            values=[r.value for r in group.rows],
                            comment=self._comment(group, existing),
                            organisation=self.organisation,
                            submission=existing,
                            version=existing.version if existing is not None else None,
                        )
                    if submit:
                        submission = services.submit(
                            user=self.user, submission=submission, version=submission.version
                        )
                        result.submitted += 1
                except ValidationError as exc:
                    self._service_errors(group, exc)
                    continue
                except PermissionDenied:
                    self.error(
                        "definition_id",
                        group.first_row,
                        _("You may not report “%(indicator)s” for %(organisation)s.")
                        % {"indicator": group.definition.indicator, "organisation": self.organisation.name},
                    )
                    continue
                if existing is None:
                    result.created += 1
                elif unchanged:
                    result.unchanged += 1
                else:
                    result.updated += 1
                result.submissions.append(submission)
            if self.errors:
                raise self.invalid()  # rolls back everything saved above
        return result

    def invalid(self) -> WorkbookInvalid:
        ordered = sorted(self.errors, key=lambda e: (e[0], e[1]))
        return WorkbookInvalid([e for _r, _c, e in ordered])


def _date(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "…"


def _total_key(definition: IndicatorDefinition) -> str:
    return UNIT_COLUMNS[definition.unit][0]


def _unused_message(definition: IndicatorDefinition, key: str) -> str:
    used = ", ".join(str(dict(COLUMNS)[k]) for k in UNIT_COLUMNS[definition.unit])
    return _("Leave this cell empty: this indicator (%(unit)s) is reported in: %(columns)s.") % {
        "unit": definition.get_unit_display(),
        "columns": used,
    }


def counts_message(result: ImportResult) -> str:
    """The success message of an upload, with its counts."""
    parts = [
        _("%(created)s new submissions, %(updated)s updated, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    ]
    if result.submitted:
        parts.append(_("%(submitted)s submitted for review.") % {"submitted": result.submitted})
    return " ".join(parts)
