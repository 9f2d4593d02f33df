"""Demo funding for the Côte d'Ivoire compact and the TIP Office's other programmes (``manage.py load_demo``,
after the compact registry and the demo results).

Everything here is **demonstration data**: the organisations created here, the amounts, the dates and the
texts are invented, plausible and consistent with the compact (signed on 7 December 2022, up to USD 10
million from the United States subject to the availability of funds, section VII.A). Every opportunity,
application, award and emergency request is stored with ``is_demo=True`` and its title says
« (démonstration) ». The portfolio:

* under the compact, one competitive funding opportunity (published January 2023, deadline 17 March
  2023, awarded) with three merit criteria; three applications (the demo implementing partner « ONG Démo
  Enfance » and two demo NGOs created here); the review by two TIP Office reviewers (conflict of interest
  declarations, one conflict declared, scores); the award of a cooperative agreement of USD 4,500,000 to
  the demo partner; and a grant of USD 3,000,000 to the demo international organisation (a direct award,
  without competition) — USD 7,500,000 of the 10 million ceiling. Each award names the objectives,
  activities and indicators (those the results demo defined from Annex A) it funds, its DAC sectors
  (15160 human rights, 15130 legal and judicial development, 16010 social protection), yearly budgets
  and its transactions 2023–2025 (commitments, disbursements, expenditures; one expenditure in CFA francs
  with its rate to the dollar);
* without a compact: a short-term training and technical assistance grant, a research and innovation
  grant, and two emergency victim assistance requests of the demo partner: one approved (with its
  award), one still awaiting a decision past its ten-day deadline (overdue).

Written **through** ``pacte.grants.services`` as the demo users would: the programme officer (« officer »)
publishes, assigns reviewers, decides and records commitments and disbursements; the reviewers (a TIP
Office colleague « reviewer », created here with the demo password, and the officer) declare conflicts
and score; the partner (« partner ») records its expenditures and asks for emergency assistance. The
exceptions are the steps the services refuse or date today because they happened in the past
(publishing before the deadline, applying and submitting before it, the date of an emergency decision):
those states are set on the models directly, with the historical dates, and each place says why. The
services know nothing of demonstration data, so ``is_demo`` is set on each record after its service.

Idempotent: a record that exists (found by its reference, its organisation and opportunity, or its title)
is left as it is, with everything under it. ``load(stdout)`` prints one line and returns the counts of
what it created.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation, User
from pacte.compacts import demo as compact_demo
from pacte.compacts.models import Activity, Commitment, Compact
from pacte.results.models import IndicatorDefinition

from . import services
from .models import (
    Application,
    ApplicationBudgetLine,
    Award,
    EmergencyRequest,
    FundingOpportunity,
    ProgrammeType,
)
from .services import CriterionInput, ScoreInput, SectorInput

DEMO = "(démonstration)"
OFFICER = "officer"  # TIP Office programme officer: a grants officer
PARTNER = "partner"  # the demo implementing partner's project manager (« ONG Démo Enfance »)
REVIEWER = "reviewer"  # a TIP Office colleague of the officer, created here
REVIEWER_SPEC: dict[str, str] = {
    "username": REVIEWER,
    "first_name": "Paul",
    "last_name": "Bernard",
    "job_title": "Chargé d'examen des subventions (démo)",
}
UTC = dt.UTC  # Africa/Abidjan is UTC all year round


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def usd(amount: int | str) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


# -- organisations ------------------------------------------------------------------------------------
# Keys of compacts.demo.ORGANISATIONS used here, and the demo organisations this module adds.
NGO_DEMO = "ngo_demo"  # « ONG Démo Enfance »: the demo implementing partner (user « partner »)
IO_DEMO = "io_demo"  # « Organisation internationale de démonstration »
# The demo partner was created by load_demo without a registration number; the opportunity requires one.
NGO_DEMO_REGISTRATION = "CI-ABJ-DEMO-2016-B-0001"

NEW_ORGANISATIONS: list[dict[str, Any]] = [
    {
        "key": "ngo_solidarite",
        "name": "ONG Démo Solidarité Enfants (démonstration)",
        "acronym": "",
        "org_type": Organisation.Type.IMPLEMENTING_PARTNER,
        "partner_kind": Organisation.PartnerKind.NGO,
        "country": "CIV",
        "registration_number": "CI-BKE-DEMO-2014-B-0002",
    },
    {
        "key": "ngo_avenir",
        "name": "ONG Démo Avenir des Enfants de San-Pédro (démonstration)",
        "acronym": "",
        "org_type": Organisation.Type.IMPLEMENTING_PARTNER,
        "partner_kind": Organisation.PartnerKind.NGO,
        "country": "CIV",
        "registration_number": "CI-SPD-DEMO-2018-B-0003",
    },
    {
        "key": "university_demo",
        "name": "Université de démonstration – Laboratoire de recherche sur la traite (démonstration)",
        "acronym": "",
        "org_type": Organisation.Type.IMPLEMENTING_PARTNER,
        "partner_kind": Organisation.PartnerKind.UNIVERSITY,
        "country": "CIV",
        "registration_number": "CI-ABJ-DEMO-2001-U-0004",
    },
]

# -- the competitive opportunity under the compact -------------------------------------------------------
OPPORTUNITY_REFERENCE = "DEMO-NOFO-CPC-CIV-2023"
OPPORTUNITY_PUBLISHED = _at(dt.date(2023, 1, 16), 9)
OPPORTUNITY_DEADLINE = _at(dt.date(2023, 3, 17), 17)
OPPORTUNITY: dict[str, Any] = {
    "title": f"Partenariat CPC Côte d'Ivoire : mise en œuvre du plan d'action conjoint {DEMO}",
    "reference": OPPORTUNITY_REFERENCE,
    "programme_type": ProgrammeType.CHILD_PROTECTION_COMPACT,
    "description": (
        f"Avis de possibilité de financement {DEMO}. Le Bureau TIP sollicite des propositions "
        "d'organisations non gouvernementales pour appuyer la mise en œuvre des activités de l'Annexe A "
        "du Partenariat CPC entre la Côte d'Ivoire et les États-Unis : prévention de la traite des "
        "enfants, protection des enfants victimes et coordination avec la société civile. Montant "
        "maximal d'une subvention ou d'un accord de coopération : 5 000 000 USD, sous réserve de la "
        "disponibilité des fonds."
    ),
    "ceiling": usd(5_000_000),
    "eligible_org_types": [Organisation.PartnerKind.NGO, Organisation.PartnerKind.INTERNATIONAL_ORGANISATION],
    "registration_required": True,
    "eligibility_notes": (
        f"Expérience d'au moins trois ans de la protection de l'enfance en Côte d'Ivoire {DEMO}."
    ),
    "opens_on": OPPORTUNITY_PUBLISHED.date(),
    "deadline": OPPORTUNITY_DEADLINE,
}
OPPORTUNITY_PILLARS = ("prevention", "protection", "partnership")
CRITERIA = [
    CriterionInput(
        name="Qualité technique et approche axée sur les victimes",
        weight=Decimal(40),
        description=(
            "Pertinence de la stratégie au regard de l'Annexe A, approche tenant compte des traumatismes."
        ),
    ),
    CriterionInput(
        name="Capacité de l'organisation et expérience en Côte d'Ivoire",
        weight=Decimal(35),
        description="Expérience, ancrage local, gestion financière et suivi-évaluation.",
    ),
    CriterionInput(
        name="Budget raisonnable et pérennité",
        weight=Decimal(25),
        description="Coûts justifiés ; plan de pérennisation avec les ministères concernés.",
    ),
]


@dataclass(frozen=True)
class ApplicationSpec:
    org: str
    title: str
    narrative: str
    submitted_at: dt.datetime
    lines: tuple[tuple[int, int, str], ...]  # (year, amount in USD, pillar of the objective)
    # Scores per reviewer, in the order of CRITERIA; a reviewer missing here declared a conflict.
    scores: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)  # reviewer -> statement


APPLICATIONS = [
    ApplicationSpec(
        org=NGO_DEMO,
        title=f"Enfance protégée : prévention communautaire et protection des enfants victimes {DEMO}",
        narrative=(
            "Campagnes de sensibilisation dans les régions du Gbêkê, du Poro et de San-Pédro avec les "
            "comités de protection de l'enfance ; soutien économique aux familles vulnérables ; appui "
            f"aux centres sociaux et au comité de coordination des OSC {DEMO}."
        ),
        submitted_at=_at(dt.date(2023, 3, 15), 10, 12),
        lines=(
            (2023, 700_000, "prevention"),
            (2024, 1_000_000, "prevention"),
            (2024, 600_000, "protection"),
            (2025, 900_000, "prevention"),
            (2025, 600_000, "protection"),
            (2026, 800_000, "partnership"),
        ),
        scores={REVIEWER: (88, 84, 80), OFFICER: (85, 86, 78)},
    ),
    ApplicationSpec(
        org="ngo_solidarite",
        title=f"Communautés vigilantes contre la traite des enfants dans le Gbêkê {DEMO}",
        narrative=(
            "Mise en place de comités villageois de vigilance, formation des enseignants et des leaders "
            f"communautaires, référencement des enfants victimes vers les centres sociaux {DEMO}."
        ),
        submitted_at=_at(dt.date(2023, 3, 16), 16, 45),
        lines=(
            (2023, 600_000, "prevention"),
            (2024, 1_300_000, "prevention"),
            (2025, 1_300_000, "protection"),
            (2026, 700_000, "partnership"),
        ),
        scores={REVIEWER: (76, 70, 82), OFFICER: (72, 68, 80)},
    ),
    ApplicationSpec(
        org="ngo_avenir",
        title=f"Retour en famille : réintégration des enfants victimes de la traite {DEMO}",
        narrative=(
            "Accueil transitoire, réunification familiale et réintégration scolaire ou professionnelle "
            f"des enfants victimes identifiés dans la région de San-Pédro {DEMO}."
        ),
        submitted_at=_at(dt.date(2023, 3, 17), 14, 40),
        lines=(
            (2023, 900_000, "protection"),
            (2024, 1_500_000, "protection"),
            (2025, 1_500_000, "protection"),
            (2026, 900_000, "partnership"),
        ),
        scores={REVIEWER: (74, 66, 61)},
        conflicts={
            OFFICER: (
                "J'ai siégé au conseil d'administration de cette ONG jusqu'en 2021 : je ne note pas sa "
                f"proposition {DEMO}."
            )
        },
    ),
]

# -- awards ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tx:
    kind: str  # Transaction.Kind value: "2" commitment, "3" disbursement, "4" expenditure
    date: dt.date
    amount: int
    currency: str = "USD"
    rate_to_usd: Decimal | None = None
    by: str = OFFICER  # expenditures of a partner that has a demo user are recorded by that user
    description: str = ""


COMMITMENT, DISBURSEMENT, EXPENDITURE = "2", "3", "4"


@dataclass(frozen=True)
class AwardSpec:
    org: str
    data: dict[str, Any]
    sectors: tuple[tuple[str, int], ...]
    budgets: tuple[tuple[dt.date, dt.date, int], ...]
    transactions: tuple[Tx, ...]
    # (pillar, order of the activity in Annex A) of the activities funded, and the pillars funded
    activities: tuple[tuple[str, int], ...] = ()
    pillars: tuple[str, ...] = ()
    under_compact: bool = False


# USD per XOF on 30 September 2025: 1 EUR = 655.957 XOF (fixed parity), 1 EUR ≈ 1.1702 USD.
XOF_RATE = Decimal("0.00178400")

PARTNER_AWARD = AwardSpec(
    org=NGO_DEMO,
    under_compact=True,
    data={
        "reference": "DEMO-CPC-CIV-CA-2023-01",
        "title": f"Enfance protégée : prévention et protection des enfants victimes de la traite {DEMO}",
        "description": (
            "Accord de coopération sous le Partenariat CPC Côte d'Ivoire : campagnes de prévention, "
            "soutien aux familles vulnérables, appui aux centres sociaux et au comité de coordination des "
            f"OSC {DEMO}."
        ),
        "instrument": Award.Instrument.COOPERATIVE_AGREEMENT,
        "start_date": dt.date(2023, 7, 1),
        "end_date": dt.date(2026, 6, 30),
        "amount": usd(4_500_000),
        "justification": (
            "Meilleure note pondérée du comité d'examen (85,2 / 100) ; proposition conforme à l'Annexe A ; "
            "budget ramené de 4 600 000 à 4 500 000 USD après négociation. Accord de coopération : le "
            f"Bureau TIP participe au choix des zones d'intervention {DEMO}."
        ),
        "decided_on": dt.date(2023, 6, 15),
        "status": Award.Status.IMPLEMENTATION,
    },
    pillars=("prevention", "protection", "partnership"),
    activities=(("prevention", 2), ("prevention", 8), ("protection", 4), ("partnership", 1)),
    sectors=(("16010", 45), ("15160", 40), ("15130", 15)),
    budgets=(
        (dt.date(2023, 7, 1), dt.date(2024, 6, 30), 1_400_000),
        (dt.date(2024, 7, 1), dt.date(2025, 6, 30), 1_600_000),
        (dt.date(2025, 7, 1), dt.date(2026, 6, 30), 1_500_000),
    ),
    transactions=(
        Tx(COMMITMENT, dt.date(2023, 7, 1), 1_400_000, description="Obligation de la première année"),
        Tx(DISBURSEMENT, dt.date(2023, 7, 17), 700_000, description="Avance du premier semestre"),
        Tx(
            EXPENDITURE,
            dt.date(2023, 12, 31),
            520_000,
            by=PARTNER,
            description="Dépenses juillet–décembre 2023",
        ),
        Tx(DISBURSEMENT, dt.date(2024, 1, 15), 700_000, description="Deuxième tranche"),
        Tx(EXPENDITURE, dt.date(2024, 6, 30), 810_000, by=PARTNER, description="Dépenses janvier–juin 2024"),
        Tx(COMMITMENT, dt.date(2024, 7, 1), 1_600_000, description="Obligation de la deuxième année"),
        Tx(DISBURSEMENT, dt.date(2024, 7, 15), 800_000, description="Troisième tranche"),
        Tx(
            EXPENDITURE,
            dt.date(2024, 12, 31),
            690_000,
            by=PARTNER,
            description="Dépenses juillet–décembre 2024",
        ),
        Tx(DISBURSEMENT, dt.date(2025, 1, 15), 800_000, description="Quatrième tranche"),
        Tx(EXPENDITURE, dt.date(2025, 6, 30), 780_000, by=PARTNER, description="Dépenses janvier–juin 2025"),
        Tx(COMMITMENT, dt.date(2025, 7, 1), 1_500_000, description="Obligation de la troisième année"),
        Tx(DISBURSEMENT, dt.date(2025, 7, 15), 750_000, description="Cinquième tranche"),
        Tx(
            EXPENDITURE,
            dt.date(2025, 9, 30),
            250_000_000,
            currency="XOF",
            rate_to_usd=XOF_RATE,
            by=PARTNER,
            description="Dépenses locales juillet–septembre 2025, payées en francs CFA",
        ),
    ),
)

IO_AWARD = AwardSpec(
    org=IO_DEMO,
    under_compact=True,
    data={
        "reference": "DEMO-CPC-CIV-GR-2023-02",
        "title": (
            f"Formation des acteurs de la chaîne pénale et du mécanisme national de référencement {DEMO}"
        ),
        "description": (
            "Subvention sous le Partenariat CPC Côte d'Ivoire : séminaires de formation des policiers, "
            "magistrats, travailleurs sociaux et inspecteurs du travail ; appui au mécanisme national de "
            f"référencement et aux procédures opérationnelles permanentes {DEMO}."
        ),
        "instrument": Award.Instrument.GRANT,
        "start_date": dt.date(2023, 10, 1),
        "end_date": dt.date(2026, 9, 30),
        "amount": usd(3_000_000),
        "justification": (
            "Attribution directe à une organisation internationale ayant une expertise reconnue de la "
            "formation des acteurs de la justice pénale et un accord avec le Gouvernement ivoirien ; "
            f"complète l'accord de coopération du volet prévention {DEMO}."
        ),
        "decided_on": dt.date(2023, 9, 12),
        "status": Award.Status.IMPLEMENTATION,
    },
    pillars=("prevention", "protection", "prosecution"),
    activities=(("prevention", 3), ("protection", 10), ("prosecution", 2), ("prosecution", 10)),
    sectors=(("15130", 60), ("15160", 40)),
    budgets=(
        (dt.date(2023, 10, 1), dt.date(2024, 9, 30), 1_000_000),
        (dt.date(2024, 10, 1), dt.date(2025, 9, 30), 1_000_000),
        (dt.date(2025, 10, 1), dt.date(2026, 9, 30), 1_000_000),
    ),
    transactions=(
        Tx(COMMITMENT, dt.date(2023, 10, 1), 1_000_000, description="Obligation de la première année"),
        Tx(DISBURSEMENT, dt.date(2023, 10, 16), 1_000_000, description="Versement annuel"),
        # The international organisation has no demo user: the officer records its reported expenditure.
        Tx(
            EXPENDITURE, dt.date(2024, 3, 31), 410_000, description="Rapport financier octobre 2023–mars 2024"
        ),
        Tx(EXPENDITURE, dt.date(2024, 9, 30), 540_000, description="Rapport financier avril–septembre 2024"),
        Tx(COMMITMENT, dt.date(2024, 10, 1), 1_000_000, description="Obligation de la deuxième année"),
        Tx(DISBURSEMENT, dt.date(2024, 10, 15), 1_000_000, description="Versement annuel"),
        Tx(
            EXPENDITURE, dt.date(2025, 3, 31), 620_000, description="Rapport financier octobre 2024–mars 2025"
        ),
        Tx(EXPENDITURE, dt.date(2025, 9, 30), 450_000, description="Rapport financier avril–septembre 2025"),
        Tx(COMMITMENT, dt.date(2025, 10, 1), 1_000_000, description="Obligation de la troisième année"),
        Tx(
            DISBURSEMENT,
            dt.date(2025, 10, 15),
            500_000,
            description="Premier versement de la troisième année",
        ),
    ),
)

TRAINING_AWARD = AwardSpec(
    org="ngo_solidarite",
    data={
        "reference": "DEMO-TTA-CIV-GR-2024-01",
        "title": f"Formation des inspecteurs du travail à l'identification des enfants victimes {DEMO}",
        "description": (
            "Formation et assistance technique de courte durée : quatre ateliers régionaux et un guide "
            f"pratique d'identification pour les inspecteurs du travail {DEMO}."
        ),
        "programme_type": ProgrammeType.TRAINING_TECHNICAL_ASSISTANCE,
        "instrument": Award.Instrument.GRANT,
        "recipient_country": "CIV",
        "start_date": dt.date(2024, 3, 1),
        "end_date": dt.date(2024, 12, 31),
        "amount": usd(180_000),
        "justification": (
            f"Besoin urgent exprimé par le Ministère de l'Emploi et de la Protection Sociale {DEMO}."
        ),
        "decided_on": dt.date(2024, 2, 12),
        "status": Award.Status.FINALISATION,
    },
    sectors=(("15130", 60), ("15160", 40)),
    budgets=((dt.date(2024, 3, 1), dt.date(2024, 12, 31), 180_000),),
    transactions=(
        Tx(COMMITMENT, dt.date(2024, 3, 1), 180_000),
        Tx(DISBURSEMENT, dt.date(2024, 3, 15), 90_000),
        Tx(DISBURSEMENT, dt.date(2024, 8, 14), 90_000),
        Tx(EXPENDITURE, dt.date(2024, 12, 31), 172_500, description="Rapport financier final"),
    ),
)

RESEARCH_AWARD = AwardSpec(
    org="university_demo",
    data={
        "reference": "DEMO-RI-CIV-GR-2024-01",
        "title": f"Étude des parcours de traite des enfants entre les zones minières et les villes {DEMO}",
        "description": (
            "Recherche et innovation : étude qualitative et quantitative des parcours des enfants victimes "
            f"de traite, avec les experts et les acteurs gouvernementaux ivoiriens {DEMO}."
        ),
        "programme_type": ProgrammeType.RESEARCH_INNOVATION,
        "instrument": Award.Instrument.GRANT,
        "recipient_country": "CIV",
        "start_date": dt.date(2024, 9, 1),
        "end_date": dt.date(2026, 8, 31),
        "amount": usd(750_000),
        "justification": f"Lacune de connaissances relevée par le rapport TIP ; proposition retenue {DEMO}.",
        "decided_on": dt.date(2024, 8, 5),
        "status": Award.Status.IMPLEMENTATION,
    },
    sectors=(("15160", 70), ("16010", 30)),
    budgets=(
        (dt.date(2024, 9, 1), dt.date(2025, 8, 31), 375_000),
        (dt.date(2025, 9, 1), dt.date(2026, 8, 31), 375_000),
    ),
    transactions=(
        Tx(COMMITMENT, dt.date(2024, 9, 1), 750_000),
        Tx(DISBURSEMENT, dt.date(2024, 9, 16), 300_000),
        Tx(EXPENDITURE, dt.date(2025, 3, 31), 180_000, description="Rapport financier semestriel"),
        Tx(DISBURSEMENT, dt.date(2025, 9, 15), 250_000),
        Tx(EXPENDITURE, dt.date(2025, 8, 31), 95_000, description="Rapport financier annuel"),
    ),
)

COMPACT_AWARDS = (PARTNER_AWARD, IO_AWARD)
OTHER_AWARDS = (TRAINING_AWARD, RESEARCH_AWARD)

# -- emergency victim assistance (the demo partner asks; the officer decides) ---------------------------
EMERGENCY_APPROVED_RECEIVED = dt.date(2024, 5, 6)
EMERGENCY_APPROVED: dict[str, Any] = {
    "country": "CIV",
    "title": f"Hébergement d'urgence de 14 enfants victimes après une opération de police à San-Pédro {DEMO}",
    "need": (
        "Quatorze enfants victimes de travail forcé identifiés lors d'une opération de police ; le centre "
        "social de la ville est complet. Besoin : hébergement transitoire, soins médicaux, soutien "
        f"psychosocial et recherche des familles pendant six mois {DEMO}."
    ),
    "amount_requested": usd(48_000),
}
EMERGENCY_DECIDED_ON = dt.date(2024, 5, 13)
EMERGENCY_DECISION_NOTE = (
    f"Approuvée : besoin urgent et documenté ; montant ramené à 45 000 USD (frais de transport) {DEMO}."
)
EMERGENCY_AWARD = AwardSpec(
    org=NGO_DEMO,
    data={
        "reference": "DEMO-EVA-CIV-GR-2024-01",
        "title": f"Aide d'urgence aux enfants victimes identifiés à San-Pédro {DEMO}",
        "description": (
            f"Hébergement transitoire, soins et réunification familiale de 14 enfants victimes {DEMO}."
        ),
        "instrument": Award.Instrument.GRANT,
        "recipient_country": "CIV",
        "start_date": dt.date(2024, 5, 15),
        "end_date": dt.date(2024, 11, 14),
        "amount": usd(45_000),
        "justification": f"Demande d'aide d'urgence approuvée le 13 mai 2024 {DEMO}.",
        "decided_on": dt.date(2024, 5, 13),
        "status": Award.Status.CLOSED,
    },
    sectors=(("16010", 100),),
    budgets=((dt.date(2024, 5, 15), dt.date(2024, 11, 14), 45_000),),
    transactions=(
        Tx(COMMITMENT, dt.date(2024, 5, 15), 45_000),
        Tx(DISBURSEMENT, dt.date(2024, 5, 20), 45_000),
        Tx(EXPENDITURE, dt.date(2024, 11, 14), 43_800, by=PARTNER, description="Rapport financier final"),
    ),
)
# Still awaiting a decision: received 16 days before the demo is first loaded, so it is overdue.
EMERGENCY_PENDING_AGE_DAYS = 16
EMERGENCY_PENDING: dict[str, Any] = {
    "country": "CIV",
    "title": f"Rapatriement et prise en charge de 6 enfants victimes identifiés à la frontière {DEMO}",
    "need": (
        "Six enfants victimes de traite identifiés au poste frontière de Noé ; besoin d'accueil "
        f"transitoire, de soins et de l'accompagnement de leur retour en famille {DEMO}."
    ),
    "amount_requested": usd(22_500),
}


# -- loading ----------------------------------------------------------------------------------------


def find_demo_compact() -> Compact | None:
    """The demo compact, identified like ``load_demo`` does: by its title and country."""
    return (
        Compact.objects.filter(title=compact_demo.TITLE, country=compact_demo.COUNTRY).order_by("pk").first()
    )


def us_ceiling(compact: Compact) -> Commitment | None:
    return (
        Commitment.objects.filter(compact=compact, kind=Commitment.Kind.CEILING, amount__isnull=False)
        .order_by("pk")
        .first()
    )


def demo_awards_total(compact: Compact) -> Decimal:
    return Award.objects.filter(compact=compact).aggregate(total=Sum("amount"))["total"] or Decimal(0)


class Loader:
    def __init__(self, compact: Compact) -> None:
        self.compact = compact
        self.created: Counter[str] = Counter()
        self.warnings: list[str] = []
        names = {spec["key"]: spec["name"] for spec in compact_demo.ORGANISATIONS}
        by_name = {o.name: o for o in Organisation.objects.filter(name__in=names.values())}
        self.orgs = {key: by_name[name] for key, name in names.items() if name in by_name}
        self.users = {u.username: u for u in User.objects.filter(username__in=(OFFICER, PARTNER))}
        self.objectives = {o.pillar: o for o in compact.objectives.all()}

    def user(self, username: str) -> User:
        try:
            return self.users[username]
        except KeyError:
            raise LookupError(f"the demo user {username!r} is missing: run load_demo") from None

    def org(self, key: str) -> Organisation:
        try:
            return self.orgs[key]
        except KeyError:
            raise LookupError(f"the demo organisation {key!r} is missing: run load_demo") from None

    # -- entry point --------------------------------------------------------------------------------
    def load(self) -> None:
        for spec in NEW_ORGANISATIONS:
            self.orgs[spec["key"]] = self.ensure_organisation(spec)
        self.ensure_partner_registration()
        self.users[REVIEWER] = self.ensure_reviewer()
        if us_ceiling(self.compact) is None:
            # Do not invent a ceiling: the awards under the compact would have nothing to be checked against.
            self.warnings.append(
                _(
                    "no United States ceiling is recorded for the demo compact: the demo awards under the "
                    "compact were not created"
                )
            )
        else:
            self.compact_portfolio()
        for award_spec in OTHER_AWARDS:
            if not Award.objects.filter(reference=award_spec.data["reference"]).exists():
                self.award(award_spec)
        self.emergency_requests()

    # -- organisations and the reviewer --------------------------------------------------------------
    def ensure_organisation(self, spec: dict[str, Any]) -> Organisation:
        existing = Organisation.objects.filter(name=spec["name"]).first()
        if existing is not None:
            return existing
        organisation = Organisation(**{k: v for k, v in spec.items() if k != "key"})
        organisation.full_clean()
        organisation.save()
        self.created["organisations"] += 1
        return organisation

    def ensure_partner_registration(self) -> None:
        """The opportunity requires a legal registration; load_demo created the demo partner without one."""
        partner = self.org(NGO_DEMO)
        if not partner.registration_number:
            partner.registration_number = NGO_DEMO_REGISTRATION
            partner.save(update_fields=["registration_number", "updated_at"])

    def ensure_reviewer(self) -> User:
        """A TIP Office colleague of the demo officer who reviews applications (same demo password)."""
        existing = User.objects.filter(username=REVIEWER).first()
        if existing is not None:
            return existing
        user = User(
            **REVIEWER_SPEC,
            email=f"{REVIEWER}@{compact_demo.DEMO_EMAIL_DOMAIN}",
            organisation=self.user(OFFICER).organisation,
            language="fr",
        )
        validate_password(compact_demo.DEMO_PASSWORD, user)
        user.set_password(compact_demo.DEMO_PASSWORD)
        user.full_clean()
        user.save()
        self.created["users"] += 1
        return user

    # -- the compact's competitive opportunity and its two awards -----------------------------------------
    def compact_portfolio(self) -> None:
        opportunity = FundingOpportunity.objects.filter(reference=OPPORTUNITY_REFERENCE).first()
        if opportunity is None:
            self.competition()
        if not Award.objects.filter(reference=IO_AWARD.data["reference"]).exists():
            self.award(IO_AWARD)

    def competition(self) -> None:
        officer = self.user(OFFICER)
        opportunity = services.create_opportunity(
            user=officer,
            data={**OPPORTUNITY, "compact": self.compact},
            objectives=[self.objectives[p] for p in OPPORTUNITY_PILLARS if p in self.objectives],
            criteria=CRITERIA,
        )
        self.created["opportunities"] += 1
        for username in (REVIEWER, OFFICER):
            services.assign_reviewer(user=officer, opportunity=opportunity, reviewer=self.user(username))
        # Published on 16 January 2023: ``publish_opportunity`` refuses a deadline in the past, so the
        # historical publication is recorded on the model.
        opportunity.status = FundingOpportunity.Status.PUBLISHED
        opportunity.published_at = OPPORTUNITY_PUBLISHED
        opportunity.is_demo = True
        opportunity.save(update_fields=["status", "published_at", "is_demo", "updated_at"])

        applications = [self.application(opportunity, spec) for spec in APPLICATIONS]
        services.close_opportunity(user=officer, opportunity=opportunity)

        criteria = list(opportunity.criteria.order_by("order", "pk"))
        for application, spec in zip(applications, APPLICATIONS, strict=True):
            for username in (REVIEWER, OFFICER):
                reviewer = self.user(username)
                statement = spec.conflicts.get(username, "")
                services.declare_conflict(
                    user=reviewer, application=application, has_conflict=bool(statement), statement=statement
                )
                if username in spec.scores:
                    services.score_application(
                        user=reviewer,
                        application=application,
                        scores={
                            criterion.pk: ScoreInput(score=Decimal(score))
                            for criterion, score in zip(criteria, spec.scores[username], strict=True)
                        },
                    )
        self.created["applications"] += len(applications)

        self.award(PARTNER_AWARD, application=applications[0])
        services.finish_selection(user=officer, opportunity=opportunity)

    def application(self, opportunity: FundingOpportunity, spec: ApplicationSpec) -> Application:
        """Applied and submitted before the deadline of 17 March 2023. ``create_application`` and
        ``submit_application`` refuse an opportunity whose deadline has passed, and the two demo NGOs
        created here have no user: the historical application is recorded on the models."""
        application = Application.objects.create(
            opportunity=opportunity,
            organisation=self.org(spec.org),
            title=spec.title,
            narrative=spec.narrative,
            status=Application.Status.SUBMITTED,
            submitted_at=spec.submitted_at,
            created_by=self.users[PARTNER] if spec.org == NGO_DEMO else None,
            is_demo=True,
        )
        for year, amount, pillar in spec.lines:
            ApplicationBudgetLine.objects.create(
                application=application,
                year=year,
                amount=usd(amount),
                objective=self.objectives.get(pillar),
                description=f"{self.objectives[pillar].get_pillar_display()} – {year}"
                if pillar in self.objectives
                else "",
            )
        return application

    # -- awards -------------------------------------------------------------------------------------
    def activities(self, spec: AwardSpec) -> list[Activity]:
        found = []
        for pillar, order in spec.activities:
            activity = Activity.objects.filter(
                objective__compact=self.compact, objective__pillar=pillar, order=order
            ).first()
            if activity is not None:
                found.append(activity)
        return found

    def indicators(self, organisation: Organisation) -> list[IndicatorDefinition]:
        """The compact's indicator definitions (the results demo's, from Annex A) this partner reports."""
        return list(
            IndicatorDefinition.objects.filter(compact=self.compact, reporters=organisation).order_by("pk")
        )

    def award(self, spec: AwardSpec, application: Application | None = None) -> Award:
        officer = self.user(OFFICER)
        organisation = self.org(spec.org)
        sectors = self.sectors(spec)
        data = {**spec.data}
        if spec.under_compact:
            award = services.make_award(
                user=officer,
                data=data,
                application=application,
                organisation=None if application else organisation,
                compact=None if application else self.compact,
                objectives=[self.objectives[p] for p in spec.pillars if p in self.objectives],
                activities=self.activities(spec),
                indicators=self.indicators(organisation),
                sectors=sectors,
            )
        else:
            award = services.make_award(user=officer, data=data, organisation=organisation, sectors=sectors)
        self.mark_demo(award)
        self.created["awards"] += 1
        self.money(award, spec)
        return award

    @staticmethod
    def sectors(spec: AwardSpec) -> list[SectorInput]:
        return [SectorInput(code=code, percentage=Decimal(pct)) for code, pct in spec.sectors]

    @staticmethod
    def mark_demo(record: Award | FundingOpportunity | Application | EmergencyRequest) -> None:
        """The services know nothing of demonstration data: flag the record here."""
        if not record.is_demo:
            record.is_demo = True
            record.save(update_fields=["is_demo", "updated_at"])

    def money(self, award: Award, spec: AwardSpec) -> None:
        officer = self.user(OFFICER)
        for start, end, amount in spec.budgets:
            services.set_budget(
                user=officer,
                award=award,
                period_start=start,
                period_end=end,
                amount=usd(amount),
                value_date=start,
            )
            self.created["budgets"] += 1
        for tx in spec.transactions:
            services.record_transaction(
                user=self.user(tx.by),
                award=award,
                kind=tx.kind,
                date=tx.date,
                amount=usd(tx.amount),
                currency=tx.currency,
                rate_to_usd=tx.rate_to_usd,
                reference=f"DEMO-{award.pk}-{tx.date:%Y%m%d}-{tx.kind}",
                description=f"{tx.description} {DEMO}".strip(),
            )
            self.created["transactions"] += 1

    # -- emergency victim assistance ------------------------------------------------------------------
    def emergency_requests(self) -> None:
        partner, officer = self.user(PARTNER), self.user(OFFICER)
        if not EmergencyRequest.objects.filter(title=EMERGENCY_APPROVED["title"]).exists():
            request = self.emergency_request(partner, EMERGENCY_APPROVED, EMERGENCY_APPROVED_RECEIVED)
            request = services.decide_emergency_request(
                user=officer,
                request=request,
                approve=True,
                note=EMERGENCY_DECISION_NOTE,
                award_data={**EMERGENCY_AWARD.data, "sectors": self.sectors(EMERGENCY_AWARD)},
            )
            # Decided on 13 May 2024, a week after the request: the service stamps the decision with
            # today's date, so the historical date is recorded on the model.
            request.decided_on = EMERGENCY_DECIDED_ON
            request.save(update_fields=["decided_on", "updated_at"])
            assert request.award is not None
            self.mark_demo(request.award)
            self.created["awards"] += 1
            self.money(request.award, EMERGENCY_AWARD)
        if not EmergencyRequest.objects.filter(title=EMERGENCY_PENDING["title"]).exists():
            received = timezone.localdate() - dt.timedelta(days=EMERGENCY_PENDING_AGE_DAYS)
            self.emergency_request(partner, EMERGENCY_PENDING, received)

    def emergency_request(self, partner: User, data: dict[str, Any], received: dt.date) -> EmergencyRequest:
        request = services.request_emergency_assistance(user=partner, data={**data, "received_on": received})
        self.mark_demo(request)
        self.created["emergency_requests"] += 1
        return request


def _number(amount: Decimal) -> str:
    return str(formats.number_format(amount, 2, use_l10n=True, force_grouping=True))


@transaction.atomic
def load(stdout: Any = None) -> dict[str, int]:
    """Load the demo funding (idempotent); returns what was created."""
    compact = find_demo_compact()
    if compact is None:
        if stdout is not None:
            stdout.write(_("Demo grants skipped: the demo compact is not there (run load_demo)."))
        return {}
    loader = Loader(compact)
    loader.load()
    created = dict(loader.created)
    if stdout is not None:
        ceiling = us_ceiling(compact)
        line = _(
            "Demo grants (demonstration data): %(opportunities)s opportunity, %(applications)s applications, "
            "%(awards)s awards, %(transactions)s transactions and %(requests)s emergency requests created; "
            "USD %(total)s awarded under the demo compact (ceiling: %(ceiling)s)."
        ) % {
            "opportunities": created.get("opportunities", 0),
            "applications": created.get("applications", 0),
            "awards": created.get("awards", 0),
            "transactions": created.get("transactions", 0),
            "requests": created.get("emergency_requests", 0),
            "total": _number(demo_awards_total(compact)),
            "ceiling": f"USD {_number(ceiling.amount)}" if ceiling and ceiling.amount else _("none recorded"),
        }
        if loader.warnings:
            line += " " + _("Warning: %(warnings)s.") % {"warnings": "; ".join(loader.warnings)}
        stdout.write(line)
    return created
