"""The demo funding (``pacte.grants.demo``), loaded by ``manage.py load_demo``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from pacte.accounts.models import Organisation, User
from pacte.compacts import demo as compact_demo
from pacte.compacts.models import Commitment, Compact
from pacte.grants import demo
from pacte.grants.models import (
    Application,
    Award,
    ConflictDeclaration,
    EmergencyRequest,
    FundingOpportunity,
    ProgrammeType,
    Score,
    Transaction,
)

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo_compact() -> Compact:
    load_demo()
    return Compact.objects.get(title=compact_demo.TITLE, country=compact_demo.COUNTRY)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every grants model (history tables included), the organisations and the users."""
    models = [*apps.get_app_config("grants").get_models(), Organisation, User]
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in models}


def test_load_demo_twice_changes_nothing() -> None:
    output = load_demo()
    before = snapshot()
    assert before["grants.Award"] and before["grants.Transaction"]
    # One line of summary, with the total awarded under the compact and its ceiling.
    digits = re.sub(r"\D", "", output.strip().splitlines()[-1])
    assert "750000000" in digits and "1000000000" in digits
    load_demo()
    assert snapshot() == before
    assert demo.load() == {}  # nothing created the third time either
    assert snapshot() == before


def test_everything_is_demo_data(demo_compact: Compact) -> None:
    for model in (FundingOpportunity, Application, Award, EmergencyRequest):
        assert model.objects.exists()
        assert not model.objects.filter(is_demo=False).exists(), model
        for title in model.objects.values_list("title", flat=True):
            assert demo.DEMO in title, title
    for description in Award.objects.values_list("description", flat=True):
        assert demo.DEMO in description
    created = Organisation.objects.filter(name__in=[s["name"] for s in demo.NEW_ORGANISATIONS])
    assert created.count() == len(demo.NEW_ORGANISATIONS)
    assert all("démonstration" in o.name for o in created)


def test_the_competition(demo_compact: Compact) -> None:
    opportunity = FundingOpportunity.objects.get(reference=demo.OPPORTUNITY_REFERENCE)
    assert opportunity.compact == demo_compact
    assert opportunity.programme_type == ProgrammeType.CHILD_PROTECTION_COMPACT
    assert opportunity.status == FundingOpportunity.Status.AWARDED
    assert opportunity.deadline < timezone.now()
    assert demo_compact.signature_date < opportunity.published_at.date() < opportunity.deadline.date()
    weights = list(opportunity.criteria.values_list("weight", flat=True))
    assert len(weights) == 3 and sum(weights) == 100
    assert {o.compact_id for o in opportunity.objectives.all()} == {demo_compact.pk}

    applications = opportunity.applications.select_related("organisation")
    assert applications.count() == 3
    by_status = sorted(a.status for a in applications)
    assert by_status == ["awarded", "not_selected", "not_selected"]
    awarded = applications.get(status="awarded")
    assert awarded.organisation.name == "ONG Démo Enfance"
    for application in applications:
        assert application.submitted_at is not None and application.submitted_at <= opportunity.deadline
        total = application.budget_lines.aggregate(total=Sum("amount"))["total"]
        assert 0 < total <= opportunity.ceiling

    reviewer = User.objects.get(username=demo.REVIEWER)
    officer = User.objects.get(username=demo.OFFICER)
    assert reviewer.organisation_id == officer.organisation_id  # a TIP Office colleague
    assert set(opportunity.reviewers.values_list("reviewer__username", flat=True)) == {"reviewer", "officer"}
    declarations = ConflictDeclaration.objects.filter(application__opportunity=opportunity)
    assert declarations.count() == 6
    conflict = declarations.get(has_conflict=True)
    assert conflict.reviewer == officer and conflict.statement
    # No score from a reviewer who declared a conflict; every other reviewer scored every criterion.
    assert not Score.objects.filter(application=conflict.application, reviewer=officer).exists()
    assert Score.objects.filter(application__opportunity=opportunity, reviewer=reviewer).count() == 9
    assert Score.objects.filter(application__opportunity=opportunity, reviewer=officer).count() == 6


def test_awards_under_the_compact_stay_under_the_ceiling(demo_compact: Compact) -> None:
    ceiling = Commitment.objects.get(compact=demo_compact, kind=Commitment.Kind.CEILING)
    assert ceiling.amount == Decimal("10000000.00") and ceiling.currency == "USD"
    awards = Award.objects.filter(compact=demo_compact).select_related("organisation")
    assert {a.amount for a in awards} == {Decimal("4500000.00"), Decimal("3000000.00")}
    total = awards.aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("7500000.00") <= ceiling.amount
    agreement = awards.get(instrument=Award.Instrument.COOPERATIVE_AGREEMENT)
    assert agreement.organisation.name == "ONG Démo Enfance" and agreement.application is not None
    grant = awards.get(instrument=Award.Instrument.GRANT)
    assert grant.organisation.partner_kind == Organisation.PartnerKind.INTERNATIONAL_ORGANISATION
    for award in awards:
        assert award.programme_type == ProgrammeType.CHILD_PROTECTION_COMPACT
        assert award.recipient_country == "CIV"
        assert demo_compact.start_date <= award.decided_on <= award.start_date < award.end_date
        assert award.objectives.exists() and award.activities.exists() and award.indicators.exists()
        assert {o.compact_id for o in award.objectives.all()} == {demo_compact.pk}
        assert {a.objective.compact_id for a in award.activities.all()} == {demo_compact.pk}
        # Only indicators the results demo defined, and that this partner reports.
        for indicator in award.indicators.all():
            assert indicator.compact_id == demo_compact.pk
            assert indicator.reporters.filter(pk=award.organisation_id).exists()
        # The yearly budgets add up to the award.
        assert award.budgets.aggregate(total=Sum("amount"))["total"] == award.amount


def test_sectors_budgets_and_transactions(demo_compact: Compact) -> None:
    for award in Award.objects.all():
        shares = list(award.sectors.all())
        assert shares and sum(s.percentage for s in shares) == 100
        assert {s.code for s in shares} <= {"15160", "15130", "16010"}
        for budget in award.budgets.all():
            assert award.start_date <= budget.period_start <= budget.period_end <= award.end_date
            assert (budget.period_end - budget.period_start).days <= 366
        committed = award.transactions.filter(kind=Transaction.Kind.COMMITMENT).aggregate(t=Sum("amount_usd"))
        assert committed["t"] is not None and committed["t"] <= award.amount
        for tx in award.transactions.all():
            assert tx.date >= award.start_date
    compact_tx = Transaction.objects.filter(award__compact=demo_compact)
    assert set(compact_tx.values_list("date__year", flat=True)) == {2023, 2024, 2025}
    assert set(compact_tx.values_list("kind", flat=True)) == {"2", "3", "4"}
    xof = Transaction.objects.get(currency="XOF")
    assert xof.kind == Transaction.Kind.EXPENDITURE and xof.rate_to_usd == demo.XOF_RATE
    assert xof.amount_usd == (xof.amount * xof.rate_to_usd).quantize(Decimal("0.01"))
    # The partner recorded its own expenditures; the officer the commitments and disbursements.
    partner = User.objects.get(username=demo.PARTNER)
    assert xof.created_by == partner
    assert (
        not Transaction.objects.filter(created_by=partner).exclude(kind=Transaction.Kind.EXPENDITURE).exists()
    )


def test_other_programme_types_and_emergency_requests(demo_compact: Compact) -> None:
    others = Award.objects.filter(compact__isnull=True)
    assert set(others.values_list("programme_type", flat=True)) == {
        ProgrammeType.TRAINING_TECHNICAL_ASSISTANCE,
        ProgrammeType.RESEARCH_INNOVATION,
        ProgrammeType.EMERGENCY_VICTIM_ASSISTANCE,
    }
    approved = EmergencyRequest.objects.get(status=EmergencyRequest.Status.APPROVED)
    assert approved.award is not None and approved.award.amount <= approved.amount_requested
    assert approved.award.programme_type == ProgrammeType.EMERGENCY_VICTIM_ASSISTANCE
    assert approved.received_on <= approved.decided_on <= approved.decision_due
    assert approved.decision_due == approved.received_on + dt.timedelta(days=10)
    pending = EmergencyRequest.objects.get(status=EmergencyRequest.Status.RECEIVED)
    assert pending.award is None and pending.decided_on is None
    assert pending.decision_due < timezone.localdate()  # overdue
    assert pending.organisation.name == "ONG Démo Enfance"


def test_without_a_ceiling_no_award_under_the_compact(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo does not invent a ceiling: without one, it says so and makes no award under the compact."""
    monkeypatch.setattr(demo, "us_ceiling", lambda compact: None)
    output = load_demo()
    assert not Award.objects.filter(compact__isnull=False).exists()
    assert not FundingOpportunity.objects.exists()
    assert Award.objects.filter(compact__isnull=True).count() == 3
    assert "ceiling" in output or "plafond" in output


def test_load_without_demo_compact_does_nothing() -> None:
    out = StringIO()
    assert demo.load(stdout=out) == {}
    assert "load_demo" in out.getvalue()
    assert not Award.objects.exists()


def test_the_demo_portfolio_exported_to_iati_passes_the_checker(demo_compact: Compact, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """CI's check of issue 4: ``export_iati`` on the demo data passes ``../shared/iati/check_iati.py``."""
    import subprocess
    import sys

    from django.conf import settings

    path = tmp_path / "demo-iati.xml"
    err = StringIO()
    call_command("export_iati", "--output", str(path), stderr=err)
    checker = settings.BASE_DIR.parent / "shared" / "iati" / "check_iati.py"
    result = subprocess.run(  # noqa: S603 - our interpreter, a checker shipped beside the repository
        [sys.executable, str(checker), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    awards = Award.objects.count()
    assert f"OK ({awards + 1} activities)" in result.stdout  # each award, plus the compact as parent
