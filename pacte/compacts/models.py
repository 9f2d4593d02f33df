"""The compact, as the seeds define it (seed 001: the 2022 Côte d'Ivoire – United States CPC).

Rules that concern one record live in its ``clean()`` (model validation); rules that need other
records, locking or several writes live in ``services.py``. Nothing here is enforced in ``save()``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pycountry
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from pacte.accounts.models import Organisation, country_name, validate_country_code
from pacte.core.models import TimeStampedModel, Visibility, validate_file_size

MAX_TERM_YEARS = 5
AMENDMENT_NOTICE_MONTHS = 3
FOCAL_POINT_NOTICE_DAYS = 30

phone_validator = RegexValidator(
    r"^[0-9+()./ \-]*$", _("A telephone number may contain only digits, spaces and + ( ) . / -")
)
ATTACHMENT_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "odt",
    "ods",
    "txt",
    "csv",
    "png",
    "jpg",
    "jpeg",
]


def validate_currency(value: str) -> None:
    # pycountry ignores case; the stored code must be the canonical upper-case one.
    if value != value.upper() or pycountry.currencies.get(alpha_3=value) is None:
        raise ValidationError(_("“%(value)s” is not an ISO 4217 currency code."), params={"value": value})


def latest_end_date(start: dt.date) -> dt.date:
    """Last day a compact that enters into force on ``start`` may run without an extension."""
    return start + relativedelta(years=MAX_TERM_YEARS)


def earliest_amendment_effect(request_date: dt.date) -> dt.date:
    return request_date + relativedelta(months=AMENDMENT_NOTICE_MONTHS)


def attachment_path(instance: models.Model, filename: str) -> str:
    compact_id = getattr(instance, "compact_id", None) or "unassigned"
    return f"compacts/{compact_id}/{instance._meta.model_name}/{filename}"


class Pillar(models.TextChoices):
    PREVENTION = "prevention", _("Prevention")
    PROTECTION = "protection", _("Protection")
    PROSECUTION = "prosecution", _("Prosecution")
    PARTNERSHIP = "partnership", _("Partnership")


PILLAR_ORDER = [p.value for p in Pillar]


class VisibilityMixin(models.Model):
    visibility = models.CharField(
        _("visibility"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_("Non-public information is shown only to the parties and their implementing partners."),
    )

    class Meta:
        abstract = True

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class CompactQuerySet(models.QuerySet["Compact"]):
    def with_current_status(self, today: dt.date | None = None) -> CompactQuerySet:
        """Annotate ``status_now``: a signed compact whose term has ended is expired."""
        today = today or timezone.localdate()
        return self.annotate(
            status_now=models.Case(
                models.When(
                    Q(status=Compact.Status.SIGNED, end_date__lt=today),
                    then=models.Value(Compact.Status.EXPIRED),
                ),
                default=models.F("status"),
                output_field=models.CharField(),
            )
        )

    def in_status(self, status: str, today: dt.date | None = None) -> CompactQuerySet:
        return self.with_current_status(today).filter(status_now=status)  # type: ignore[misc]


class Compact(VisibilityMixin, TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        NEGOTIATION = "negotiation", _("In negotiation")
        SIGNED = "signed", _("Signed")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    title = models.CharField(_("title"), max_length=300)
    country = models.CharField(
        _("country"),
        max_length=3,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 alpha-3 code of the partner country, for example CIV."),
    )
    purpose = models.TextField(_("purpose"), blank=True, help_text=_("Section I of the compact."))
    goal = models.TextField(_("goal"), blank=True, help_text=_("One goal per compact (section II)."))
    # Stored states: draft, negotiation, signed, terminated. "Expired" is derived from the end date
    # (see CompactQuerySet.with_current_status and current_status below), so it is never stale.
    status = FSMField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    signature_date = models.DateField(_("signature date"), null=True, blank=True)
    signature_place = models.CharField(_("place of signature"), max_length=200, blank=True)
    start_date = models.DateField(
        _("entry into force"),
        null=True,
        blank=True,
        help_text=_("The compact is in force from its signature date."),
    )
    end_date = models.DateField(
        _("end of term"),
        null=True,
        blank=True,
        help_text=_("Last day of the term: at most five years after entry into force, unless extended."),
    )
    original_end_date = models.DateField(_("end of the original term"), null=True, blank=True, editable=False)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.TextField(_("reason for termination"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Bumped (F() + 1) by every service that changes the compact or one of its records (services._lock):
    # the compact page caches its overview under this number, so that a change shows at once in every
    # process. Writes outside the services (the admin site) must bump it too.
    content_version = models.PositiveIntegerField(_("content version"), default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["content_version"])

    objects = CompactQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name = _("compact")
        verbose_name_plural = _("compacts")
        indexes = [models.Index(fields=["status", "end_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    # -- term -------------------------------------------------------------------------------
    @property
    def max_end_without_extension(self) -> dt.date | None:
        return latest_end_date(self.start_date) if self.start_date else None

    def allowed_end_date(self, extensions_end: dt.date | None = None) -> dt.date | None:
        """The latest end date the rules allow: five years, or the latest recorded extension."""
        limit = self.max_end_without_extension
        if limit is None:
            return None
        return max(limit, extensions_end) if extensions_end else limit

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.country and self.country != self.country.upper():
            # pycountry looks codes up case-insensitively; store them as ISO writes them.
            errors.setdefault("country", []).append(
                _("Write the country code in capital letters, for example CIV.")
            )
        if self.status == self.Status.SIGNED:
            if not self.start_date:
                errors.setdefault("start_date", []).append(_("A signed compact has an entry into force."))
            if not self.end_date:
                errors.setdefault("end_date", []).append(_("A signed compact has an end of term."))
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors.setdefault("end_date", []).append(
                _("The end of term must come after the entry into force.")
            )
        if self.signature_date and self.start_date and self.start_date < self.signature_date:
            errors.setdefault("start_date", []).append(
                _("A compact cannot enter into force before it is signed.")
            )
        if self.terminated_on and self.start_date and self.terminated_on < self.start_date:
            errors.setdefault("terminated_on", []).append(
                _("A compact cannot be terminated before it enters into force.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def current_status(self) -> str:
        annotated = self.__dict__.get("status_now")
        if annotated:
            return annotated
        if self.status == self.Status.SIGNED and self.end_date and self.end_date < timezone.localdate():
            return self.Status.EXPIRED
        return self.status

    def get_current_status_display(self) -> str:
        return str(self.Status(self.current_status).label)

    @property
    def is_in_force(self) -> bool:
        today = timezone.localdate()
        return bool(
            self.status == self.Status.SIGNED
            and self.start_date
            and self.start_date <= today
            and self.end_date
            and today <= self.end_date
        )

    @property
    def days_left(self) -> int | None:
        if self.current_status != self.Status.SIGNED or not self.end_date:
            return None
        return (self.end_date - timezone.localdate()).days

    # -- lifecycle (django-fsm); services call these inside a transaction ---------------------
    @transition(field=status, source=Status.DRAFT, target=Status.NEGOTIATION)
    def open_negotiation(self) -> None:
        pass

    @transition(field=status, source=Status.NEGOTIATION, target=Status.DRAFT)
    def return_to_draft(self) -> None:
        pass

    @transition(field=status, source=Status.NEGOTIATION, target=Status.SIGNED)
    def sign(self, signature_date: dt.date, place: str = "") -> None:
        self.signature_date = signature_date
        self.signature_place = place or self.signature_place
        self.start_date = signature_date
        if self.end_date is None:
            self.end_date = latest_end_date(signature_date)
        self.original_end_date = self.end_date

    def _not_expired(self) -> bool:
        return self.current_status != self.Status.EXPIRED

    @transition(
        field=status,
        source=[Status.DRAFT, Status.NEGOTIATION, Status.SIGNED],
        target=Status.TERMINATED,
        conditions=[_not_expired],  # type: ignore[list-item]
    )
    def terminate(self, on: dt.date, reason: str) -> None:
        self.terminated_on = on
        self.termination_reason = reason


class Party(TimeStampedModel):
    """A side of the compact: the United States, or the partner country."""

    class Kind(models.TextChoices):
        UNITED_STATES = "united_states", _("United States")
        PARTNER_COUNTRY = "partner_country", _("Partner country")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("party"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)

    class Meta:
        ordering = ["compact", "kind"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [models.UniqueConstraint(fields=["compact", "kind"], name="one_party_per_side")]

    def __str__(self) -> str:
        return self.name


class Participation(TimeStampedModel):
    """An organisation taking part in a compact. This decides who may see it."""

    class Role(models.TextChoices):
        PARTY_BODY = "party_body", _("Acting for a party")
        IMPLEMENTING_PARTNER = "implementing_partner", _("Implementing partner")
        OBSERVER = "observer", _("Observer")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, null=True, blank=True, related_name="bodies"
    )

    class Meta:
        ordering = ["compact", "role", "organisation__name"]
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")
        constraints = [
            models.UniqueConstraint(fields=["compact", "organisation"], name="one_participation_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.get_role_display()}"

    def clean(self) -> None:
        if self.role == self.Role.PARTY_BODY and not self.party_id:
            raise ValidationError({"party": _("Say which party this organisation acts for.")})
        if self.party_id and self.party.compact_id != self.compact_id:  # type: ignore[union-attr]
            raise ValidationError({"party": _("This party belongs to another compact.")})


class Membership(TimeStampedModel):
    """The role a user holds on one compact."""

    class Role(models.TextChoices):
        PROGRAMME_OFFICER = "programme_officer", _("Programme officer")
        GOVERNMENT_FOCAL_POINT = "government_focal_point", _("Government focal point")
        IMPLEMENTING_PARTNER = "implementing_partner", _("Implementing partner")
        MONITORING_COMMITTEE_MEMBER = "monitoring_committee_member", _("Monitoring committee member")
        VIEWER = "viewer", _("Viewer")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "role"]
        verbose_name = _("role on a compact")
        verbose_name_plural = _("roles on compacts")
        constraints = [
            models.UniqueConstraint(fields=["compact", "user"], name="one_role_per_user_and_compact")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class Signatory(TimeStampedModel):
    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="signatories")
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="signatories"
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.TextField(_("title"), help_text=_("Position as written in the signed text."))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    on_behalf_of = models.CharField(_("signing for"), max_length=300, blank=True)
    signed_on = models.DateField(_("date of signature"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["compact", "order", "id"]
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.party_id and self.compact_id and self.party.compact_id != self.compact_id:
            raise ValidationError({"party": _("This party belongs to another compact.")})


class Objective(VisibilityMixin, TimeStampedModel):
    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="objectives")
    pillar = models.CharField(_("pillar"), max_length=20, choices=Pillar.choices)
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    statement = models.TextField(_("objective"), help_text=_("As stated in section II."))
    framework_statement = models.TextField(
        _("statement in the joint action framework"),
        blank=True,
        help_text=_("As stated in Annex A, if it differs."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "number"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [models.UniqueConstraint(fields=["compact", "number"], name="unique_objective_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.get_pillar_display()}"


class Activity(VisibilityMixin, TimeStampedModel):
    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="activities"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.TextField(_("description"))
    illustrative = models.BooleanField(
        _("illustrative"), default=False, help_text=_("Listed in the joint action framework (Annex A).")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["objective", "order", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def compact_id(self) -> int:
        return self.objective.compact_id


class Indicator(VisibilityMixin, TimeStampedModel):
    class Level(models.TextChoices):
        OUTPUT = "output", _("Output indicator")
        MONITORING = "monitoring", _("Monitoring and evaluation indicator")

    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="indicators"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.TextField(_("indicator"))
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=Level.choices,
        default=Level.OUTPUT,
        help_text=_(
            "Output indicators measure completion of activities; monitoring and evaluation indicators, "
            "set by the monitoring committee, measure progress (section VI)."
        ),
    )
    illustrative = models.BooleanField(
        _("illustrative"), default=False, help_text=_("Listed in the joint action framework (Annex A).")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["objective", "order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name[:80]

    @property
    def compact_id(self) -> int:
        return self.objective.compact_id


class Commitment(VisibilityMixin, TimeStampedModel):
    """Section VII. The US ceiling, funding recorded under it, and partner-government contributions."""

    class Kind(models.TextChoices):
        CEILING = "ceiling", _("United States ceiling")
        FUNDING = "funding", _("Funding under the ceiling")
        IN_KIND = "in_kind", _("Contribution in kind")
        FINANCIAL = "financial", _("Financial contribution")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="commitments")
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="commitments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD", validators=[validate_currency])
    subject_to_availability_of_funds = models.BooleanField(
        _("subject to the availability of funds"), default=False
    )
    ceiling = models.ForeignKey(
        "self",
        verbose_name=_("under the ceiling"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments_under",
        limit_choices_to={"kind": "ceiling"},
    )
    recorded_on = models.DateField(_("date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "kind", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.UniqueConstraint(
                fields=["compact"], condition=Q(kind="ceiling"), name="one_us_ceiling_per_compact"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()}: {self.amount or ''} {self.currency if self.amount else ''}".strip()
        )

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.currency and self.currency != self.currency.upper():
            errors.setdefault("currency", []).append(
                _("Write the currency code in capital letters, for example USD or XOF.")
            )
        party_kind = self.party.kind if self.party_id else None
        if self.party_id and self.compact_id and self.party.compact_id != self.compact_id:
            errors.setdefault("party", []).append(_("This party belongs to another compact."))
        if self.kind in (self.Kind.CEILING, self.Kind.FUNDING, self.Kind.FINANCIAL) and self.amount is None:
            errors.setdefault("amount", []).append(_("Give the amount of this commitment."))
        if self.kind in (self.Kind.CEILING, self.Kind.FUNDING):
            if party_kind and party_kind != Party.Kind.UNITED_STATES:
                errors.setdefault("party", []).append(
                    _("The ceiling and the funding under it are commitments of the United States.")
                )
            if self.currency != "USD":
                errors.setdefault("currency", []).append(
                    _("The United States ceiling is expressed in US dollars.")
                )
        if self.kind == self.Kind.FUNDING:
            if not self.ceiling_id:
                errors.setdefault("ceiling", []).append(
                    _("Funding is recorded under the United States ceiling.")
                )
            elif self.ceiling.compact_id != self.compact_id or self.ceiling.kind != self.Kind.CEILING:  # type: ignore[union-attr]
                errors.setdefault("ceiling", []).append(_("Choose the ceiling of this compact."))
        elif self.ceiling_id:
            errors.setdefault("ceiling", []).append(_("Only funding is recorded under the ceiling."))
        if errors:
            raise ValidationError(errors)


class FocalPoint(VisibilityMixin, TimeStampedModel):
    """Section VIII: each party designates focal points for written communications."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="focal_points")
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="focal_points"
    )
    name = models.CharField(
        _("focal point"), max_length=400, help_text=_("Office or body, as written in the compact.")
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    office = models.CharField(_("office"), max_length=300, blank=True)
    phone = models.CharField(_("telephone"), max_length=200, blank=True, validators=[phone_validator])
    fax = models.CharField(_("fax"), max_length=100, blank=True, validators=[phone_validator])
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("current"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "party__kind", "order", "id"]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.party_id and self.compact_id and self.party.compact_id != self.compact_id:
            raise ValidationError({"party": _("This party belongs to another compact.")})
        if not (self.email or self.phone or self.address or self.website):
            raise ValidationError(
                _("Give at least one way to reach this focal point: e-mail, telephone, address or website.")
            )


class FocalPointChange(TimeStampedModel):
    """A change of focal point, to be notified in writing to the other focal points within 30 days."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="focal_point_changes")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey(
        FocalPoint,
        verbose_name=_("previous focal point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    new = models.ForeignKey(
        FocalPoint, verbose_name=_("new focal point"), on_delete=models.PROTECT, related_name="replaces"
    )
    changed_on = models.DateField(_("date of the change"))
    notified_on = models.DateField(
        _("other parties notified on"),
        null=True,
        blank=True,
        help_text=_("Date of the written notice to the other focal points."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["compact", "-changed_on"]
        verbose_name = _("change of focal point")
        verbose_name_plural = _("changes of focal point")

    def __str__(self) -> str:
        return f"{self.changed_on}: {self.new}"

    @property
    def notice_deadline(self) -> dt.date:
        return self.changed_on + dt.timedelta(days=FOCAL_POINT_NOTICE_DAYS)

    @property
    def notification_late(self) -> bool:
        """Flagged when the notice came, or is still missing, more than 30 days after the change."""
        return self.is_notification_late(timezone.localdate())

    def is_notification_late(self, today: dt.date) -> bool:
        """The rule behind ``notification_late``, for a given ``today``: a notice dated on day 30 after
        the change is on time, on day 31 late; a missing notice becomes late on day 31."""
        if self.notified_on is not None:
            return self.notified_on > self.notice_deadline
        return today > self.notice_deadline

    def clean(self) -> None:
        if self.notified_on and self.changed_on and self.notified_on < self.changed_on:
            raise ValidationError(
                {"notified_on": _("The other parties cannot be notified before the change.")}
            )


class Amendment(VisibilityMixin, TimeStampedModel):
    """Section IX: amendments at the written request of one party, after three months' notice;
    extensions beyond the term by mutual written decision of the parties."""

    class Kind(models.TextChoices):
        AMENDMENT = "amendment", _("Amendment")
        EXTENSION = "extension", _("Extension")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="amendments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    requested_by = models.ForeignKey(
        Party,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    request_date = models.DateField(_("date of the written request"), null=True, blank=True)
    request_reference = models.CharField(
        _("reference of the written request"),
        max_length=300,
        blank=True,
        help_text=_("Letter or note reference, so that the written request can be found."),
    )
    decision_date = models.DateField(_("date of the mutual written decision"), null=True, blank=True)
    decision_reference = models.CharField(
        _("reference of the mutual written decision"), max_length=300, blank=True
    )
    effective_date = models.DateField(_("takes effect on"))
    new_end_date = models.DateField(_("new end of term"), null=True, blank=True)
    previous_end_date = models.DateField(_("previous end of term"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["compact", "effective_date", "id"]
        verbose_name = _("amendment or extension")
        verbose_name_plural = _("amendments and extensions")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.requested_by_id and self.compact_id and self.requested_by.compact_id != self.compact_id:  # type: ignore[union-attr]
            errors.setdefault("requested_by", []).append(_("This party belongs to another compact."))
        if self.kind == self.Kind.AMENDMENT:
            if not self.requested_by_id:
                errors.setdefault("requested_by", []).append(
                    _("An amendment needs a written request by one party.")
                )
            if not self.request_date:
                errors.setdefault("request_date", []).append(_("Give the date of the written request."))
            if not self.request_reference:
                errors.setdefault("request_reference", []).append(
                    _("Give the reference of the written request.")
                )
            if self.request_date and self.effective_date:
                earliest = earliest_amendment_effect(self.request_date)
                if self.effective_date < earliest:
                    errors.setdefault("effective_date", []).append(
                        _(
                            "An amendment takes effect no earlier than three months after the written "
                            "request: on %(date)s at the earliest."
                        )
                        % {"date": date_format(earliest, "SHORT_DATE_FORMAT")}
                    )
            if self.new_end_date:
                errors.setdefault("new_end_date", []).append(
                    _("A new end of term is recorded as an extension, by mutual written decision.")
                )
        if self.kind == self.Kind.EXTENSION:
            if not self.decision_date:
                errors.setdefault("decision_date", []).append(
                    _("An extension needs a mutual written decision of the parties: give its date.")
                )
            if not self.decision_reference:
                errors.setdefault("decision_reference", []).append(
                    _("Give the reference of the mutual written decision.")
                )
            if not self.new_end_date:
                errors.setdefault("new_end_date", []).append(_("Give the new end of term."))
            if self.decision_date and self.effective_date and self.effective_date < self.decision_date:
                errors.setdefault("effective_date", []).append(
                    _("An extension cannot take effect before it is decided.")
                )
        if errors:
            raise ValidationError(errors)


class MonitoringCommittee(TimeStampedModel):
    """Section V.D: set up at signature, with representatives of both parties and of the
    implementing partners."""

    compact = models.OneToOneField(Compact, on_delete=models.CASCADE, related_name="monitoring_committee")
    established_on = models.DateField(_("established on"), null=True, blank=True)
    mandate = models.TextField(_("mandate"), blank=True)

    class Meta:
        verbose_name = _("monitoring and evaluation committee")
        verbose_name_plural = _("monitoring and evaluation committees")

    def __str__(self) -> str:
        return str(_("Monitoring and evaluation committee"))


class CommitteeMember(TimeStampedModel):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        SECRETARY = "secretary", _("Secretary")
        MEMBER = "member", _("Member")

    committee = models.ForeignKey(MonitoringCommittee, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        Party,
        verbose_name=_("representing the party"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty for a representative of an implementing partner."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    since = models.DateField(_("member since"), null=True, blank=True)

    class Meta:
        ordering = ["committee", "role", "name"]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")

    def __str__(self) -> str:
        return self.name


class Meeting(VisibilityMixin, TimeStampedModel):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual meeting")
        COMMITTEE = "committee", _("Monitoring committee meeting")
        OTHER = "other", _("Other meeting")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ANNUAL)
    date = models.DateField(_("date"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    achievements = models.TextField(_("achievements presented"), blank=True)
    difficulties = models.TextField(_("difficulties noted"), blank=True)
    next_year_plan = models.TextField(_("activities planned for the next year"), blank=True)
    validated_activities = models.ManyToManyField(
        Activity, verbose_name=_("activities validated for the next year"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["compact", "-date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.date}"

    @property
    def is_upcoming(self) -> bool:
        return self.date >= timezone.localdate()

    def clean(self) -> None:
        if self.kind == self.Kind.ANNUAL and self.compact_id and self.date:
            start = self.compact.start_date
            if start and self.date < start + relativedelta(years=1):
                raise ValidationError(
                    {
                        "date": _(
                            "Annual meetings start one year after entry into force: on %(date)s at the "
                            "earliest."
                        )
                        % {"date": date_format(start + relativedelta(years=1), "SHORT_DATE_FORMAT")}
                    }
                )


class Communication(VisibilityMixin, TimeStampedModel):
    """Section VIII: written communications between the focal points."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="communications")
    sent_on = models.DateField(_("date"))
    sender = models.ForeignKey(
        FocalPoint, verbose_name=_("from"), on_delete=models.PROTECT, related_name="communications_sent"
    )
    recipients = models.ManyToManyField(
        FocalPoint, verbose_name=_("to"), related_name="communications_received"
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("summary"), blank=True)
    attachment = models.FileField(
        _("attachment"),
        upload_to=attachment_path,
        blank=True,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_file_size],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["compact", "-sent_on", "-id"]
        verbose_name = _("communication")
        verbose_name_plural = _("communications")

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if self.sender_id and self.compact_id and self.sender.compact_id != self.compact_id:
            raise ValidationError({"sender": _("This focal point belongs to another compact.")})


class Document(VisibilityMixin, TimeStampedModel):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Signed agreement")
        AMENDMENT = "amendment", _("Amendment")
        REPORT = "report", _("Report")
        MINUTES = "minutes", _("Minutes")
        OTHER = "other", _("Other")

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(
        _("file"),
        upload_to=attachment_path,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_file_size],
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["compact", "-created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title
