"""The portfolio workbook for finance staff, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from pacte.compacts.factories import make_compact_with_parties
from pacte.grants import models
from pacte.grants.exports import portfolio_xlsx
from pacte.grants.factories import ceiling, make_award, ngo

SHEETS = ["Awards", "Transactions", "Budgets", "By compact"]


def workbook(user: Any) -> Workbook:
    with translation.override("en"):
        body = portfolio_xlsx(user)
    return load_workbook(BytesIO(body))


def rows(book: Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


@pytest.fixture
def money(award, compact):  # type: ignore[no-untyped-def]
    """``award`` with a commitment, a disbursement and an expenditure in XOF, two budgets; a second
    compact with an award to another NGO (not the applicant's)."""
    for kind, day, amount, currency, rate, usd in (
        ("2", dt.date(2024, 1, 15), "1000000", "USD", None, "1000000"),
        ("3", dt.date(2024, 2, 1), "400000", "USD", None, "400000"),
        ("4", dt.date(2024, 6, 30), "62500000", "XOF", Decimal("0.0016"), "100000"),
    ):
        models.Transaction.objects.create(
            award=award,
            kind=kind,
            date=day,
            amount=Decimal(amount),
            currency=currency,
            rate_to_usd=rate,
            amount_usd=Decimal(usd),
        )
    models.Budget.objects.create(
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=Decimal("400000"),
        value_date=dt.date(2024, 1, 1),
    )
    models.Budget.objects.create(
        award=award,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        amount=Decimal("250000000"),
        currency="XOF",
        rate_to_usd=Decimal("0.0016"),
        value_date=dt.date(2025, 1, 1),
    )
    other_compact = make_compact_with_parties(title="Pacte Ghana", country="GHA")
    ceiling(other_compact, 5_000_000)
    other = make_award(
        other_compact, reference="OTHER0001", title='=HYPERLINK("x")', organisation=ngo("Autre")
    )
    return {"award": award, "other": other}


def test_officer_workbook(money, officer) -> None:  # type: ignore[no-untyped-def]
    book = workbook(officer)
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= 10

    awards = rows(book, "Awards")
    assert awards[0] == (
        "Reference",
        "Title",
        "Implementing partner",
        "Compact",
        "Programme type",
        "Instrument",
        "Start",
        "End",
        "Amount (USD)",
        "Committed (USD)",
        "Disbursed (USD)",
        "Expended (USD)",
        "Burn rate",
    )
    by_reference = {r[0]: r for r in awards[1:]}
    assert set(by_reference) == {money["award"].reference, "OTHER0001"}
    row = by_reference[money["award"].reference]
    assert row[2] == "ONG Enfance Protégée"
    assert row[4] == "Child Protection Compact"
    assert row[5] == "Grant"
    assert row[6] == dt.datetime(2024, 1, 1)  # a date, not text
    assert row[8:12] == (1_000_000, 1_000_000, 400_000, 100_000)
    assert row[12] == pytest.approx(0.25)
    [cells] = [r for r in book["Awards"].iter_rows(min_row=2) if r[0].value == money["award"].reference]
    assert cells[8].number_format == "#,##0.00"
    assert cells[6].is_date
    assert cells[12].number_format == "0.0%"
    # A title that looks like a formula stays text.
    assert by_reference["OTHER0001"][1] == '=HYPERLINK("x")'
    [other] = [r for r in book["Awards"].iter_rows(min_row=2) if r[0].value == "OTHER0001"]
    assert other[1].data_type == "s"

    transactions = rows(book, "Transactions")
    assert transactions[0][:7] == (
        "Award",
        "Type",
        "Date",
        "Amount",
        "Currency",
        "Rate (USD per unit)",
        "Amount (USD)",
    )
    assert [(t[1], t[3], t[4], t[6]) for t in transactions[1:]] == [
        ("Commitment", 1_000_000, "USD", 1_000_000),
        ("Disbursement", 400_000, "USD", 400_000),
        ("Expenditure", 62_500_000, "XOF", 100_000),
    ]
    assert transactions[3][5] == pytest.approx(0.0016)

    budgets = rows(book, "Budgets")
    assert [(b[0], b[4], b[5], b[7]) for b in budgets[1:]] == [
        (money["award"].reference, 400_000, "USD", 400_000),
        (money["award"].reference, 250_000_000, "XOF", 400_000),
    ]
    assert budgets[1][2] == dt.datetime(2024, 1, 1)

    by_compact = rows(book, "By compact")
    assert by_compact[0][:4] == ("Compact", "US ceiling (USD)", "Awarded (USD)", "Share of the ceiling")
    figures = {r[0]: r for r in by_compact[1:]}
    compact_row = figures[money["award"].compact.title]
    assert compact_row[1:3] == (10_000_000, 1_000_000)
    assert compact_row[3] == pytest.approx(0.10)
    assert compact_row[7] == 1
    assert figures["Pacte Ghana"][1:3] == (5_000_000, 1_000_000)
    total = by_compact[-1]
    assert total[0] == "Total"
    assert total[2] == 2_000_000
    assert book["By compact"].cell(row=len(by_compact), column=1).font.bold


def test_partner_sees_only_its_awards(money, applicant) -> None:  # type: ignore[no-untyped-def]
    book = workbook(applicant)
    assert [r[0] for r in rows(book, "Awards")[1:]] == [money["award"].reference]
    assert {r[0] for r in rows(book, "Transactions")[1:]} == {money["award"].reference}
    assert {r[0] for r in rows(book, "Budgets")[1:]} == {money["award"].reference}
    assert "Pacte Ghana" not in {r[0] for r in rows(book, "By compact")}


def test_outsider_gets_headers_only(money, outsider) -> None:  # type: ignore[no-untyped-def]
    book = workbook(outsider)
    assert book.sheetnames == SHEETS
    assert len(rows(book, "Awards")) == 1
    assert len(rows(book, "Transactions")) == 1
    assert len(rows(book, "Budgets")) == 1
    body = portfolio_xlsx(outsider)
    assert money["award"].reference.encode() not in body
    assert b"OTHER0001" not in body


def test_headers_follow_the_language(money, officer) -> None:  # type: ignore[no-untyped-def]
    with translation.override("fr"):
        book = load_workbook(BytesIO(portfolio_xlsx(officer)))
    headers = [c.value for c in book.worksheets[0][1]]
    # Strings the French catalogue already translates.
    assert headers[1] == "Titre"
    assert headers[2] == "Partenaire d'exécution"
    assert headers[3] == "Pacte"


def test_control_characters_do_not_break_the_workbook(money, officer) -> None:  # type: ignore[no-untyped-def]
    award = money["award"]
    award.title = "Projet\x0c pilote"
    award.save(update_fields=["title"])
    titles = {r[0]: r[1] for r in rows(workbook(officer), "Awards")[1:]}
    assert titles[award.reference] == "Projet pilote"
