"""Template helpers of the results pages: figures as people read them, signed differences."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from django import template

from ..charts import format_number

register = template.Library()


@register.filter
def num(value: Any, places: int = 1) -> str:
    """1 234,5 in French, 1,234.5 in English; "–" when unknown; 12 rather than 12,0."""
    if value is None or value == "":
        return "–"
    return format_number(Decimal(str(value)), int(places))


@register.filter
def signed(value: Any, places: int = 1) -> str:
    """A difference with its sign: +12, −3,5, 0."""
    if value is None or value == "":
        return "–"
    number = Decimal(str(value))
    text = format_number(abs(number), int(places))
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"\u2212{text}"
    return text


@register.filter
def percent_of(numerator: Any, denominator: Any) -> str:
    """100 × numerator / denominator, as shown ("–" when the denominator is 0 or unknown)."""
    if numerator is None or not denominator:
        return "–"
    return f"{format_number(Decimal(100) * Decimal(str(numerator)) / Decimal(str(denominator)))} %"


@register.filter
def file_label(evidence: Any) -> str:
    """An evidence file as people know it: its description, else its file name (never the storage
    path)."""
    name = os.path.basename(getattr(getattr(evidence, "file", None), "name", "") or "")
    description = getattr(evidence, "description", "")
    return f"{description} ({name})" if description and name else description or name


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
