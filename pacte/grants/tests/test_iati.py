"""The IATI 2.03 export: structure, the official checker, visibility, streaming and query count."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from pacte.accounts.factories import UserFactory
from pacte.accounts.models import Organisation
from pacte.grants import iati, models
from pacte.grants.factories import make_award, ngo
from pacte.results.factories import TargetFactory, make_definition, make_submission
from pacte.results.models import IndicatorDefinition, Submission

CHECKER = settings.BASE_DIR.parent / "shared" / "iati" / "check_iati.py"
REF = settings.IATI_REPORTING_ORG_REF
Unit = IndicatorDefinition.Unit


def export(user: Any) -> etree._Element:
    return etree.fromstring(b"".join(iati.stream(user)))


def activity(root: etree._Element, identifier: str) -> etree._Element:
    found = root.xpath("iati-activity[iati-identifier=$id]", id=identifier)
    assert len(found) == 1, f"{identifier} appears {len(found)} times"
    return found[0]


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our interpreter, a checker shipped beside the repository
        [sys.executable, str(CHECKER), str(path)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def portfolio(compact, award, applicant_org, officer):  # type: ignore[no-untyped-def]
    """``award`` (to ``applicant_org``, under ``compact``) with budgets, transactions and three indicators
    with approved, submitted and other organisations' values; a second award under ``compact`` to an
    international organisation with other sectors; a stand-alone award outside any compact."""
    award.description = "Protéger les enfants <victimes> & les accompagner."
    award.save(update_fields=["description"])
    models.Budget.objects.create(
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=Decimal("400000"),
        value_date=dt.date(2024, 1, 1),
    )
    models.Budget.objects.create(
        award=award,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        amount=Decimal("350000000"),
        currency="XOF",
        rate_to_usd=Decimal("0.0016"),
        value_date=dt.date(2025, 1, 1),
    )
    for kind, day, amount, currency, rate, usd in (
        ("2", dt.date(2024, 1, 15), "1000000", "USD", None, "1000000"),
        ("3", dt.date(2024, 2, 1), "300000", "USD", None, "300000"),
        ("4", dt.date(2024, 6, 30), "50000000", "XOF", Decimal("0.0016"), "80000"),
    ):
        models.Transaction.objects.create(
            award=award,
            kind=kind,
            date=day,
            amount=Decimal(amount),
            currency=currency,
            rate_to_usd=rate,
            amount_usd=Decimal(usd),
            reference=f"TX-{kind}",
        )
    other_org = ngo("Autre ONG")
    count = make_definition(
        compact,
        unit=Unit.COUNT,
        unit_label="enfants identifiés",
        baseline_value=Decimal(120),
        baseline_year=2022,
        baseline_source="Rapport 2022",
    )
    TargetFactory(definition=count, year=2024, value=Decimal(200))
    TargetFactory(definition=count, year=2025, value=Decimal(300))
    make_submission(count, applicant_org, "2024", total=150)
    make_submission(count, applicant_org, "2025", total=999, status=Submission.Status.SUBMITTED)
    make_submission(count, other_org, "2024", total=77)
    percentage = make_definition(
        compact,
        unit=Unit.PERCENTAGE,
        frequency=IndicatorDefinition.Frequency.QUARTERLY,
        baseline_numerator=Decimal(1),
        baseline_denominator=Decimal(4),
        baseline_year=2023,
    )
    TargetFactory(definition=percentage, year=2024, value=Decimal(50))
    make_submission(percentage, applicant_org, "2024Q1", total=(30, 100))
    make_submission(percentage, applicant_org, "2024Q2", total=(10, 20))
    qualitative = make_definition(compact, unit=Unit.QUALITATIVE)
    make_submission(qualitative, applicant_org, "2024", total="Les comités locaux se réunissent.")
    award.indicators.set([count, percentage, qualitative])

    unicef = Organisation.objects.create(
        name="UNICEF Côte d'Ivoire",
        org_type=Organisation.Type.IMPLEMENTING_PARTNER,
        partner_kind=Organisation.PartnerKind.INTERNATIONAL_ORGANISATION,
        country="CIV",
        iati_ref="XM-DAC-41122",
    )
    second = make_award(compact, organisation=unicef, reference="SINLEC24CA0099", amount=Decimal(3_000_000))
    models.SectorShare.objects.filter(award=second).delete()
    models.SectorShare.objects.create(award=second, code="15160", percentage=Decimal(60))
    models.SectorShare.objects.create(award=second, code="15180", percentage=Decimal(40))
    standalone = make_award(None, reference="SINLEC24GR0500", organisation=ngo("ONG Ailleurs", country="GHA"))
    return {"award": award, "second": second, "standalone": standalone, "count": count, "pct": percentage}


def test_officer_export_structure(portfolio, officer) -> None:  # type: ignore[no-untyped-def]
    root = export(officer)
    award, second, standalone = portfolio["award"], portfolio["second"], portfolio["standalone"]
    assert root.get("version") == "2.03"
    assert root.get("generated-datetime")
    assert len(root.findall("iati-activity")) == 4  # the compact, its two awards, the stand-alone one

    parent_id = f"{REF}-CPC-{award.compact_id}"
    parent = activity(root, parent_id)
    assert parent.get("hierarchy") == "1"
    assert parent.find("reporting-org").get("ref") == REF
    assert parent.find("reporting-org").get("type") == "10"
    children = {r.get("ref") for r in parent.findall("related-activity[@type='2']")}
    assert children == {f"{REF}-{award.reference}", f"{REF}-{second.reference}"}
    roles = {o.get("role"): o.findtext("narrative") for o in parent.findall("participating-org")}
    assert roles["1"] == iati.FUNDING_ORG_NAME
    assert roles["2"] == "Côte d'Ivoire"
    assert parent.find("activity-status").get("code") == "2"
    assert parent.find("recipient-country").get("code") == "CI"
    # Union of the two awards' sectors weighted by their amounts: 15160 = (1M × 100 + 3M × 60) / 4M.
    sectors = {s.get("code"): Decimal(s.get("percentage")) for s in parent.findall("sector")}
    assert sectors == {"15160": Decimal(70), "15180": Decimal(30)}
    assert sum(sectors.values()) == 100
    assert parent.find("budget") is None

    child = activity(root, f"{REF}-{award.reference}")
    assert child.get("hierarchy") == "2"
    assert child.get("default-currency") == "USD"
    [related] = child.findall("related-activity")
    assert (related.get("ref"), related.get("type")) == (parent_id, "1")
    assert child.find("description/narrative").text == "Protéger les enfants <victimes> & les accompagner."
    assert child.find("description/narrative").get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    orgs = {o.get("role"): o for o in child.findall("participating-org")}
    assert set(orgs) == {"1", "3", "4"}
    assert orgs["4"].findtext("narrative") == "ONG Enfance Protégée"
    assert orgs["4"].get("type") == "24"  # an NGO based in the recipient country
    assert orgs["4"].get("ref") is None
    assert [(s.get("code"), s.get("vocabulary"), s.get("percentage")) for s in child.findall("sector")] == [
        ("15160", "1", "100")
    ]
    assert child.find("collaboration-type").get("code") == "1"
    assert child.find("default-flow-type").get("code") == "10"
    assert child.find("default-finance-type").get("code") == "110"
    assert child.find("default-aid-type").get("code") == "C01"
    budgets = [
        (b.get("type"), b.get("status"), b.find("value").text, b.find("value").get("currency"))
        for b in child.findall("budget")
    ]
    assert budgets == [("1", "2", "400000.00", "USD"), ("1", "2", "350000000.00", "XOF")]
    transactions = child.findall("transaction")
    assert [t.find("transaction-type").get("code") for t in transactions] == ["2", "3", "4"]
    disbursement = transactions[1]
    assert disbursement.find("value").text == "300000.00"
    assert disbursement.find("value").get("value-date") == "2024-02-01"
    assert disbursement.find("provider-org").get("ref") == REF
    assert disbursement.find("receiver-org").findtext("narrative") == "ONG Enfance Protégée"
    expenditure = transactions[2]
    assert expenditure.find("value").get("currency") == "XOF"
    assert expenditure.find("provider-org").findtext("narrative") == "ONG Enfance Protégée"

    unicef = activity(root, f"{REF}-{second.reference}")
    implementing = unicef.find("participating-org[@role='4']")
    assert (implementing.get("ref"), implementing.get("type")) == ("XM-DAC-41122", "40")

    alone = activity(root, f"{REF}-{standalone.reference}")
    assert alone.get("hierarchy") == "1"
    assert alone.find("related-activity") is None
    assert alone.find("participating-org[@role='4']").get("type") == "21"  # a Ghanaian NGO working in CIV


def _period(indicator: etree._Element, year: int) -> etree._Element:
    [period] = [
        p for p in indicator.findall("period") if p.find("period-start").get("iso-date")[:4] == str(year)
    ]
    return period


def test_results_show_targets_and_approved_values_only(portfolio, officer) -> None:  # type: ignore[no-untyped-def]
    root = export(officer)
    child = activity(root, f"{REF}-{portfolio['award'].reference}")
    results = child.findall("result")
    assert len(results) == 3
    by_code = {r.find("indicator/reference").get("code"): r.find("indicator") for r in results}

    count = by_code[f"PACTE-{portfolio['count'].pk}"]
    assert count.getparent().get("type") == "1"
    assert (count.get("measure"), count.get("ascending")) == ("1", "1")
    baseline = count.find("baseline")
    assert (baseline.get("year"), baseline.get("value")) == ("2022", "120")
    assert [p.find("period-start").get("iso-date") for p in count.findall("period")] == [
        "2024-01-01",
        "2025-01-01",
        "2026-01-01",
    ]
    assert _period(count, 2026).find("period-end").get("iso-date") == "2026-12-31"
    y2024 = _period(count, 2024)
    assert y2024.find("target").get("value") == "200"
    assert y2024.find("actual").get("value") == "150"  # not + 77: another organisation's value
    y2025 = _period(count, 2025)
    assert y2025.find("target").get("value") == "300"
    assert y2025.find("actual") is None  # 999 is submitted, not approved
    assert b"999" not in etree.tostring(root)

    percentage = by_code[f"PACTE-{portfolio['pct'].pk}"]
    assert percentage.get("measure") == "2"
    assert percentage.find("baseline").get("value") == "25"
    # Two quarters: (30 + 10) / (100 + 20) = 33.33 %, not the mean of 30 % and 50 %.
    assert _period(percentage, 2024).find("actual").get("value") == "33.33"
    assert _period(percentage, 2024).find("target").get("value") == "50"

    qualitative = [i for code, i in by_code.items() if i.get("measure") == "5"][0]
    assert qualitative.get("ascending") is None
    actual = _period(qualitative, 2024).find("actual")
    assert actual.get("value") is None
    assert actual.findtext("comment/narrative") == "Les comités locaux se réunissent."


def test_milestone_and_percentage_change(award, compact, applicant_org, officer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    milestone = make_definition(compact, unit=Unit.MILESTONE)
    TargetFactory(definition=milestone, year=2025, value=Decimal(1))
    make_submission(milestone, applicant_org, "2025", total=1)
    change = make_definition(
        compact, unit=Unit.PERCENT_CHANGE, baseline_value=Decimal(200), baseline_year=2023
    )
    TargetFactory(definition=change, year=2024, value=Decimal(25))  # +25 % of 200 = 250 cases
    make_submission(change, applicant_org, "2024", total=230)
    award.indicators.set([milestone, change])
    root = export(officer)
    indicators = {
        i.find("reference").get("code"): i
        for i in activity(root, f"{REF}-{award.reference}").iter("indicator")
    }
    done = indicators[f"PACTE-{milestone.pk}"]
    assert done.get("measure") == "5"
    assert _period(done, 2025).findtext("target/comment/narrative") == "To be achieved by the end of 2025."
    assert _period(done, 2025).findtext("actual/comment/narrative") == "Achieved."
    assert _period(done, 2025).find("actual").get("value") is None
    counted = indicators[f"PACTE-{change.pk}"]
    assert counted.get("measure") == "1"
    assert counted.find("baseline").get("value") == "200"
    assert _period(counted, 2024).find("target").get("value") == "250"
    assert _period(counted, 2024).find("actual").get("value") == "230"
    path = tmp_path / "measures.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    assert check(path).returncode == 0


def test_non_public_indicator_is_not_published(portfolio, officer) -> None:  # type: ignore[no-untyped-def]
    indicator = portfolio["count"].indicator
    indicator.visibility = "non_public"
    indicator.save(update_fields=["visibility"])
    child = activity(export(officer), f"{REF}-{portfolio['award'].reference}")
    assert len(child.findall("result")) == 2
    assert f"PACTE-{portfolio['count'].pk}" not in etree.tostring(child).decode()


def test_goal_of_a_non_public_compact_is_not_published(portfolio, officer, compact) -> None:  # type: ignore[no-untyped-def]
    compact.visibility = "non_public"
    compact.save(update_fields=["visibility"])
    parent = activity(export(officer), f"{REF}-CPC-{compact.pk}")
    assert compact.goal not in etree.tostring(parent, encoding="unicode")
    assert parent.findtext("description/narrative").startswith("Child Protection Compact partnership")


def test_last_updated_follows_the_transactions(portfolio, officer) -> None:  # type: ignore[no-untyped-def]
    award = portfolio["award"]
    later = award.updated_at + dt.timedelta(days=3)
    models.Transaction.objects.filter(award=award, kind="3").update(updated_at=later)
    child = activity(export(officer), f"{REF}-{award.reference}")
    assert child.get("last-updated-datetime") == iati.iso_datetime(later)


def test_characters_xml_forbids_are_dropped(portfolio, officer) -> None:  # type: ignore[no-untyped-def]
    award = portfolio["award"]
    award.title = "Projet\x0c pilote\x1f"
    award.save(update_fields=["title"])
    models.Transaction.objects.filter(award=award, kind="2").update(
        reference="TX\x0b-2", description="Tranche\x01 1"
    )
    child = activity(export(officer), f"{REF}-{award.reference}")
    assert child.findtext("title/narrative") == "Projet pilote"
    assert child.find("transaction").get("ref") == "TX-2"
    assert child.findtext("transaction/description/narrative") == "Tranche 1"


def test_export_passes_the_iati_checker(portfolio, officer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "iati.xml"
    path.write_bytes(b"".join(iati.stream(officer)))
    result = check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK (4 activities)" in result.stdout


def test_partner_sees_its_award_and_its_compact_only(portfolio, applicant) -> None:  # type: ignore[no-untyped-def]
    root = export(applicant)
    identifiers = {a.findtext("iati-identifier") for a in root.findall("iati-activity")}
    award = portfolio["award"]
    assert identifiers == {f"{REF}-CPC-{award.compact_id}", f"{REF}-{award.reference}"}
    parent = activity(root, f"{REF}-CPC-{award.compact_id}")
    assert [r.get("ref") for r in parent.findall("related-activity")] == [f"{REF}-{award.reference}"]
    assert {s.get("code"): s.get("percentage") for s in parent.findall("sector")} == {"15160": "100"}


def test_outsider_export_has_no_activity(portfolio, outsider) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(iati.stream(outsider))
    root = etree.fromstring(body)
    assert root.tag == "iati-activities"
    assert root.findall("iati-activity") == []
    for reference in ("award", "second", "standalone"):
        assert portfolio[reference].reference.encode() not in body


def test_command_writes_a_file_that_passes_the_checker(portfolio, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "all.xml"
    err = StringIO()
    call_command("export_iati", "--output", str(path), stderr=err)
    assert "4 IATI activities" in err.getvalue()
    result = check(path)
    assert result.returncode == 0, result.stdout
    assert "OK (4 activities)" in result.stdout


def test_command_for_one_user(portfolio, applicant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "partner.xml"
    err = StringIO()
    call_command("export_iati", "--output", str(path), "--user", applicant.username, stderr=err)
    assert "2 IATI activities" in err.getvalue()
    assert check(path).returncode == 0


def test_command_writes_to_standard_output(portfolio, capsysbinary) -> None:  # type: ignore[no-untyped-def]
    err = StringIO()
    call_command("export_iati", "--output", "-", stderr=err)
    root = etree.fromstring(capsysbinary.readouterr().out)
    assert len(root.findall("iati-activity")) == 4
    assert "4 IATI activities" in err.getvalue()


def test_command_refuses_an_unknown_user(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="nobody"):
        call_command("export_iati", "--output", str(tmp_path / "x.xml"), "--user", "nobody")


def _many_awards(compact: Any, n: int, transactions: int = 3) -> None:
    partner = ngo()
    for i in range(n):
        award = make_award(compact, organisation=partner, reference=f"BULK{n:03d}X{i:04d}")
        models.Budget.objects.create(
            award=award,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 12, 31),
            amount=Decimal(1000),
            value_date=dt.date(2024, 1, 1),
        )
        models.Transaction.objects.bulk_create(
            models.Transaction(
                award=award,
                kind="3",
                date=dt.date(2024, 3, 1) + dt.timedelta(days=j),
                amount=Decimal(100),
                amount_usd=Decimal(100),
            )
            for j in range(transactions)
        )


def test_stream_yields_several_chunks(compact, us_ceiling, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _many_awards(compact, 60)
    chunks = list(iati.stream(None))
    assert len(chunks) > 3
    assert all(len(c) < 4 * iati.BUFFER_SIZE for c in chunks)
    path = tmp_path / "bulk.xml"
    path.write_bytes(b"".join(chunks))
    result = check(path)
    assert result.returncode == 0, result.stdout
    assert "OK (61 activities)" in result.stdout


def test_a_stream_closed_early_stops_and_frees_its_cursor(compact, us_ceiling) -> None:  # type: ignore[no-untyped-def]
    _many_awards(compact, 60)
    stream = iati.stream(None)
    first = next(stream)
    assert first.startswith(b"<?xml")
    stream.close()  # what StreamingHttpResponse does when the download is cut off
    with pytest.raises(StopIteration):
        next(stream)
    assert models.Award.objects.count() == 60  # the connection still answers


def _queries(user: Any) -> int:
    with CaptureQueriesContext(connection) as context:
        for _chunk in iati.stream(user):
            pass
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_the_awards(compact, us_ceiling, officer) -> None:  # type: ignore[no-untyped-def]
    definition = make_definition(compact, baseline_value=Decimal(1), baseline_year=2023)
    _many_awards(compact, 5)
    for award in models.Award.objects.all():
        award.indicators.set([definition])
    few = _queries(officer)
    _many_awards(compact, 25)
    for award in models.Award.objects.all():
        award.indicators.set([definition])
    assert models.Award.objects.count() == 30
    assert _queries(officer) == few


@given(
    st.dictionaries(
        st.sampled_from(["15110", "15160", "15180", "16010", "11220"]), st.integers(1, 10**9), min_size=1
    )
)
def test_sector_shares_add_up_to_exactly_100(weights: dict[str, int]) -> None:
    shares = iati.shares_adding_to_100({code: Decimal(w) for code, w in weights.items()})
    assert sum(share for _code, share in shares) == 100
    assert all(share > 0 and share == share.quantize(Decimal("0.01")) for _code, share in shares)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"partner_kind": "ngo", "country": "CIV"}, "24"),
        ({"partner_kind": "ngo", "country": "USA"}, "21"),
        ({"partner_kind": "international_organisation", "country": "USA"}, "40"),
        ({"partner_kind": "university", "country": "CIV"}, "80"),
        ({"partner_kind": "for_profit", "country": "CIV"}, "70"),
        ({"org_type": "partner_government", "partner_kind": "", "country": "CIV"}, "10"),
        ({"org_type": "service_provider", "partner_kind": "", "country": "CIV"}, "90"),
    ],
)
def test_organisation_type(fields: dict[str, str], expected: str) -> None:
    organisation = Organisation(**{"name": "X", "org_type": Organisation.Type.IMPLEMENTING_PARTNER, **fields})
    assert iati.organisation_type(organisation, "CIV") == expected


def test_user_without_organisation_exports_nothing(db) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(organisation=None)
    root = export(user)
    assert root.findall("iati-activity") == []
