"""The funding pages: who opens what (officer, reviewer, applicant, observer, outsider), 404 for a record
the user may not see (whatever the method), 403 for a visible record the user may not act on, 405 for
a GET to an action, bad input re-rendered with status 400 and its field-level message (nothing saved),
and the whole cycle through HTTP: opportunity → application → review → ranking → award → budget and
transactions → portfolio.

Fixtures: ``pacte/grants/tests/conftest.py`` on the root ``compact`` / ``officer`` / ``observer`` /
``outsider``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from pacte.accounts.factories import UserFactory
from pacte.grants import models
from pacte.grants.factories import make_application, make_opportunity, ngo

Status = models.Application.Status
OppStatus = models.FundingOpportunity.Status


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English."""
    with translation.override("en"):
        yield


def _in_english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def officer_client(officer_client):  # type: ignore[no-untyped-def]
    return _in_english(officer_client)


@pytest.fixture
def applicant_client(applicant_client):  # type: ignore[no-untyped-def]
    return _in_english(applicant_client)


@pytest.fixture
def reviewer_client(reviewer_client):  # type: ignore[no-untyped-def]
    return _in_english(reviewer_client)


@pytest.fixture
def observer_client(observer_client):  # type: ignore[no-untyped-def]
    return _in_english(observer_client)


@pytest.fixture
def outsider_client(outsider_client):  # type: ignore[no-untyped-def]
    return _in_english(outsider_client)


@pytest.fixture
def draft_opportunity(compact, us_ceiling, objective, officer):  # type: ignore[no-untyped-def]
    return make_opportunity(
        compact, objectives=[objective], status=OppStatus.DRAFT, published_at=None, created_by=officer
    )


@pytest.fixture
def emergency(applicant_org, applicant):  # type: ignore[no-untyped-def]
    received = timezone.localdate() - dt.timedelta(days=12)
    return models.EmergencyRequest.objects.create(
        organisation=applicant_org,
        country="CIV",
        title="Hébergement d'urgence de 12 enfants",
        need="Douze enfants retirés d'une plantation ont besoin d'un hébergement.",
        amount_requested=Decimal(40_000),
        received_on=received,
        decision_due=models.EmergencyRequest.due_date(received),
        created_by=applicant,
    )


def url(name: str, *args: Any) -> str:
    return reverse(f"grants:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


def errors_of(response: Any) -> str:
    """The error messages shown on a page (field-level and above the form), one per line."""
    found = re.findall(r'class="usa-error-message"[^>]*>(.*?)</span>', text(response), re.S)
    found += re.findall(r'<p class="usa-alert__text">(.*?)</p>', text(response), re.S)
    return "\n".join(found)


def field_error(response: Any, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}_error"[^>]*>(.*?)</span>', text(response), re.S)
    return match.group(1) if match else ""


# -- who opens what ---------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(client: Client, compact, opportunity) -> None:
    for target in (
        url("portfolio"),
        url("opportunity", opportunity.pk),
        url("compact_portfolio", compact.pk),
    ):
        response = client.get(target)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_officer_opens_every_page(
    officer_client: Client, compact, application, draft_opportunity, emergency
) -> None:
    award = _another_award(application)
    pages = [
        url("portfolio"),
        url("portfolio") + "?group_by=partner",
        url("portfolio") + "?group_by=programme_type&year=2024",
        url("portfolio") + "?group_by=year",
        url("compact_portfolio", compact.pk),
        url("opportunities"),
        url("opportunity_create"),
        url("opportunity", application.opportunity_id),
        url("opportunity", draft_opportunity.pk),
        url("opportunity_edit", draft_opportunity.pk),
        url("ranking", application.opportunity_id),
        url("applications"),
        url("applications") + "?show=all",
        url("application", application.pk),
        url("awards"),
        url("award", award.pk),
        url("award_edit", award.pk),
        url("emergency_list"),
        url("emergency_create"),
        url("emergency", emergency.pk),
    ]
    for target in pages:
        assert officer_client.get(target).status_code == 200, target


def _another_award(application):  # type: ignore[no-untyped-def]
    from pacte.grants.factories import make_award

    opportunity = application.opportunity
    return make_award(
        opportunity.compact, organisation=ngo("Autre ONG"), opportunity=opportunity, amount=Decimal(500_000)
    )


def test_officer_opens_the_award_and_refusal_forms(officer_client: Client, application) -> None:
    response = officer_client.get(url("application_award", application.pk))
    assert response.status_code == 200
    # Prefilled from the application: its title, its budget (1,000,000) and its years.
    assert f'value="{application.title}"' in text(response)
    assert 'value="1000000.00"' in text(response) or 'value="1000000"' in text(response)
    assert 'value="2024-01-01"' in text(response) and 'value="2025-12-31"' in text(response)
    assert officer_client.get(url("application_refuse", application.pk)).status_code == 200


def test_applicant_pages(applicant_client: Client, opportunity, application, award, emergency) -> None:
    for target in (
        url("portfolio"),
        url("opportunities"),
        url("opportunity", opportunity.pk),
        url("applications"),
        url("application", application.pk),
        url("awards"),
        url("award", award.pk),
        url("emergency_list"),
        url("emergency_create"),
        url("emergency", emergency.pk),
        url("xlsx_export"),
    ):
        assert applicant_client.get(target).status_code == 200, target
    page = text(applicant_client.get(url("opportunity", opportunity.pk)))
    assert "Your organisation's application" in page
    assert url("ranking", opportunity.pk) not in page  # not a reviewer
    # The partner records expenditures only.
    award_page = applicant_client.get(url("award", award.pk))
    assert award_page.context["transaction_form"].fields["kind"].choices == [("4", "Expenditure")]
    assert award_page.context["budget_form"] is None


def test_apply_button_for_an_organisation_that_has_not_applied(outsider_client: Client, opportunity) -> None:
    page = text(outsider_client.get(url("opportunity", opportunity.pk)))
    assert url("apply", opportunity.pk) in page
    assert outsider_client.get(url("apply", opportunity.pk)).status_code == 200


def test_reviewer_pages(reviewer_client: Client, application) -> None:
    assert reviewer_client.get(url("applications") + "?show=review").status_code == 200
    assert application.title in text(reviewer_client.get(url("applications") + "?show=review"))
    assert reviewer_client.get(url("application", application.pk)).status_code == 200
    assert reviewer_client.get(url("application_review", application.pk)).status_code == 200
    assert reviewer_client.get(url("ranking", application.opportunity_id)).status_code == 200


def test_observer_sees_the_compact_tab_and_its_awards(observer_client: Client, compact, award) -> None:
    response = observer_client.get(url("compact_portfolio", compact.pk))
    assert response.status_code == 200
    assert award.reference in text(response)
    assert observer_client.get(url("award", award.pk)).status_code == 200


def test_main_navigation_links_to_funding(officer_client: Client) -> None:
    response = officer_client.get(reverse("compacts:list"))
    assert f'href="{url("portfolio")}"' in text(response)


def test_compact_page_shows_the_funding_tab(officer_client: Client, compact) -> None:
    response = officer_client.get(reverse("compacts:detail", args=[compact.pk]))
    assert f'href="{url("compact_portfolio", compact.pk)}"' in text(response)


# -- 404 for the outsider on every record -----------------------------------------------------------------
def test_outsider_gets_404_on_every_record(
    outsider_client: Client, compact, draft_opportunity, application, award, emergency
) -> None:
    budget = models.Budget.objects.create(
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=Decimal(100),
        value_date=dt.date(2024, 1, 1),
    )
    document = models.ApplicationDocument.objects.create(
        application=application, title="Statuts", file=SimpleUploadedFile("statuts.pdf", b"%PDF-1.4")
    )
    gets = [
        url("compact_portfolio", compact.pk),
        url("opportunity", draft_opportunity.pk),
        url("opportunity_edit", draft_opportunity.pk),
        url("ranking", draft_opportunity.pk),
        url("apply", draft_opportunity.pk),
        url("application", application.pk),
        url("application_edit", application.pk),
        url("application_review", application.pk),
        url("application_refuse", application.pk),
        url("application_award", application.pk),
        url("application_document", application.pk, document.pk),
        url("award", award.pk),
        url("award_edit", award.pk),
        url("emergency", emergency.pk),
    ]
    posts = [
        url("opportunity_publish", draft_opportunity.pk),
        url("opportunity_close", draft_opportunity.pk),
        url("opportunity_finish", draft_opportunity.pk),
        url("opportunity_cancel", draft_opportunity.pk),
        url("opportunity_reviewers", draft_opportunity.pk),
        url("application_submit", application.pk),
        url("application_withdraw", application.pk),
        url("application_documents", application.pk),
        url("award_budgets", award.pk),
        url("award_budget_delete", award.pk, budget.pk),
        url("award_transactions", award.pk),
        url("emergency_decide", emergency.pk),
    ]
    for target in gets + posts:
        assert outsider_client.get(target).status_code == 404, target
    for target in gets + posts:
        assert outsider_client.post(target, {"reason": "x"}).status_code == 404, target
    # Lists hold nothing of theirs.
    assert application.title not in text(outsider_client.get(url("applications") + "?show=review"))
    assert award.reference not in text(outsider_client.get(url("awards")))
    assert emergency.title not in text(outsider_client.get(url("emergency_list")))
    assert draft_opportunity.title not in text(outsider_client.get(url("opportunities")))
    assert award.reference not in text(outsider_client.get(url("portfolio")))
    # Nothing was changed.
    draft_opportunity.refresh_from_db()
    assert draft_opportunity.status == OppStatus.DRAFT
    assert models.Budget.objects.filter(pk=budget.pk).exists()


def test_unknown_records_answer_404(officer_client: Client) -> None:
    for name in ("opportunity", "application", "award", "emergency", "compact_portfolio"):
        assert officer_client.get(url(name, 999_999)).status_code == 404


# -- 403 where visible but not allowed --------------------------------------------------------------------
def test_visible_but_not_allowed_is_403(
    outsider_client: Client,
    applicant_client: Client,
    reviewer_client: Client,
    observer_client: Client,
    opportunity,
    application,
    award,
) -> None:
    forbidden = [
        (outsider_client, "get", url("opportunity_edit", opportunity.pk)),
        (outsider_client, "get", url("ranking", opportunity.pk)),
        (outsider_client, "post", url("opportunity_close", opportunity.pk)),
        (outsider_client, "post", url("opportunity_reviewers", opportunity.pk)),
        (applicant_client, "get", url("opportunity_create")),
        (applicant_client, "get", url("ranking", opportunity.pk)),
        (applicant_client, "get", url("application_refuse", application.pk)),
        (applicant_client, "get", url("application_award", application.pk)),
        (applicant_client, "get", url("application_review", application.pk)),
        (applicant_client, "get", url("award_edit", award.pk)),
        (applicant_client, "post", url("award_budgets", award.pk)),
        (applicant_client, "get", url("iati_export")),
        (reviewer_client, "get", url("application_edit", application.pk)),
        (observer_client, "post", url("award_transactions", award.pk)),
        (observer_client, "post", url("award_budgets", award.pk)),
    ]
    for client, method, target in forbidden:
        assert getattr(client, method)(target).status_code == 403, target
    assert not models.Transaction.objects.exists()


def test_actions_answer_405_to_get(
    officer_client: Client, applicant_client: Client, opportunity, award, emergency
) -> None:
    draft = make_application(opportunity, ngo("ONG Brouillon"), status=Status.DRAFT)
    for target in (
        url("opportunity_publish", opportunity.pk),
        url("opportunity_close", opportunity.pk),
        url("opportunity_finish", opportunity.pk),
        url("opportunity_reviewers", opportunity.pk),
        url("application_submit", draft.pk),
        url("application_withdraw", draft.pk),
        url("application_documents", draft.pk),
        url("award_budgets", award.pk),
        url("award_transactions", award.pk),
        url("emergency_decide", emergency.pk),
    ):
        assert officer_client.get(target).status_code == 405, target


# -- bad input: 400, the field's message, nothing saved ---------------------------------------------------
def _opportunity_payload(compact, objective, **extra: Any) -> dict[str, Any]:
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    payload = {
        "title": "Réinsertion des enfants victimes",
        "reference": "SFOP0001234",
        "programme_type": "child_protection_compact",
        "compact": str(compact.pk),
        "objectives": [str(objective.pk)],
        "description": "Accueil et réinsertion.",
        "ceiling": "500000",
        "eligible_org_types": ["ngo"],
        "registration_required": "on",
        "deadline": deadline,
        "criteria-0-name": "Qualité technique",
        "criteria-0-weight": "60",
        "criteria-1-name": "Coût",
        "criteria-1-weight": "40",
    }
    payload.update(extra)
    return payload


def test_opportunity_form_errors(officer_client: Client, compact, us_ceiling, objective) -> None:
    response = officer_client.post(
        url("opportunity_create"), _opportunity_payload(compact, objective, title="")
    )
    assert response.status_code == 400
    assert field_error(response, "id_title") == "This field is required."
    # A weight above 100: next to its row.
    response = officer_client.post(
        url("opportunity_create"), _opportunity_payload(compact, objective, **{"criteria-1-weight": "140"})
    )
    assert response.status_code == 400
    assert "100" in field_error(response, "id_criteria-1-weight")
    # A row with a weight but no name.
    response = officer_client.post(
        url("opportunity_create"), _opportunity_payload(compact, objective, **{"criteria-2-weight": "5"})
    )
    assert response.status_code == 400
    assert field_error(response, "id_criteria-2-name") == "This field is required."
    # A reference with spaces: the service's message next to the field.
    response = officer_client.post(
        url("opportunity_create"), _opportunity_payload(compact, objective, reference="SFOP 1")
    )
    assert response.status_code == 400
    assert "letters, digits and -" in field_error(response, "id_reference").lower()
    assert not models.FundingOpportunity.objects.exists()


def test_publishing_needs_criteria_adding_up_to_100(
    officer_client: Client, compact, us_ceiling, objective
) -> None:
    payload = _opportunity_payload(compact, objective, **{"criteria-1-weight": "30"})
    response = officer_client.post(url("opportunity_create"), payload)
    assert response.status_code == 302
    opportunity = models.FundingOpportunity.objects.get()
    response = officer_client.post(url("opportunity_publish", opportunity.pk))
    assert response.status_code == 400
    assert "not 100" in errors_of(response)
    opportunity.refresh_from_db()
    assert opportunity.status == OppStatus.DRAFT


def test_application_form_errors(outsider_client: Client, opportunity) -> None:
    response = outsider_client.post(
        url("apply", opportunity.pk),
        {"title": "Projet", "narrative": "", "budget_lines-0-year": "2024", "budget_lines-0-amount": "-5"},
    )
    assert response.status_code == 400
    assert field_error(response, "id_narrative") == "This field is required."
    assert field_error(response, "id_budget_lines-0-amount")
    # Above the opportunity's ceiling (2,000,000): the service's message above the rows.
    response = outsider_client.post(
        url("apply", opportunity.pk),
        {
            "title": "Projet",
            "narrative": "Texte",
            "budget_lines-0-year": "2024",
            "budget_lines-0-amount": "3000000",
        },
    )
    assert response.status_code == 400
    assert "ceiling" in text(response)
    assert not models.Application.objects.filter(title="Projet").exists()


def test_late_submission_is_refused_with_its_reason(
    applicant_client: Client, opportunity, applicant_org
) -> None:
    draft = make_application(opportunity, applicant_org, status=Status.DRAFT)
    opportunity.deadline = timezone.now() - dt.timedelta(hours=1)
    opportunity.save(update_fields=["deadline"])
    response = applicant_client.post(url("application_submit", draft.pk))
    assert response.status_code == 400
    assert "has passed" in errors_of(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_ineligible_submission_is_refused_with_its_reason(client: Client, opportunity) -> None:
    unregistered = ngo("ONG sans enregistrement", registration_number="")
    user = UserFactory(username="sans_rccm", organisation=unregistered)
    client.force_login(user)
    _in_english(client)
    draft = make_application(opportunity, unregistered, status=Status.DRAFT)
    response = client.post(url("application_submit", draft.pk))
    assert response.status_code == 400
    assert "registration" in errors_of(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_refusal_needs_a_reason(officer_client: Client, application) -> None:
    response = officer_client.post(url("application_refuse", application.pk), {"reason": ""})
    assert response.status_code == 400
    assert field_error(response, "id_reason") == "This field is required."
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    response = officer_client.post(url("application_refuse", application.pk), {"reason": "Reçue hors délai."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.REFUSED and application.refusal_reason == "Reçue hors délai."


def test_review_needs_a_declaration_and_valid_scores(reviewer_client: Client, application) -> None:
    criteria = list(application.opportunity.criteria.all())
    scores = {f"score_{c.pk}": "70" for c in criteria}
    # Scoring before declaring is refused.
    response = reviewer_client.post(url("application_review", application.pk), {"step": "score", **scores})
    assert response.status_code == 400
    assert "conflict of interest" in errors_of(response)
    # A score above 100.
    reviewer_client.post(url("application_review", application.pk), {"step": "declare", "has_conflict": "0"})
    bad = {**scores, f"score_{criteria[0].pk}": "120"}
    response = reviewer_client.post(url("application_review", application.pk), {"step": "score", **bad})
    assert response.status_code == 400
    assert "100" in field_error(response, f"id_score_{criteria[0].pk}")
    assert not models.Score.objects.exists()


def test_reviewer_with_a_conflict_cannot_score(reviewer_client: Client, application) -> None:
    response = reviewer_client.post(
        url("application_review", application.pk),
        {"step": "declare", "has_conflict": "1", "statement": "J'ai travaillé pour cette ONG."},
    )
    assert response.status_code == 302
    page = text(reviewer_client.get(url("application_review", application.pk)))
    assert "You declared a conflict of interest" in page
    assert 'id="score-form"' not in page


def test_budget_and_transaction_errors(officer_client: Client, applicant_client: Client, award) -> None:
    response = officer_client.post(
        url("award_budgets", award.pk),
        {
            "kind": "1",
            "period_start": "2024-01-01",
            "period_end": "2025-06-30",
            "amount": "100",
            "currency": "USD",
        },
    )
    assert response.status_code == 400
    assert "a year at most" in field_error(response, "id_period_end")
    response = officer_client.post(
        url("award_transactions", award.pk),
        {"kind": "3", "date": "2024-03-01", "amount": "1000", "currency": "EUR"},
    )
    assert response.status_code == 400
    assert "rate" in field_error(response, "id_rate_to_usd")
    # The partner may not record a disbursement (not among its choices).
    response = applicant_client.post(
        url("award_transactions", award.pk),
        {"kind": "3", "date": "2024-03-01", "amount": "10", "currency": "USD"},
    )
    assert response.status_code == 400
    assert field_error(response, "id_kind")
    assert not models.Budget.objects.exists()
    assert not models.Transaction.objects.exists()


def test_partner_records_an_expenditure(applicant_client: Client, award) -> None:
    response = applicant_client.post(
        url("award_transactions", award.pk),
        {"kind": "4", "date": "2024-03-01", "amount": "2500", "currency": "USD", "description": "Kits"},
    )
    assert response.status_code == 302
    assert models.Transaction.objects.get().kind == "4"


def test_award_over_the_compact_ceiling_is_refused(officer_client: Client, application, us_ceiling) -> None:
    us_ceiling.amount = Decimal(100_000)
    us_ceiling.save(update_fields=["amount"])
    response = officer_client.post(url("application_award", application.pk), _award_payload(amount="200000"))
    assert response.status_code == 400
    assert "ceiling" in field_error(response, "id_amount")
    assert not models.Award.objects.exists()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_award_sectors_must_add_up_to_100(officer_client: Client, application) -> None:
    response = officer_client.post(
        url("application_award", application.pk), _award_payload(**{"sectors-0-percentage": "60"})
    )
    assert response.status_code == 400
    assert "not 100" in text(response)
    assert not models.Award.objects.exists()


def _award_payload(**extra: str) -> dict[str, str]:
    payload = {
        "reference": "SINLEC24CA0042",
        "title": "Protection des enfants à Soubré",
        "instrument": "cooperative_agreement",
        "start_date": "2024-01-01",
        "end_date": "2025-12-31",
        "amount": "900000",
        "recipient_country": "CIV",
        "status": "2",
        "decided_on": "2023-12-20",
        "justification": "Meilleure note pondérée.",
        "sectors-0-code": "15160",
        "sectors-0-percentage": "100",
    }
    payload.update(extra)
    return payload


# -- emergency assistance ---------------------------------------------------------------------------------
def test_emergency_request_and_decision(
    applicant_client: Client, officer_client: Client, applicant_org
) -> None:
    response = applicant_client.post(
        url("emergency_create"),
        {
            "title": "Rapatriement de 3 enfants",
            "country": "CIV",
            "need": "Trois enfants.",
            "amount_requested": "",
        },
    )
    assert response.status_code == 400
    assert field_error(response, "id_amount_requested") == "This field is required."
    response = applicant_client.post(
        url("emergency_create"),
        {
            "title": "Rapatriement de 3 enfants",
            "country": "CIV",
            "need": "Trois enfants.",
            "amount_requested": "15000",
        },
    )
    request_ = models.EmergencyRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url("emergency", request_.pk)
    assert request_.organisation == applicant_org
    assert request_.decision_due == timezone.localdate() + dt.timedelta(days=10)
    # The officer sees the deadline and approves with an award within the amount requested.
    page = text(officer_client.get(url("emergency", request_.pk)))
    assert 'id="decision-form"' in page and 'id="decision-deadline"' in page
    decision = {
        "decision": "approve",
        "note": "Urgence avérée.",
        "reference": "SEVA25GR0001",
        "instrument": "grant",
        "start_date": timezone.localdate().isoformat(),
        "end_date": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        "amount": "20000",
    }
    response = officer_client.post(url("emergency_decide", request_.pk), decision)
    assert response.status_code == 400
    assert "amount requested" in field_error(response, "id_amount")
    response = officer_client.post(url("emergency_decide", request_.pk), {**decision, "amount": "15000"})
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.status == "approved"
    assert request_.award is not None and request_.award.programme_type == "emergency_assistance"


def test_emergency_refusal_needs_a_note_and_applicant_cannot_decide(
    applicant_client: Client, officer_client: Client, emergency
) -> None:
    assert (
        applicant_client.post(url("emergency_decide", emergency.pk), {"decision": "refuse"}).status_code
        == 403
    )
    response = officer_client.post(url("emergency_decide", emergency.pk), {"decision": "refuse", "note": ""})
    assert response.status_code == 400
    assert field_error(response, "id_note") == "This field is required."
    emergency.refresh_from_db()
    assert emergency.status == "received"


def test_overdue_requests_are_flagged(officer_client: Client, emergency) -> None:
    page = text(officer_client.get(url("emergency_list")))
    row = re.search(rf'<tr id="emergency-{emergency.pk}">(.*?)</tr>', page, re.S)
    assert row is not None and "Overdue" in row.group(1)


# -- exports ----------------------------------------------------------------------------------------------
def test_iati_export_streams_xml_for_officers(officer_client: Client, award) -> None:
    response = officer_client.get(url("iati_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert b"iati-activities" in body and award.reference.encode() in body


def test_xlsx_export(officer_client: Client, award) -> None:
    response = officer_client.get(url("xlsx_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


# -- the whole cycle through HTTP -------------------------------------------------------------------------
def test_full_cycle(
    officer_client: Client,
    applicant_client: Client,
    reviewer_client: Client,
    compact,
    us_ceiling,
    objective,
    reviewer,
    applicant_org,
) -> None:
    # 1. The officer creates the opportunity, assigns the reviewer and publishes it.
    response = officer_client.post(url("opportunity_create"), _opportunity_payload(compact, objective))
    assert response.status_code == 302
    opportunity = models.FundingOpportunity.objects.get(reference="SFOP0001234")
    assert response["Location"] == url("opportunity", opportunity.pk)
    assert [c.weight for c in opportunity.criteria.all()] == [Decimal(60), Decimal(40)]
    response = officer_client.post(url("opportunity_reviewers", opportunity.pk), {"reviewer": reviewer.pk})
    assert response.status_code == 302
    response = officer_client.post(url("opportunity_publish", opportunity.pk), follow=True)
    assert "organisations may apply" in text(response)
    opportunity.refresh_from_db()
    assert opportunity.status == OppStatus.PUBLISHED

    # 2. The applicant applies, adds a document and submits.
    year = timezone.localdate().year
    response = applicant_client.post(
        url("apply", opportunity.pk),
        {
            "title": "Villages protecteurs",
            "narrative": "Comités de protection dans 20 villages.",
            "budget_lines-0-year": str(year),
            "budget_lines-0-objective": str(objective.pk),
            "budget_lines-0-amount": "150000",
            "budget_lines-1-year": str(year + 1),
            "budget_lines-1-amount": "250000",
        },
    )
    assert response.status_code == 302
    application = models.Application.objects.get(opportunity=opportunity)
    assert application.organisation == applicant_org
    response = applicant_client.post(
        url("application_documents", application.pk),
        {"title": "Budget détaillé", "file": SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget")},
    )
    assert response.status_code == 302
    response = applicant_client.post(url("application_submit", application.pk))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED

    # 3. The reviewer declares no conflict and scores.
    response = reviewer_client.post(
        url("application_review", application.pk), {"step": "declare", "has_conflict": "0"}
    )
    assert response.status_code == 302
    first, second = opportunity.criteria.all()
    response = reviewer_client.post(
        url("application_review", application.pk),
        {
            "step": "score",
            f"score_{first.pk}": "80",
            f"score_{second.pk}": "50",
            f"comment_{first.pk}": "Solide.",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("ranking", opportunity.pk)

    # 4. The officer sees the ranking (80 × 60 % + 50 × 40 % = 68) and awards.
    response = officer_client.get(url("ranking", opportunity.pk))
    assert response.status_code == 200
    assert response.context["ranked"][0].weighted_score == Decimal(68)
    assert url("application_award", application.pk) in text(response)
    response = officer_client.post(
        url("application_award", application.pk),
        _award_payload(
            amount="400000",
            start_date=f"{year}-01-01",
            end_date=f"{year + 1}-12-31",
            objectives=str(objective.pk),
        ),
    )
    assert response.status_code == 302
    award = models.Award.objects.get(application=application)
    assert response["Location"] == url("award", award.pk)
    assert list(award.objectives.all()) == [objective]
    assert [(s.code, s.percentage) for s in award.sectors.all()] == [("15160", Decimal(100))]
    application.refresh_from_db()
    assert application.status == Status.AWARDED

    # 5. A budget, a commitment, a disbursement (officer) and an expenditure (partner).
    response = officer_client.post(
        url("award_budgets", award.pk),
        {
            "kind": "1",
            "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31",
            "amount": "150000",
            "currency": "USD",
        },
    )
    assert response.status_code == 302
    for kind, amount in (("2", "400000"), ("3", "100000")):
        response = officer_client.post(
            url("award_transactions", award.pk),
            {"kind": kind, "date": f"{year}-01-15", "amount": amount, "currency": "USD"},
        )
        assert response.status_code == 302, errors_of(response)
    response = applicant_client.post(
        url("award_transactions", award.pk),
        {"kind": "4", "date": f"{year}-01-20", "amount": "25000", "currency": "USD"},
    )
    assert response.status_code == 302
    detail = officer_client.get(url("award", award.pk))
    finances = detail.context["finances"]
    assert (finances.committed, finances.disbursed, finances.expended) == (
        Decimal(400_000),
        Decimal(100_000),
        Decimal(25_000),
    )

    # 6. The portfolio and the compact's Funding tab show the figures.
    response = officer_client.get(url("portfolio") + f"?compact={compact.pk}")
    total = response.context["portfolio"].total
    assert (total.awarded, total.committed, total.disbursed, total.expended) == (
        Decimal(400_000),
        Decimal(400_000),
        Decimal(100_000),
        Decimal(25_000),
    )
    assert total.burn_rate == Decimal(25)
    assert compact.title in text(response)
    tab = officer_client.get(url("compact_portfolio", compact.pk))
    assert award.reference in text(tab)
    assert tab.context["remaining"] == Decimal(10_000_000) - Decimal(400_000)
