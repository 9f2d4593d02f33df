"""The compact page caches its overview (views.compact_detail); the compact list and the API list cache
what they show each user (selectors.compact_list_cache_key), the list its rows for everyone: what they
show must never be stale nor shown to someone it is not for. The keys carry the compacts' content
versions, bumped by every service; the organisations; the user; the language; the date; the
capabilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models, services
from pacte.compacts.factories import ActivityFactory, ObjectiveFactory, make_compact_with_parties
from pacte.core.models import Visibility

pytestmark = pytest.mark.django_db


def page(client: Client, compact: models.Compact) -> str:
    response = client.get(reverse("compacts:detail", args=[compact.pk]))
    assert response.status_code == 200
    return response.content.decode()


def version(compact: models.Compact) -> int:
    return models.Compact.objects.values_list("content_version", flat=True).get(pk=compact.pk)


def party(compact: models.Compact, kind: str = models.Party.Kind.UNITED_STATES) -> models.Party:
    return compact.parties.get(kind=kind)


@pytest.fixture
def objective(compact):  # type: ignore[no-untyped-def]
    return ObjectiveFactory(compact=compact, pillar=models.Pillar.PREVENTION, number=1)


@pytest.fixture
def viewer(compact):  # type: ignore[no-untyped-def]
    """A member with the viewer role, in an organisation that acts for a party: sees non-public
    records (through the participation) but may not edit."""
    org = OrganisationFactory(name="Comité national (test)", org_type=Organisation.Type.PARTNER_GOVERNMENT)
    models.Participation.objects.create(
        compact=compact,
        organisation=org,
        role=models.Participation.Role.PARTY_BODY,
        party=party(compact, models.Party.Kind.PARTNER_COUNTRY),
    )
    user = UserFactory(username="viewer", organisation=org)
    models.Membership.objects.create(compact=compact, user=user, role=models.Membership.Role.VIEWER)
    return user


@pytest.fixture
def viewer_client(viewer):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(viewer)
    return client


# -- every service bumps the version --------------------------------------------------------------------
def _add_activity(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.save_record(
        user=officer, instance=models.Activity(), data={"objective": objective, "description": "Nouvelle"}
    )


def _edit_activity(compact, officer, objective):  # type: ignore[no-untyped-def]
    activity = ActivityFactory(objective=objective)
    before = version(compact)
    services.save_record(user=officer, instance=activity, data={"description": "Modifiée"})
    assert version(compact) == before + 1


def _delete_activity(compact, officer, objective):  # type: ignore[no-untyped-def]
    activity = ActivityFactory(objective=objective)
    before = version(compact)
    services.delete_record(user=officer, instance=activity)
    assert version(compact) == before + 1


def _update_compact(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.update_compact(user=officer, compact=compact, data={"goal": "Un autre but."})


def _change_status(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.change_status(
        user=officer, compact=compact, action="terminate", on=timezone.localdate(), reason="Fin."
    )


def _record_extension(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.record_amendment(
        user=officer,
        compact=compact,
        data={
            "kind": models.Amendment.Kind.EXTENSION,
            "title": "Prolongation",
            "new_end_date": dt.date(2028, 12, 7),
            "decision_date": dt.date(2024, 1, 10),
            "decision_reference": "Décision n° 1",
            "effective_date": dt.date(2024, 1, 10),
        },
    )


def _change_focal_point(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.change_focal_point(
        user=officer,
        compact=compact,
        party=party(compact),
        new_data={"name": "Nouveau point focal", "email": "pf@example.org"},
        changed_on=dt.date(2024, 1, 1),
    )


def _record_notification(compact, officer, objective):  # type: ignore[no-untyped-def]
    _change_focal_point(compact, officer, objective)
    change = models.FocalPointChange.objects.get(compact=compact)
    before = version(compact)
    services.record_notification(user=officer, change=change, notified_on=dt.date(2024, 1, 5))
    assert version(compact) == before + 1


def _grant_role(compact, officer, objective):  # type: ignore[no-untyped-def]
    services.grant_role(user=officer, compact=compact, member=officer, role=models.Membership.Role.VIEWER)


WRITERS: dict[str, Callable[..., Any]] = {
    "save_record (new)": _add_activity,
    "save_record (edit)": _edit_activity,
    "delete_record": _delete_activity,
    "update_compact": _update_compact,
    "change_status": _change_status,
    "record_amendment": _record_extension,
    "change_focal_point": _change_focal_point,
    "record_notification": _record_notification,
    "grant_role": _grant_role,
}


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
def test_every_service_that_writes_bumps_the_content_version(compact, officer, objective, writer):  # type: ignore[no-untyped-def]
    before = version(compact)
    writer(compact, officer, objective)
    assert version(compact) > before


def test_a_refused_write_leaves_the_version_as_it_was(compact, officer, objective):  # type: ignore[no-untyped-def]
    before = version(compact)
    with pytest.raises(ValidationError):
        services.save_record(user=officer, instance=models.Activity(), data={"objective": objective})
    assert version(compact) == before


def test_the_version_is_not_part_of_the_compacts_history(compact, officer):  # type: ignore[no-untyped-def]
    services.update_compact(user=officer, compact=compact, data={"goal": "Un autre but."})
    assert not hasattr(compact.history.first(), "content_version")


# -- the page shows every change at once -----------------------------------------------------------------
def test_a_change_through_a_service_shows_at_once(officer_client, compact, officer, objective):  # type: ignore[no-untyped-def]
    activity = ActivityFactory(objective=objective, description="Première rédaction")
    assert "Première rédaction" in page(officer_client, compact)
    services.save_record(user=officer, instance=activity, data={"description": "Seconde rédaction"})
    content = page(officer_client, compact)
    assert "Seconde rédaction" in content and "Première rédaction" not in content
    services.delete_record(user=officer, instance=activity)
    assert "Seconde rédaction" not in page(officer_client, compact)


def test_changes_to_the_compact_and_its_term_show_at_once(officer_client, compact, officer):  # type: ignore[no-untyped-def]
    assert "Un autre but" not in page(officer_client, compact)
    services.update_compact(user=officer, compact=compact, data={"goal": "Un autre but."})
    assert "Un autre but." in page(officer_client, compact)
    _record_extension(compact, officer, None)
    assert "Prolongation" in page(officer_client, compact)


def test_a_new_focal_point_and_its_notice_show_at_once(officer_client, compact, officer):  # type: ignore[no-untyped-def]
    officer_client.cookies["pacte_language"] = "en"
    late = "was not notified to the other parties within 30 days"
    page(officer_client, compact)
    _change_focal_point(compact, officer, None)
    content = page(officer_client, compact)
    assert "Nouveau point focal" in content
    assert late in content  # no date of notice, long after the change
    change = models.FocalPointChange.objects.get(compact=compact)
    services.record_notification(user=officer, change=change, notified_on=dt.date(2024, 1, 5))
    assert late not in page(officer_client, compact)


def test_a_renamed_organisation_shows_at_once(officer_client, compact):  # type: ignore[no-untyped-def]
    org = OrganisationFactory(name="Ministère de la Femme", org_type=Organisation.Type.PARTNER_GOVERNMENT)
    models.Signatory.objects.create(
        compact=compact, party=party(compact), name="La ministre", title="Ministre", organisation=org
    )
    cache.clear()  # the signatory was added without a service, above; not the point here
    assert "Ministère de la Femme" in page(officer_client, compact)
    org.name = "Ministère de la Famille"
    org.save()  # the admin site, for instance: not a service of the compacts app
    content = page(officer_client, compact)
    assert "Ministère de la Famille" in content and "Ministère de la Femme" not in content


# -- nothing is shown to someone it is not for -----------------------------------------------------------
def _non_public_activity(objective):  # type: ignore[no-untyped-def]
    return ActivityFactory(
        objective=objective, description="Activité confidentielle", visibility=Visibility.NON_PUBLIC
    )


@pytest.mark.parametrize("officer_first", [True, False])
def test_non_public_records_never_reach_an_observer_through_the_cache(  # type: ignore[no-untyped-def]
    officer_client, observer_client, objective, compact, officer_first
):
    _non_public_activity(objective)
    ActivityFactory(objective=objective, description="Activité publique")
    order = [officer_client, observer_client] if officer_first else [observer_client, officer_client]
    contents = {id(client): page(client, compact) for client in order}
    assert "Activité confidentielle" in contents[id(officer_client)]
    assert "Activité confidentielle" not in contents[id(observer_client)]
    assert "Activité publique" in contents[id(observer_client)]


def test_edit_links_follow_the_capabilities_of_each_viewer(  # type: ignore[no-untyped-def]
    officer_client, viewer_client, observer_client, objective, compact
):
    activity = _non_public_activity(objective)
    edit = reverse("compacts:record_edit", args=[compact.pk, "activity", activity.pk])
    officer_page = page(officer_client, compact)
    viewer_page = page(viewer_client, compact)
    assert edit in officer_page
    assert "Activité confidentielle" in viewer_page and edit not in viewer_page
    assert "Activité confidentielle" not in page(observer_client, compact)
    assert edit in page(officer_client, compact)


def test_each_language_has_its_own_overview(officer_client, compact):  # type: ignore[no-untyped-def]
    assert "Financement" in page(officer_client, compact)
    officer_client.cookies["pacte_language"] = "en"
    content = page(officer_client, compact)
    assert "Funding" in content and "Financement" not in content


def test_what_depends_on_the_date_follows_the_date(officer_client, compact, officer, monkeypatch):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    models.Meeting.objects.create(
        compact=compact, kind=models.Meeting.Kind.COMMITTEE, date=today, location="Salle Ivoire"
    )
    cache.clear()  # the meeting was added without a service, above; not the point here
    assert "Salle Ivoire" in page(officer_client, compact)  # the next meeting: today
    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert "Salle Ivoire" not in page(officer_client, compact)  # past: no longer the next meeting


def test_two_compacts_do_not_share_an_overview(officer_client, officer, compact):  # type: ignore[no-untyped-def]
    other = make_compact_with_parties(title="Autre partenariat", goal="But du second partenariat.")
    models.Membership.objects.create(
        compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    models.Participation.objects.get_or_create(
        compact=other,
        organisation=officer.organisation,
        defaults={"role": models.Participation.Role.PARTY_BODY, "party": party(other)},
    )
    first = page(officer_client, compact)
    second = page(officer_client, other)
    assert "But du second partenariat." in second and "But du second partenariat." not in first


# -- the rows of the compact list are cached too ----------------------------------------------------------
def list_page(client: Client) -> str:
    response = client.get(reverse("compacts:list"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_a_change_at_once(officer_client, compact, officer):  # type: ignore[no-untyped-def]
    assert compact.title in list_page(officer_client)
    services.update_compact(user=officer, compact=compact, data={"title": "Partenariat renommé"})
    content = list_page(officer_client)
    assert "Partenariat renommé" in content and compact.title not in content
    services.change_status(
        user=officer, compact=compact, action="terminate", on=timezone.localdate(), reason="Fin."
    )
    assert "pacte-status--terminated" in list_page(officer_client)


def test_the_list_rows_follow_the_language_and_the_date(officer_client, compact, monkeypatch):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    days = (compact.end_date - today).days
    content = list_page(officer_client)
    assert 'data-label="Jours restants">' + str(days) in content
    officer_client.cookies["pacte_language"] = "en"
    assert 'data-label="Days left">' + str(days) in list_page(officer_client)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + dt.timedelta(days=1))
    assert 'data-label="Days left">' + str(days - 1) in list_page(officer_client)


def test_the_list_never_shows_a_non_public_compact_to_an_observer(  # type: ignore[no-untyped-def]
    officer_client, observer_client, officer, compact
):
    secret = make_compact_with_parties(title="Partenariat confidentiel", visibility=Visibility.NON_PUBLIC)
    models.Membership.objects.create(
        compact=secret, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    assert "Partenariat confidentiel" in list_page(officer_client)
    content = list_page(observer_client)
    assert compact.title in content and "Partenariat confidentiel" not in content


# -- the compact list and the API list are cached per user (selectors.compact_list_cache_key) -------------
API_LIST = "/api/v1/compacts/"


def api_rows(client: Client, query: str = "") -> dict[int, dict[str, Any]]:
    response = client.get(API_LIST + query)
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["results"]}


def test_the_api_list_shows_a_change_at_once(officer_client, compact, officer):  # type: ignore[no-untyped-def]
    assert api_rows(officer_client)[compact.pk]["title"] == compact.title
    services.update_compact(user=officer, compact=compact, data={"title": "Partenariat renommé"})
    assert api_rows(officer_client)[compact.pk]["title"] == "Partenariat renommé"
    services.change_status(
        user=officer, compact=compact, action="terminate", on=timezone.localdate(), reason="Fin."
    )
    assert api_rows(officer_client)[compact.pk]["current_status"] == "terminated"


def test_the_api_list_amounts_follow_the_commitments(officer_client, compact, officer):  # type: ignore[no-untyped-def]
    assert api_rows(officer_client)[compact.pk]["ceiling_amount"] is None
    ceiling = services.save_record(
        user=officer,
        instance=models.Commitment(),
        data={
            "compact": compact,
            "party": party(compact),
            "kind": models.Commitment.Kind.CEILING,
            "description": "Plafond",
            "amount": Decimal("10000000"),
            "currency": "USD",
        },
    )
    assert Decimal(api_rows(officer_client)[compact.pk]["ceiling_amount"]) == Decimal("10000000")
    before = Decimal(api_rows(officer_client)[compact.pk]["committed_amount"])
    services.save_record(
        user=officer,
        instance=models.Commitment(),
        data={
            "compact": compact,
            "party": party(compact),
            "kind": models.Commitment.Kind.FUNDING,
            "description": "Subvention",
            "amount": Decimal("250000"),
            "currency": "USD",
            "ceiling": ceiling,
        },
    )
    assert Decimal(api_rows(officer_client)[compact.pk]["committed_amount"]) == before + 250000


def test_the_api_list_follows_the_language_and_the_date(officer_client, compact, monkeypatch):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    row = api_rows(officer_client)[compact.pk]
    assert row["current_status_display"] == "Signé"
    assert row["days_left"] == (compact.end_date - today).days
    officer_client.cookies["pacte_language"] = "en"
    assert api_rows(officer_client)[compact.pk]["current_status_display"] == "Signed"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today + dt.timedelta(days=1))
    assert api_rows(officer_client)[compact.pk]["days_left"] == (compact.end_date - today).days - 1


def test_each_page_of_the_api_list_is_its_own(officer_client, officer, compact):  # type: ignore[no-untyped-def]
    for n in range(26):
        other = make_compact_with_parties(title=f"Partenariat {n:02d}")
        models.Membership.objects.create(
            compact=other, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
        )
    first, second = api_rows(officer_client), api_rows(officer_client, "?page=2")
    assert len(first) == 25 and len(second) == 2 and not set(first) & set(second)
    response = officer_client.get(API_LIST + "?page=3")
    assert response.status_code == 404


@pytest.mark.parametrize("url", [API_LIST, reverse("compacts:list")])
def test_one_users_cached_list_never_answers_for_another(  # type: ignore[no-untyped-def]
    url, officer_client, observer_client, outsider_client, officer, compact
):
    secret = make_compact_with_parties(title="Partenariat confidentiel", visibility=Visibility.NON_PUBLIC)
    models.Membership.objects.create(
        compact=secret, user=officer, role=models.Membership.Role.PROGRAMME_OFFICER
    )
    assert "Partenariat confidentiel" in officer_client.get(url).content.decode()
    observer_view = observer_client.get(url).content.decode()
    assert compact.title in observer_view and "Partenariat confidentiel" not in observer_view
    outsider_view = outsider_client.get(url).content.decode()
    assert compact.title not in outsider_view and "Partenariat confidentiel" not in outsider_view


@pytest.mark.parametrize("url", [API_LIST, reverse("compacts:list")])
def test_taking_part_or_no_longer_shows_at_once_in_the_lists(  # type: ignore[no-untyped-def]
    url, outsider_client, outsider, officer, compact
):
    assert compact.title not in outsider_client.get(url).content.decode()
    participation = services.add_participation(
        user=officer,
        compact=compact,
        organisation=outsider.organisation,
        role=models.Participation.Role.IMPLEMENTING_PARTNER,
    )
    assert compact.title in outsider_client.get(url).content.decode()
    services.delete_record(user=officer, instance=participation)
    assert compact.title not in outsider_client.get(url).content.decode()


@pytest.mark.parametrize("url", [API_LIST, reverse("compacts:list")])
def test_a_deactivated_organisation_loses_its_lists_at_once(  # type: ignore[no-untyped-def]
    url, observer_client, observer, compact
):
    assert compact.title in observer_client.get(url).content.decode()
    organisation = observer.organisation
    organisation.is_active = False
    organisation.save()
    assert compact.title not in observer_client.get(url).content.decode()


@pytest.mark.parametrize("url", [API_LIST, reverse("compacts:list")])
def test_a_user_moved_to_another_organisation_sees_its_compacts(  # type: ignore[no-untyped-def]
    url, observer_client, observer, outsider, compact
):
    assert compact.title in observer_client.get(url).content.decode()
    observer.organisation = outsider.organisation
    observer.save()
    assert compact.title not in observer_client.get(url).content.decode()


def test_the_list_filter_and_pages_are_cached_apart(officer_client, officer, compact):  # type: ignore[no-untyped-def]
    draft = services.create_compact(
        user=officer,
        data={
            "title": "Partenariat en projet",
            "country": "GHA",
            "start_date": timezone.localdate(),
            "end_date": timezone.localdate() + dt.timedelta(days=365),
        },
    )
    assert draft.status == models.Compact.Status.DRAFT
    everything = list_page(officer_client)
    assert compact.title in everything and "Partenariat en projet" in everything
    drafts = officer_client.get(reverse("compacts:list"), {"status": "draft"}).content.decode()
    assert "Partenariat en projet" in drafts and compact.title not in drafts
    signed = officer_client.get(reverse("compacts:list"), {"status": "signed"}).content.decode()
    assert compact.title in signed and "Partenariat en projet" not in signed


# --- The admin site writes outside the services: it bumps the content version too. ---


@pytest.fixture
def admin_client(client, db):  # type: ignore[no-untyped-def]
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_an_admin_edit_shows_at_once_on_the_cached_page(compact, objective, officer_client, admin_client):
    activity = ActivityFactory(objective=objective, description="Sensibiliser les familles")
    assert "Sensibiliser les familles" in page(officer_client, compact)
    before = version(compact)
    url = reverse("admin:compacts_activity_change", args=[activity.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: "" if value is None else value for name, value in form.initial.items()}
    data.update(description="Former les enseignants", objective=objective.pk)
    data = {k: v for k, v in data.items() if k in form.fields and v is not False}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert version(compact) > before
    text = page(officer_client, compact)
    assert "Former les enseignants" in text
    assert "Sensibiliser les familles" not in text


def test_an_admin_delete_shows_at_once_on_the_cached_page(compact, objective, officer_client, admin_client):
    activities = [ActivityFactory(objective=objective, description=f"Activité {n}") for n in "AB"]
    assert "Activité A" in page(officer_client, compact)
    before = version(compact)
    response = admin_client.post(
        reverse("admin:compacts_activity_delete", args=[activities[0].pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert version(compact) == before + 1
    assert "Activité A" not in page(officer_client, compact)
    response = admin_client.post(
        reverse("admin:compacts_activity_changelist"),
        {"action": "delete_selected", "_selected_action": [activities[1].pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert version(compact) == before + 2
    assert "Activité B" not in page(officer_client, compact)
