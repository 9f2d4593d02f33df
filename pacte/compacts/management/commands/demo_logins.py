"""``python manage.py demo_logins``: the demo accounts created by ``load_demo``, as a table.

Prints user name, role on the demo compact, organisation and the documented demo password, and only
that: nothing else secret. It reads, it never writes (the password is compared without the rehash
that ``User.check_password`` may save).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pacte.accounts.models import User
from pacte.compacts import demo
from pacte.compacts.management.commands.load_demo import find_demo_compact, is_production_settings
from pacte.compacts.models import Membership


class Command(BaseCommand):
    help = "Print the demo accounts (user name, role, organisation, password) created by load_demo."

    def handle(self, *args: Any, **options: Any) -> None:
        compact = find_demo_compact()
        roles: dict[int, str] = {}
        if compact is not None:
            roles = {m.user_id: m.get_role_display() for m in Membership.objects.filter(compact=compact)}
        usernames = [spec["username"] for spec in demo.USERS]
        found = User.objects.select_related("organisation").filter(username__in=usernames)
        users = {user.username: user for user in found}

        header = (_("User name"), _("Role on the demo compact"), _("Organisation"), _("Password"))
        rows: list[tuple[str, str, str, str]] = []
        missing = False
        for spec in demo.USERS:
            user = users.get(spec["username"])
            if user is None:
                missing = True
                rows.append((spec["username"], _("(not created: run load_demo)"), "", ""))
                continue
            if user.is_superuser:
                role = _("Site administrator")
            else:
                role = roles.get(user.pk, _("No role (organisation not taking part)"))
            organisation = user.organisation.short_name if user.organisation else "—"
            if user.has_usable_password() and check_password(demo.DEMO_PASSWORD, user.password):
                password = demo.DEMO_PASSWORD
            else:
                password = _("(changed: not the demo password)")
            rows.append((user.username, str(role), organisation, password))

        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

        def line(cells: tuple[str, ...]) -> str:
            padded = (str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))
            return "  ".join(padded).rstrip()

        self.stdout.write(_("Demo accounts of Pacte (demo data only):"))
        if compact is None:
            self.stdout.write(_("The demo compact is not loaded: run python manage.py load_demo."))
        else:
            self.stdout.write(_("Demo compact: %(title)s") % {"title": compact.title})
        self.stdout.write("")
        self.stdout.write(line(header))
        self.stdout.write(line(tuple("-" * width for width in widths)))
        for row in rows:
            self.stdout.write(line(row))
        self.stdout.write("")
        self.stdout.write(
            _(
                "The site administrator (admin) must set up a TOTP authenticator app (two-factor login) "
                "at first login, and enter a code at every login after that."
            )
        )
        self.stdout.write(
            _("The demo password is published: change it, and never load demo data on a production server.")
        )
        if is_production_settings():
            self.stderr.write(
                _("Warning: these are production settings. Remove or secure the demo accounts.")
            )
        if missing:
            self.stderr.write(_("Some demo accounts do not exist yet: run python manage.py load_demo."))
