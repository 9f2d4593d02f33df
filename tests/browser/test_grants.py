"""Grants in a real browser, on the demo data: a reviewer declares no conflict of interest and scores an
application, the programme officer sees the ranking and records the award, and the award appears on the
compact's Funding tab.

The opportunity and the application are created for the test (through the services, as the demo users)
so that the figures asserted are exactly the ones entered here, whatever ``load_demo`` adds.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Locator, Page, expect

from pacte.accounts.models import User
from pacte.compacts.models import Objective
from pacte.grants import services
from pacte.grants.models import Application, Award
from pacte.grants.services import BudgetLineInput, CriterionInput

pytestmark = pytest.mark.browser

TITLE = "Comités villageois de protection de l'enfance (test navigateur)"
REFERENCE = "SINLEC25CA9001"


def t(message: str, language: str = "fr") -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture
def submitted_application(demo_compact):  # type: ignore[no-untyped-def]
    """A published opportunity under the demo compact (criteria 60/40, reviewed by « reviewer ») and the
    demo partner's submitted application asking USD 120,000 for this year."""
    officer = User.objects.get(username="officer")
    reviewer = User.objects.get(username="reviewer")
    partner = User.objects.get(username="partner")
    objective = Objective.objects.filter(compact=demo_compact, pillar="protection").order_by("number").first()
    opportunity = services.create_opportunity(
        user=officer,
        data={
            "title": "Protection communautaire (test navigateur)",
            "reference": "SFOP0099001",
            "programme_type": "child_protection_compact",
            "compact": demo_compact,
            "description": "Comités villageois de protection.",
            "ceiling": Decimal(300_000),
            "eligible_org_types": [],
            "registration_required": False,
            "eligibility_notes": "",
            "opens_on": None,
            "deadline": timezone.now() + dt.timedelta(days=30),
        },
        objectives=[objective] if objective else [],
        criteria=[
            CriterionInput(name="Qualité technique", weight=Decimal(60)),
            CriterionInput(name="Coût raisonnable", weight=Decimal(40)),
        ],
    )
    services.assign_reviewer(user=officer, opportunity=opportunity, reviewer=reviewer)
    services.publish_opportunity(user=officer, opportunity=opportunity)
    application = services.create_application(
        user=partner,
        opportunity=opportunity,
        title=TITLE,
        narrative="Vingt comités villageois formés et suivis.",
        budget_lines=[
            BudgetLineInput(year=timezone.localdate().year, amount=Decimal(120_000), objective=objective)
        ],
    )
    return services.submit_application(user=partner, application=application)


def tick(page: Page, box: Locator) -> None:
    """Check a USWDS radio button the way a person does: by clicking its label."""
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()
    expect(box).to_be_checked()


def test_reviewer_scores_officer_awards_funding_tab_shows_it(
    page: Page, demo_compact, submitted_application, login, screenshot
) -> None:
    application: Application = submitted_application
    first, second = application.opportunity.criteria.order_by("order")
    ranking_path = reverse("grants:ranking", args=[application.opportunity_id])

    # 1. The reviewer finds the application in the review list, declares no conflict and scores it.
    login("reviewer")
    page.goto(reverse("grants:applications") + "?show=review")
    row = page.locator("#application-list tr", has_text=TITLE)
    row.get_by_role("link", name=re.compile("^" + re.escape(t("Review")))).click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/review/$"))
    expect(page.locator("#score-form")).to_have_count(0)
    tick(page, page.locator("input[name=has_conflict][value='0']"))
    screenshot("01-declaration")
    page.get_by_role("button", name=t("Declare")).click()
    expect(page.get_by_role("status")).to_contain_text(t("Your declaration was recorded."))
    expect(page.locator("#declaration")).to_contain_text(
        t("You declared no conflict of interest with this application.")
    )

    # A score above 100 is refused next to its criterion, and nothing is saved.
    form = page.locator("#score-form")
    form.locator(f"#id_score_{first.pk}").fill("180")
    form.locator(f"#id_score_{second.pk}").fill("50")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        form.get_by_role("button", name=t("Record my scores")).click()
    assert answer.value.status == 400
    expect(page.locator(f"#id_score_{first.pk}_error")).to_contain_text("100")
    form = page.locator("#score-form")
    form.locator(f"#id_score_{first.pk}").fill("80")
    form.locator(f"#id_comment_{first.pk}").fill("Approche communautaire solide.")
    screenshot("02-scores")
    form.get_by_role("button", name=t("Record my scores")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(ranking_path)}$"))
    expect(page.get_by_role("status")).to_contain_text(t("Your scores were recorded."))

    # 2. The officer sees the ranking (80 × 60 % + 50 × 40 % = 68) and records the award.
    page.context.clear_cookies()
    login("officer")
    page.goto(ranking_path)
    ranked = page.locator(f"#ranked-{application.pk}")
    expect(ranked.locator(".pacte-weighted")).to_have_text("68")
    screenshot("03-ranking")
    ranked.get_by_role("link", name=re.compile("^" + re.escape(t("Award")))).click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/award/$"))
    form = page.locator("#award-form")
    expect(form.locator("#id_title")).to_have_value(TITLE)  # prefilled from the application
    expect(form.locator("#id_amount")).to_have_value(re.compile(r"^120000(\.00)?$"))
    form.locator("#id_reference").fill(REFERENCE)
    form.locator("#id_instrument").select_option("cooperative_agreement")
    form.locator("#id_justification").fill("Meilleure note pondérée du comité d'examen.")
    form.locator("#id_sectors-0-code").select_option("15160")
    form.locator("#id_sectors-0-percentage").fill("100")
    screenshot("04-award-form")
    form.get_by_role("button", name=t("Record the award")).click()
    award = Award.objects.get(reference=REFERENCE)
    expect(page).to_have_url(re.compile(rf"/grants/awards/{award.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text(t("The award was recorded."))
    assert award.application_id == application.pk and award.amount == Decimal(120_000)
    application.refresh_from_db()
    assert application.status == Application.Status.AWARDED

    # 3. The compact's Funding tab lists the award with its partner and amount.
    page.goto(reverse("compacts:detail", args=[demo_compact.pk]))
    page.locator(".pacte-compact-nav").get_by_role("link", name=t("Funding")).click()
    expect(page).to_have_url(re.compile(rf"/grants/compacts/{demo_compact.pk}/$"))
    row = page.locator("#compact-awards tr", has_text=REFERENCE)
    expect(row).to_contain_text(application.organisation.name)
    expect(row).to_contain_text("120")
    screenshot("05-funding-tab")
