"""The compacts web interface: what each page shows and what each form does (through the services)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models
from pacte.compacts.factories import (
    ActivityFactory,
    CompactFactory,
    IndicatorFactory,
    ObjectiveFactory,
    donor_officer,
    make_compact_with_parties,
)
from pacte.core.models import Visibility


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def english_client(user):
    """A logged-in client that reads the pages in English (the messages below are the English source)."""
    client = Client()
    client.cookies["pacte_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def officer_client(officer):
    return english_client(officer)


@pytest.fixture
def observer_client(observer):
    return english_client(observer)


@pytest.fixture
def client():
    return english_client(None)


def _us(compact):
    return compact.parties.get(kind=models.Party.Kind.UNITED_STATES)


def _partner(compact):
    return compact.parties.get(kind=models.Party.Kind.PARTNER_COUNTRY)


def error_of(content, field):
    """The text of the USWDS error message of ``field`` (id_<field>_error), '' when there is none."""
    match = re.search(
        rf'<span class="usa-error-message" id="id_{field}_error"[^>]*>(.*?)</span>', content, re.S
    )
    return match.group(1).strip() if match else ""


# -- list -------------------------------------------------------------------------------------------------
def test_list_shows_visible_compacts_with_status_and_days_left(officer_client, officer, compact):
    today = timezone.localdate()
    compact.end_date = today + dt.timedelta(days=100)
    compact.save()
    expired = CompactFactory(
        title="Ancien pacte", start_date=dt.date(2015, 1, 1), end_date=dt.date(2019, 12, 31)
    )
    models.Membership.objects.create(compact=expired, user=officer, role=models.Membership.Role.VIEWER)
    CompactFactory(title="Pacte d'un autre pays")  # not visible

    response = officer_client.get(reverse("compacts:list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert compact.title in content and "Ancien pacte" in content and "Pacte d'un autre pays" not in content
    assert "Côte d&#x27;Ivoire" in content or "Côte d'Ivoire" in content
    assert ">Expired<" in content and ">Signed<" in content
    assert ">100<" in content
    assert reverse("compacts:create") in content

    filtered = officer_client.get(reverse("compacts:list"), {"status": "expired"}).content.decode()
    assert "Ancien pacte" in filtered and compact.title not in filtered


def test_list_hides_new_compact_button_from_observer(observer_client, compact):
    content = observer_client.get(reverse("compacts:list")).content.decode()
    assert compact.title in content
    assert reverse("compacts:create") not in content


def test_list_paginates_by_25(officer_client, officer, compact):
    for i in range(30):
        extra = CompactFactory(title=f"Pacte {i:02d}")
        models.Membership.objects.create(compact=extra, user=officer, role=models.Membership.Role.VIEWER)
    first = officer_client.get(reverse("compacts:list")).content.decode()
    second = officer_client.get(reverse("compacts:list"), {"page": 2}).content.decode()
    assert first.count('<th scope="row"') == 25
    assert second.count('<th scope="row"') == 6
    assert "Page 2 of 2" in second


def _list_queries(client, officer, count, django_assert_max_num_queries):
    for i in range(count):
        extra = CompactFactory(title=f"Pacte n° {i}")
        models.Membership.objects.create(compact=extra, user=officer, role=models.Membership.Role.VIEWER)
    # session, user, two OTP device look-ups, savepoints, session save: 8; the page: 3 (count, organisation,
    # rows) and the two of the key under which it is cached (selectors.compacts_state).
    with django_assert_max_num_queries(14):
        first = client.get(reverse("compacts:list"))
    assert first.status_code == 200
    # Asked again, the table comes from the cache: the request's queries, the organisation and the key's.
    with django_assert_max_num_queries(10):
        again = client.get(reverse("compacts:list"))
    main = first.content.index(b"<main")  # the header before it has a new CSRF token
    assert again.content[main:] == first.content[main:]


@pytest.mark.parametrize("count", [10, 50])
def test_list_queries_do_not_grow_with_compacts(
    officer_client, officer, compact, count, django_assert_max_num_queries
):
    _list_queries(officer_client, officer, count, django_assert_max_num_queries)


# -- create -----------------------------------------------------------------------------------------------
def _compact_data(**overrides):
    data = {
        "title": "Pacte Ghana",
        "country": "GHA",
        "purpose": "Objet",
        "goal": "But",
        "start_date": "2025-01-01",
        "end_date": "2029-12-31",
        "visibility": "public",
    }
    return {**data, **overrides}


def test_create_compact(officer_client, officer):
    form = officer_client.get(reverse("compacts:create")).content.decode()
    for field in ("id_title", "id_country", "id_start_date", "id_end_date"):
        assert f'id="{field}"' in form
    assert '<option value="GHA">Ghana</option>' in form

    response = officer_client.post(reverse("compacts:create"), _compact_data())
    compact = models.Compact.objects.get(title="Pacte Ghana")
    assert response.status_code == 302
    assert response["Location"] == reverse("compacts:detail", args=[compact.pk])
    assert compact.parties.count() == 2 and compact.created_by == officer
    assert officer_client.get(response["Location"]).status_code == 200


def test_six_year_term_shows_the_end_date_error(officer_client):
    response = officer_client.post(reverse("compacts:create"), _compact_data(end_date="2031-01-01"))
    content = response.content.decode()
    assert response.status_code == 400
    assert "A compact lasts at most five years" in error_of(content, "end_date")
    assert "usa-form-group usa-form-group--error" in content
    assert re.search(
        r'<input[^>]*aria-describedby="[^"]*id_end_date_error"[^>]*id="id_end_date"', content
    ) or re.search(r'<input[^>]*id="id_end_date"[^>]*aria-describedby="[^"]*id_end_date_error"', content)
    assert not models.Compact.objects.filter(title="Pacte Ghana").exists()


def test_create_needs_a_donor_office(observer_client):
    assert observer_client.get(reverse("compacts:create")).status_code == 403
    assert observer_client.post(reverse("compacts:create"), _compact_data()).status_code == 403
    assert not models.Compact.objects.filter(title="Pacte Ghana").exists()


def test_create_refuses_missing_title(officer_client):
    response = officer_client.post(reverse("compacts:create"), _compact_data(title=""))
    assert response.status_code == 400
    assert "This field is required." in error_of(response.content.decode(), "title")
    assert not models.Compact.objects.filter(country="GHA").exists()


# -- the compact page -----------------------------------------------------------------------------------
def test_compact_page_shows_everything_at_a_glance(officer_client, compact):
    us, partner = _us(compact), _partner(compact)
    compact.signature_place = "Abidjan"
    compact.purpose = "Renforcer les efforts"
    compact.save()
    prevention = ObjectiveFactory(compact=compact, number=1, statement="Prévenir la traite")
    protection = ObjectiveFactory(
        compact=compact, number=2, pillar=models.Pillar.PROTECTION, statement="Protéger les victimes"
    )
    ActivityFactory(objective=prevention, description="Former les travailleurs sociaux")
    ActivityFactory(objective=protection, description="Appuyer les centres d'accueil")
    IndicatorFactory(objective=prevention, name="Nombre de personnes formées", level="output")
    ceiling = models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind="ceiling",
        description="Jusqu'à 10 millions",
        amount=Decimal("10000000"),
        subject_to_availability_of_funds=True,
    )
    models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind="funding",
        description="Subvention 1",
        amount=Decimal("2500000"),
        ceiling=ceiling,
    )
    models.Commitment.objects.create(
        compact=compact, party=partner, kind="in_kind", description="Locaux du CNS"
    )
    models.Signatory.objects.create(
        compact=compact,
        party=us,
        name="Jessica Davis Ba",
        title="Ambassadrice",
        signed_on=dt.date(2022, 12, 7),
    )
    models.FocalPoint.objects.create(
        compact=compact,
        party=partner,
        name="CNLTP",
        office="1er étage Tour B",
        phone="+225 27 20 23 91 75",
        fax="+225 27 20 21 44 61",
        email="mstp@solidarite.gouv.ci",
        website="www.famille.gouv.ci",
        address="Abidjan Plateau",
        notes="Bureau",
    )

    response = officer_client.get(reverse("compacts:detail", args=[compact.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    for text in [
        compact.title,
        "Signed",
        "days left",
        "Abidjan",
        "Dec. 7, 2022",
        "Jessica Davis Ba",
        "Ambassadrice",
        "Renforcer les efforts",
        compact.goal,
        "Prevention",
        "Protection",
        "Prosecution",
        "Partnership",
        "Former les travailleurs sociaux",
        "Appuyer les centres d",
        "Nombre de personnes formées",
        "Output indicator",
        "2,500,000.00 USD committed of a ceiling of 10,000,000.00 USD",
        "Subject to the availability of funds",
        "Locaux du CNS",
        "Contribution in kind",
        "1er étage Tour B",
        "+225 27 20 23 91 75",
        "+225 27 20 21 44 61",
        "mailto:mstp@solidarite.gouv.ci",
        "www.famille.gouv.ci",
        "has not been recorded: it is overdue.",
    ]:
        assert text in content, text
    assert '<progress id="ceiling-progress" class="pacte-progress" max="100" value="25.0">' in content
    # The protection objective has no indicator: shown as a gap, next to the objective.
    gap = "Objective 2 (Protection) has no indicator in the results framework."
    assert gap in content
    protection_block = content[content.index(f'id="objective-{protection.pk}"') :]
    assert "this objective is a gap in the results framework" in protection_block.split("</article>")[0]
    assert "No objective on the Prosecution pillar." in content


def test_cote_d_ivoire_demo_shows_the_protection_gap(client, db):
    from django.core.management import call_command

    from pacte.compacts.management.commands.load_demo import find_demo_compact

    call_command("load_demo", verbosity=0)
    compact = find_demo_compact()
    assert compact is not None
    officer = (
        models.Membership.objects.filter(compact=compact, role=models.Membership.Role.PROGRAMME_OFFICER)
        .first()
        .user
    )
    client.force_login(officer)
    content = client.get(reverse("compacts:detail", args=[compact.pk])).content.decode()
    protection = compact.objectives.get(pillar=models.Pillar.PROTECTION)
    assert protection.indicators.count() == 0
    block = content[content.index(f'id="objective-{protection.pk}"') :].split("</article>")[0]
    assert "has no indicator in the results framework" in block
    assert '<ol class="usa-list">' in block  # its activities are listed


def _detail_queries(client, compact, n_activities, django_assert_max_num_queries):
    us = _us(compact)
    for pillar in models.Pillar.values:
        objective = ObjectiveFactory(compact=compact, pillar=pillar)
        for i in range(n_activities):
            ActivityFactory(
                objective=objective, visibility=Visibility.NON_PUBLIC if i % 2 else Visibility.PUBLIC
            )
        IndicatorFactory(objective=objective)
        models.FocalPoint.objects.create(
            compact=compact, party=us, name=f"FP {pillar}", email="a@example.org"
        )
        models.Signatory.objects.create(compact=compact, party=us, name=f"S {pillar}", title="T")
    # 8 for the session, user, OTP devices and savepoints (the first request of a session); 16 for the
    # compact, the access, the cache key and the overview
    with django_assert_max_num_queries(24):
        response = client.get(reverse("compacts:detail", args=[compact.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('id="activity-') == 4 * n_activities
    # Then the overview comes from the cache, and the session needs no check nor save for a minute:
    # session, user, savepoint and release; the compact, the access (two) and the cache key.
    with django_assert_max_num_queries(8):
        again = client.get(reverse("compacts:detail", args=[compact.pk]))
    overview = response.content.decode().split('id="term-heading"')[1]
    assert again.content.decode().split('id="term-heading"')[1] == overview


@pytest.mark.parametrize("n_activities", [5, 60])
def test_compact_page_queries_do_not_grow_with_activities(
    officer_client, compact, n_activities, django_assert_max_num_queries
):
    _detail_queries(officer_client, compact, n_activities, django_assert_max_num_queries)


def test_compact_page_flags_late_focal_point_notice(officer_client, compact):
    partner = _partner(compact)
    fp = models.FocalPoint.objects.create(compact=compact, party=partner, name="CIM", email="cim@example.org")
    models.FocalPointChange.objects.create(
        compact=compact,
        party=partner,
        new=fp,
        changed_on=dt.date(2023, 1, 1),
        notified_on=dt.date(2023, 3, 1),
    )
    content = officer_client.get(reverse("compacts:detail", args=[compact.pk])).content.decode()
    assert "was not notified to the other parties within 30 days" in content


def test_status_buttons_follow_the_lifecycle(officer_client, observer_client, officer):
    draft = make_compact_with_parties(status=models.Compact.Status.DRAFT, title="Brouillon")
    donor_officer(draft, username="officer")
    content = officer_client.get(reverse("compacts:detail", args=[draft.pk])).content.decode()
    assert reverse("compacts:status", args=[draft.pk, "open_negotiation"]) in content
    assert reverse("compacts:status", args=[draft.pk, "sign"]) not in content
    assert reverse("compacts:status", args=[draft.pk, "terminate"]) in content


# -- status changes ----------------------------------------------------------------------------------------
def test_open_negotiation_then_sign(officer_client, officer):
    compact = make_compact_with_parties(
        status=models.Compact.Status.DRAFT,
        title="Brouillon",
        start_date=None,
        end_date=None,
        signature_date=None,
    )
    donor_officer(compact, username="officer")
    url = reverse("compacts:status", args=[compact.pk, "open_negotiation"])
    assert officer_client.post(url).status_code == 302
    compact.refresh_from_db()
    assert compact.status == models.Compact.Status.NEGOTIATION

    sign = reverse("compacts:status", args=[compact.pk, "sign"])
    response = officer_client.post(sign, {"signature_date": "2024-05-02", "place": "Accra"})
    assert response.status_code == 400
    assert "Record who signed for" in response.content.decode()
    compact.refresh_from_db()
    assert compact.status == models.Compact.Status.NEGOTIATION

    for party in compact.parties.all():
        models.Signatory.objects.create(
            compact=compact, party=party, name=f"Signataire {party.kind}", title="M."
        )
    response = officer_client.post(sign, {"signature_date": "2024-05-02", "place": "Accra"})
    assert response.status_code == 302
    compact.refresh_from_db()
    assert compact.status == models.Compact.Status.SIGNED
    assert compact.signature_place == "Accra" and compact.start_date == dt.date(2024, 5, 2)


def test_terminate_needs_a_reason(officer_client, compact):
    url = reverse("compacts:status", args=[compact.pk, "terminate"])
    response = officer_client.post(url, {"on": "2024-01-01", "reason": ""})
    assert response.status_code == 400
    assert error_of(response.content.decode(), "reason")
    compact.refresh_from_db()
    assert compact.status == models.Compact.Status.SIGNED


def test_status_change_not_allowed_from_this_state(officer_client, compact):
    response = officer_client.post(reverse("compacts:status", args=[compact.pk, "open_negotiation"]))
    assert response.status_code == 400
    compact.refresh_from_db()
    assert compact.status == models.Compact.Status.SIGNED


# -- edit the compact -------------------------------------------------------------------------------------
def test_edit_compact(officer_client, compact):
    url = reverse("compacts:edit", args=[compact.pk])
    data = {
        "title": "Nouveau titre",
        "country": "CIV",
        "purpose": "",
        "goal": compact.goal,
        "start_date": "2022-12-07",
        "end_date": "2027-12-07",
        "visibility": "public",
        "signature_place": "Abidjan",
    }
    assert officer_client.post(url, data).status_code == 302
    compact.refresh_from_db()
    assert compact.title == "Nouveau titre"

    response = officer_client.post(url, {**data, "end_date": "2028-12-07"})
    assert response.status_code == 400
    assert "at most five years" in error_of(response.content.decode(), "end_date")
    compact.refresh_from_db()
    assert compact.end_date == dt.date(2027, 12, 7)


# -- objectives, activities, indicators ---------------------------------------------------------------------
def test_add_an_activity_from_the_compact_page(officer_client, compact):
    objective = ObjectiveFactory(compact=compact, number=1)
    detail = reverse("compacts:detail", args=[compact.pk])
    add = reverse("compacts:record_add", args=[compact.pk, "activity"]) + f"?objective={objective.pk}"
    assert add.replace("&", "&amp;") in officer_client.get(detail).content.decode()

    page = officer_client.get(add).content.decode()  # without JavaScript: a plain page
    assert "<h1>" in page and f'<option value="{objective.pk}" selected>' in page

    response = officer_client.post(
        add,
        {
            "objective": objective.pk,
            "description": "Sensibiliser les familles",
            "illustrative": "on",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{detail}#objective-{objective.pk}"
    activity = models.Activity.objects.get(description="Sensibiliser les familles")
    assert activity.objective == objective and activity.order == 1
    assert "Sensibiliser les familles" in officer_client.get(detail).content.decode()


def test_add_an_activity_with_htmx(officer_client, compact):
    objective = ObjectiveFactory(compact=compact, number=1)
    add = reverse("compacts:record_add", args=[compact.pk, "activity"]) + f"?objective={objective.pk}"
    fragment = officer_client.get(add, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "hx-post" in fragment

    bad = officer_client.post(add, {"objective": objective.pk, "description": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "<html" not in bad.content.decode()
    assert error_of(bad.content.decode(), "description")

    detail = reverse("compacts:detail", args=[compact.pk])
    data = {"objective": objective.pk, "description": "Nouvelle activité", "visibility": "public"}
    # From the compact page: the page is refreshed (an HX-Redirect to its own #anchor would not reload it).
    response = officer_client.post(
        add, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{detail}"
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    # From elsewhere: sent to the compact page.
    response = officer_client.post(add, data, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == f"{detail}#objective-{objective.pk}"
    assert models.Activity.objects.filter(description="Nouvelle activité").count() == 2


def test_invalid_activity_is_not_saved(officer_client, compact):
    objective = ObjectiveFactory(compact=compact, number=1)
    other = ObjectiveFactory(compact=make_compact_with_parties(title="Autre"), number=1)
    url = reverse("compacts:record_add", args=[compact.pk, "activity"])
    response = officer_client.post(
        url, {"objective": objective.pk, "description": "", "visibility": "public"}
    )
    assert response.status_code == 400
    assert "This field is required." in error_of(response.content.decode(), "description")
    response = officer_client.post(url, {"objective": other.pk, "description": "x", "visibility": "public"})
    assert response.status_code == 400
    assert error_of(response.content.decode(), "objective")
    assert not models.Activity.objects.exists()


def test_edit_and_delete_an_indicator(officer_client, compact):
    indicator = IndicatorFactory(objective=ObjectiveFactory(compact=compact, number=1), name="Ancien")
    edit = reverse("compacts:record_edit", args=[compact.pk, "indicator", indicator.pk])
    response = officer_client.post(
        edit,
        {
            "objective": indicator.objective_id,
            "name": "Nombre d'enquêtes",
            "level": "monitoring",
            "visibility": "non_public",
        },
    )
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert indicator.name == "Nombre d'enquêtes" and indicator.level == "monitoring"
    delete = reverse("compacts:record_delete", args=[compact.pk, "indicator", indicator.pk])
    assert "This cannot be undone." in officer_client.get(delete).content.decode()
    assert officer_client.post(delete).status_code == 302
    assert not models.Indicator.objects.filter(pk=indicator.pk).exists()


def test_objective_gets_the_next_number(officer_client, compact):
    ObjectiveFactory(compact=compact, number=1)
    url = reverse("compacts:record_add", args=[compact.pk, "objective"])
    response = officer_client.post(
        url, {"pillar": "partnership", "statement": "Coordonner", "visibility": "public"}
    )
    assert response.status_code == 302
    assert models.Objective.objects.get(statement="Coordonner").number == 2


# -- commitments -------------------------------------------------------------------------------------------
def test_funding_above_the_ceiling_is_refused_on_the_amount(officer_client, compact):
    us = _us(compact)
    ceiling = models.Commitment.objects.create(
        compact=compact, party=us, kind="ceiling", description="Plafond", amount=Decimal("10000000")
    )
    url = reverse("compacts:record_add", args=[compact.pk, "commitment"])
    data = {
        "kind": "funding",
        "party": us.pk,
        "description": "Subvention",
        "amount": "9000000",
        "currency": "USD",
        "ceiling": ceiling.pk,
        "visibility": "public",
    }
    assert officer_client.post(url, data).status_code == 302
    response = officer_client.post(url, {**data, "description": "Trop", "amount": "1000000.01"})
    assert response.status_code == 400
    message = error_of(response.content.decode(), "amount")
    assert "above the ceiling" in message and "1,000,000.00" in message
    assert not models.Commitment.objects.filter(description="Trop").exists()


# -- signatories and focal points -------------------------------------------------------------------------
def test_add_a_signatory(officer_client, compact):
    partner = _partner(compact)
    url = reverse("compacts:record_add", args=[compact.pk, "signatory"]) + f"?party={partner.pk}"
    response = officer_client.post(
        url,
        {
            "party": partner.pk,
            "name": "Dominique Ouattara",
            "title": "Première Dame",
            "signed_on": "2022-12-07",
            "order": "1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#parties")
    assert models.Signatory.objects.get(name="Dominique Ouattara").party == partner


def test_change_of_focal_point_then_record_the_notification(officer_client, compact):
    partner = _partner(compact)
    old = models.FocalPoint.objects.create(
        compact=compact, party=partner, name="Ancien", email="a@example.org"
    )
    url = reverse("compacts:focal_point_change", args=[compact.pk])
    data = {
        "party": partner.pk,
        "previous": old.pk,
        "name": "CNLTP",
        "email": "cnltp@example.org",
        "visibility": "public",
        "changed_on": "2024-01-01",
    }
    response = officer_client.post(url, {**data, "email": ""})
    assert response.status_code == 400
    assert "Give at least one way to reach this focal point" in response.content.decode()
    assert not models.FocalPointChange.objects.exists()

    assert officer_client.post(url, data).status_code == 302
    change = models.FocalPointChange.objects.get()
    old.refresh_from_db()
    assert change.new.name == "CNLTP" and not old.is_active
    page = officer_client.get(reverse("compacts:focal_points", args=[compact.pk])).content.decode()
    assert "late notice" in page  # not notified within 30 days

    notify = reverse("compacts:record_notification", args=[compact.pk, change.pk])
    response = officer_client.post(notify, {"notified_on": "2023-12-01"})
    assert response.status_code == 400
    assert "cannot be notified before the change" in error_of(response.content.decode(), "notified_on")
    assert officer_client.post(notify, {"notified_on": "2024-01-20"}).status_code == 302
    change.refresh_from_db()
    assert change.notified_on == dt.date(2024, 1, 20)
    page = officer_client.get(reverse("compacts:focal_points", args=[compact.pk])).content.decode()
    assert "late notice" not in page


# -- amendments and extensions ------------------------------------------------------------------------------
def test_extension_moves_the_end_of_term(officer_client, compact):
    url = reverse("compacts:amendment_add", args=[compact.pk, "extension"])
    form = officer_client.get(url).content.decode()
    assert 'id="id_new_end_date"' in form and 'id="id_request_reference"' not in form
    data = {
        "title": "Prorogation",
        "decision_date": "2027-06-01",
        "decision_reference": "Note 12",
        "effective_date": "2027-12-08",
        "new_end_date": "2028-12-07",
        "visibility": "public",
    }
    response = officer_client.post(url, {**data, "decision_reference": ""})
    assert response.status_code == 400 and error_of(response.content.decode(), "decision_reference")
    assert officer_client.post(url, data).status_code == 302
    compact.refresh_from_db()
    assert compact.end_date == dt.date(2028, 12, 7)
    assert "Prorogation" in officer_client.get(reverse("compacts:detail", args=[compact.pk])).content.decode()


def test_amendment_form_asks_for_the_written_request(officer_client, compact):
    url = reverse("compacts:amendment_add", args=[compact.pk, "amendment"])
    form = officer_client.get(url).content.decode()
    assert 'id="id_request_reference"' in form and 'id="id_new_end_date"' not in form
    data = {
        "title": "Avenant 1",
        "requested_by": _partner(compact).pk,
        "request_date": "2024-01-10",
        "request_reference": "Lettre 3",
        "effective_date": "2024-02-01",
        "visibility": "public",
    }
    response = officer_client.post(url, data)
    assert response.status_code == 400
    assert "three months after the written request" in error_of(response.content.decode(), "effective_date")
    assert officer_client.post(url, {**data, "effective_date": "2024-04-10"}).status_code == 302
    assert models.Amendment.objects.filter(title="Avenant 1").exists()


# -- communications, meetings, documents ------------------------------------------------------------------
def test_communications_log_with_attachment(officer_client, observer_client, compact):
    us, partner = _us(compact), _partner(compact)
    sender = models.FocalPoint.objects.create(compact=compact, party=us, name="JTIP", email="j@example.org")
    cns = models.FocalPoint.objects.create(compact=compact, party=partner, name="CNS", email="c@example.org")
    cim = models.FocalPoint.objects.create(compact=compact, party=partner, name="CIM", email="m@example.org")
    url = reverse("compacts:communications", args=[compact.pk])
    assert 'name="recipients"' in officer_client.get(url).content.decode()
    data = {
        "sent_on": "2024-03-01",
        "sender": sender.pk,
        "recipients": [cns.pk, cim.pk],
        "subject": "Rapport annuel",
        "body": "Envoi du rapport",
        "visibility": "public",
        "attachment": SimpleUploadedFile("rapport.pdf", b"%PDF-1.4 rapport", content_type="application/pdf"),
    }
    response = officer_client.post(url, data)
    assert response.status_code == 302
    communication = models.Communication.objects.get(subject="Rapport annuel")
    assert set(communication.recipients.all()) == {cns, cim}
    assert communication.recorded_by is not None

    page = observer_client.get(url).content.decode()
    assert "Rapport annuel" in page and "CNS; CIM" in page and 'name="recipients"' not in page
    assert "/media/" not in page and communication.attachment.name not in page
    download = observer_client.get(
        reverse("compacts:communication_attachment", args=[compact.pk, communication.pk])
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="rapport.pdf"'
    assert b"".join(download.streaming_content) == b"%PDF-1.4 rapport"


def test_communication_needs_a_recipient(officer_client, compact):
    sender = models.FocalPoint.objects.create(
        compact=compact, party=_us(compact), name="JTIP", email="j@example.org"
    )
    response = officer_client.post(
        reverse("compacts:communications", args=[compact.pk]),
        {
            "sent_on": "2024-03-01",
            "sender": sender.pk,
            "subject": "Sans destinataire",
            "visibility": "public",
        },
    )
    assert response.status_code == 400
    assert error_of(response.content.decode(), "recipients")
    assert not models.Communication.objects.exists()


def test_upload_larger_than_the_limit_is_refused(officer_client, compact, settings):
    settings.MAX_ATTACHMENT_SIZE = 10
    response = officer_client.post(
        reverse("compacts:documents", args=[compact.pk]),
        {
            "title": "Gros fichier",
            "kind": "report",
            "visibility": "public",
            "file": SimpleUploadedFile("gros.pdf", b"x" * 11),
        },
    )
    assert response.status_code == 400
    assert "This file is too large" in error_of(response.content.decode(), "file")
    assert not models.Document.objects.exists()


def test_documents_upload_and_download(officer_client, observer_client, compact):
    url = reverse("compacts:documents", args=[compact.pk])
    for title, visibility in [("Accord signé", "public"), ("Note interne", "non_public")]:
        response = officer_client.post(
            url,
            {
                "title": title,
                "kind": "agreement",
                "visibility": visibility,
                "file": SimpleUploadedFile("accord.pdf", b"%PDF-1.4"),
            },
        )
        assert response.status_code == 302
    page = observer_client.get(url).content.decode()
    assert "Accord signé" in page and "Note interne" not in page
    officer_page = officer_client.get(url).content.decode()
    assert "Note interne" in officer_page and "Non-public" in officer_page
    document = models.Document.objects.get(title="Accord signé")
    assert document.uploaded_by is not None
    download = observer_client.get(reverse("compacts:document_download", args=[compact.pk, document.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")


def test_record_a_meeting_with_validated_activities(officer_client, compact):
    objective = ObjectiveFactory(compact=compact, number=1)
    a1 = ActivityFactory(objective=objective, description="Former les juges")
    ActivityFactory(objective=objective, description="Sensibiliser")
    url = reverse("compacts:meetings", args=[compact.pk])
    form = officer_client.get(url).content.decode()
    assert "Former les juges" in form and 'type="checkbox" name="validated_activities"' in form
    data = {
        "kind": "annual",
        "date": "2024-01-15",
        "location": "Abidjan",
        "participants": "CNS, CIM, JTIP",
        "achievements": "Formation de 40 juges",
        "difficulties": "Retards",
        "next_year_plan": "Suite",
        "validated_activities": [a1.pk],
        "visibility": "public",
    }
    assert officer_client.post(url, data).status_code == 302
    meeting = models.Meeting.objects.get()
    assert list(meeting.validated_activities.all()) == [a1]
    page = officer_client.get(url).content.decode()
    assert "Formation de 40 juges" in page

    response = officer_client.post(
        url, {**data, "date": "2023-01-01"}
    )  # less than a year after entry into force
    assert response.status_code == 400
    assert "Annual meetings start one year after entry into force" in error_of(
        response.content.decode(), "date"
    )
    assert models.Meeting.objects.count() == 1


def test_committee_member(officer_client, compact):
    partner = _partner(compact)
    org = OrganisationFactory(name="CNS (test)")
    models.Participation.objects.create(compact=compact, organisation=org, role="party_body", party=partner)
    url = reverse("compacts:record_add", args=[compact.pk, "committee-member"])
    response = officer_client.post(
        url, {"name": "Mme Kouassi", "organisation": org.pk, "party": partner.pk, "role": "chair"}
    )
    assert response.status_code == 302
    assert (
        "Mme Kouassi" in officer_client.get(reverse("compacts:meetings", args=[compact.pk])).content.decode()
    )


# -- access -----------------------------------------------------------------------------------------------
def test_programme_officer_manages_access(officer_client, compact):
    org = OrganisationFactory(
        name="ONG partenaire", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
    )
    person = UserFactory(username="partenaire", organisation=org)
    grant = reverse("compacts:access_grant_role", args=[compact.pk])
    response = officer_client.post(grant, {"user": person.pk, "role": "implementing_partner"})
    assert response.status_code == 400  # not yet a participating organisation: not in the choices
    assert error_of(response.content.decode(), "user")

    add = reverse("compacts:access_add_organisation", args=[compact.pk])
    assert (
        officer_client.post(add, {"organisation": org.pk, "role": "implementing_partner"}).status_code == 302
    )
    assert officer_client.post(grant, {"user": person.pk, "role": "implementing_partner"}).status_code == 302
    assert models.Membership.objects.get(compact=compact, user=person).role == "implementing_partner"
    page = officer_client.get(reverse("compacts:access", args=[compact.pk])).content.decode()
    assert "ONG partenaire" in page and "Implementing partner" in page


def test_government_focal_point_edits_but_does_not_manage_access(compact):
    org = OrganisationFactory(name="CNS", org_type=Organisation.Type.PARTNER_GOVERNMENT)
    models.Participation.objects.create(
        compact=compact, organisation=org, role="party_body", party=_partner(compact)
    )
    user = UserFactory(username="cns", organisation=org)
    models.Membership.objects.create(compact=compact, user=user, role="government_focal_point")
    client = english_client(user)
    assert client.get(reverse("compacts:access", args=[compact.pk])).status_code == 403
    assert client.get(reverse("compacts:status", args=[compact.pk, "terminate"])).status_code == 403
    objective = ObjectiveFactory(compact=compact, number=1)
    add = reverse("compacts:record_add", args=[compact.pk, "activity"])
    assert (
        client.post(
            add, {"objective": objective.pk, "description": "Par le CNS", "visibility": "public"}
        ).status_code
        == 302
    )
    content = client.get(reverse("compacts:detail", args=[compact.pk])).content.decode()
    assert reverse("compacts:edit", args=[compact.pk]) in content
    assert reverse("compacts:access", args=[compact.pk]) not in content
    assert reverse("compacts:status", args=[compact.pk, "terminate"]) not in content
