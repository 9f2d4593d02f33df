"""The compact pages in a real browser, on the demo data (``manage.py load_demo``): login, reading the
Côte d'Ivoire compact, switching language, adding an activity through the inline htmx form, a field
error, a compact hidden from an outsider and the administrators' two-factor set-up.

Expected texts are computed with Django's gettext in the language the page should be in, so that the
tests hold before and after the French catalogue is compiled; the language itself is asserted through
``<html lang>`` and through strings Django translates already (dates, built-in messages).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from playwright.sync_api import Page, expect

from pacte.compacts.models import Activity, Compact, Objective

pytestmark = pytest.mark.browser

FIRST_PREVENTION_ACTIVITY = (
    "Mener une étude qualitative sur la nature, les causes et les manifestations de la traite des enfants"
)


def t(message: str, language: str = "fr") -> str:
    """``message`` as Pacte shows it in ``language`` (whatever the catalogues translate today)."""
    with translation.override(language):
        return translation.gettext(message)


def detail_path(compact: Compact) -> str:
    return reverse("compacts:detail", args=[compact.pk])


# -- 1. log in and read the demo compact ------------------------------------------------------------------
def test_officer_logs_in_and_reads_the_demo_compact(page: Page, demo_compact, login, screenshot) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/compacts/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    screenshot("01-login")

    login("officer")
    expect(page).to_have_url(re.compile(r"/compacts/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Child Protection Compact (CPC) Partnerships")
    )
    link = page.get_by_role("link", name=demo_compact.title)
    expect(link).to_be_visible()
    screenshot("02-compact-list")

    link.click()
    expect(page).to_have_url(re.compile(re.escape(detail_path(demo_compact)) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo_compact.title)

    # The four pillars, in order, each with its objective.
    pillars = page.locator("section.pacte-pillar > h3")
    expect(pillars).to_have_count(4)
    for index, (code, label) in enumerate(
        [
            ("prevention", "Prevention"),
            ("protection", "Protection"),
            ("prosecution", "Prosecution"),
            ("partnership", "Partnership"),
        ]
    ):
        expect(pillars.nth(index)).to_have_attribute("id", f"pillar-{code}")
        expect(pillars.nth(index)).to_contain_text(t(label))

    prevention = page.locator("section.pacte-pillar", has=page.locator("#pillar-prevention"))
    expect(prevention.locator("ol > li").first).to_contain_text(FIRST_PREVENTION_ACTIVITY)

    # The United States ceiling: 10 000 000,00 in French (a no-break space groups the thousands).
    funding = page.locator("#funding")
    expect(funding).to_contain_text(re.compile(r"10\s000\s000,00\sUSD"))
    expect(page.locator("#ceiling-progress")).to_be_visible()

    # Signatories and focal points.
    parties = page.locator("#parties")
    expect(parties.get_by_role("rowheader", name="Joann M. Lockard")).to_be_visible()
    expect(parties).to_contain_text("Me Adama KAMARA")
    focal_points = page.locator("#focal-points")
    expect(focal_points.get_by_role("link", name="JTIPGrants@state.gov")).to_have_attribute(
        "href", "mailto:JTIPGrants@state.gov"
    )

    # The protection objective has no indicator (a page of the scanned compact was lost): a gap, shown
    # in the summary at the top (linking to the objective) and under the objective itself.
    protection = Objective.objects.get(compact=demo_compact, pillar="protection")
    with translation.override("fr"):
        gap = translation.gettext(
            "Objective %(number)s (%(pillar)s) has no indicator in the results framework."
        ) % {"number": protection.number, "pillar": translation.gettext("Protection")}
    summary = page.locator("section.pacte-gaps")
    expect(summary).to_have_class(re.compile(r"usa-alert--warning"))
    expect(summary.get_by_role("link", name=gap)).to_have_attribute("href", f"#objective-{protection.pk}")
    objective = page.locator(f"#objective-{protection.pk}")
    expect(objective.locator(".pacte-gap")).to_contain_text(gap)
    expect(objective.locator(".pacte-gap-text")).to_be_visible()
    # The other pillars' objectives have indicators: no gap under them.
    expect(page.locator("article.pacte-objective .pacte-gap")).to_have_count(1)
    screenshot("03-compact-detail")


# -- 2. switch language ---------------------------------------------------------------------------------
def test_language_switcher_changes_the_interface_language(
    page: Page, demo_compact, login, screenshot
) -> None:
    login("officer")
    page.goto(detail_path(demo_compact))
    html = page.locator("html")
    switcher = page.locator("#language-switcher")
    term = page.locator("#term dd").first  # entry into force, formatted by Django's locale data
    start = demo_compact.start_date
    assert start is not None

    # French by default (the demo users prefer French; the browser asks for en-US, which is ignored).
    # "Log out" is translated by Django's own catalogue already (« Déconnexion »), whatever Pacte's
    # catalogue says, so it must change with the language.
    log_out_fr = t("Log out")
    assert log_out_fr != "Log out"
    expect(html).to_have_attribute("lang", "fr")
    expect(term).to_have_text(_date(start, "fr"))  # 7 décembre 2022
    expect(page.get_by_role("button", name=log_out_fr)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(switcher.get_by_role("button")).to_have_text("English")
    screenshot("01-french")

    switcher.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(re.escape(detail_path(demo_compact)) + "$"))
    expect(term).to_have_text(_date(start, "en"))  # Dec. 7, 2022
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("button", name=log_out_fr)).to_have_count(0)
    expect(page.locator("#term dt").first).to_have_text("Entry into force")
    expect(switcher.get_by_role("button")).to_have_text("Français")
    screenshot("02-english")

    # The choice sticks (cookie) from page to page.
    page.get_by_role("link", name="Compacts", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/compacts/$"))
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Child Protection Compact (CPC) Partnerships")
    term_cell = page.locator("tbody td[data-label]").nth(2)  # compact, country, status, *term*, days left
    expect(term_cell).to_contain_text(_date(start, "en", "SHORT_DATE_FORMAT"))  # month first: 12/07/2022

    switcher.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name=log_out_fr)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Child Protection Compact (CPC) Partnerships")
    )
    expect(term_cell).to_contain_text(_date(start, "fr", "SHORT_DATE_FORMAT"))  # day first: 07/12/2022
    screenshot("03-french-again")


def _date(day, language: str, style: str = "DATE_FORMAT") -> str:  # type: ignore[no-untyped-def]
    with translation.override(language):
        return date_format(day, style)


# -- 3. add an activity through the inline form -------------------------------------------------------------
def test_officer_adds_an_activity_inline(page: Page, demo_compact, login, screenshot) -> None:
    prevention = Objective.objects.get(compact=demo_compact, pillar="prevention")
    before = prevention.activities.count()
    description = "Former 40 inspecteurs du travail à l'identification des enfants victimes (test navigateur)"

    login("officer")
    page.goto(detail_path(demo_compact))
    objective = page.locator(f"#objective-{prevention.pk}")
    objective.get_by_role("link", name=t("Add an activity")).click()

    form = objective.locator("form.pacte-record-form")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading")).to_have_text(t("Add an activity"))
    # The objective is chosen already (from ?objective=…), so only the description is needed.
    expect(form.get_by_label(capfirst(t("objective")))).to_have_value(str(prevention.pk))
    form.get_by_label(capfirst(t("description"))).fill(description)
    screenshot("01-inline-form")

    form.get_by_role("button", name=t("Save")).click()
    # htmx refreshes the page: the form goes, the new activity is last in the objective's list.
    expect(objective.locator("form")).to_have_count(0)
    expect(objective.locator("ol > li").last).to_contain_text(description)
    expect(objective.locator("ol > li")).to_have_count(before + 1)
    expect(page.get_by_role("status")).to_contain_text(t("Saved."))
    screenshot("02-activity-added")

    added = Activity.objects.get(description=description)
    assert added.objective == prevention
    assert prevention.activities.count() == before + 1


def test_inline_activity_form_shows_field_errors_in_place(page: Page, demo_compact, login) -> None:
    prevention = Objective.objects.get(compact=demo_compact, pillar="prevention")
    before = Activity.objects.count()

    login("officer")
    page.goto(detail_path(demo_compact))
    objective = page.locator(f"#objective-{prevention.pk}")
    objective.get_by_role("link", name=t("Add an activity")).click()
    form = objective.locator("form.pacte-record-form")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        form.get_by_role("button", name=t("Save")).click()
    assert answer.value.status == 400

    # The 400 answer replaces the form in place (htmx-config swaps 400), with Django's own message.
    with translation.override("fr"):
        required = str(translation.gettext("This field is required."))
    assert required == "Ce champ est obligatoire."
    expect(objective.locator(".usa-error-message")).to_have_text(required)
    expect(page).to_have_url(re.compile(re.escape(detail_path(demo_compact)) + "$"))
    assert Activity.objects.count() == before


# -- 4. a term of six years --------------------------------------------------------------------------------
def test_six_year_term_is_refused_with_a_field_error(page: Page, demo_compact, login, screenshot) -> None:
    title = "Pacte de test – six ans"
    login("officer")
    page.goto("/compacts/")
    page.get_by_role("link", name=t("New compact")).click()
    expect(page).to_have_url(re.compile(r"/compacts/new/$"))

    page.get_by_label(capfirst(t("title"))).fill(title)
    page.get_by_label(t("Country")).select_option("CIV")
    page.get_by_label(t("Start date (planned entry into force)")).fill("2025-01-01")
    page.get_by_label(capfirst(t("end of term"))).fill("2031-01-01")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name=t("Save")).click()
    assert answer.value.status == 400

    error = page.locator("#id_end_date_error")
    expect(error).to_have_class(re.compile(r"usa-error-message"))
    expect(error).to_contain_text("01/01/2030")  # five years from 01/01/2025, French short format
    expect(error).to_contain_text(re.compile(r"cinq ans|five years"))
    expect(page.locator(".usa-alert--error")).to_be_visible()
    # The form keeps what was typed.
    expect(page.get_by_label(capfirst(t("end of term")))).to_have_value("2031-01-01")
    expect(page.get_by_label(capfirst(t("title")))).to_have_value(title)
    screenshot("01-end-of-term-error")

    assert not Compact.objects.filter(title=title).exists()


# -- 5. a compact the user may not see --------------------------------------------------------------------
def test_outsider_gets_404_for_the_demo_compact(page: Page, demo_compact, login, screenshot) -> None:
    login("outsider")
    expect(page).to_have_url(re.compile(r"/compacts/$"))
    expect(page.get_by_role("link", name=demo_compact.title)).to_have_count(0)

    response = page.goto(detail_path(demo_compact))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Page not found"))
    body = page.locator("body")
    expect(body).not_to_contain_text(demo_compact.title)
    expect(body).not_to_contain_text("Côte d'Ivoire")
    expect(body).not_to_contain_text("Joann M. Lockard")
    screenshot("01-not-found")


# -- 6. administrators set up two-factor login --------------------------------------------------------------
def test_admin_is_sent_to_two_factor_setup_and_completes_it(
    page: Page, demo_compact, login, screenshot
) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    login("admin")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next=(/|%2F)compacts(/|%2F)$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Set up two-factor login"))
    expect(page.locator("#totp-secret")).not_to_be_empty()
    screenshot("01-setup")

    # Nothing else is reachable before the second factor.
    page.goto(detail_path(demo_compact))
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/"))

    device = TOTPDevice.objects.get(user__username="admin", confirmed=False)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label(t("Code")).fill(code)
    page.locator("form", has=page.locator("#id_code")).get_by_role("button").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(t("Your backup codes"))
    expect(page.locator("#backup-codes li").first).to_be_visible()
    screenshot("02-backup-codes")
    page.get_by_role("link", name=t("I have kept my codes, continue")).click()
    expect(page).to_have_url(re.compile(re.escape(detail_path(demo_compact)) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo_compact.title)
    assert TOTPDevice.objects.filter(user__username="admin", confirmed=True).exists()
