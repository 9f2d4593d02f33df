"""XLSX export of a saved selection run: valid workbook, every sheet, numbers as numbers."""

import datetime as dt
from io import BytesIO

import pytest
from django.utils import translation
from openpyxl import load_workbook

from pacte.countries import selection
from pacte.countries.exports import run_to_xlsx
from pacte.countries.models import Observation, QualitativeRating
from pacte.countries.tests.test_selection import build_model, make_staff, make_world


@pytest.fixture(autouse=True)
def english_messages():
    """These tests read messages in English; the interface default is French."""
    with translation.override("en"):
        yield


@pytest.fixture
def run(db):
    staff = make_staff()
    make_world(staff)
    QualitativeRating.objects.filter(country__iso3="GHA").delete()
    model = build_model(
        staff, missing_policy="impute_median", income_groups=["Low income", "Lower middle income"]
    )
    return selection.run_selection(user=staff, model=model, as_of=dt.date(2022, 3, 1), draws=200, seed=5)


def open_workbook(run):
    return load_workbook(BytesIO(run_to_xlsx(run)))


def test_workbook_has_every_sheet_and_the_ranking_as_numbers(run):
    with translation.override("en"):
        workbook = open_workbook(run)
    assert workbook.sheetnames == ["Ranking", "Inputs", "Model", "Sensitivity", "Excluded"]
    sheet = workbook["Ranking"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Rank", "ISO code", "Country", "Score"]
    assert header[4:6] == ["Contribution: Cpi Score", "Contribution: Political will"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    saved = run.results["ranking"]
    assert [r[1] for r in rows] == [r["iso3"] for r in saved]
    for row, expected in zip(rows, saved, strict=True):
        assert isinstance(row[0], int) and isinstance(row[3], int | float)
        assert row[3] == pytest.approx(expected["score"])
        assert row[4] + row[5] == pytest.approx(row[3])  # contributions add up to the score
    ghana = next(r for r in rows if r[1] == "GHA")
    assert ghana[6] == "Political will"  # flagged as imputed
    assert sheet.column_dimensions["C"].width >= len("Côte d'Ivoire")


def test_inputs_sensitivity_excluded_and_model_sheets(run):
    with translation.override("en"):
        workbook = open_workbook(run)
    inputs = [[c.value for c in row] for row in workbook["Inputs"].iter_rows(min_row=2)]
    civ_cpi = next(r for r in inputs if r[0] == "CIV" and r[2] == "Cpi Score")
    observation = Observation.objects.get(metric__code="cpi_score", country__iso3="CIV", year=2021)
    assert civ_cpi[3] == observation.value and civ_cpi[5] == 2021
    assert civ_cpi[7].date() == observation.published_on and civ_cpi[8] == "No"
    assert any(r[0] == "GHA" and r[8] == "Yes" for r in inputs)
    assert any(r[9] == "Filter" and r[2] == "Income group (filter)" for r in inputs)

    sens = [[c.value for c in row] for row in workbook["Sensitivity"].iter_rows(min_row=2)]
    assert len(sens) == len(run.results["ranking"])
    for row in sens:
        stats = run.sensitivity["countries"][row[1]]
        assert row[3:8] == [
            stats["rank_min"],
            stats["rank_max"],
            stats["rank_p5"],
            stats["rank_p95"],
            stats["p_top_n"],
        ]

    excluded = [[c.value for c in row] for row in workbook["Excluded"].iter_rows(min_row=2)]
    assert [r[0] for r in excluded] == ["FRA"] and "High income" in excluded[0][2]

    model = {row[0].value: row[1].value for row in workbook["Model"].iter_rows() if row and row[0].value}
    assert model["As of"].date() == dt.date(2022, 3, 1)
    assert model["Random seed"] == 5 and model["Sensitivity draws"] == 200
    assert "median" in model["Missing-data policy in words"]
    assert model["Income groups kept"] == "Low income, Lower middle income"
    assert model["Cpi Score"] == 2.0  # criterion row: weight


def test_headers_follow_the_current_language(run):
    with translation.override("fr"):
        french = open_workbook(run)
    with translation.override("en"):
        english = open_workbook(run)
    assert english["Ranking"]["A1"].value == "Rank"
    # Same cells, same numbers whatever the language.
    assert [c.value for c in french["Ranking"]["D"]][1:] == [c.value for c in english["Ranking"]["D"]][1:]
