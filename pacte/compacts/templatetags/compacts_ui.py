"""Template helpers of the compacts pages: USWDS form fields, visibility tags, country names."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.loader import render_to_string
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
