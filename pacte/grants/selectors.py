"""Reads of grants. Every selector takes the user and returns only what that user may see, with the
rules of ``permissions.py`` expressed as querysets; ``get_*`` raise ``Http404`` for a record the user
may not see, exactly as for one that does not exist.

* opportunities: grants officers all; other active users the published, closed and awarded ones;
* applications: grants officers all; the applying organisation's people theirs; reviewers assigned
  to the opportunity the submitted, awarded and not selected ones;
* awards (and their budgets and transactions): grants officers all; the implementing partner's
  people theirs; under a compact, everyone who may open the compact
  (``pacte.compacts.selectors.visible_compacts``);
* emergency requests: grants officers and the requesting organisation.

``ranking`` and ``portfolio`` run a fixed number of queries whatever the amount of data (SQL
aggregates with ``filter=``; scores are read as plain rows and averaged with exact decimals).

Portfolio semantics: ``awarded`` is the sum of the awards that are not cancelled (status "5");
``committed``, ``disbursed`` and ``expended`` are sums of ``Transaction.amount_usd`` of every visible
award. Grouped by year (and with ``year=``), awards count in the year of their decision
(``decided_on``) and transactions in the year of their date. Percentages have one decimal:
``share_of_ceiling`` = awarded / ceiling, ``disbursed_share`` = disbursed / committed, ``burn_rate`` =
expended / disbursed (None when the divisor is missing or zero). A row's ceiling is the compact's US
ceiling (rows by compact only); the total's ceiling is the compact's when filtered on one compact, the
sum of the rows' ceilings when grouping by compact and every row has one, else None.

``award_finances(award)`` takes an award already fetched with ``get_award``: ``by_year`` is a list of
``YearFinances`` (year, budget in USD — the revised budgets of that year when there are any, else the
original ones, by the year the period starts — committed, disbursed, expended).

Emergency requests: ``visible_emergency_requests`` annotates ``overdue`` (still received after its
decision date); ``is_overdue(request)`` says the same for one request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation
from pacte.compacts.models import Commitment, Compact
from pacte.compacts.permissions import access_for
from pacte.compacts.selectors import compacts_state, compacts_with_non_public, visible_compacts
from pacte.core.models import Visibility

from . import permissions
from .models import (
    Application,
    Award,
    Budget,
    ConflictDeclaration,
    EmergencyRequest,
    FundingOpportunity,
    GrantsState,
    MeritCriterion,
    ProgrammeType,
    ReviewerAssignment,
    Score,
    Transaction,
)

if TYPE_CHECKING:
    from pacte.accounts.models import User

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SCORE_PLACES = Decimal("0.01")
PERCENT_PLACES = Decimal("0.1")
GROUPS = ("compact", "partner", "programme_type", "year")
Kind = Transaction.Kind


def _active(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _own_organisation_id(user: User) -> int | None:
    """The user's organisation when it is active (its people act for it), else None."""
    organisation = user.organisation if user.organisation_id else None
    return organisation.pk if organisation is not None and organisation.is_active else None


def _get(queryset: QuerySet[Any], pk: Any) -> Any:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# -- opportunities ----------------------------------------------------------------------------------------
def visible_opportunities(user: User | None) -> QuerySet[FundingOpportunity]:
    qs = FundingOpportunity.objects.select_related("compact")
    if not _active(user):
        return qs.none()
    if permissions.is_grants_officer(user):
        return qs
    return qs.filter(status__in=permissions.PUBLISHED_STATUSES)


def get_opportunity(user: User | None, pk: Any) -> FundingOpportunity:
    return _get(visible_opportunities(user), pk)  # type: ignore[no-any-return]


# -- applications ---------------------------------------------------------------------------------------
def _assigned(user: User) -> Exists:
    return Exists(ReviewerAssignment.objects.filter(opportunity=OuterRef("opportunity_id"), reviewer=user))


def visible_applications(user: User | None) -> QuerySet[Application]:
    qs = Application.objects.select_related("opportunity", "organisation")
    if not _active(user):
        return qs.none()
    assert user is not None
    if permissions.is_grants_officer(user):
        return qs
    condition = Q(status__in=permissions.REVIEWABLE_STATUSES) & Q(_assigned(user))
    own = _own_organisation_id(user)
    if own is not None:
        condition |= Q(organisation_id=own)
    return qs.filter(condition)


def get_application(user: User | None, pk: Any) -> Application:
    return _get(visible_applications(user), pk)  # type: ignore[no-any-return]


def applications_to_review(user: User | None) -> QuerySet[Application]:
    """Submitted applications of open or closed opportunities that ``user`` is assigned to review,
    annotated with ``declared`` (the user declared), ``declared_conflict`` and ``scored_criteria``
    (how many criteria the user scored)."""
    qs = Application.objects.select_related("opportunity", "organisation")
    if not _active(user):
        return qs.none()
    assert user is not None
    mine = ConflictDeclaration.objects.filter(application=OuterRef("pk"), reviewer=user)
    return (
        qs.filter(
            _assigned(user),
            status=Application.Status.SUBMITTED,
            opportunity__status__in=(FundingOpportunity.Status.PUBLISHED, FundingOpportunity.Status.CLOSED),
        )
        .annotate(
            declared=Exists(mine),
            declared_conflict=Exists(mine.filter(has_conflict=True)),
            scored_criteria=Count("scores", filter=Q(scores__reviewer=user), distinct=True),
        )
        .order_by("opportunity__deadline", "submitted_at", "pk")
    )


# -- awards ---------------------------------------------------------------------------------------------
def visible_awards(user: User | None) -> QuerySet[Award]:
    qs = Award.objects.select_related("compact", "organisation", "opportunity")
    if not _active(user):
        return qs.none()
    assert user is not None
    if permissions.is_grants_officer(user):
        return qs
    condition = Q(compact__in=visible_compacts(user).values("pk"))
    own = _own_organisation_id(user)
    if own is not None:
        condition |= Q(organisation_id=own)
    return qs.filter(condition)


def get_award(user: User | None, pk: Any) -> Award:
    return _get(visible_awards(user), pk)  # type: ignore[no-any-return]


# -- emergency requests ---------------------------------------------------------------------------------
def _overdue_q(today: dt.date) -> Q:
    return Q(status=EmergencyRequest.Status.RECEIVED, decision_due__lt=today)


def visible_emergency_requests(user: User | None) -> QuerySet[EmergencyRequest]:
    """Annotated with ``overdue``: still received after the decision date."""
    qs = EmergencyRequest.objects.select_related("organisation", "award").annotate(
        overdue=Case(
            When(_overdue_q(timezone.localdate()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if not _active(user):
        return qs.none()
    assert user is not None
    if permissions.is_grants_officer(user):
        return qs
    own = _own_organisation_id(user)
    return qs.filter(organisation_id=own) if own is not None else qs.none()


def get_emergency_request(user: User | None, pk: Any) -> EmergencyRequest:
    return _get(visible_emergency_requests(user), pk)  # type: ignore[no-any-return]


def overdue_emergency_requests(user: User | None) -> QuerySet[EmergencyRequest]:
    return visible_emergency_requests(user).filter(_overdue_q(timezone.localdate()))


def is_overdue(request: EmergencyRequest, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return request.status == EmergencyRequest.Status.RECEIVED and today > request.decision_due


# -- ranking --------------------------------------------------------------------------------------------
@dataclass
class RankedApplication:
    application: Application
    weighted_score: Decimal | None
    reviews: int  # reviewers without a conflict who scored at least one criterion
    by_criterion: dict[int, Decimal | None]  # criterion id -> mean score (None: nobody scored it)
    conflicts: int  # reviewers who declared a conflict of interest


def weighted_score(weights: dict[int, Decimal], means: dict[int, Decimal | None]) -> Decimal | None:
    """Σ weight / 100 × mean score of the criterion, rounded to 0.01; None when nothing is scored.
    A criterion nobody scored adds nothing."""
    scored = [(weights[c], m) for c, m in means.items() if m is not None and c in weights]
    if not scored:
        return None
    total = sum((w / HUNDRED * m for w, m in scored), ZERO)
    return total.quantize(SCORE_PLACES, ROUND_HALF_UP)


def mean(values: Iterable[Decimal]) -> Decimal | None:
    items = list(values)
    if not items:
        return None
    return sum(items, ZERO) / len(items)


def ranking(user: User | None, opportunity: FundingOpportunity) -> list[RankedApplication]:
    """The opportunity's submitted (and already decided) applications, best weighted score first
    (unscored last), ties by submission time. For grants officers and the assigned reviewers.
    Four queries whatever the number of applications, reviewers and scores."""
    if not (permissions.is_grants_officer(user) or permissions.is_reviewer(user, opportunity)):
        raise PermissionDenied
    weights = dict(MeritCriterion.objects.filter(opportunity=opportunity).values_list("pk", "weight"))
    applications = list(
        Application.objects.filter(opportunity=opportunity, status__in=permissions.REVIEWABLE_STATUSES)
        .select_related("organisation")
        .order_by("submitted_at", "pk")
    )
    conflicted: dict[int, set[int]] = defaultdict(set)
    for application_id, reviewer_id in ConflictDeclaration.objects.filter(
        application__opportunity=opportunity, has_conflict=True
    ).values_list("application_id", "reviewer_id"):
        conflicted[application_id].add(reviewer_id)
    scores: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    reviewers: dict[int, set[int]] = defaultdict(set)
    for application_id, criterion_id, reviewer_id, score in Score.objects.filter(
        application__opportunity=opportunity
    ).values_list("application_id", "criterion_id", "reviewer_id", "score"):
        if reviewer_id in conflicted[application_id]:
            continue
        scores[application_id][criterion_id].append(Decimal(score))
        reviewers[application_id].add(reviewer_id)
    ranked = []
    for application in applications:
        means = {c: mean(scores[application.pk].get(c, ())) for c in weights}
        ranked.append(
            RankedApplication(
                application=application,
                weighted_score=weighted_score(weights, means),
                reviews=len(reviewers[application.pk]),
                by_criterion={
                    c: (m.quantize(SCORE_PLACES, ROUND_HALF_UP) if m is not None else None)
                    for c, m in means.items()
                },
                conflicts=len(conflicted[application.pk]),
            )
        )
    # Stable sort: the submission order (above) breaks ties.
    ranked.sort(key=lambda r: (r.weighted_score is None, -(r.weighted_score or ZERO)))
    return ranked


# -- portfolio ------------------------------------------------------------------------------------------
@dataclass
class PortfolioRow:
    key: Any
    label: str
    ceiling: Decimal | None
    awarded: Decimal
    committed: Decimal
    disbursed: Decimal
    expended: Decimal
    awards: int
    share_of_ceiling: Decimal | None = None
    disbursed_share: Decimal | None = None
    burn_rate: Decimal | None = None

    def __post_init__(self) -> None:
        self.share_of_ceiling = percent(self.awarded, self.ceiling)
        self.disbursed_share = percent(self.disbursed, self.committed)
        self.burn_rate = percent(self.expended, self.disbursed)


@dataclass
class Portfolio:
    rows: list[PortfolioRow]
    total: PortfolioRow
    group_by: str = "compact"


def percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if whole is None or whole == 0:
        return None
    return (HUNDRED * part / whole).quantize(PERCENT_PLACES, ROUND_HALF_UP)


def compact_ceiling(compact: Compact | int) -> Decimal | None:
    """The compact's United States ceiling in USD (None when none is recorded)."""
    compact_id = compact if isinstance(compact, int) else compact.pk
    return (
        Commitment.objects.filter(compact_id=compact_id, kind=Commitment.Kind.CEILING, currency="USD")
        .values_list("amount", flat=True)
        .first()
    )


def _visible_ceilings(user: User | None, compact_ids: list[Any]) -> dict[Any, Decimal | None]:
    """The US ceilings of ``compact_ids`` that ``user`` may see: all for grants officers; otherwise
    only on compacts the user may open, and a non-public ceiling only where the user sees non-public
    information (the compacts app's rule). A partner funded under a compact it does not take part in
    sees its award, not the compact's ceiling."""
    ceilings = Commitment.objects.filter(
        compact_id__in=compact_ids, kind=Commitment.Kind.CEILING, currency="USD"
    )
    if not permissions.is_grants_officer(user):
        ceilings = ceilings.filter(compact__in=visible_compacts(user).values("pk")).filter(
            Q(visibility=Visibility.PUBLIC) | Q(compact__in=compacts_with_non_public(user).values("pk"))
        )
    return dict(ceilings.values_list("compact_id", "amount"))


def _total(rows: list[PortfolioRow], ceiling: Decimal | None) -> PortfolioRow:
    return PortfolioRow(
        key=None,
        label=_("Total"),
        ceiling=ceiling,
        awarded=sum((r.awarded for r in rows), ZERO),
        committed=sum((r.committed for r in rows), ZERO),
        disbursed=sum((r.disbursed for r in rows), ZERO),
        expended=sum((r.expended for r in rows), ZERO),
        awards=sum(r.awards for r in rows),
    )


_NOT_CANCELLED = ~Q(status=Award.Status.CANCELLED)
_MONEY = {
    "committed": Sum("amount_usd", filter=Q(kind=Kind.COMMITMENT)),
    "disbursed": Sum("amount_usd", filter=Q(kind=Kind.DISBURSEMENT)),
    "expended": Sum("amount_usd", filter=Q(kind=Kind.EXPENDITURE)),
}


def portfolio(
    user: User | None,
    *,
    compact: Compact | int | None = None,
    organisation: Organisation | int | None = None,
    programme_type: str | None = None,
    year: int | None = None,
    group_by: str = "compact",
) -> Portfolio:
    """Awarded, committed, disbursed and expended amounts (USD) of the awards ``user`` may see, one row
    per compact, partner, programme type or year. Three queries at most whatever the data size."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    awards = visible_awards(user).select_related(None).order_by()
    if compact is not None:
        awards = awards.filter(compact_id=compact if isinstance(compact, int) else compact.pk)
    if organisation is not None:
        awards = awards.filter(
            organisation_id=organisation if isinstance(organisation, int) else organisation.pk
        )
    if programme_type:
        awards = awards.filter(programme_type=programme_type)
    transactions = Transaction.objects.filter(award__in=awards.values("pk")).order_by()
    decided = awards
    if year is not None:
        decided = awards.filter(decided_on__year=year)
        transactions = transactions.filter(date__year=year)
    award_key: Any
    tx_key: Any
    award_key, tx_key = {
        "compact": (F("compact_id"), F("award__compact_id")),
        "partner": (F("organisation_id"), F("award__organisation_id")),
        "programme_type": (F("programme_type"), F("award__programme_type")),
        "year": (ExtractYear("decided_on"), ExtractYear("date")),
    }[group_by]
    award_rows = (
        decided.annotate(group=award_key)
        .values("group")
        .annotate(awarded=Sum("amount", filter=_NOT_CANCELLED), awards=Count("pk", filter=_NOT_CANCELLED))
    )
    tx_rows = transactions.annotate(group=tx_key).values("group").annotate(**_MONEY)
    figures: dict[Any, dict[str, Any]] = defaultdict(dict)
    for row in award_rows:
        figures[row["group"]].update(awarded=row["awarded"] or ZERO, awards=row["awards"])
    for row in tx_rows:
        figures[row["group"]].update({k: row[k] or ZERO for k in _MONEY})
    labels, ceilings = _labels(user, group_by, [k for k in figures if k is not None])
    rows = [
        PortfolioRow(
            key=key,
            label=labels.get(key, str(key)),
            ceiling=ceilings.get(key),
            awarded=values.get("awarded", ZERO),
            committed=values.get("committed", ZERO),
            disbursed=values.get("disbursed", ZERO),
            expended=values.get("expended", ZERO),
            awards=values.get("awards", 0),
        )
        for key, values in figures.items()
    ]
    if group_by == "year":
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (r.key is None, r.label.casefold()))
    if compact is not None:
        compact_id = compact if isinstance(compact, int) else compact.pk
        total_ceiling = _visible_ceilings(user, [compact_id]).get(compact_id)
    elif group_by == "compact" and rows and all(r.ceiling is not None for r in rows):
        total_ceiling = sum((r.ceiling for r in rows if r.ceiling is not None), ZERO)
    else:
        total_ceiling = None
    return Portfolio(rows=rows, total=_total(rows, total_ceiling), group_by=group_by)


def _labels(
    user: User | None, group_by: str, keys: list[Any]
) -> tuple[dict[Any, str], dict[Any, Decimal | None]]:
    labels: dict[Any, str] = {None: _("Outside compacts") if group_by == "compact" else "–"}
    ceilings: dict[Any, Decimal | None] = {}
    if group_by == "compact" and keys:
        labels.update(dict(Compact.objects.filter(pk__in=keys).values_list("pk", "title")))
        ceilings = _visible_ceilings(user, keys)
    elif group_by == "partner" and keys:
        for organisation in Organisation.objects.filter(pk__in=keys).only("name", "acronym"):
            labels[organisation.pk] = str(organisation)
    elif group_by == "programme_type":
        labels.update({value: str(label) for value, label in ProgrammeType.choices})
    elif group_by == "year":
        labels.update({key: str(key) for key in keys})
    return labels, ceilings


def compact_funding(user: User | None, compact: Compact) -> Portfolio:
    """The compact's awards, one row per award (key: the award's id; label: its reference and title),
    with the total against the compact's US ceiling. 404 for a compact the user may not open."""
    if not (permissions.is_grants_officer(user) or access_for(user, compact).can_view):
        raise Http404
    awards = list(
        visible_awards(user)
        .select_related(None)
        .filter(compact=compact)
        .order_by("start_date", "reference")
        .values("pk", "reference", "title", "amount", "status")
    )
    money: dict[int, dict[str, Decimal]] = {
        row["award_id"]: row
        for row in Transaction.objects.filter(award__compact=compact, award_id__in=[a["pk"] for a in awards])
        .order_by()
        .values("award_id")
        .annotate(**_MONEY)
    }
    rows = []
    for award in awards:
        cancelled = award["status"] == Award.Status.CANCELLED
        figures = money.get(award["pk"], {})
        rows.append(
            PortfolioRow(
                key=award["pk"],
                label=f"{award['reference']} – {award['title']}",
                ceiling=None,
                awarded=ZERO if cancelled else award["amount"],
                committed=figures.get("committed") or ZERO,
                disbursed=figures.get("disbursed") or ZERO,
                expended=figures.get("expended") or ZERO,
                awards=0 if cancelled else 1,
            )
        )
    ceiling = _visible_ceilings(user, [compact.pk]).get(compact.pk)
    return Portfolio(rows=rows, total=_total(rows, ceiling), group_by="award")


# -- one award's money ----------------------------------------------------------------------------------
@dataclass
class YearFinances:
    year: int
    budget: Decimal | None
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    expended: Decimal = ZERO


@dataclass
class AwardFinances:
    budgets: list[Budget]
    transactions: list[Transaction]
    committed: Decimal
    disbursed: Decimal
    expended: Decimal
    by_year: list[YearFinances] = field(default_factory=list)

    @property
    def remaining_to_commit(self) -> Decimal:
        return max(self.award_amount - self.committed, ZERO)

    award_amount: Decimal = ZERO


def award_finances(award: Award) -> AwardFinances:
    """Budgets, transactions and their sums for an award the caller may see (two queries)."""
    budgets = list(Budget.objects.filter(award=award).order_by("period_start", "kind"))
    transactions = list(Transaction.objects.filter(award=award).order_by("date", "pk"))
    sums = {Kind.COMMITMENT: ZERO, Kind.DISBURSEMENT: ZERO, Kind.EXPENDITURE: ZERO}
    years: dict[int, YearFinances] = {}
    for tx in transactions:
        sums[Kind(tx.kind)] += tx.amount_usd
        entry = years.setdefault(tx.date.year, YearFinances(year=tx.date.year, budget=None))
        if tx.kind == Kind.COMMITMENT:
            entry.committed += tx.amount_usd
        elif tx.kind == Kind.DISBURSEMENT:
            entry.disbursed += tx.amount_usd
        else:
            entry.expended += tx.amount_usd
    by_kind: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for budget in budgets:
        amount = budget.amount_usd
        if amount is not None:
            by_kind[budget.period_start.year][budget.kind] += amount
    for budget_year, kinds in by_kind.items():
        entry = years.setdefault(budget_year, YearFinances(year=budget_year, budget=None))
        entry.budget = kinds.get(Budget.Kind.REVISED) or kinds.get(Budget.Kind.ORIGINAL)
    return AwardFinances(
        budgets=budgets,
        transactions=transactions,
        committed=sums[Kind.COMMITMENT],
        disbursed=sums[Kind.DISBURSEMENT],
        expended=sums[Kind.EXPENDITURE],
        by_year=[years[y] for y in sorted(years)],
        award_amount=award.amount,
    )


# -- caching ---------------------------------------------------------------------------------------
PORTFOLIO_CACHE_SECONDS = 6 * 60 * 60


def grants_token() -> str | None:
    """The grants version (``GrantsState``): None before the first write through the services."""
    return GrantsState.objects.filter(pk=1).values_list("token", flat=True).first()


def portfolio_cache_key(user: User, variant: str) -> str | None:
    """The key under which a portfolio page computed for ``user`` may be cached, or None (no grants
    version yet: nothing is cached). It changes with every grants write (the token), every change to
    the compacts (their content versions: titles, ceilings, who takes part) and to the organisations
    (names), the user's scope (grants officers share one; anyone else has their own), the language,
    the date and ``variant`` (the page and its query string). Three small queries."""
    token = grants_token()
    if token is None:
        return None
    scope = "officer" if permissions.is_grants_officer(user) else f"user-{user.pk}-{user.organisation_id}"
    raw = "|".join(
        str(part)
        for part in (
            token,
            *compacts_state(),
            scope,
            translation.get_language(),
            timezone.localdate(),
            variant,
        )
    )
    return "grants-portfolio:" + hashlib.sha256(raw.encode()).hexdigest()
