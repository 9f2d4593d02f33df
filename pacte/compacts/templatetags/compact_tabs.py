"""Tabs and links that later domain apps add to a compact's pages, without compacts importing them.

An app config may declare ``compact_tabs = [(url_name, label), …]``; each URL takes the compact's
``pk``. It may also declare ``meeting_links``, the dotted path of a function
``(compact, meetings) -> {meeting pk: [(url, label), …]}`` (one query for all meetings), whose links the
meetings page shows under each meeting (the results app: the annual report a meeting reviewed).
The compacts app only reads those declarations (as ``load_demo`` reads ``demo_loader``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils.module_loading import import_string

register = template.Library()


@register.simple_tag
def extra_compact_tabs(compact: Any) -> list[tuple[str, str]]:
    tabs = []
    for config in apps.get_app_configs():
        for url_name, label in getattr(config, "compact_tabs", ()):
            tabs.append((reverse(url_name, kwargs={"pk": compact.pk}), str(label)))
    return tabs


def extra_meeting_links(compact: Any, meetings: list[Any]) -> dict[int, list[tuple[str, str]]]:
    """Every app's links for ``meetings`` of ``compact``, by meeting pk."""
    links: dict[int, list[tuple[str, str]]] = {}
    for config in apps.get_app_configs():
        path = getattr(config, "meeting_links", None)
        if path and meetings:
            for pk, items in import_string(path)(compact, meetings).items():
                links.setdefault(pk, []).extend(items)
    return links
