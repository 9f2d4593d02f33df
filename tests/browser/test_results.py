"""Results in a real browser, on the demo data: a partner reports values for an indicator and submits
them, a monitoring-committee member approves them, and the progress page and the indicator's chart
show the approved figure.

The indicator is created for the test (a new indicator of the demo compact's prevention objective,
defined through the services) so that the figures asserted are exactly the ones entered here, whatever
demonstration values ``load_demo`` adds to the other indicators.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from pacte.accounts.models import User
from pacte.compacts.models import Indicator, Objective
from pacte.results import services
from pacte.results.models import DisaggregationCategory, Submission

pytestmark = pytest.mark.browser

INDICATOR = "Nombre d'enfants victimes identifiés par les inspecteurs du travail (test navigateur)"


def t(message: str, language: str = "fr") -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture
def indicator_definition(demo_compact):  # type: ignore[no-untyped-def]
    """A count indicator reported by the demo NGO (user "partner"), disaggregated by sex, with a
    target of 40 for 2024."""
    services.ensure_standard_categories()
    officer = User.objects.get(username="officer")
    partner = User.objects.get(username="partner")
    objective = Objective.objects.get(compact=demo_compact, pillar="prevention")
    indicator = Indicator.objects.create(objective=objective, order=99, name=INDICATOR)
    female = DisaggregationCategory.objects.get(dimension="sex", code="female", country="")
    male = DisaggregationCategory.objects.get(dimension="sex", code="male", country="")
    definition = services.define_indicator(
        user=officer,
        indicator=indicator,
        data={
            "unit": "count",
            "unit_label": "enfants identifiés",
            "direction": "increase",
            "cumulation": "per_period",
            "frequency": "annual",
            "baseline_value": Decimal(12),
            "baseline_year": 2022,
        },
        categories=[female, male],
        reporters=[partner.organisation],
    )
    services.set_targets(user=officer, definition=definition, targets={2024: Decimal(40)})
    return definition


def test_partner_reports_committee_approves_progress_shows_it(
    page: Page, demo_compact, indicator_definition, login, screenshot
) -> None:
    definition = indicator_definition
    female = definition.categories.get(code="female")
    male = definition.categories.get(code="male")
    submissions_path = reverse("results:submissions", args=[demo_compact.pk])
    progress_path = reverse("results:progress", args=[demo_compact.pk])

    # 1. The partner reports 25 children for 2024 (15 girls, 10 boys) and submits them.
    login("partner")
    page.goto(submissions_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Submissions"))
    page.get_by_role("link", name=INDICATOR).click()
    expect(page).to_have_url(re.compile(rf"/submissions/new/{definition.pk}/$"))
    form = page.locator("#submission-form")
    form.locator("#id_period").select_option("2024")
    form.locator("#id_total_value").fill("25")
    form.locator(f"#id_{female.pk}_value").fill("15")
    form.locator(f"#id_{male.pk}_value").fill("10")
    form.locator("#id_comment").fill("Données des inspections de mars à novembre 2024.")
    form.locator("#id_evidence").set_input_files(
        files=[{"name": "liste-2024.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 liste"}]
    )
    screenshot("01-report-form")
    form.get_by_role("button", name=t("Save and submit for review")).click()

    submission = Submission.objects.get(definition=definition)
    expect(page).to_have_url(re.compile(rf"/submissions/{submission.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text(t("The submission was sent for review."))
    expect(page.locator(".pacte-sub-status--submitted")).to_have_text(t("Submitted"))
    expect(page.locator("#submission-values")).to_contain_text("25")
    expect(page.locator("#evidence-list")).to_contain_text("liste-2024")
    # The partner may not review its own values.
    expect(page.get_by_role("button", name=t("Approve"))).to_have_count(0)
    screenshot("02-submitted")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED

    # Before approval the progress page does not count the value.
    page.goto(f"{progress_path}?year=2024")
    expect(page.locator(f"#indicator-{definition.pk} .pacte-actual")).to_have_text("–")

    # 2. A monitoring-committee member finds it in the review list and approves it.
    page.context.clear_cookies()
    login("committee")
    page.goto(f"{submissions_path}?show=review")
    expect(page.locator("#submission-list")).to_contain_text(INDICATOR)
    screenshot("03-review-list")
    page.locator("#submission-list").get_by_role("link", name=INDICATOR).click()
    expect(page).to_have_url(re.compile(rf"/submissions/{submission.pk}/$"))
    screenshot("04-review")
    page.get_by_role("button", name=t("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text(t("The submission was approved."))
    expect(page.locator(".pacte-sub-status--approved")).to_have_text(t("Approved"))
    submission.refresh_from_db()
    assert submission.status == Submission.Status.APPROVED
    assert submission.reviewed_by == User.objects.get(username="committee")

    # 3. The progress page of 2024 shows the approved actual against the target and the baseline.
    page.goto(progress_path)
    page.locator("#year-select").select_option("2024")
    page.locator("#year-form").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"\?year=2024$"))
    row = page.locator(f"#indicator-{definition.pk}")
    expect(row.locator(".pacte-actual")).to_have_text("25")
    expect(row).to_contain_text("40")  # target
    expect(row).to_contain_text("12")  # baseline
    expect(row).to_contain_text(t("Not met"))
    row.scroll_into_view_if_needed()
    screenshot("05-progress")

    # 4. The indicator's page draws the chart (inline SVG with its title) above the table.
    row.get_by_role("link", name=INDICATOR).click()
    chart = page.locator("#indicator-chart svg")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("circle.pacte-chart-actual-point")).to_have_count(1)
    expect(page.locator("#indicator-years")).to_contain_text("25")
    screenshot("06-indicator")


def tick(page: Page, box: Locator) -> None:
    """Check a USWDS check box or radio button the way a person does: by clicking its label (the
    input itself is drawn by the label and kept out of view)."""
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()
    expect(box).to_be_checked()


def test_committee_defines_an_indicator_and_sets_targets(page: Page, demo_compact, login, screenshot) -> None:
    objective = Objective.objects.get(compact=demo_compact, pillar="prevention")
    indicator = Indicator.objects.create(objective=objective, order=98, name=INDICATOR)
    partner = User.objects.get(username="partner")
    definitions_path = reverse("results:definitions", args=[demo_compact.pk])

    login("committee")
    page.goto(definitions_path)
    undefined = page.locator("#undefined")
    expect(undefined).to_contain_text(INDICATOR)
    undefined.get_by_role("link", name=re.compile(re.escape(INDICATOR))).click()
    expect(page).to_have_url(re.compile(rf"/definitions/{indicator.pk}/edit/$"))

    # A percentage: the baseline is given as numerator and denominator; the denominator is missing.
    tick(page, page.locator("input[name=unit][value=percentage]"))
    page.locator("#id_numerator_label").fill("enfants réintégrés dans leur famille")
    page.locator("#id_denominator_label").fill("enfants pris en charge")
    page.locator("#id_baseline_numerator").fill("30")
    page.locator("#id_baseline_year").fill("2022")
    tick(page, page.get_by_label("ONG Démo Enfance"))
    tick(page, page.get_by_label("Féminin"))
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name=t("Save")).click()
    assert answer.value.status == 400
    error = page.locator("#id_baseline_denominator_error")
    expect(error).to_have_text(t("Give the baseline denominator as well as the numerator."))
    expect(page.locator("#id_baseline_numerator")).to_have_value("30")
    screenshot("01-definition-error")

    page.locator("#id_baseline_denominator").fill("120")
    page.get_by_role("button", name=t("Save")).click()
    expect(page).to_have_url(re.compile(r"/definitions/#definition-\d+$"))
    definition = indicator.definition
    assert definition.unit == "percentage" and definition.baseline_value == Decimal("25")
    assert list(definition.reporters.all()) == [partner.organisation]
    row = page.locator(f"#definition-{definition.pk}")
    expect(row).to_contain_text("25 %")
    screenshot("02-definitions")

    # Yearly targets: one field per year of the term; a percentage above 100 is refused next to its year.
    row.get_by_role("link", name=re.compile(t("Targets"))).click()
    page.locator("#id_target_2024").fill("40")
    page.locator("#id_target_2025").fill("150")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name=t("Save")).click()
    assert answer.value.status == 400
    expect(page.locator("#id_target_2025_error")).to_contain_text("100")
    screenshot("03-targets-error")
    page.locator("#id_target_2025").fill("50")
    page.get_by_role("button", name=t("Save")).click()
    expect(page).to_have_url(re.compile(r"/definitions/#definition-\d+$"))
    assert dict(definition.targets.values_list("year", "value")) == {2024: Decimal(40), 2025: Decimal(50)}
