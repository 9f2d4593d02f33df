"""Template helpers of the funding pages: amounts and shares as people read them, DAC sector names,
and the input cells of repeated rows (criteria, budget lines, sectors)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from pacte.results.charts import format_number

from ..sectors import sector_name

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """1 234 567,5 in French, 1,234,567.5 in English; "–" when unknown."""
    if value is None or value == "":
        return "–"
    return format_number(Decimal(str(value)), 2)


@register.filter
def pct(value: Any) -> str:
    """A share in percent (one decimal), "–" when unknown."""
    if value is None or value == "":
        return "–"
    return f"{format_number(Decimal(str(value)), 1)} %"


@register.filter
def sector(code: str) -> str:
    name = sector_name(code, get_language() or "fr")
    return f"{code} – {name}" if name else code


@register.simple_tag
def cell(field: forms.BoundField) -> SafeString:
    """One input of a repeated row, labelled for screen readers (``aria-label``), with its error."""
    attrs: dict[str, Any] = {}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.auto_id}_error"
        css = field.field.widget.attrs.get("class", "")
        attrs["class"] = f"{css} usa-input--error".strip()
    widget = field.as_widget(attrs=attrs)
    if not field.errors:
        return SafeString(widget)
    errors = format_html_join(SafeString("<br>"), "{}", ((e,) for e in field.errors))
    return format_html(
        '<span class="usa-error-message" id="{}_error" role="alert">{}</span>{}',
        field.auto_id,
        errors,
        widget,
    )


@register.filter
def score(value: Any) -> str:
    """A score out of 100, one decimal; "–" when there is none."""
    if value is None or value == "":
        return "–"
    return format_number(Decimal(str(value)), 1)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
