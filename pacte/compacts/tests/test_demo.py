"""The demo data (``load_demo``, ``demo_logins``) against the signed text of the Côte d'Ivoire compact.

The expected texts and counts are read from the seed itself (``../shared/seeds/001_…``), not from
``pacte/compacts/demo.py``: a bullet missed, added or altered in demo.py fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError

from pacte.accounts.models import Organisation, User
from pacte.compacts import demo
from pacte.compacts.models import (
    Activity,
    Commitment,
    Compact,
    Indicator,
    Membership,
    Participation,
    Party,
    Pillar,
)
from pacte.compacts.permissions import access_for
from pacte.compacts.selectors import compact_overview, visible_compacts

SEED_NAME = "001_fb6daff13ea1fbcc.txt"
# Counted by hand in the seed (Annex A); the parser below must find the same.
EXPECTED_COUNTS = {
    Pillar.PREVENTION: (13, 4),
    Pillar.PROTECTION: (14, 0),
    Pillar.PROSECUTION: (17, 7),
    Pillar.PARTNERSHIP: (10, 4),
}


# -- reading the seed ----------------------------------------------------------------------------------
def seed_path(shared: Path | None = None) -> Path:
    shared = shared if shared is not None else settings.BASE_DIR.parent / "shared"
    path = shared / "seeds" / SEED_NAME
    if not path.is_file():
        pytest.fail(
            f"The signed text of the Côte d'Ivoire compact is missing: {path}. The demo data are checked "
            "against it; the project's shared/ folder must sit next to the repository (../shared/).",
            pytrace=False,
        )
    return path


def norm(text: str) -> str:
    return " ".join(text.split())


@dataclass
class SeedPillar:
    framework_statement: str = ""
    activities: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)


ANNEX_HEADING = re.compile(r"^- \*\*(PRÉVENTION|PROTECTION|PARTENARIAT)\*\* : (.+)$")
BULLET = re.compile(r"^[-–] (.*)$")
ACTIVITIES = "Activités illustratives :"
INDICATORS = "Indicateurs illustratifs :"


def bullets(block: list[str]) -> tuple[list[str], list[str]]:
    """Bullets under « Activités illustratives » and « Indicateurs illustratifs »; a line that directly
    follows a bullet (no blank line between) continues it."""
    lists: dict[str, list[str]] = {ACTIVITIES: [], INDICATORS: []}
    current: list[str] | None = None
    continuing = False
    for raw in block:
        line = raw.strip()
        if not line:
            continuing = False
        elif line in lists:
            current, continuing = lists[line], False
        elif (match := BULLET.match(line)) and current is not None:
            current.append(match.group(1).strip())
            continuing = True
        elif continuing and current is not None:
            current[-1] = f"{current[-1]} {line}"
    return lists[ACTIVITIES], lists[INDICATORS]


def parse_annex_a(text: str) -> dict[str, SeedPillar]:
    lines = text.splitlines()
    annex = lines[next(i for i, line in enumerate(lines) if line.startswith("Annexe A")) :]
    headings: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(annex):
        if match := ANNEX_HEADING.match(line.strip()):
            headings[match.group(1)] = (i, match.group(2).strip())
    protection = headings["PROTECTION"][0]
    # The prosecution heading was lost (../shared/README.md): its block starts at the second
    # « Activités illustratives : » after PROTECTION.
    prosecution = [i for i, line in enumerate(annex) if i > protection and line.strip() == ACTIVITIES][1]
    partnership = headings["PARTENARIAT"][0]
    blocks = {
        Pillar.PREVENTION: (headings["PRÉVENTION"][0] + 1, protection, headings["PRÉVENTION"][1]),
        Pillar.PROTECTION: (protection + 1, prosecution, headings["PROTECTION"][1]),
        Pillar.PROSECUTION: (prosecution, partnership, ""),
        Pillar.PARTNERSHIP: (partnership + 1, len(annex), headings["PARTENARIAT"][1]),
    }
    parsed: dict[str, SeedPillar] = {}
    for pillar, (start, end, statement) in blocks.items():
        activities, indicators = bullets(annex[start:end])
        parsed[pillar] = SeedPillar(statement, activities, indicators)
    return parsed


# « 1^{er} objectif (prévention) : … », « 2^e objectif (protection) : … » (superscripts of the scan).
SECTION_II_OBJECTIVE = re.compile(r"^\d\^(?:\{\w+\}|\w+) objectif \(([^)]+)\) : (.+)$")
SECTION_II_PILLARS = {
    "prévention": Pillar.PREVENTION,
    "protection": Pillar.PROTECTION,
    "poursuites judiciaires": Pillar.PROSECUTION,
    "partenariat": Pillar.PARTNERSHIP,
}


@dataclass
class Seed:
    text: str
    flat: str  # the whole text, white space normalised
    purpose: str
    goal: str
    objectives: dict[str, str]
    annex: dict[str, SeedPillar]


@pytest.fixture(scope="module")
def seed() -> Seed:
    text = seed_path().read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    purpose_start = lines.index("I. Objet")
    purpose_end = lines.index("II. But et objectifs")
    objectives: dict[str, str] = {}
    for line in lines:
        if match := SECTION_II_OBJECTIVE.match(line):
            objectives[SECTION_II_PILLARS[match.group(1)]] = match.group(2).strip()
    goal = next(line for line in lines if line.startswith("But : "))
    return Seed(
        text=text,
        flat=norm(text),
        purpose=norm(" ".join(lines[purpose_start + 1 : purpose_end])),
        goal=goal.removeprefix("But : ").strip(),
        objectives=objectives,
        annex=parse_annex_a(text),
    )


# -- the demo data -------------------------------------------------------------------------------------
def load_demo(**options: object) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo_compact(db) -> Compact:  # type: ignore[no-untyped-def]
    load_demo()
    return Compact.objects.get(title=demo.TITLE, country="CIV")


def snapshot() -> dict[str, list[dict]]:
    """Every row of every accounts and compacts model (history tables included)."""
    models = [*apps.get_app_config("accounts").get_models(), *apps.get_app_config("compacts").get_models()]
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in models}


@pytest.mark.django_db
def test_load_demo_twice_changes_nothing() -> None:
    load_demo()
    before = snapshot()
    load_demo()
    assert snapshot() == before
    assert Compact.objects.filter(title=demo.TITLE).count() == 1
    # Every demo organisation and user once (later apps' demonstration data may add their own).
    names = [o["name"] for o in before["accounts.Organisation"]]
    assert all(names.count(spec["name"]) == 1 for spec in demo.ORGANISATIONS)
    usernames = [u["username"] for u in before["accounts.User"]]
    assert all(usernames.count(spec["username"]) == 1 for spec in demo.USERS)


def test_seed_is_parsed_as_counted_by_hand(seed: Seed) -> None:
    counts = {pillar: (len(p.activities), len(p.indicators)) for pillar, p in seed.annex.items()}
    assert counts == EXPECTED_COUNTS
    assert set(seed.objectives) == set(EXPECTED_COUNTS)


def test_missing_shared_folder_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="shared/ folder must sit next to the repository"):
        seed_path(tmp_path)


def test_activities_and_indicators_match_annex_a(demo_compact: Compact, seed: Seed) -> None:
    for pillar, expected in seed.annex.items():
        objective = demo_compact.objectives.get(pillar=pillar)
        activities = list(Activity.objects.filter(objective=objective))
        indicators = list(Indicator.objects.filter(objective=objective, illustrative=True))
        counts = (len(activities), len(indicators))
        assert counts == (len(expected.activities), len(expected.indicators)), pillar
        assert {norm(a.description) for a in activities} == {norm(t) for t in expected.activities}, pillar
        assert {norm(i.name) for i in indicators} == {norm(t) for t in expected.indicators}, pillar
        # In the order of Annex A, and character for character.
        assert [a.description for a in activities] == expected.activities, pillar
        assert [i.name for i in indicators] == expected.indicators, pillar
        assert all(a.illustrative and a.is_public for a in activities)
        assert all(i.illustrative and i.level == Indicator.Level.OUTPUT for i in indicators)
    all_activities = Activity.objects.filter(objective__compact=demo_compact)
    descriptions = list(all_activities.values_list("description", flat=True))
    assert any("au Inspections du Travail" in d for d in descriptions)
    assert any("conforme à la MNR" in d for d in descriptions)


def test_compact_objectives_and_term_match_the_seed(demo_compact: Compact, seed: Seed) -> None:
    compact = demo_compact
    assert compact.country == "CIV"
    assert compact.purpose == seed.purpose
    assert compact.goal == seed.goal
    assert compact.status == Compact.Status.SIGNED
    assert compact.signature_place == "Abidjan"
    assert str(compact.signature_date) == str(compact.start_date) == "2022-12-07"
    assert str(compact.end_date) == str(compact.original_end_date) == "2027-12-07"
    assert compact.is_public
    assert {(p.kind, p.name) for p in compact.parties.all()} == {
        (Party.Kind.UNITED_STATES, "Gouvernement des États-Unis d'Amérique"),
        (Party.Kind.PARTNER_COUNTRY, "Gouvernement de la République de Côte d'Ivoire"),
    }
    objectives = list(compact.objectives.all())
    assert [(o.number, o.pillar) for o in objectives] == [
        (1, Pillar.PREVENTION),
        (2, Pillar.PROTECTION),
        (3, Pillar.PROSECUTION),
        (4, Pillar.PARTNERSHIP),
    ]
    for objective in objectives:
        assert objective.statement == seed.objectives[objective.pillar]
        assert objective.framework_statement == seed.annex[objective.pillar].framework_statement
    # The prosecution heading was lost with a page: there is no Annex A statement for it.
    assert compact.objectives.get(pillar=Pillar.PROSECUTION).framework_statement == ""


def test_signatories_as_signed(demo_compact: Compact, seed: Seed) -> None:
    signatories = list(demo_compact.signatories.select_related("party", "organisation"))
    assert [(s.name, s.party.kind) for s in signatories] == [
        ("Joann M. Lockard", Party.Kind.UNITED_STATES),
        ("Me Adama KAMARA", Party.Kind.PARTNER_COUNTRY),
        ("Madame Dominique OUATTARA", Party.Kind.PARTNER_COUNTRY),
    ]
    assert signatories[0].title == (
        "Chargé d'Affaires de l'Ambassade des États-Unis d'Amérique en Côte d'Ivoire"
    )
    assert signatories[1].title == (
        "Ministre de l'Emploi et de la Protection Sociale, Président du Comité Interministériel de Lutte "
        "contre la Traite, l'Exploitation et le Travail des Enfants (CIM)"
    )
    assert signatories[2].title == (
        "Première Dame, Présidente du Comité National de Surveillance des Actions de Lutte contre la "
        "Traite, l'Exploitation et le Travail des Enfants (CNS)"
    )
    assert [s.organisation.short_name if s.organisation else None for s in signatories] == [
        "Ambassade des États-Unis d'Amérique en Côte d'Ivoire",
        "Ministère de l'Emploi et de la Protection Sociale",
        "CNS",
    ]
    for signatory in signatories:
        assert str(signatory.signed_on) == "2022-12-07"
        assert signatory.name in seed.flat
        # « Pour le <on_behalf_of> », as in the signature block.
        assert f"Pour le {signatory.on_behalf_of}" in seed.flat


def test_commitments_of_section_vii(demo_compact: Compact, seed: Seed) -> None:
    ceiling = demo_compact.commitments.get(kind=Commitment.Kind.CEILING)
    assert ceiling.amount == Decimal("10000000.00")
    assert ceiling.currency == "USD"
    assert ceiling.subject_to_availability_of_funds
    assert ceiling.party.kind == Party.Kind.UNITED_STATES
    assert "jusqu'à 10 millions de dollars" in ceiling.description
    for paragraph in ceiling.description.split("\n\n"):
        assert norm(paragraph) in seed.flat
    in_kind = list(demo_compact.commitments.filter(kind=Commitment.Kind.IN_KIND))
    assert len(in_kind) == 7
    assert demo_compact.commitments.count() == 8
    section_vii_b = norm(seed.text.split("- B. La Côte d'Ivoire", 1)[1].split("VIII. Communications", 1)[0])
    for commitment in in_kind:
        assert commitment.party.kind == Party.Kind.PARTNER_COUNTRY
        assert commitment.amount is None
        assert norm(commitment.description) in section_vii_b
    joined = " ".join(c.description for c in in_kind)
    for words in (
        "expertise",
        "visites de terrain",
        "personnel",
        "organismes publics",
        "Bureau TIP",
        "société civile",
        "pérenniser",
    ):
        assert words in joined


def test_focal_points_of_section_viii(demo_compact: Compact, seed: Seed) -> None:
    focal_points = list(demo_compact.focal_points.select_related("party", "organisation"))
    assert len(focal_points) == 6
    by_email = {f.email: f for f in focal_points if f.email}
    assert set(by_email) == {
        "JTIPGrants@state.gov",
        "abidjan_polecon_all@state.gov",
        "cns@1eredame.ci",
        "mstp@solidarite.gouv.ci",
    }
    us_kinds = {f.party.kind for f in focal_points if f.email.endswith("@state.gov")}
    assert us_kinds == {Party.Kind.UNITED_STATES}
    assert by_email["cns@1eredame.ci"].phone == "+225 27 22 48 03 03"
    cnltp = by_email["mstp@solidarite.gouv.ci"]
    assert cnltp.address == "1er Etage Tour B Abidjan Plateau"
    assert cnltp.phone == "+225 27 20 23 91 75 / +225 27 20 23 91 80"
    emploi = next(f for f in focal_points if f.name.startswith("Le Ministère de l'Emploi"))
    assert emploi.phone == "+225 27 22 52 33 83"
    famille = next(f for f in focal_points if f.name.startswith("Ministère de la Femme"))
    assert famille.email == ""
    assert famille.website == "www.famille.gouv.ci"
    assert "www.famille.gouv.ci" in famille.notes and "site web" in famille.notes
    assert famille.address == "8ème étage Tour B Abidjan Plateau"
    assert famille.phone == "+225 27 20 21 77 02/27 20 32 42 33"
    assert famille.fax == "+225 27 20 21 44 61"
    for focal_point in focal_points:
        assert f"**{focal_point.name}**" in seed.text
        assert focal_point.organisation is not None
        assert focal_point.is_active and focal_point.is_public


def test_monitoring_committee_of_section_v_d(demo_compact: Compact, seed: Seed) -> None:
    committee = demo_compact.monitoring_committee
    assert str(committee.established_on) == "2022-12-07"
    assert committee.mandate.startswith("Les Parties conviennent, dès la signature")
    assert norm(committee.mandate) in seed.flat


def test_protection_pillar_shows_as_a_gap(demo_compact: Compact) -> None:
    officer = User.objects.get(username="officer")
    overview = compact_overview(demo_compact, access_for(officer, demo_compact))
    protection = demo_compact.objectives.get(pillar=Pillar.PROTECTION)
    assert not protection.indicators.exists()
    assert [(g.kind, g.objective) for g in overview.gaps] == [("objective_without_indicator", protection)]


def test_every_demo_object_passes_full_clean(demo_compact: Compact) -> None:
    compact_models = [
        m for m in apps.get_app_config("compacts").get_models() if not m.__name__.startswith("Historical")
    ]
    for model in compact_models:
        path = {
            "Activity": "objective__compact",
            "Indicator": "objective__compact",
            "CommitteeMember": "committee__compact",
            "Compact": "pk",
        }.get(model.__name__, "compact")
        for record in model._default_manager.filter(**{path: demo_compact.pk}):
            record.full_clean()
    for organisation in Organisation.objects.all():
        organisation.full_clean()
    for user in User.objects.all():
        user.full_clean()


def test_demo_users_and_their_roles(demo_compact: Compact) -> None:
    expected = {
        "officer": ("J/TIP", Membership.Role.PROGRAMME_OFFICER),
        "focal": ("CNS", Membership.Role.GOVERNMENT_FOCAL_POINT),
        "partner": ("ONG Démo Enfance", Membership.Role.IMPLEMENTING_PARTNER),
        "committee": ("CIM", Membership.Role.MONITORING_COMMITTEE_MEMBER),
        "viewer": ("Centre d'accueil de démonstration", Membership.Role.VIEWER),
    }
    for username, (organisation, role) in expected.items():
        user = User.objects.get(username=username)
        assert user.organisation is not None and user.organisation.short_name == organisation
        assert Membership.objects.get(compact=demo_compact, user=user).role == role
    assert Membership.objects.filter(compact=demo_compact).count() == len(expected)
    for user in User.objects.filter(username__in=[*expected, "outsider", "admin"]):
        assert user.first_name and user.last_name
        assert user.email == f"{user.username}@example.org"
        assert user.language == "fr"
        assert check_password(demo.DEMO_PASSWORD, user.password)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.organisation is None

    outsider = User.objects.get(username="outsider")
    assert not Participation.objects.filter(compact=demo_compact, organisation=outsider.organisation).exists()
    assert not visible_compacts(outsider).filter(pk=demo_compact.pk).exists()
    viewer_org = User.objects.get(username="viewer").organisation
    viewer_participation = Participation.objects.get(compact=demo_compact, organisation=viewer_org)
    assert viewer_participation.role == Participation.Role.OBSERVER
    roles = dict(Participation.objects.filter(compact=demo_compact).values_list("organisation__name", "role"))
    assert roles["ONG Démo Enfance"] == "implementing_partner"
    assert roles["Organisation internationale de démonstration"] == "implementing_partner"
    participations = Participation.objects.filter(compact=demo_compact, role=Participation.Role.PARTY_BODY)
    party_bodies = {
        p.organisation.short_name: (p.party.kind if p.party else None)
        for p in participations.select_related("organisation", "party")
    }
    us, ci = Party.Kind.UNITED_STATES, Party.Kind.PARTNER_COUNTRY
    assert party_bodies == {
        "J/TIP": us,
        "Ambassade des États-Unis d'Amérique en Côte d'Ivoire": us,
        "CNS": ci,
        "CIM": ci,
        "CNLTP": ci,
        "Ministère de la Solidarité et de la Lutte contre la Pauvreté": ci,
        "Ministère de l'Emploi et de la Protection Sociale": ci,
        "Ministère de la Femme, de la Famille et de l'Enfant": ci,
    }


@pytest.mark.django_db
def test_refuses_production_settings_without_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    with pytest.raises(CommandError, match="--allow-production"):
        load_demo()
    assert not User.objects.exists()
    assert not Organisation.objects.exists()
    load_demo(allow_production=True)
    assert User.objects.filter(username="admin", is_superuser=True).exists()


@pytest.mark.django_db
def test_demo_logins_prints_the_accounts() -> None:
    before = StringIO()
    call_command("demo_logins", stdout=before, stderr=StringIO())
    assert demo.DEMO_PASSWORD not in before.getvalue()

    load_demo()
    out = StringIO()
    call_command("demo_logins", stdout=out, stderr=StringIO())
    printed = out.getvalue()
    for spec in demo.USERS:
        assert re.search(rf"^{spec['username']}\s.*{re.escape(demo.DEMO_PASSWORD)}$", printed, re.M)
    assert "TOTP" in printed
    assert "J/TIP" in printed

    user = User.objects.get(username="partner")
    user.set_password("another-long-password-42")
    user.save()
    out = StringIO()
    call_command("demo_logins", stdout=out, stderr=StringIO())
    assert not re.search(rf"^partner\s.*{re.escape(demo.DEMO_PASSWORD)}$", out.getvalue(), re.M)
