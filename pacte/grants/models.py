"""Grants: competitive funding of implementing partners, awards, budgets, transactions (issue 4).

The cycle: a funding opportunity (tied to a compact, or to none for the TIP Office's other programme
types) → applications by organisations → review (conflict of interest declarations, a score per merit
criterion) → award decision (a grant, cooperative agreement or contract) → yearly budgets →
transactions (commitment, disbursement, expenditure) → IATI publication. Emergency victim assistance
requests take a short path of their own with a tracked decision deadline.

Rules that concern one record live in its ``clean()``; rules that need other records (ceilings, the
award period, conflicts of interest) and every state change live in ``services.py``. Nothing is
enforced in ``save()``. Amounts are stored in their currency with the rate to US dollars used, so that
every total can be given in USD.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    FileExtensionValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField
from simple_history.models import HistoricalRecords

from pacte.accounts.models import Organisation
from pacte.compacts.models import (
    ATTACHMENT_EXTENSIONS,
    Activity,
    Compact,
    Objective,
    validate_currency,
)
from pacte.core.models import TimeStampedModel, validate_file_size
from pacte.results.models import IndicatorDefinition

AMOUNT_DIGITS = 14
AMOUNT_PLACES = 2
RATE_DIGITS = 18
RATE_PLACES = 8
CENT = Decimal("0.01")
# Emergency victim assistance: the decision is due this many days after the request is received.
EMERGENCY_DECISION_DAYS = 10
# References are part of IATI identifiers: letters, digits and "-" only.
reference_validator = RegexValidator(r"^[A-Za-z0-9-]+$", _("Use letters, digits and - only (no spaces)."))
# A budget period is at most a year (IATI rule 7.5.3: no more than 366 days between its dates).
MAX_BUDGET_DAYS = 366


def to_usd(amount: Decimal, currency: str, rate: Decimal | None) -> Decimal | None:
    """``amount`` in US dollars: USD as is, another currency with ``rate`` (USD per unit), None without
    a rate."""
    if currency == "USD":
        return amount
    if rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def grant_file_path(instance: models.Model, filename: str) -> str:
    return f"grants/{instance._meta.model_name}/{filename}"


class ProgrammeType(models.TextChoices):
    """The TIP Office's six international programme types (seed 003), plus compacts."""

    CHILD_PROTECTION_COMPACT = "child_protection_compact", _("Child Protection Compact")
    BILATERAL_REGIONAL = "bilateral_regional", _("Bilateral and regional programmes")
    TRAINING_TECHNICAL_ASSISTANCE = "training_ta", _("Short-term training and technical assistance")
    EMERGENCY_VICTIM_ASSISTANCE = "emergency_assistance", _("Emergency victim assistance")
    RESEARCH_INNOVATION = "research_innovation", _("Research and innovation")
    END_MODERN_SLAVERY = "end_modern_slavery", _("Programme to End Modern Slavery")


class FundingOpportunity(TimeStampedModel):
    """A call for applications (notice of funding opportunity)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        AWARDED = "awarded", _("Awarded")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=300)
    reference = models.CharField(
        _("reference"),
        max_length=60,
        unique=True,
        validators=[reference_validator],
        help_text=_("The notice's number, for example SFOP0009999. Letters, digits and - only."),
    )
    programme_type = models.CharField(_("programme type"), max_length=40, choices=ProgrammeType.choices)
    compact = models.ForeignKey(
        Compact,
        verbose_name=_("compact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_opportunities",
    )
    objectives = models.ManyToManyField(
        Objective, verbose_name=_("objectives served"), blank=True, related_name="funding_opportunities"
    )
    description = models.TextField(_("description"))
    ceiling = models.DecimalField(
        _("ceiling (USD)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    eligible_org_types = models.JSONField(
        _("eligible kinds of organisation"),
        default=list,
        blank=True,
        help_text=_("Organisation kinds that may apply (for example ngo, international_organisation)."),
    )
    registration_required = models.BooleanField(_("legal registration required"), default=True)
    eligibility_notes = models.TextField(_("other eligibility conditions"), blank=True)
    opens_on = models.DateField(_("open from"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline for applications"))
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancellation"), blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-deadline", "title"]
        verbose_name = _("funding opportunity")
        verbose_name_plural = _("funding opportunities")

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.compact_id and self.programme_type != ProgrammeType.CHILD_PROTECTION_COMPACT:
            errors.setdefault("programme_type", []).append(
                _("An opportunity under a compact is of the Child Protection Compact type.")
            )
        if not self.compact_id and self.programme_type == ProgrammeType.CHILD_PROTECTION_COMPACT:
            errors.setdefault("compact", []).append(_("Choose the compact this opportunity funds."))
        valid = {c for c, _label in Organisation.PartnerKind.choices} | {
            c for c, _label in Organisation.Type.choices
        }
        unknown = [k for k in self.eligible_org_types or [] if k not in valid]
        if unknown:
            errors.setdefault("eligible_org_types", []).append(
                _("Unknown kind of organisation: %(kinds)s.") % {"kinds": ", ".join(map(str, unknown))}
            )
        if self.opens_on and self.deadline and self.deadline.date() < self.opens_on:
            errors.setdefault("deadline", []).append(_("The deadline is before the opening date."))
        if errors:
            raise ValidationError(errors)


class MeritCriterion(models.Model):
    """A merit criterion of an opportunity; the weights of an opportunity add up to 100."""

    opportunity = models.ForeignKey(
        FundingOpportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(CENT), MaxValueValidator(Decimal(100))],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["opportunity", "order", "id"]
        verbose_name = _("merit criterion")
        verbose_name_plural = _("merit criteria")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "name"], name="grants_criterion_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"


class ReviewerAssignment(models.Model):
    """Who reviews the applications of an opportunity."""

    opportunity = models.ForeignKey(
        FundingOpportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="reviewers"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "reviewer"], name="grants_reviewer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} – {self.opportunity_id}"


class Application(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        REFUSED = "refused", _("Refused")  # late or ineligible, with a reason
        AWARDED = "awarded", _("Awarded")
        NOT_SELECTED = "not_selected", _("Not selected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    opportunity = models.ForeignKey(
        FundingOpportunity,
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="applications"
    )
    title = models.CharField(_("project title"), max_length=300)
    narrative = models.TextField(_("narrative"))
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=False
    )
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["opportunity", "organisation__name"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "organisation"], name="grants_application_one_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.title}"


class ApplicationBudgetLine(models.Model):
    """The amount an application asks for one year and (optionally) one objective."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="budget_lines"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    objective = models.ForeignKey(
        Objective,
        verbose_name=_("objective"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.DecimalField(
        _("amount (USD)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["application", "year", "objective"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class ApplicationDocument(TimeStampedModel):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(
        _("file"),
        upload_to=grant_file_path,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_file_size],
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "title"]
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")

    def __str__(self) -> str:
        return self.title


class ConflictDeclaration(TimeStampedModel):
    """A reviewer's declaration on one application: a conflict of interest, or none. Required before
    scoring; a reviewer who declares a conflict may not score that application."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="declarations"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="+"
    )
    has_conflict = models.BooleanField(_("conflict of interest"))
    statement = models.TextField(_("statement"), blank=True)

    class Meta:
        verbose_name = _("conflict of interest declaration")
        verbose_name_plural = _("conflict of interest declarations")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="grants_declaration_unique")
        ]


class Score(TimeStampedModel):
    """One reviewer's score of one application on one criterion, from 0 to 100."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        MeritCriterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="scores"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion", "reviewer"], name="grants_score_unique"
            )
        ]


class Award(TimeStampedModel):
    """The award decision and the grant, cooperative agreement or contract it makes. Under a compact,
    the sum of awards never exceeds the compact's US ceiling; an award never exceeds its opportunity's
    ceiling. Each award is a child IATI activity of its compact (or a stand-alone one)."""

    class Instrument(models.TextChoices):
        GRANT = "grant", _("Grant")
        COOPERATIVE_AGREEMENT = "cooperative_agreement", _("Cooperative agreement")
        CONTRACT = "contract", _("Contract")

    class Status(models.TextChoices):
        # IATI ActivityStatus codes.
        PIPELINE = "1", _("Pipeline / identification")
        IMPLEMENTATION = "2", _("Implementation")
        FINALISATION = "3", _("Finalisation")
        CLOSED = "4", _("Closed")
        CANCELLED = "5", _("Cancelled")

    reference = models.CharField(
        _("award number"),
        max_length=60,
        unique=True,
        validators=[reference_validator],
        help_text=_("For example SINLEC23CA0001. Letters, digits and - only; part of the IATI identifier."),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    instrument = models.CharField(_("instrument"), max_length=30, choices=Instrument.choices)
    programme_type = models.CharField(_("programme type"), max_length=40, choices=ProgrammeType.choices)
    opportunity = models.ForeignKey(
        FundingOpportunity,
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards",
    )
    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award",
    )
    compact = models.ForeignKey(
        Compact,
        verbose_name=_("compact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awards",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("implementing partner"), on_delete=models.PROTECT, related_name="awards"
    )
    recipient_country = models.CharField(
        _("recipient country"),
        max_length=3,
        blank=True,
        help_text=_("ISO 3166-1 alpha-3; by default the compact's country."),
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    amount = models.DecimalField(
        _("amount (USD)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    status = models.CharField(
        _("status"), max_length=2, choices=Status.choices, default=Status.IMPLEMENTATION
    )
    objectives = models.ManyToManyField(
        Objective, verbose_name=_("objectives funded"), blank=True, related_name="awards"
    )
    activities = models.ManyToManyField(
        Activity, verbose_name=_("activities funded"), blank=True, related_name="awards"
    )
    indicators = models.ManyToManyField(
        IndicatorDefinition,
        verbose_name=_("indicators"),
        blank=True,
        related_name="awards",
        help_text=_(
            "Indicators of the compact's results framework that the partner reports under this award: "
            "its approved values count toward the compact."
        ),
    )
    justification = models.TextField(_("justification of the decision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided on"))
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "reference"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="grants_award_dates"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_award_positive"),
        ]
        indexes = [models.Index(fields=["compact", "start_date"], name="grants_award_compact")]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(_("The end is before the start."))
        if self.compact_id and self.programme_type != ProgrammeType.CHILD_PROTECTION_COMPACT:
            errors.setdefault("programme_type", []).append(
                _("An award under a compact is of the Child Protection Compact type.")
            )
        if errors:
            raise ValidationError(errors)


class SectorShare(models.Model):
    """The award's share of an OECD DAC 5-digit sector (IATI sector vocabulary 1); shares add to 100."""

    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.CASCADE, related_name="sectors"
    )
    code = models.CharField(_("DAC sector"), max_length=5)
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(CENT), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["award", "-percentage", "code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        constraints = [models.UniqueConstraint(fields=["award", "code"], name="grants_sector_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.percentage} %"


class Budget(models.Model):
    """An award's budget for one period of at most a year."""

    class Kind(models.TextChoices):
        ORIGINAL = "1", _("Original")
        REVISED = "2", _("Revised")

    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.CASCADE, related_name="budgets"
    )
    kind = models.CharField(_("type"), max_length=1, choices=Kind.choices, default=Kind.ORIGINAL)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[validate_currency])
    rate_to_usd = models.DecimalField(
        _("rate (USD per unit)"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )
    value_date = models.DateField(_("value date"))

    class Meta:
        ordering = ["award", "period_start", "kind"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="grants_budget_period_order"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}: {self.amount} {self.currency}"

    @property
    def amount_usd(self) -> Decimal | None:
        return to_usd(self.amount, self.currency, self.rate_to_usd)

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.period_start and self.period_end:
            if self.period_end < self.period_start:
                errors.setdefault("period_end", []).append(_("The end of the period is before its start."))
            elif (self.period_end - self.period_start).days > MAX_BUDGET_DAYS or self.period_end >= (
                self.period_start + relativedelta(years=1)
            ):
                errors.setdefault("period_end", []).append(
                    _("A budget period lasts a year at most: split it into yearly budgets.")
                )
        _check_rate(self, errors)
        if errors:
            raise ValidationError(errors)


class Transaction(TimeStampedModel):
    """Money of an award: committed, disbursed to the partner, or spent by it."""

    class Kind(models.TextChoices):
        # IATI TransactionType codes.
        COMMITMENT = "2", _("Commitment")
        DISBURSEMENT = "3", _("Disbursement")
        EXPENDITURE = "4", _("Expenditure")

    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.CASCADE, related_name="transactions"
    )
    kind = models.CharField(_("type"), max_length=1, choices=Kind.choices)
    date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[validate_currency])
    rate_to_usd = models.DecimalField(
        _("rate (USD per unit)"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )
    # Stored (not derived on every read): the portfolio's sums stay one SQL aggregate.
    amount_usd = models.DecimalField(
        _("amount (USD)"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, editable=False
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["award", "date", "id"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_transaction_positive"),
        ]
        indexes = [models.Index(fields=["award", "kind", "date"], name="grants_tx_award_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}: {self.amount} {self.currency}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        _check_rate(self, errors)
        if errors:
            raise ValidationError(errors)


def _check_rate(record: Budget | Transaction, errors: dict[str, list]) -> None:
    if record.currency == "USD" and record.rate_to_usd not in (None, Decimal(1)):
        errors.setdefault("rate_to_usd", []).append(_("An amount in US dollars needs no rate."))
    if record.currency and record.currency != "USD" and record.rate_to_usd is None:
        errors.setdefault("rate_to_usd", []).append(
            _("Give the rate used to convert %(currency)s to US dollars.") % {"currency": record.currency}
        )


class EmergencyRequest(TimeStampedModel):
    """A request for emergency victim assistance, decided case by case within a tracked deadline."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("requesting organisation"), on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(_("country"), max_length=3, help_text=_("ISO 3166-1 alpha-3 code."))
    title = models.CharField(_("title"), max_length=300)
    need = models.TextField(
        _("need"), help_text=_("The situation and the assistance needed (no names of victims).")
    )
    amount_requested = models.DecimalField(
        _("amount requested (USD)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        validators=[MinValueValidator(CENT)],
    )
    received_on = models.DateField(_("received on"))
    decision_due = models.DateField(_("decision due"))
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, protected=False
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("decision"), blank=True)
    award = models.OneToOneField(
        Award,
        verbose_name=_("award"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emergency_request",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "decision_due"]
        verbose_name = _("emergency assistance request")
        verbose_name_plural = _("emergency assistance requests")

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def due_date(received_on: dt.date) -> dt.date:
        return received_on + dt.timedelta(days=EMERGENCY_DECISION_DAYS)


class GrantsState(models.Model):
    """The grants data's version: ``token`` takes a new random value with every write made by the grants
    services (``services.grants_changed``), in the writer's transaction. Pages cache what they compute
    from the portfolio under it (one row; none: nothing is cached)."""

    token = models.CharField(_("version token"), max_length=32)
    changed_at = models.DateTimeField(_("changed on"))

    class Meta:
        verbose_name = _("grants version")
        verbose_name_plural = _("grants versions")

    def __str__(self) -> str:
        return self.token
