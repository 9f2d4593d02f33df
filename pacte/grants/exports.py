"""The grants portfolio as an Excel workbook (XLSX) for finance staff.

Sheets, for the awards the user may see (``selectors.visible_awards``) only:

* **Awards**: reference, title, partner, compact, programme type, instrument, start, end, amount,
  committed, disbursed and expended (USD) and the burn rate (expended / disbursed);
* **Transactions**: award, type, date, amount, currency, rate to USD, amount in USD;
* **Budgets**: award, type, period, amount, currency, rate, amount in USD, value date;
* **By compact**: each compact's US ceiling against the amounts awarded, committed, disbursed and
  expended (``selectors.portfolio``), with the total.

Headers are in the current language, bold, and frozen; numbers and dates are stored as numbers and
dates with number formats. The workbook is written in openpyxl's write-only mode, rows streamed from
the database, so that a large portfolio does not hold every cell in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING, Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from . import selectors
from .models import Award, Budget, ProgrammeType, Transaction, to_usd

if TYPE_CHECKING:
    from pacte.accounts.models import User

MONEY = "#,##0.00"
RATE = "0.00000000"
DATE = "yyyy-mm-dd"
PERCENT = "0.0%"
INTEGER = "0"
BOLD = Font(bold=True)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ROWS_PER_FETCH = 2000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    number_format: str | None = None


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _sheet(workbook: Workbook, title: str, columns: Sequence[Column]) -> WriteOnlyWorksheet:
    """A write-only sheet with its widths, bold header row, frozen below the header."""
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = BOLD
        cell.alignment = HEADER_ALIGNMENT
        header.append(cell)
    sheet.append(header)
    return sheet


def _row(
    sheet: WriteOnlyWorksheet, columns: Sequence[Column], values: Iterable[Any], bold: bool = False
) -> None:
    """One row: numbers and dates with their column's number format, text always as text. Plain
    values where no style is needed (a styled cell costs several times more to write)."""
    cells: list[Any] = []
    for column, value in zip(columns, values, strict=True):
        if isinstance(value, str):
            # Characters a worksheet cannot hold (pasted control characters) are dropped.
            value = ILLEGAL_CHARACTERS_RE.sub("", value) or None  # an empty cell rather than ""
        styled = bold or (
            value is not None and column.number_format is not None and not isinstance(value, str)
        )
        if not styled and not (isinstance(value, str) and value.startswith("=")):
            cells.append(value)
            continue
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            # Text stays text: a title starting with "=" is not a formula.
            cell.data_type = "s"
        elif value is not None and column.number_format:
            cell.number_format = column.number_format
        if bold:
            cell.font = BOLD
        cells.append(cell)
    sheet.append(cells)


def _fraction(percent: Decimal | None) -> Decimal | None:
    """A percentage (0–100) as the fraction Excel's percent format expects."""
    return None if percent is None else percent / HUNDRED


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def _award_columns() -> list[Column]:
    return [
        Column(_("Reference"), 18),
        Column(_("Title"), 40),
        Column(_("Implementing partner"), 30),
        Column(_("Compact"), 30),
        Column(_("Programme type"), 26),
        Column(_("Instrument"), 20),
        Column(_("Start"), 12, DATE),
        Column(_("End"), 12, DATE),
        Column(_("Amount (USD)"), 16, MONEY),
        Column(_("Committed (USD)"), 16, MONEY),
        Column(_("Disbursed (USD)"), 16, MONEY),
        Column(_("Expended (USD)"), 16, MONEY),
        Column(_("Burn rate"), 10, PERCENT),
    ]


def _write_awards(workbook: Workbook, awards: Any) -> None:
    columns = _award_columns()
    sheet = _sheet(workbook, _("Awards"), columns)
    money = {
        row["award_id"]: row
        for row in Transaction.objects.filter(award_id__in=awards.values("pk"))
        .order_by()
        .values("award_id")
        .annotate(
            committed=Sum("amount_usd", filter=Q(kind=Transaction.Kind.COMMITMENT)),
            disbursed=Sum("amount_usd", filter=Q(kind=Transaction.Kind.DISBURSEMENT)),
            expended=Sum("amount_usd", filter=Q(kind=Transaction.Kind.EXPENDITURE)),
        )
    }
    rows = (
        Award.objects.filter(pk__in=awards.values("pk"))
        .order_by("reference")
        .values_list(
            "pk",
            "reference",
            "title",
            "organisation__name",
            "compact__title",
            "programme_type",
            "instrument",
            "start_date",
            "end_date",
            "amount",
        )
    )
    for pk, reference, title, partner, compact, programme, instrument, start, end, amount in rows.iterator(
        chunk_size=ROWS_PER_FETCH
    ):
        figures = money.get(pk, {})
        committed = figures.get("committed") or ZERO
        disbursed = figures.get("disbursed") or ZERO
        expended = figures.get("expended") or ZERO
        _row(
            sheet,
            columns,
            [
                reference,
                title,
                partner,
                compact,
                _label(ProgrammeType, programme),
                _label(Award.Instrument, instrument),
                start,
                end,
                amount,
                committed,
                disbursed,
                expended,
                _ratio(expended, disbursed),
            ],
        )


def _write_transactions(workbook: Workbook, awards: Any) -> None:
    columns = [
        Column(_("Award"), 18),
        Column(_("Type"), 16),
        Column(_("Date"), 12, DATE),
        Column(_("Amount"), 16, MONEY),
        Column(_("Currency"), 10),
        Column(_("Rate (USD per unit)"), 16, RATE),
        Column(_("Amount (USD)"), 16, MONEY),
        Column(_("Reference"), 20),
        Column(_("Description"), 40),
    ]
    sheet = _sheet(workbook, _("Transactions"), columns)
    kinds = {kind: str(label) for kind, label in Transaction.Kind.choices}
    rows = (
        Transaction.objects.filter(award_id__in=awards.values("pk"))
        .order_by("award__reference", "date", "pk")
        .values_list(
            "award__reference",
            "kind",
            "date",
            "amount",
            "currency",
            "rate_to_usd",
            "amount_usd",
            "reference",
            "description",
        )
    )
    for award, kind, day, amount, currency, rate, amount_usd, reference, description in rows.iterator(
        chunk_size=ROWS_PER_FETCH
    ):
        _row(
            sheet,
            columns,
            [
                award,
                kinds.get(kind, kind),
                day,
                amount,
                currency,
                rate,
                amount_usd,
                reference,
                description,
            ],
        )


def _write_budgets(workbook: Workbook, awards: Any) -> None:
    columns = [
        Column(_("Award"), 18),
        Column(_("Type"), 12),
        Column(_("Period start"), 12, DATE),
        Column(_("Period end"), 12, DATE),
        Column(_("Amount"), 16, MONEY),
        Column(_("Currency"), 10),
        Column(_("Rate (USD per unit)"), 16, RATE),
        Column(_("Amount (USD)"), 16, MONEY),
        Column(_("Value date"), 12, DATE),
    ]
    sheet = _sheet(workbook, _("Budgets"), columns)
    rows = (
        Budget.objects.filter(award_id__in=awards.values("pk"))
        .order_by("award__reference", "period_start", "kind", "pk")
        .values_list(
            "award__reference",
            "kind",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "rate_to_usd",
            "value_date",
        )
    )
    for award, kind, start, end, amount, currency, rate, value_date in rows.iterator(
        chunk_size=ROWS_PER_FETCH
    ):
        _row(
            sheet,
            columns,
            [
                award,
                _label(Budget.Kind, kind),
                start,
                end,
                amount,
                currency,
                rate,
                to_usd(amount, currency, rate),
                value_date,
            ],
        )


def _write_by_compact(workbook: Workbook, user: User | None) -> None:
    columns = [
        Column(_("Compact"), 40),
        Column(_("US ceiling (USD)"), 18, MONEY),
        Column(_("Awarded (USD)"), 18, MONEY),
        Column(_("Share of the ceiling"), 12, PERCENT),
        Column(_("Committed (USD)"), 18, MONEY),
        Column(_("Disbursed (USD)"), 18, MONEY),
        Column(_("Expended (USD)"), 18, MONEY),
        Column(_("Awards"), 10, INTEGER),
    ]
    sheet = _sheet(workbook, _("By compact"), columns)
    portfolio = selectors.portfolio(user, group_by="compact")
    for row in [*portfolio.rows, portfolio.total]:
        _row(
            sheet,
            columns,
            [
                str(row.label),
                row.ceiling,
                row.awarded,
                _fraction(row.share_of_ceiling),
                row.committed,
                row.disbursed,
                row.expended,
                row.awards,
            ],
            bold=row is portfolio.total,
        )


def portfolio_xlsx(user: User | None) -> bytes:
    """The awards ``user`` may see, their transactions and budgets, and the compacts' ceilings, as an
    XLSX file (bytes)."""
    workbook = Workbook(write_only=True)
    awards = selectors.visible_awards(user)
    _write_awards(workbook, awards)
    _write_transactions(workbook, awards)
    _write_budgets(workbook, awards)
    _write_by_compact(workbook, user)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def filename(today: dt.date) -> str:
    return f"grants-portfolio-{today.isoformat()}.xlsx"
