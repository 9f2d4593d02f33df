"""Who may open which page of the compacts web interface.

Every URL of ``pacte.compacts.urls`` is tried, with every kind of record, for four users: the
programme officer (everything), an observer (public information only, no writes), an outsider (an
unrelated organisation: 404 everywhere) and an anonymous visitor (redirected to the login page).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.shortcuts import resolve_url
from django.urls import URLPattern, reverse

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.compacts import models, urls, views
from pacte.compacts.factories import ActivityFactory, IndicatorFactory, ObjectiveFactory
from pacte.compacts.forms import STATUS_ACTIONS
from pacte.core.models import Visibility

NON_PUBLIC = Visibility.NON_PUBLIC
SECRET = "CONFIDENTIEL"  # every non-public record of the fixture carries this word


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def records(compact, officer):
    """One record of every kind on ``compact`` (public), plus non-public ones marked SECRET."""
    us = compact.parties.get(kind=models.Party.Kind.UNITED_STATES)
    partner = compact.parties.get(kind=models.Party.Kind.PARTNER_COUNTRY)
    objective = ObjectiveFactory(compact=compact, number=1, statement="Objectif public de prévention")
    secret_objective = ObjectiveFactory(
        compact=compact,
        number=2,
        pillar=models.Pillar.PROTECTION,
        statement=f"Objectif {SECRET}",
        visibility=NON_PUBLIC,
    )
    activity = ActivityFactory(objective=objective, description="Activité publique")
    secret_activity = ActivityFactory(
        objective=objective, description=f"Activité {SECRET}", visibility=NON_PUBLIC
    )
    indicator = IndicatorFactory(objective=objective, name="Indicateur public")
    secret_indicator = IndicatorFactory(
        objective=objective, name=f"Indicateur {SECRET}", visibility=NON_PUBLIC
    )
    ceiling = models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind=models.Commitment.Kind.CEILING,
        description="Plafond",
        amount=Decimal("10000000"),
        subject_to_availability_of_funds=True,
    )
    secret_funding = models.Commitment.objects.create(
        compact=compact,
        party=us,
        kind=models.Commitment.Kind.FUNDING,
        description=f"Financement {SECRET}",
        amount=Decimal("1000"),
        ceiling=ceiling,
        visibility=NON_PUBLIC,
    )
    signatory = models.Signatory.objects.create(
        compact=compact, party=us, name="Signataire public", title="Amb."
    )
    focal_point = models.FocalPoint.objects.create(
        compact=compact, party=us, name="Point focal public", email="jtip@example.org"
    )
    other_focal_point = models.FocalPoint.objects.create(
        compact=compact, party=partner, name="Point focal CNS", email="cns@example.org"
    )
    secret_focal_point = models.FocalPoint.objects.create(
        compact=compact,
        party=partner,
        name=f"Point focal {SECRET}",
        email="secret@example.org",
        visibility=NON_PUBLIC,
        is_active=False,
    )
    change = models.FocalPointChange.objects.create(
        compact=compact, party=partner, new=other_focal_point, changed_on=dt.date(2023, 1, 1)
    )
    secret_change = models.FocalPointChange.objects.create(
        compact=compact, party=partner, new=secret_focal_point, changed_on=dt.date(2023, 2, 1)
    )
    amendment = models.Amendment.objects.create(
        compact=compact,
        kind=models.Amendment.Kind.EXTENSION,
        title=f"Prorogation {SECRET}",
        decision_date=dt.date(2024, 1, 1),
        decision_reference="Note 1",
        effective_date=dt.date(2024, 1, 1),
        new_end_date=dt.date(2028, 12, 7),
        visibility=NON_PUBLIC,
    )
    meeting = models.Meeting.objects.create(compact=compact, date=dt.date(2024, 1, 10), location="Abidjan")
    secret_meeting = models.Meeting.objects.create(
        compact=compact, date=dt.date(2024, 6, 10), location=f"Lieu {SECRET}", visibility=NON_PUBLIC
    )
    communication = models.Communication.objects.create(
        compact=compact, sent_on=dt.date(2024, 1, 5), sender=focal_point, subject="Courrier public"
    )
    communication.recipients.set([other_focal_point])
    communication.attachment.save("courrier.txt", ContentFile(b"courrier public"))
    secret_communication = models.Communication.objects.create(
        compact=compact,
        sent_on=dt.date(2024, 1, 6),
        sender=focal_point,
        subject=f"Courrier {SECRET}",
        visibility=NON_PUBLIC,
    )
    secret_communication.recipients.set([other_focal_point])
    secret_communication.attachment.save("secret.txt", ContentFile(b"secret"))
    document = models.Document(compact=compact, title="Accord signé", kind=models.Document.Kind.AGREEMENT)
    document.file.save("accord.pdf", ContentFile(b"%PDF-1.4 accord"))
    secret_document = models.Document(compact=compact, title=f"Note {SECRET}", visibility=NON_PUBLIC)
    secret_document.file.save("note.pdf", ContentFile(b"%PDF-1.4 note"))
    committee = compact.monitoring_committee
    member_org = OrganisationFactory(name="Membre du comité")
    models.Participation.objects.create(
        compact=compact, organisation=member_org, role=models.Participation.Role.PARTY_BODY, party=partner
    )
    committee_member = models.CommitteeMember.objects.create(
        committee=committee, name="Membre", organisation=member_org, party=partner
    )
    viewer = UserFactory(username="viewer", organisation=member_org)
    membership = models.Membership.objects.create(
        compact=compact, user=viewer, role=models.Membership.Role.VIEWER
    )
    return {
        "objective": objective,
        "secret_objective": secret_objective,
        "activity": activity,
        "secret_activity": secret_activity,
        "indicator": indicator,
        "secret_indicator": secret_indicator,
        "commitment": ceiling,
        "secret_commitment": secret_funding,
        "party": us,
        "signatory": signatory,
        "focal-point": focal_point,
        "secret_focal-point": secret_focal_point,
        "change": change,
        "secret_change": secret_change,
        "amendment": amendment,
        "meeting": meeting,
        "secret_meeting": secret_meeting,
        "communication": communication,
        "secret_communication": secret_communication,
        "document": document,
        "secret_document": secret_document,
        "committee": committee,
        "committee-member": committee_member,
        "participation": models.Participation.objects.get(compact=compact, organisation=member_org),
        "membership": membership,
    }


# -- every URL of the app ----------------------------------------------------------------------------
def _values(name):
    """The values each URL argument takes in these tests."""
    if name == "kind":
        return list(views.RECORD_KINDS)
    if name == "action":
        return list(STATUS_ACTIONS)
    if name == "amendment_kind":
        return list(models.Amendment.Kind.values)
    raise AssertionError(f"No test value for URL argument {name!r}: add it to test_view_permissions.")


RECORD_OF_URL = {
    "document_download": "document",
    "communication_attachment": "communication",
    "record_notification": "change",
}


def compact_urls(compact, records, prefix=""):
    """Every URL of a compact or of one of its records (``prefix`` "secret_": the non-public records)."""
    result = []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        params = set(pattern.pattern.converters)
        if "pk" not in params:
            continue
        combos = [{"pk": compact.pk}]
        for name in sorted(params - {"pk", "record_pk"}):
            combos = [{**c, name: v} for c in combos for v in _values(name)]
        for kwargs in combos:
            if "record_pk" in params:
                key = kwargs.get("kind") or RECORD_OF_URL[pattern.name]
                record = records.get(prefix + key)
                if record is None:
                    continue
                kwargs = {**kwargs, "record_pk": record.pk}
            elif prefix:
                continue
            result.append(reverse(f"compacts:{pattern.name}", kwargs=kwargs))
    return result


def test_every_url_pattern_is_covered(compact, records):
    all_urls = compact_urls(compact, records)
    names = {p.name for p in urls.urlpatterns}
    assert {"list", "create", "detail", "record_add", "record_edit", "record_delete"} <= names
    # One URL per kind of record for each generic view, plus the specific pages.
    assert len([u for u in all_urls if u.endswith("/edit/")]) == len(views.RECORD_KINDS) + 1
    assert any("/download/" in u for u in all_urls) and any("/attachment/" in u for u in all_urls)


def snapshot():
    """Everything the views could change."""
    state = {}
    for model in [
        models.Compact,
        models.Party,
        models.Participation,
        models.Membership,
        models.Signatory,
        models.Objective,
        models.Activity,
        models.Indicator,
        models.Commitment,
        models.FocalPoint,
        models.FocalPointChange,
        models.Amendment,
        models.MonitoringCommittee,
        models.CommitteeMember,
        models.Meeting,
        models.Communication,
        models.Document,
    ]:
        state[model.__name__] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "updated_at"))
            for row in model.objects.values()
        )
    return state


POST_DATA = {
    "title": "Changed",
    "description": "Changed",
    "name": "Changed",
    "statement": "Changed",
    "pillar": "prevention",
    "notified_on": "2023-01-10",
    "signature_date": "2023-01-01",
    "on": "2023-01-01",
    "reason": "x",
    "effective_date": "2024-01-01",
    "date": "2025-01-01",
    "kind": "other",
    "role": "viewer",
}


# -- outsider: 404 for everything of the compact -------------------------------------------------------
def test_outsider_gets_404_everywhere(outsider_client, compact, records):
    before = snapshot()
    all_urls = compact_urls(compact, records) + compact_urls(compact, records, "secret_")
    assert len(all_urls) > 40
    for url in all_urls:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, POST_DATA).status_code == 404, url
    assert snapshot() == before
    listing = outsider_client.get(reverse("compacts:list"))
    assert listing.status_code == 200
    assert compact.title not in listing.content.decode()


def test_outsider_gets_404_for_a_record_of_another_compact(officer_client, compact, records):
    """A record is looked up within the compact of the URL: another compact's record is not found."""
    from pacte.compacts.factories import make_compact_with_parties

    other = make_compact_with_parties(title="Autre pacte")
    other_objective = ObjectiveFactory(compact=other, number=1)
    other_activity = ActivityFactory(objective=other_objective)
    for kind, record in [("objective", other_objective), ("activity", other_activity)]:
        for view in ("record_edit", "record_delete"):
            url = reverse(f"compacts:{view}", args=[compact.pk, kind, record.pk])
            assert officer_client.get(url).status_code == 404
            assert officer_client.post(url, POST_DATA).status_code == 404
    assert models.Activity.objects.filter(pk=other_activity.pk).exists()


# -- anonymous: redirected to the login page, no data ----------------------------------------------------
def test_anonymous_is_redirected_to_login(client, compact, records):
    login_url = resolve_url(settings.LOGIN_URL)
    before = snapshot()
    all_urls = [reverse("compacts:list"), reverse("compacts:create"), *compact_urls(compact, records)]
    for url in all_urls:
        for response in (client.get(url), client.post(url, POST_DATA)):
            assert response.status_code == 302, url
            assert response["Location"].startswith(login_url + "?next="), url
            assert compact.title not in response.content.decode()
    assert snapshot() == before


# -- observer: public information only, no writes ----------------------------------------------------------
def test_observer_sees_public_records_only(observer_client, compact, records):
    pages = [
        reverse("compacts:detail", args=[compact.pk]),
        reverse("compacts:focal_points", args=[compact.pk]),
        reverse("compacts:meetings", args=[compact.pk]),
        reverse("compacts:communications", args=[compact.pk]),
        reverse("compacts:documents", args=[compact.pk]),
    ]
    seen = ""
    for url in pages:
        response = observer_client.get(url)
        assert response.status_code == 200, url
        seen += response.content.decode()
    for public in [
        "Objectif public",
        "Activité publique",
        "Indicateur public",
        "Point focal public",
        "Courrier public",
        "Accord signé",
        "Abidjan",
    ]:
        assert public in seen
    assert SECRET not in seen
    assert "Non-public" not in seen and "Non public" not in seen
    # No edit link nor form for a viewer.
    assert "/edit/" not in seen and "usa-form--large" not in seen


def test_officer_sees_non_public_records_tagged(officer_client, compact, records):
    officer_client.cookies["pacte_language"] = "en"
    response = officer_client.get(reverse("compacts:detail", args=[compact.pk]))
    content = response.content.decode()
    assert "Activité CONFIDENTIEL" in content and "Indicateur CONFIDENTIEL" in content
    assert "Prorogation CONFIDENTIEL" in content
    assert 'class="usa-tag pacte-tag--non-public">Non-public</span>' in content


def test_observer_downloads_public_files_only(observer_client, compact, records):
    response = observer_client.get(
        reverse("compacts:document_download", args=[compact.pk, records["document"].pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 accord"
    response = observer_client.get(
        reverse("compacts:communication_attachment", args=[compact.pk, records["communication"].pk])
    )
    assert response.status_code == 200
    for name, key in [
        ("document_download", "secret_document"),
        ("communication_attachment", "secret_communication"),
    ]:
        assert (
            observer_client.get(reverse(f"compacts:{name}", args=[compact.pk, records[key].pk])).status_code
            == 404
        )


def test_observer_cannot_change_anything(observer_client, compact, records):
    before = snapshot()
    read_only = {
        "detail",
        "focal_points",
        "meetings",
        "communications",
        "documents",
        "document_download",
        "communication_attachment",
    }
    for url in compact_urls(compact, records) + compact_urls(compact, records, "secret_"):
        name = _url_name(url)
        response = observer_client.post(url, POST_DATA)
        expected = {403, 404, 405} if name in read_only | {"access"} else {403, 404}
        assert response.status_code in expected, (url, response.status_code)
        if name not in read_only:
            get = observer_client.get(url)
            assert get.status_code in {403, 404, 405}, (url, get.status_code)
    for url in compact_urls(compact, records, "secret_"):
        assert observer_client.get(url).status_code == 404, url
    assert snapshot() == before
    assert observer_client.post(reverse("compacts:create"), {"title": "x"}).status_code == 403


def _url_name(url):
    from django.urls import resolve

    return resolve(url).url_name or ""


# -- officer: every page opens ------------------------------------------------------------------------------
def test_officer_opens_every_page(officer_client, compact, records):
    not_found = (
        {
            # kinds that are not added or edited through the generic pages (see views.RECORD_KINDS)
            reverse("compacts:record_add", args=[compact.pk, kind])
            for kind, spec in views.RECORD_KINDS.items()
            if not spec.can_add
        }
        | {
            reverse("compacts:record_edit", args=[compact.pk, kind, records[kind].pk])
            for kind, spec in views.RECORD_KINDS.items()
            if not spec.can_edit
        }
        | {
            reverse("compacts:record_delete", args=[compact.pk, kind, records[kind].pk])
            for kind, spec in views.RECORD_KINDS.items()
            if not spec.can_delete
        }
        | {reverse("compacts:record_add", args=[compact.pk, "committee"])}
    )  # the committee exists already
    post_only = {
        reverse("compacts:access_add_organisation", args=[compact.pk]),
        reverse("compacts:access_grant_role", args=[compact.pk]),
    }
    for url in [
        reverse("compacts:list"),
        reverse("compacts:create"),
        *compact_urls(compact, records),
        *compact_urls(compact, records, "secret_"),
    ]:
        response = officer_client.get(url)
        expected = 404 if url in not_found else 405 if url in post_only else 200
        assert response.status_code == expected, (url, response.status_code)
