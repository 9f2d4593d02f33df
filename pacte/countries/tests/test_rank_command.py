"""``manage.py rank_countries``: same ranking as run_selection, saves nothing unless --save."""

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from pacte.countries import selection
from pacte.countries.models import SelectionRun
from pacte.countries.tests.test_selection import build_model, criteria_spec, make_staff, make_world


@pytest.fixture(autouse=True)
def english_messages():
    """These tests read the services' messages in English; the interface default is French."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff(db):
    user = make_staff()
    make_world(user)
    return user


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("rank_countries", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_matches_run_selection_and_saves_nothing(staff):
    model = build_model(staff, missing_policy="impute_worst", exclude_tier_1=True)
    out, err = run_command("--as-of", "2022-03-01", "--format", "csv", "--draws", "300", "--seed", "4")
    assert SelectionRun.objects.count() == 0
    rows = list(csv.DictReader(StringIO(out)))
    run = selection.run_selection(user=staff, model=model, as_of=dt.date(2022, 3, 1), draws=300, seed=4)
    expected = run.results["ranking"]
    assert [r["iso3"] for r in rows] == [r["iso3"] for r in expected]
    for row, saved in zip(rows, expected, strict=True):
        assert int(row["rank"]) == saved["rank"] and row["country"] == saved["name"]
        assert float(row["score"]) == saved["score"]  # printed with full precision
        for key, value in saved["contributions"].items():
            assert float(row[key]) == value
        stats = run.sensitivity["countries"][saved["iso3"]]
        assert int(row["rank_min"]) == stats["rank_min"] and int(row["rank_p95"]) == stats["rank_p95"]
        assert float(row["p_top_2"]) == stats["p_top_n"]
    assert "FRA" in err  # excluded (Tier 1), with the reason, on stderr
    assert "FRA" not in [r["iso3"] for r in rows]


def test_table_format_and_no_sensitivity_with_zero_draws(staff):
    build_model(staff)
    out, _ = run_command("--as-of", "2022-03-01", "--draws", "0")
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["rank", "iso3", "country", "score"]
    assert "rank_min" not in lines[0]
    assert len(lines) == 1 + 5
    assert lines[1].split()[1] in {"CIV", "FRA", "GHA", "SEN"}


def test_several_models_need_model_and_are_listed(staff):
    build_model(staff, name="First")
    build_model(staff, name="Second", criteria=criteria_spec(("metric:cpi_score", 1)))
    with pytest.raises(CommandError) as error:
        run_command("--as-of", "2022-03-01")
    assert "“First”" in str(error.value) and "“Second”" in str(error.value)
    out, _ = run_command("--as-of", "2022-03-01", "--model", "Second", "--format", "csv", "--draws", "0")
    header = out.splitlines()[0].split(",")
    assert header == ["rank", "iso3", "country", "score", "metric:cpi_score"]
    with pytest.raises(CommandError):
        run_command("--as-of", "2022-03-01", "--model", "Third")


def test_bad_date_and_filtered_out_everything_are_errors(staff):
    build_model(staff, income_groups=["Upper middle income"])
    with pytest.raises(CommandError):
        run_command("--as-of", "01/03/2022")
    with pytest.raises(CommandError) as error:
        run_command("--as-of", "2022-03-01")
    assert "income-group filter removed 5" in str(error.value)
    assert SelectionRun.objects.count() == 0


def test_save_records_the_run_for_a_staff_user(staff):
    build_model(staff)
    run_command(
        "--as-of", "2022-03-01", "--draws", "50", "--save", "--user", staff.username, "--title", "CLI"
    )
    run = SelectionRun.objects.get()
    assert run.title == "CLI" and run.created_by == staff and run.draws == 50
    with pytest.raises(CommandError):
        run_command("--as-of", "2022-03-01", "--save", "--user", "nobody")
    assert SelectionRun.objects.count() == 1
