"""The annual report of a compact (section V.B of the compact): data, Word document and PDF.

``build_report`` reads everything through the selectors, as ``user`` may see it, and formats every
label, number and date in the report's language once; ``render_docx`` and ``render_pdf`` only lay out
that ``ReportData``, so the Word document and the PDF always say the same thing.

The report contains, for one year of the compact's term:

* a cover: compact title, country, year, date of generation, the annual meeting that reviewed the
  report, and a "Demonstration data" notice when demonstration values or texts are counted;
* the narrative sections written in Pacte by the reporting organisations: progress toward each
  objective, difficulties, recommendations for further assistance, sustainability, areas for
  improvement, each text with the organisation that wrote it;
* the indicator table of each pillar: baseline, target, actual (approved values only), variance and
  assessment for the year;
* the gaps: objectives without indicators, indicators without definition, target or data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Compact, Pillar
from pacte.compacts.permissions import Capability

from . import selectors
from .models import IndicatorDefinition, NarrativeSection
from .periods import parse_period

if TYPE_CHECKING:
    from pacte.accounts.models import User

LANGUAGES = ("fr", "en")
FORMATS = ("docx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
DASH = "–"


# -- the data ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NarrativeEntry:
    organisation: str
    text: str
    is_demo: bool = False


@dataclass(frozen=True)
class NarrativeGroup:
    heading: str  # the objective for "progress"; empty for the other kinds
    entries: list[NarrativeEntry]


@dataclass(frozen=True)
class NarrativeChapter:
    kind: str
    title: str
    groups: list[NarrativeGroup]

    @property
    def is_empty(self) -> bool:
        return not any(group.entries for group in self.groups)


@dataclass(frozen=True)
class TableRow:
    reference: str  # objective number and indicator position: "1.2"
    indicator: str
    unit: str
    baseline: str
    target: str
    actual: str
    variance: str
    assessment: str
    assessment_code: str = ""
    notes: str = ""

    def cells(self) -> list[str]:
        return [
            self.reference,
            self.indicator,
            self.baseline,
            self.target,
            self.actual,
            self.variance,
            self.assessment,
        ]


@dataclass(frozen=True)
class PillarTable:
    pillar: str
    title: str
    rows: list[TableRow]


@dataclass(frozen=True)
class GapList:
    code: str
    title: str
    items: list[str]


@dataclass(frozen=True)
class ReportData:
    """Everything the documents show, already in the report's language."""

    language: str
    compact_id: int
    year: int
    title: str
    country: str
    generated_at: dt.datetime
    is_demo: bool
    labels: dict[str, str]
    cover_lines: list[str]
    chapters: list[NarrativeChapter]
    tables: list[PillarTable]
    gaps: list[GapList]
    columns: list[str] = field(default_factory=list)

    @property
    def filename_stem(self) -> str:
        return f"annual-report-{self.compact_id}-{self.year}-{self.language}"

    def filename(self, fmt: str) -> str:
        return f"{self.filename_stem}.{fmt}"


# -- formatting (called under the report's language) --------------------------------------------------
def format_number(value: Decimal | float | int | None, places: int | None = None) -> str:
    """A number as the report's language writes it (1 234,5 in French, 1,234.5 in English)."""
    if value is None:
        return DASH
    number = Decimal(str(value))
    if places is None:
        places = 0 if number == number.to_integral_value() else 1
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # never "-0"
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def format_percent(value: Decimal | float | int | None, places: int = 1, signed: bool = False) -> str:
    if value is None:
        return DASH
    text = format_number(value, places)
    if signed and Decimal(str(value)) > 0:
        text = "+" + text
    # French puts a (non-breaking) space before the percent sign; English does not.
    return f"{text}%" if _is_english() else f"{text}\u00a0%"


def format_signed(value: Decimal | float | int | None, places: int | None = None) -> str:
    if value is None:
        return DASH
    text = format_number(value, places)
    return "+" + text if Decimal(str(value)) > 0 else text


def format_date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def _is_english() -> bool:
    return (translation.get_language() or "fr").startswith("en")


def format_value(unit: str, value: Decimal | None, *, change: bool = False) -> str:
    """A figure of an indicator in its unit (a percentage, yes / no for a milestone…)."""
    if value is None:
        return DASH
    U = IndicatorDefinition.Unit
    if unit == U.PERCENTAGE:
        return format_percent(value)
    if unit == U.PERCENT_CHANGE and change:
        return format_percent(value, signed=True)
    if unit == U.MILESTONE:
        return pgettext("milestone", "Achieved") if value >= 1 else pgettext("milestone", "Not achieved")
    if unit == U.QUALITATIVE:
        return DASH
    return format_number(value)


def format_variance(unit: str, value: Decimal | None) -> str:
    """Actual minus target: percentage points for percentages, a count for counts."""
    if value is None:
        return DASH
    U = IndicatorDefinition.Unit
    if unit in (U.PERCENTAGE, U.PERCENT_CHANGE):
        # Percentage points; kept on one line in narrow table cells.
        return (_("%(number)s pts") % {"number": format_signed(value, 1)}).replace(" ", "\u00a0")
    if unit in (U.MILESTONE, U.QUALITATIVE):
        return DASH
    return format_signed(value)


def assessment_label(code: str) -> str:
    return {
        "met": _("Target met"),
        "not_met": _("Target not met"),
        "no_target": _("No target"),
        "no_data": _("No data"),
        "not_assessable": _("Not assessable (baseline is zero)"),
    }.get(code, code or DASH)


def _labels() -> dict[str, str]:
    return {
        "document_title": _("Annual report"),
        "compact": _("Child Protection Compact (CPC) Partnership"),
        "demo_notice": _(
            "Demonstration data: this report counts demonstration values or texts; it does not describe "
            "a real compact."
        ),
        "reviewed_at": _("Reviewed at the annual meeting of"),
        "not_reviewed": _("Not yet reviewed at an annual meeting."),
        "narratives": _("Narrative report"),
        "no_text": _("No text written for this section."),
        "written_by": _("Written by"),
        "indicators": _("Performance indicators"),
        "indicators_intro": _(
            "Approved values only. Variance is the actual figure minus the target; for percentages, in "
            "percentage points."
        ),
        "no_indicator": _("No indicator is defined for this pillar."),
        "gaps": _("Gaps"),
        "no_gap": _("None."),
        "page": _("Page"),
        "of": pgettext("page x of y", "of"),
        "demo_tag": _("demonstration"),
    }


def _columns(year: int) -> list[str]:
    return [
        pgettext("indicator number", "No."),
        _("Indicator"),
        _("Baseline"),
        _("Target %(year)s") % {"year": year},
        _("Actual %(year)s") % {"year": year},
        _("Variance"),
        _("Assessment"),
    ]


# -- building the data ---------------------------------------------------------------------------------
def term_years(compact: Compact) -> list[int]:
    """The years a report can be written for: every year of the compact's term (none without one)."""
    return selectors.term_years(compact)


def _objective_heading(objective: Any) -> str:
    return _("Objective %(number)s (%(pillar)s): %(statement)s") % {
        "number": objective.number,
        "pillar": objective.get_pillar_display(),
        "statement": objective.statement,
    }


def _chapters(sections: Iterable[NarrativeSection], objectives: list[Any]) -> list[NarrativeChapter]:
    by_kind: dict[str, list[NarrativeSection]] = {}
    for section in sections:
        by_kind.setdefault(section.kind, []).append(section)

    def entry(section: NarrativeSection) -> NarrativeEntry:
        return NarrativeEntry(str(section.organisation), section.text, section.is_demo)

    chapters = []
    for kind, label in NarrativeSection.Kind.choices:
        found = sorted(by_kind.get(kind, []), key=lambda s: str(s.organisation))
        if kind == NarrativeSection.Kind.PROGRESS:
            groups = []
            known = set()
            for objective in objectives:
                known.add(objective.pk)
                entries = [entry(s) for s in found if s.objective_id == objective.pk]
                groups.append(NarrativeGroup(_objective_heading(objective), entries))
            # A text on an objective the list above does not show (never for a user who may read it).
            others = [s for s in found if s.objective_id not in known]
            for section in others:
                if section.objective is not None:
                    groups.append(NarrativeGroup(_objective_heading(section.objective), [entry(section)]))
        else:
            groups = [NarrativeGroup("", [entry(s) for s in found])]
        chapters.append(NarrativeChapter(kind, str(label), groups))
    return chapters


def _figure_for(row: Any, year: int) -> Any:
    return next((figure for figure in row.years if figure.year == year), None)


def _baseline_text(row: Any) -> str:
    baseline = row.baseline
    if baseline is None or baseline.value is None:
        return DASH
    unit = row.definition.unit
    # A percentage change is measured from a count: the baseline is that count.
    text = (
        format_number(baseline.value)
        if unit == IndicatorDefinition.Unit.PERCENT_CHANGE
        else format_value(unit, baseline.value)
    )
    return f"{text} ({baseline.year})" if baseline.year else text


# Disaggregation mismatches noted under an indicator in the table (the progress page lists them all).
MAX_FLAGS_SHOWN = 2


def _period_year(period: str) -> int | None:
    try:
        return parse_period(period).year
    except ValidationError:
        return None


def _flag_text(flag: Any) -> str:
    what = flag.dimension_label if not flag.parent_label else f"{flag.dimension_label} – {flag.parent_label}"
    return _(
        "%(organisation)s, %(period)s: the parts by %(dimension)s add up to %(parts)s, not %(expected)s."
    ) % {
        "organisation": flag.organisation_name,
        "period": flag.period,
        "dimension": str(what).lower(),
        "parts": format_number(flag.parts_sum),
        "expected": format_number(flag.expected),
    }


def _references(progress: Any) -> dict[int, str]:
    """ "2.3" for the third indicator (by order) of objective 2, defined or not."""
    references = {}
    for pillar in progress.pillars:
        for objective_progress in pillar.objectives:
            indicators = [row.indicator for row in objective_progress.rows] + list(
                objective_progress.undefined
            )
            indicators.sort(key=lambda i: (i.order, i.pk))
            for position, indicator in enumerate(indicators, start=1):
                references[indicator.pk] = f"{objective_progress.objective.number}.{position}"
    return references


def _table_row(row: Any, year: int, reference: str) -> TableRow:
    definition = row.definition
    unit = definition.unit
    figure = _figure_for(row, year)
    U = IndicatorDefinition.Unit
    target = actual = variance = DASH
    assessment = "no_data"
    if figure is not None:
        assessment = figure.assessment
        variance = format_variance(unit, figure.variance)
        target = format_value(unit, figure.target, change=True)
        if unit == U.PERCENT_CHANGE:
            actual = _percent_change_text(figure.change)
            if figure.change is not None and figure.change.percent is None and figure.target is not None:
                assessment = "not_assessable"  # a change from a baseline of 0 has no percentage
        elif unit == U.QUALITATIVE:
            observations = figure.actual.observations
            actual = (
                _("%(count)s report(s), see the narrative") % {"count": observations}
                if observations
                else DASH
            )
        else:
            actual = format_value(unit, figure.actual.value)
    flags = [flag for flag in row.flags if _period_year(flag.period) == year]
    notes = [_flag_text(flag) for flag in flags[:MAX_FLAGS_SHOWN]]
    if len(flags) > MAX_FLAGS_SHOWN:
        notes.append(_("(and %(count)s more)") % {"count": len(flags) - MAX_FLAGS_SHOWN})
    return TableRow(
        reference=reference,
        indicator=row.indicator.name,
        unit=definition.unit_label or str(definition.get_unit_display()),
        baseline=_baseline_text(row),
        target=target,
        actual=actual,
        variance=variance,
        assessment=assessment_label(assessment),
        assessment_code=assessment,
        notes=" ".join(notes),
    )


def _percent_change_text(change: Any) -> str:
    """Percentage change from the baseline; "n/a" with the absolute change when the baseline is 0."""
    if change is None:
        return DASH
    if change.percent is not None:
        return format_percent(change.percent, signed=True)
    if change.absolute is not None:
        return _("n/a (%(absolute)s)") % {"absolute": format_signed(change.absolute)}
    return _("n/a")


GAP_KINDS = (
    "objective_without_indicator",
    "indicator_without_definition",
    "indicator_without_target",
    "indicator_without_data",
)


def _gap_titles(year: int) -> dict[str, str]:
    return {
        "objective_without_indicator": _("Objectives without indicators"),
        "indicator_without_definition": _("Indicators without definition (unit, baseline, reporters)"),
        "indicator_without_target": _("Indicators without targets"),
        "indicator_without_data": _("Indicators without approved data up to %(year)s") % {"year": year},
    }


def _gaps(progress: Any, year: int, references: dict[int, str]) -> list[GapList]:
    titles = _gap_titles(year)
    items: dict[str, list[str]] = {kind: [] for kind in GAP_KINDS}
    for gap in progress.gaps:
        if gap.kind == "objective_without_indicator" and gap.objective is not None:
            text = _objective_heading(gap.objective)
        elif gap.indicator is not None:
            reference = references.get(gap.indicator.pk)
            text = f"{reference} {gap.indicator.name}" if reference else gap.indicator.name
        else:
            text = gap.message
        items.setdefault(gap.kind, []).append(text)
    return [GapList(kind, titles.get(kind, kind), items[kind]) for kind in items]


def build_report(user: User | None, compact: Compact, year: int, language: str) -> ReportData:
    """The annual report of ``compact`` for ``year`` as ``user`` may see it, in ``language``."""
    with translation.override(language):
        _compact, access = compact_selectors.get_compact(user, compact.pk)
        progress = selectors.compact_progress(user, compact, year=year, access=access)
        sections = selectors.narratives(user, compact, year, access=access)
        report = selectors.annual_report(user, compact, year, access=access)
        objectives = list(compact_selectors.objective_choices(compact, access))

        references = _references(progress)
        tables = []
        for pillar in progress.pillars:
            rows = [_table_row(row, year, references.get(row.indicator.pk, "")) for row in pillar.rows]
            tables.append(PillarTable(str(pillar.pillar), str(Pillar(pillar.pillar).label), rows))

        generated_at = timezone.localtime()
        labels = _labels()
        cover = [
            _("Country: %(country)s") % {"country": compact.country_name},
            _("Year: %(year)s") % {"year": year},
            _("Generated on %(date)s") % {"date": format_date(generated_at.date())},
        ]
        meeting = report.reviewed_at if report is not None else None
        if meeting is not None and (meeting.is_public or access.can(Capability.VIEW_NON_PUBLIC)):
            cover.append(f"{labels['reviewed_at']} {format_date(meeting.date)}")
        else:
            cover.append(labels["not_reviewed"])
        is_demo = progress.is_demo or any(s.is_demo for s in sections)
        return ReportData(
            language=language,
            compact_id=compact.pk,
            year=year,
            title=compact.title,
            country=compact.country_name,
            generated_at=generated_at,
            is_demo=is_demo,
            labels=labels,
            cover_lines=cover,
            chapters=_chapters(sections, objectives),
            tables=tables,
            gaps=_gaps(progress, year, references),
            columns=_columns(year),
        )


# -- Word ----------------------------------------------------------------------------------------------
def _set_language(document: Any, language: str) -> None:
    """Mark the text's language so that Word checks the spelling in French or English."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = "fr-FR" if language == "fr" else "en-US"
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)


def _page_number_footer(document: Any, data: ReportData) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def element(tag: str, text: str = "", **attributes: str) -> Any:
        node = OxmlElement(tag)
        for name, value in attributes.items():
            node.set(qn(name), value)
        if text:
            node.text = text
        return node

    def add_field(instruction: str) -> None:
        """A Word field (PAGE, NUMPAGES), one run per part as Word writes them; "1" until updated."""
        for node in (
            element("w:fldChar", **{"w:fldCharType": "begin"}),
            element("w:instrText", f" {instruction} ", **{"xml:space": "preserve"}),
            element("w:fldChar", **{"w:fldCharType": "separate"}),
            element("w:t", "1"),
            element("w:fldChar", **{"w:fldCharType": "end"}),
        ):
            paragraph.add_run()._r.append(node)

    paragraph.add_run(f"{data.labels['document_title']} {data.year} – {data.labels['page']} ")
    add_field("PAGE")
    paragraph.add_run(f" {data.labels['of']} ")
    add_field("NUMPAGES")


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def render_docx(data: ReportData) -> bytes:
    """The report as an editable Word document."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10.5)
    _set_language(document, data.language)
    properties = document.core_properties
    properties.title = f"{data.labels['document_title']} {data.year} – {data.title}"
    properties.language = data.language
    properties.author = "Pacte"

    # Cover
    document.add_paragraph(data.labels["compact"]).runs[0].font.size = Pt(12)
    document.add_heading(data.title, level=0)
    document.add_heading(f"{data.labels['document_title']} {data.year}", level=1)
    for line in data.cover_lines:
        document.add_paragraph(line)
    if data.is_demo:
        notice = document.add_paragraph().add_run(data.labels["demo_notice"])
        notice.bold = True
        notice.font.color.rgb = RGBColor(0xB5, 0x0B, 0x0B)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Narrative sections
    document.add_heading(data.labels["narratives"], level=1)
    for chapter in data.chapters:
        document.add_heading(chapter.title, level=2)
        for group in chapter.groups:
            if group.heading:
                document.add_heading(group.heading, level=3)
            if not group.entries:
                document.add_paragraph(data.labels["no_text"]).runs[0].italic = True
            for entry in group.entries:
                byline = document.add_paragraph()
                byline_run = byline.add_run(f"{data.labels['written_by']} {entry.organisation}")
                byline_run.bold = True
                if entry.is_demo:
                    byline.add_run(f" ({data.labels['demo_tag']})").italic = True
                for paragraph in entry.text.splitlines():
                    if paragraph.strip():
                        document.add_paragraph(paragraph.strip())

    # Indicator tables
    document.add_heading(data.labels["indicators"], level=1)
    document.add_paragraph(data.labels["indicators_intro"]).runs[0].italic = True
    widths = [Cm(1.1), Cm(6.4), Cm(2.0), Cm(2.0), Cm(2.2), Cm(1.7), Cm(1.6)]
    for table_data in data.tables:
        document.add_heading(table_data.title, level=2)
        if not table_data.rows:
            document.add_paragraph(data.labels["no_indicator"]).runs[0].italic = True
            continue
        table = document.add_table(rows=1, cols=len(data.columns))
        table.style = "Table Grid"
        header = table.rows[0]
        _repeat_header(header)
        for cell, label, width in zip(header.cells, data.columns, widths, strict=True):
            cell.width = width
            run = cell.paragraphs[0].add_run(label)
            run.bold = True
            run.font.size = Pt(9)
        for row in table_data.rows:
            cells = table.add_row().cells
            for index, (cell, text, width) in enumerate(zip(cells, row.cells(), widths, strict=True)):
                cell.width = width
                run = cell.paragraphs[0].add_run(text)
                run.font.size = Pt(9)
                if index == 1 and row.notes:
                    note = cell.add_paragraph().add_run(row.notes)
                    note.italic = True
                    note.font.size = Pt(8)

    # Gaps
    document.add_heading(data.labels["gaps"], level=1)
    for gap in data.gaps:
        document.add_heading(gap.title, level=2)
        if not gap.items:
            document.add_paragraph(data.labels["no_gap"])
        for item in gap.items:
            document.add_paragraph(item, style="List Bullet")

    _page_number_footer(document, data)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- PDF -----------------------------------------------------------------------------------------------
class ExternalResourceRefused(ValueError):
    pass


def offline_url_fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """WeasyPrint fetches nothing from the network nor the disk: only inline ``data:`` URLs."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)  # type: ignore[no-any-return]
    raise ExternalResourceRefused(f"External resource refused: {url}")


def css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string (for the page footers)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>&\n' else c for c in text)
    return mark_safe(escaped)  # noqa: S308 - every character that could end the string is escaped


def render_html(data: ReportData) -> str:
    css = {
        "page": css_string(data.labels["page"]),
        "of": css_string(data.labels["of"]),
        "footer": css_string(f"{data.labels['document_title']} {data.year}"),
    }
    with translation.override(data.language):
        return render_to_string("results/report/document.html", {"data": data, "css": css})


def render_pdf(data: ReportData) -> bytes:
    """The report as a PDF (A4, page numbers), laid out by WeasyPrint from an HTML template."""
    from weasyprint import HTML

    html = HTML(string=render_html(data), url_fetcher=offline_url_fetcher, base_url="about:blank")
    document = html.write_pdf()
    assert document is not None
    return bytes(document)


def render(data: ReportData, fmt: str) -> bytes:
    if fmt == "docx":
        return render_docx(data)
    if fmt == "pdf":
        return render_pdf(data)
    raise ValueError(fmt)
