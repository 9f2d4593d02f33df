"""Results: what is measured, who reports it, and the values they report (sections V and VI of seed 001).

* An ``IndicatorDefinition`` completes a compact's ``Indicator`` (Annex A output indicators, or
  monitoring and evaluation indicators set by the monitoring committee) with what is needed to report
  and aggregate it: unit, direction, cumulative mode, baseline, yearly targets, frequency,
  disaggregations and reporting organisations.
* A ``Submission`` is one organisation's report for one indicator and one period; its ``Value`` rows
  hold the total (``category`` empty) and the disaggregated parts. Only approved submissions count.
* ``NarrativeSection`` holds the annual report's texts written in Pacte; ``AnnualReport`` records a
  year's report and the annual meeting that reviewed it.

Rules that concern one record live in ``clean()``; rules that need other records (periods within the
compact, categories allowed, workflow, locking, concurrency) live in ``services.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField
from simple_history.models import HistoricalRecords

from pacte.accounts.models import Organisation
from pacte.compacts.models import ATTACHMENT_EXTENSIONS, Compact, Indicator, Meeting, Objective
from pacte.core.models import TimeStampedModel, validate_file_size

VALUE_DIGITS = 18
VALUE_PLACES = 4
ZERO = Decimal(0)


def value_field(verbose_name: str | object, **kwargs: object) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        verbose_name,  # type: ignore[arg-type]
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_PLACES,
        null=True,
        blank=True,
        **kwargs,  # type: ignore[arg-type]
    )


class Dimension(models.TextChoices):
    SEX = "sex", _("Sex")
    AGE = "age", _("Age group")
    REGION = "region", _("Region or district")
    TRAFFICKING_FORM = "trafficking_form", _("Form of trafficking")


class DisaggregationCategory(TimeStampedModel):
    """One category of a dimension: *female*, *under 18*, *15–17*, *Gbêkê*, *forced labour*…

    ``country`` is empty for categories valid everywhere (sex, age, form of trafficking) and holds the
    ISO 3166-1 alpha-3 code for a country's regions. A finer band points to its ``parent`` (15–17 is
    part of *under 18*); parts are checked against the total one level at a time.
    """

    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    code = models.SlugField(_("code"), max_length=40)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    country = models.CharField(_("country"), max_length=3, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["dimension", "country", "order", "code"]
        verbose_name = _("disaggregation category")
        verbose_name_plural = _("disaggregation categories")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "country", "code"], name="results_category_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (translation.get_language() or "fr").startswith("en") else self.label_fr


class IndicatorDefinition(TimeStampedModel):
    class Unit(models.TextChoices):
        COUNT = "count", _("Count")
        PERCENTAGE = "percentage", _("Percentage (numerator / denominator)")
        PERCENT_CHANGE = "percent_change", _("Percentage change from the baseline (counts reported)")
        MILESTONE = "milestone", _("Milestone (yes / no)")
        QUALITATIVE = "qualitative", _("Qualitative")

    class Direction(models.TextChoices):
        INCREASE = "increase", _("Higher is better")
        DECREASE = "decrease", _("Lower is better")

    class Cumulation(models.TextChoices):
        PER_PERIOD = "per_period", _("Per period (values add up over periods)")
        RUNNING_TOTAL = "running_total", _("Running total (each value includes earlier periods)")
        LATEST = "latest", _("Latest value")

    class Frequency(models.TextChoices):
        ANNUAL = "annual", _("Yearly (calendar year, e.g. 2024)")
        QUARTERLY = "quarterly", _("Quarterly (e.g. 2024Q1)")
        FISCAL_YEAR = "fiscal_year", _("US fiscal year (e.g. FY2025 = October 2024 to September 2025)")

    indicator = models.OneToOneField(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="definition"
    )
    # Denormalised from indicator.objective.compact (set by the service) so that every results query
    # filters on one indexed column.
    compact = models.ForeignKey(
        Compact, verbose_name=_("compact"), on_delete=models.CASCADE, related_name="indicator_definitions"
    )
    unit = models.CharField(_("unit or measure"), max_length=20, choices=Unit.choices, default=Unit.COUNT)
    unit_label = models.CharField(
        _("what is counted"),
        max_length=120,
        blank=True,
        help_text=_("For example: children identified, officers trained, cases prosecuted."),
    )
    numerator_label = models.CharField(_("numerator"), max_length=200, blank=True)
    denominator_label = models.CharField(_("denominator"), max_length=200, blank=True)
    numerator_may_exceed_denominator = models.BooleanField(
        _("numerator may exceed the denominator"),
        default=False,
        help_text=_("Leave unchecked when the numerator is a part of the denominator."),
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    cumulation = models.CharField(
        _("cumulative mode"), max_length=20, choices=Cumulation.choices, default=Cumulation.PER_PERIOD
    )
    frequency = models.CharField(
        _("reporting frequency"), max_length=20, choices=Frequency.choices, default=Frequency.ANNUAL
    )
    baseline_value = value_field(_("baseline value"))
    baseline_numerator = value_field(_("baseline numerator"))
    baseline_denominator = value_field(_("baseline denominator"))
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
    )
    baseline_source = models.TextField(_("baseline source"), blank=True)
    categories = models.ManyToManyField(
        DisaggregationCategory,
        verbose_name=_("disaggregations"),
        blank=True,
        related_name="definitions",
    )
    reporters = models.ManyToManyField(
        Organisation,
        verbose_name=_("reporting organisations"),
        blank=True,
        related_name="reported_indicators",
    )
    notes = models.TextField(_("definition and method"), blank=True)
    # Optimistic concurrency: a save carrying an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords(m2m_fields=[categories, reporters])

    class Meta:
        ordering = ["indicator__objective__pillar", "indicator__objective__number", "indicator__order", "id"]
        verbose_name = _("indicator definition")
        verbose_name_plural = _("indicator definitions")

    def __str__(self) -> str:
        return str(self.indicator)

    @property
    def is_numeric(self) -> bool:
        return self.unit not in (self.Unit.QUALITATIVE,)

    @property
    def uses_ratio(self) -> bool:
        return self.unit == self.Unit.PERCENTAGE


class Target(TimeStampedModel):
    """The value aimed at for a year (for a milestone, 1 = achieved by the end of that year)."""

    definition = models.ForeignKey(
        IndicatorDefinition, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    value = value_field(_("target"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["definition", "year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["definition", "year"], name="results_target_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.year}: {self.value}"


class Submission(TimeStampedModel):
    """One organisation's values for one indicator and one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for correction")
        APPROVED = "approved", _("Approved")

    definition = models.ForeignKey(
        IndicatorDefinition, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="submissions"
    )
    compact = models.ForeignKey(
        Compact, verbose_name=_("compact"), on_delete=models.CASCADE, related_name="result_submissions"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="result_submissions",
    )
    period = models.CharField(_("period"), max_length=10, help_text=_("2024, 2024Q1 or FY2025."))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("The year the period is named after."))
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=False
    )
    locked = models.BooleanField(_("locked"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    review_comment = models.TextField(_("reviewer's comments"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed on"), null=True, blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    # Optimistic concurrency: every save carries the version it was edited from.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Whether the disaggregated parts add up (the check of ``selectors._flags``), stored by
    # ``services.save_submission`` with the values: True spares progress the check of this submission;
    # None (unknown: written otherwise) or False, progress checks it.
    parts_add_up = models.BooleanField(_("parts add up"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["parts_add_up"])

    class Meta:
        ordering = ["compact", "definition", "period_start", "organisation"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "organisation", "period"], name="results_submission_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="results_submission_period_order"
            ),
        ]
        indexes = [
            models.Index(fields=["compact", "status", "year"], name="results_sub_compact_status"),
            models.Index(fields=["definition", "status", "period_end"], name="results_sub_definition"),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.period} ({self.organisation_id})"

    @property
    def is_editable(self) -> bool:
        return not self.locked and self.status in (self.Status.DRAFT, self.Status.RETURNED)


class Value(models.Model):
    """The total (no category) or one disaggregated part of a submission."""

    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="values"
    )
    category = models.ForeignKey(
        DisaggregationCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = value_field(_("value"))
    numerator = value_field(_("numerator"), validators=[MinValueValidator(ZERO)])
    denominator = value_field(_("denominator"), validators=[MinValueValidator(ZERO)])
    text = models.TextField(_("qualitative value"), blank=True)

    class Meta:
        ordering = ["submission", "category"]
        verbose_name = _("value")
        verbose_name_plural = _("values")
        constraints = [
            models.UniqueConstraint(
                fields=["submission"], condition=Q(category__isnull=True), name="results_value_one_total"
            ),
            models.UniqueConstraint(fields=["submission", "category"], name="results_value_unique_category"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}/{self.category_id or 'total'}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"results/{instance.submission.compact_id}/evidence/{filename}"


class Evidence(TimeStampedModel):
    submission = models.ForeignKey(
        Submission, verbose_name=_("submission"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(
        _("file"),
        upload_to=evidence_path,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_file_size],
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["submission", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.description or self.file.name


class NarrativeSection(TimeStampedModel):
    """A text of the annual report (section V), written by a reporting organisation."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress toward the objective")
        DIFFICULTIES = "difficulties", _("Difficulties encountered")
        RECOMMENDATIONS = "recommendations", _("Recommendations for further assistance")
        SUSTAINABILITY = "sustainability", _("Sustainability")
        IMPROVEMENT = "improvement", _("Areas for improvement")

    compact = models.ForeignKey(
        Compact, verbose_name=_("compact"), on_delete=models.CASCADE, related_name="narrative_sections"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("section"), max_length=20, choices=Kind.choices)
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Required for progress toward an objective; empty for the other sections."),
    )
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "year", "kind", "objective", "organisation"]
        verbose_name = _("narrative section")
        verbose_name_plural = _("narrative sections")
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "year", "organisation", "kind", "objective"],
                name="results_narrative_unique",
            ),
            models.UniqueConstraint(
                fields=["compact", "year", "organisation", "kind"],
                condition=Q(objective__isnull=True),
                name="results_narrative_unique_general",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compact_id} {self.year} {self.kind}"


class AnnualReport(TimeStampedModel):
    """A year's annual report of a compact, and the annual meeting that reviewed it (section VI)."""

    compact = models.ForeignKey(
        Compact, verbose_name=_("compact"), on_delete=models.CASCADE, related_name="annual_reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    reviewed_at = models.ForeignKey(
        Meeting,
        verbose_name=_("reviewed at the meeting of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_reports",
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "-year"]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [models.UniqueConstraint(fields=["compact", "year"], name="results_report_unique_year")]

    def __str__(self) -> str:
        return f"{self.compact_id} {self.year}"


class ResultsState(models.Model):
    """A compact's results version: ``token`` changes (a new random value) with every write of the
    results services (``services.results_changed``). Pages and the API cache what they compute from
    results under this token, so that a change shows at once in every process; a random value, not a
    counter, so that keys never repeat (not even across databases that reuse compact ids)."""

    compact = models.OneToOneField(
        Compact, verbose_name=_("compact"), on_delete=models.CASCADE, related_name="results_state"
    )
    token = models.CharField(_("version token"), max_length=32)
    changed_at = models.DateTimeField(_("changed on"))

    class Meta:
        verbose_name = _("results version")
        verbose_name_plural = _("results versions")

    def __str__(self) -> str:
        return f"{self.compact_id}: {self.token}"
