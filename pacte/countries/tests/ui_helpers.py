"""Data and users shared by the tests of the country pages and API (test_views, test_api,
test_permissions). Rows are created directly, with the fixed codes of notes/COUNTRIES.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation

from ..models import (
    Country,
    Metric,
    ModelCriterion,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    SelectionModel,
    SelectionRun,
    Source,
)

TIERS = [
    {"label": "Tier 1", "value": 1},
    {"label": "Tier 2", "value": 2},
    {"label": "Tier 2 Watch List", "value": 3},
    {"label": "Tier 3", "value": 4},
    {"label": "Special Case", "value": None},
]
INCOME = [
    {"label": "Low income", "value": 1},
    {"label": "Lower middle income", "value": 2},
    {"label": "Upper middle income", "value": 3},
    {"label": "High income", "value": 4},
]


def make_catalogue() -> dict[str, Metric]:
    tip = Source.objects.create(
        code="tip_report",
        name="TIP Report",
        publisher="US Department of State",
        publication_lag_years=0,
        publication_month=6,
        publication_day=30,
    )
    cpi = Source.objects.create(
        code="ti_cpi",
        name="Corruption Perceptions Index",
        publisher="Transparency International",
        publication_lag_years=1,
        publication_month=1,
        publication_day=31,
    )
    income = Source.objects.create(
        code="wb_income",
        name="World Bank income classification",
        publisher="World Bank",
        publication_lag_years=1,
        publication_month=7,
        publication_day=1,
    )
    return {
        "tip_tier": Metric.objects.create(
            code="tip_tier",
            name="TIP tier placement",
            name_fr="Classement TIP",
            source=tip,
            kind=Metric.Kind.ORDINAL,
            categories=TIERS,
            higher_is_better=False,
            order=1,
        ),
        "cpi_score": Metric.objects.create(
            code="cpi_score",
            name="CPI score",
            name_fr="Score IPC",
            source=cpi,
            minimum=0,
            maximum=100,
            order=2,
        ),
        "wb_income_group": Metric.objects.create(
            code="wb_income_group",
            name="Income group",
            name_fr="Groupe de revenu",
            source=income,
            kind=Metric.Kind.ORDINAL,
            categories=INCOME,
            higher_is_better=False,
            order=3,
        ),
    }


def observe(
    metric: Metric, country: Country, year: int, value: float | None, label: str = "", **kw: Any
) -> Observation:
    kw.setdefault("edition", f"{metric.source.code} {year}")
    kw.setdefault("published_on", metric.source.published_on(year))
    return Observation.objects.create(
        metric=metric, country=country, year=year, value=value, label=label, **kw
    )


def make_country(iso3: str, name: str, name_fr: str = "", region: str = "Africa") -> Country:
    return Country.objects.create(iso3=iso3, iso2=iso3[:2], name=name, name_fr=name_fr or name, region=region)


def populate(
    metrics: dict[str, Metric], n_countries: int, years: range = range(2012, 2016), start: int = 0
) -> list[Country]:
    """``n_countries`` countries, each with a tier, a CPI score and an income group for every year."""
    countries = []
    for i in range(start, start + n_countries):
        country = make_country(f"Z{i // 26 % 26 + 65:c}{i % 26 + 65:c}".upper(), f"Country {i:03d}")
        countries.append(country)
        for year in years:
            observe(metrics["tip_tier"], country, year, 2, "Tier 2")
            observe(metrics["cpi_score"], country, year, 30 + i % 50)
            observe(metrics["wb_income_group"], country, year, 1 + i % 4, INCOME[i % 4]["label"])
    return countries


def make_run(
    model: SelectionModel | None = None, *, user: Any = None, policy: str = "impute_median"
) -> SelectionRun:
    """A saved run with results and sensitivity in the shape of the contract."""
    criteria = [
        {
            "key": "metric:cpi_score",
            "name": "Score IPC",
            "weight": 2.0,
            "share": 2 / 3,
            "direction": "higher",
            "normalisation": "min_max",
        },
        {
            "key": "rating:political_will",
            "name": "Volonté politique",
            "weight": 1.0,
            "share": 1 / 3,
            "direction": "higher",
            "normalisation": "rank",
        },
    ]

    def value(
        raw: float | None, imputed: bool = False, year: int | None = 2022, edition: str = "CPI 2022"
    ) -> dict:
        return {
            "raw": raw,
            "label": "",
            "year": None if imputed else year,
            "edition": "" if imputed else edition,
            "published_on": None if imputed else "2023-01-31",
            "imputed": imputed,
            "normalised": 0.5,
        }

    ranking = [
        {
            "iso3": "GHA",
            "name": "Ghana",
            "rank": 1,
            "score": 0.8,
            "contributions": {"metric:cpi_score": 0.5, "rating:political_will": 0.3},
            "values": {"metric:cpi_score": value(43), "rating:political_will": value(4, edition="Rating")},
        },
        {
            "iso3": "CIV",
            "name": "Côte d’Ivoire",
            "rank": 2,
            "score": 0.6,
            "contributions": {"metric:cpi_score": 0.4, "rating:political_will": 0.2},
            "values": {
                "metric:cpi_score": value(37.5, imputed=True),
                "rating:political_will": value(3, edition="Rating"),
            },
        },
    ]
    results = {
        "criteria": criteria,
        "ranking": ranking,
        "excluded": [{"iso3": "NOR", "name": "Norvège", "reasons": ["Catégorie 1 (TIP Report 2022)."]}],
        "policy": {
            "missing": policy,
            "description": "Imputed with the median of the other countries; flagged.",
        },
        "warnings": [],
    }
    sensitivity = {
        "draws": 1000,
        "spread": 0.2,
        "top_n": 1,
        "seed": 7,
        "countries": {
            "GHA": {"rank_min": 1, "rank_max": 2, "rank_p5": 1, "rank_p95": 2, "p_top_n": 0.83},
            "CIV": {"rank_min": 1, "rank_max": 2, "rank_p5": 1, "rank_p95": 2, "p_top_n": 0.17},
        },
    }
    snapshot = {
        "name": model.name if model else "Fact sheet",
        "missing_policy": policy,
        "income_groups": ["Low income"],
        "exclude_tier_1": True,
        "exclude_restricted": True,
        "max_age_years": 5,
        "top_n": 1,
        "criteria": [],
    }
    return SelectionRun.objects.create(
        model=model,
        title="Shortlist 2023",
        as_of=dt.date(2023, 7, 1),
        seed=7,
        draws=1000,
        model_snapshot=snapshot,
        inputs={},
        results=results,
        sensitivity=sensitivity,
        created_by=user,
    )


def make_model(name: str = "Fact sheet", metric: Metric | None = None) -> SelectionModel:
    model = SelectionModel.objects.create(name=name, missing_policy=SelectionModel.MissingPolicy.EXCLUDE)
    if metric is not None:
        ModelCriterion.objects.create(model=model, metric=metric, weight=1)
    else:
        ModelCriterion.objects.create(model=model, qualitative=QualitativeCriterion.POLITICAL_WILL, weight=1)
    return model


def rate(
    country: Country, author: Any, score: int = 4, criterion: str = QualitativeCriterion.POLITICAL_WILL
) -> QualitativeRating:
    return QualitativeRating.objects.create(
        country=country,
        criterion=criterion,
        score=score,
        rated_on=dt.date(2023, 3, 1),
        justification="Strong commitment shown by the national action plan.",
        author=author,
    )


def _client(user: Any) -> Client:
    """A signed-in client in English, so that assertions on texts do not depend on translations."""
    client = Client()
    client.force_login(user)
    client.cookies["pacte_language"] = "en"
    return client


# -- users -----------------------------------------------------------------------------------------------
@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(name="TIP Office", org_type=Organisation.Type.DONOR_OFFICE, country="USA")
    return UserFactory(username="tip-staff", organisation=org)


@pytest.fixture
def government(db):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(name="Ministry", org_type=Organisation.Type.PARTNER_GOVERNMENT)
    return UserFactory(username="ministry-user", organisation=org)


@pytest.fixture
def partner(db):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(
        name="NGO partner", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
    )
    return UserFactory(username="ngo-user", organisation=org)


@pytest.fixture
def staff_client(staff) -> Client:  # type: ignore[no-untyped-def]
    return _client(staff)


@pytest.fixture
def government_client(government) -> Client:  # type: ignore[no-untyped-def]
    return _client(government)


@pytest.fixture
def partner_client(partner) -> Client:  # type: ignore[no-untyped-def]
    return _client(partner)


@pytest.fixture
def catalogue(db) -> dict[str, Metric]:  # type: ignore[no-untyped-def]
    return make_catalogue()
