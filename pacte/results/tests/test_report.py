"""The annual report: data, the Word document and the PDF read back, both languages, the command.

Arrangement (``report_data`` fixture), on the root ``compact`` (term 2022–2027), year 2023:

* ``definition`` (count, prevention): target 2023 = 1500; ``reporter_org`` approved 1234 for 2023;
  ``other_reporter_org`` only *submitted* 777 for 2023 (must appear nowhere);
* ``percentage_definition``: approved 30/100 and 10/20 → 33.3 % (not 40 %);
* a non-public indicator with an approved value (the observer's report must not show it);
* an objective without indicators, an indicator without definition (the gaps);
* narrative sections: progress toward ``definition``'s objective by ``reporter_org``, difficulties
  by ``other_reporter_org``.
"""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal

import docx
import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from pacte.compacts.factories import IndicatorFactory, ObjectiveFactory
from pacte.compacts.models import Pillar
from pacte.core.models import Visibility
from pacte.results import models, report
from pacte.results.factories import NarrativeSectionFactory, TargetFactory, make_definition, make_submission
from pacte.results.management.commands.annual_report import system_user

pytestmark = pytest.mark.django_db

YEAR = 2023
SUBMITTED_ONLY = "777"
NON_PUBLIC_NAME = "Indicateur confidentiel des poursuites"
PROGRESS_TEXT = "Les comités de vigilance ont identifié des enfants dans trois régions."
DIFFICULTIES_TEXT = "Le manque de véhicules a retardé les missions."


@pytest.fixture
def report_data(compact, definition, percentage_definition, reporter_org, other_reporter_org):  # type: ignore[no-untyped-def]
    TargetFactory(definition=definition, year=YEAR, value=Decimal("1500"))
    make_submission(definition, reporter_org, str(YEAR), total=1234)
    make_submission(
        definition,
        other_reporter_org,
        str(YEAR),
        total=int(SUBMITTED_ONLY),
        status=models.Submission.Status.SUBMITTED,
    )
    make_submission(percentage_definition, reporter_org, str(YEAR), total=(30, 100))
    make_submission(percentage_definition, other_reporter_org, str(YEAR), total=(10, 20))

    secret_objective = ObjectiveFactory(compact=compact, pillar=Pillar.PROSECUTION)
    secret = IndicatorFactory(
        objective=secret_objective, name=NON_PUBLIC_NAME, visibility=Visibility.NON_PUBLIC
    )
    secret_definition = make_definition(indicator=secret, reporters=[reporter_org])
    make_submission(secret_definition, reporter_org, str(YEAR), total=55)

    empty_objective = ObjectiveFactory(
        compact=compact, pillar=Pillar.PARTNERSHIP, statement="Objectif sans mesure"
    )
    undefined = IndicatorFactory(objective=empty_objective, name="Indicateur jamais défini")
    ObjectiveFactory(compact=compact, pillar=Pillar.PROTECTION, statement="Objectif orphelin d'indicateurs")

    NarrativeSectionFactory(
        compact=compact,
        year=YEAR,
        organisation=reporter_org,
        kind=models.NarrativeSection.Kind.PROGRESS,
        objective=definition.indicator.objective,
        text=PROGRESS_TEXT,
    )
    NarrativeSectionFactory(
        compact=compact,
        year=YEAR,
        organisation=other_reporter_org,
        kind=models.NarrativeSection.Kind.DIFFICULTIES,
        text=DIFFICULTIES_TEXT,
    )
    return {"undefined": undefined, "secret": secret}


def docx_text(content: bytes) -> tuple[docx.document.Document, str]:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return document, normalise("\n".join(parts))


def pdf_text(content: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    # Table cells wrap: compare with every run of white space as one space.
    text = normalise("\n".join(page.extract_text() for page in reader.pages))
    return reader, re.sub(r"\s+", " ", text)


def normalise(text: str) -> str:
    """Non-breaking and narrow spaces (French thousands, before %) as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def headings(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def table_rows(document: docx.document.Document) -> list[list[str]]:
    return [[normalise(c.text) for c in row.cells] for table in document.tables for row in table.rows[1:]]


def row_of(rows: list[list[str]], name: str) -> list[str]:
    return next(r for r in rows if r[1].startswith(name))


# -- the Word document -----------------------------------------------------------------------------------
def test_docx_french(
    report_data, officer, compact, definition, percentage_definition, reporter_org, other_reporter_org
):  # type: ignore[no-untyped-def]
    data = report.build_report(officer, compact, YEAR, "fr")
    document, text = docx_text(report.render_docx(data))

    titles = headings(document)
    with translation.override("fr"):
        assert compact.title in titles
        assert f"{gettext('Annual report')} {YEAR}" in titles
        for label in (gettext("Narrative report"), gettext("Performance indicators"), gettext("Gaps")):
            assert label in titles
        for _kind, label in models.NarrativeSection.Kind.choices:
            assert str(label) in titles
        assert "Prévention" in titles  # pillar headings in French
        expected_columns = report._columns(YEAR)

    # Real Word tables with a header row repeated on every page.
    assert document.tables
    for table in document.tables:
        assert [c.text for c in table.rows[0].cells] == expected_columns
        assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")

    rows = table_rows(document)
    count_row = row_of(rows, definition.indicator.name)
    assert count_row[3] == "1 500"  # target, French grouping
    assert count_row[4] == "1 234"  # the approved actual
    assert count_row[5] == "-266"  # variance = actual - target
    assert SUBMITTED_ONLY not in text  # a submitted value never counts
    assert "2 011" not in text  # nor does it add to the approved one
    percent_row = row_of(rows, percentage_definition.indicator.name)
    assert percent_row[4] == "33,3 %"

    # Narrative sections, each with the organisation that wrote it.
    assert PROGRESS_TEXT in text and DIFFICULTIES_TEXT in text
    assert reporter_org.name in text and other_reporter_org.name in text
    # Gaps
    assert "Objectif orphelin d'indicateurs" in text
    assert "Indicateur jamais défini" in text
    # The officer sees non-public indicators.
    assert NON_PUBLIC_NAME in text
    # Cover: country and date of generation; no demonstration notice without demonstration data.
    assert compact.country_name in text
    with translation.override("fr"):
        assert gettext("Demonstration data: this report counts demonstration values") not in text
    assert document.core_properties.language == "fr"
    # Page numbers: PAGE and NUMPAGES fields in the footer.
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert " PAGE " in footer and " NUMPAGES " in footer


def test_docx_english(report_data, officer, compact, definition, percentage_definition):  # type: ignore[no-untyped-def]
    data = report.build_report(officer, compact, YEAR, "en")
    document, text = docx_text(report.render_docx(data))
    titles = headings(document)
    assert "Prevention" in titles
    assert "Annual report 2023" in titles
    assert "Performance indicators" in titles
    assert [c.text for c in document.tables[0].rows[0].cells][3:5] == ["Target 2023", "Actual 2023"]
    rows = table_rows(document)
    assert row_of(rows, definition.indicator.name)[3:6] == ["1,500", "1,234", "-266"]
    assert row_of(rows, percentage_definition.indicator.name)[4] == "33.3%"
    assert SUBMITTED_ONLY not in text
    assert document.core_properties.language == "en"
    # The language switch does not leak out of the report.
    assert translation.get_language() == "fr"


def test_observer_report_has_public_data_only(report_data, observer, compact, definition):  # type: ignore[no-untyped-def]
    data = report.build_report(observer, compact, YEAR, "fr")
    _document, text = docx_text(report.render_docx(data))
    assert definition.indicator.name in text
    assert "1 234" in text
    assert NON_PUBLIC_NAME not in text
    assert "55" not in [cell for row in table_rows(_document) for cell in row]


def test_outsider_gets_no_report(report_data, outsider, compact):  # type: ignore[no-untyped-def]
    from django.http import Http404

    with pytest.raises(Http404):
        report.build_report(outsider, compact, YEAR, "fr")


def test_demonstration_notice(compact, definition, reporter_org, officer):  # type: ignore[no-untyped-def]
    make_submission(definition, reporter_org, str(YEAR), total=12, is_demo=True)
    data = report.build_report(officer, compact, YEAR, "en")
    assert data.is_demo
    _document, text = docx_text(report.render_docx(data))
    assert "Demonstration data" in text
    _reader, pdf = pdf_text(report.render_pdf(data))
    assert "Demonstration data" in pdf


# -- the PDF ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "target", "actual", "percent", "pillar"),
    [("fr", "1 500", "1 234", "33,3 %", "Prévention"), ("en", "1,500", "1,234", "33.3%", "Prevention")],
)
def test_pdf(report_data, officer, compact, definition, language, target, actual, percent, pillar):  # type: ignore[no-untyped-def]
    data = report.build_report(officer, compact, YEAR, language)
    content = report.render_pdf(data)
    assert content.startswith(b"%PDF")
    reader, text = pdf_text(content)
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    assert len(reader.pages) >= 3
    assert compact.title in text
    assert pillar in text
    assert target in text and actual in text and percent in text
    assert SUBMITTED_ONLY not in text
    assert PROGRESS_TEXT in text
    with translation.override(language):
        page_label = gettext("Page")
        assert f"{page_label} 2" in text  # page numbers in the footer
        assert gettext("Gaps") in text


def test_pdf_fetches_nothing(officer, compact):  # type: ignore[no-untyped-def]
    with pytest.raises(report.ExternalResourceRefused):
        report.offline_url_fetcher("https://example.org/font.woff")
    with pytest.raises(report.ExternalResourceRefused):
        report.offline_url_fetcher("file:///etc/passwd")


def test_css_strings_cannot_break_out() -> None:
    assert str(report.css_string('Pa"ge\\ </style>')) == "Pa\\22 ge\\5c  \\3c /style\\3e "


# -- formatting ------------------------------------------------------------------------------------------
def test_numbers_follow_the_language() -> None:
    with translation.override("fr"):
        assert normalise(report.format_number(Decimal("12345.67"), 1)) == "12 345,7"
        assert normalise(report.format_value("percentage", Decimal("33.3333"))) == "33,3 %"
        assert report.format_variance("count", Decimal("-0.0")) == "0"
    with translation.override("en"):
        assert report.format_number(Decimal("12345.67"), 1) == "12,345.7"
        assert report.format_value("percentage", Decimal("33.3333")) == "33.3%"
        assert normalise(report.format_variance("percentage", Decimal("2.25"))) == "+2.3 pts"
        assert report.format_value("milestone", Decimal(1)) == "Achieved"
        assert report.format_value("count", None) == report.DASH


# -- the command -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "fmt"), [("fr", "docx"), ("en", "pdf")])
def test_command_end_to_end(report_data, compact, definition, tmp_path, language, fmt):  # type: ignore[no-untyped-def]
    output = tmp_path / f"report.{fmt}"
    out = io.StringIO()
    call_command(
        "annual_report",
        "--compact", str(compact.pk),
        "--year", str(YEAR),
        "--language", language,
        "--format", fmt,
        "--output", str(output),
        stdout=out,
    )  # fmt: skip
    assert str(output) in out.getvalue()
    content = output.read_bytes()
    text = docx_text(content)[1] if fmt == "docx" else pdf_text(content)[1]
    assert definition.indicator.name in text
    assert ("1 234" if language == "fr" else "1,234") in text
    assert SUBMITTED_ONLY not in text
    # The system context sees everything, non-public indicators included.
    assert NON_PUBLIC_NAME in text


def test_command_as_a_user(report_data, compact, observer, tmp_path):  # type: ignore[no-untyped-def]
    output = tmp_path / "observer.docx"
    call_command(
        "annual_report", "--compact", str(compact.pk), "--year", str(YEAR), "--output", str(output),
        "--user", observer.username, stdout=io.StringIO(),
    )  # fmt: skip
    text = docx_text(output.read_bytes())[1]
    assert NON_PUBLIC_NAME not in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--compact", "999999", "--year", "2023", "--format", "docx"], "No compact"),
        (["--year", "2031", "--format", "docx"], "outside the term"),
        (["--year", "2021", "--format", "pdf"], "outside the term"),
        (["--year", "2023", "--format", "odt"], "invalid choice"),
        (["--year", "2023", "--language", "de", "--format", "pdf"], "invalid choice"),
        (["--year", "2023", "--user", "nobody", "--format", "pdf"], "No user"),
    ],
)
def test_command_errors(compact, tmp_path, arguments, message):  # type: ignore[no-untyped-def]
    if "--compact" not in arguments:
        arguments = ["--compact", str(compact.pk), *arguments]
    output = tmp_path / "out.bin"
    with pytest.raises(CommandError, match=message):
        call_command("annual_report", *arguments, "--output", str(output), stdout=io.StringIO())
    assert not output.exists()


def test_command_format_from_extension_and_bad_folder(compact, tmp_path):  # type: ignore[no-untyped-def]
    output = tmp_path / "rapport.pdf"
    call_command(
        "annual_report",
        "--compact",
        str(compact.pk),
        "--year",
        "2024",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    assert output.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="docx or"):
        call_command(
            "annual_report",
            "--compact",
            str(compact.pk),
            "--year",
            "2024",
            "--output",
            str(tmp_path / "r.txt"),
        )
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "annual_report",
            "--compact",
            str(compact.pk),
            "--year",
            "2024",
            "--output",
            str(tmp_path / "no" / "r.pdf"),
        )


def test_system_user_is_never_saved(compact) -> None:  # type: ignore[no-untyped-def]
    user = system_user()
    assert user.pk is None and user.is_superuser


# -- speed -----------------------------------------------------------------------------------------------
def _bulk_indicators(compact, organisations, objectives: int, per_objective: int) -> None:  # type: ignore[no-untyped-def]
    pillars = list(Pillar)
    for o in range(objectives):
        objective = ObjectiveFactory(compact=compact, pillar=pillars[o % 4], number=100 + o + objectives * 10)
        for i in range(per_objective):
            indicator = IndicatorFactory(objective=objective, name=f"Indicateur de charge {o}.{i}")
            definition = make_definition(indicator=indicator, reporters=organisations)
            for year in range(2023, 2028):
                TargetFactory(definition=definition, year=year, value=Decimal(100))
                for organisation in organisations:
                    make_submission(definition, organisation, str(year), total=10 + i)


def test_report_speed_and_fixed_queries(compact, reporter_org, other_reporter_org, officer, capsys):  # type: ignore[no-untyped-def]
    """The query count does not grow with the data; the time is printed for the report (-s)."""
    organisations = [reporter_org, other_reporter_org]
    _bulk_indicators(compact, organisations, objectives=2, per_objective=2)
    with CaptureQueriesContext(connection) as small:
        small_data = report.build_report(officer, compact, YEAR, "fr")
    report.render_pdf(small_data)  # warm-up: WeasyPrint loads its fonts once per process
    _bulk_indicators(compact, organisations, objectives=8, per_objective=5)
    with CaptureQueriesContext(connection) as large:
        data = report.build_report(officer, compact, YEAR, "fr")
    assert len(large.captured_queries) == len(small.captured_queries)
    rows = sum(len(t.rows) for t in data.tables)
    assert rows == 44

    timings = {}
    for fmt in report.FORMATS:
        started = time.perf_counter()
        report.render(report.build_report(officer, compact, YEAR, "en"), fmt)
        timings[fmt] = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nannual report, {rows} indicators, {len(large.captured_queries)} queries: "
              + ", ".join(f"{fmt} {seconds:.2f} s" for fmt, seconds in timings.items()))  # fmt: skip
    assert max(timings.values()) < 5


# -- units, flags, meeting -------------------------------------------------------------------------------
def test_units_and_flags(compact, definition, reporter_org, officer):  # type: ignore[no-untyped-def]
    """Percentage change from a zero baseline shows "n/a" with the absolute change; milestones read
    achieved / not achieved; parts that do not add up are noted under the indicator."""
    Unit = models.IndicatorDefinition.Unit
    change = make_definition(
        compact,
        reporters=[reporter_org],
        unit=Unit.PERCENT_CHANGE,
        baseline_value=Decimal(0),
        baseline_year=2022,
    )
    TargetFactory(definition=change, year=YEAR, value=Decimal(10))
    make_submission(change, reporter_org, str(YEAR), total=4)
    grown = make_definition(
        compact,
        reporters=[reporter_org],
        unit=Unit.PERCENT_CHANGE,
        baseline_value=Decimal(48),
        baseline_year=2022,
    )
    make_submission(grown, reporter_org, str(YEAR), total=57)
    milestone = make_definition(compact, reporters=[reporter_org], unit=Unit.MILESTONE)
    TargetFactory(definition=milestone, year=YEAR, value=Decimal(1))
    make_submission(milestone, reporter_org, str(YEAR), total=1)
    make_submission(definition, reporter_org, str(YEAR), total=10, parts={"female": 6, "male": 3})

    data = report.build_report(officer, compact, YEAR, "en")
    document, _text = docx_text(report.render_docx(data))
    rows = table_rows(document)
    change_row = row_of(rows, change.indicator.name)
    assert change_row[3:] == ["+10.0%", "n/a (+4)", "–", "Not assessable (baseline is zero)"]
    assert row_of(rows, grown.indicator.name)[2] == "48 (2022)"
    assert row_of(rows, grown.indicator.name)[4] == "+18.8%"  # 57 against 48
    assert row_of(rows, milestone.indicator.name)[4:] == ["Achieved", "–", "Target met"]
    flagged = row_of(rows, definition.indicator.name)[1]
    assert reporter_org.name in flagged and "add up to 9, not 10" in flagged


def test_cover_names_the_reviewing_meeting(compact, officer, observer):  # type: ignore[no-untyped-def]
    import datetime as dt

    from pacte.compacts.models import Meeting

    meeting = Meeting.objects.create(
        compact=compact, kind=Meeting.Kind.ANNUAL, date=dt.date(2024, 3, 14), visibility=Visibility.NON_PUBLIC
    )
    models.AnnualReport.objects.create(compact=compact, year=YEAR, reviewed_at=meeting)
    with translation.override("en"):
        officer_cover = report.build_report(officer, compact, YEAR, "en").cover_lines
        observer_cover = report.build_report(observer, compact, YEAR, "en").cover_lines
    assert "Reviewed at the annual meeting of March 14, 2024" in officer_cover
    assert "Not yet reviewed at an annual meeting." in observer_cover  # a non-public meeting stays hidden
