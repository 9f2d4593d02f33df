"""factory_boy factories for results, used by tests, demo data and bench/.

Factories write rows directly (no permission checks, no workflow): use them to *arrange* a test;
use ``pacte.results.services`` for the behaviour under test.

Helpers:

* ``category(dimension, code, country="")`` – a standard category (installs them if needed);
* ``make_definition(compact=None, *, indicator=None, reporters=(), categories=(), **fields)`` – a
  definition of a new indicator of ``compact`` with its reporters and categories;
* ``make_submission(definition, organisation, period, *, total=None, parts=None, status=…, **fields)``
  – a submission with its total value and disaggregated parts (``parts`` maps a category, or its code,
  to a value; for percentages pass ``(numerator, denominator)`` tuples as ``total`` / part values).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import factory

from pacte.accounts.factories import OrganisationFactory
from pacte.accounts.models import Organisation
from pacte.compacts.factories import CompactFactory, IndicatorFactory, ObjectiveFactory
from pacte.compacts.models import Compact

from . import models
from .categories import install
from .periods import parse_period


def category(dimension: str, code: str, country: str = "") -> models.DisaggregationCategory:
    """A standard category by dimension and code (``country="CIV"`` for regions)."""
    try:
        return models.DisaggregationCategory.objects.get(dimension=dimension, code=code, country=country)
    except models.DisaggregationCategory.DoesNotExist:
        install(models.DisaggregationCategory)
        return models.DisaggregationCategory.objects.get(dimension=dimension, code=code, country=country)


class DisaggregationCategoryFactory(factory.django.DjangoModelFactory[models.DisaggregationCategory]):
    class Meta:
        model = models.DisaggregationCategory
        django_get_or_create = ("dimension", "country", "code")

    dimension = models.Dimension.SEX
    code = factory.Sequence(lambda n: f"test-category-{n}")
    label_fr = factory.Sequence(lambda n: f"Catégorie {n}")
    label_en = factory.Sequence(lambda n: f"Category {n}")
    country = ""
    order = factory.Sequence(lambda n: n)


class IndicatorDefinitionFactory(factory.django.DjangoModelFactory[models.IndicatorDefinition]):
    class Meta:
        model = models.IndicatorDefinition
        skip_postgeneration_save = True

    indicator = factory.SubFactory(IndicatorFactory)
    compact = factory.LazyAttribute(lambda d: d.indicator.objective.compact)
    unit = models.IndicatorDefinition.Unit.COUNT
    unit_label = "enfants identifiés"
    direction = models.IndicatorDefinition.Direction.INCREASE
    cumulation = models.IndicatorDefinition.Cumulation.PER_PERIOD
    frequency = models.IndicatorDefinition.Frequency.ANNUAL

    @factory.post_generation
    def categories(self, create: bool, extracted: Iterable[models.DisaggregationCategory] | None, **kw: Any):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def reporters(self, create: bool, extracted: Iterable[Organisation] | None, **kw: Any):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.reporters.set(extracted)


class TargetFactory(factory.django.DjangoModelFactory[models.Target]):
    class Meta:
        model = models.Target

    definition = factory.SubFactory(IndicatorDefinitionFactory)
    year = 2023
    value = Decimal("100")


class SubmissionFactory(factory.django.DjangoModelFactory[models.Submission]):
    class Meta:
        model = models.Submission

    definition = factory.SubFactory(IndicatorDefinitionFactory)
    compact = factory.LazyAttribute(lambda s: s.definition.compact)
    organisation = factory.SubFactory(OrganisationFactory)
    period = "2023"
    period_start = factory.LazyAttribute(lambda s: parse_period(s.period).start)
    period_end = factory.LazyAttribute(lambda s: parse_period(s.period).end)
    year = factory.LazyAttribute(lambda s: parse_period(s.period).year)
    status = models.Submission.Status.DRAFT


class ValueFactory(factory.django.DjangoModelFactory[models.Value]):
    class Meta:
        model = models.Value

    submission = factory.SubFactory(SubmissionFactory)
    category = None
    value = Decimal("10")


class EvidenceFactory(factory.django.DjangoModelFactory[models.Evidence]):
    class Meta:
        model = models.Evidence

    submission = factory.SubFactory(SubmissionFactory)
    file = factory.django.FileField(filename="preuve.pdf", data=b"%PDF-1.4 test")
    description = "Liste de présence"


class NarrativeSectionFactory(factory.django.DjangoModelFactory[models.NarrativeSection]):
    class Meta:
        model = models.NarrativeSection

    compact = factory.SubFactory(CompactFactory)
    year = 2023
    organisation = factory.SubFactory(OrganisationFactory)
    kind = models.NarrativeSection.Kind.DIFFICULTIES
    text = "Les moyens logistiques ont manqué au premier semestre."


class AnnualReportFactory(factory.django.DjangoModelFactory[models.AnnualReport]):
    class Meta:
        model = models.AnnualReport

    compact = factory.SubFactory(CompactFactory)
    year = 2023


def make_definition(
    compact: Compact | None = None,
    *,
    indicator: Any = None,
    reporters: Iterable[Organisation] = (),
    categories: Iterable[models.DisaggregationCategory] = (),
    **fields: Any,
) -> models.IndicatorDefinition:
    """A definition of ``indicator`` (default: a new indicator of a new objective of ``compact``)."""
    if indicator is None:
        objective = ObjectiveFactory.create(compact=compact) if compact else ObjectiveFactory.create()
        indicator = IndicatorFactory.create(objective=objective)
    return IndicatorDefinitionFactory.create(
        indicator=indicator, reporters=list(reporters), categories=list(categories), **fields
    )


Figure = Decimal | int | str | tuple[Any, Any] | None


def _value_fields(definition: models.IndicatorDefinition, figure: Figure) -> dict[str, Any]:
    if isinstance(figure, tuple):
        return {"numerator": Decimal(str(figure[0])), "denominator": Decimal(str(figure[1]))}
    if definition.unit == models.IndicatorDefinition.Unit.QUALITATIVE:
        return {"text": str(figure or "")}
    return {"value": None if figure is None else Decimal(str(figure))}


def make_submission(
    definition: models.IndicatorDefinition,
    organisation: Organisation,
    period: str = "2023",
    *,
    total: Figure = None,
    parts: Mapping[models.DisaggregationCategory | str, Figure] | None = None,
    status: str = models.Submission.Status.APPROVED,
    **fields: Any,
) -> models.Submission:
    """A submission with its values, written directly (default status: approved).

    ``parts`` keys are categories or codes of the definition's categories."""
    submission = SubmissionFactory.create(
        definition=definition, organisation=organisation, period=period, status=status, **fields
    )
    if total is not None:
        models.Value.objects.create(submission=submission, category=None, **_value_fields(definition, total))
    by_code = {c.code: c for c in definition.categories.all()} if parts else {}
    for key, figure in (parts or {}).items():
        cat = by_code[key] if isinstance(key, str) else key
        models.Value.objects.create(submission=submission, category=cat, **_value_fields(definition, figure))
    return submission
