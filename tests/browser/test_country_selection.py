"""Browser test of the country evidence base: a programme officer reads a country profile built from the
shipped real data, runs the demonstration selection model as of a date, and reads the ranking."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pacte.countries.models import SelectionModel, SelectionRun

pytestmark = pytest.mark.browser


@pytest.fixture
def country_data(demo_compact):  # type: ignore[no-untyped-def]
    call_command("import_country_data", stdout=StringIO())
    call_command("load_country_demo", stdout=StringIO())
    return SelectionModel.objects.get()


def test_profile_then_run_the_selection_as_of_a_date(page, login, screenshot, country_data):  # type: ignore[no-untyped-def]
    login("officer")
    page.goto("/countries/CIV/")
    expect(page.locator("h1")).to_contain_text("Côte d'Ivoire")
    # The TIP tier series has its chart, and the missing years are said, never filled.
    tier_section = page.locator("section", has=page.locator("h2", has_text="Classement du rapport TIP")).first
    expect(tier_section.locator("svg[role=img]")).to_have_count(1)
    expect(tier_section).to_contain_text("2016")
    screenshot("profile-civ")

    runs_before = SelectionRun.objects.count()
    page.goto(f"/countries/selection/models/{country_data.pk}/run/")
    page.locator("#id_as_of").fill("2016-12-31")
    page.locator("#id_draws").fill("1000")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/countries/selection/runs/*/")
    assert SelectionRun.objects.count() == runs_before + 1
    run = SelectionRun.objects.latest("created_at")
    assert run.as_of.isoformat() == "2016-12-31"
    first = run.results["ranking"][0]
    # The page shows the ranking the service saved, with the missing-data policy stated.
    expect(page.locator("main")).to_contain_text(first["name"])
    expect(page.locator("main")).to_contain_text("2016")
    screenshot("run")
