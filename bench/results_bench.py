#!/usr/bin/env python
"""Load benchmark of results (issue 3) on PostgreSQL: progress page, indicator API, annual report.

    .venv/bin/python bench/results_bench.py [--compacts 20 --indicators 200 --years 5
                                             --duration 20 --connections 10 --workers 2 --reuse]

What it does, in order:

1. (re)creates a PostgreSQL database (``DATABASE_URL`` if it names a ``bench`` database, else
   postgres://postgres@127.0.0.1:5432/pacte_bench_results), migrates it with the production settings;
   ``--reuse`` skips the regeneration when the database already holds the benchmark data;
2. generates N signed compacts (default 20, five-year term 2022–2026) with 200 indicators each, all
   defined (counts, percentages, percentage-change and milestone indicators, quarterly), baselines,
   yearly targets, two reporting NGOs, disaggregations (sex; age, or the finer age bands of under-18;
   four regions; forms of trafficking), and 5 years × 4 quarters of submissions with their values
   (about one million ``results.Value`` rows), mostly approved, the last quarters submitted /
   returned / draft, and the annual report's narrative sections; plus one small compact (8
   indicators, one year) for the query-count comparison. Submissions are written with
   ``bulk_create``, values with PostgreSQL ``COPY``; the count and the time are printed;
3. counts the SQL queries of each page in-process, for the small and a large compact (they must be
   equal: the query count does not grow with the data);
4. times the annual report of one large compact (build + Word + PDF, in-process, French);
5. starts gunicorn (production settings, ``--workers`` sync workers), logs in over HTTP one session
   per client and runs wrk (10 connections) against the progress page of one large compact and the
   indicator API of that compact; prints p50 / p95 / requests per second against the target
   (p95 < 300 ms; report < 5 s).

The database is kept at the end (``--reuse`` then starts at step 3); ``--drop`` drops it. The script
prints figures; it is not a test. HTTP, gunicorn and wrk helpers are those of bench/compacts_bench.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import re
import secrets
import signal
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import compacts_bench as cb  # noqa: E402  (bench/compacts_bench.py: database, HTTP, gunicorn, wrk)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pacte_bench_results"
TARGET_P95_MS = 300.0
TARGET_REPORT_S = 5.0
BENCH_USERNAME = "results-bench-officer"
MARKER = "(results bench"
SMALL_MARKER = "(results bench small)"
START = dt.date(2022, 1, 1)
REPORT_YEAR = 2024


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- command line ----------------------------------------------------------------------------------


def default_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and "bench" in cb.database_name(url):
        return url
    return DEFAULT_DATABASE_URL


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--compacts", type=int, default=20)
    parser.add_argument("--indicators", type=int, default=200, help="indicators per compact")
    parser.add_argument("--years", type=int, default=5, help="years of quarterly values (from 2022)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of measurement per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (wrk -t)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync worker processes")
    parser.add_argument("--target-p95", type=float, default=TARGET_P95_MS)
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--settings", default="config.settings.production")
    parser.add_argument("--reuse", action="store_true", help="keep the data already in the database")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument("--generate-only", action="store_true", help="stop after generating the data")
    parser.add_argument("--no-report", action="store_true", help="skip the annual report timing")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn and wrk")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    if "bench" not in cb.database_name(args.database_url):
        parser.error("refusing to use a database whose name does not contain 'bench'")
    return args


# -- data ----------------------------------------------------------------------------------------

COUNTRIES = [
    "CIV",
    "GHA",
    "SEN",
    "BFA",
    "MLI",
    "TGO",
    "BEN",
    "NER",
    "GIN",
    "LBR",
    "SLE",
    "CMR",
    "NGA",
    "GAB",
    "COG",
    "COD",
    "MRT",
    "GMB",
    "GNB",
    "TCD",
    "CAF",
    "MDG",
    "KEN",
    "UGA",
    "RWA",
]
INDICATOR_TEXTS = [
    "Nombre de campagnes de prévention réalisées",
    "Nombre de personnes touchées par les campagnes de prévention",
    "Nombre de personnes formées aux typologies, lois et interventions en matière de traite",
    "Nombre de familles vulnérables soutenues par des interventions",
    "Nombre d'enfants victimes identifiés et référés vers des services de protection",
    "Nombre d'opérations de police réalisées",
]
PERCENTAGE_TEXT = "Proportion d'enfants victimes identifiés pris en charge par un centre agréé"
CHANGE_TEXTS = [
    "Augmentation des enquêtes de cas de traite d'enfants, en pourcentage",
    "Augmentation des poursuites judiciaires de cas de traite d'enfants, en pourcentage",
]
MILESTONE_TEXT = "Adoption du plan de pérennisation des actions du Partenariat"
NARRATIVE_TEXT = (
    "Au cours de l'année, les campagnes de sensibilisation ont été menées dans les régions prioritaires "
    "avec les comités de protection de l'enfance ; les formations des acteurs de la chaîne pénale se sont "
    "poursuivies et les données ont été transmises au comité national chaque trimestre. "
) * 3
OBJECTIVE_TEXTS = {
    "prevention": "Les efforts de prévention de la traite des enfants sont coordonnés et ciblés.",
    "protection": "Les enfants victimes de la traite reçoivent des soins accessibles.",
    "prosecution": "Les auteurs de traite des enfants sont poursuivis et condamnés.",
    "partnership": "La lutte contre la traite des enfants est coordonnée entre tous les acteurs.",
}


def unit_for(k: int) -> str:
    """The unit of the k-th indicator of a compact: 70 % counts, 15 % percentages, 10 % percentage
    change, 5 % milestones."""
    r = k % 20
    if r < 14:
        return "count"
    if r < 17:
        return "percentage"
    if r < 19:
        return "percent_change"
    return "milestone"


def spread(total: int, parts: int) -> list[int]:
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def split(total: int, parts: int, rnd: random.Random) -> list[int]:
    """``total`` split into ``parts`` non-negative integers that add up to it."""
    cuts = sorted(rnd.randint(0, total) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def categories() -> dict[str, list[Any]]:
    """The categories the benchmark disaggregates by: the standard ones when the data migration made
    them (sex, age and the finer bands of under-18, forms of trafficking), else created here."""
    from pacte.results.models import DisaggregationCategory as Cat

    def ensure(dimension: str, code: str, fr: str, en: str, parent: Any = None, order: int = 0) -> Any:
        obj, _ = Cat.objects.get_or_create(
            dimension=dimension,
            country="",
            code=code,
            defaults={"label_fr": fr, "label_en": en, "parent": parent, "order": order},
        )
        return obj

    def top(dimension: str) -> list[Any]:
        return list(Cat.objects.filter(dimension=dimension, country="", parent=None).order_by("order", "pk"))

    sex = top("sex")[:2] or [
        ensure("sex", "female", "Féminin", "Female"),
        ensure("sex", "male", "Masculin", "Male"),
    ]
    age = top("age")[:2] or [
        ensure("age", "under-18", "Moins de 18 ans", "Under 18", order=1),
        ensure("age", "18-and-over", "18 ans et plus", "18 and over", order=2),
    ]
    finer = list(Cat.objects.filter(parent=age[0]).order_by("order", "pk")) or [
        ensure("age", "under-15", "Moins de 15 ans", "Under 15", parent=age[0], order=3),
        ensure("age", "15-17", "15 à 17 ans", "15–17", parent=age[0], order=4),
    ]
    forms = top("trafficking_form")[:3] or [
        ensure("trafficking_form", "forced-labour", "Travail forcé", "Forced labour", order=1),
        ensure(
            "trafficking_form", "sexual-exploitation", "Exploitation sexuelle", "Sexual exploitation", order=2
        ),
        ensure("trafficking_form", "other", "Autre", "Other", order=3),
    ]
    if len(sex) < 2 or len(age) < 2 or len(forms) < 2:
        raise cb.BenchError("the standard disaggregation categories are incomplete")
    return {"sex": sex, "age": age, "finer": finer, "forms": forms}


def region_categories(countries: list[str]) -> dict[str, list[Any]]:
    from pacte.results.models import DisaggregationCategory as Cat

    found: dict[str, list[Any]] = {}
    for country in countries:
        regions = list(
            Cat.objects.filter(dimension="region", country=country, parent=None).order_by("order", "pk")[:4]
        )
        if len(regions) < 4:
            regions = [
                Cat.objects.get_or_create(
                    dimension="region",
                    country=country,
                    code=f"bench-region-{i}",
                    defaults={"label_fr": f"Région {i}", "label_en": f"Region {i}", "order": i},
                )[0]
                for i in range(1, 5)
            ]
        found[country] = regions
    return found


class Generator:
    """Bulk-creates the data set. bulk_create skips save() and signals: no Historical* rows."""

    def __init__(self, seed: int, years: int, password: str) -> None:
        self.rnd = random.Random(seed)
        self.years = years
        self.password = password
        self.counts: Counter[str] = Counter()

    def create(self, model: Any, objs: list[Any], batch: int = 5000) -> list[Any]:
        created = model.objects.bulk_create(objs, batch_size=batch)
        self.counts[model._meta.label] += len(created)
        return created

    def run(self, n_compacts: int, n_indicators: int) -> dict[str, Any]:
        from django.db import transaction

        from pacte.accounts.models import Organisation, User

        with transaction.atomic():
            donor = self.create(
                Organisation,
                [
                    Organisation(
                        name="Bureau TIP (results bench)",
                        acronym="TIP",
                        org_type=Organisation.Type.DONOR_OFFICE,
                        country="USA",
                    )
                ],
            )[0]
            user = User(
                username=BENCH_USERNAME,
                first_name="Bench",
                last_name="Officer",
                email="results-bench@example.org",
                organisation=donor,
                job_title="Programme officer",
            )
            user.set_password(self.password)
            user.save()
            self.counts["accounts.User"] += 1
            self.cats = categories()
            countries = [COUNTRIES[i % len(COUNTRIES)] for i in range(n_compacts)]
            self.regions = region_categories(sorted(set(countries)))
            large = self.compacts(donor, user, countries, n_indicators, self.years, "")
            small = self.compacts(donor, user, ["CIV"], 8, 1, "small")
            # Written without the services: give each compact its results version token (what the
            # services do with every write), else the pages would not cache its progress.
            from pacte.results.services import results_changed

            for compact in [*large, *small]:
                results_changed(compact)
        return {
            "user_id": user.pk,
            "compact_ids": [c.pk for c in large],
            "small_id": small[0].pk,
            "rows": dict(sorted(self.counts.items())),
        }

    def compacts(
        self, donor: Any, user: Any, countries: list[str], n_indicators: int, years: int, label: str
    ) -> list[Any]:
        from pacte.accounts.models import Organisation
        from pacte.compacts import models as m
        from pacte.results import models as r

        end = dt.date(START.year + 4, 12, 31)
        tag = (lambda i: SMALL_MARKER) if label else (lambda i: f"{MARKER} {i + 1:03d})")
        compacts = self.create(
            m.Compact,
            [
                m.Compact(
                    title=f"Partenariat pour la protection de l'enfance – {country} {tag(i)}",
                    country=country,
                    purpose="Renforcer la lutte contre la traite des enfants.",
                    goal="Le pays lutte contre la traite des enfants de façon coordonnée et précoce.",
                    status=m.Compact.Status.SIGNED,
                    signature_date=START,
                    signature_place="Abidjan",
                    start_date=START,
                    end_date=end,
                    original_end_date=end,
                    created_by=user,
                )
                for i, country in enumerate(countries)
            ],
        )
        suffix = f" {label}" if label else ""
        ngos = self.create(
            Organisation,
            [
                Organisation(
                    name=f"ONG {j + 1} – {c.country} (results bench {i + 1:03d}{suffix})",
                    org_type=Organisation.Type.IMPLEMENTING_PARTNER,
                    partner_kind=Organisation.PartnerKind.NGO,
                    country=c.country,
                )
                for i, c in enumerate(compacts)
                for j in range(2)
            ],
        )
        ngos_of = {c.pk: ngos[2 * i : 2 * i + 2] for i, c in enumerate(compacts)}
        parties = self.create(
            m.Party,
            [
                m.Party(compact=c, kind=kind, name=name)
                for c in compacts
                for kind, name in (
                    (m.Party.Kind.UNITED_STATES, "Gouvernement des États-Unis d'Amérique"),
                    (m.Party.Kind.PARTNER_COUNTRY, f"Gouvernement – {c.country}"),
                )
            ],
        )
        us_of = {p.compact_id: p for p in parties if p.kind == m.Party.Kind.UNITED_STATES}
        self.create(
            m.MonitoringCommittee,
            [m.MonitoringCommittee(compact=c, established_on=START, mandate="Suivi.") for c in compacts],
        )
        self.create(
            m.Participation,
            [
                m.Participation(
                    compact=c, organisation=donor, role=m.Participation.Role.PARTY_BODY, party=us_of[c.pk]
                )
                for c in compacts
            ]
            + [
                m.Participation(compact=c, organisation=o, role=m.Participation.Role.IMPLEMENTING_PARTNER)
                for c in compacts
                for o in ngos_of[c.pk]
            ],
        )
        self.create(
            m.Membership,
            [m.Membership(compact=c, user=user, role=m.Membership.Role.PROGRAMME_OFFICER) for c in compacts],
        )
        objectives = self.create(
            m.Objective,
            [
                m.Objective(compact=c, pillar=pillar, number=k + 1, statement=OBJECTIVE_TEXTS[pillar])
                for c in compacts
                for k, pillar in enumerate(m.PILLAR_ORDER)
            ],
        )
        objectives_of: dict[int, list[Any]] = {}
        for o in objectives:
            objectives_of.setdefault(o.compact_id, []).append(o)
        indicator_rows = []
        for c in compacts:
            k = 0
            for o, how_many in zip(objectives_of[c.pk], spread(n_indicators, 4), strict=True):
                for order in range(how_many):
                    unit = unit_for(k)
                    name = {
                        "count": INDICATOR_TEXTS[k % len(INDICATOR_TEXTS)],
                        "percentage": PERCENTAGE_TEXT,
                        "percent_change": CHANGE_TEXTS[k % 2],
                        "milestone": MILESTONE_TEXT,
                    }[unit]
                    indicator_rows.append(
                        m.Indicator(
                            objective=o,
                            order=order + 1,
                            name=f"{name} [ind {k + 1:03d}]",
                            level=m.Indicator.Level.MONITORING if k % 5 == 4 else m.Indicator.Level.OUTPUT,
                            visibility=m.Visibility.NON_PUBLIC if k % 10 == 9 else m.Visibility.PUBLIC,
                        )
                    )
                    k += 1
        indicators = self.create(m.Indicator, indicator_rows)
        compact_of_objective = {o.pk: o.compact_id for o in objectives}

        definitions = []
        for i, ind in enumerate(indicators):
            k = i % n_indicators
            unit = unit_for(k)
            percentage = unit == "percentage"
            definitions.append(
                r.IndicatorDefinition(
                    indicator=ind,
                    compact_id=compact_of_objective[ind.objective_id],
                    unit=unit,
                    unit_label="" if percentage else "personnes",
                    numerator_label="Enfants pris en charge" if percentage else "",
                    denominator_label="Enfants identifiés" if percentage else "",
                    direction="increase",
                    cumulation=(
                        "latest"
                        if unit == "milestone"
                        else ("running_total" if unit == "count" and k % 7 == 3 else "per_period")
                    ),
                    frequency="quarterly",
                    baseline_year=START.year - 1,
                    baseline_value=(
                        None
                        if percentage
                        else Decimal(0 if unit == "milestone" else self.rnd.randint(0, 400))
                    ),
                    baseline_numerator=Decimal(40) if percentage else None,
                    baseline_denominator=Decimal(100) if percentage else None,
                    baseline_source="Rapport national annuel (bench)",
                )
            )
        definitions = self.create(r.IndicatorDefinition, definitions)
        cats = self.cats
        through_cat = r.IndicatorDefinition.categories.through
        through_rep = r.IndicatorDefinition.reporters.through
        cat_rows, rep_rows, target_rows = [], [], []
        parts_of: dict[int, list[tuple[list[Any], Any]]] = {}
        reporters_of: dict[int, list[Any]] = {}
        country_of = {c.pk: c.country for c in compacts}
        for i, d in enumerate(definitions):
            k = i % n_indicators
            # (categories, the category they are parts of, or None for the total)
            groups: list[tuple[list[Any], Any]] = []
            if d.unit != "milestone":
                groups = [(cats["sex"], None), (cats["age"], None)]
                if k % 4 == 0:  # finer age bands instead of regions
                    groups.append((cats["finer"], cats["age"][0]))
                else:
                    groups.append((self.regions[country_of[d.compact_id]], None))
                groups.append((cats["forms"], None))
            parts_of[d.pk] = groups
            cat_rows += [
                through_cat(indicatordefinition_id=d.pk, disaggregationcategory_id=cat.pk)
                for group, _parent in groups
                for cat in group
            ]
            ngo_pair = ngos_of[d.compact_id]
            reporters = list(ngo_pair) if k % 10 == 0 else [ngo_pair[k % 2]]
            reporters_of[d.pk] = reporters
            rep_rows += [through_rep(indicatordefinition_id=d.pk, organisation_id=o.pk) for o in reporters]
            if k % 25 != 24:  # a few indicators without targets: they show as gaps
                for year in range(START.year, START.year + 5):
                    target_rows.append(
                        r.Target(
                            definition=d,
                            year=year,
                            value=Decimal(1 if d.unit == "milestone" else self.rnd.randint(50, 600)),
                        )
                    )
        self.create(through_cat, cat_rows)
        self.create(through_rep, rep_rows)
        self.create(r.Target, target_rows)
        self.submissions_and_values(definitions, parts_of, reporters_of, years, user)
        # The annual report's texts: each NGO writes progress per objective and the general sections.
        general = ["difficulties", "recommendations", "sustainability", "improvement"]
        self.create(
            r.NarrativeSection,
            [
                r.NarrativeSection(
                    compact=c,
                    year=year,
                    organisation=ngo,
                    kind=kind,
                    objective=objective,
                    text=NARRATIVE_TEXT,
                    author=user,
                )
                for c in compacts
                for year in range(START.year, START.year + years)
                for ngo in ngos_of[c.pk]
                for kind, objective in [("progress", o) for o in objectives_of[c.pk]]
                + [(k, None) for k in general]
            ],
        )
        return compacts

    def status_for(self, year: int, quarter: int, last_year: int) -> tuple[str, bool]:
        """(status, locked): earlier years approved and locked; the last year: two quarters approved,
        then submitted (some returned), then draft."""
        if year < last_year - 1:
            return "approved", True
        if year < last_year or quarter <= 2:
            return "approved", False
        if quarter == 3:
            return ("returned" if self.rnd.random() < 0.1 else "submitted"), False
        return "draft", False

    def submissions_and_values(
        self,
        definitions: list[Any],
        parts_of: dict[int, list[tuple[list[Any], Any]]],
        reporters_of: dict[int, list[Any]],
        years: int,
        user: Any,
    ) -> None:
        from django.db import connection
        from django.utils import timezone

        from pacte.results.models import Submission
        from pacte.results.periods import parse_period

        now = timezone.now()
        last_year = START.year + years - 1
        periods = [parse_period(f"{y}Q{q}") for y in range(START.year, last_year + 1) for q in range(1, 5)]
        unit_of = {d.pk: d.unit for d in definitions}
        batch: list[Any] = []
        rows = 0

        def flush() -> None:
            nonlocal rows
            created = self.create(Submission, batch)
            buffer = io.StringIO()
            for s in created:
                rows += self.write_values(buffer, s.pk, unit_of[s.definition_id], parts_of[s.definition_id])
            buffer.seek(0)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3 cursor
                with raw.copy(
                    "COPY results_value (submission_id, category_id, value, numerator, denominator, text) "
                    "FROM STDIN"
                ) as copy:
                    copy.write(buffer.getvalue())
            batch.clear()

        for d in definitions:
            for org in reporters_of[d.pk]:
                for p in periods:
                    status, locked = self.status_for(p.year, p.quarter or 0, last_year)
                    reviewed = status in ("approved", "returned")
                    batch.append(
                        Submission(
                            definition_id=d.pk,
                            compact_id=d.compact_id,
                            organisation_id=org.pk,
                            period=p.code,
                            period_start=p.start,
                            period_end=p.end,
                            year=p.year,
                            status=status,
                            locked=locked,
                            comment="",
                            review_comment="Merci de corriger la ventilation."
                            if status == "returned"
                            else "",
                            created_by_id=user.pk,
                            submitted_by_id=user.pk if status != "draft" else None,
                            submitted_at=now if status != "draft" else None,
                            reviewed_by_id=user.pk if reviewed else None,
                            reviewed_at=now if reviewed else None,
                        )
                    )
                    if len(batch) >= 5000:
                        flush()
        if batch:
            flush()
        self.counts["results.Value"] += rows

    def write_values(
        self, out: io.StringIO, submission_id: int, unit: str, groups: list[tuple[list[Any], Any]]
    ) -> int:
        """Tab-separated COPY rows of one submission's total and parts. Parts add up to the total (or
        to the category they refine), except in about 2 % of submissions (flagged as gaps)."""
        rnd = self.rnd
        null = "\\N"
        if unit == "milestone":
            out.write(f"{submission_id}\t{null}\t{rnd.choice((0, 1))}\t{null}\t{null}\t\n")
            return 1
        off = 1 if rnd.random() < 0.02 else 0
        if unit == "percentage":
            den = rnd.randint(20, 400)
            ratio: dict[Any, tuple[int, int]] = {None: (rnd.randint(0, den), den)}
            out.write(f"{submission_id}\t{null}\t{null}\t{ratio[None][0]}\t{den}\t\n")
            for group, parent in groups:
                num, den = ratio[parent.pk if parent else None]
                dens = split(den + off, len(group), rnd)
                remaining = num
                for n, (cat, part_den) in enumerate(zip(group, dens, strict=True)):
                    after = sum(dens[n + 1 :])
                    part_num = (
                        remaining
                        if n == len(group) - 1
                        else rnd.randint(max(0, remaining - after), min(part_den, remaining))
                    )
                    remaining -= part_num
                    ratio[cat.pk] = (part_num, part_den)
                    out.write(f"{submission_id}\t{cat.pk}\t{null}\t{part_num}\t{part_den}\t\n")
            return len(ratio)
        values: dict[Any, int] = {None: rnd.randint(0, 300)}
        out.write(f"{submission_id}\t{null}\t{values[None]}\t{null}\t{null}\t\n")
        for group, parent in groups:
            parts = split(values[parent.pk if parent else None] + off, len(group), rnd)
            for cat, value in zip(group, parts, strict=True):
                values[cat.pk] = value
                out.write(f"{submission_id}\t{cat.pk}\t{value}\t{null}\t{null}\t\n")
        return len(values)


def load_existing() -> dict[str, Any] | None:
    from pacte.accounts.models import User
    from pacte.compacts.models import Compact
    from pacte.results.models import Submission, Value

    user = User.objects.filter(username=BENCH_USERNAME).first()
    small = Compact.objects.filter(title__endswith=SMALL_MARKER).first()
    if user is None or small is None:
        return None
    ids = list(
        Compact.objects.filter(title__contains=MARKER)
        .exclude(pk=small.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        "user_id": user.pk,
        "compact_ids": ids,
        "small_id": small.pk,
        "rows": {"results.Submission": Submission.objects.count(), "results.Value": Value.objects.count()},
    }


def record_parts_checks() -> None:
    """The generator writes submissions without the services: store whether their parts add up
    (what ``services.save_submission`` does), so that progress checks only the others."""
    from pacte.results.models import Submission
    from pacte.results.services import record_parts_check

    pending = Submission.objects.filter(parts_add_up__isnull=True)
    if not pending.exists():
        return
    t0 = time.perf_counter()
    checked = record_parts_check(pending)
    cb.analyze_database()  # the column was just filled
    flagged = Submission.objects.filter(parts_add_up=False).count()
    log(
        f"parts checked for {checked:,} submissions ({flagged:,} do not add up) in "
        f"{time.perf_counter() - t0:.1f} s"
    )


def static_files_current() -> bool:
    """Whether STATIC_ROOT's manifest is newer than every static source file (collectstatic with
    compression takes minutes on a busy machine; the compacts bench leaves the same files)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime > built:
                return False
    return True


# -- in-process measurements ------------------------------------------------------------------------


def progress_path(compact_id: int) -> str:
    return f"/compacts/{compact_id}/results/"


def api_path(compact_id: int) -> str:
    """The indicator API of one compact (pacte/results/api_urls.py)."""
    from django.urls import NoReverseMatch, reverse

    for name in ("results-api:indicator-list", "results-api:definition-list", "results-api:indicators"):
        try:
            return f"{reverse(name)}?compact={compact_id}"
        except NoReverseMatch:
            continue
    return f"/api/v1/results/indicators/?compact={compact_id}"


def without_csrf(content: bytes) -> bytes:
    """A page without its CSRF tokens (masked anew for every response)."""
    return re.sub(
        rb'(csrfmiddlewaretoken" value="|csrf-token" content="|X-CSRFToken": ")[^"]*', rb"\1", content
    )


def count_queries(path: str, user_id: int, accept: str) -> dict[str, Any]:
    """Status, SQL statements (BEGIN/COMMIT aside) and time of one request, in-process: ``cold`` is
    the first request after a results change (a new version token: nothing cached), the rest the
    second request (what it cached is used)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pacte.accounts.models import User
    from pacte.results.services import results_changed

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT=accept)
    client.force_login(User.objects.get(pk=user_id))
    client.get(path)  # loads what any first request loads (translations, templates…)
    compact_id = int(re.findall(r"\d+", path)[-1])

    def measure() -> tuple[Any, Any, float]:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            return response, ctx, time.perf_counter() - started

    results_changed(compact_id)
    cold_response, cold_ctx, cold_elapsed = measure()
    response, ctx, elapsed = measure()
    statements = [
        q["sql"] for q in ctx.captured_queries if q["sql"].split(" ", 1)[0] not in ("BEGIN", "COMMIT")
    ]
    cold_statements = [
        q for q in cold_ctx.captured_queries if q["sql"].split(" ", 1)[0] not in ("BEGIN", "COMMIT")
    ]
    shapes = Counter(re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'S'", sql)) for sql in statements)
    return {
        "status": response.status_code,
        "queries": len(statements),
        "ms": round(elapsed * 1000, 1),
        "sql_ms": round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 1),
        "bytes": len(response.content),
        "repeated": [(n, shape[:160]) for shape, n in shapes.most_common(3) if n > 1],
        "cold": {
            "status": cold_response.status_code,
            "queries": len(cold_statements),
            "ms": round(cold_elapsed * 1000, 1),
            "sql_ms": round(sum(float(q["time"]) for q in cold_ctx.captured_queries) * 1000, 1),
            "same": without_csrf(cold_response.content) == without_csrf(response.content),
        },
    }


def time_report(compact_id: int, user_id: int, year: int, language: str = "fr") -> dict[str, Any]:
    """Build the annual report data (``report.build_report``), then the Word and the PDF files;
    seconds, queries and sizes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pacte.accounts.models import User
    from pacte.compacts.models import Compact
    from pacte.results import report

    user = User.objects.get(pk=user_id)
    compact = Compact.objects.get(pk=compact_id)
    out: dict[str, Any] = {}
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        data = report.build_report(user, compact, year, language)
        out["build_s"] = round(time.perf_counter() - t0, 2)
    out["build_queries"] = len(ctx.captured_queries)
    out["rows"] = sum(len(table.rows) for table in data.tables)
    for fmt in ("docx", "pdf"):
        t0 = time.perf_counter()
        produced = report.render(data, fmt)
        elapsed = time.perf_counter() - t0
        out[f"{fmt}_s"] = round(elapsed, 2)
        out[f"{fmt}_bytes"] = len(produced)
        out[f"total_{fmt}_s"] = round(out["build_s"] + elapsed, 2)
    return out


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: C901
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = cb.server_environment(args)
    password = secrets.token_urlsafe(16)
    server: Any = None
    created = False
    code = 2
    try:
        reuse = args.reuse and cb.database_exists(args.database_url)
        if not reuse:
            log(f"recreating database {cb.database_name(args.database_url)}")
            cb.recreate_database(args.database_url)
        created = True
        cb.setup_django(env)
        from django.core.management import call_command
        from django.db import connections

        log("migrating (production settings)")
        call_command("migrate", interactive=False, verbosity=0)
        data = load_existing() if reuse else None
        if data is None:
            if reuse:
                log("--reuse: no benchmark data in the database; generating it")
                cb.recreate_database(args.database_url)
                connections.close_all()
                call_command("migrate", interactive=False, verbosity=0)
            log(
                f"generating {args.compacts} compacts × {args.indicators} indicators × {args.years} years × "
                "4 quarters with disaggregations"
            )
            t0 = time.perf_counter()
            data = Generator(args.seed, args.years, password).run(args.compacts, args.indicators)
            t_generate = time.perf_counter() - t0
            cb.analyze_database()
            t_total = time.perf_counter() - t0
            log(
                f"data generated: {data['rows'].get('results.Value', 0):,} values, "
                f"{data['rows'].get('results.Submission', 0):,} submissions in {t_generate:.1f} s "
                f"(+ ANALYZE: {t_total:.1f} s)"
            )
            print("rows: " + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items()))
        else:
            log(
                f"reusing the data: {data['rows']['results.Value']:,} values, "
                f"{data['rows']['results.Submission']:,} submissions, {len(data['compact_ids'])} compacts"
            )
        record_parts_checks()
        cb.reset_password(data["user_id"], password)
        if args.generate_only:
            return 0
        ids = data["compact_ids"]
        large_id = ids[len(ids) // 2]
        small_id = data["small_id"]

        if static_files_current():
            log("static files and their manifest are up to date: collectstatic skipped")
        else:
            t0 = time.perf_counter()
            call_command("collectstatic", interactive=False, verbosity=0)
            log(f"collectstatic (compressed manifest storage): {time.perf_counter() - t0:.0f} s")

        print("\nQueries per request (in-process, the second of two requests):")
        print(f"{'page':<26}{'small compact':>34}{'large compact':>34}  fixed?")
        pages = {
            "progress": (progress_path, "text/html"),
            "indicator API": (api_path, "application/json"),
        }
        queries_ok = True
        for label, (make_path, accept) in pages.items():
            small = count_queries(make_path(small_id), data["user_id"], accept)
            large = count_queries(make_path(large_id), data["user_id"], accept)
            fixed = (
                small["status"] == large["status"] == 200
                and small["queries"] == large["queries"]
                and small["cold"]["queries"] == large["cold"]["queries"]
            )
            queries_ok &= fixed
            for state, pick in (("cached", lambda x: x), ("cold", lambda x: x["cold"])):
                cells = [
                    f"{y['queries']} q, {y['ms']} ms ({y['sql_ms']} SQL) {y['status']}"
                    for y in (pick(small), pick(large))
                ]
                name = f"{label} ({state})"
                print(f"{name:<26}{cells[0]:>34}{cells[1]:>34}  {'yes' if fixed else 'NO'}")
            if not (small["cold"]["same"] and large["cold"]["same"]):
                print("    the cached answer differs from the computed one (timestamps aside?)")
            for n, shape in large["repeated"]:
                print(f"    repeated ×{n}: {shape}")

        report_ok = True
        if not args.no_report:
            log(f"annual report {REPORT_YEAR} of compact {large_id} (French)")
            try:
                small_r = time_report(small_id, data["user_id"], REPORT_YEAR - 2)
                rep = time_report(large_id, data["user_id"], REPORT_YEAR)
            except (ImportError, AttributeError) as exc:
                print(f"annual report not measured: {exc}")
                report_ok = False
            else:
                report_ok = max(rep["total_docx_s"], rep["total_pdf_s"]) < TARGET_REPORT_S
                print(
                    f"annual report ({rep['rows']} indicator rows): data {rep['build_s']} s "
                    f"({rep['build_queries']} queries; small compact "
                    f"{small_r['build_queries']}), Word {rep['docx_s']} s ({rep['docx_bytes']:,} bytes), "
                    f"PDF {rep['pdf_s']} s ({rep['pdf_bytes']:,} bytes); total docx {rep['total_docx_s']} s, "
                    f"pdf {rep['total_pdf_s']} s; target < {TARGET_REPORT_S:g} s: "
                    f"{'PASS' if report_ok else 'FAIL'}"
                )
        if args.no_load:
            return 0 if queries_ok and report_ok else 1

        wrk = cb.ensure_wrk()
        connections.close_all()
        server = cb.Gunicorn(env, args.workers)
        log(f"starting gunicorn ({args.workers} workers) on 127.0.0.1:{server.port}")
        server.start()
        try:
            cookies = [
                cb.login_over_http(server.port, BENCH_USERNAME, password) for _ in range(args.connections)
            ]
        except (cb.BenchError, OSError) as exc:
            log(f"real login not usable ({exc}); sessions written with SessionStore instead")
            cookies = [cb.session_from_store(data["user_id"]) for _ in range(args.connections)]
        endpoints = [
            cb.Endpoint("progress", "progress page", progress_path(large_id), "text/html"),
            cb.Endpoint("api", "indicator API", api_path(large_id), "application/json"),
        ]
        busy = cb.background_busy()
        database = cb.database_name(args.database_url)
        for e in endpoints:
            reply = cb.http_request(
                server.port, "GET", e.path, headers={"Cookie": cookies[0], "Accept": e.accept}
            )
            if reply.status != 200:
                log(f"{e.path} answered {reply.status}: not measured")
                continue
            e.validation = {"ok": True, "bytes": len(reply.body)}
            if args.warmup:
                cb.run_wrk(wrk, server.port, e, cookies, args.warmup, args.connections, args.threads)
                cb.settle(server.pid, database)
            log(f"measuring {e.path} ({args.duration} s, {args.connections} connections)")
            before = cb.cpu_snapshot(server.pid, database)
            raw = cb.run_wrk(wrk, server.port, e, cookies, args.duration, args.connections, args.threads)
            e.result = cb.summarise(raw, args.target_p95)
            e.result["cpu"] = cb.cpu_usage(before, cb.cpu_snapshot(server.pid, database), raw["requests"])
            cb.settle(server.pid, database)
        print(
            f"\n{'endpoint':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'errors':>8}  target"
        )
        load_ok = True
        for e in endpoints:
            if not e.result:
                print(f"{e.label:<16}  not measured")
                load_ok = False
                continue
            r = e.result
            load_ok &= r["verdict"] == "PASS"
            print(
                f"{e.label:<16}{r['requests']:>9}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}"
                f"{r['errors']:>8}  p95 < {args.target_p95:g} ms: {r['verdict']}  ({e.path}, "
                f"{e.validation['bytes']:,} bytes; CPU/request {r['cpu']['django_cpu_ms_per_request']} ms "
                f"gunicorn, {r['cpu']['postgres_cpu_ms_per_request']} ms PostgreSQL)"
            )
        print(
            f"\nmachine: {len(os.sched_getaffinity(0))} CPUs, {busy}% busy before the load; gunicorn "
            f"{args.workers} sync workers; wrk -t{args.threads} -c{args.connections} -d{args.duration}s; "
            f"data: {len(ids)} compacts, {data['rows'].get('results.Value', 0):,} values"
        )
        failing = [e for e in endpoints if e.result and e.result["verdict"] != "PASS"]
        if failing:
            print("\nSlowest SQL of the failing endpoints (one request in-process, EXPLAIN ANALYZE):")
            for e in failing:
                cb.profile_queries(e, data["user_id"])
            cb.print_profile_details(failing)
        code = 0 if queries_ok and report_ok and load_ok else 1
    except cb.BenchError as exc:
        print(f"benchmark could not run: {exc}", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
            server.discard_log()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and args.drop:
            cb.drop_database(args.database_url)
            log(f"dropped database {cb.database_name(args.database_url)}")
        elif created:
            log(f"kept database {cb.database_name(args.database_url)} (run again with --reuse)")
    return code


if __name__ == "__main__":
    sys.exit(main())
