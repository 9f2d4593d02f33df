"""Template helpers of the country pages: a small server-rendered SVG chart per series, figures shown
with their category label, income groups and criteria in the user's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..models import Metric, Observation, QualitativeCriterion
from ..selectors import MetricSeries, category_label, income_group_label

register = template.Library()

PLOT_WIDTH, HEIGHT = 264, 140
RIGHT, TOP, BOTTOM = 10, 10, 22


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if float(value).is_integer():
        return number_format(int(value), force_grouping=True)
    return number_format(value, decimal_pos=2 if abs(value) < 100 else 1, force_grouping=True)


@register.filter
def figure(obs: Observation | None) -> str:
    """An observation as published: its category label, else its number."""
    if obs is None:
        return "–"
    if obs.label:
        return category_label(obs.metric.code, obs.label) if obs.metric_id else obs.label
    return _number(obs.value)


@register.filter
def number(value: Any) -> str:
    return _number(None if value is None else float(value))


@register.filter
def income_group(label: str | None) -> str:
    return income_group_label(label) if label else "–"


@register.filter
def tier(label: str | None) -> str:
    return category_label("tip_tier", label) if label else "–"


@register.filter
def run_label(label: str, key: str) -> str:
    """A category label of a run's value (``key`` "metric:tip_tier"…), in the user's language."""
    if not label:
        return ""
    kind, _sep, code = key.partition(":")
    return category_label(code, label) if kind == "metric" else label


@register.filter
def qualitative_label(code: str) -> str:
    try:
        return str(QualitativeCriterion(code).label)
    except ValueError:
        return code


@register.filter
def percent(value: Any) -> str:
    if value is None:
        return "–"
    return f"{_number(round(100 * float(value), 1))} %"


def _value_ticks(metric: Metric, lo: float, hi: float) -> list[tuple[float, str]]:
    categories = [c for c in metric.categories if c.get("value") is not None]
    if metric.kind == Metric.Kind.ORDINAL and categories:
        return [(float(c["value"]), category_label(metric.code, str(c["label"]))) for c in categories]
    return [(lo, _number(lo)), (hi, _number(hi))]


@register.simple_tag
def series_chart(series: MetricSeries, country_name: str = "") -> SafeString:
    """A line chart (a step chart for ordered categories) of one series, with a gap for every missing
    year. "Better" is at the top: the axis is reversed when lower is better. Accessible name and
    description; the same figures are in the table under the chart."""
    metric = series.metric
    points = series.chart_points
    chart_id = f"chart-{metric.code}"
    title = _("%(metric)s, %(country)s") % {"metric": metric.display_name, "country": country_name}
    if not points:
        return format_html('<p class="text-base" id="{}">{}</p>', chart_id, _("No figure to chart."))
    years = [p.year for p in points]
    first = min(series.first_year or years[0], years[0])
    last = max(series.last_year or years[-1], years[-1])
    values = [float(p.value) for p in points if p.value is not None]
    categories = [float(c["value"]) for c in metric.categories if c.get("value") is not None]
    if metric.kind == Metric.Kind.ORDINAL and categories:
        lo, hi = min(categories), max(categories)
    else:
        lo = metric.minimum if metric.minimum is not None else min(values)
        hi = metric.maximum if metric.maximum is not None else max(values)
        lo, hi = min(lo, *values), max(hi, *values)
    if hi == lo:
        hi = lo + 1
    tick_marks = _value_ticks(metric, lo, hi)
    # Room on the left for the longest tick label (about 5.5 units per character at font size 10).
    left = int(min(220, max(40, 8 + 5.5 * max(len(label) for _v, label in tick_marks))))
    width = left + PLOT_WIDTH + RIGHT
    plot_w, plot_h = PLOT_WIDTH, HEIGHT - TOP - BOTTOM

    def x(year: float) -> float:
        return left + (plot_w * (year - first) / (last - first) if last > first else plot_w / 2)

    def y(value: float) -> float:
        share = (value - lo) / (hi - lo)
        if not metric.higher_is_better:
            share = 1 - share
        return TOP + plot_h * (1 - share)

    step = metric.kind == Metric.Kind.ORDINAL
    segments: list[list[str]] = []
    previous = None
    for p in points:
        px, py = x(p.year), y(float(p.value))  # type: ignore[arg-type]
        if previous is None or p.year != previous.year + 1:
            segments.append([f"M{px:.1f},{py:.1f}"])
        elif step:
            segments[-1].append(f"H{px:.1f}V{py:.1f}")
        else:
            segments[-1].append(f"L{px:.1f},{py:.1f}")
        previous = p
    paths = format_html_join(
        "",
        '<path d="{}" fill="none" stroke="#005ea2" stroke-width="2"></path>',
        ((" ".join(s),) for s in segments if len(s) > 1),  # a lone year is a dot only
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2.5" fill="#005ea2"><title>{}: {}</title></circle>',
        ((f"{x(p.year):.1f}", f"{y(float(p.value)):.1f}", p.year, figure(p)) for p in points),  # type: ignore[arg-type]
    )
    ticks = format_html_join(
        "",
        '<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" stroke="#dfe1e2"></line>'
        '<text x="{3}" y="{4}" text-anchor="end" font-size="10" fill="#1b1b1b">{5}</text>',
        ((left, width - RIGHT, f"{y(v):.1f}", left - 4, f"{y(v) + 3:.1f}", label) for v, label in tick_marks),
    )
    axis = format_html(
        '<text x="{}" y="{}" font-size="10" fill="#1b1b1b">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#1b1b1b">{}</text>',
        left,
        HEIGHT - 6,
        first,
        width - RIGHT,
        HEIGHT - 6,
        last,
    )
    description = _("%(count)s figures from %(first)s to %(last)s; the table below gives every figure.") % {
        "count": len(points),
        "first": years[0],
        "last": years[-1],
    }
    if series.missing_years:
        description += " " + _("No data for %(years)s.") % {"years": series.missing_text}
    return format_html(
        '<svg class="pacte-chart" role="img" viewBox="0 0 {} {}" width="{}" height="{}" '
        'aria-labelledby="{}-title {}-desc" id="{}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}{}{}</svg>',
        width,
        HEIGHT,
        width,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        ticks,
        axis,
        paths,
        dots,
    )
