"""Country-name matching: ISO 3166-1 codes, English and French names, and spellings found in data files.

Matching is deterministic: a text is normalised (``normalise``) and looked up, in this order, as an ISO
3166-1 alpha-3 or alpha-2 code, then among the English and French names of every country (pycountry's
name, common name and official name, and their French translations), then among the aliases
(``CountryAlias``: the built-in ones below and those saved by users while resolving an upload).
Nothing is guessed: a text that is none of these stays unmatched and is listed for a person to resolve.

Kosovo (code XKX/KOS in some files) is not in ISO 3166-1 and therefore has no Country row: rows about
it stay unmatched and are reported as such, like historical entities (Yugoslavia, Serbia and
Montenegro, Netherlands Antilles), regions and income-group aggregates.
"""

from __future__ import annotations

import csv
import gettext
import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pycountry
from django.db import transaction

from .models import Country, CountryAlias

if TYPE_CHECKING:
    from pacte.accounts.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
GEO_FILE = DATA_DIR / "geo" / "gapminder_geo_country_entities.csv"

# Spellings found in the shipped files (TIP reports as transcribed by Kelley and gvnet, OWID, the CIA
# World Factbook, Gapminder) that are none of pycountry's names. Keys are the spellings, values ISO3.
BUILTIN_ALIASES: dict[str, str] = {
    # Côte d'Ivoire, every spelling seen (the apostrophe is dropped by normalise()).
    "Cote D'Ivoire": "CIV",
    "Ivory Coast": "CIV",
    "Côte d’Ivoire": "CIV",
    # TIP report / State Department style
    "Burma": "MMR",
    "Korea, South": "KOR",
    "South Korea": "KOR",
    "Korea, North": "PRK",
    "North Korea": "PRK",
    "Congo (ROC)": "COG",
    "Congo (DRC)": "COD",
    "Congo, Republic of the": "COG",
    "Congo, Rep.": "COG",
    "Republic of the Congo": "COG",
    "Republic of Congo": "COG",
    "Congo (Brazzaville)": "COG",
    "Congo-Brazzaville": "COG",
    "Congo, Democratic Republic of the": "COD",
    "Congo, Dem. Rep.": "COD",
    "Democratic Republic of Congo": "COD",
    "Democratic Republic of the Congo": "COD",
    "Congo (Kinshasa)": "COD",
    "DRC": "COD",
    "DR Congo": "COD",
    "St Vincent & Gren": "VCT",
    "St. Vincent and the Grenadines": "VCT",
    "Saint Vincent & the Grenadines": "VCT",
    "St. Kitts and Nevis": "KNA",
    "St Kitts & Nevis": "KNA",
    "St. Lucia": "LCA",
    "St Lucia": "LCA",
    "Antigua & Barbuda": "ATG",
    "Trinidad & Tobago": "TTO",
    "Sao Tome & Principe": "STP",
    "Bosnia & Herzegovina": "BIH",
    "Bosnia": "BIH",
    "Russia": "RUS",
    "Iran": "IRN",
    "Syria": "SYR",
    "Laos": "LAO",
    "Lao": "LAO",
    "Vietnam": "VNM",
    "Bolivia": "BOL",
    "Venezuela": "VEN",
    "Tanzania": "TZA",
    "Moldova": "MDA",
    "Macedonia": "MKD",
    "Macedonia, FYR": "MKD",
    "Macedonia, The Former Yugoslav Republic of": "MKD",
    "Former Yugoslav Republic of Macedonia": "MKD",
    "North Macedonia, Republic of": "MKD",
    "Czech Republic": "CZE",
    "Swaziland": "SWZ",
    "Gambia, The": "GMB",
    "Bahamas, The": "BHS",
    "Micronesia": "FSM",
    "Micronesia (country)": "FSM",
    "Micronesia, Fed. Sts.": "FSM",
    "Federated States of Micronesia": "FSM",
    "Brunei": "BRN",
    "Cape Verde": "CPV",
    "East Timor": "TLS",
    "Timor Leste": "TLS",
    "Kyrgyz Republic": "KGZ",
    "Slovak Republic": "SVK",
    "Turkey": "TUR",
    "Turkiye": "TUR",
    "Taiwan": "TWN",
    "Vatican": "VAT",
    "Holy See (Vatican City)": "VAT",
    "Macau": "MAC",
    "Macao": "MAC",
    "Hong Kong": "HKG",
    "Palestine": "PSE",
    "Palestinian Territories": "PSE",
    "UAE": "ARE",
    "UK": "GBR",
    "Great Britain": "GBR",
    "USA": "USA",
    "United States of America": "USA",
    "Curacao": "CUW",
    "Sint Maarten": "SXM",
    "Saint Martin": "MAF",
    "Saint Barthelemy": "BLM",
    "Pitcairn Islands": "PCN",
    "Falkland Islands (Islas Malvinas)": "FLK",
    "Virgin Islands": "VIR",
    "British Virgin Islands": "VGB",
    "Svalbard (sometimes referred to as Spitsbergen, the largest island in the archipelago)": "SJM",
    "The Dominican": "DOM",
    "Egypt, Arab Rep.": "EGY",
    "Yemen, Rep.": "YEM",
    "Iran, Islamic Rep.": "IRN",
    "Hong Kong SAR, China": "HKG",
    "Lao PDR": "LAO",
    "China (PRC)": "CHN",
    "Congo, Democratic Rep. of": "COD",
    "Congo, Republic of": "COG",
    "St. Maarten": "SXM",
    "Bosnia-Herzegovina": "BIH",
    "Central African Rep": "CAF",
    "Hong Kong S.A.R.": "HKG",
    "Hong Kong, China": "HKG",
    "Macao, China": "MAC",
    "United Kingdom - UK": "GBR",
    "Saint Helena": "SHN",
    "Timor": "TLS",
    "Holy See": "VAT",
    # Gapminder geo names of territories
    "Aland": "ALA",
    "Cocos Island": "CCK",
    "Cook Is": "COK",
    "Falkland Is (Malvinas)": "FLK",
    "Faeroe Islands": "FRO",
    "Heard and McDonald Islands": "HMD",
    "St. Martin (French part)": "MAF",
    "Svalbard": "SJM",
    "St.-Pierre-et-Miquelon": "SPM",
    "US Minor Outlying Islands": "UMI",
    # Cho et al. abbreviated names (kelley_cho_tiers_1999_2014_raw_codes.csv; not imported by name, but
    # kept so that the same spellings in an upload match).
    "CentralAfRep": "CAF",
    "Cote DIvoire": "CIV",
    "Congo (Brazzaville; Rep)": "COG",
}

# Spellings that are deliberately NOT countries of ISO 3166-1 (reported as unmatched with this reason).
KNOWN_NON_COUNTRIES: dict[str, str] = {
    "kosovo": "Kosovo has no ISO 3166-1 code.",
    "yugoslavia": "historical entity",
    "serbia and montenegro": "historical entity",
    "czechoslovakia": "historical entity",
    "ussr": "historical entity",
    "netherlands antilles": "historical entity",
    "gaza strip": "part of a country",
    "european union": "not a country",
    "west bank": "part of a country",
}

_APOSTROPHES = re.compile(r"['’‘`´\x92]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SAINT = re.compile(r"\bst\b")


def normalise(text: str) -> str:
    """Matching key of a name: HTML entities decoded, accents removed, case folded, apostrophes dropped,
    "&" read as "and", other punctuation and spaces collapsed to one space, "St" read as "Saint", a
    leading "the" removed.

    >>> normalise("  Côte d’Ivoire ")
    'cote divoire'
    """
    text = html.unescape(str(text or "")).replace("\xa0", " ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.casefold()).replace("&", " and ")
    text = _NON_ALNUM.sub(" ", text).strip()
    text = _SAINT.sub("saint", text)
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text


@lru_cache(maxsize=1)
def _french() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:  # pragma: no cover - pycountry always ships its catalogues
        return gettext.NullTranslations()


def _pycountry_names(record: object) -> list[str]:
    names = [getattr(record, attr, None) for attr in ("name", "common_name", "official_name")]
    english = [n for n in names if n]
    french = [_french().gettext(n) for n in english]
    return english + french


@lru_cache(maxsize=1)
def _geo_regions() -> dict[str, str]:
    """ISO3 → region (Gapminder's six world regions), from the shipped geo file."""
    labels = {
        "sub_saharan_africa": "Sub-Saharan Africa",
        "east_asia_pacific": "East Asia and Pacific",
        "europe_central_asia": "Europe and Central Asia",
        "middle_east_north_africa": "Middle East and North Africa",
        "south_asia": "South Asia",
        "america": "Americas",
    }
    regions: dict[str, str] = {}
    if not GEO_FILE.exists():
        return regions
    with GEO_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            iso3 = row.get("iso3166_1_alpha3", "").upper()
            region = labels.get(row.get("world_6region", ""), "")
            if iso3 and region:
                regions[iso3] = region
    return regions


def ensure_countries() -> int:
    """Create or refresh a Country for every ISO 3166-1 entry (with French names and regions), and the
    built-in aliases. Idempotent. Returns the number of countries created."""
    regions = _geo_regions()
    existing = {c.iso3: c for c in Country.objects.all()}
    created: list[Country] = []
    changed: list[Country] = []
    for record in pycountry.countries:
        name = getattr(record, "common_name", None) or record.name
        values = {
            "iso2": record.alpha_2,
            "name": name,
            "name_fr": _french().gettext(record.name),
            "region": regions.get(record.alpha_3, ""),
        }
        country = existing.get(record.alpha_3)
        if country is None:
            created.append(Country(iso3=record.alpha_3, **values))
        elif any(getattr(country, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(country, key, value)
            changed.append(country)
    with transaction.atomic():
        Country.objects.bulk_create(created)
        if changed:
            Country.objects.bulk_update(changed, ["iso2", "name", "name_fr", "region"])
        by_iso3 = {c.iso3: c for c in Country.objects.all()}
        known = set(CountryAlias.objects.values_list("normalised", flat=True))
        aliases = []
        for alias, iso3 in BUILTIN_ALIASES.items():
            key = normalise(alias)
            if key in known or iso3 not in by_iso3:
                continue
            known.add(key)
            aliases.append(CountryAlias(country=by_iso3[iso3], alias=alias, normalised=key))
        CountryAlias.objects.bulk_create(aliases)
    return len(created)


class CountryMatcher:
    """An in-memory index of every way to name a country; build once per import."""

    def __init__(self) -> None:
        countries = {c.iso3: c for c in Country.objects.all()}
        self.countries = countries
        self.by_code: dict[str, Country] = {}
        self.by_name: dict[str, Country] = {}
        for country in countries.values():
            self.by_code[country.iso3.casefold()] = country
            if country.iso2:
                self.by_code[country.iso2.casefold()] = country
        # pycountry names first, so that an ISO name always wins over a user alias.
        for record in pycountry.countries:
            found = countries.get(record.alpha_3)
            if found is None:
                continue
            for name in [*_pycountry_names(record), found.name, found.name_fr]:
                self.by_name.setdefault(normalise(name), found)
        for alias in CountryAlias.objects.select_related("country"):
            self.by_name.setdefault(alias.normalised, alias.country)

    def match(self, text: str | None) -> Country | None:
        raw = html.unescape(str(text or "")).strip()
        if not raw:
            return None
        if len(raw) in (2, 3) and raw.isalpha():
            found = self.by_code.get(raw.casefold())
            if found is not None:
                return found
        return self.by_name.get(normalise(raw))

    def by_iso3(self, iso3: str | None) -> Country | None:
        return self.countries.get((iso3 or "").strip().upper())


def match_country(text: str) -> Country | None:
    """The country a text names (ISO3/ISO2 code in any case, English or French name, alias), or None."""
    return CountryMatcher().match(text)


def unmatched_reason(text: str) -> str:
    """Why a name has no country, when it is a known non-country; empty otherwise."""
    return KNOWN_NON_COUNTRIES.get(normalise(text), "")


@transaction.atomic
def save_alias(*, text: str, country: Country, user: User | None = None) -> CountryAlias | None:
    """Remember that ``text`` names ``country`` (for the next uploads). No-op if it already matches."""
    key = normalise(text)
    if not key:
        return None
    alias, _created = CountryAlias.objects.get_or_create(
        normalised=key, defaults={"country": country, "alias": text.strip()[:200], "created_by": user}
    )
    return alias
