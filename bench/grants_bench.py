#!/usr/bin/env python
"""Load benchmark of grants (issue 4) on PostgreSQL: the portfolio pages, the award list, the IATI export.

    .venv/bin/python bench/grants_bench.py [--grants 2000 --transactions 100000 --compacts 40
                                            --duration 20 --connections 10 --workers 2 --reuse --drop]

What it does, in order:

1. (re)creates a PostgreSQL database (``DATABASE_URL`` if it names a ``bench`` database, else
   postgres://postgres@127.0.0.1:5432/pacte_bench_grants), migrates it with the production settings;
   ``--reuse`` keeps the data already there;
2. generates the portfolio with ``bulk_create`` (transactions with PostgreSQL ``COPY``): N signed
   compacts with their parties, US ceiling (USD 10 million), objectives, activities and indicator
   definitions; 150 implementing partners; 2,000 awards (60 % under a compact, never above its
   ceiling; the rest of the TIP Office's other programme types), each with 1–3 DAC sectors adding to
   100, yearly budgets, objectives, activities and indicators of its compact; 100,000 transactions
   (commitments within the award amount, disbursements, expenditures, 5 % in CFA francs with a rate);
   the count and the time are printed;
3. times the full IATI export (``pacte.grants.iati.stream(None)``, consumed to /dev/null) in a fresh
   process for 500 and for all the grants (the 500 case deletes the other awards inside a transaction
   that is rolled back): seconds, activities, bytes, SQL queries, resident memory growth (peak RSS
   from ``getrusage`` minus the RSS before the export) and Python's own peak (``tracemalloc``, a
   second pass); memory must not grow with the number of grants;
4. counts the SQL queries of each page in-process (and has PostgreSQL time each SELECT);
5. starts gunicorn (production settings, ``--workers`` sync workers), logs in over HTTP one session
   per client and runs wrk (10 connections) against the portfolio grouped by compact, grouped by
   partner, and the award list; prints p50 / p95 / p99 and requests per second against the target
   (p95 < 200 ms).

The database is kept at the end (``--reuse`` then starts at step 3); ``--drop`` drops it. The script
prints figures; it is not a test. Database, HTTP, gunicorn and wrk helpers are those of
bench/compacts_bench.py (wrk is apt-get installed when missing and the script runs as root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import compacts_bench as cb  # noqa: E402  (bench/compacts_bench.py: database, HTTP, gunicorn, wrk)
import results_bench as rb  # noqa: E402  (static_files_current)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pacte_bench_grants"
TARGET_P95_MS = 200.0
BENCH_USERNAME = "grants-bench-officer"
MARKER = "(grants bench"
REFERENCE_PREFIX = "BENCH-"
TODAY = dt.date(2026, 11, 30)  # transactions are dated up to here (never in the future)
CENT = Decimal("0.01")
XOF_RATE = Decimal("0.00178400")  # USD per XOF (1 EUR = 655.957 XOF, 1 EUR ≈ 1.17 USD)
SECTORS = ["15160", "15130", "16010", "15170", "15180", "11220", "12220", "16020"]
PROGRAMME_TYPES = ["bilateral_regional", "training_ta", "emergency_assistance", "research_innovation"]
RESULT_PREFIX = "IATI_RESULT "


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
    parser.add_argument("--grants", type=int, default=2000, help="awards to generate")
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--compacts", type=int, default=40)
    parser.add_argument("--partners", type=int, default=150)
    parser.add_argument("--small", type=int, default=500, help="grants of the smaller IATI export")
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
    parser.add_argument("--no-iati", action="store_true", help="skip the IATI export timing")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn and wrk")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--iati-child", type=int, default=0, help=argparse.SUPPRESS)  # internal
    args = parser.parse_args(argv)
    if "bench" not in cb.database_name(args.database_url):
        parser.error("refusing to use a database whose name does not contain 'bench'")
    if args.small >= args.grants:
        parser.error("--small must be below --grants")
    return args


# -- data ----------------------------------------------------------------------------------------


def usd(value: float | int | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Generator:
    """Bulk-creates the data set. bulk_create and COPY skip save() and signals: no Historical* rows."""

    def __init__(self, seed: int, password: str) -> None:
        self.rnd = random.Random(seed)
        self.password = password
        self.counts: Counter[str] = Counter()

    def create(self, model: Any, objs: list[Any], batch: int = 5000) -> list[Any]:
        created = model.objects.bulk_create(objs, batch_size=batch)
        self.counts[model._meta.label] += len(created)
        return created

    def run(self, n_compacts: int, n_partners: int, n_grants: int, n_transactions: int) -> dict[str, Any]:
        from django.db import transaction

        from pacte.accounts.models import Organisation, User

        with transaction.atomic():
            donor = self.create(
                Organisation,
                [
                    Organisation(
                        name=f"Bureau TIP {MARKER})",
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
                email="grants-bench@example.org",
                organisation=donor,
                job_title="Grants officer",
            )
            user.set_password(self.password)
            user.save()
            self.counts["accounts.User"] += 1
            compacts = self.compacts(donor, user, n_compacts)
            partners = self.partners(n_partners)
            awards = self.awards(compacts, partners, user, n_grants)
            self.transactions(awards, user, n_transactions)
            # Written without the services: give the grants version its token, as the services would
            # (the portfolio pages cache under it; without one nothing is cached).
            from pacte.grants.services import grants_changed

            grants_changed()
        return {"user_id": user.pk, "rows": dict(sorted(self.counts.items()))}

    def compacts(self, donor: Any, user: Any, n: int) -> list[Any]:
        from pacte.compacts import models as m
        from pacte.results.models import IndicatorDefinition

        countries = cb.partner_countries()[:n]
        start = dt.date(2022, 1, 1)
        compacts = self.create(
            m.Compact,
            [
                m.Compact(
                    title=f"Partenariat pour la protection de l'enfance – {country} {MARKER} {i + 1:03d})",
                    country=country,
                    purpose="Renforcer la lutte contre la traite des enfants.",
                    goal="Le pays lutte contre la traite des enfants de façon coordonnée et précoce.",
                    status=m.Compact.Status.SIGNED,
                    signature_date=start,
                    signature_place="Abidjan",
                    start_date=start,
                    end_date=m.latest_end_date(start),
                    original_end_date=m.latest_end_date(start),
                    created_by=user,
                )
                for i, country in enumerate(countries)
            ],
        )
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
            m.Commitment,
            [
                m.Commitment(
                    compact=c,
                    party=us_of[c.pk],
                    kind=m.Commitment.Kind.CEILING,
                    description="Jusqu'à 10 millions de dollars, sous réserve de la disponibilité des fonds.",
                    amount=usd(10_000_000),
                    currency="USD",
                    subject_to_availability_of_funds=True,
                    recorded_on=start,
                )
                for c in compacts
            ],
        )
        self.create(
            m.Participation,
            [
                m.Participation(
                    compact=c, organisation=donor, role=m.Participation.Role.PARTY_BODY, party=us_of[c.pk]
                )
                for c in compacts
            ],
        )
        self.create(
            m.Membership,
            [m.Membership(compact=c, user=user, role=m.Membership.Role.PROGRAMME_OFFICER) for c in compacts],
        )
        objectives = self.create(
            m.Objective,
            [
                m.Objective(compact=c, pillar=pillar, number=k + 1, statement=cb.OBJECTIVE_TEXTS[pillar])
                for c in compacts
                for k, pillar in enumerate(m.PILLAR_ORDER)
            ],
        )
        activities = self.create(
            m.Activity,
            [
                m.Activity(objective=o, order=k + 1, description=text)
                for o in objectives
                for k, text in enumerate(cb.ACTIVITY_TEXTS[o.pillar])
            ],
        )
        indicators = self.create(
            m.Indicator,
            [
                m.Indicator(objective=o, order=1, name=cb.INDICATOR_TEXTS[k % len(cb.INDICATOR_TEXTS)])
                for k, o in enumerate(objectives)
            ],
        )
        compact_of_objective = {o.pk: o.compact_id for o in objectives}
        definitions = self.create(
            IndicatorDefinition,
            [
                IndicatorDefinition(
                    indicator=i, compact_id=compact_of_objective[i.objective_id], baseline_year=2021
                )
                for i in indicators
            ],
        )
        self.links: dict[int, dict[str, list[Any]]] = {c.pk: {"o": [], "a": [], "i": []} for c in compacts}
        for o in objectives:
            self.links[o.compact_id]["o"].append(o)
        for a in activities:
            self.links[compact_of_objective[a.objective_id]]["a"].append(a)
        for d in definitions:
            self.links[d.compact_id]["i"].append(d)
        return compacts

    def partners(self, n: int) -> list[Any]:
        from pacte.accounts.models import Organisation

        kinds = ["ngo"] * 14 + ["international_organisation"] * 3 + ["university"] * 2 + ["for_profit"]
        countries = cb.partner_countries()[:25]
        return self.create(
            Organisation,
            [
                Organisation(
                    name=f"Partenaire {i + 1:03d} {MARKER})",
                    org_type=Organisation.Type.IMPLEMENTING_PARTNER,
                    partner_kind=kinds[i % len(kinds)],
                    country=countries[i % len(countries)],
                    registration_number=f"REG-{i + 1:05d}",
                )
                for i in range(n)
            ],
        )

    def awards(self, compacts: list[Any], partners: list[Any], user: Any, n: int) -> list[Any]:
        from pacte.grants import models as g

        rnd = self.rnd
        under_compacts = int(n * 0.6)
        per_compact = cb.spread(under_compacts, len(compacts))
        rows: list[Any] = []
        for compact, count in zip(compacts, per_compact, strict=True):
            amounts = [rnd.randint(50, 600) * 1000 for _ in range(count)]
            scale = min(Decimal(1), Decimal("9500000") / max(sum(amounts), 1))  # under the USD 10 M ceiling
            for amount in amounts:
                rows.append(self.award(len(rows), compact, rnd.choice(partners), usd(amount * scale), user))
        while len(rows) < n:
            rows.append(
                self.award(len(rows), None, rnd.choice(partners), usd(rnd.randint(20, 2000) * 1000), user)
            )
        awards = self.create(g.Award, rows)
        sectors, budgets, objective_links, activity_links, indicator_links = [], [], [], [], []
        for award in awards:
            codes = rnd.sample(SECTORS, rnd.randint(1, 3))
            shares = [Decimal(100)] if len(codes) == 1 else [Decimal(60), Decimal(40)]
            if len(codes) == 3:
                shares = [Decimal(50), Decimal(30), Decimal(20)]
            sectors += [
                g.SectorShare(award=award, code=c, percentage=p) for c, p in zip(codes, shares, strict=True)
            ]
            periods = []
            start = award.start_date
            while start <= award.end_date:
                end = min(add_years(start, 1) - dt.timedelta(days=1), award.end_date)
                periods.append((start, end))
                start = end + dt.timedelta(days=1)
            share = usd(award.amount / len(periods))
            budgets += [
                g.Budget(award=award, period_start=s, period_end=e, amount=share, value_date=s)
                for s, e in periods
            ]
            if award.compact_id is not None:
                links = self.links[award.compact_id]
                objective_links += [
                    g.Award.objectives.through(award_id=award.pk, objective_id=o.pk)
                    for o in rnd.sample(links["o"], 2)
                ]
                activity_links += [
                    g.Award.activities.through(award_id=award.pk, activity_id=a.pk)
                    for a in rnd.sample(links["a"], 3)
                ]
                indicator_links += [
                    g.Award.indicators.through(award_id=award.pk, indicatordefinition_id=d.pk)
                    for d in rnd.sample(links["i"], 2)
                ]
        self.create(g.SectorShare, sectors)
        self.create(g.Budget, budgets)
        self.create(g.Award.objectives.through, objective_links)
        self.create(g.Award.activities.through, activity_links)
        self.create(g.Award.indicators.through, indicator_links)
        return awards

    def award(self, i: int, compact: Any, partner: Any, amount: Decimal, user: Any) -> Any:
        from pacte.grants import models as g

        rnd = self.rnd
        start = dt.date(2022, 1, 1) + dt.timedelta(days=rnd.randrange(0, 4 * 365))
        end = add_years(start, rnd.randint(1, 4)) - dt.timedelta(days=1)
        instrument = rnd.choice(["grant", "grant", "cooperative_agreement", "contract"])
        return g.Award(
            reference=f"{REFERENCE_PREFIX}{i + 1:05d}",
            title=f"Projet de lutte contre la traite des enfants n° {i + 1} {MARKER})",
            description="Prévention, protection des victimes et appui aux poursuites.",
            instrument=instrument,
            programme_type="child_protection_compact" if compact else rnd.choice(PROGRAMME_TYPES),
            compact=compact,
            organisation=partner,
            recipient_country=compact.country if compact else partner.country or "CIV",
            start_date=start,
            end_date=end,
            amount=amount,
            status="4" if end < TODAY else "2",
            justification="Meilleure note du comité d'examen.",
            decided_by=user,
            decided_on=start - dt.timedelta(days=20),
        )

    def transactions(self, awards: list[Any], user: Any, total: int) -> None:
        """Tab-separated rows written with COPY: per award, commitments within its amount, then
        disbursements and expenditures dated from its start to ``TODAY`` at the latest."""
        from django.db import connection
        from django.utils import timezone

        rnd = self.rnd
        now = timezone.now().isoformat()
        null = "\\N"
        buffer = io.StringIO()
        rows = 0
        for award, count in zip(awards, cb.spread(total, len(awards)), strict=True):
            last = min(award.end_date, TODAY)
            days = max((last - award.start_date).days, 1)
            commitments = min(3, count)
            committed = [usd(award.amount / commitments)] * commitments
            for k in range(count):
                if k < commitments:
                    kind, amount = "2", committed[k]
                    day = award.start_date + dt.timedelta(days=days * k // commitments)
                else:
                    kind = "3" if k % 2 else "4"
                    amount = usd(award.amount / count * Decimal(rnd.uniform(0.3, 1.2)))
                    day = award.start_date + dt.timedelta(days=rnd.randrange(days))
                currency, rate, amount_usd = "USD", null, amount
                if kind == "4" and rnd.random() < 0.1:  # about 5 % of all transactions, in CFA francs
                    currency, rate = "XOF", str(XOF_RATE)
                    amount = usd(amount / XOF_RATE)
                    amount_usd = usd(amount * XOF_RATE)
                buffer.write(
                    f"{now}\t{now}\t{award.pk}\t{kind}\t{day.isoformat()}\t{amount}\t{currency}\t{rate}\t"
                    f"{amount_usd}\tTX-{award.pk}-{k + 1}\tTransaction de démonstration\t{user.pk}\n"
                )
                rows += 1
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                "COPY grants_transaction (created_at, updated_at, award_id, kind, date, amount, currency, "
                "rate_to_usd, amount_usd, reference, description, created_by_id) FROM STDIN"
            ) as copy,
        ):
            copy.write(buffer.getvalue())
        self.counts["grants.Transaction"] += rows


def load_existing() -> dict[str, Any] | None:
    from pacte.accounts.models import User
    from pacte.grants.models import Award, Transaction

    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None or not Award.objects.exists():
        return None
    return {
        "user_id": user.pk,
        "rows": {"grants.Award": Award.objects.count(), "grants.Transaction": Transaction.objects.count()},
    }


# -- IATI export (in a fresh process, so that its peak memory is its own) ------------------------------


def keep_only_awards(n: int) -> None:
    """Delete every award but the first ``n`` (and what hangs from them) with plain SQL deletes; the
    caller rolls the transaction back."""
    from django.db import connection

    from pacte.grants.models import Award

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM grants_award ORDER BY id OFFSET %s", [n])
        dropped = [row[0] for row in cursor.fetchall()]
        if not dropped:
            return
        for relation in Award._meta.get_fields(include_hidden=True):
            if (
                (relation.one_to_many or relation.one_to_one)
                and relation.auto_created
                and not relation.concrete
            ):
                field = relation.field  # type: ignore[union-attr]
                cursor.execute(
                    f'DELETE FROM "{field.model._meta.db_table}" WHERE "{field.column}" = ANY(%s)',  # noqa: S608
                    [dropped],
                )
        cursor.execute("DELETE FROM grants_award WHERE id = ANY(%s)", [dropped])


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def iati_child(n: int) -> dict[str, Any]:
    """Export the first ``n`` awards (all when ``n`` is at least their number) to /dev/null, twice:
    timed with the RSS growth, then under tracemalloc for Python's own peak."""
    from django.db import connection, transaction

    from pacte.grants import iati
    from pacte.grants.models import Award, Transaction

    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    out: dict[str, Any] = {}
    with transaction.atomic():
        keep_only_awards(n)
        out["grants"] = Award.objects.count()
        out["transactions"] = Transaction.objects.count()
        # Warm-up (imports, codelists, translations, the first activities), then close the stream at
        # once: an abandoned stream is only closed by the garbage collector, whose closing of the
        # server-side cursor can then happen in the middle of another query and deadlock psycopg.
        warm = iati.stream(None)
        next(warm, b"")
        close = getattr(warm, "close", None) or getattr(warm._chunks, "close", None)
        if close is not None:
            close()
        with open(os.devnull, "wb") as sink, connection.execute_wrapper(count):
            before = rss_kib()
            started = time.perf_counter()
            stream = iati.stream(None)
            size = 0
            for chunk in stream:
                size += len(chunk)
                sink.write(chunk)
            out["seconds"] = round(time.perf_counter() - started, 2)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
            out["rss_before_mib"] = round(before / 1024, 1)
            out["rss_growth_mib"] = round(max(peak - before, 0) / 1024, 1)
            out["activities"] = stream.activities
            out["bytes"] = size
            out["queries"] = queries
        tracemalloc.start()
        for _chunk in iati.stream(None):
            pass
        out["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)
        tracemalloc.stop()
        transaction.set_rollback(True)
    return out


def time_iati(args: argparse.Namespace, n: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--iati-child",
        str(n),
        "--database-url",
        args.database_url,
        "--settings",
        args.settings,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())
    line = next((x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX)), None)
    if done.returncode != 0 or line is None:
        raise cb.BenchError(f"the IATI export of {n} grants failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(line.removeprefix(RESULT_PREFIX)))


# -- pages -----------------------------------------------------------------------------------------


def endpoints() -> list[cb.Endpoint]:
    return [
        cb.Endpoint("by_compact", "portfolio by compact", "/grants/?group_by=compact", "text/html"),
        cb.Endpoint("by_partner", "portfolio by partner", "/grants/?group_by=partner", "text/html"),
        cb.Endpoint("awards", "award list", "/grants/awards/", "text/html"),
    ]


def check_page(endpoint: cb.Endpoint, body: str) -> list[str]:
    """Problems with a 200 answer: it must show the benchmark's data, not an empty page."""
    expected = REFERENCE_PREFIX if endpoint.name == "awards" else MARKER
    return [] if expected in body else [f"no {expected!r} on the page"]


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: C901
    args = parse_args(argv)
    if args.iati_child:
        cb.setup_django(
            {**cb.server_environment(args), **{k: v for k, v in os.environ.items() if "DJANGO" in k}}
        )
        print(RESULT_PREFIX + json.dumps(iati_child(args.iati_child)), flush=True)
        return 0
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
                connections.close_all()
                cb.recreate_database(args.database_url)
                call_command("migrate", interactive=False, verbosity=0)
            log(
                f"generating {args.grants:,} grants, {args.transactions:,} transactions, "
                f"{args.compacts} compacts, {args.partners} partners"
            )
            t0 = time.perf_counter()
            data = Generator(args.seed, password).run(
                args.compacts, args.partners, args.grants, args.transactions
            )
            t_generate = time.perf_counter() - t0
            cb.analyze_database()
            t_analyze = time.perf_counter() - t0 - t_generate
            log(f"data generated in {t_generate:.1f} s (+ ANALYZE: {t_analyze:.1f} s)")
            print("rows: " + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items()))
        else:
            log("reusing the data: " + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items()))
        cb.reset_password(data["user_id"], password)
        connections.close_all()

        iati_ok = True
        if not args.no_iati:
            print("\nIATI export (pacte.grants.iati.stream(None) to /dev/null, a fresh process each):")
            print(
                f"{'grants':>7}{'transactions':>14}{'activities':>12}{'seconds':>9}{'MiB out':>9}"
                f"{'queries':>9}{'RSS growth MiB':>16}{'tracemalloc peak MiB':>22}"
            )
            figures = []
            for n in (args.small, args.grants):
                log(f"IATI export of {n:,} grants")
                r = time_iati(args, n)
                figures.append(r)
                print(
                    f"{r['grants']:>7,}{r['transactions']:>14,}{r['activities']:>12,}{r['seconds']:>9}"
                    f"{r['bytes'] / 1024 / 1024:>9.1f}{r['queries']:>9}{r['rss_growth_mib']:>16}"
                    f"{r['tracemalloc_peak_mib']:>22}"
                )
            small, large = figures
            growth = large["tracemalloc_peak_mib"] - small["tracemalloc_peak_mib"]
            # Flat: the peak of 4× the grants stays within 25 % (or 5 MiB) of the small export's.
            iati_ok = growth <= max(5.0, 0.25 * small["tracemalloc_peak_mib"])
            print(
                f"memory flat in the number of grants: {'yes' if iati_ok else 'NO'} "
                f"(tracemalloc peak {small['tracemalloc_peak_mib']} → {large['tracemalloc_peak_mib']} MiB "
                f"for {small['grants']:,} → {large['grants']:,} grants; "
                f"{large['seconds'] / max(large['grants'], 1) * 1000:.1f} ms per grant)"
            )
            print(
                f"  (the {small['grants']:,}-grant export reads past the rows deleted in its rolled-back "
                "transaction: its time is an upper bound; its memory is not affected)"
            )

        if rb.static_files_current():
            log("static files and their manifest are up to date: collectstatic skipped")
        else:
            t0 = time.perf_counter()
            call_command("collectstatic", interactive=False, verbosity=0)
            log(f"collectstatic (compressed manifest storage): {time.perf_counter() - t0:.0f} s")

        pages = endpoints()
        print("\nQueries per request (in-process, the last of three requests):")
        for e in pages:
            cb.profile_queries(e, data["user_id"], repeat=3)
            p = e.profile
            print(
                f"  {e.label:<22} {p['status']}  {p['queries']} queries, {p['ms']} ms "
                f"(PostgreSQL: {p['pg_execution_ms']} ms execution, {p['pg_planning_ms']} ms planning)"
            )
        if args.no_load:
            return 0 if iati_ok else 1

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
        busy = cb.background_busy()
        database = cb.database_name(args.database_url)
        for e in pages:
            reply = cb.http_request(
                server.port, "GET", e.path, headers={"Cookie": cookies[0], "Accept": e.accept}
            )
            problems = [f"answered {reply.status}"] if reply.status != 200 else check_page(e, reply.text)
            e.validation = {"ok": not problems, "problems": problems, "bytes": len(reply.body)}
            if problems:
                log(f"{e.path}: {'; '.join(problems)}: not measured")
                continue
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
            f"\n{'endpoint':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'errors':>8}  target"
        )
        load_ok = True
        for e in pages:
            if not e.result:
                print(f"{e.label:<22}  not measured: {'; '.join(e.validation.get('problems', []))}")
                load_ok = False
                continue
            r = e.result
            load_ok &= r["verdict"] == "PASS"
            print(
                f"{e.label:<22}{r['requests']:>9}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}"
                f"{r['errors']:>8}  p95 < {args.target_p95:g} ms: {r['verdict']}  ({e.path}, "
                f"{e.validation['bytes']:,} bytes; CPU/request {r['cpu']['django_cpu_ms_per_request']} ms "
                f"gunicorn, {r['cpu']['postgres_cpu_ms_per_request']} ms PostgreSQL)"
            )
        print(
            f"\nmachine: {len(os.sched_getaffinity(0))} CPUs, {busy}% busy before the load; gunicorn "
            f"{args.workers} sync workers; wrk -t{args.threads} -c{args.connections} -d{args.duration}s; "
            "data: " + ", ".join(f"{k} {v:,}" for k, v in data["rows"].items())
        )
        failing = [e for e in pages if e.result and e.result["verdict"] != "PASS"]
        if failing:
            cb.print_profile_details(failing)
        code = 0 if iati_ok and load_ok else 1
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
