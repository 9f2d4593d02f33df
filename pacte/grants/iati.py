"""The grants portfolio as IATI 2.03 activities (https://iatistandard.org/en/iati-standard/203/), streamed.

One ``<iati-activities>`` document holds, for the awards a user may see (``selectors.visible_awards``;
everything for ``user=None``, the publication command):

* each **compact** with at least one of those awards as a *parent* activity (``hierarchy="1"``,
  identifier ``{ref}-CPC-{compact.pk}``): the United States funding, the partner government
  accountable, status and dates of the compact, its country, the union of its awards' sectors
  (weighted by the awards' amounts) and a ``related-activity type="2"`` to each award. No budget: the
  money is reported once, on the awards;
* each **award** as a *child* activity (``hierarchy="2"``, identifier ``{ref}-{award.reference}``;
  an award outside any compact is a stand-alone ``hierarchy="1"`` activity): funding, extending and
  implementing organisations, status, planned and actual dates, country, sectors, the default
  classifications of a project-type grant, budgets, transactions, ``related-activity type="1"`` to
  its compact, and a result per public indicator of the award with its baseline, the yearly targets
  of the compact's results framework and, as actual, the partner's **approved** values only.

Texts entered in Pacte (titles, descriptions, indicator names) are in the product's language
(``settings.LANGUAGE_CODE``, French) and say so (``xml:lang``); the activity's default language is
English, the language of the texts written here. Every value is escaped by lxml.

The document is written with ``lxml.etree.xmlfile`` into a small buffer that is handed out whenever
it passes ``BUFFER_SIZE`` bytes; awards are read ``CHUNK_SIZE`` at a time with their related rows
prefetched per chunk, so that memory and the number of queries per award stay flat however large the
portfolio. The output passes ``/work/shared/iati/check_iati.py`` (schema, codelists, rules).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby, islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import pycountry
from django.conf import settings
from django.db.models import DecimalField, ExpressionWrapper, F, Max, Min, Prefetch, QuerySet, Sum
from django.utils import timezone
from lxml import etree

from pacte.accounts.models import Organisation
from pacte.compacts.models import Compact, Party
from pacte.core.models import Visibility
from pacte.results import aggregation as agg
from pacte.results.models import IndicatorDefinition, Submission, Value

from . import selectors
from .models import Award, Budget, SectorShare, Transaction

if TYPE_CHECKING:
    from pacte.accounts.models import User

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The language of the texts written here (the activity's default); Pacte's own texts say theirs.
DEFAULT_LANGUAGE = "en"
DEFAULT_CURRENCY = "USD"
CHUNK_SIZE = 100  # awards read (and their related rows prefetched) at a time
BUFFER_SIZE = 16 * 1024  # bytes of XML gathered before they are handed out

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# -- codes (IATI 2.03 codelists) --------------------------------------------------------------------
ORG_TYPE_GOVERNMENT = "10"
ORG_TYPE_INTERNATIONAL_NGO = "21"
ORG_TYPE_PARTNER_COUNTRY_NGO = "24"
ORG_TYPE_MULTILATERAL = "40"
ORG_TYPE_PRIVATE_SECTOR = "70"
ORG_TYPE_ACADEMIC = "80"
ORG_TYPE_OTHER = "90"
ROLE_FUNDING = "1"
ROLE_ACCOUNTABLE = "2"
ROLE_EXTENDING = "3"
ROLE_IMPLEMENTING = "4"
STATUS_PIPELINE = "1"
STATUS_IMPLEMENTATION = "2"
STATUS_CLOSED = "4"
DATE_START_PLANNED = "1"
DATE_START_ACTUAL = "2"
DATE_END_PLANNED = "3"
DATE_END_ACTUAL = "4"
DESCRIPTION_GENERAL = "1"
SECTOR_VOCABULARY_DAC = "1"
COLLABORATION_BILATERAL = "1"
FLOW_ODA = "10"
FINANCE_STANDARD_GRANT = "110"
AID_TYPE_PROJECT = "C01"
AID_TYPE_VOCABULARY_OECD = "1"
BUDGET_STATUS_COMMITTED = "2"
RELATED_PARENT = "1"
RELATED_CHILD = "2"
RESULT_OUTPUT = "1"
INDICATOR_VOCABULARY_REPORTING_ORG = "99"
MEASURE_UNIT = "1"
MEASURE_PERCENTAGE = "2"
MEASURE_QUALITATIVE = "5"

FUNDING_ORG_NAME = "United States Government"

Unit = IndicatorDefinition.Unit
# Percentage change from the baseline: partners report counts, so the indicator is published in units
# and its targets (percentage changes) are turned into counts: baseline × (1 + target / 100).
MEASURES = {
    Unit.COUNT: MEASURE_UNIT,
    Unit.PERCENT_CHANGE: MEASURE_UNIT,
    Unit.PERCENTAGE: MEASURE_PERCENTAGE,
    Unit.MILESTONE: MEASURE_QUALITATIVE,
    Unit.QUALITATIVE: MEASURE_QUALITATIVE,
}
QUANTITATIVE_MEASURES = {"1", "2", "3", "4"}
PARTNER_KIND_TYPES = {
    Organisation.PartnerKind.INTERNATIONAL_ORGANISATION: ORG_TYPE_MULTILATERAL,
    Organisation.PartnerKind.UNIVERSITY: ORG_TYPE_ACADEMIC,
    Organisation.PartnerKind.FOR_PROFIT: ORG_TYPE_PRIVATE_SECTOR,
}
GOVERNMENT_ORG_TYPES = {Organisation.Type.PARTNER_GOVERNMENT, Organisation.Type.JUSTICE_POLICE}


# -- small helpers ----------------------------------------------------------------------------------
def reporting_ref() -> str:
    return str(settings.IATI_REPORTING_ORG_REF)


def award_identifier(award: Award) -> str:
    return f"{reporting_ref()}-{award.reference}"


def compact_identifier(compact_id: int) -> str:
    return f"{reporting_ref()}-CPC-{compact_id}"


def content_language() -> str:
    """The language of the texts people write in Pacte."""
    return str(settings.LANGUAGE_CODE).split("-")[0]


def alpha_2(alpha_3: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of an alpha-3 code (IATI's Country codelist), None if unknown."""
    if not alpha_3:
        return None
    country = pycountry.countries.get(alpha_3=alpha_3.upper())
    return country.alpha_2 if country is not None else None


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def figure(value: Decimal) -> str:
    """A result value with at most two decimals, without trailing zeros (12.50 -> 12.5, 40.00 -> 40)."""
    text = f"{value.quantize(CENT, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Characters XML 1.0 forbids (lxml refuses them): a form feed pasted from a word processor must not
# stop the export.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    return NOT_XML.sub("", value)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str | None) -> etree._Element:
    element = etree.SubElement(
        parent, tag, {k.replace("_", "-"): xml_text(v) for k, v in attrib.items() if v}
    )
    if text is not None:
        element.text = xml_text(text)
    return element


def _narrative(parent: etree._Element, text: str, language: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, "narrative")
    if language and language != DEFAULT_LANGUAGE:
        element.set(XML_LANG, language)
    element.text = xml_text(text)
    return element


def _text_element(
    parent: etree._Element, tag: str, text: str, language: str | None = None, **attrib: str | None
) -> None:
    _narrative(_sub(parent, tag, **attrib), text, language)


def _org(
    parent: etree._Element,
    tag: str,
    name: str,
    *,
    ref: str | None = None,
    type: str | None = None,
    role: str | None = None,
    language: str | None = None,
) -> None:
    element = _sub(parent, tag, ref=ref, type=type, role=role)
    if name:
        _narrative(element, name, language)


def _reporting_org(parent: etree._Element) -> None:
    element = _sub(parent, "reporting-org", ref=reporting_ref(), type=ORG_TYPE_GOVERNMENT)
    _narrative(element, str(settings.IATI_REPORTING_ORG_NAME))


def _funding_org(parent: etree._Element) -> None:
    _org(
        parent,
        "participating-org",
        FUNDING_ORG_NAME,
        ref=reporting_ref(),
        type=ORG_TYPE_GOVERNMENT,
        role=ROLE_FUNDING,
    )


def _extending_org(parent: etree._Element) -> None:
    _org(
        parent,
        "participating-org",
        str(settings.IATI_REPORTING_ORG_NAME),
        ref=reporting_ref(),
        type=ORG_TYPE_GOVERNMENT,
        role=ROLE_EXTENDING,
    )


def organisation_type(organisation: Organisation, recipient_alpha_3: str | None) -> str:
    """IATI OrganisationType of an implementing partner: an NGO based in the recipient country is a
    "partner country based NGO" (24), any other NGO an international NGO (21); international
    organisations are multilateral (40), universities academic (80), companies private sector (70),
    public bodies government (10)."""
    if organisation.partner_kind == Organisation.PartnerKind.NGO:
        based_here = bool(recipient_alpha_3) and organisation.country == recipient_alpha_3
        return ORG_TYPE_PARTNER_COUNTRY_NGO if based_here else ORG_TYPE_INTERNATIONAL_NGO
    if organisation.partner_kind in PARTNER_KIND_TYPES:
        return PARTNER_KIND_TYPES[Organisation.PartnerKind(organisation.partner_kind)]
    if (
        organisation.org_type in GOVERNMENT_ORG_TYPES
        or organisation.org_type == Organisation.Type.DONOR_OFFICE
    ):
        return ORG_TYPE_GOVERNMENT
    return ORG_TYPE_OTHER


def _activity_dates(
    parent: etree._Element,
    *,
    start: dt.date | None,
    end: dt.date | None,
    actual_start: dt.date | None,
    actual_end: dt.date | None,
) -> None:
    for code, day in (
        (DATE_START_PLANNED, start),
        (DATE_START_ACTUAL, actual_start),
        (DATE_END_PLANNED, end),
        (DATE_END_ACTUAL, actual_end),
    ):
        if day is not None:
            _sub(parent, "activity-date", type=code, iso_date=day.isoformat())


def _classifications(parent: etree._Element) -> None:
    _sub(parent, "collaboration-type", code=COLLABORATION_BILATERAL)
    _sub(parent, "default-flow-type", code=FLOW_ODA)
    _sub(parent, "default-finance-type", code=FINANCE_STANDARD_GRANT)
    _sub(parent, "default-aid-type", code=AID_TYPE_PROJECT, vocabulary=AID_TYPE_VOCABULARY_OECD)


def _sectors(parent: etree._Element, shares: Iterable[tuple[str, Decimal]]) -> None:
    for code, percentage in shares:
        _sub(
            parent,
            "sector",
            vocabulary=SECTOR_VOCABULARY_DAC,
            code=code,
            percentage=figure(percentage),
        )


def shares_adding_to_100(weights: dict[str, Decimal]) -> list[tuple[str, Decimal]]:
    """Weights as percentages with two decimals that add up to exactly 100 (the rounding remainder
    goes to the largest share), largest first."""
    total = sum(weights.values(), Decimal(0))
    if total <= 0:
        return []
    shares = sorted(
        (
            (code, (HUNDRED * weight / total).quantize(CENT, rounding=ROUND_HALF_UP))
            for code, weight in weights.items()
        ),
        key=lambda item: (-item[1], item[0]),
    )
    shares = [(code, share) for code, share in shares if share > 0]
    remainder = HUNDRED - sum((share for _code, share in shares), Decimal(0))
    if shares and remainder:
        code, share = shares[0]
        shares[0] = (code, share + remainder)
    return shares


def _new_activity(*, hierarchy: str, updated: dt.datetime | None) -> etree._Element:
    activity = etree.Element("iati-activity")
    if updated is not None:
        activity.set("last-updated-datetime", iso_datetime(updated))
    activity.set(XML_LANG, DEFAULT_LANGUAGE)
    activity.set("default-currency", DEFAULT_CURRENCY)
    activity.set("hierarchy", hierarchy)
    return activity


def iso_datetime(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- the compact: a parent activity -----------------------------------------------------------------
@dataclass(frozen=True)
class CompactExtras:
    """What the parent activity takes from its visible awards."""

    sectors: list[tuple[str, Decimal]]
    first_start: dt.date | None
    last_end: dt.date | None


def compact_status(compact: Compact, today: dt.date) -> str:
    status = compact.status
    if status == Compact.Status.TERMINATED or (
        status == Compact.Status.SIGNED and compact.end_date and compact.end_date < today
    ):
        return STATUS_CLOSED
    if status == Compact.Status.SIGNED:
        return STATUS_IMPLEMENTATION
    return STATUS_PIPELINE


def compact_activity(
    compact: Compact, children: Sequence[str], extras: CompactExtras, today: dt.date
) -> etree._Element:
    language = content_language()
    activity = _new_activity(hierarchy="1", updated=compact.updated_at)
    _sub(activity, "iati-identifier", compact_identifier(compact.pk))
    _reporting_org(activity)
    _text_element(activity, "title", compact.title, language)
    # The goal of a non-public compact is not published (section X of the compact).
    goal = (compact.goal or compact.purpose).strip() if compact.visibility == Visibility.PUBLIC else ""
    parties = {party.kind: party.name for party in compact.parties.all()}
    partner_country = parties.get(Party.Kind.PARTNER_COUNTRY, "")
    if goal:
        _text_element(activity, "description", goal, language, type=DESCRIPTION_GENERAL)
    else:
        _text_element(
            activity,
            "description",
            f"Child Protection Compact partnership between the United States and {partner_country}.",
            type=DESCRIPTION_GENERAL,
        )
    _funding_org(activity)
    if partner_country:
        _org(
            activity,
            "participating-org",
            partner_country,
            type=ORG_TYPE_GOVERNMENT,
            role=ROLE_ACCOUNTABLE,
            language=language,
        )
    _extending_org(activity)
    status = compact_status(compact, today)
    _sub(activity, "activity-status", code=status)
    start = compact.start_date or compact.signature_date or extras.first_start
    end = compact.end_date or extras.last_end
    started = status != STATUS_PIPELINE and start is not None and start <= today
    actual_end = None
    if status == STATUS_CLOSED:
        actual_end = compact.terminated_on if compact.status == Compact.Status.TERMINATED else end
        if actual_end is not None and (actual_end > today or (start and actual_end < start)):
            actual_end = None
    if start is not None and end is not None and end < start:
        end = None
    _activity_dates(
        activity,
        start=start,
        end=end,
        actual_start=start if started else None,
        actual_end=actual_end if started else None,
    )
    country = alpha_2(compact.country)
    if country:
        _sub(activity, "recipient-country", code=country, percentage="100")
    _sectors(activity, extras.sectors)
    _classifications(activity)
    for child in children:
        _sub(activity, "related-activity", ref=child, type=RELATED_CHILD)
    return activity


# -- the award: a child activity --------------------------------------------------------------------
BudgetRow = tuple[
    str, dt.date, dt.date, Decimal, str, dt.date
]  # kind, start, end, amount, currency, value date
TransactionRow = tuple[str, dt.date, Decimal, str, str, str]  # kind, date, amount, currency, reference, text


@dataclass(frozen=True)
class Reported:
    """An approved total of the implementing partner (one submission)."""

    year: int
    text: str
    observation: agg.Observation


def _counts_up_to(definition: IndicatorDefinition) -> bool:
    """As in the results selectors: running totals, latest values and milestones take each year the
    latest value up to that year; per-period values add up within the year."""
    return definition.unit == Unit.MILESTONE or definition.cumulation in (
        IndicatorDefinition.Cumulation.RUNNING_TOTAL,
        IndicatorDefinition.Cumulation.LATEST,
    )


def yearly_actual(
    definition: IndicatorDefinition, reported: Sequence[Reported], year: int
) -> tuple[agg.Aggregate, list[str]]:
    """The partner's figure for ``year`` (``results.aggregation.combine``: counts add up, percentages
    are summed numerators over summed denominators) and the texts of a qualitative indicator."""
    if _counts_up_to(definition):
        rows = [r for r in reported if r.year <= year]
    else:
        rows = [r for r in reported if r.year == year]
    aggregate = agg.combine(definition.unit, definition.cumulation, [r.observation for r in rows])
    texts = [r.text.strip() for r in rows if r.text and r.text.strip()]
    return aggregate, texts


def baseline_value(definition: IndicatorDefinition) -> Decimal | None:
    if definition.baseline_value is not None:
        return definition.baseline_value
    if definition.unit == Unit.PERCENTAGE:
        return agg.ratio_percent(definition.baseline_numerator, definition.baseline_denominator)
    return None


def target_value(definition: IndicatorDefinition, target: Decimal | None) -> Decimal | None:
    """The target as published: a percentage change becomes the count it means."""
    if target is None or definition.unit != Unit.PERCENT_CHANGE:
        return target
    baseline = baseline_value(definition)
    if baseline is None:
        return None
    return baseline * (1 + target / HUNDRED)


def _comment(parent: etree._Element, text: str, language: str | None = None) -> None:
    _narrative(_sub(parent, "comment"), text, language)


def _result(
    parent: etree._Element, award: Award, definition: IndicatorDefinition, reported: Sequence[Reported]
) -> None:
    language = content_language()
    measure = MEASURES.get(IndicatorDefinition.Unit(definition.unit), MEASURE_QUALITATIVE)
    quantitative = measure in QUANTITATIVE_MEASURES
    indicator = definition.indicator
    result = _sub(
        parent, "result", type=RESULT_OUTPUT, aggregation_status="1" if measure == MEASURE_UNIT else "0"
    )
    _text_element(result, "title", indicator.name, language)
    statement = indicator.objective.statement.strip()
    if statement:
        _text_element(result, "description", statement, language)
    element = _sub(
        result,
        "indicator",
        measure=measure,
        ascending=(
            ("1" if definition.direction == IndicatorDefinition.Direction.INCREASE else "0")
            if quantitative
            else None
        ),
    )
    _text_element(element, "title", indicator.name, language)
    if definition.unit_label:
        _text_element(element, "description", definition.unit_label, language)
    _sub(element, "reference", vocabulary=INDICATOR_VOCABULARY_REPORTING_ORG, code=f"PACTE-{definition.pk}")
    baseline = baseline_value(definition)
    if definition.baseline_year and (baseline is not None or not quantitative):
        node = _sub(
            element,
            "baseline",
            year=str(definition.baseline_year),
            iso_date=dt.date(definition.baseline_year, 12, 31).isoformat(),
            value=figure(baseline) if quantitative and baseline is not None else None,
        )
        if definition.baseline_source.strip():
            _comment(node, definition.baseline_source.strip(), language)
    targets = {t.year: t.value for t in definition.targets.all()}
    for year in range(award.start_date.year, award.end_date.year + 1):
        period = _sub(element, "period")
        _sub(period, "period-start", iso_date=max(dt.date(year, 1, 1), award.start_date).isoformat())
        _sub(period, "period-end", iso_date=min(dt.date(year, 12, 31), award.end_date).isoformat())
        target = target_value(definition, targets.get(year))
        if quantitative and target is not None:
            _sub(period, "target", value=figure(target))
        elif not quantitative and targets.get(year) is not None:
            node = _sub(period, "target")
            if definition.unit == Unit.MILESTONE:
                achieve = targets[year] == agg.ONE
                _comment(node, f"To be achieved by the end of {year}." if achieve else "Not due this year.")
        actual, texts = yearly_actual(definition, reported, year)
        if not actual.has_data:
            continue
        if quantitative:
            if actual.value is not None:
                _sub(period, "actual", value=figure(actual.value))
        elif definition.unit == Unit.MILESTONE:
            _comment(_sub(period, "actual"), "Achieved." if actual.value == agg.ONE else "Not achieved yet.")
        else:
            node = _sub(period, "actual")
            if texts:
                _comment(node, "\n\n".join(texts), language)


@dataclass
class AwardRows:
    """An award's rows read for a whole batch of awards at once (plain tuples: no model instances for
    the many transactions)."""

    budgets: list[BudgetRow] = field(default_factory=list)
    transactions: list[TransactionRow] = field(default_factory=list)
    reported: dict[int, list[Reported]] = field(default_factory=dict)
    updated: list[dt.datetime] = field(default_factory=list)  # when its transactions last changed


def award_activity(award: Award, rows: AwardRows, today: dt.date) -> etree._Element:
    language = content_language()
    compact = award.compact
    updated = max([award.updated_at, *rows.updated]) if rows.updated else award.updated_at
    activity = _new_activity(hierarchy="2" if compact is not None else "1", updated=updated)
    _sub(activity, "iati-identifier", award_identifier(award))
    _reporting_org(activity)
    _text_element(activity, "title", award.title, language)
    partner = award.organisation
    if award.description.strip():
        _text_element(activity, "description", award.description.strip(), language, type=DESCRIPTION_GENERAL)
    else:
        instrument = {
            Award.Instrument.GRANT: "Grant",
            Award.Instrument.COOPERATIVE_AGREEMENT: "Cooperative agreement",
            Award.Instrument.CONTRACT: "Contract",
        }.get(Award.Instrument(award.instrument), "Award")
        _text_element(
            activity,
            "description",
            f"{instrument} {award.reference} to {partner.name}.",
            type=DESCRIPTION_GENERAL,
        )
    recipient = award.recipient_country or (compact.country if compact is not None else "")
    _funding_org(activity)
    _extending_org(activity)
    _org(
        activity,
        "participating-org",
        partner.name,
        ref=partner.iati_ref or None,
        type=organisation_type(partner, recipient),
        role=ROLE_IMPLEMENTING,
    )
    _sub(activity, "activity-status", code=award.status)
    under_way = award.status not in (Award.Status.PIPELINE, Award.Status.CANCELLED)
    started = under_way and award.start_date <= today
    _activity_dates(
        activity,
        start=award.start_date,
        end=award.end_date,
        actual_start=award.start_date if started else None,
        actual_end=award.end_date if started and award.end_date < today else None,
    )
    country = alpha_2(recipient)
    if country:
        _sub(activity, "recipient-country", code=country, percentage="100")
    _sectors(activity, [(s.code, s.percentage) for s in award.sectors.all()])
    _classifications(activity)
    for kind, period_start, period_end, amount, currency, value_date in rows.budgets:
        node = _sub(activity, "budget", type=kind, status=BUDGET_STATUS_COMMITTED)
        _sub(node, "period-start", iso_date=period_start.isoformat())
        _sub(node, "period-end", iso_date=period_end.isoformat())
        _sub(node, "value", money(amount), currency=currency, value_date=value_date.isoformat())
    if rows.transactions:
        _transactions(activity, rows.transactions, partner, organisation_type(partner, recipient), language)
    if compact is not None:
        _sub(activity, "related-activity", ref=compact_identifier(compact.pk), type=RELATED_PARENT)
    for definition in award.indicators.all():
        _result(activity, award, definition, rows.reported.get(definition.pk, ()))
    return activity


def _transactions(
    parent: etree._Element,
    transactions: Sequence[TransactionRow],
    partner: Organisation,
    partner_type: str,
    language: str,
) -> None:
    """The award's transactions: the United States provides commitments and disbursements to the
    partner; the partner provides (spends) expenditures. Written with lxml directly: this is the
    export's hot loop (a hundred thousand transactions for a large portfolio)."""
    sub = etree.SubElement
    partner_attributes = (
        {"ref": xml_text(partner.iati_ref), "type": partner_type}
        if partner.iati_ref
        else {"type": partner_type}
    )
    us = etree.Element("provider-org", {"ref": reporting_ref(), "type": ORG_TYPE_GOVERNMENT})
    _narrative(us, FUNDING_ORG_NAME)
    receiver = etree.Element("receiver-org", partner_attributes)
    _narrative(receiver, partner.name)
    spender = etree.Element("provider-org", partner_attributes)
    _narrative(spender, partner.name)
    for kind, date, amount, currency, reference, description in transactions:
        node = sub(parent, "transaction", {"ref": xml_text(reference)} if reference else {})
        sub(node, "transaction-type", {"code": kind})
        day = date.isoformat()
        sub(node, "transaction-date", {"iso-date": day})
        sub(node, "value", {"currency": currency, "value-date": day}).text = money(amount)
        if description and description.strip():
            _text_element(node, "description", description.strip(), language)
        if kind == Transaction.Kind.EXPENDITURE:
            node.append(deepcopy(spender))
        else:
            node.append(deepcopy(us))
            node.append(deepcopy(receiver))


# -- reading ----------------------------------------------------------------------------------------
def visible_awards(user: User | None) -> QuerySet[Award]:
    """The awards exported for ``user``: everything for the command (``None``)."""
    if user is None:
        return Award.objects.all()
    return selectors.visible_awards(user)


def _public_definitions() -> QuerySet[IndicatorDefinition]:
    """Indicators published: the public ones of public objectives (IATI data is public)."""
    return (
        IndicatorDefinition.objects.filter(
            indicator__visibility=Visibility.PUBLIC, indicator__objective__visibility=Visibility.PUBLIC
        )
        .select_related("indicator__objective")
        .prefetch_related("targets")
        .order_by("indicator__objective__pillar", "indicator__objective__number", "indicator__order", "pk")
    )


def _awards_for_export(awards: QuerySet[Award]) -> QuerySet[Award]:
    return (
        Award.objects.filter(pk__in=awards.values("pk"))
        .select_related("organisation", "compact")
        .prefetch_related(
            Prefetch("sectors", queryset=SectorShare.objects.order_by("-percentage", "code")),
            Prefetch("indicators", queryset=_public_definitions()),
        )
        .order_by("compact_id", "reference")
    )


def _rows(batch: Sequence[Award]) -> dict[int, AwardRows]:
    """The budgets, transactions and approved results of a batch of awards: three queries at most."""
    ids = [award.pk for award in batch]
    rows = {pk: AwardRows() for pk in ids}
    budgets = (
        Budget.objects.filter(award_id__in=ids)
        .order_by("award_id", "period_start", "kind", "pk")
        .values_list("award_id", "kind", "period_start", "period_end", "amount", "currency", "value_date")
    )
    for award_id, *budget in budgets:
        rows[award_id].budgets.append(tuple(budget))  # type: ignore[arg-type]
    transactions = (
        Transaction.objects.filter(award_id__in=ids)
        .order_by("award_id", "date", "pk")
        .values_list(
            "award_id", "kind", "date", "amount", "currency", "reference", "description", "updated_at"
        )
    )
    for award_id, *transaction, updated_at in transactions:
        rows[award_id].transactions.append(tuple(transaction))  # type: ignore[arg-type]
        if not rows[award_id].updated or updated_at > rows[award_id].updated[0]:
            rows[award_id].updated[:] = [updated_at]
    for award_id, reported in _reported(batch).items():
        rows[award_id].reported = reported
    return rows


def _reported(batch: Sequence[Award]) -> dict[int, dict[int, list[Reported]]]:
    """Per award and indicator, the partner's approved totals of periods that overlap the award."""
    definition_ids = {d.pk for award in batch for d in award.indicators.all()}
    if not definition_ids:
        return {}
    organisation_ids = {award.organisation_id for award in batch}
    rows = (
        Value.objects.filter(
            category__isnull=True,
            submission__status=Submission.Status.APPROVED,
            submission__definition_id__in=definition_ids,
            submission__organisation_id__in=organisation_ids,
        )
        .order_by("submission__period_start", "submission__period_end", "submission_id")
        .values_list(
            "submission__definition_id",
            "submission__organisation_id",
            "submission__year",
            "submission__period_start",
            "submission__period_end",
            "submission__is_demo",
            "value",
            "numerator",
            "denominator",
            "text",
        )
    )
    by_key: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_key[(row[0], row[1])].append(row)
    reported: dict[int, dict[int, list[Reported]]] = {}
    for award in batch:
        per_definition: dict[int, list[Reported]] = {}
        for definition in award.indicators.all():
            per_definition[definition.pk] = [
                Reported(
                    year=year,
                    text=text or "",
                    observation=agg.Observation(
                        organisation_id=organisation_id,
                        period_start=start,
                        period_end=end,
                        value=value,
                        numerator=numerator,
                        denominator=denominator,
                        is_demo=is_demo,
                    ),
                )
                for (
                    _d,
                    organisation_id,
                    year,
                    start,
                    end,
                    is_demo,
                    value,
                    numerator,
                    denominator,
                    text,
                ) in by_key.get((definition.pk, award.organisation_id), ())
                if end >= award.start_date and start <= award.end_date
            ]
        reported[award.pk] = per_definition
    return reported


def _compact_extras(awards: QuerySet[Award]) -> dict[int, CompactExtras]:
    """Per compact: its visible awards' sectors weighted by their amounts, first start, last end."""
    weights: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = (
        SectorShare.objects.filter(award_id__in=awards.values("pk"), award__compact__isnull=False)
        .values("award__compact_id", "code")
        .annotate(
            weight=Sum(
                ExpressionWrapper(
                    F("percentage") * F("award__amount"),
                    output_field=DecimalField(max_digits=30, decimal_places=4),
                )
            )
        )
        .order_by()
    )
    for row in rows:
        weights[row["award__compact_id"]][row["code"]] = Decimal(str(row["weight"] or 0))
    spans = (
        Award.objects.filter(pk__in=awards.values("pk"), compact__isnull=False)
        .values("compact_id")
        .annotate(first=Min("start_date"), last=Max("end_date"))
        .order_by()
    )
    return {
        row["compact_id"]: CompactExtras(
            sectors=shares_adding_to_100(weights.get(row["compact_id"], {})),
            first_start=row["first"],
            last_end=row["last"],
        )
        for row in spans
    }


def activities(user: User | None, today: dt.date | None = None) -> Iterator[etree._Element]:
    """The activities of the user's portfolio, one element at a time: the compacts, then the awards."""
    today = today or timezone.localdate()
    awards = visible_awards(user)
    extras = _compact_extras(awards)
    compacts = list(Compact.objects.filter(pk__in=extras.keys()).prefetch_related("parties").order_by("pk"))
    children = (
        Award.objects.filter(pk__in=awards.values("pk"), compact__isnull=False)
        .order_by("compact_id", "reference")
        .values_list("compact_id", "reference")
        .iterator(chunk_size=2000)
    )
    by_compact = {compact.pk: compact for compact in compacts}
    for compact_id, rows in groupby(children, key=itemgetter(0)):
        compact = by_compact.get(compact_id)
        if compact is None:  # an award added since the compacts were read
            continue
        references = [f"{reporting_ref()}-{reference}" for _compact, reference in rows]
        yield compact_activity(compact, references, extras[compact_id], today)
    rows_iterator = _awards_for_export(awards).iterator(chunk_size=CHUNK_SIZE)
    while batch := list(islice(rows_iterator, CHUNK_SIZE)):
        batch_rows = _rows(batch)
        for award in batch:
            yield award_activity(award, batch_rows[award.pk], today)


class ActivityStream(Iterator[bytes]):
    """The IATI document as chunks of bytes; ``activities`` counts the activities written so far."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self.activities = 0
        self._chunks = self._generate()

    def __iter__(self) -> ActivityStream:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        """Stop early (a download cut off: ``StreamingHttpResponse`` calls it): closes the generator
        and with it the database cursor it reads from, now rather than when garbage is collected."""
        self._chunks.close()

    def _generate(self) -> Generator[bytes, None, None]:
        buffer = io.BytesIO()
        generated = iso_datetime(timezone.now())
        with etree.xmlfile(buffer, encoding="utf-8") as xf:
            xf.write_declaration()
            with xf.element("iati-activities", {"version": IATI_VERSION, "generated-datetime": generated}):
                for activity in activities(self.user):
                    xf.write(activity)
                    self.activities += 1
                    xf.flush()
                    if buffer.tell() >= BUFFER_SIZE:
                        yield _drain(buffer)
        chunk = _drain(buffer)
        if chunk:
            yield chunk


def _drain(buffer: io.BytesIO) -> bytes:
    chunk = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return chunk


def stream(user: User | None) -> ActivityStream:
    """The portfolio ``user`` may see (``None``: everything) as one IATI 2.03 document, in chunks."""
    return ActivityStream(user)
