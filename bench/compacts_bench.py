#!/usr/bin/env python
"""Load benchmark of the compact list, one compact page and the API list, on PostgreSQL.

    .venv/bin/python bench/compacts_bench.py [--compacts 200 --activities 60 --indicators 20
                                              --duration 20 --connections 10]

What it does, in order:

1. drops and recreates a PostgreSQL database (``pacte_bench`` on postgres://postgres@127.0.0.1:5432
   unless ``--database-url`` says otherwise), migrates it and runs collectstatic, all with the
   production settings (``config.settings.production``, a random secret key for the run);
2. generates the data with ``bulk_create``: N signed compacts, each with its two parties, four
   objectives (one per pillar), the activities and indicators spread over them, a US ceiling and
   funding under it, six focal points, signatories, meetings, participating organisations; and one
   programme officer of a donor office who takes part in every compact;
3. starts gunicorn (``-w 4 --threads 1``, production settings) on a free loopback port, waits for
   /healthz and logs in over HTTP, one session per simulated client;
4. checks that each endpoint answers 200 with the expected content (a fast 302 or 404 is not a
   measurement); runs one request of each in-process to list its SQL queries and have PostgreSQL
   time each SELECT (EXPLAIN ANALYZE: execution, planning, JIT compilation), one more with an empty
   cache (the compact page caches its overview, the lists what they show each user: what the first
   view after a change costs) and
   ``--sequential`` (200) more one after the other, whose CPU time per request is steadier than
   figures under load on a shared machine; then runs wrk
   (10 connections, 2 threads, bench/wrk_report.lua) against each endpoint after a warm-up, while
   reading from /proc the CPU time gunicorn and the database's backends spend per request;
5. prints latency percentiles against the target (p95 < 150 ms) with the machine facts, and writes
   bench/results/compacts-<timestamp>.json (git-ignored);
6. stops gunicorn and drops the database (unless ``--keep``; ``--reuse`` then skips steps 1–2).

Exit status: 0 when every endpoint meets the target without errors, 1 otherwise, 2 when the
benchmark could not run. It needs root or an installed ``wrk`` (it apt-get installs it if missing).
The machine is shared: the report gives the load before the run, so that a busy machine shows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pacte_bench"
TARGET_P95_MS = 150.0
BENCH_USERNAME = "bench-officer"
PAGE_SIZE = 25  # rows per page of the compact list (pacte.compacts.views.PAGE_SIZE)
MARKER = re.compile(r"\(bench (\d{3,})\)")

sys.path.insert(0, str(ROOT))


class BenchError(Exception):
    """The benchmark cannot run (setup failed); the message says why."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- command line ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compacts", type=int, default=200)
    parser.add_argument("--activities", type=int, default=60, help="activities per compact")
    parser.add_argument("--indicators", type=int, default=20, help="indicators per compact")
    parser.add_argument("--duration", type=int, default=20, help="seconds of measurement per endpoint")
    parser.add_argument(
        "--warmup", type=int, default=5, help="seconds of warm-up per endpoint (not measured)"
    )
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients (wrk -c)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (wrk -t)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--target-p95", type=float, default=TARGET_P95_MS, help="target p95 in milliseconds")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL URL of the bench database; it is DROPPED and recreated "
        "(its name must contain 'bench')",
    )
    parser.add_argument(
        "--endpoints",
        default="list,compact,api",
        help="comma-separated subset of: list, compact, api, healthz "
        "(healthz is a baseline: middleware + SELECT 1)",
    )
    parser.add_argument(
        "--settings",
        default="config.settings.production",
        help="Django settings module of the server (default: production); another one only for experiments, "
        "e.g. a module on PYTHONPATH that imports the production settings and changes one thing",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a database left by --keep instead of recreating and regenerating it",
    )
    parser.add_argument("--seed", type=int, default=2022, help="random seed of the data generator")
    parser.add_argument(
        "--sequential",
        type=int,
        default=200,
        help="requests of each endpoint run one after the other in-process (Django test client) to "
        "measure the CPU time of one request, steadier than under load on a shared machine; 0: skip",
    )
    args = parser.parse_args(argv)
    name = database_name(args.database_url)
    if "bench" not in name:
        parser.error(f"refusing to drop database {name!r}: its name must contain 'bench'")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    unknown = set(args.endpoints.split(",")) - set(ENDPOINT_NAMES)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return args


ENDPOINT_NAMES = ("list", "compact", "api", "healthz")


# -- database ------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def maintenance_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/postgres"))


def database_exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone()
    return row is not None


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url)))
        )


def server_environment(args: argparse.Namespace) -> dict[str, str]:
    """The production settings' environment, with a secret key that lives for this run only."""
    return {
        "DJANGO_SETTINGS_MODULE": args.settings,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "DATABASE_URL": args.database_url,
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


# -- data ----------------------------------------------------------------------------------------

ACTIVITY_TEXTS = {
    "prevention": [
        "Mener des campagnes de sensibilisation et de communication contre la traite des enfants à travers "
        "le pays en ciblant les communautés à risque et les acteurs du secteur des transports",
        "Élaborer et mettre à la disposition des acteurs nationaux des outils de formation et de "
        "sensibilisation contre la traite des enfants",
        "Travailler avec les ministères concernés pour promouvoir l'enregistrement des naissances et "
        "l'acquisition de documents d'identité",
    ],
    "protection": [
        "Fournir un appui direct aux organisations de la société civile qui offrent des services de "
        "protection aux enfants victimes de la traite",
        "Appuyer les efforts de réintégration, y compris l'apprentissage, la formation professionnelle et "
        "le paiement des frais de scolarité",
        "Renforcer les capacités des acteurs concernés pour mettre en œuvre le mécanisme national de "
        "référencement des victimes",
    ],
    "prosecution": [
        "Développer et renforcer les formations des acteurs du secteur de la justice concernant la "
        "législation de lutte contre la traite des personnes",
        "Appuyer un consultant ou mentor destiné au ministère de la Justice et aux unités de la police",
        "Élaborer des procédures opérationnelles permanentes pour l'identification des victimes et la "
        "gestion des dossiers",
    ],
    "partnership": [
        "Renforcer la coordination entre les comités nationaux de lutte contre la traite et les partenaires "
        "d'exécution de la société civile",
        "Organiser des réunions périodiques de suivi avec les points focaux et les partenaires techniques",
        "Échanger les informations et les données sur la traite des enfants entre les institutions",
    ],
}
INDICATOR_TEXTS = [
    "Nombre de campagnes de prévention réalisées",
    "Nombre de personnes touchées par les campagnes de prévention",
    "Nombre de personnes ayant été formées aux typologies, lois et interventions en matière de traite",
    "Nombre d'enfants victimes identifiés et référés vers des services de protection",
    "Nombre d'enquêtes, de poursuites et de condamnations pour traite des enfants",
]
OBJECTIVE_TEXTS = {
    "prevention": "Les efforts de prévention de la traite des enfants sont coordonnés et ciblés "
    "sur l'ensemble du pays.",
    "protection": "Le pays appuie directement les enfants victimes de la traite en leur apportant "
    "des soins accessibles.",
    "prosecution": "Les enquêtes et les poursuites des auteurs de traite des enfants sont renforcées.",
    "partnership": "La coordination entre les institutions et la société civile est renforcée.",
}


def spread(total: int, parts: int) -> list[int]:
    """``total`` items over ``parts`` buckets, as evenly as possible (the first buckets get the rest)."""
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def partner_countries() -> list[str]:
    import pycountry

    codes = sorted(c.alpha_3 for c in pycountry.countries if c.alpha_3 not in ("USA", "CIV"))
    return ["CIV", *codes]


def generate_data(
    n_compacts: int, n_activities: int, n_indicators: int, password: str, seed: int
) -> dict[str, Any]:
    """Bulk-create the data set; returns the benchmark user's id and row counts.

    bulk_create skips save() and signals, so django-simple-history writes no Historical* rows:
    the history tables stay empty, which the pages read do not depend on.
    """
    from django.db import transaction

    from pacte.accounts.models import Organisation, User, country_name
    from pacte.compacts import models as m

    rnd = random.Random(seed)
    today = dt.date.today()
    countries = partner_countries()
    pillars = list(m.PILLAR_ORDER)
    bulk = 2000
    counts: Counter[str] = Counter()

    def create(model: Any, objs: list[Any]) -> list[Any]:
        created = model.objects.bulk_create(objs, batch_size=bulk)
        counts[model._meta.label] += len(created)
        return created

    with transaction.atomic():
        donor = create(
            Organisation,
            [
                Organisation(
                    name="Bureau de surveillance et de lutte contre la traite des personnes (bench)",
                    acronym="TIP Office",
                    org_type=Organisation.Type.DONOR_OFFICE,
                    country="USA",
                    email="tip-office@example.org",
                )
            ],
        )[0]
        ngos = create(
            Organisation,
            [
                Organisation(
                    name=f"ONG de protection de l'enfance {i + 1} (bench)",
                    acronym=f"ONG{i + 1}",
                    org_type=Organisation.Type.IMPLEMENTING_PARTNER,
                    partner_kind=Organisation.PartnerKind.NGO,
                    country="CIV",
                )
                for i in range(5)
            ],
        )
        user = User(
            username=BENCH_USERNAME,
            first_name="Bench",
            last_name="Officer",
            email="bench-officer@example.org",
            organisation=donor,
            job_title="Programme officer",
        )
        user.set_password(password)
        user.save()
        counts["accounts.User"] += 1

        compact_rows = []
        for i in range(n_compacts):
            start = dt.date(2022, 1, 1) + dt.timedelta(days=rnd.randrange(0, 4 * 365))
            country = countries[i % len(countries)]
            compact_rows.append(
                m.Compact(
                    title=f"Partenariat pour la protection de l’enfance – {country} (bench {i + 1:03d})",
                    country=country,
                    purpose="Le présent partenariat vise à renforcer la lutte contre la traite des enfants.",
                    goal="Le pays lutte contre la traite des enfants de façon coordonnée et précoce.",
                    status=m.Compact.Status.SIGNED,
                    signature_date=start,
                    signature_place="Abidjan" if country == "CIV" else "Washington",
                    start_date=start,
                    end_date=m.latest_end_date(start),
                    original_end_date=m.latest_end_date(start),
                    created_by=user,
                )
            )
        compacts = create(m.Compact, compact_rows)

        partner_orgs = create(
            Organisation,
            [
                Organisation(
                    name=f"Comité national de lutte contre la traite – {c.country} (bench {i + 1:03d})",
                    acronym=f"CN-{c.country}-{i + 1}",
                    org_type=Organisation.Type.PARTNER_GOVERNMENT,
                    country=c.country,
                )
                for i, c in enumerate(compacts)
            ],
        )
        party_rows = []
        for c in compacts:
            party_rows.append(
                m.Party(
                    compact=c, kind=m.Party.Kind.UNITED_STATES, name="Gouvernement des États-Unis d’Amérique"
                )
            )
            party_rows.append(
                m.Party(
                    compact=c,
                    kind=m.Party.Kind.PARTNER_COUNTRY,
                    name=f"Gouvernement – {country_name(c.country)}",
                )
            )
        parties = create(m.Party, party_rows)
        us_of = {p.compact_id: p for p in parties if p.kind == m.Party.Kind.UNITED_STATES}
        partner_of = {p.compact_id: p for p in parties if p.kind == m.Party.Kind.PARTNER_COUNTRY}

        create(
            m.MonitoringCommittee,
            [
                m.MonitoringCommittee(
                    compact=c, established_on=c.start_date, mandate="Suivi et évaluation du partenariat."
                )
                for c in compacts
            ],
        )
        participations, memberships, signatories = [], [], []
        for i, c in enumerate(compacts):
            participations += [
                m.Participation(
                    compact=c, organisation=donor, role=m.Participation.Role.PARTY_BODY, party=us_of[c.pk]
                ),
                m.Participation(
                    compact=c,
                    organisation=partner_orgs[i],
                    role=m.Participation.Role.PARTY_BODY,
                    party=partner_of[c.pk],
                ),
                m.Participation(
                    compact=c,
                    organisation=ngos[i % len(ngos)],
                    role=m.Participation.Role.IMPLEMENTING_PARTNER,
                ),
            ]
            memberships.append(m.Membership(compact=c, user=user, role=m.Membership.Role.PROGRAMME_OFFICER))
            signatories += [
                m.Signatory(
                    compact=c,
                    party=us_of[c.pk],
                    name="Ambassadeur des États-Unis",
                    order=1,
                    title="Ambassadeur extraordinaire et plénipotentiaire",
                    signed_on=c.signature_date,
                    on_behalf_of="Gouvernement des États-Unis d’Amérique",
                ),
                m.Signatory(
                    compact=c,
                    party=partner_of[c.pk],
                    name="Ministre de la Famille",
                    order=2,
                    title="Ministre de la Femme, de la Famille et de l’Enfant",
                    signed_on=c.signature_date,
                    organisation=partner_orgs[i],
                ),
            ]
        create(m.Participation, participations)
        create(m.Membership, memberships)
        create(m.Signatory, signatories)

        objectives = create(
            m.Objective,
            [
                m.Objective(compact=c, pillar=pillar, number=n + 1, statement=OBJECTIVE_TEXTS[pillar])
                for c in compacts
                for n, pillar in enumerate(pillars)
            ],
        )
        objectives_of: dict[int, list[Any]] = {}
        for o in objectives:
            objectives_of.setdefault(o.compact_id, []).append(o)
        compact_index = {c.pk: i for i, c in enumerate(compacts)}

        activity_rows, indicator_rows = [], []
        for c in compacts:
            objs = objectives_of[c.pk]
            number = 0
            for o, how_many in zip(objs, spread(n_activities, len(objs)), strict=True):
                for k in range(how_many):
                    number += 1
                    text = ACTIVITY_TEXTS[o.pillar][k % len(ACTIVITY_TEXTS[o.pillar])]
                    activity_rows.append(
                        m.Activity(
                            objective=o,
                            order=k + 1,
                            description=f"{text} [act {compact_index[c.pk] + 1:03d}-{number:02d}]",
                            visibility=m.Visibility.NON_PUBLIC if number % 10 == 0 else m.Visibility.PUBLIC,
                        )
                    )
            number = 0
            for o, how_many in zip(objs, spread(n_indicators, len(objs)), strict=True):
                for k in range(how_many):
                    number += 1
                    indicator_rows.append(
                        m.Indicator(
                            objective=o,
                            order=k + 1,
                            name=f"{INDICATOR_TEXTS[k % len(INDICATOR_TEXTS)]} ({number})",
                            level=m.Indicator.Level.MONITORING if k % 4 == 3 else m.Indicator.Level.OUTPUT,
                        )
                    )
        activities = create(m.Activity, activity_rows)
        create(m.Indicator, indicator_rows)

        ceilings = create(
            m.Commitment,
            [
                m.Commitment(
                    compact=c,
                    party=us_of[c.pk],
                    kind=m.Commitment.Kind.CEILING,
                    currency="USD",
                    amount=Decimal("10000000.00"),
                    subject_to_availability_of_funds=True,
                    description="Jusqu’à 10 millions de dollars d’aide extérieure, sous réserve de la "
                    "disponibilité des fonds.",
                    recorded_on=c.signature_date,
                )
                for c in compacts
            ],
        )
        commitment_rows = []
        for ceiling in ceilings:
            c = compacts[compact_index[ceiling.compact_id]]
            for k in range(3):
                commitment_rows.append(
                    m.Commitment(
                        compact=c,
                        party=us_of[c.pk],
                        kind=m.Commitment.Kind.FUNDING,
                        ceiling=ceiling,
                        currency="USD",
                        amount=Decimal(rnd.randrange(500_000, 2_500_000)),
                        subject_to_availability_of_funds=True,
                        description=f"Accord de coopération n° {k + 1} avec un partenaire d’exécution",
                        recorded_on=c.signature_date + dt.timedelta(days=90 * (k + 1)),
                    )
                )
            commitment_rows.append(
                m.Commitment(
                    compact=c,
                    party=partner_of[c.pk],
                    kind=m.Commitment.Kind.IN_KIND,
                    currency="XOF",
                    description="Mise à disposition de personnel et de locaux pour les activités",
                )
            )
        create(m.Commitment, commitment_rows)

        focal_rows = []
        for i, c in enumerate(compacts):
            for k in range(3):
                focal_rows.append(
                    m.FocalPoint(
                        compact=c,
                        party=us_of[c.pk],
                        order=k + 1,
                        name=f"Bureau TIP – point focal {k + 1}",
                        organisation=donor,
                        contact_person=f"Chargé de programme {k + 1}",
                        email=f"tip{k + 1}@example.org",
                        phone="+1 202 312 9639",
                        address="2201 C Street NW, Washington",
                    )
                )
                focal_rows.append(
                    m.FocalPoint(
                        compact=c,
                        party=partner_of[c.pk],
                        order=k + 1,
                        name=f"Comité national – point focal {k + 1}",
                        organisation=partner_orgs[i],
                        contact_person=f"Secrétaire exécutif {k + 1}",
                        email=f"cn{k + 1}@example.org",
                        phone="+225 27 20 00 00 00",
                        visibility=m.Visibility.NON_PUBLIC if k == 2 else m.Visibility.PUBLIC,
                    )
                )
        create(m.FocalPoint, focal_rows)

        meeting_rows = []
        for c in compacts:
            for year in (1, 2):
                date = (
                    c.start_date.replace(year=c.start_date.year + year)
                    if c.start_date.month != 2 or c.start_date.day != 29
                    else c.start_date + dt.timedelta(days=365 * year)
                )
                if date <= today:
                    meeting_rows.append(
                        m.Meeting(
                            compact=c,
                            kind=m.Meeting.Kind.ANNUAL,
                            date=date,
                            location="Abidjan",
                            participants="Parties, partenaires d’exécution",
                            achievements="Campagnes réalisées.",
                            difficulties="Retards de décaissement.",
                            next_year_plan="Formations des magistrats.",
                        )
                    )
            meeting_rows.append(
                m.Meeting(
                    compact=c,
                    kind=m.Meeting.Kind.COMMITTEE,
                    date=today + dt.timedelta(days=rnd.randrange(10, 90)),
                    location="Salle de réunion du comité national",
                )
            )
        meetings = create(m.Meeting, meeting_rows)

        activities_of: dict[int, list[int]] = {}
        objective_compact = {o.pk: o.compact_id for o in objectives}
        for a in activities:
            activities_of.setdefault(objective_compact[a.objective_id], []).append(a.pk)
        through = m.Meeting.validated_activities.through
        create(
            through,
            [
                through(meeting_id=meeting.pk, activity_id=activity_id)
                for meeting in meetings
                if meeting.kind == m.Meeting.Kind.ANNUAL
                for activity_id in activities_of[meeting.compact_id][:5]
            ],
        )
    return {
        "user_id": user.pk,
        "compact_ids": sorted(c.pk for c in compacts),
        "rows": dict(sorted(counts.items())),
    }


def analyze_database() -> None:
    """Fresh bulk-loaded tables have no planner statistics yet; autovacuum would gather them soon."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load_existing() -> dict[str, Any]:
    from pacte.accounts.models import User
    from pacte.compacts.models import Compact

    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        raise BenchError("--reuse: the database holds no benchmark user; run without --reuse")
    from django.apps import apps

    rows = {
        model._meta.label: model._default_manager.count()
        for app in ("accounts", "compacts")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    }
    return {
        "user_id": user.pk,
        "compact_ids": sorted(Compact.objects.values_list("pk", flat=True)),
        "rows": {k: v for k, v in sorted(rows.items()) if v},
    }


def reset_password(user_id: int, password: str) -> None:
    from pacte.accounts.models import User

    user = User.objects.get(pk=user_id)
    user.set_password(password)
    user.save(update_fields=["password"])


# -- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            parsed: SimpleCookie = SimpleCookie()
            parsed.load(header)
            jar.update({name: morsel.value for name, morsel in parsed.items()})
        return jar


def http_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Reply:
    """One request, redirects NOT followed (a redirect is an answer to check, not to hide)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login_over_http(port: int, username: str, password: str) -> str:
    """The session cookie from the real login page: GET for the CSRF token, then POST the form.

    The production cookies are Secure; a plain-HTTP client on the loopback sends them back by hand.
    """
    page = http_request(port, "GET", "/accounts/login/")
    if page.status != 200:
        raise BenchError(f"GET /accounts/login/ answered {page.status}")
    jar = page.cookies()
    match = re.search(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"\s+name="csrfmiddlewaretoken"', page.text
    )
    if not match or "csrftoken" not in jar:
        raise BenchError("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": match.group(1),
            "next": "/compacts/",
        }
    ).encode()
    reply = http_request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    session = reply.cookies().get("sessionid")
    if reply.status != 302 or not session:
        raise BenchError(f"POST /accounts/login/ answered {reply.status} without a session cookie")
    location = reply.headers.get("Location", "")
    if "login" in location or "two_factor" in location or "two-factor" in location:
        raise BenchError(f"the login redirected to {location}")
    return f"sessionid={session}"


def session_from_store(user_id: int) -> str:
    """Fallback when the login page is not there: a session written straight into the session store."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from pacte.accounts.models import User

    user = User.objects.get(pk=user_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def open_sessions(port: int, user_id: int, password: str, count: int) -> tuple[list[str], str]:
    try:
        cookies = [login_over_http(port, BENCH_USERNAME, password) for _ in range(count)]
        return cookies, "login form (POST /accounts/login/)"
    except (BenchError, OSError) as exc:
        log(f"real login not usable ({exc}); falling back to sessions written with SessionStore")
        return [session_from_store(user_id) for _ in range(count)], f"SessionStore fallback ({exc})"


# -- server --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="pacte-bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--chdir",
            str(ROOT),
            "-w",
            str(self.workers),
            "--threads",
            "1",
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
        ]

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n{self.tail()}")
            try:
                reply = http_request(self.port, "GET", "/healthz", timeout=5)
                if reply.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: gunicorn's graceful shutdown of the master and its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def discard_log(self) -> None:
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# -- endpoints -----------------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    label: str
    path: str
    accept: str
    validation: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)


def make_endpoints(names: list[str], compact_id: int) -> list[Endpoint]:
    known = {
        "list": Endpoint("list", "compact list", "/compacts/", "text/html"),
        "compact": Endpoint("compact", "compact page", f"/compacts/{compact_id}/", "text/html"),
        "api": Endpoint("api", "API list", "/api/v1/compacts/", "application/json"),
        "healthz": Endpoint("healthz", "healthz (baseline)", "/healthz", "application/json"),
    }
    return [known[n] for n in ENDPOINT_NAMES if n in names]


def check_content(
    endpoint: Endpoint, body: str, compact_id: int, compact_number: int, n_compacts: int
) -> list[str]:
    """Problems with a 200 answer's content; empty when it is the page we mean to measure."""
    problems: list[str] = []
    expected_on_page = min(PAGE_SIZE, n_compacts)
    if endpoint.name == "list":
        shown = set(MARKER.findall(body))
        endpoint.validation["compacts_shown"] = len(shown)
        if not shown:
            problems.append("no benchmark compact title on the list page")
        elif len(shown) < expected_on_page:
            endpoint.validation["note"] = (
                f"{len(shown)} compacts shown on page 1 (expected {expected_on_page})"
            )
    elif endpoint.name == "compact":
        if f"(bench {compact_number:03d})" not in body:
            problems.append(f"the title of compact {compact_id} is not on its page")
        endpoint.validation["activities_shown"] = len(
            set(re.findall(rf"\[act {compact_number:03d}-\d+\]", body))
        )
    elif endpoint.name == "api":
        try:
            data = json.loads(body)
        except ValueError:
            return ["the API did not answer JSON"]
        results = data.get("results", []) if isinstance(data, dict) else data
        count = data.get("count") if isinstance(data, dict) else len(data)
        endpoint.validation.update({"count": count, "results_on_page": len(results)})
        if count != n_compacts:
            problems.append(f"the API counts {count} compacts, expected {n_compacts}")
        if not results or not MARKER.search(json.dumps(results, ensure_ascii=False)):
            problems.append("no benchmark compact in the API results")
    elif endpoint.name == "healthz" and '"ok"' not in body:
        problems.append("healthz is not ok")
    return problems


def validate(
    endpoint: Endpoint, port: int, cookie: str, compact_id: int, compact_number: int, n: int
) -> bool:
    try:
        reply = http_request(
            port, "GET", endpoint.path, headers={"Cookie": cookie, "Accept": endpoint.accept}
        )
    except OSError as exc:
        endpoint.validation.update({"ok": False, "problems": [f"request failed: {exc}"]})
        return False
    endpoint.validation.update({"status": reply.status, "bytes": len(reply.body)})
    if reply.status != 200:
        where = reply.headers.get("Location")
        problems = [f"answered {reply.status}" + (f" → {where}" if where else "") + ", not 200"]
    else:
        problems = check_content(endpoint, reply.text, compact_id, compact_number, n)
    endpoint.validation.update({"ok": not problems, "problems": problems})
    return not problems


def explain(sql: str) -> dict[str, float]:
    """PostgreSQL's own timing of one SELECT: planning, execution and JIT compilation, in ms."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    return {
        "planning_ms": round(plan.get("Planning Time", 0.0), 2),
        "execution_ms": round(plan.get("Execution Time", 0.0), 2),
        "jit_ms": round(plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0), 2),
    }


def profile_queries(endpoint: Endpoint, user_id: int, repeat: int = 3, sequential: int = 0) -> None:
    """Run the endpoint in-process (same settings) and record its SQL: how many queries, which, and
    what PostgreSQL spends on each SELECT (EXPLAIN ANALYZE: planning, execution, JIT compilation).

    Then, with an empty cache, one more request (the page or list is computed again: what the first
    view after a change costs), and ``sequential`` requests one after the other, timed in
    CPU time of this process (Django only: PostgreSQL's share is not in it)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pacte.accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT=endpoint.accept)
    client.force_login(User.objects.get(pk=user_id))
    status, elapsed, queries = 0, 0.0, []
    for _ in range(repeat):  # the last run is kept: the first one pays for template compilation etc.
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            status = client.get(endpoint.path).status_code
            elapsed = time.perf_counter() - started
        queries = ctx.captured_queries
    cache.clear()
    with CaptureQueriesContext(connection) as uncached:
        started = time.perf_counter()
        client.get(endpoint.path)
        uncached_ms = (time.perf_counter() - started) * 1000
    # Read now: every request empties the connection's query log (django.db.reset_queries).
    uncached_queries = [
        q for q in uncached.captured_queries if q["sql"].split(" ", 1)[0] not in ("BEGIN", "COMMIT")
    ]
    cpu_ms = None
    if sequential:
        cpu_started = time.process_time()
        for _ in range(sequential):
            client.get(endpoint.path)
        cpu_ms = round((time.process_time() - cpu_started) / sequential * 1000, 2)
    statements = [
        q["sql"] for q in queries if q["sql"].split(" ", 1)[0] not in ("BEGIN", "COMMIT", "ROLLBACK")
    ]
    shapes = Counter(re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'S'", sql)) for sql in statements)
    explained: list[dict[str, Any]] = []
    for sql in statements:
        if sql.startswith("SELECT"):
            explained.append({**explain(sql), "sql": sql[:600]})
    endpoint.profile = {
        "status": status,
        "ms": round(elapsed * 1000, 1),
        "queries": len(statements),
        "uncached_ms": round(uncached_ms, 1),
        "uncached_queries": len(uncached_queries),
        "sequential_requests": sequential,
        "cpu_ms_per_sequential_request": cpu_ms,
        "sql_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
        "pg_execution_ms": round(sum(x["execution_ms"] for x in explained), 1),
        "pg_planning_ms": round(sum(x["planning_ms"] for x in explained), 1),
        "pg_jit_ms": round(sum(x["jit_ms"] for x in explained), 1),
        "slowest": sorted(explained, key=lambda x: -(x["execution_ms"] + x["planning_ms"]))[:5],
        "repeated": [{"times": n, "sql": shape[:300]} for shape, n in shapes.most_common() if n > 1][:5],
    }


# -- load ----------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed; install the Debian package: apt-get install wrk")
    log("installing wrk (Debian package)")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL, env=apt_env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL, env=apt_env
    )
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is still missing after apt-get install wrk")
    return found


def run_wrk(
    wrk: str, port: int, endpoint: Endpoint, cookies: list[str], seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    command = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}{endpoint.path}",
        "--",
        endpoint.accept,
        *cookies,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return json.loads(line.removeprefix("BENCH_RESULT "))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int:
    """User + system CPU time of one process, in clock ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_snapshot(server_pid: int, database: str) -> dict[str, Any]:
    """Machine CPU ticks, and per process those of gunicorn (master + workers) and of the bench
    database's PostgreSQL backends."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    db: dict[int, int] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            db[int(proc.name)] = _process_ticks(int(proc.name))
    app = {pid: _process_ticks(pid) for pid in [server_pid, *_children(server_pid)]}
    return {"total": sum(values), "idle": values[3] + values[4], "app": app, "db": db}


def settle(server_pid: int, database: str, timeout: float = 60.0) -> None:
    """Wait until gunicorn and the database are idle: requests still queued when wrk stopped must
    not eat into the next endpoint's measurement."""
    deadline = time.monotonic() + timeout
    before = cpu_snapshot(server_pid, database)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        after = cpu_snapshot(server_pid, database)
        spent = _ticks_spent(before["app"], after["app"]) + _ticks_spent(before["db"], after["db"])
        if spent <= CLOCK_TICKS * 0.05:  # under 5 % of one core during the last second
            return
        before = after


def background_busy(seconds: float = 2.0) -> float:
    """How busy the machine is before the load starts (other jobs share the two cores)."""

    def sample() -> tuple[int, int]:
        values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(values), values[3] + values[4]

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return round(100 * (1 - (idle1 - idle0) / max(total1 - total0, 1)), 1)


def _ticks_spent(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks spent between two snapshots by the processes alive at the second one (a process that
    ended in between is left out: a reconnecting worker's old backend, for instance)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def cpu_usage(before: dict[str, Any], after: dict[str, Any], requests: int) -> dict[str, float]:
    total = max(after["total"] - before["total"], 1)
    per_request = 1000 / CLOCK_TICKS / max(requests, 1)
    return {
        "machine_busy_pct": round(100 * (1 - (after["idle"] - before["idle"]) / total), 1),
        "django_cpu_ms_per_request": round(_ticks_spent(before["app"], after["app"]) * per_request, 2),
        "postgres_cpu_ms_per_request": round(_ticks_spent(before["db"], after["db"]) * per_request, 2),
    }


def summarise(raw: dict[str, Any], target_ms: float) -> dict[str, Any]:
    lat = raw["latency_us"]
    socket_errors = sum(raw["socket_errors"].values())
    errors = raw["non2xx"] + socket_errors
    duration_s = raw["duration_us"] / 1e6
    p95 = lat["p95"] / 1000
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration_s, 1) if duration_s else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 1),
        "p90_ms": round(lat["p90"] / 1000, 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(lat["p99"] / 1000, 1),
        "mean_ms": round(lat["mean"] / 1000, 1),
        "max_ms": round(lat["max"] / 1000, 1),
        "errors": errors,
        "verdict": "PASS" if raw["requests"] > 0 and errors == 0 and p95 < target_ms else "FAIL",
        "raw": raw,
    }


# -- facts and report ----------------------------------------------------------------------------


def machine_facts(args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    import django
    import gunicorn
    from django.conf import settings
    from django.db import connection

    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(
            next(
                x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
            ).split()[1]
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        pg_version += f", jit={cursor.fetchone()[0]}"
    db = settings.DATABASES["default"]
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory": memory,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": f"{gunicorn.__version__}, {args.workers} sync workers, 1 thread each",
        "postgresql": pg_version,
        "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0].strip(),
        "load": f"wrk -t{args.threads} -c{args.connections}, "
        f"{args.warmup} s warm-up + {args.duration} s per endpoint",
        "settings": f"{args.settings} (DEBUG {'on' if settings.DEBUG else 'off'}, "
        f"ATOMIC_REQUESTS {db['ATOMIC_REQUESTS']}, CONN_MAX_AGE {db['CONN_MAX_AGE']}, "
        f"OPTIONS {db.get('OPTIONS') or '{}'}, SESSION_ENGINE {settings.SESSION_ENGINE}, "
        f"SESSION_SAVE_EVERY_REQUEST {settings.SESSION_SAVE_EVERY_REQUEST}, "
        f"SESSION_REFRESH_INTERVAL {getattr(settings, 'SESSION_REFRESH_INTERVAL', '–')} s, "
        f"cache {str(settings.CACHES['default']['BACKEND']).rsplit('.', 1)[-1]})",
    }


def print_report(
    endpoints: list[Endpoint], facts: dict[str, Any], target: float, data: dict[str, Any]
) -> None:
    header = (
        f"{'endpoint':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'queries':>9}  {'target':<14}verdict"
    )
    print()
    print(header)
    print("-" * len(header))
    for e in endpoints:
        label = f"{e.label} {e.path}" if len(e.path) < 14 else e.label
        queries = str(e.profile.get("queries", "–"))
        if not e.result:
            reason = "; ".join(e.validation.get("problems", [])) or "not measured"
            print(
                f"{label:<26}{'–':>9}{'–':>8}{'–':>9}{'–':>9}{'–':>9}{'–':>8}{queries:>9}  "
                f"{'p95 < ' + format(target, 'g') + ' ms':<14}INVALID: {reason}"
            )
            continue
        r = e.result
        print(
            f"{label:<26}{r['requests']:>9}{r['rps']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['p99_ms']:>9}"
            f"{r['errors']:>8}{queries:>9}  {'p95 < ' + format(target, 'g') + ' ms':<14}{r['verdict']}"
        )
    print()
    for e in endpoints:
        notes = []
        if e.result and e.result["errors"]:
            raw = e.result["raw"]
            notes.append(
                f"non-2xx: {raw['non2xx']} (3xx {raw['status_3xx']}, 4xx {raw['status_4xx']}, "
                f"5xx {raw['status_5xx']}, first {raw['first_bad_status']}); "
                f"socket errors {raw['socket_errors']}"
            )
        if e.validation.get("note"):
            notes.append(e.validation["note"])
        if e.result.get("cpu"):
            cpu = e.result["cpu"]
            notes.append(
                f"CPU: machine {cpu['machine_busy_pct']}% busy; per request "
                f"{cpu['django_cpu_ms_per_request']} ms in gunicorn, "
                f"{cpu['postgres_cpu_ms_per_request']} ms in PostgreSQL"
            )
        if e.profile:
            p = e.profile
            notes.append(
                f"one request in-process: {p['queries']} queries (BEGIN/COMMIT aside), {p['ms']} ms in all; "
                f"EXPLAIN ANALYZE of its SELECTs: {p['pg_execution_ms']} ms execution, "
                f"{p['pg_planning_ms']} ms planning, {p['pg_jit_ms']} ms JIT compilation; "
                f"with an empty cache: {p['uncached_queries']} queries, {p['uncached_ms']} ms"
            )
            if p.get("cpu_ms_per_sequential_request") is not None:
                notes.append(
                    f"in-process CPU per request, {p['sequential_requests']} requests one after the other: "
                    f"{p['cpu_ms_per_sequential_request']} ms (Django test client; PostgreSQL not included)"
                )
        for note in notes:
            print(f"  {e.name}: {note}")
    print()
    print(
        f"data: {len(data['compact_ids'])} compacts; "
        + ", ".join(f"{k} {v}" for k, v in data["rows"].items())
    )
    for key, value in facts.items():
        print(f"{key + ':':<24}{value}")


def print_profile_details(endpoints: list[Endpoint]) -> None:
    for e in endpoints:
        if not e.profile:
            continue
        print(f"\n== {e.label} {e.path}: {e.profile['queries']} queries, {e.profile['sql_ms']} ms SQL")
        for q in e.profile["slowest"]:
            print(
                f"  exec {q['execution_ms']:>7} ms, plan {q['planning_ms']:>6} ms, jit {q['jit_ms']:>7} ms  "
                f"{q['sql'][:300]}"
            )
        for q in e.profile["repeated"]:
            print(f"  repeated ×{q['times']}: {q['sql'][:200]}")


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up in `finally`
    started_at = dt.datetime.now()
    env = server_environment(args)
    password = secrets.token_urlsafe(16)
    server: Gunicorn | None = None
    created = False
    code = 2
    try:
        wrk = ensure_wrk()
        reuse = args.reuse and database_exists(args.database_url)
        if not reuse:
            log(f"recreating database {database_name(args.database_url)}")
            recreate_database(args.database_url)
        created = True
        setup_django(env)
        from django.core.management import call_command
        from django.db import connections

        log("migrating (production settings)")
        call_command("migrate", interactive=False, verbosity=0)
        log("collectstatic into var/static (compressed manifest storage)")
        call_command("collectstatic", interactive=False, verbosity=0)
        if reuse:
            data = load_existing()
            reset_password(data["user_id"], password)
            generation_s = 0.0
        else:
            log(
                f"generating {args.compacts} compacts × "
                f"{args.activities} activities, {args.indicators} indicators"
            )
            t0 = time.perf_counter()
            data = generate_data(args.compacts, args.activities, args.indicators, password, args.seed)
            analyze_database()
            generation_s = time.perf_counter() - t0
            log(f"data generated in {generation_s:.1f} s: {sum(data['rows'].values())} rows")
        ids = data["compact_ids"]
        if not ids:
            raise BenchError("the database holds no compact")
        middle_id = ids[len(ids) // 2]
        from pacte.compacts.models import Compact

        found = MARKER.search(Compact.objects.get(pk=middle_id).title)
        middle_number = int(found.group(1)) if found else 0
        facts = machine_facts(args, wrk)
        connections.close_all()

        server = Gunicorn(env, args.workers)
        log(f"starting gunicorn on 127.0.0.1:{server.port}")
        server.start()
        cookies, session_method = open_sessions(server.port, data["user_id"], password, args.connections)
        facts["sessions"] = f"{len(cookies)} sessions via {session_method}"
        endpoints = make_endpoints(args.endpoints.split(","), middle_id)

        for e in endpoints:
            ok = validate(e, server.port, cookies[0], middle_id, middle_number, len(ids))
            log(f"check {e.path}: {'ok' if ok else 'INVALID – ' + '; '.join(e.validation['problems'])}")
            if ok:
                profile_queries(e, data["user_id"], sequential=args.sequential)
        connections.close_all()

        busy = background_busy()
        facts["cpu_busy_before_load_pct"] = busy
        if busy > 20:
            log(
                f"warning: the machine is already {busy}% busy before the load; "
                "the figures will be pessimistic"
            )
        for e in endpoints:
            if not e.validation.get("ok"):
                continue
            if args.warmup:
                log(f"warm-up {e.path} ({args.warmup} s)")
                run_wrk(wrk, server.port, e, cookies, args.warmup, args.connections, args.threads)
                settle(server.pid, database_name(args.database_url))
            log(f"measuring {e.path} ({args.duration} s, {args.connections} connections)")
            database = database_name(args.database_url)
            before = cpu_snapshot(server.pid, database)
            raw = run_wrk(wrk, server.port, e, cookies, args.duration, args.connections, args.threads)
            e.result = summarise(raw, args.target_p95)
            e.result["cpu"] = cpu_usage(before, cpu_snapshot(server.pid, database), raw["requests"])
            settle(server.pid, database)
        facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

        print_report(endpoints, facts, args.target_p95, data)
        all_pass = all(e.result and e.result["verdict"] == "PASS" for e in endpoints)
        if not all_pass:
            print_profile_details(endpoints)
            if any(e.result.get("errors") for e in endpoints if e.result):
                print("\n-- gunicorn log (tail) --\n" + server.tail())
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"compacts-{started_at:%Y%m%d-%H%M%S}.json"
        out.write_text(
            json.dumps(
                {
                    "started_at": started_at.isoformat(timespec="seconds"),
                    "arguments": {k: v for k, v in vars(args).items() if k != "database_url"}
                    | {"database": database_name(args.database_url)},
                    "target_p95_ms": args.target_p95,
                    "machine": facts,
                    "data": {
                        "compacts": len(ids),
                        "rows": data["rows"],
                        "generation_s": round(generation_s, 1),
                        "compact_page_id": middle_id,
                    },
                    "endpoints": [asdict(e) for e in endpoints],
                    "verdict": "PASS" if all_pass else "FAIL",
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )
        print(f"\nresults written to {out.relative_to(ROOT)}")
        code = 0 if all_pass else 1
    except BenchError as exc:
        print(f"benchmark could not run: {exc}", file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
            server.discard_log()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and not args.keep:
            drop_database(args.database_url)
            log(f"dropped database {database_name(args.database_url)}")
        elif created:
            log(f"kept database {database_name(args.database_url)}")
    return code


if __name__ == "__main__":
    sys.exit(main())
