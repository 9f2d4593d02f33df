"""Demo results for the Côte d'Ivoire compact (``manage.py load_demo``, after the compact registry).

Everything here is **demonstration data**: the figures, the targets and the texts are invented,
plausible and small, and every submission and narrative section is stored with ``is_demo=True`` so
that the pages and the reports say so. The indicators are the real ones of Annex A
(``pacte.compacts.demo.OBJECTIVES``); the protection pillar has none (a page of the scanned original
was lost) and stays a gap. One monitoring and evaluation indicator (section VI: set by the monitoring
committee), a percentage, is added to the prevention objective.

Everything is written through ``pacte.results.services`` by the demo users, so that the rules apply:
the monitoring committee member defines the indicators and reviews the values; the implementing
partner (« ONG Démo Enfance ») and the government focal point (CNS) report their own; the programme
officer reports on behalf of the international organisation, which has no demo user.

Idempotent: a definition, a submission (indicator, organisation, period), a narrative section or the
annual report that exists is left as it is. ``load(stdout)`` prints one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation, User
from pacte.compacts import demo as compact_demo
from pacte.compacts import services as compact_services
from pacte.compacts.models import Compact, Indicator, Meeting, Objective
from pacte.core.models import Visibility

from . import services
from .models import AnnualReport, DisaggregationCategory, IndicatorDefinition, NarrativeSection, Submission
from .services import ValueInput

# -- who does what ----------------------------------------------------------------------------------
DEFINER = "committee"  # monitoring committee member (CIM): defines indicators and targets
REVIEWER = "committee"  # …and reviews the values (never those of their own organisation)
LOCKER = "committee"
# Organisation key (compacts.demo.ORGANISATIONS) -> the demo user who reports for it. The programme
# officer reports on behalf of the international organisation (no demo user of its own).
REPORTER_USERS = {"ngo_demo": "partner", "cns": "focal", "io_demo": "officer"}

BASELINE_YEAR = 2022
TARGET_YEARS = (2023, 2024, 2025, 2026, 2027)
REPORT_YEAR = 2024
LOCKED_PERIODS = ("2023",)  # locking a year also locks its quarters
DEMO_SOURCE = "Données de démonstration – chiffres fictifs"

# Shares used to split a total into disaggregated parts (largest remainder: the parts add up).
SEX = {"female": 52, "male": 48}
AGE = {"under-18": 64, "18-and-over": 36}
REGIONS = {"abidjan": 40, "gbeke": 22, "poro": 20, "san-pedro": 18}
FORMS = {"forced-labor": 70, "sexual-exploitation": 22, "other-form": 8}
DIMENSION_SHARES = {"sex": SEX, "age": AGE, "region": REGIONS, "trafficking_form": FORMS}

# Status of each reported period: approved (counts), submitted (pending review), returned (with the
# reviewer's comment), draft (not yet sent).
APPROVED, SUBMITTED, RETURNED, DRAFT = "approved", "submitted", "returned", "draft"


@dataclass(frozen=True)
class Report:
    """One organisation's figure for one period. ``total`` is a number, or (numerator, denominator)
    for a percentage; the parts are split from it by ``DIMENSION_SHARES``. ``mismatch`` is added to
    the first region's part, so that the regions no longer add up to the total (a flagged gap)."""

    period: str
    total: int | tuple[int, int]
    status: str = APPROVED
    comment: str = ""
    review_comment: str = ""
    mismatch: int = 0


@dataclass(frozen=True)
class IndicatorSpec:
    pillar: str
    name: str
    unit: str
    targets: Mapping[int, Decimal | int]
    reporters: Mapping[str, Sequence[Report]]  # organisation key -> its reports
    dimensions: Sequence[str] = ()
    unit_label: str = ""
    numerator_label: str = ""
    denominator_label: str = ""
    cumulation: str = "per_period"
    frequency: str = "annual"
    baseline: int | tuple[int, int] | None = None
    baseline_source: str = DEMO_SOURCE
    notes: str = ""
    monitoring: bool = False  # a monitoring and evaluation indicator added by the committee
    extra: dict[str, Any] = field(default_factory=dict)


def _annex(pillar_index: int, number: int) -> str:
    """The name of an Annex A indicator, exactly as in ``pacte.compacts.demo``."""
    return str(compact_demo.OBJECTIVES[pillar_index]["indicators"][number - 1])


def _periods(values: Mapping[str, int], pending: Sequence[str] = ()) -> list[Report]:
    """Approved reports, except those of the ``pending`` periods (submitted, awaiting review)."""
    return [
        Report(period, total, SUBMITTED if period in pending else APPROVED)
        for period, total in values.items()
    ]


SUSTAINABILITY_NAME = _annex(3, 2)  # « Adoption du plan de pérennisation des actions du Partenariat CPC »

INDICATORS: list[IndicatorSpec] = [
    # -- prevention (Annex A, l. 265–268) --------------------------------------------------------------
    IndicatorSpec(
        pillar="prevention",
        name=_annex(0, 1),
        unit="count",
        unit_label="campagnes",
        baseline=4,
        targets={2023: 8, 2024: 10, 2025: 12, 2026: 12, 2027: 10},
        dimensions=("region",),
        reporters={
            "ngo_demo": [Report("2023", 5), Report("2024", 6), Report("2025", 7, SUBMITTED)],
            "io_demo": [Report("2023", 3), Report("2024", 4), Report("2025", 4, SUBMITTED)],
        },
    ),
    IndicatorSpec(
        pillar="prevention",
        name=_annex(0, 2),
        unit="count",
        unit_label="personnes",
        baseline=12500,
        targets={2023: 20000, 2024: 25000, 2025: 30000, 2026: 30000, 2027: 30000},
        dimensions=("sex", "age", "region"),
        reporters={
            "ngo_demo": [
                Report("2023", 9840),
                Report("2024", 12460),
                Report(
                    "2025",
                    14200,
                    RETURNED,
                    comment="Campagnes radio et causeries communautaires.",
                    review_comment=(
                        "La ventilation par région ne correspond pas au total (écart de 350) : merci de "
                        "corriger avant de soumettre à nouveau."
                    ),
                    mismatch=350,
                ),
            ],
            "io_demo": [Report("2023", 7310), Report("2024", 13020), Report("2025", 13900, SUBMITTED)],
        },
    ),
    IndicatorSpec(
        pillar="prevention",
        name=_annex(0, 3),
        unit="count",
        unit_label="personnes formées",
        baseline=120,
        targets={2023: 250, 2024: 350, 2025: 400, 2026: 400, 2027: 300},
        dimensions=("sex",),
        reporters={
            "io_demo": [Report("2023", 236), Report("2024", 371), Report("2025", 298, DRAFT)],
        },
    ),
    IndicatorSpec(
        pillar="prevention",
        name=_annex(0, 4),
        unit="count",
        unit_label="familles",
        cumulation="running_total",
        baseline=0,
        targets={2023: 150, 2024: 350, 2025: 600, 2026: 800, 2027: 1000},
        dimensions=("region",),
        notes="Total cumulé depuis le début du partenariat : chaque valeur inclut les années précédentes.",
        reporters={
            "ngo_demo": [Report("2023", 164), Report("2024", 342), Report("2025", 517, SUBMITTED)],
        },
    ),
    IndicatorSpec(
        pillar="prevention",
        name=(
            "Proportion des personnes formées ayant réussi l'évaluation de fin de formation "
            "(indicateur de suivi, démonstration)"
        ),
        monitoring=True,
        unit="percentage",
        numerator_label="Personnes formées ayant réussi l'évaluation",
        denominator_label="Personnes formées évaluées",
        baseline=(54, 90),
        targets={2023: 70, 2024: 75, 2025: 80, 2026: 80, 2027: 80},
        dimensions=("sex",),
        reporters={
            "ngo_demo": [
                Report("2023", (30, 40)),
                Report("2024", (55, 80)),
                Report("2025", (60, 75), SUBMITTED),
            ],
            "io_demo": [Report("2023", (150, 196)), Report("2024", (210, 291))],
        },
    ),
    # -- prosecution (Annex A, l. 319–325) ------------------------------------------------------------
    # Percentage change: the reporting organisation gives the number of cases; Pacte computes the
    # change from the 2022 baseline. Targets are percentage increases.
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 1),
        unit="percent_change",
        unit_label="enquêtes ouvertes",
        baseline=48,
        targets={2023: 15, 2024: 30, 2025: 45, 2026: 60, 2027: 75},
        dimensions=("trafficking_form",),
        reporters={"cns": [Report("2023", 57), Report("2024", 66), Report("2025", 71, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 2),
        unit="percent_change",
        unit_label="poursuites engagées",
        baseline=21,
        targets={2023: 15, 2024: 30, 2025: 50, 2026: 70, 2027: 90},
        dimensions=("trafficking_form",),
        reporters={"cns": [Report("2023", 23), Report("2024", 31), Report("2025", 30, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 3),
        unit="percent_change",
        unit_label="condamnations prononcées",
        # No conviction recorded in the baseline year: the change is « n/a », the absolute change shown.
        baseline=0,
        baseline_source="Aucune condamnation enregistrée en 2022 (données de démonstration)",
        targets={2023: 10, 2024: 20, 2025: 30, 2026: 40, 2027: 50},
        dimensions=("trafficking_form",),
        reporters={"cns": [Report("2023", 4), Report("2024", 9), Report("2025", 11, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 4),
        unit="count",
        unit_label="mesures",
        baseline=0,
        targets={2023: 1, 2024: 2, 2025: 2, 2026: 1, 2027: 1},
        reporters={"io_demo": [Report("2023", 1), Report("2024", 2), Report("2025", 1, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 5),
        unit="count",
        unit_label="procédures",
        baseline=0,
        targets={2023: 1, 2024: 1, 2025: 2, 2026: 1, 2027: 1},
        reporters={"io_demo": [Report("2023", 0), Report("2024", 2)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 6),
        unit="count",
        unit_label="processus",
        baseline=0,
        targets={2023: 1, 2024: 1, 2025: 1, 2026: 1, 2027: 1},
        reporters={"cns": [Report("2023", 1), Report("2024", 1)]},
    ),
    IndicatorSpec(
        pillar="prosecution",
        name=_annex(2, 7),
        unit="count",
        unit_label="opérations",
        frequency="quarterly",
        baseline=6,
        targets={2023: 10, 2024: 12, 2025: 14, 2026: 14, 2027: 14},
        dimensions=("region",),
        reporters={
            "cns": _periods(
                {
                    "2023Q1": 2,
                    "2023Q2": 3,
                    "2023Q3": 2,
                    "2023Q4": 4,
                    "2024Q1": 3,
                    "2024Q2": 3,
                    "2024Q3": 4,
                    "2024Q4": 3,
                    "2025Q1": 4,
                    "2025Q2": 3,
                },
                pending=("2025Q2",),
            )
        },
    ),
    # -- partnership (Annex A, l. 347–350) ------------------------------------------------------------
    IndicatorSpec(
        pillar="partnership",
        name=_annex(3, 1),
        unit="count",
        unit_label="réunions",
        baseline=0,
        targets={2023: 4, 2024: 4, 2025: 4, 2026: 4, 2027: 4},
        reporters={"ngo_demo": [Report("2023", 3), Report("2024", 4), Report("2025", 4, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="partnership",
        name=SUSTAINABILITY_NAME,
        unit="milestone",
        cumulation="latest",
        baseline=0,
        targets={2025: 1, 2026: 1, 2027: 1},
        notes="1 = plan adopté par les Parties ; 0 = pas encore adopté.",
        reporters={"cns": [Report("2023", 0), Report("2024", 0), Report("2025", 1, SUBMITTED)]},
    ),
    IndicatorSpec(
        pillar="partnership",
        name=_annex(3, 3),
        unit="count",
        unit_label="mesures",
        baseline=1,
        targets={2023: 2, 2024: 2, 2025: 3, 2026: 3, 2027: 3},
        reporters={"cns": [Report("2023", 2), Report("2024", 3)]},
    ),
    IndicatorSpec(
        pillar="partnership",
        name=_annex(3, 4),
        unit="count",
        unit_label="méthodes",
        baseline=0,
        targets={2023: 1, 2024: 2, 2025: 2, 2026: 1, 2027: 1},
        reporters={
            "cns": [Report("2023", 1), Report("2024", 1)],
            "io_demo": [Report("2024", 1), Report("2025", 1, SUBMITTED)],
        },
    ),
]

# -- narrative sections of the 2024 annual report (section V.B) ----------------------------------------
# (kind, pillar of the objective or None, organisation key, text)
NARRATIVES: list[tuple[str, str | None, str, str]] = [
    (
        "progress",
        "prevention",
        "ngo_demo",
        "En 2024, six campagnes de sensibilisation ont été menées dans les régions du Gbêkê, du Poro et "
        "de San-Pédro, en lien avec les comités de protection de l'enfance. Les causeries "
        "communautaires et les émissions de radio de proximité ont touché plus de 12 000 personnes.",
    ),
    (
        "progress",
        "prevention",
        "io_demo",
        "Les séminaires de formation des acteurs (policiers, travailleurs sociaux, inspecteurs du "
        "travail) ont réuni 371 participants ; le module sur le mécanisme national de référencement "
        "est désormais intégré au programme de formation continue.",
    ),
    (
        "progress",
        "protection",
        "cns",
        "Les centres sociaux appuyés ont accueilli des enfants victimes référés par la police et les "
        "ONG. Aucun indicateur de protection n'est encore défini : le comité de suivi doit en adopter "
        "en 2025.",
    ),
    (
        "progress",
        "prosecution",
        "cns",
        "Le nombre d'enquêtes ouvertes pour traite d'enfants est passé de 48 en 2022 à 66 en 2024, et "
        "neuf condamnations ont été prononcées. Deux procédures opérationnelles permanentes ont été "
        "institutionnalisées.",
    ),
    (
        "progress",
        "partnership",
        "cns",
        "Le comité de coordination des OSC s'est réuni quatre fois. Le projet de plan de pérennisation "
        "a été rédigé ; son adoption est prévue en 2025.",
    ),
    (
        "difficulties",
        None,
        "ngo_demo",
        "Retards de décaissement au premier trimestre ; accès difficile à certaines zones rurales "
        "pendant la saison des pluies.",
    ),
    (
        "difficulties",
        None,
        "cns",
        "Les données judiciaires restent dispersées entre juridictions, ce qui retarde leur consolidation.",
    ),
    (
        "recommendations",
        None,
        "cns",
        "Appuyer le système national de collecte de données sur la traite des enfants et étendre les "
        "unités spécialisées de la police en dehors d'Abidjan.",
    ),
    (
        "sustainability",
        None,
        "cns",
        "Les modules de formation sont repris par les écoles nationales de formation ; le plan de "
        "pérennisation sera présenté à la rencontre annuelle.",
    ),
    (
        "improvement",
        None,
        "ngo_demo",
        "Harmoniser les fiches de collecte des campagnes pour ventiler systématiquement par âge et par sexe.",
    ),
]


# -- loading ----------------------------------------------------------------------------------------
def find_demo_compact() -> Compact | None:
    """The demo compact, identified like ``load_demo`` does: by its title and country."""
    return (
        Compact.objects.filter(title=compact_demo.TITLE, country=compact_demo.COUNTRY).order_by("pk").first()
    )


def split_parts(total: int, shares: Mapping[str, int]) -> dict[str, int]:
    """``total`` split by ``shares`` into integers that add up to it (largest remainder)."""
    weight = sum(shares.values())
    exact = {code: Decimal(total) * share / weight for code, share in shares.items()}
    parts = {code: int(value) for code, value in exact.items()}
    rest = total - sum(parts.values())
    for code in sorted(exact, key=lambda c: exact[c] - parts[c], reverse=True)[:rest]:
        parts[code] += 1
    return parts


def fit_numerators(numerators: dict[str, int], denominators: Mapping[str, int]) -> dict[str, int]:
    """Move any excess of a part's numerator over its denominator to parts that have room (the sum
    stays the same; possible whenever the total numerator does not exceed the total denominator)."""
    fitted = dict(numerators)
    for code in fitted:
        excess = fitted[code] - denominators[code]
        if excess <= 0:
            continue
        fitted[code] -= excess
        for other in fitted:
            room = denominators[other] - fitted[other]
            if room > 0 and excess:
                moved = min(room, excess)
                fitted[other] += moved
                excess -= moved
    return fitted


class Loader:
    def __init__(self, compact: Compact) -> None:
        self.compact = compact
        self.users = {u.username: u for u in User.objects.filter(username__in=self.usernames())}
        names = {spec["key"]: spec["name"] for spec in compact_demo.ORGANISATIONS}
        by_name = {o.name: o for o in Organisation.objects.filter(name__in=names.values())}
        self.orgs = {key: by_name[name] for key, name in names.items() if name in by_name}
        self.objectives = {o.pillar: o for o in compact.objectives.all()}
        self.created: dict[str, int] = {
            "definitions": 0,
            "submissions": 0,
            "narratives": 0,
            "reports": 0,
            "indicators": 0,
        }
        self.categories = {
            (c.dimension, c.code): c
            for c in DisaggregationCategory.objects.filter(country__in=("", compact.country))
        }

    @staticmethod
    def usernames() -> set[str]:
        return {DEFINER, REVIEWER, LOCKER, *REPORTER_USERS.values()}

    def user(self, username: str) -> User:
        try:
            return self.users[username]
        except KeyError:
            raise LookupError(f"the demo user {username!r} is missing: run load_demo") from None

    def load(self) -> None:
        for spec in INDICATORS:
            definition = self.definition(spec)
            for org_key, reports in spec.reporters.items():
                for report in reports:
                    self.submission(definition, spec, org_key, report)
        reviewer = self.user(LOCKER)
        for period in LOCKED_PERIODS:
            if Submission.objects.filter(
                compact=self.compact, year=int(period[:4]), status=Submission.Status.APPROVED, locked=False
            ).exists():
                services.lock_period(user=reviewer, compact=self.compact, period=period)
        for kind, pillar, org_key, text in NARRATIVES:
            self.narrative(kind, pillar, org_key, text)
        self.annual_report()

    # -- definitions -------------------------------------------------------------------------------
    def indicator(self, spec: IndicatorSpec) -> Indicator:
        objective: Objective = self.objectives[spec.pillar]
        found = Indicator.objects.filter(objective=objective, name=spec.name).order_by("pk").first()
        if found is not None:
            return found
        if not spec.monitoring:
            raise LookupError(f"the Annex A indicator {spec.name!r} is missing from the demo compact")
        self.created["indicators"] += 1
        # Recorded by the programme officer (the committee member may not edit the framework).
        indicator = compact_services.save_record(
            user=self.user("officer"),
            instance=Indicator(objective=objective),
            data={
                "name": spec.name,
                "level": Indicator.Level.MONITORING,
                "illustrative": False,
                "visibility": Visibility.PUBLIC,
            },
        )
        assert isinstance(indicator, Indicator)
        return indicator

    def definition(self, spec: IndicatorSpec) -> IndicatorDefinition:
        indicator = self.indicator(spec)
        existing = IndicatorDefinition.objects.filter(indicator=indicator).first()
        if existing is not None:
            return existing
        data: dict[str, Any] = {
            "unit": spec.unit,
            "unit_label": spec.unit_label,
            "numerator_label": spec.numerator_label,
            "denominator_label": spec.denominator_label,
            "direction": "increase",
            "cumulation": spec.cumulation,
            "frequency": spec.frequency,
            "baseline_year": BASELINE_YEAR,
            "baseline_source": spec.baseline_source,
            "notes": spec.notes,
        }
        if isinstance(spec.baseline, tuple):
            data["baseline_numerator"], data["baseline_denominator"] = map(Decimal, spec.baseline)
        elif spec.baseline is not None:
            data["baseline_value"] = Decimal(spec.baseline)
        definer = self.user(DEFINER)
        definition = services.define_indicator(
            user=definer,
            indicator=indicator,
            data=data,
            categories=[self.categories[key] for key in self.category_keys(spec)],
            reporters=[self.orgs[key] for key in spec.reporters],
        )
        services.set_targets(
            user=definer,
            definition=definition,
            targets={year: Decimal(value) for year, value in spec.targets.items()},
        )
        definition.refresh_from_db()
        self.created["definitions"] += 1
        return definition

    @staticmethod
    def category_keys(spec: IndicatorSpec) -> list[tuple[str, str]]:
        return [(dimension, code) for dimension in spec.dimensions for code in DIMENSION_SHARES[dimension]]

    # -- submissions -------------------------------------------------------------------------------
    def values(self, spec: IndicatorSpec, report: Report) -> list[ValueInput]:
        if isinstance(report.total, tuple):
            num, den = report.total
            items = [ValueInput(numerator=Decimal(num), denominator=Decimal(den))]
            for dimension in spec.dimensions:
                dens = split_parts(den, DIMENSION_SHARES[dimension])
                nums = fit_numerators(split_parts(num, DIMENSION_SHARES[dimension]), dens)
                items += [
                    ValueInput(
                        category=self.categories[(dimension, code)],
                        numerator=Decimal(nums[code]),
                        denominator=Decimal(dens[code]),
                    )
                    for code in DIMENSION_SHARES[dimension]
                ]
            return items
        items = [ValueInput(value=Decimal(report.total))]
        for dimension in spec.dimensions:
            parts = split_parts(report.total, DIMENSION_SHARES[dimension])
            if dimension == "region" and report.mismatch:
                first = next(iter(parts))
                parts[first] += report.mismatch
            items += [
                ValueInput(category=self.categories[(dimension, code)], value=Decimal(value))
                for code, value in parts.items()
            ]
        return items

    def submission(
        self, definition: IndicatorDefinition, spec: IndicatorSpec, org_key: str, report: Report
    ) -> None:
        organisation = self.orgs[org_key]
        if Submission.objects.filter(
            definition=definition, organisation=organisation, period=report.period
        ).exists():
            return
        reporter = self.user(REPORTER_USERS[org_key])
        submission = services.save_submission(
            user=reporter,
            definition=definition,
            period=report.period,
            values=self.values(spec, report),
            comment=report.comment,
            organisation=organisation,
            is_demo=True,
        )
        self.created["submissions"] += 1
        if report.status == DRAFT:
            return
        submission = services.submit(user=reporter, submission=submission)
        reviewer = self.user(REVIEWER)
        if report.status == APPROVED:
            services.approve(user=reviewer, submission=submission)
        elif report.status == RETURNED:
            services.return_submission(user=reviewer, submission=submission, comment=report.review_comment)

    # -- annual report -----------------------------------------------------------------------------
    def narrative(self, kind: str, pillar: str | None, org_key: str, text: str) -> None:
        organisation = self.orgs[org_key]
        objective = self.objectives[pillar] if pillar else None
        if NarrativeSection.objects.filter(
            compact=self.compact,
            year=REPORT_YEAR,
            organisation=organisation,
            kind=kind,
            objective=objective,
        ).exists():
            return
        services.save_narrative(
            user=self.user(REPORTER_USERS[org_key]),
            compact=self.compact,
            year=REPORT_YEAR,
            kind=kind,
            text=text,
            objective=objective,
            organisation=organisation,
            is_demo=True,
        )
        self.created["narratives"] += 1

    def annual_report(self) -> None:
        if AnnualReport.objects.filter(compact=self.compact, year=REPORT_YEAR).exists():
            return
        # The annual meeting that reviews a year's report is held the following year (section V.A).
        meeting = (
            Meeting.objects.filter(
                compact=self.compact, kind=Meeting.Kind.ANNUAL, date__year__in=(REPORT_YEAR, REPORT_YEAR + 1)
            )
            .order_by("-date")
            .first()
        )
        services.link_report_meeting(
            user=self.user("officer"),
            compact=self.compact,
            year=REPORT_YEAR,
            meeting=meeting,
            notes=_("Demonstration data: the figures and texts of this report are fictitious."),
        )
        self.created["reports"] += 1


@transaction.atomic
def load(stdout: Any = None) -> dict[str, int]:
    """Load the demo results into the demo compact (idempotent); returns what was created."""
    compact = find_demo_compact()
    if compact is None:
        if stdout is not None:
            stdout.write(_("Demo results skipped: the demo compact is not there (run load_demo)."))
        return {}
    if not DisaggregationCategory.objects.filter(dimension="region", country=compact.country).exists():
        services.ensure_standard_categories()
    loader = Loader(compact)
    loader.load()
    created = loader.created
    if stdout is not None:
        stdout.write(
            _(
                "Demo results (demonstration data): %(definitions)s indicator definitions, %(submissions)s "
                "submissions, %(narratives)s narrative sections and %(reports)s annual report created; "
                "%(total)s submissions in all (%(approved)s approved)."
            )
            % {
                **created,
                "total": Submission.objects.filter(compact=compact).count(),
                "approved": Submission.objects.filter(
                    compact=compact, status=Submission.Status.APPROVED
                ).count(),
            }
        )
    return created
