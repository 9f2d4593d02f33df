"""Country-name matching: ISO codes, English/French names, the spellings of every shipped file."""

import csv

import pycountry
import pytest

from pacte.countries import matching
from pacte.countries.imports import FACTBOOK_GEC
from pacte.countries.matching import DATA_DIR, CountryMatcher, ensure_countries, match_country, normalise
from pacte.countries.models import Country, CountryAlias


@pytest.fixture
def countries(db):
    ensure_countries()


def _column(path, column, encoding="utf-8"):
    with (DATA_DIR / path).open(encoding=encoding, newline="") as handle:
        return sorted({row[column] for row in csv.DictReader(handle)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Côte d’Ivoire ", "cote divoire"),
        ("Cote D'Ivoire", "cote divoire"),
        ("C&ocirc;te d'Ivoire", "cote divoire"),
        ("Korea, South", "korea south"),
        ("St Vincent & Gren", "saint vincent and gren"),
        ("The Gambia", "gambia"),
        ("Laos&nbsp;", "laos"),
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("Cote D'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote DIvoire", "CIV"),
        ("Burma", "MMR"),
        ("Korea, South", "KOR"),
        ("Korea, North", "PRK"),
        ("Congo (ROC)", "COG"),
        ("Congo (DRC)", "COD"),
        ("Congo, Democratic Republic of the", "COD"),
        ("Congo, Republic of", "COG"),
        ("Congo", "COG"),
        ("St Vincent & Gren", "VCT"),
        ("Saint Vincent and the Grenadines", "VCT"),
        ("St. Lucia", "LCA"),
        ("Russia", "RUS"),
        ("Iran", "IRN"),
        ("Syria", "SYR"),
        ("Laos", "LAO"),
        ("Vietnam", "VNM"),
        ("Viet Nam", "VNM"),
        ("Bolivia", "BOL"),
        ("Venezuela", "VEN"),
        ("Tanzania", "TZA"),
        ("Moldova", "MDA"),
        ("Macedonia", "MKD"),
        ("North Macedonia", "MKD"),
        ("Czech Republic", "CZE"),
        ("Czechia", "CZE"),
        ("Swaziland", "SWZ"),
        ("Eswatini", "SWZ"),
        ("The Gambia", "GMB"),
        ("Gambia, The", "GMB"),
        ("The Bahamas", "BHS"),
        ("Micronesia", "FSM"),
        ("Brunei", "BRN"),
        ("Cabo Verde", "CPV"),
        ("Cape Verde", "CPV"),
        ("Timor-Leste", "TLS"),
        ("Turkey", "TUR"),
        ("United States", "USA"),
        # Codes, any case
        ("CIV", "CIV"),
        ("civ", "CIV"),
        ("CI", "CIV"),
        ("gh", "GHA"),
        # French names from pycountry's catalogue
        ("Allemagne", "DEU"),
        ("Égypte", "EGY"),
        ("egypte", "EGY"),
        ("Royaume-Uni", "GBR"),
        ("Philippines", "PHL"),
    ],
)
def test_match_country_aliases_codes_and_french_names(countries, text, iso3):
    country = match_country(text)
    assert country is not None, text
    assert country.iso3 == iso3


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Guinea", "GIN"),
        ("Guinea-Bissau", "GNB"),
        ("Equatorial Guinea", "GNQ"),
        ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"),
        ("Sudan", "SDN"),
        ("South Sudan", "SSD"),
        ("Korea, North", "PRK"),
    ],
)
def test_similar_names_are_not_confused(countries, text, iso3):
    assert match_country(text).iso3 == iso3


@pytest.mark.parametrize(
    "text",
    [
        "Kosovo",
        "Yugoslavia",
        "Serbia and Montenegro",
        "World",
        "Sub-Saharan Africa",
        "",
        "   ",
        "XKX",
        "Ivory",
    ],
)
def test_non_countries_stay_unmatched(countries, text):
    assert match_country(text) is None


def test_known_non_countries_have_a_reason():
    assert "ISO 3166-1" in matching.unmatched_reason("Kosovo")
    assert matching.unmatched_reason("Serbia and Montenegro") == "historical entity"
    assert matching.unmatched_reason("France") == ""


def test_ensure_countries_is_idempotent_with_french_names_and_regions(db):
    created = ensure_countries()
    assert created == len(pycountry.countries) == Country.objects.count()
    aliases = CountryAlias.objects.count()
    assert aliases > 50
    assert ensure_countries() == 0
    assert Country.objects.count() == created
    assert CountryAlias.objects.count() == aliases
    civ = Country.objects.get(iso3="CIV")
    assert (civ.iso2, civ.name_fr, civ.region) == ("CI", "Côte d'Ivoire", "Sub-Saharan Africa")
    assert Country.objects.get(iso3="DEU").name_fr == "Allemagne"
    assert Country.objects.get(iso3="BOL").name == "Bolivia"  # common name, not "Plurinational State of"
    assert Country.objects.get(iso3="PHL").region == "East Asia and Pacific"


def test_saved_alias_is_used_by_the_next_match(countries):
    assert match_country("Cote d Ivoir") is None
    matching.save_alias(text="Cote d Ivoir", country=Country.objects.get(iso3="CIV"))
    assert match_country("COTE D IVOIR").iso3 == "CIV"


def test_a_user_alias_never_overrides_an_iso_name(countries):
    CountryAlias.objects.create(country=Country.objects.get(iso3="FRA"), alias="Chad", normalised="chad")
    assert match_country("Chad").iso3 == "TCD"


# -- every name of every shipped file ------------------------------------------------------------------------
NAME_FILES = {
    # file, column → names expected to stay unmatched (skipped by the import and listed in its notes)
    ("tip/kelley_tiers_2015_original.csv", "countryname"): {"Kosovo"},
    ("tip/gvnet_tip_tier_lists_2009_2020_2023_partial.csv", "country_name_as_listed"): {
        "Kosovo",
        "Netherlands Antilles",
    },
    ("tip/kelley_map_tiers_1999_2015.csv", "countryname"): {"Kosovo"},
    ("education/owid_undp_expected_years_schooling.csv", "Entity"): {"Micronesia (region)"},
}


@pytest.mark.parametrize(("path", "column"), list(NAME_FILES))
def test_every_name_of_the_name_based_files_matches(countries, path, column):
    matcher = CountryMatcher()
    unmatched = {name for name in _column(path, column) if matcher.match(name) is None}
    assert unmatched == NAME_FILES[(path, column)]


def test_owid_literacy_leaves_only_aggregates_and_kosovo_unmatched(countries):
    matcher = CountryMatcher()
    unmatched = {
        n for n in _column("literacy/owid_cross_country_literacy_rates.csv", "Entity") if not matcher.match(n)
    }
    assert "Kosovo" in unmatched
    assert {"World", "Sub-Saharan Africa", "Low income", "IDA only"} <= unmatched
    others = unmatched - {"Kosovo", "World", "Saint Helena"}
    # Every other unmatched entity is an aggregate of the World Bank (region, income group, lending group…).
    keywords = (
        "income",
        "IDA",
        "IBRD",
        "states",
        "dividend",
        "Asia",
        "Africa",
        "America",
        "Europe",
        "Arab",
        "countries",
        "situations",
        "Caribbean",
        "Baltics",
    )
    assert all(any(k in name for k in keywords) for name in others), others
    assert matcher.match("Saint Helena").iso3 == "SHN"


def test_kelley_names_agree_with_its_iso_codes(countries):
    matcher = CountryMatcher()
    with (DATA_DIR / "tip/kelley_map_tiers_1999_2015.csv").open(encoding="utf-8", newline="") as handle:
        pairs = {(row["countryname"], row["iso"]) for row in csv.DictReader(handle)}
    mismatches = {(name, iso) for name, iso in pairs if name != "Kosovo" and matcher.match(name).iso3 != iso}
    assert mismatches == set()
    assert matcher.by_iso3("KOS") is None


def test_gapminder_geo_names_agree_with_their_iso_codes(countries):
    matcher = CountryMatcher()
    with (DATA_DIR / "geo/gapminder_geo_country_entities.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["iso3166_1_alpha3"]]
    assert len(rows) > 240
    wrong = [
        (r["name"], r["iso3166_1_alpha3"])
        for r in rows
        if (matcher.match(r["name"]) or Country()).iso3 != r["iso3166_1_alpha3"]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "path",
    [
        "cpi/gapminder_cpi_2012_2023.csv",
        "freedom_house/gapminder_polrights_fh.csv",
        "income/gapminder_ilevels4_wb.csv",
        "gdp/gapminder_gdp_pcap_ppp2021_1990_2024.csv",
    ],
)
def test_every_gapminder_code_maps_to_a_country_except_kosovo(countries, path):
    matcher = CountryMatcher()
    with (DATA_DIR / "geo/gapminder_geo_country_entities.csv").open(encoding="utf-8", newline="") as handle:
        geo = {row["country"]: row["iso3166_1_alpha3"] for row in csv.DictReader(handle)}
    unmatched = {code for code in _column(path, "country") if matcher.by_iso3(geo.get(code, "")) is None}
    assert unmatched <= {"kos"}


def test_factbook_names_match_the_corrected_codes(countries):
    """Each Factbook entity is keyed by its corrected ISO3; where it has a usable name, the name agrees."""
    matcher = CountryMatcher()
    with (DATA_DIR / "cia_factbook/factbook_cpc_indicators_snapshots.csv").open(encoding="utf-8") as handle:
        entities = {(r["gec"], r["iso3_derived"], r["country_short_name"]) for r in csv.DictReader(handle)}
    problems = []
    for gec, derived, name in entities:
        iso3 = FACTBOOK_GEC.get(gec, derived)
        if iso3 is None:
            assert gec in {"ee", "kv", "gz", "we"}
            continue
        assert matcher.by_iso3(iso3) is not None, (gec, iso3)
        if name not in ("", "none") and matcher.match(name).iso3 != iso3:
            problems.append((gec, name, iso3))
    assert problems == []
