"""The annual report pages: permissions (outsider 404, observer public only, capabilities 403), the
narrative and meeting forms (bad input 400, nothing saved), the downloads."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import docx
import pypdf
import pytest
from django.urls import reverse

from pacte.compacts.factories import IndicatorFactory, ObjectiveFactory, make_compact_with_parties
from pacte.compacts.models import Meeting
from pacte.core.models import Visibility
from pacte.results import models
from pacte.results.factories import NarrativeSectionFactory, TargetFactory, make_definition, make_submission

pytestmark = pytest.mark.django_db

YEAR = 2023
SECRET = "Indicateur non public des condamnations"


def url(name: str, compact, *args):  # type: ignore[no-untyped-def]
    return reverse(f"results:{name}", args=[compact.pk, *args])


@pytest.fixture
def data(compact, definition, reporter_org, other_reporter_org):  # type: ignore[no-untyped-def]
    TargetFactory(definition=definition, year=YEAR, value=Decimal(50))
    make_submission(definition, reporter_org, str(YEAR), total=42)
    make_submission(
        definition, other_reporter_org, str(YEAR), total=987654, status=models.Submission.Status.SUBMITTED
    )
    hidden = IndicatorFactory(
        objective=definition.indicator.objective, name=SECRET, visibility=Visibility.NON_PUBLIC
    )
    make_submission(
        make_definition(indicator=hidden, reporters=[reporter_org]), reporter_org, str(YEAR), total=7
    )
    section = NarrativeSectionFactory(
        compact=compact, year=YEAR, organisation=other_reporter_org, text="Texte du partenaire FAE."
    )
    return {"section": section}


@pytest.fixture
def meeting(compact):  # type: ignore[no-untyped-def]
    return Meeting.objects.create(
        compact=compact, kind=Meeting.Kind.ANNUAL, date=dt.date(2024, 3, 14), location="Abidjan"
    )


# -- permissions ---------------------------------------------------------------------------------------
def test_outsider_sees_nothing(outsider_client, compact, data):  # type: ignore[no-untyped-def]
    assert outsider_client.get(url("reports", compact)).status_code == 404
    assert outsider_client.get(url("report", compact, YEAR)).status_code == 404
    assert outsider_client.get(url("report_download", compact, YEAR, "pdf")).status_code == 404
    response = outsider_client.post(
        url("narrative_edit", compact, YEAR), {"kind": "difficulties", "text": "x"}
    )
    assert response.status_code == 404
    assert outsider_client.post(url("report_meeting", compact, YEAR), {}).status_code == 404
    assert models.NarrativeSection.objects.count() == 1


def test_anonymous_is_sent_to_login(client, compact):  # type: ignore[no-untyped-def]
    response = client.get(url("reports", compact))
    assert response.status_code == 302 and "login" in response["Location"]


def test_observer_reads_but_does_not_write(observer_client, compact, data, meeting):  # type: ignore[no-untyped-def]
    response = observer_client.get(url("reports", compact))
    assert response.status_code == 200
    assert url("report", compact, YEAR) in response.content.decode()
    page = observer_client.get(url("report", compact, YEAR)).content.decode()
    assert "Texte du partenaire FAE." in page
    assert 'id="narrative-form"' not in page
    assert url("report_meeting", compact, YEAR) not in page
    response = observer_client.post(
        url("narrative_edit", compact, YEAR), {"kind": "difficulties", "text": "x"}
    )
    assert response.status_code == 403
    assert (
        observer_client.post(url("report_meeting", compact, YEAR), {"meeting": meeting.pk}).status_code == 403
    )
    assert models.NarrativeSection.objects.count() == 1
    assert not models.AnnualReport.objects.exists()


def test_observer_download_has_public_data_only(observer_client, officer_client, compact, definition, data):  # type: ignore[no-untyped-def]
    def table_text(client) -> str:  # type: ignore[no-untyped-def]
        response = client.get(url("report_download", compact, YEAR, "docx"), {"language": "fr"})
        assert response.status_code == 200
        document = docx.Document(io.BytesIO(response.content))
        return "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)

    observer_text = table_text(observer_client)
    assert definition.indicator.name in observer_text and "42" in observer_text
    assert SECRET not in observer_text
    assert SECRET in table_text(officer_client)


def test_years_outside_the_term_are_404(officer_client, compact):  # type: ignore[no-untyped-def]
    for year in (2021, 2028):
        assert officer_client.get(url("report", compact, year)).status_code == 404
        assert officer_client.get(url("report_download", compact, year, "pdf")).status_code == 404
        response = officer_client.post(
            url("narrative_edit", compact, year), {"kind": "difficulties", "text": "x"}
        )
        assert response.status_code == 404
    assert not models.NarrativeSection.objects.exists()


def test_methods(officer_client, compact):  # type: ignore[no-untyped-def]
    assert officer_client.get(url("narrative_edit", compact, YEAR)).status_code == 405
    assert officer_client.get(url("report_meeting", compact, YEAR)).status_code == 405
    assert officer_client.post(url("report_download", compact, YEAR, "pdf")).status_code == 405


# -- downloads -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "content_type"), [("docx", "wordprocessingml"), ("pdf", "application/pdf")])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_download(officer_client, compact, definition, data, fmt, content_type, language):  # type: ignore[no-untyped-def]
    response = officer_client.get(url("report_download", compact, YEAR, fmt), {"language": language})
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="annual-report-{compact.pk}-{YEAR}-{language}.{fmt}"'
    )
    if fmt == "docx":
        document = docx.Document(io.BytesIO(response.content))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        assert "42" in cells
        # Neither the submitted (not approved) value nor its sum with the approved one appears.
        assert not [c for c in cells if "987" in c]
        assert document.core_properties.language == language
    else:
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
        assert definition.indicator.name in " ".join(text.split())
        assert "987" not in text


def test_download_bad_format_or_language(officer_client, compact):  # type: ignore[no-untyped-def]
    assert officer_client.get(url("report_download", compact, YEAR, "odt")).status_code == 404
    assert officer_client.get(url("report_download", compact, YEAR, "html")).status_code == 404
    response = officer_client.get(url("report_download", compact, YEAR, "pdf"), {"language": "de"})
    assert response.status_code == 400


def test_download_defaults_to_the_page_language(officer_client, compact):  # type: ignore[no-untyped-def]
    response = officer_client.get(url("report_download", compact, YEAR, "docx"))
    assert response["Content-Disposition"].endswith('-fr.docx"')
    officer_client.cookies["pacte_language"] = "en"
    response = officer_client.get(url("report_download", compact, YEAR, "docx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-en.docx"')
    assert "Performance indicators" in [
        p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs
    ]


# -- narrative sections --------------------------------------------------------------------------------
def test_reporter_writes_updates_and_deletes_a_section(reporter_client, reporter_org, compact, definition):  # type: ignore[no-untyped-def]
    edit = url("narrative_edit", compact, YEAR)
    objective = definition.indicator.objective
    response = reporter_client.post(
        edit, {"kind": "progress", "objective": objective.pk, "text": "Progrès net."}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(url("report", compact, YEAR) + "#narratives")
    section = models.NarrativeSection.objects.get()
    assert (section.organisation, section.objective, section.kind, section.year) == (
        reporter_org,
        objective,
        "progress",
        YEAR,
    )

    page = reporter_client.get(url("report", compact, YEAR), {"edit": section.pk}).content.decode()
    assert "Progrès net." in page
    assert f'value="{section.version}"' in page  # the form carries the version it edits

    response = reporter_client.post(
        edit,
        {
            "kind": "progress",
            "objective": objective.pk,
            "text": "Progrès révisé.",
            "version": section.version,
        },
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert (section.text, section.version) == ("Progrès révisé.", 2)

    # A second editor still holding version 1 is refused, nothing overwritten.
    response = reporter_client.post(
        edit, {"kind": "progress", "objective": objective.pk, "text": "Écrasement", "version": 1}
    )
    assert response.status_code == 400
    assert (
        "Someone else saved this section" in response.content.decode()
        or "usa-alert--error" in response.content.decode()
    )
    section.refresh_from_db()
    assert section.text == "Progrès révisé."

    response = reporter_client.post(
        edit, {"kind": "progress", "objective": objective.pk, "text": "", "version": section.version}
    )
    assert response.status_code == 302
    assert not models.NarrativeSection.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "bogus", "text": "x"},
        {"kind": "progress", "text": "x"},  # progress needs an objective
        {"kind": "progress", "objective": "not-a-number", "text": "x"},
        {"kind": "difficulties", "text": "x", "version": "zero"},
        {"text": "x"},
    ],
)
def test_bad_narrative_input_is_400(reporter_client, compact, payload):  # type: ignore[no-untyped-def]
    response = reporter_client.post(url("narrative_edit", compact, YEAR), payload)
    assert response.status_code == 400
    page = response.content.decode()
    assert "usa-error-message" in page or "usa-alert--error" in page
    assert not models.NarrativeSection.objects.exists()


def test_objective_of_another_compact_is_refused(reporter_client, compact):  # type: ignore[no-untyped-def]
    foreign = ObjectiveFactory(compact=make_compact_with_parties())
    response = reporter_client.post(
        url("narrative_edit", compact, YEAR), {"kind": "progress", "objective": foreign.pk, "text": "x"}
    )
    assert response.status_code == 400
    assert not models.NarrativeSection.objects.exists()


def test_reporter_cannot_edit_another_organisation_section(reporter_client, compact, data):  # type: ignore[no-untyped-def]
    section = data["section"]
    page = reporter_client.get(url("report", compact, YEAR), {"edit": section.pk}).content.decode()
    assert f'href="?edit={section.pk}' not in page  # no edit link
    assert "Texte du partenaire FAE." in page  # shown, but the form is not prefilled with it
    assert page.count("Texte du partenaire FAE.") == 1


def test_officer_writes_for_another_organisation(officer_client, compact, other_reporter_org, data):  # type: ignore[no-untyped-def]
    section = data["section"]
    response = officer_client.post(
        url("narrative_edit", compact, YEAR),
        {
            "kind": section.kind,
            "organisation": other_reporter_org.pk,
            "text": "Corrigé.",
            "version": section.version,
        },
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert section.text == "Corrigé."


# -- the annual meeting --------------------------------------------------------------------------------
def test_officer_links_the_annual_meeting(officer_client, observer_client, compact, meeting):  # type: ignore[no-untyped-def]
    response = officer_client.post(
        url("report_meeting", compact, YEAR), {"meeting": meeting.pk, "notes": "Validé."}
    )
    assert response.status_code == 302
    report = models.AnnualReport.objects.get(compact=compact, year=YEAR)
    assert (report.reviewed_at, report.notes) == (meeting, "Validé.")
    page = observer_client.get(url("report", compact, YEAR)).content.decode()
    assert f"#meeting-{meeting.pk}" in page
    listing = observer_client.get(url("reports", compact)).content.decode()
    assert f"#meeting-{meeting.pk}" in listing
    # And the other way: the meeting's record on the compact's meetings page links to the report.
    other = Meeting.objects.create(compact=compact, kind=Meeting.Kind.COMMITTEE, date=dt.date(2024, 6, 1))
    meetings = observer_client.get(reverse("compacts:meetings", args=[compact.pk])).content.decode()
    article = meetings.split(f'id="meeting-{meeting.pk}"')[1].split("</article>")[0]
    assert f'href="{url("report", compact, YEAR)}"' in article
    assert f"Rapport annuel {YEAR}" in article
    unrelated = meetings.split(f'id="meeting-{other.pk}"')[1].split("</article>")[0]
    assert url("report", compact, YEAR) not in unrelated


def test_non_public_meeting_hidden_from_observer(officer_client, observer_client, compact, meeting):  # type: ignore[no-untyped-def]
    meeting.visibility = Visibility.NON_PUBLIC
    meeting.save()
    assert (
        officer_client.post(url("report_meeting", compact, YEAR), {"meeting": meeting.pk}).status_code == 302
    )
    assert f"#meeting-{meeting.pk}" in officer_client.get(url("report", compact, YEAR)).content.decode()
    assert f"#meeting-{meeting.pk}" not in observer_client.get(url("report", compact, YEAR)).content.decode()


def test_meeting_bad_input(officer_client, compact):  # type: ignore[no-untyped-def]
    other = make_compact_with_parties()
    foreign = Meeting.objects.create(compact=other, kind=Meeting.Kind.ANNUAL, date=dt.date(2024, 3, 1))
    response = officer_client.post(url("report_meeting", compact, YEAR), {"meeting": foreign.pk})
    assert response.status_code == 400
    assert "usa-error-message" in response.content.decode()
    response = officer_client.post(url("report_meeting", compact, YEAR), {"meeting": "abc"})
    assert response.status_code == 400
    assert not models.AnnualReport.objects.exists()


def test_reporter_may_not_link_meetings(reporter_client, compact, meeting):  # type: ignore[no-untyped-def]
    assert (
        reporter_client.post(url("report_meeting", compact, YEAR), {"meeting": meeting.pk}).status_code == 403
    )
    assert not models.AnnualReport.objects.exists()
