"""``python manage.py load_demo``: the demo data of ``pacte/compacts/demo.py``.

The 2022 Côte d'Ivoire – United States compact, verbatim in French, is written through the services
(``create_compact``, ``save_record``, ``change_status``, ``add_participation``, ``grant_role``), by the
demo programme officer, so that the business rules check it like any other compact. Organisations and
users are created with ``full_clean()``. Everything happens in one transaction.

Idempotent: organisations are found again by name, users by user name and the compact by title and
country; what exists is left as it is (never updated). Refuses to run with production settings unless
``--allow-production`` is given, since it creates accounts with a published password.
"""

from __future__ import annotations

import os
from collections import Counter
from io import StringIO
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from pacte.accounts.models import Organisation, User
from pacte.compacts import demo, services
from pacte.compacts.models import (
    Activity,
    Commitment,
    Compact,
    FocalPoint,
    Indicator,
    Membership,
    Objective,
    Participation,
    Party,
    Signatory,
)
from pacte.compacts.permissions import Capability, access_for
from pacte.core.models import Visibility


def is_production_settings() -> bool:
    """True when the production settings module is in use (``config.settings.production``)."""
    modules = {
        os.environ.get("DJANGO_SETTINGS_MODULE") or "",
        getattr(settings, "SETTINGS_MODULE", None) or "",
    }
    return any(module.rsplit(".", 1)[-1] == "production" for module in modules if module)


def find_demo_compact() -> Compact | None:
    """The demo compact, identified by its title and country."""
    return Compact.objects.filter(title=demo.TITLE, country=demo.COUNTRY).order_by("pk").first()


class Command(BaseCommand):
    help = (
        "Load the demo data: the 2022 Côte d'Ivoire – United States compact (verbatim, in French), demo "
        "organisations and one demo user per role. Running it again changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with production settings (creates accounts with the published demo password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if is_production_settings() and not options["allow_production"]:
            raise CommandError(
                _(
                    "Refusing to load demo data with production settings: the demo accounts share a "
                    "published password. Pass --allow-production if you really want them."
                )
            )
        apps_output = StringIO()
        try:
            with transaction.atomic():
                report = DemoLoader(self.stderr).load()
                # Then the demo data of the apps built on the registry (e.g. results), in the same
                # transaction: each app config may name a ``demo_loader(stdout=…)`` by dotted path.
                for config in django_apps.get_app_configs():
                    loader = getattr(config, "demo_loader", None)
                    if loader:
                        import_string(loader)(stdout=apps_output)
                        apps_output.write("\n")
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(
                _("The demo data could not be loaded, nothing was saved: %(error)s") % {"error": exc}
            ) from exc
        self.stdout.write(report)
        if apps_output.getvalue().strip():
            self.stdout.write(apps_output.getvalue().rstrip("\n"))


class DemoLoader:
    def __init__(self, warnings: Any) -> None:
        self.warnings = warnings
        self.created: Counter[str] = Counter()
        self.existing: Counter[str] = Counter()

    # -- entry point ----------------------------------------------------------------------------------
    def load(self) -> str:
        orgs = {spec["key"]: self.ensure_organisation(spec) for spec in demo.ORGANISATIONS}
        users = {spec["username"]: self.ensure_user(spec, orgs) for spec in demo.USERS}
        compact = find_demo_compact()
        compact_created = compact is None
        if compact is None:
            compact = self.create_compact(users["officer"], orgs)
        actor = self.access_manager(compact, users)
        parties = {party.kind: party for party in compact.parties.all()}
        self.ensure_participations(compact, actor, orgs, parties)
        self.ensure_memberships(compact, actor, users)
        return self.summary(compact, compact_created)

    # -- organisations and users ------------------------------------------------------------------------
    def ensure_organisation(self, spec: dict[str, Any]) -> Organisation:
        existing = Organisation.objects.filter(name=spec["name"]).first()
        if existing is not None:
            self.existing["organisations"] += 1
            return existing
        organisation = Organisation(
            name=spec["name"],
            acronym=spec["acronym"],
            org_type=spec["org_type"],
            partner_kind=spec.get("partner_kind", ""),
            country=spec["country"],
        )
        organisation.full_clean()
        organisation.save()
        self.created["organisations"] += 1
        return organisation

    def ensure_user(self, spec: dict[str, Any], orgs: dict[str, Organisation]) -> User:
        organisation = orgs[spec["organisation"]] if spec["organisation"] else None
        existing = User.objects.filter(username=spec["username"]).first()
        if existing is not None:
            self.existing["users"] += 1
            if existing.organisation_id != (organisation.pk if organisation else None):
                self.warnings.write(
                    _("The user “%(username)s” already exists with another organisation; left unchanged.")
                    % {"username": spec["username"]}
                )
            return existing
        superuser = bool(spec.get("is_superuser"))
        user = User(
            username=spec["username"],
            first_name=spec["first_name"],
            last_name=spec["last_name"],
            email=f"{spec['username']}@{demo.DEMO_EMAIL_DOMAIN}",
            job_title=spec["job_title"],
            organisation=organisation,
            language="fr",
            is_superuser=superuser,
            is_staff=superuser,
        )
        validate_password(demo.DEMO_PASSWORD, user)
        user.set_password(demo.DEMO_PASSWORD)
        user.full_clean()
        user.save()
        self.created["users"] += 1
        return user

    # -- the compact, through the services --------------------------------------------------------------
    def create_compact(self, officer: User, orgs: dict[str, Organisation]) -> Compact:
        save = services.save_record
        compact = services.create_compact(
            user=officer,
            data={
                "title": demo.TITLE,
                "country": demo.COUNTRY,
                "purpose": demo.PURPOSE,
                "goal": demo.GOAL,
                "visibility": Visibility.PUBLIC,
                "signature_place": demo.SIGNATURE_PLACE,
                "end_date": demo.END_DATE,
            },
            partner_party_name=demo.PARTNER_PARTY_NAME,
            us_party_name=demo.US_PARTY_NAME,
        )
        parties = {party.kind: party for party in compact.parties.all()}

        for spec in demo.OBJECTIVES:
            objective = Objective(compact=compact)
            save(
                user=officer,
                instance=objective,
                data={
                    "pillar": spec["pillar"],
                    "number": spec["number"],
                    "statement": spec["statement"],
                    "framework_statement": spec["framework_statement"],
                },
            )
            for order, description in enumerate(spec["activities"], start=1):
                save(
                    user=officer,
                    instance=Activity(objective=objective),
                    data={"order": order, "description": description, "illustrative": True},
                )
            for order, name in enumerate(spec["indicators"], start=1):
                save(
                    user=officer,
                    instance=Indicator(objective=objective),
                    data={
                        "order": order,
                        "name": name,
                        "level": Indicator.Level.OUTPUT,
                        "illustrative": True,
                    },
                )

        for order, spec in enumerate(demo.SIGNATORIES, start=1):
            save(
                user=officer,
                instance=Signatory(compact=compact),
                data={
                    "party": parties[spec["party"]],
                    "name": spec["name"],
                    "title": spec["title"],
                    "on_behalf_of": spec["on_behalf_of"],
                    "organisation": orgs[spec["organisation"]],
                    "signed_on": demo.SIGNATURE_DATE,
                    "order": order,
                },
            )

        save(
            user=officer,
            instance=Commitment(compact=compact),
            data={
                "party": parties[Party.Kind.UNITED_STATES],
                "kind": Commitment.Kind.CEILING,
                "description": demo.CEILING_DESCRIPTION,
                "amount": demo.CEILING_AMOUNT,
                "currency": demo.CEILING_CURRENCY,
                "subject_to_availability_of_funds": True,
                "recorded_on": demo.SIGNATURE_DATE,
            },
        )
        for description in demo.IN_KIND:
            save(
                user=officer,
                instance=Commitment(compact=compact),
                data={
                    "party": parties[Party.Kind.PARTNER_COUNTRY],
                    "kind": Commitment.Kind.IN_KIND,
                    "description": description,
                    "recorded_on": demo.SIGNATURE_DATE,
                },
            )

        for order, spec in enumerate(demo.FOCAL_POINTS, start=1):
            data = {key: value for key, value in spec.items() if key not in ("party", "organisation")}
            save(
                user=officer,
                instance=FocalPoint(compact=compact),
                data={
                    **data,
                    "party": parties[spec["party"]],
                    "organisation": orgs[spec["organisation"]],
                    "order": order,
                },
            )

        save(
            user=officer,
            instance=compact.monitoring_committee,
            data={"established_on": demo.COMMITTEE_ESTABLISHED_ON, "mandate": demo.COMMITTEE_MANDATE},
        )

        compact = services.change_status(user=officer, compact=compact, action="open_negotiation")
        compact = services.change_status(
            user=officer,
            compact=compact,
            action="sign",
            signature_date=demo.SIGNATURE_DATE,
            place=demo.SIGNATURE_PLACE,
        )
        if (compact.start_date, compact.end_date) != (demo.SIGNATURE_DATE, demo.END_DATE):
            raise CommandError(
                _("Unexpected term after signature: %(start)s – %(end)s.")
                % {"start": compact.start_date, "end": compact.end_date}
            )
        return compact

    # -- access -----------------------------------------------------------------------------------------
    @staticmethod
    def access_manager(compact: Compact, users: dict[str, User]) -> User:
        """Who grants access: the demo programme officer, or the demo site administrator if the officer
        no longer may."""
        officer = users["officer"]
        if access_for(officer, compact).can(Capability.MANAGE_ACCESS):
            return officer
        return users["admin"]

    def ensure_participations(
        self, compact: Compact, actor: User, orgs: dict[str, Organisation], parties: dict[str, Party]
    ) -> None:
        for spec in demo.ORGANISATIONS:
            if spec["participation"] is None:
                continue
            organisation = orgs[spec["key"]]
            if Participation.objects.filter(compact=compact, organisation=organisation).exists():
                self.existing["participations"] += 1
                continue
            role, party_kind = spec["participation"]
            services.add_participation(
                user=actor,
                compact=compact,
                organisation=organisation,
                role=role,
                party=parties[party_kind] if party_kind else None,
            )
            self.created["participations"] += 1

    def ensure_memberships(self, compact: Compact, actor: User, users: dict[str, User]) -> None:
        for spec in demo.USERS:
            if spec["role"] is None:
                continue
            member = users[spec["username"]]
            if Membership.objects.filter(compact=compact, user=member).exists():
                self.existing["roles"] += 1
                continue
            services.grant_role(user=actor, compact=compact, member=member, role=spec["role"])
            self.created["roles"] += 1

    # -- report -----------------------------------------------------------------------------------------
    def summary(self, compact: Compact, compact_created: bool) -> str:
        lines = []
        if compact_created:
            lines.append(
                _(
                    "Demo compact created: %(title)s (%(objectives)s objectives, %(activities)s activities, "
                    "%(indicators)s indicators, %(signatories)s signatories, %(commitments)s commitments, "
                    "%(focal_points)s focal points)."
                )
                % {
                    "title": compact.title,
                    "objectives": compact.objectives.count(),
                    "activities": Activity.objects.filter(objective__compact=compact).count(),
                    "indicators": Indicator.objects.filter(objective__compact=compact).count(),
                    "signatories": compact.signatories.count(),
                    "commitments": compact.commitments.count(),
                    "focal_points": compact.focal_points.count(),
                }
            )
        else:
            lines.append(
                _("Demo compact already present, left unchanged: %(title)s.") % {"title": compact.title}
            )
        labels = {
            "organisations": _("Organisations"),
            "users": _("Users"),
            "participations": _("Participating organisations"),
            "roles": _("Roles on the demo compact"),
        }
        for key, label in labels.items():
            lines.append(
                _("%(label)s: %(created)s created, %(existing)s already present.")
                % {"label": label, "created": self.created[key], "existing": self.existing[key]}
            )
        lines.append(_("Demo logins: python manage.py demo_logins"))
        return "\n".join(lines)
