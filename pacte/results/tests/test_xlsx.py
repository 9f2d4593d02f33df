"""The Excel template and its upload: round trip, every kind of bad cell, permissions."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from pacte.accounts.factories import OrganisationFactory
from pacte.results import xlsx
from pacte.results.factories import make_definition, make_submission
from pacte.results.models import IndicatorDefinition, Submission

Unit = IndicatorDefinition.Unit
Status = Submission.Status
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- helpers ---------------------------------------------------------------------------------------------
def template_url(compact: Any, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("results:template", kwargs={"pk": compact.pk}) + (f"?{query}" if query else "")


def upload_url(compact: Any) -> str:
    return reverse("results:upload", kwargs={"pk": compact.pk})


def open_book(content: bytes) -> Any:
    return load_workbook(BytesIO(content))


def values_sheet(book: Any) -> Any:
    return next(s for s in book.worksheets if s.title in ("Valeurs", "Values"))


def rows_by_key(sheet: Any) -> dict[tuple[int, int | None, str], int]:
    """(definition id, category id, period) → row number."""
    keys = [c.value for c in sheet[1]]
    col = {k: i for i, k in enumerate(keys)}
    found = {}
    for number, row in enumerate(sheet.iter_rows(min_row=3, values_only=True), start=3):
        found[(row[col["definition_id"]], row[col["category_id"]], row[col["period"]])] = number
    return found


def column(sheet: Any, key: str) -> str:
    keys = [c.value for c in sheet[1]]
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[keys.index(key)]


def fill(content: bytes, edits: dict[tuple[int, int | None, str], dict[str, Any]]) -> tuple[bytes, Any]:
    book = open_book(content)
    sheet = values_sheet(book)
    where = rows_by_key(sheet)
    for key, cells in edits.items():
        number = where[key]
        for name, value in cells.items():
            sheet[f"{column(sheet, name)}{number}"] = value
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue(), where


def append_row(content: bytes, cells: dict[str, Any]) -> tuple[bytes, int]:
    book = open_book(content)
    sheet = values_sheet(book)
    number = sheet.max_row + 1
    for name, value in cells.items():
        sheet[f"{column(sheet, name)}{number}"] = value
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue(), number


def as_file(content: bytes, name: str = "valeurs.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.fixture
def template(reporter, compact, definition, percentage_definition) -> bytes:  # type: ignore[no-untyped-def]
    return xlsx.build_template(reporter, compact, period="2024")


# -- the template ----------------------------------------------------------------------------------------
def test_template_download_lists_every_reportable_row(
    reporter_client, compact, definition, percentage_definition
):  # type: ignore[no-untyped-def]
    other = make_definition(compact, reporters=[OrganisationFactory()])  # not reported by the reporter
    response = reporter_client.get(template_url(compact, period="2024"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    book = open_book(response.content)
    sheet = values_sheet(book)
    assert sheet.title == "Valeurs"
    assert sheet.protection.sheet
    where = rows_by_key(sheet)
    female = definition.categories.get(code="female")
    assert (definition.pk, None, "2024") in where
    assert (definition.pk, female.pk, "2024") in where
    assert len([k for k in where if k[0] == definition.pk]) == 1 + definition.categories.count()
    assert len([k for k in where if k[0] == percentage_definition.pk]) == 1 + 3
    assert not [k for k in where if k[0] == other.pk]
    # The total comes first; the indicator's name and the unit are there.
    total_row = where[(definition.pk, None, "2024")]
    assert total_row < where[(definition.pk, female.pk, "2024")]
    assert sheet[f"{column(sheet, 'indicator')}{total_row}"].value == definition.indicator.name
    assert "enfants victimes identifiés" in sheet[f"{column(sheet, 'unit')}{total_row}"].value
    # Ids are locked, the count's value is open, the numerator of a count is locked.
    assert sheet[f"A{total_row}"].protection.locked
    assert not sheet[f"{column(sheet, 'value')}{total_row}"].protection.locked
    assert sheet[f"{column(sheet, 'numerator')}{total_row}"].protection.locked
    pct_row = where[(percentage_definition.pk, None, "2024")]
    assert not sheet[f"{column(sheet, 'numerator')}{pct_row}"].protection.locked
    assert not sheet[f"{column(sheet, 'denominator')}{pct_row}"].protection.locked
    assert len(book.sheetnames) == 3  # values, instructions, hidden metadata
    assert book["pacte"].sheet_state == "veryHidden"


def test_template_in_english_and_milestone_validation(reporter, compact, reporter_org):  # type: ignore[no-untyped-def]
    milestone = make_definition(compact, reporters=[reporter_org], unit=Unit.MILESTONE)
    quarterly = make_definition(
        compact, reporters=[reporter_org], frequency=IndicatorDefinition.Frequency.QUARTERLY
    )
    with translation.override("en"):
        content = xlsx.build_template(reporter, compact, period="2024")
    book = open_book(content)
    sheet = book["Values"]
    assert "Instructions" in book.sheetnames
    assert [c.value for c in sheet[2]][:3] == ["Indicator ID", "Category ID", "Indicator"]
    where = rows_by_key(sheet)
    assert {k[2] for k in where if k[0] == quarterly.pk} == {"2024Q1", "2024Q2", "2024Q3", "2024Q4"}
    row = where[(milestone.pk, None, "2024")]
    ref = f"{column(sheet, 'value')}{row}"
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"0,1"'
    assert ref in str(lists[0].sqref)


def test_template_prefills_existing_values(reporter, compact, definition, draft_submission):  # type: ignore[no-untyped-def]
    content = xlsx.build_template(reporter, compact, period="2023")
    sheet = values_sheet(open_book(content))
    where = rows_by_key(sheet)
    female = definition.categories.get(code="female")
    value = column(sheet, "value")
    assert sheet[f"{value}{where[(definition.pk, None, '2023')]}"].value == 10
    assert sheet[f"{value}{where[(definition.pk, female.pk, '2023')]}"].value == 6
    assert sheet[f"{column(sheet, 'status')}{where[(definition.pk, None, '2023')]}"].value


def test_template_bad_period_answers_400(reporter_client, compact, definition):  # type: ignore[no-untyped-def]
    response = reporter_client.get(template_url(compact, period="1999"))
    assert response.status_code == 400


# -- round trip ------------------------------------------------------------------------------------------
def test_round_trip_creates_drafts_with_the_values(  # type: ignore[no-untyped-def]
    reporter_client, reporter_org, compact, definition, percentage_definition, template
):
    female = definition.categories.get(code="female")
    male = definition.categories.get(code="male")
    pct_female = percentage_definition.categories.get(code="female")
    content, _where = fill(
        template,
        {
            (definition.pk, None, "2024"): {"value": 25, "comment": "Rapport du premier semestre"},
            (definition.pk, female.pk, "2024"): {"value": 15},
            (definition.pk, male.pk, "2024"): {"value": "10"},
            (percentage_definition.pk, None, "2024"): {"numerator": 30, "denominator": 100},
            (percentage_definition.pk, pct_female.pk, "2024"): {"numerator": "12,0", "denominator": 40},
        },
    )
    response = reporter_client.post(upload_url(compact), {"file": as_file(content)})
    assert response.status_code == 302, response.content.decode()[:2000]
    count = Submission.objects.get(definition=definition, organisation=reporter_org, period="2024")
    assert count.status == Status.DRAFT
    assert count.comment == "Rapport du premier semestre"
    values = {v.category_id: v.value for v in count.values.all()}
    assert values == {None: Decimal(25), female.pk: Decimal(15), male.pk: Decimal(10)}
    pct = Submission.objects.get(definition=percentage_definition, organisation=reporter_org, period="2024")
    parts = {v.category_id: (v.numerator, v.denominator) for v in pct.values.all()}
    assert parts == {None: (Decimal(30), Decimal(100)), pct_female.pk: (Decimal(12), Decimal(40))}
    assert response["Location"] == reverse("results:submissions", kwargs={"pk": compact.pk})
    # The page was in French (the default): so is the message.
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["Nouvelles soumissions\xa0: 2\xa0; mises à jour\xa0: 0\xa0; inchangées\xa0: 0."]


def test_round_trip_updates_an_existing_draft_and_submits(  # type: ignore[no-untyped-def]
    reporter, compact, definition, draft_submission
):
    content = xlsx.build_template(reporter, compact, period="2023")
    female = definition.categories.get(code="female")
    content, _where = fill(
        content,
        {(definition.pk, None, "2023"): {"value": 12}, (definition.pk, female.pk, "2023"): {"value": 8}},
    )
    result = xlsx.import_workbook(reporter, compact, as_file(content), submit=True)
    assert (result.created, result.updated, result.submitted) == (0, 1, 1)
    draft_submission.refresh_from_db()
    assert draft_submission.status == Status.SUBMITTED
    assert {v.category_id: v.value for v in draft_submission.values.all()}[female.pk] == Decimal(8)
    # The same file again: the submitted values did not change, so nothing to do and no error.
    again = xlsx.import_workbook(reporter, compact, as_file(content))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_unchanged_template_saves_nothing(reporter, compact, definition, draft_submission):  # type: ignore[no-untyped-def]
    version = draft_submission.version
    content = xlsx.build_template(reporter, compact, period="2023")
    result = xlsx.import_workbook(reporter, compact, as_file(content))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    draft_submission.refresh_from_db()
    assert draft_submission.version == version


def test_empty_template_saves_nothing(reporter, compact, template):  # type: ignore[no-untyped-def]
    result = xlsx.import_workbook(reporter, compact, as_file(template))
    assert result.saved == 0
    assert not Submission.objects.exists()


def test_changing_a_submitted_value_is_refused(reporter, compact, definition, submitted_submission):  # type: ignore[no-untyped-def]
    content = xlsx.build_template(reporter, compact, period="2024")
    content, where = fill(content, {(definition.pk, None, "2024"): {"value": 99}})
    with pytest.raises(xlsx.WorkbookInvalid) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    sheet = values_sheet(open_book(content))
    row = where[(definition.pk, None, "2024")]
    assert [e.cell for e in caught.value.cell_errors] == [f"Valeurs!{column(sheet, 'value')}{row}"]


def test_officer_reports_on_behalf_of_the_organisation_of_the_workbook(  # type: ignore[no-untyped-def]
    officer_client, officer, reporter_org, compact, definition
):
    response = officer_client.get(template_url(compact, period="2025", organisation=reporter_org.pk))
    assert response.status_code == 200
    content, _where = fill(response.content, {(definition.pk, None, "2025"): {"value": 3}})
    response = officer_client.post(upload_url(compact), {"file": as_file(content), "submit": "on"})
    assert response.status_code == 302
    submission = Submission.objects.get(definition=definition, period="2025")
    assert submission.organisation == reporter_org
    assert submission.status == Status.SUBMITTED


def test_reporter_cannot_use_a_workbook_of_another_organisation(  # type: ignore[no-untyped-def]
    officer, reporter, other_reporter_org, compact, definition
):
    content = xlsx.build_template(officer, compact, organisation=other_reporter_org, period="2025")
    content, _where = fill(content, {(definition.pk, None, "2025"): {"value": 3}})
    with pytest.raises(ValidationError) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    assert "organisation" in caught.value.message_dict
    assert not Submission.objects.exists()


# -- every bad cell --------------------------------------------------------------------------------------
def test_every_bad_cell_is_reported_and_nothing_is_saved(  # type: ignore[no-untyped-def]
    reporter_client,
    compact,
    definition,
    percentage_definition,
    other_reporter_org,
    standard_categories,
    template,
):
    not_ours = make_definition(compact, reporters=[other_reporter_org])
    female = definition.categories.get(code="female")
    content, where = fill(
        template,
        {
            # A good group, which must not be saved either.
            (definition.pk, None, "2024"): {"value": 5},
            (definition.pk, female.pk, "2024"): {"value": "cinq"},  # wrong type
            (percentage_definition.pk, None, "2024"): {"numerator": 50, "denominator": 20},  # num > den
        },
    )
    content, unknown = append_row(content, {"definition_id": 999999, "period": "2024", "value": 1})
    content, malformed = append_row(content, {"definition_id": definition.pk, "period": "2024Q5", "value": 1})
    content, outside = append_row(content, {"definition_id": definition.pk, "period": "2031", "value": 1})
    region = standard_categories["abidjan"]
    content, undefined = append_row(
        content, {"definition_id": definition.pk, "category_id": region.pk, "period": "2024", "value": 1}
    )
    content, duplicate = append_row(content, {"definition_id": definition.pk, "period": "2024", "value": 7})
    content, foreign = append_row(content, {"definition_id": not_ours.pk, "period": "2024", "value": 1})
    sheet = values_sheet(open_book(content))
    value, numerator, period = column(sheet, "value"), column(sheet, "numerator"), column(sheet, "period")

    response = reporter_client.post(upload_url(compact), {"file": as_file(content)})

    assert response.status_code == 400
    cells = {e.cell: e.message for e in response.context["cell_errors"]}
    expected = {
        f"Valeurs!{value}{where[(definition.pk, female.pk, '2024')]}": "cinq",
        f"Valeurs!{numerator}{where[(percentage_definition.pk, None, '2024')]}": "50",
        f"Valeurs!A{unknown}": "999999",
        f"Valeurs!{period}{malformed}": "2024Q5",
        f"Valeurs!{period}{outside}": "2031",
        f"Valeurs!B{undefined}": str(region.pk),
        f"Valeurs!B{duplicate}": str(where[(definition.pk, None, "2024")]),
        f"Valeurs!A{foreign}": "Association Enfance Protégée",  # the reporter's organisation
    }
    assert set(cells) == set(expected), cells
    for cell, fragment in expected.items():
        assert fragment in cells[cell]
    content_text = response.content.decode()
    assert f"Valeurs!{period}{malformed}" in content_text
    assert not Submission.objects.exists()


def test_errors_found_by_the_services_roll_back_the_whole_file(  # type: ignore[no-untyped-def]
    reporter, compact, definition, percentage_definition, template
):
    female = definition.categories.get(code="female")
    # A part without its total (checked here) and a good group (saved, then rolled back).
    content, where = fill(
        template,
        {
            (definition.pk, female.pk, "2024"): {"value": 2},
            (percentage_definition.pk, None, "2024"): {"numerator": 1, "denominator": 2},
        },
    )
    with pytest.raises(xlsx.WorkbookInvalid) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    sheet = values_sheet(open_book(content))
    assert [e.cell for e in caught.value.cell_errors] == [
        f"Valeurs!{column(sheet, 'value')}{where[(definition.pk, female.pk, '2024')]}"
    ]
    assert not Submission.objects.exists()


def test_a_count_must_be_a_whole_non_negative_number(reporter, compact, definition, template):  # type: ignore[no-untyped-def]
    male = definition.categories.get(code="male")
    content, where = fill(
        template,
        {(definition.pk, None, "2024"): {"value": 2.5}, (definition.pk, male.pk, "2024"): {"value": -1}},
    )
    with pytest.raises(xlsx.WorkbookInvalid) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    assert len(caught.value.cell_errors) == 2


def test_value_in_a_column_the_unit_does_not_use(reporter, compact, percentage_definition, template):  # type: ignore[no-untyped-def]
    content, where = fill(template, {(percentage_definition.pk, None, "2024"): {"value": 30}})
    with pytest.raises(xlsx.WorkbookInvalid) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    sheet = values_sheet(open_book(content))
    assert caught.value.cell_errors[0].cell == (
        f"Valeurs!{column(sheet, 'value')}{where[(percentage_definition.pk, None, '2024')]}"
    )


def test_errors_in_english(reporter, compact, definition, template):  # type: ignore[no-untyped-def]
    content, where = fill(template, {(definition.pk, None, "2024"): {"value": "abc", "period": "20x4"}})
    with translation.override("en"), pytest.raises(xlsx.WorkbookInvalid) as caught:
        xlsx.import_workbook(reporter, compact, as_file(content))
    messages = [e.message for e in caught.value.cell_errors]
    assert any("is not a period" in m for m in messages)


def test_workbook_of_another_compact_is_refused(reporter, reporter_org, compact, definition, template):  # type: ignore[no-untyped-def]
    from pacte.compacts.factories import make_compact_with_parties
    from pacte.compacts.models import Participation

    other = make_compact_with_parties()
    Participation.objects.create(
        compact=other, organisation=reporter_org, role=Participation.Role.IMPLEMENTING_PARTNER
    )
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        xlsx.import_workbook(reporter, other, as_file(template))
    assert "another compact" in caught.value.message_dict["file"][0]
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("valeurs.csv", b"definition_id;value\n1;2\n", ".xlsx"),
        ("valeurs.xlsx", b"this is not a zip file", "damaged"),
        ("valeurs.xlsx", b"", "empty"),
    ],
)
def test_non_xlsx_or_corrupt_files_are_refused(reporter_client, compact, definition, name, content, fragment):  # type: ignore[no-untyped-def]
    with translation.override("en"):
        response = reporter_client.post(
            upload_url(compact),
            {"file": SimpleUploadedFile(name, content)},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    errors = response.context["upload_form"].errors
    assert "file" in errors


def test_workbook_without_the_values_sheet(reporter, compact, definition):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Feuil1"
    buffer = BytesIO()
    book.save(buffer)
    with pytest.raises(ValidationError) as caught:
        xlsx.import_workbook(reporter, compact, as_file(buffer.getvalue()))
    assert "file" in caught.value.message_dict


# -- permissions -----------------------------------------------------------------------------------------
def test_upload_page_for_a_reporter(reporter_client, compact, definition):  # type: ignore[no-untyped-def]
    response = reporter_client.get(upload_url(compact))
    assert response.status_code == 200
    assert "organisation" not in response.context["upload_form"].fields
    assert reverse("results:template", kwargs={"pk": compact.pk}) in response.content.decode()


def test_officer_chooses_the_organisation(officer_client, compact, definition, reporter_org):  # type: ignore[no-untyped-def]
    response = officer_client.get(upload_url(compact))
    assert response.status_code == 200
    choices = list(response.context["upload_form"].fields["organisation"].queryset)
    assert reporter_org in choices


def test_observer_may_not_download_or_upload(observer_client, compact, definition, template):  # type: ignore[no-untyped-def]
    assert observer_client.get(upload_url(compact)).status_code == 403
    assert observer_client.get(template_url(compact, period="2024")).status_code == 403
    response = observer_client.post(upload_url(compact), {"file": as_file(template)})
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_outsider_gets_404(outsider_client, compact, definition, template):  # type: ignore[no-untyped-def]
    assert outsider_client.get(upload_url(compact)).status_code == 404
    assert outsider_client.get(template_url(compact, period="2024")).status_code == 404
    assert outsider_client.post(upload_url(compact), {"file": as_file(template)}).status_code == 404
    assert not Submission.objects.exists()


def test_observer_service_level(observer, compact, definition, template):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        xlsx.build_template(observer, compact, period="2024")
    with pytest.raises(PermissionDenied):
        xlsx.import_workbook(observer, compact, as_file(template))


def test_template_query_count_stays_fixed(reporter, reporter_org, compact, standard_categories):  # type: ignore[no-untyped-def]
    parts = [standard_categories["female"], standard_categories["male"], standard_categories["age-15-17"]]

    def grow(n: int) -> None:
        for _i in range(n):
            d = make_definition(compact, reporters=[reporter_org], categories=parts)
            make_submission(d, reporter_org, "2024", total=3, parts={"female": 1}, status=Status.DRAFT)

    def measure() -> int:
        with CaptureQueriesContext(connection) as context:
            xlsx.build_template(reporter, compact, period="2024")
        return len(context.captured_queries)

    grow(2)
    measure()
    small = measure()
    grow(6)
    assert measure() == small


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_parse_decimal_reads_numbers_as_written(number):  # type: ignore[no-untyped-def]
    text = f"{number:f}"
    assert xlsx.parse_decimal(text) == number
    assert xlsx.parse_decimal(text.replace(".", ",")) == number
    assert xlsx.parse_decimal(float(text)) == number.quantize(Decimal("0.0001"))


@pytest.mark.parametrize("raw", ["abc", "1.2.3", True, "", "nan", "inf"])
def test_parse_decimal_refuses_what_is_not_a_number(raw):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        xlsx.parse_decimal(raw)
