"""Template helpers of the compacts pages: USWDS form fields, visibility tags, country names, row URLs."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from pacte.core.models import Visibility

from ..forms import country_label

register = template.Library()


@register.simple_tag
def uswds_field(field: forms.BoundField) -> SafeString:
    """One form field as a USWDS form group: label, hint, error message (linked with
    aria-describedby) and the input, with the error styling when the field has errors."""
    widget = field.field.widget
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}_hint")
    if field.errors:
        describedby.append(f"{field.auto_id}_error")
    attrs: dict[str, Any] = {}
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    if field.errors:
        attrs["aria-invalid"] = "true"
        if not isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
            error_class = "usa-input--error"
            attrs["class"] = f"{widget.attrs.get('class', '')} {error_class}".strip()
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        layout = "choices"
    elif isinstance(widget, forms.CheckboxInput):
        layout = "checkbox"
    elif isinstance(widget, forms.HiddenInput):
        return SafeString(field.as_widget())
    else:
        layout = "input"
    return render_to_string(
        "compacts/_field.html",
        {
            "field": field,
            "layout": layout,
            "widget": field.as_widget(attrs=attrs) if layout != "choices" else "",
            "describedby": " ".join(describedby),
        },
    )


@register.simple_tag
def visibility_tag(record: Any) -> str:
    """The "Non-public" tag of a record (or nothing for a public one)."""
    if getattr(record, "visibility", Visibility.PUBLIC) == Visibility.PUBLIC:
        return ""
    return format_html('<span class="usa-tag pacte-tag--non-public">{}</span>', _("Non-public"))


@register.filter
def country(code: str) -> str:
    return country_label(code)


# A record id no real URL of a page holds: reversed in its place, then replaced by each row's id.
_PLACEHOLDER = 2_147_483_646


@register.simple_tag(takes_context=True)
def row_url(context: template.Context, name: str, *args: Any) -> str:
    """``{% url name *args %}`` for the rows of a table, whose last argument (an id) changes from row
    to row: the URL is reversed once per template rendering, with a placeholder for the id."""
    *fixed, last = args
    if not isinstance(last, int) or isinstance(last, bool):
        return reverse(name, args=args)
    known: dict[tuple[Any, ...], list[str]] = context.render_context.setdefault("row_url", {})  # type: ignore[arg-type,assignment]
    key = (name, *fixed)
    parts = known.get(key)
    if parts is None:
        parts = reverse(name, args=[*fixed, _PLACEHOLDER]).split(str(_PLACEHOLDER))
        known[key] = parts
    if len(parts) != 2:  # the placeholder matched elsewhere too: reverse as {% url %} does
        return reverse(name, args=args)
    return f"{parts[0]}{last}{parts[1]}"
