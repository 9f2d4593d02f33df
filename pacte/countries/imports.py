"""Every write to the country evidence base: the shipped data files, uploaded editions (CSV/XLSX, with
a preview and all-or-nothing confirmation), figures entered by hand (tier placements from 2016 on) and
qualitative ratings.

Shipped files (pacte/countries/data/, see its PROVENANCE.md) are imported once each, recognised by
the SHA-256 of the file: running the import again changes nothing. A shipped row that cannot be used
(unmatched name, historical entity, "not rated" code, value out of range…) is skipped and counted in the
import's notes, with the unmatched names listed. An UPLOAD is stricter: any bad row, or any country
name not resolved by the user, refuses the whole file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions
from .catalogue import FACTBOOK_INDICATORS, ensure_catalogue
from .matching import DATA_DIR, CountryMatcher, normalise, save_alias, unmatched_reason
from .models import (
    FIRST_YEAR,
    LAST_YEAR,
    Country,
    ImportBatch,
    Metric,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    Source,
)

if TYPE_CHECKING:
    from pacte.accounts.models import User

BATCH_SIZE = 2000
MAX_UPLOAD_ROWS = 50_000
PARTIAL_TIER_NOTE = "partial list: Tier 1 and Tier 2 only"


# -- editions ------------------------------------------------------------------------------------------
def default_edition(metric: Metric, year: int) -> str:
    """The usual name of the edition that holds ``metric`` for ``year``."""
    code = metric.source.code
    if code == "tip_report":
        return f"TIP Report {year}"
    if code == "ti_cpi":
        return f"CPI {year}"
    if code == "fh_fiw":
        return f"Freedom in the World {year + 1}"
    if code == "wb_income":
        return f"World Bank FY{year + 2} classification"
    return f"{metric.source.name} {year}"


# -- values ----------------------------------------------------------------------------------------------
def parse_number(text: Any) -> float | None:
    """A float from a cell ("3.5", "3,5", " 12 ", 7), or None if it is not a finite number."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        number = float(text)
    else:
        raw = str(text or "").strip().replace("\xa0", "").replace(" ", "")
        if "," in raw and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            number = float(raw)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def category_for(metric: Metric, text: Any) -> dict[str, Any] | None:
    """The category of ``metric`` named by ``text`` (label or alias, any case; or its numeric value)."""
    wanted = str(text if text is not None else "").strip().casefold()
    if not wanted:
        return None
    for category in metric.categories:
        names = [category["label"], *category.get("aliases", [])]
        if any(wanted == str(n).casefold() for n in names):
            return category
    number = parse_number(text)
    if number is not None:
        for category in metric.categories:
            if category["value"] is not None and float(category["value"]) == number:
                return category
    return None


def _range_message(metric: Metric, value: float) -> str:
    if metric.minimum is not None and value < metric.minimum:
        return _("%(value)s is below the smallest possible value, %(min)s.") % {
            "value": _fmt(value),
            "min": _fmt(metric.minimum),
        }
    if metric.maximum is not None and value > metric.maximum:
        return _("%(value)s is above the largest possible value, %(max)s.") % {
            "value": _fmt(value),
            "max": _fmt(metric.maximum),
        }
    return ""


def _fmt(number: float) -> str:
    return f"{number:g}"


def _is_categorised(metric: Metric) -> bool:
    return metric.kind != Metric.Kind.NUMERIC and bool(metric.categories)


# =========================================================================================================
# Shipped data
# =========================================================================================================
@dataclass
class Candidate:
    """One figure read from a shipped file, before the checks common to every file."""

    line: int
    country_text: str
    country: Country | None
    metric: str
    year: int
    edition: str
    value: float | None
    label: str = ""
    published_on: dt.date | None = None
    note: str = ""


@dataclass
class FileReport:
    path: str
    source: str
    already_imported: bool = False
    created: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    unmatched: Counter[str] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    batch: ImportBatch | None = None

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    @property
    def rows(self) -> int:
        return sum(self.created.values())

    def unmatched_lines(self) -> list[str]:
        lines = []
        for name, count in sorted(self.unmatched.items(), key=lambda item: item[0].casefold()):
            reason = unmatched_reason(name) or "not a country of ISO 3166-1"
            lines.append(f"{name or '(blank)'} ({count} rows): {reason}")
        return lines

    def notes(self) -> str:
        parts = [
            f"Rows saved: {self.rows} ({', '.join(f'{k}: {v}' for k, v in sorted(self.created.items()))})."
        ]
        if self.skipped:
            parts.append("Rows skipped:")
            parts += [f"- {reason}: {count}" for reason, count in sorted(self.skipped.items())]
        if self.unmatched:
            parts.append("Unmatched names (rows skipped):")
            parts += [f"- {line}" for line in self.unmatched_lines()]
        if self.conflicts:
            parts.append("Conflicts with figures already imported (the earlier figure is kept):")
            parts += [f"- {line}" for line in self.conflicts[:200]]
        return "\n".join(parts)


@dataclass
class Context:
    matcher: CountryMatcher
    sources: dict[str, Source]
    metrics: dict[str, Metric]
    geo: dict[str, tuple[str, str]]  # Gapminder geo code → (ISO3 or "", name)


def _read_csv(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        yield from enumerate(csv.DictReader(handle), start=2)


def _load_geo(path: Path) -> dict[str, tuple[str, str]]:
    return {
        row["country"]: (row.get("iso3166_1_alpha3", "").upper(), row.get("name", ""))
        for _line, row in _read_csv(path)
    }


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except (TypeError, ValueError):
        return None


# -- TIP reports ------------------------------------------------------------------------------------------
KELLEY_CODES = {"1": "Tier 1", "2": "Tier 2", "3": "Tier 2 Watch List", "4": "Tier 3"}
CHO_CODES = {"1": "Tier 1", "2": "Tier 2", "2.5": "Tier 2 Watch List", "3": "Tier 3", "666": "Special Case"}


def _tier(
    ctx: Context, line: int, text: str, country: Country | None, year: int, label: str, note: str = ""
) -> Candidate:
    metric = ctx.metrics["tip_tier"]
    category = category_for(metric, label)
    assert category is not None, label
    return Candidate(
        line=line,
        country_text=text,
        country=country,
        metric="tip_tier",
        year=year,
        edition=f"TIP Report {year}",
        value=category["value"],
        label=category["label"],
        note=note,
    )


def parse_kelley_map(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    """Kelley map_tiers: ISO3 key; codes 1, 2, 3 (= Watch List), 4 (= Tier 3); NA is not imported."""
    for line, row in _read_csv(path):
        code = row["tier"].strip()
        if code not in KELLEY_CODES:
            report.skip("tier code NA (not rated or Special Case)")
            continue
        country = ctx.matcher.by_iso3(row["iso"])
        text = row["countryname"] if country is None else row["iso"]
        yield _tier(ctx, line, text, country, int(row["year"]), KELLEY_CODES[code])


def _kelley_ccodes() -> dict[str, str]:
    """COW code → ISO3, as paired in Kelley's map_tiers (used for the Cho file, which has no ISO code)."""
    pairs: dict[str, str] = {}
    for _line, row in _read_csv(DATA_DIR / "tip" / "kelley_map_tiers_1999_2015.csv"):
        if row["ccode"] not in ("", "NA"):
            pairs[row["ccode"]] = row["iso"]
    return pairs


def parse_cho_raw(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    """Cho et al. raw codes: keyed by COW code (names are abbreviated). 555 = not rated (skipped);
    666 = Special Case, the reason to ship this file: map_tiers codes both as NA."""
    ccodes = _kelley_ccodes()
    for line, row in _read_csv(path, encoding="cp1252"):
        code = row["tierupdated"].strip().removesuffix(".0")
        if code == "555":
            report.skip("code 555 (not rated)")
            continue
        if code not in CHO_CODES:
            report.skip("blank tier code")
            continue
        iso3 = ccodes.get(str(_int(row["ccode"]) or ""), "")
        country = ctx.matcher.by_iso3(iso3) if iso3 else None
        yield _tier(ctx, line, row["name"], country, int(float(row["year"])), CHO_CODES[code])


def parse_kelley_2015(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    """TIP 2015 as published (names), codes 1/2/2.5/3 and 666 = Special Case (Somalia)."""
    for line, row in _read_csv(path):
        code = row["tier"].strip().removesuffix(".0")
        if code not in CHO_CODES:
            report.skip(f"unknown tier code {code!r}")
            continue
        name = row["countryname"].strip()
        yield _tier(ctx, line, name, ctx.matcher.match(name), 2015, CHO_CODES[code])


def parse_gvnet(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    """gvnet.com lists: 2009 complete, 2020 and 2023 Tier 1 and Tier 2 only (noted on each figure)."""
    for line, row in _read_csv(path):
        year = int(row["report_year"])
        name = row["country_name_as_listed"].strip()
        note = PARTIAL_TIER_NOTE if year in (2020, 2023) else ""
        yield _tier(ctx, line, name, ctx.matcher.match(name), year, row["tier"], note)


# -- Gapminder (ISO3 via the geo file) ---------------------------------------------------------------------
def _gapminder(
    path: Path,
    ctx: Context,
    report: FileReport,
    metric_code: str,
    edition: Callable[[int], str],
    years: tuple[int, int] = (FIRST_YEAR, LAST_YEAR),
) -> Iterator[Candidate]:
    metric = ctx.metrics[metric_code]
    categorised = _is_categorised(metric)
    for line, row in _read_csv(path):
        geo_code, year_text, raw = (row[key] for key in list(row)[:3])
        year = int(year_text)
        if not years[0] <= year <= years[1]:
            report.skip(f"year outside {years[0]}–{years[1]}")
            continue
        iso3, geo_name = ctx.geo.get(geo_code, ("", geo_code))
        country = ctx.matcher.by_iso3(iso3) if iso3 else None
        label = ""
        if categorised:
            category = category_for(metric, raw)
            if category is None:
                report.skip(f"unknown category {raw!r}")
                continue
            value, label = category["value"], category["label"]
        else:
            value = parse_number(raw)
            if value is None:
                report.skip("empty or non-numeric value")
                continue
        yield Candidate(
            line,
            geo_name if country is None else iso3,
            country,
            metric_code,
            year,
            edition(year),
            value,
            label,
        )


def parse_cpi(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    return _gapminder(path, ctx, report, "cpi_score", lambda y: f"CPI {y}")


def _fh(metric_code: str) -> Callable[[Path, Context, FileReport], Iterator[Candidate]]:
    def parse(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
        # `time` is the year covered; the edition that covers year Y is published in Y + 1.
        return _gapminder(path, ctx, report, metric_code, lambda y: f"Freedom in the World {y + 1}")

    return parse


def parse_income(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    return _gapminder(path, ctx, report, "wb_income_group", lambda y: f"World Bank FY{y + 2} classification")


def parse_gdp(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    return _gapminder(
        path, ctx, report, "gdp_per_capita_ppp", lambda y: "Gapminder GDP per capita v32 (2025)", (1990, 2024)
    )


# -- Our World in Data (names) -------------------------------------------------------------------------------
def _owid(
    path: Path, ctx: Context, report: FileReport, metric_code: str, edition: str
) -> Iterator[Candidate]:
    for line, row in _read_csv(path):
        name, year_text, raw = (row[key] for key in list(row)[:3])
        year = int(year_text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            report.skip(f"year before {FIRST_YEAR}")
            continue
        value = parse_number(raw)
        if value is None:
            report.skip("empty or non-numeric value")
            continue
        yield Candidate(line, name, ctx.matcher.match(name), metric_code, year, edition, value)


def parse_literacy(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    return _owid(path, ctx, report, "literacy_rate", "OWID literacy rates (2019)")


def parse_schooling(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    return _owid(path, ctx, report, "expected_years_schooling", "UNDP HDR via OWID (2018)")


# -- CIA World Factbook --------------------------------------------------------------------------------------
# The file's iso3_derived comes from a FIPS→ISO2 table that maps some territories to their parent,
# gives Curaçao's old code "cc" to the Cocos Islands and leaves Sint Maarten ("sk") blank. Corrections by
# Factbook code (gec); None = no country of ISO 3166-1 (European Union, Kosovo; the Gaza Strip and the
# West Bank are parts of Palestine that the Factbook reports separately, never as a whole).
FACTBOOK_GEC: dict[str, str | None] = {
    "cc": "CUW",
    "gk": "GGY",
    "je": "JEY",
    "im": "IMN",
    "sk": "SXM",
    "ee": None,
    "kv": None,
    "gz": None,
    "we": None,
}
FACTBOOK_NAMES = {"ee": "European Union", "gz": "Gaza Strip", "we": "West Bank", "kv": "Kosovo"}


def parse_factbook(path: Path, ctx: Context, report: FileReport) -> Iterator[Candidate]:
    for line, row in _read_csv(path):
        metric_code = FACTBOOK_INDICATORS.get(row["indicator"])
        if metric_code is None:
            report.skip(f"indicator not used: {row['indicator']}")
            continue
        if not row["value"]:
            report.skip("no value (NA)")
            continue
        if row["raw_text"].strip().upper().startswith("NA"):
            report.skip("value read from a note after 'NA' (parsing error)")
            continue
        if not row["ref_year"]:
            report.skip("no reference year")
            continue
        gec = row["gec"]
        iso3 = FACTBOOK_GEC[gec] if gec in FACTBOOK_GEC else row["iso3_derived"]
        country = ctx.matcher.by_iso3(iso3) if iso3 else None
        name = FACTBOOK_NAMES.get(gec) or row["country_short_name"]
        if name in ("", "none"):
            name = f"gec {gec}"
        date = dt.date.fromisoformat(row["snapshot_date"])
        yield Candidate(
            line,
            name if country is None else str(iso3),
            country,
            metric_code,
            int(row["ref_year"]),
            f"Factbook {row['snapshot_date']}",
            float(row["value"]),
            published_on=date,
        )


Parser = Callable[[Path, Context, FileReport], Iterable[Candidate]]


@dataclass(frozen=True)
class ShippedFile:
    path: str  # relative to DATA_DIR
    source: str
    parser: Parser


# Order matters: the main file of a source first; the later ones only add what it lacks.
SHIPPED_FILES: list[ShippedFile] = [
    ShippedFile("tip/kelley_map_tiers_1999_2015.csv", "tip_report", parse_kelley_map),
    ShippedFile("tip/kelley_cho_tiers_1999_2014_raw_codes.csv", "tip_report", parse_cho_raw),
    ShippedFile("tip/kelley_tiers_2015_original.csv", "tip_report", parse_kelley_2015),
    ShippedFile("tip/gvnet_tip_tier_lists_2009_2020_2023_partial.csv", "tip_report", parse_gvnet),
    ShippedFile("cpi/gapminder_cpi_2012_2023.csv", "ti_cpi", parse_cpi),
    ShippedFile("freedom_house/gapminder_polrights_fh.csv", "fh_fiw", _fh("fh_political_rights")),
    ShippedFile("freedom_house/gapminder_cliberities_fh.csv", "fh_fiw", _fh("fh_civil_liberties")),
    ShippedFile("freedom_house/gapminder_freedstatus_fh.csv", "fh_fiw", _fh("fh_status")),
    ShippedFile("income/gapminder_ilevels4_wb.csv", "wb_income", parse_income),
    ShippedFile("gdp/gapminder_gdp_pcap_ppp2021_1990_2024.csv", "gapminder_gdp", parse_gdp),
    ShippedFile("literacy/owid_cross_country_literacy_rates.csv", "owid_literacy", parse_literacy),
    ShippedFile("education/owid_undp_expected_years_schooling.csv", "undp_schooling", parse_schooling),
    ShippedFile("cia_factbook/factbook_cpc_indicators_snapshots.csv", "cia_factbook", parse_factbook),
]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _shown(value: float | None, label: str) -> str:
    return label or ("" if value is None else _fmt(value))


def _import_file(spec: ShippedFile, ctx: Context, user: User | None) -> FileReport:
    path = DATA_DIR / spec.path
    report = FileReport(path=spec.path, source=spec.source)
    sha = file_sha256(path)
    if ImportBatch.objects.filter(origin=ImportBatch.Origin.SHIPPED, sha256=sha).exists():
        report.already_imported = True
        report.batch = ImportBatch.objects.filter(origin=ImportBatch.Origin.SHIPPED, sha256=sha).first()
        return report
    candidates = list(spec.parser(path, ctx, report))
    metric_ids = {code: ctx.metrics[code].pk for code in {c.metric for c in candidates}}
    existing: dict[tuple[int, int, int, str], tuple[float | None, str]] = {
        (m, c, y, e): (v, lab)
        for m, c, y, e, v, lab in Observation.objects.filter(metric_id__in=metric_ids.values()).values_list(
            "metric_id", "country_id", "year", "edition", "value", "label"
        )
    }
    seen: set[tuple[int, int, int, str]] = set()
    observations: list[Observation] = []
    for cand in candidates:
        if cand.country is None:
            report.unmatched[cand.country_text.strip()] += 1
            continue
        metric = ctx.metrics[cand.metric]
        if not FIRST_YEAR <= cand.year <= LAST_YEAR:
            report.skip(f"year outside {FIRST_YEAR}–{LAST_YEAR}")
            continue
        if cand.value is not None and _range_message(metric, cand.value):
            report.skip(f"{cand.metric}: value outside {_fmt_range(metric)}")
            continue
        key = (metric.pk, cand.country.pk, cand.year, cand.edition)
        if key in seen:
            report.skip("duplicate of an earlier row of the same file")
            continue
        seen.add(key)
        if key in existing:
            old_value, old_label = existing[key]
            if (old_value, old_label) == (cand.value, cand.label):
                report.skip("already in the evidence base (same figure)")
            else:
                report.skip("already in the evidence base with another figure (earlier one kept)")
                report.conflicts.append(
                    f"{cand.country.iso3} {cand.edition}: {_shown(old_value, old_label)} kept, "
                    f"{_shown(cand.value, cand.label)} in this file (line {cand.line})"
                )
            continue
        published_on = cand.published_on or ctx.sources[metric.source.code].published_on(cand.year)
        observations.append(
            Observation(
                metric=metric,
                country=cand.country,
                year=cand.year,
                edition=cand.edition,
                value=cand.value,
                label=cand.label,
                published_on=published_on,
                note=cand.note,
            )
        )
        report.created[cand.metric] += 1
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            source=ctx.sources[spec.source],
            origin=ImportBatch.Origin.SHIPPED,
            file_name=spec.path,
            sha256=sha,
            rows=len(observations),
            imported_by=user,
            notes=report.notes(),
        )
        for obs in observations:
            obs.batch = batch
        Observation.objects.bulk_create(observations, batch_size=BATCH_SIZE)
    report.batch = batch
    return report


def _fmt_range(metric: Metric) -> str:
    low = "" if metric.minimum is None else _fmt(metric.minimum)
    high = "" if metric.maximum is None else _fmt(metric.maximum)
    return f"{low}–{high}"


def import_shipped_files(
    *, user: User | None = None, stdout: IO[str] | None = None, only: Iterable[str] | None = None
) -> list[FileReport]:
    """Import every shipped file not imported yet (or those of ``only``, paths relative to the data
    folder); one transaction per file. Returns a report per file. Without a user (management command)
    no permission is checked; with one, the user must be selection staff."""
    if user is not None:
        permissions.require_selection_staff(user)
    from .matching import GEO_FILE, ensure_countries

    ensure_countries()
    ensure_catalogue()
    ctx = Context(
        matcher=CountryMatcher(),
        sources={s.code: s for s in Source.objects.all()},
        metrics={m.code: m for m in Metric.objects.select_related("source")},
        geo=_load_geo(GEO_FILE),
    )
    reports = []
    wanted = set(only) if only is not None else None
    for spec in SHIPPED_FILES:
        if wanted is not None and spec.path not in wanted:
            continue
        report = _import_file(spec, ctx, user)
        reports.append(report)
        if stdout is not None:
            if report.already_imported:
                stdout.write(f"{spec.path}: already imported, skipped.\n")
            else:
                stdout.write(f"{spec.path}: {report.rows} figures saved.\n")
                if report.unmatched:
                    stdout.write("  unmatched (skipped): " + "; ".join(report.unmatched_lines()) + "\n")
    return reports


def import_shipped_data(*, user: User | None = None, stdout: IO[str] | None = None) -> dict[str, int]:
    """Import the shipped data (idempotent). Returns the number of figures saved per metric code."""
    totals: Counter[str] = Counter()
    for report in import_shipped_files(user=user, stdout=stdout):
        totals.update(report.created)
    return dict(totals)


# =========================================================================================================
# Uploads: preview, then confirm
# =========================================================================================================
HEADERS = {
    "country": {"country", "pays", "country name", "name", "nom", "entity", "iso3", "code"},
    "year": {"year", "annee", "time", "report year"},
    "value": {"value", "valeur", "score", "tier"},
    "label": {"label", "category", "categorie"},
    "edition": {"edition"},
    "published_on": {"published on", "public from", "publication date", "date de publication", "publie le"},
}
COLUMNS = list(HEADERS)


@dataclass
class UploadPreview:
    metric: Metric
    edition: str
    file_name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.problems


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _store_preview(payload: dict[str, Any]) -> str:
    """Keep the parsed rows server-side (in the session store: shared by every process, expires like a
    session) and return the token that names them."""
    store = _session_store()()
    store["countries_upload"] = payload
    store.create()
    return str(store.session_key)


def _load_preview(token: str) -> dict[str, Any] | None:
    if not token or len(token) > 100:
        return None
    store = _session_store()(session_key=token)
    payload = store.get("countries_upload")
    return payload if isinstance(payload, dict) else None


def _drop_preview(token: str) -> None:
    _session_store()(session_key=token).delete()


def _cell(value: Any) -> Any:
    """Cells are kept as text, except numbers and dates from spreadsheets (JSON-serialisable)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value).strip()


def _read_table(content: bytes, file_name: str) -> list[list[Any]]:
    if content[:2] == b"PK" or file_name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
            raise ValidationError({"file": _("This spreadsheet cannot be read (XLSX expected).")}) from exc
        sheet = workbook.worksheets[0]
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return table
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ValidationError({"file": _("This file is neither UTF-8 nor Windows-1252 text.")})
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _columns(header: list[Any]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalise(str(name)).replace("_", " ")
        for column, names in HEADERS.items():
            if key in names and column not in positions:
                positions[column] = index
    missing = [c for c in ("country", "year", "value") if c not in positions]
    if missing:
        raise ValidationError(
            {
                "file": _(
                    "The first row must name the columns country, year and value (and optionally "
                    "label, edition, published_on); missing: %(missing)s."
                )
                % {"missing": ", ".join(missing)}
            }
        )
    return positions


def _parse_upload(uploaded_file: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """(file name, sha256, raw rows). Raw rows: {"row": n, "country": …, "year": …, …} as in the file."""
    if uploaded_file is None:
        raise ValidationError({"file": _("Choose a CSV or XLSX file.")})
    file_name = getattr(uploaded_file, "name", "") or "upload"
    content = uploaded_file.read()
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    table = _read_table(content, file_name)
    while table and not any(str(v).strip() for v in table[0]):
        table.pop(0)
    if not table:
        raise ValidationError({"file": _("The file is empty.")})
    positions = _columns(table[0])
    raw_rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in cells):
            continue
        raw_rows.append(
            {
                "row": number,
                **{col: (cells[i] if i < len(cells) else "") for col, i in positions.items()},
            }
        )
    if not raw_rows:
        raise ValidationError({"file": _("The file has no data rows.")})
    if len(raw_rows) > MAX_UPLOAD_ROWS:
        raise ValidationError(
            {"file": _("At most %(max)s rows can be imported at once.") % {"max": MAX_UPLOAD_ROWS}}
        )
    return file_name, hashlib.sha256(content).hexdigest(), raw_rows


def _parse_date(value: Any) -> dt.date | None:
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for pattern in ("%d/%m/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _validate_rows(
    metric: Metric,
    edition: str,
    raw_rows: list[dict[str, Any]],
    resolutions: dict[str, Country] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Check every row; returns (rows, problems, unmatched names). Shared by preview and confirm."""
    matcher = CountryMatcher()
    resolutions = resolutions or {}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    unmatched: set[str] = set()
    categorised = _is_categorised(metric)
    first_row_of: dict[tuple[str, int, str], int] = {}

    def problem(row: int, column: str, message: str) -> None:
        problems.append({"row": row, "column": column, "message": message})

    for raw in raw_rows:
        number = raw["row"]
        country_text = str(raw.get("country", "")).strip()
        country = matcher.match(country_text) if country_text else None
        if country is None and country_text in resolutions:
            country = resolutions[country_text]
        if not country_text:
            problem(number, "country", _("Give the country."))
        elif country is None:
            unmatched.add(country_text)

        year: int | None = None
        year_number = parse_number(raw.get("year", ""))
        if year_number is None or year_number != int(year_number):
            problem(number, "year", _("“%(value)s” is not a year.") % {"value": raw.get("year", "")})
        elif not FIRST_YEAR <= int(year_number) <= LAST_YEAR:
            problem(
                number,
                "year",
                _("%(year)s is outside %(first)s–%(last)s.")
                % {"year": int(year_number), "first": FIRST_YEAR, "last": LAST_YEAR},
            )
        else:
            year = int(year_number)

        value: float | None = None
        label = ""
        cell = raw.get("label", "") if str(raw.get("label", "")).strip() else raw.get("value", "")
        if categorised:
            category = category_for(metric, cell)
            if category is None:
                names = ", ".join(c["label"] for c in metric.categories)
                problem(
                    number,
                    "label" if str(raw.get("label", "")).strip() else "value",
                    _("“%(value)s” is not a category of %(metric)s (%(names)s).")
                    % {"value": cell, "metric": metric.display_name, "names": names},
                )
            else:
                value, label = category["value"], category["label"]
        else:
            value = parse_number(raw.get("value", ""))
            if value is None:
                problem(number, "value", _("“%(value)s” is not a number.") % {"value": raw.get("value", "")})
            elif message := _range_message(metric, value):
                problem(number, "value", message)
            label = str(raw.get("label", "")).strip()[:100]

        row_edition = str(raw.get("edition", "")).strip() or edition
        if not row_edition and year is not None:
            row_edition = default_edition(metric, year)
        if len(row_edition) > 100:
            problem(number, "edition", _("The edition name is too long (100 characters at most)."))

        published_on: dt.date | None = None
        if str(raw.get("published_on", "")).strip():
            published_on = _parse_date(raw["published_on"])
            if published_on is None:
                problem(
                    number,
                    "published_on",
                    _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw["published_on"]},
                )
        elif year is not None:
            published_on = metric.source.published_on(year)

        if year is not None and country_text:
            key = ((country.iso3 if country else normalise(country_text)), year, row_edition)
            if key in first_row_of:
                problem(
                    number,
                    "country",
                    _("Same country, year and edition as row %(row)s.") % {"row": first_row_of[key]},
                )
            else:
                first_row_of[key] = number
        rows.append(
            {
                "row": number,
                "country_text": country_text,
                "country": country,
                "year": year,
                "value": value,
                "label": label,
                "edition": row_edition,
                "published_on": published_on,
            }
        )

    # Figures already in the evidence base (same metric, country, year and edition).
    wanted = [r for r in rows if r["country"] is not None and r["year"] is not None]
    if wanted:
        existing = set(
            Observation.objects.filter(
                metric=metric,
                country__in={r["country"].pk for r in wanted},
                year__in={r["year"] for r in wanted},
                edition__in={r["edition"] for r in wanted},
            ).values_list("country_id", "year", "edition")
        )
        for r in wanted:
            if (r["country"].pk, r["year"], r["edition"]) in existing:
                problem(
                    r["row"],
                    "country",
                    _("%(country)s already has a figure for %(year)s in the edition “%(edition)s”.")
                    % {"country": r["country"].display_name, "year": r["year"], "edition": r["edition"]},
                )
    problems.sort(key=lambda p: (p["row"], COLUMNS.index(p["column"]) if p["column"] in COLUMNS else 99))
    return rows, problems, sorted(unmatched, key=str.casefold)


def _metric_for(metric_code: str) -> Metric:
    metric = Metric.objects.select_related("source").filter(code=metric_code).first()
    if metric is None:
        raise ValidationError({"metric": _("Choose an indicator.")})
    return metric


def preview_upload(*, user: User, metric_code: str, edition: str, uploaded_file: Any) -> UploadPreview:
    """Read a CSV/XLSX file of a new edition and check every row, saving nothing.

    File-level problems (no file, unreadable, missing columns) raise ValidationError; row problems are
    listed in ``problems``. Unknown country names are listed in ``unmatched`` for the user to resolve.
    A ``token`` is given only when no row has a problem: confirm_upload() checks everything again."""
    permissions.require_selection_staff(user)
    metric = _metric_for(metric_code)
    edition = (edition or "").strip()
    if len(edition) > 100:
        raise ValidationError({"edition": _("The edition name is too long (100 characters at most).")})
    file_name, sha, raw_rows = _parse_upload(uploaded_file)
    rows, problems, unmatched = _validate_rows(metric, edition, raw_rows)
    preview = UploadPreview(
        metric=metric, edition=edition, file_name=file_name, rows=rows, problems=problems, unmatched=unmatched
    )
    if not problems:
        preview.token = _store_preview(
            {
                "user": user.pk,
                "metric": metric.code,
                "edition": edition,
                "file_name": file_name,
                "sha256": sha,
                "raw_rows": raw_rows,
            }
        )
    return preview


def _expired() -> ValidationError:
    return ValidationError({"token": _("This preview has expired or does not exist: upload the file again.")})


def load_preview(*, user: User, token: str, resolutions: dict[str, str] | None = None) -> UploadPreview:
    """The stored preview named by ``token``, checked again (e.g. to show it before confirming)."""
    permissions.require_selection_staff(user)
    payload = _load_preview(token)
    if payload is None or payload.get("user") != user.pk:
        raise _expired()
    metric = _metric_for(payload["metric"])
    resolved = _resolved_countries(resolutions or {})[0]
    rows, problems, unmatched = _validate_rows(metric, payload["edition"], payload["raw_rows"], resolved)
    return UploadPreview(
        metric=metric,
        edition=payload["edition"],
        file_name=payload["file_name"],
        rows=rows,
        problems=problems,
        unmatched=unmatched,
        token=token,
    )


def _resolved_countries(resolutions: dict[str, str]) -> tuple[dict[str, Country], list[str]]:
    countries = {
        c.iso3: c for c in Country.objects.filter(iso3__in=[v.strip().upper() for v in resolutions.values()])
    }
    resolved: dict[str, Country] = {}
    bad: list[str] = []
    for text, iso3 in resolutions.items():
        if not (iso3 or "").strip():
            continue
        country = countries.get(iso3.strip().upper())
        if country is None:
            bad.append(text)
        else:
            resolved[text.strip()] = country
    return resolved, bad


def confirm_upload(*, user: User, token: str, resolutions: dict[str, str]) -> ImportBatch:
    """Save the previewed file, all rows or none. ``resolutions`` maps each unmatched name to an ISO3 code;
    they are saved as aliases for the next imports. Raises ValidationError listing every problem."""
    permissions.require_selection_staff(user)
    payload = _load_preview(token)
    if payload is None or payload.get("user") != user.pk:
        raise _expired()
    metric = _metric_for(payload["metric"])
    resolved, bad = _resolved_countries(resolutions or {})
    rows, problems, unmatched = _validate_rows(metric, payload["edition"], payload["raw_rows"], resolved)
    errors: dict[str, list[str]] = defaultdict(list)
    for text in bad:
        errors["resolutions"].append(_("“%(name)s”: unknown country code.") % {"name": text})
    for text in unmatched:
        errors["resolutions"].append(_("Choose the country that “%(name)s” names.") % {"name": text})
    for p in problems:
        errors["rows"].append(
            _("Row %(row)s, %(column)s: %(message)s")
            % {"row": p["row"], "column": p["column"], "message": p["message"]}
        )
    if errors:
        raise ValidationError(dict(errors))
    used_texts = {r["country_text"] for r in rows}
    try:
        with transaction.atomic():
            for text, country in resolved.items():
                if text in used_texts:
                    save_alias(text=text, country=country, user=user)
            notes = [f"Uploaded file {payload['file_name']} ({len(rows)} rows, indicator {metric.code})."]
            if resolved:
                notes.append(
                    "Names resolved by hand: "
                    + "; ".join(f"{t} → {c.iso3}" for t, c in sorted(resolved.items()) if t in used_texts)
                )
            batch = ImportBatch.objects.create(
                source=metric.source,
                origin=ImportBatch.Origin.UPLOAD,
                file_name=payload["file_name"][:300],
                sha256=payload["sha256"],
                rows=len(rows),
                imported_by=user,
                notes="\n".join(notes),
            )
            Observation.objects.bulk_create(
                [
                    Observation(
                        metric=metric,
                        country=r["country"],
                        year=r["year"],
                        edition=r["edition"],
                        value=r["value"],
                        label=r["label"],
                        published_on=r["published_on"],
                        batch=batch,
                    )
                    for r in rows
                ],
                batch_size=BATCH_SIZE,
            )
    except IntegrityError as exc:  # a concurrent import saved the same figures meanwhile
        raise ValidationError(
            {
                "rows": _(
                    "Some of these figures were saved meanwhile by another import; preview the file again."
                )
            }
        ) from exc
    _drop_preview(token)
    return batch


# =========================================================================================================
# Figures entered by hand, qualitative ratings
# =========================================================================================================
def _country_from(value: Any, field_name: str = "country") -> Country:
    if isinstance(value, Country):
        return value
    country = CountryMatcher().match(str(value or "")) if value else None
    if country is None:
        raise ValidationError({field_name: _("Choose a country.")})
    return country


def record_observation(*, user: User, data: dict[str, Any]) -> Observation:
    """Save one figure entered by hand (e.g. a tier placement of a TIP report from 2016 on).

    ``data``: metric (Metric or code, default "tip_tier"), country (Country, ISO3 or name), year,
    label (for categories, e.g. "Tier 2 Watch List") and/or value, edition (default: the usual name,
    "TIP Report <year>"), published_on (default: the source's publication rule), note."""
    permissions.require_selection_staff(user)
    metric_value = data.get("metric") or "tip_tier"
    metric = metric_value if isinstance(metric_value, Metric) else _metric_for(str(metric_value))
    errors: dict[str, list[str]] = defaultdict(list)
    country: Country | None = None
    try:
        country = _country_from(data.get("country"))
    except ValidationError as exc:
        errors["country"] += exc.message_dict["country"]
    year_number = parse_number(data.get("year"))
    year: int | None = None
    if year_number is None or year_number != int(year_number):
        errors["year"].append(_("Give the year (for a TIP report: the report year)."))
    elif not FIRST_YEAR <= int(year_number) <= LAST_YEAR:
        errors["year"].append(
            _("%(year)s is outside %(first)s–%(last)s.")
            % {"year": int(year_number), "first": FIRST_YEAR, "last": LAST_YEAR}
        )
    else:
        year = int(year_number)
    value: float | None = None
    label = str(data.get("label") or "").strip()
    raw_value = data.get("value")
    if _is_categorised(metric):
        category = category_for(metric, label or raw_value)
        if category is None:
            names = ", ".join(c["label"] for c in metric.categories)
            errors["label"].append(
                _("Choose one of: %(names)s.") % {"names": names}
                if not (label or raw_value not in (None, ""))
                else _("“%(value)s” is not a category of %(metric)s (%(names)s).")
                % {"value": label or raw_value, "metric": metric.display_name, "names": names}
            )
        else:
            value, label = category["value"], category["label"]
    else:
        value = parse_number(raw_value) if raw_value not in (None, "") else None
        if value is None:
            errors["value"].append(_("Give a number."))
        elif message := _range_message(metric, value):
            errors["value"].append(message)
    edition = str(data.get("edition") or "").strip()
    if not edition and year is not None:
        edition = default_edition(metric, year)
    published_on = data.get("published_on") or None
    if isinstance(published_on, str):
        published_on = _parse_date(published_on)
        if published_on is None:
            errors["published_on"].append(_("Give a date (YYYY-MM-DD)."))
    if published_on is None and year is not None and not errors["published_on"]:
        published_on = metric.source.published_on(year)
    if (
        country is not None
        and year is not None
        and Observation.objects.filter(metric=metric, country=country, year=year, edition=edition).exists()
    ):
        errors["year"].append(
            _("%(country)s already has a figure for %(year)s in the edition “%(edition)s”.")
            % {"country": country.display_name, "year": year, "edition": edition}
        )
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    assert country is not None and year is not None and isinstance(published_on, dt.date)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            source=metric.source,
            origin=ImportBatch.Origin.MANUAL,
            rows=1,
            imported_by=user,
            notes=f"{metric.code} {country.iso3} {year} ({edition}) entered by hand.",
        )
        observation = Observation(
            metric=metric,
            country=country,
            year=year,
            edition=edition,
            value=value,
            label=label,
            published_on=published_on,
            note=str(data.get("note") or "").strip()[:300],
            batch=batch,
        )
        observation.full_clean()
        observation.save()
    return observation


def record_rating(*, user: User, data: dict[str, Any]) -> QualitativeRating:
    """Save a dated qualitative rating (1–5) with its justification; the author is ``user``."""
    permissions.require_selection_staff(user)
    errors: dict[str, list[str]] = defaultdict(list)
    country: Country | None = None
    try:
        country = _country_from(data.get("country"))
    except ValidationError as exc:
        errors["country"] += exc.message_dict["country"]
    criterion = str(data.get("criterion") or "")
    if criterion not in QualitativeCriterion.values:
        errors["criterion"].append(_("Choose a criterion."))
    score = parse_number(data.get("score"))
    if score is None or score != int(score) or not 1 <= score <= 5:
        errors["score"].append(_("Give a rating from 1 to 5."))
    rated_on = data.get("rated_on")
    if isinstance(rated_on, str):
        rated_on = _parse_date(rated_on)
    if not isinstance(rated_on, dt.date):
        errors["rated_on"].append(_("Give the date of the rating (YYYY-MM-DD)."))
    elif rated_on > timezone.localdate():
        errors["rated_on"].append(_("A rating cannot be dated in the future."))
    justification = str(data.get("justification") or "").strip()
    if len(justification) < 20:
        errors["justification"].append(_("Explain the rating in a few sentences (20 characters at least)."))
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    assert country is not None and score is not None and isinstance(rated_on, dt.date)
    with transaction.atomic():
        rating = QualitativeRating(
            country=country,
            criterion=criterion,
            score=int(score),
            rated_on=rated_on,
            justification=justification,
            author=user,
        )
        rating.full_clean()
        rating.save()
    return rating
