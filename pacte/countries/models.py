"""The country evidence base and the selection of candidate countries (seed 000, fact sheet).

Every figure keeps its source, edition, reference year and the date it became public
(``published_on``): a selection run "as of" a date uses only what was public on that date, so that a
past selection can be reproduced exactly. A missing year is never filled silently: the profile shows
it as missing, and a selection model states its missing-data policy.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pacte.accounts.models import validate_country_code
from pacte.core.models import TimeStampedModel

FIRST_YEAR = 1970
LAST_YEAR = 2100


class Country(models.Model):
    """A country or territory, keyed by its ISO 3166-1 alpha-3 code."""

    iso3 = models.CharField(
        _("ISO 3166-1 alpha-3 code"), max_length=3, unique=True, validators=[validate_country_code]
    )
    iso2 = models.CharField(_("ISO 3166-1 alpha-2 code"), max_length=2, blank=True)
    name = models.CharField(_("name"), max_length=200, help_text=_("English short name (ISO 3166)."))
    name_fr = models.CharField(_("French name"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "fr").startswith("fr") and self.name_fr:
            return self.name_fr
        return self.name


class CountryAlias(models.Model):
    """A spelling found in source files ("Cote D'Ivoire", "Burma", "Korea, South") for a country.

    ``normalised`` is the matching key: case-folded, accents removed, punctuation and spaces collapsed
    (see ``pacte.countries.matching.normalise``)."""

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(_("spelling"), max_length=200)
    normalised = models.CharField(max_length=200, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["alias"]
        verbose_name = _("country alias")
        verbose_name_plural = _("country aliases")

    def __str__(self) -> str:
        return f"{self.alias} → {self.country.iso3}"


class Source(TimeStampedModel):
    """A publisher's data set, with the rule that says when a given year's figure became public."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=200)
    url = models.URLField(_("address"), blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    provenance = models.TextField(
        _("provenance"), blank=True, help_text=_("Files, commits and known quality problems.")
    )
    # A figure for year Y is public from (Y + lag) - month - day, unless the row gives its own date.
    publication_lag_years = models.PositiveSmallIntegerField(_("publication lag (years)"), default=1)
    publication_month = models.PositiveSmallIntegerField(
        _("publication month"), default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    publication_day = models.PositiveSmallIntegerField(
        _("publication day"), default=31, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    publication_rule = models.CharField(
        _("publication rule"),
        max_length=300,
        blank=True,
        help_text=_("In words, for example: the report of year Y is published in June of year Y."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self) -> str:
        return self.name

    def published_on(self, year: int) -> dt.date:
        """When the figure for ``year`` became public, by this source's rule."""
        target_year = year + self.publication_lag_years
        day = self.publication_day
        while True:
            try:
                return dt.date(target_year, self.publication_month, day)
            except ValueError:  # 31 June → 30 June
                day -= 1


class Metric(TimeStampedModel):
    """A criterion measured by a source: TIP tier, CPI score, Freedom House ratings, income group…"""

    class Kind(models.TextChoices):
        NUMERIC = "numeric", _("Number")
        ORDINAL = "ordinal", _("Ordered categories")
        CATEGORICAL = "categorical", _("Categories")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="metrics"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NUMERIC)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    minimum = models.FloatField(_("smallest possible value"), null=True, blank=True)
    maximum = models.FloatField(_("largest possible value"), null=True, blank=True)
    # For ordinal and categorical metrics: [{"label": "Tier 1", "value": 1}, …], in order. An ordinal
    # category whose value is null (e.g. "Special Case") is recorded but cannot be ranked.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    higher_is_better = models.BooleanField(
        _("higher is better"), default=True, help_text=_("Default direction in a selection model.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_fr if (get_language() or "fr").startswith("fr") and self.name_fr else self.name

    def value_for_label(self, label: str) -> float | None:
        """The numeric value of a category label (case-insensitive), or raise ValidationError."""
        wanted = label.strip().casefold()
        for category in self.categories:
            names = [category["label"], *category.get("aliases", [])]
            if any(wanted == n.casefold() for n in names):
                return category["value"]
        raise ValidationError(
            _("“%(label)s” is not a category of %(metric)s."), params={"label": label, "metric": self.name}
        )


class ImportBatch(TimeStampedModel):
    """One import: a shipped data file or an uploaded edition. All its rows are saved, or none."""

    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("Data file shipped with Pacte")
        UPLOAD = "upload", _("File uploaded by a user")
        MANUAL = "manual", _("Entered by hand")

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="imports"
    )
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("rows saved"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.source} – {self.file_name or self.get_origin_display()}"


class Observation(models.Model):
    """One figure: a metric's value for a country and year, from one edition of its source."""

    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="observations")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="observations")
    year = models.PositiveSmallIntegerField(
        _("year"),
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
        help_text=_("The year the figure refers to (for the TIP report: the report year)."),
    )
    edition = models.CharField(
        _("edition"),
        max_length=100,
        help_text=_("Edition of the source, e.g. “TIP Report 2015”, “CPI 2023”."),
    )
    value = models.FloatField(_("value"), null=True, blank=True)
    label = models.CharField(
        _("category"), max_length=100, blank=True, help_text=_("For categories, as published.")
    )
    published_on = models.DateField(
        _("public from"),
        help_text=_("Date the figure became public; “as of” selections use only earlier ones."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="observations",
    )

    class Meta:
        ordering = ["metric", "country", "year"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "country", "year", "edition"], name="one_value_per_edition"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(label=""), name="observation_has_a_value_or_label"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "published_on"]),
            models.Index(fields=["country", "metric", "year"]),
        ]

    def __str__(self) -> str:
        shown = self.label or self.value
        return f"{self.metric.code} {self.country_id} {self.year}: {shown}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        metric = self.metric if self.metric_id else None
        if metric is not None and self.value is not None:
            if metric.minimum is not None and self.value < metric.minimum:
                errors.setdefault("value", []).append(
                    _("%(value)s is below the smallest possible value, %(min)s.")
                    % {"value": self.value, "min": metric.minimum}
                )
            if metric.maximum is not None and self.value > metric.maximum:
                errors.setdefault("value", []).append(
                    _("%(value)s is above the largest possible value, %(max)s.")
                    % {"value": self.value, "max": metric.maximum}
                )
        if self.value is None and not self.label:
            errors.setdefault("value", []).append(_("Give a value."))
        if errors:
            raise ValidationError(errors)


class QualitativeCriterion(models.TextChoices):
    """Criteria of the fact sheet that no data set holds; rated by staff with a written justification."""

    POLITICAL_WILL = "political_will", _("Political will")
    PARTNERSHIP_COMMITMENT = "partnership_commitment", _("Commitment to partnership and to monitoring")
    RELATED_US_PROGRAMMES = "related_us_programmes", _("Related US Government programmes")
    RESTRICTIONS_ON_ASSISTANCE = "restrictions_on_assistance", _("Legal, policy and fiscal restrictions")


class QualitativeRating(TimeStampedModel):
    """A dated rating from 1 (weakest case for a compact) to 5 (strongest), with its justification.

    For restrictions on assistance, 1 means severe restrictions and 5 none."""

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.PROTECT, related_name="ratings"
    )
    criterion = models.CharField(_("criterion"), max_length=40, choices=QualitativeCriterion.choices)
    score = models.PositiveSmallIntegerField(
        _("rating"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("From 1 (weak) to 5 (strong)."),
    )
    rated_on = models.DateField(_("date of the rating"))
    justification = models.TextField(_("justification"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["country", "criterion", "-rated_on", "-id"]
        verbose_name = _("qualitative rating")
        verbose_name_plural = _("qualitative ratings")
        indexes = [models.Index(fields=["criterion", "rated_on"])]

    def __str__(self) -> str:
        return f"{self.country_id} {self.get_criterion_display()} {self.score} ({self.rated_on})"

    def clean(self) -> None:
        if self.justification is not None and len(self.justification.strip()) < 20:
            raise ValidationError(
                {"justification": _("Explain the rating in a few sentences (20 characters at least).")}
            )


class SelectionModel(TimeStampedModel):
    """A transparent, weighted model for ranking candidate countries."""

    class MissingPolicy(models.TextChoices):
        EXCLUDE = "exclude", _("Exclude a country that lacks a value")
        IMPUTE_MEDIAN = "impute_median", _("Impute the median of the other countries, and flag it")
        IMPUTE_WORST = "impute_worst", _("Impute the worst value of the other countries, and flag it")

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    missing_policy = models.CharField(
        _("missing data"), max_length=20, choices=MissingPolicy.choices, default=MissingPolicy.EXCLUDE
    )
    max_age_years = models.PositiveSmallIntegerField(
        _("oldest usable figure (years)"),
        default=5,
        help_text=_(
            "A figure whose year is older than this, counted back from the “as of” date, counts as missing."
        ),
    )
    # Hard filters.
    income_groups = models.JSONField(
        _("income groups kept"),
        default=list,
        blank=True,
        help_text=_("World Bank income groups a country must be in; empty keeps all."),
    )
    exclude_tier_1 = models.BooleanField(_("exclude Tier 1 countries"), default=True)
    exclude_restricted = models.BooleanField(
        _("exclude countries rated 1 for restrictions on assistance"), default=True
    )
    top_n = models.PositiveSmallIntegerField(
        _("size of the shortlist"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("The sensitivity analysis gives each country's probability of being in this top N."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("selection model")
        verbose_name_plural = _("selection models")

    def __str__(self) -> str:
        return self.name


class ModelCriterion(models.Model):
    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Normalisation(models.TextChoices):
        MIN_MAX = "min_max", _("Rescale from 0 (worst) to 1 (best)")
        Z_SCORE = "z_score", _("Standard score (z)")
        RANK = "rank", _("Percentile rank")

    model = models.ForeignKey(SelectionModel, on_delete=models.CASCADE, related_name="criteria")
    metric = models.ForeignKey(
        Metric, verbose_name=_("indicator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    qualitative = models.CharField(
        _("qualitative criterion"), max_length=40, choices=QualitativeCriterion.choices, blank=True
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    normalisation = models.CharField(
        _("normalisation"), max_length=10, choices=Normalisation.choices, default=Normalisation.MIN_MAX
    )
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["model", "order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=(Q(metric__isnull=False) & Q(qualitative=""))
                | (Q(metric__isnull=True) & ~Q(qualitative="")),
                name="criterion_is_a_metric_or_a_qualitative_rating",
            )
        ]

    def __str__(self) -> str:
        return str(self.metric) if self.metric_id else self.get_qualitative_display()

    @property
    def key(self) -> str:
        return f"metric:{self.metric.code}" if self.metric is not None else f"rating:{self.qualitative}"

    def clean(self) -> None:
        if bool(self.metric_id) == bool(self.qualitative):
            raise ValidationError(_("Choose either an indicator or a qualitative criterion."))
        if self.metric is not None and self.metric.kind == Metric.Kind.CATEGORICAL:
            raise ValidationError(
                {"metric": _("Categories without an order cannot be ranked; use them as a filter.")}
            )


class SelectionRun(TimeStampedModel):
    """A ranking computed "as of" a date, saved with a copy of the model and every input it used, so that
    it reopens with identical results even after the model or the data change."""

    model = models.ForeignKey(
        SelectionModel,
        verbose_name=_("selection model"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    title = models.CharField(_("title"), max_length=200)
    as_of = models.DateField(_("as of"))
    seed = models.PositiveIntegerField(_("random seed"), default=2022)
    draws = models.PositiveIntegerField(_("sensitivity draws"), default=10_000)
    model_snapshot = models.JSONField(_("model used"), default=dict)
    inputs = models.JSONField(_("inputs used"), default=dict)
    results = models.JSONField(_("results"), default=dict)
    sensitivity = models.JSONField(_("sensitivity analysis"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("selection run")
        verbose_name_plural = _("selection runs")

    def __str__(self) -> str:
        return f"{self.title} ({self.as_of})"
