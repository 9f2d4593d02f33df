"""Grants selectors: ranking arithmetic, portfolio sums, fixed query counts, award finances."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db import transaction as db_transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.accounts.factories import UserFactory
from pacte.compacts.factories import make_compact_with_parties
from pacte.grants import selectors, services
from pacte.grants.factories import ceiling, make_application, make_award, make_opportunity, ngo
from pacte.grants.models import (
    Award,
    Budget,
    ConflictDeclaration,
    EmergencyRequest,
    ProgrammeType,
    ReviewerAssignment,
    Score,
    Transaction,
)

Kind = Transaction.Kind


def tx(award, kind, amount, date=dt.date(2024, 3, 1), currency="USD", rate=None):  # type: ignore[no-untyped-def]
    amount = D(amount)
    usd = amount if currency == "USD" else (amount * rate).quantize(D("0.01"), ROUND_HALF_UP)
    return Transaction.objects.create(
        award=award, kind=kind, date=date, amount=amount, currency=currency, rate_to_usd=rate, amount_usd=usd
    )


# -- ranking --------------------------------------------------------------------------------------------
def _score(application, reviewer, values, conflict=False):  # type: ignore[no-untyped-def]
    ConflictDeclaration.objects.create(application=application, reviewer=reviewer, has_conflict=conflict)
    for criterion, value in zip(application.opportunity.criteria.all(), values, strict=False):
        if value is not None:
            Score.objects.create(
                application=application, criterion=criterion, reviewer=reviewer, score=D(value)
            )


@pytest.fixture
def panel(opportunity):  # type: ignore[no-untyped-def]
    """Three more reviewers assigned to ``opportunity``."""
    users = [UserFactory(username=f"panel{i}") for i in range(3)]
    for user in users:
        ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=user)
    return users


def test_ranking_weighted_means_without_conflicted_reviewers(
    officer, opportunity, application, panel, reviewer
):
    """Criteria 50/30/20. ``application``: reviewers 80/60/40 and 60/80/100 (means 70/70/70 → 70.00);
    a conflicted reviewer's scores (0/0/0) are left out. ``second``: 90/90/90 → 90.00."""
    second = make_application(opportunity, ngo("Deuxième"))
    make_application(opportunity, ngo("Sans note"))
    _score(application, panel[0], (80, 60, 40))
    _score(application, panel[1], (60, 80, 100))
    _score(application, panel[2], (0, 0, 0), conflict=True)
    _score(second, reviewer, (90, 90, 90))
    ranked = selectors.ranking(officer, opportunity)
    assert [r.application.organisation.name for r in ranked] == [
        "Deuxième",
        application.organisation.name,
        "Sans note",
    ]
    assert [r.weighted_score for r in ranked] == [D("90.00"), D("70.00"), None]
    assert [r.reviews for r in ranked] == [1, 2, 0]
    assert [r.conflicts for r in ranked] == [0, 1, 0]
    criteria = list(opportunity.criteria.values_list("pk", flat=True))
    assert ranked[1].by_criterion == dict.fromkeys(criteria, D("70.00"))
    assert ranked[2].by_criterion == dict.fromkeys(criteria)


def test_ranking_ties_by_submission_time_and_partial_scores(officer, opportunity, panel):
    now = timezone.now()
    late = make_application(opportunity, ngo("Tardive"))
    early = make_application(opportunity, ngo("Précoce"))
    late.submitted_at, early.submitted_at = now, now - dt.timedelta(days=1)
    late.save()
    early.save()
    _score(late, panel[0], (80, 80, 80))
    _score(early, panel[0], (80, 80, 80))
    partial = make_application(opportunity, ngo("Partielle"))
    _score(partial, panel[0], (100, None, None))  # only the 50 % criterion: 50.00
    draft = make_application(opportunity, ngo("Brouillon"), status="draft")
    ranked = selectors.ranking(officer, opportunity)
    assert [r.application for r in ranked] == [early, late, partial]
    assert ranked[2].weighted_score == D("50.00") and draft not in [r.application for r in ranked]


@pytest.mark.parametrize("who", ["applicant", "outsider", "observer"])
def test_ranking_is_for_officers_and_assigned_reviewers(request, who, opportunity, panel):
    with pytest.raises(PermissionDenied):
        selectors.ranking(request.getfixturevalue(who), opportunity)
    assert selectors.ranking(panel[0], opportunity) == []


def test_ranking_query_count_is_fixed(officer, opportunity, panel):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.ranking(officer, opportunity)
        return len(ctx.captured_queries)

    first = make_application(opportunity, ngo("Une"))
    _score(first, panel[0], (50, 50, 50))
    small = count()
    for number in range(8):
        application = make_application(opportunity, ngo(f"Org {number}"))
        for reviewer in panel:
            _score(application, reviewer, (number, 100 - number, 50), conflict=reviewer == panel[2])
    assert count() == small


def _reference_score(weights, grid, conflicts):  # type: ignore[no-untyped-def]
    """The rule written out plainly: per criterion, the mean over the reviewers without conflict."""
    total, any_score = D(0), False
    for c, weight in enumerate(weights):
        values = [grid[r][c] for r in range(len(grid)) if not conflicts[r] and grid[r][c] is not None]
        if values:
            any_score = True
            total += weight / 100 * (sum(values, D(0)) / len(values))
    return total.quantize(D("0.01"), ROUND_HALF_UP) if any_score else None


score_values = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    weights=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=4),
    grid=st.lists(st.lists(score_values, min_size=4, max_size=4), min_size=1, max_size=4),
    conflicts=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_ranking_arithmetic(officer, panel, weights, grid, conflicts):
    weights = [D(w) for w in weights]
    with db_transaction.atomic():
        opportunity = make_opportunity(criteria=[(f"C{i}", w) for i, w in enumerate(weights)])
        reviewers = [UserFactory() for _ in grid]
        for user in reviewers:
            ReviewerAssignment.objects.create(opportunity=opportunity, reviewer=user)
        application = make_application(opportunity, ngo("Hypothèse"))
        for user, row, conflict in zip(reviewers, grid, conflicts, strict=False):
            _score(application, user, row[: len(weights)], conflict=conflict)
        [ranked] = selectors.ranking(officer, opportunity)
        expected = _reference_score(weights, [row[: len(weights)] for row in grid], conflicts)
        assert ranked.weighted_score == expected
        assert ranked.conflicts == sum(conflicts[: len(grid)])
        db_transaction.set_rollback(True)


# -- visibility -----------------------------------------------------------------------------------------
def test_opportunities(officer, applicant, outsider, opportunity):
    draft = make_opportunity(status="draft")
    cancelled = make_opportunity(status="cancelled")
    assert set(selectors.visible_opportunities(officer)) == {opportunity, draft, cancelled}
    for user in (applicant, outsider):
        assert list(selectors.visible_opportunities(user)) == [opportunity]
        assert selectors.get_opportunity(user, opportunity.pk) == opportunity
        for pk in (draft.pk, cancelled.pk, 999_999, "abc"):
            with pytest.raises(Http404):
                selectors.get_opportunity(user, pk)
    assert not selectors.visible_opportunities(None).exists()


def test_applications(officer, applicant, outsider, observer, opportunity, application, panel):
    draft = make_application(opportunity, outsider.organisation, status="draft")
    assert set(selectors.visible_applications(officer)) == {application, draft}
    assert list(selectors.visible_applications(applicant)) == [application]
    assert list(selectors.visible_applications(outsider)) == [draft]
    assert not selectors.visible_applications(observer).exists()
    # An assigned reviewer who is not a grants officer sees the submitted ones only.
    assert list(selectors.visible_applications(panel[0])) == [application]
    with pytest.raises(Http404):
        selectors.get_application(panel[0], draft.pk)
    with pytest.raises(Http404):
        selectors.get_application(outsider, application.pk)
    assert selectors.get_application(applicant, application.pk) == application


def test_applications_to_review(opportunity, application, panel, outsider):
    make_application(opportunity, outsider.organisation, status="draft")
    _score(application, panel[0], (50, None, None))
    rows = {a.pk: a for a in selectors.applications_to_review(panel[0])}
    assert list(rows) == [application.pk]
    assert rows[application.pk].declared and not rows[application.pk].declared_conflict
    assert rows[application.pk].scored_criteria == 1
    fresh = selectors.applications_to_review(panel[1]).get()
    assert not fresh.declared and fresh.scored_criteria == 0
    assert not selectors.applications_to_review(outsider).exists()


def test_awards(officer, applicant, outsider, observer, award, compact):
    elsewhere = make_award(None, organisation=ngo("Ailleurs"))
    assert set(selectors.visible_awards(officer)) == {award, elsewhere}
    assert list(selectors.visible_awards(applicant)) == [award]  # the partner
    assert list(selectors.visible_awards(observer)) == [award]  # opens the compact
    assert not selectors.visible_awards(outsider).exists()
    with pytest.raises(Http404):
        selectors.get_award(outsider, award.pk)
    with pytest.raises(Http404):
        selectors.get_award(observer, elsewhere.pk)


def test_emergency_requests_and_overdue(officer, applicant, outsider):
    today = timezone.localdate()
    old = EmergencyRequest.objects.create(
        organisation=applicant.organisation,
        country="CIV",
        title="Ancienne",
        need="x",
        amount_requested=D(10),
        received_on=today - dt.timedelta(days=11),
        decision_due=today - dt.timedelta(days=1),
    )
    due_today = EmergencyRequest.objects.create(
        organisation=applicant.organisation,
        country="CIV",
        title="Aujourd'hui",
        need="x",
        amount_requested=D(10),
        received_on=today - dt.timedelta(days=10),
        decision_due=today,
    )
    overdue = {r.pk: r.overdue for r in selectors.visible_emergency_requests(applicant)}
    assert overdue == {old.pk: True, due_today.pk: False}
    assert selectors.is_overdue(old) and not selectors.is_overdue(due_today)
    assert list(selectors.overdue_emergency_requests(officer)) == [old]
    assert not selectors.visible_emergency_requests(outsider).exists()
    with pytest.raises(Http404):
        selectors.get_emergency_request(outsider, old.pk)
    old.status = EmergencyRequest.Status.REFUSED
    old.save()
    assert not selectors.is_overdue(old) and not selectors.overdue_emergency_requests(officer).exists()


# -- portfolio ------------------------------------------------------------------------------------------
@pytest.fixture
def book(compact, us_ceiling, award):  # type: ignore[no-untyped-def]
    """``award`` (1,000,000 under ``compact``) plus: a cancelled award under it, an award under a
    second compact (ceiling 3,000,000) and an award outside compacts; transactions in USD and XOF."""
    second = make_compact_with_parties(title="Pacte B")
    ceiling(second, 3_000_000)
    cancelled = make_award(compact, amount=D(500_000), status=Award.Status.CANCELLED)
    other = make_award(second, amount=D(2_000_000), decided_on=dt.date(2024, 6, 1))
    outside = make_award(None, amount=D(300_000), programme_type=ProgrammeType.RESEARCH_INNOVATION)
    tx(award, Kind.COMMITMENT, 800_000)
    tx(award, Kind.DISBURSEMENT, 400_000)
    tx(award, Kind.EXPENDITURE, 100_000_000, currency="XOF", rate=D("0.0016"))  # 160,000 USD
    tx(award, Kind.EXPENDITURE, 40_000, date=dt.date(2025, 2, 1))
    tx(cancelled, Kind.DISBURSEMENT, 1_000)
    tx(other, Kind.COMMITMENT, 2_000_000, date=dt.date(2024, 7, 1))
    tx(other, Kind.DISBURSEMENT, 500_000, date=dt.date(2024, 7, 1))
    return {"award": award, "cancelled": cancelled, "other": other, "outside": outside, "second": second}


def test_portfolio_by_compact(officer, book, compact):
    result = selectors.portfolio(officer)
    rows = {r.key: r for r in result.rows}
    titles = sorted([compact, book["second"]], key=lambda c: c.title.casefold())
    assert [r.key for r in result.rows] == [titles[0].pk, titles[1].pk, None]  # by title, outside last
    assert [r.label for r in result.rows[:2]] == [c.title for c in titles]
    first = rows[compact.pk]
    assert (first.awarded, first.awards, first.ceiling) == (D(1_000_000), 1, D(10_000_000))
    assert (first.committed, first.disbursed, first.expended) == (D(800_000), D(401_000), D(200_000))
    assert first.share_of_ceiling == D("10.0")
    assert first.disbursed_share == D("50.1")  # 401,000 / 800,000
    assert first.burn_rate == D("49.9")  # 200,000 / 401,000
    assert rows[None].label and rows[None].ceiling is None and rows[None].share_of_ceiling is None
    assert result.total.awarded == D(3_300_000) and result.total.awards == 3
    assert result.total.ceiling is None  # an award outside compacts has no ceiling


def test_portfolio_filters_and_groups(officer, book, compact):
    only = selectors.portfolio(officer, compact=compact, group_by="programme_type")
    assert [r.key for r in only.rows] == [ProgrammeType.CHILD_PROTECTION_COMPACT]
    assert only.total.ceiling == D(10_000_000) and only.total.share_of_ceiling == D("10.0")
    by_type = {r.key: r.awarded for r in selectors.portfolio(officer, group_by="programme_type").rows}
    assert by_type == {
        ProgrammeType.CHILD_PROTECTION_COMPACT: D(3_000_000),
        ProgrammeType.RESEARCH_INNOVATION: D(300_000),
    }
    by_partner = selectors.portfolio(officer, group_by="partner", organisation=book["award"].organisation)
    assert [(r.label, r.awarded) for r in by_partner.rows] == [
        (str(book["award"].organisation), D(1_000_000))
    ]
    by_year = selectors.portfolio(officer, group_by="year", compact=compact)
    assert [(r.key, r.awarded, r.expended) for r in by_year.rows] == [
        (2023, D(1_000_000), D(0)),
        (2024, D(0), D(160_000)),
        (2025, D(0), D(40_000)),
    ]
    in_2024 = selectors.portfolio(officer, year=2024)
    assert in_2024.total.awarded == D(2_000_000)  # decided in 2024: the second compact's award
    assert in_2024.total.expended == D(160_000)
    with pytest.raises(ValueError):
        selectors.portfolio(officer, group_by="colour")


def test_portfolio_shows_only_what_the_user_may_see(book, applicant, observer, outsider, compact):
    partner = selectors.portfolio(applicant)
    assert [r.key for r in partner.rows] == [compact.pk] and partner.total.awarded == D(1_000_000)
    assert partner.total.expended == D(200_000)
    watcher = selectors.portfolio(observer)  # opens ``compact``: both its awards
    assert watcher.total.awarded == D(1_000_000) and watcher.total.disbursed == D(401_000)
    nobody = selectors.portfolio(outsider)
    assert nobody.rows == [] and nobody.total.awarded == D(0) and nobody.total.share_of_ceiling is None


def _populate(compact, count):  # type: ignore[no-untyped-def]
    partner = ngo(f"Partenaire {count}")
    for _ in range(count):
        award = make_award(compact, organisation=partner, amount=D(1_000))
        tx(award, Kind.COMMITMENT, 500)
        tx(award, Kind.DISBURSEMENT, 300)
        tx(award, Kind.EXPENDITURE, 100)


@pytest.mark.parametrize("group_by", selectors.GROUPS)
@pytest.mark.parametrize("who", ["officer", "observer"])
def test_portfolio_query_count_does_not_grow_with_the_data(request, who, group_by, compact, us_ceiling):
    user = request.getfixturevalue(who)
    second = make_compact_with_parties(title="Pacte B")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.portfolio(user, group_by=group_by)
            selectors.compact_funding(user, compact)
        return len(ctx.captured_queries)

    _populate(compact, 2)
    user = type(user).objects.get(pk=user.pk)  # no cached organisation
    small = count()
    _populate(compact, 20)
    _populate(second, 20)
    user = type(user).objects.get(pk=user.pk)
    assert count() == small
    assert selectors.portfolio(user, group_by=group_by).total.committed >= D(11_000)


def test_compact_funding(officer, observer, outsider, book, compact):
    funding = selectors.compact_funding(observer, compact)
    assert [r.key for r in funding.rows] == [book["award"].pk, book["cancelled"].pk]  # by start, reference
    rows = {r.key: r for r in funding.rows}
    assert rows[book["cancelled"].pk].awarded == D(0) and rows[book["cancelled"].pk].disbursed == D(1_000)
    assert rows[book["award"].pk].committed == D(800_000)
    assert funding.total.ceiling == D(10_000_000) and funding.total.awarded == D(1_000_000)
    with pytest.raises(Http404):
        selectors.compact_funding(outsider, compact)
    assert selectors.compact_funding(officer, book["second"]).total.awarded == D(2_000_000)


# -- one award ------------------------------------------------------------------------------------------
def test_award_finances(award):
    Budget.objects.create(
        award=award,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=D(400_000),
        value_date=dt.date(2024, 1, 1),
    )
    Budget.objects.create(
        award=award,
        kind=Budget.Kind.REVISED,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        amount=D(450_000),
        value_date=dt.date(2024, 6, 1),
    )
    Budget.objects.create(
        award=award,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        amount=D(1_000_000),
        currency="XOF",
        rate_to_usd=D("0.0016"),
        value_date=dt.date(2025, 1, 1),
    )
    tx(award, Kind.COMMITMENT, 900_000, date=dt.date(2024, 1, 2))
    tx(award, Kind.DISBURSEMENT, 300_000, date=dt.date(2024, 2, 1))
    tx(award, Kind.EXPENDITURE, 50_000, date=dt.date(2025, 3, 1))
    finances = selectors.award_finances(award)
    assert len(finances.budgets) == 3 and len(finances.transactions) == 3
    assert (finances.committed, finances.disbursed, finances.expended) == (D(900_000), D(300_000), D(50_000))
    assert finances.remaining_to_commit == D(100_000)
    assert [(y.year, y.budget, y.committed, y.disbursed, y.expended) for y in finances.by_year] == [
        (2024, D(450_000), D(900_000), D(300_000), D(0)),
        (2025, D("1600.00"), D(0), D(0), D(50_000)),
    ]


def test_selectors_and_services_agree_on_the_ceiling(officer, compact, us_ceiling, applicant_org):
    """What the portfolio shows as awarded is what the service checks against the ceiling."""
    make_award(compact, amount=D(9_000_000))
    row = selectors.compact_funding(officer, compact).total
    assert row.ceiling - row.awarded == D(1_000_000)
    award = services.make_award(
        user=officer,
        data={
            "reference": "REST",
            "title": "Reste",
            "instrument": Award.Instrument.GRANT,
            "start_date": dt.date(2024, 1, 1),
            "end_date": dt.date(2024, 12, 31),
            "amount": row.ceiling - row.awarded,
            "justification": "x",
            "decided_on": dt.date(2024, 1, 1),
        },
        compact=compact,
        organisation=applicant_org,
    )
    assert selectors.compact_funding(officer, compact).total.share_of_ceiling == D("100.0")
    assert award.pk


def test_partner_organisation_inactive_sees_nothing(award, applicant):
    organisation = applicant.organisation
    organisation.is_active = False
    organisation.save()
    applicant.refresh_from_db()
    assert not selectors.visible_awards(applicant).exists()
    assert not selectors.visible_applications(applicant).exists()
