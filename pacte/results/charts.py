"""Server-rendered charts: small, accessible inline SVG (no JavaScript, no external resources).

``progress_chart`` is a pure function: it takes the figures and returns the SVG markup. The chart has a
``<title>`` and a ``<desc>`` (read by screen readers through ``aria-labelledby``) and the page shows the
same figures in a data table next to it; the chart itself is only a picture of that table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Colours of the US Web Design System (blue, gold, gray), dark enough on white (WCAG AA for lines).
ACTUAL_COLOUR = "#005ea2"
TARGET_COLOUR = "#936f38"
BASELINE_COLOUR = "#565c65"
GRID_COLOUR = "#dfe1e2"
TEXT_COLOUR = "#1b1b1b"


@dataclass(frozen=True)
class ChartPoint:
    """One step of the time axis (a year or a period) with its actual value and its target."""

    label: str
    actual: Decimal | None = None
    target: Decimal | None = None


def format_number(value: Decimal | float | None, places: int = 1) -> str:
    """A figure as people read it in the current language (1 234,5 in French), without useless zeros."""
    if value is None:
        return "–"
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return number_format(number.quantize(Decimal(1)), 0, force_grouping=True)
    return number_format(round(number, places), places, force_grouping=True)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis graduations covering ``low``..``high`` (0, 25, 50… rather than 0, 23.7, 47.4…)."""
    if high <= low:
        high = low + 1
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step / 2:
        ticks.append(round(value, 10))
        value += step
        if value >= high:
            ticks.append(round(value, 10))
            break
    return sorted(set(ticks))


def _describe(title: str, points: Sequence[ChartPoint], baseline: Decimal | None, suffix: str) -> str:
    parts = []
    if baseline is not None:
        parts.append(_("Baseline: %(value)s.") % {"value": format_number(baseline) + suffix})
    for point in points:
        parts.append(
            _("%(label)s: actual %(actual)s, target %(target)s.")
            % {
                "label": point.label,
                "actual": format_number(point.actual) + (suffix if point.actual is not None else ""),
                "target": format_number(point.target) + (suffix if point.target is not None else ""),
            }
        )
    if not any(p.actual is not None for p in points):
        parts.append(_("No approved value yet."))
    return " ".join(parts)


def progress_chart(
    *,
    title: str,
    points: Sequence[ChartPoint],
    baseline: Decimal | None = None,
    suffix: str = "",
    chart_id: str = "chart",
    width: int = 640,
    height: int = 280,
    standalone: bool = False,
) -> SafeString:
    """An SVG line chart of the actual values against the targets and the baseline over time.

    ``suffix`` is appended to the figures (" %" for percentages); ``chart_id`` makes the ids of the
    title and description unique in the page; ``standalone`` adds the XML namespace so that the markup
    is a valid ``image/svg+xml`` document on its own.
    """
    left, right, top, bottom = 56, 16, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for p in points for v in (p.actual, p.target) if v is not None]
    if baseline is not None:
        values.append(float(baseline))
    low = min([0.0, *values])
    high = max([*values, low + 1])
    ticks = nice_ticks(low, high)
    low, high = ticks[0], ticks[-1]

    def y(value: Decimal | float) -> float:
        return top + plot_h - (float(value) - low) / (high - low) * plot_h

    step = plot_w / max(len(points), 1)

    def x(index: int) -> float:
        return left + step * (index + 0.5)

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    namespace = 'xmlns="http://www.w3.org/2000/svg" ' if standalone else ""
    out: list[str] = [
        f"<svg {namespace}"
        f'class="pacte-chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="Source Sans Pro, Helvetica, Arial, sans-serif" font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(_describe(title, points, baseline, suffix))}</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    # Graduations.
    for tick in ticks:
        ty = y(tick)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{TEXT_COLOUR}">'
            f"{escape(format_number(tick))}{escape(suffix)}</text>"
        )
    for index, point in enumerate(points):
        out.append(
            f'<text x="{x(index):.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{TEXT_COLOUR}">'
            f"{escape(point.label)}</text>"
        )
    # Baseline: a dotted horizontal line.
    if baseline is not None:
        by = y(baseline)
        out.append(
            f'<line class="pacte-chart-baseline" x1="{left}" x2="{left + plot_w}" y1="{by:.1f}" '
            f'y2="{by:.1f}" stroke="{BASELINE_COLOUR}" stroke-width="2" stroke-dasharray="2 4"/>'
        )
    # Targets (dashed, squares) then actual values (solid, circles, labelled).
    out.extend(_series(points, "target", x, y, TARGET_COLOUR, "6 4", square=True))
    out.extend(_series(points, "actual", x, y, ACTUAL_COLOUR, "", square=False))
    for index, point in enumerate(points):
        if point.actual is not None:
            out.append(
                f'<text x="{x(index):.1f}" y="{y(point.actual) - 9:.1f}" text-anchor="middle" '
                f'font-weight="bold" fill="{ACTUAL_COLOUR}">{escape(format_number(point.actual))}</text>'
            )
    # Legend.
    legend_y = height - 16
    legend = [
        (_("Actual"), ACTUAL_COLOUR, ""),
        (_("Target"), TARGET_COLOUR, "6 4"),
    ]
    if baseline is not None:
        legend.append((_("Baseline"), BASELINE_COLOUR, "2 4"))
    lx = left
    for label, colour, dash in legend:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}" '
            f'stroke-width="3"{dash_attr}/>'
            f'<text x="{lx + 30}" y="{legend_y}" fill="{TEXT_COLOUR}">{escape(label)}</text>'
        )
        lx += 40 + 8 * len(str(label))
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _series(
    points: Sequence[ChartPoint],
    attribute: str,
    x: Callable[[int], float],
    y: Callable[[Decimal | float], float],
    colour: str,
    dash: str,
    *,
    square: bool,
) -> list[str]:
    """A polyline through the known values of one series (gaps break the line) and its markers."""
    out: list[str] = []
    segment: list[str] = []
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""

    def flush() -> None:
        if len(segment) > 1:
            out.append(
                f'<polyline class="pacte-chart-{attribute}" points="{" ".join(segment)}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            )
        segment.clear()

    markers = []
    for index, point in enumerate(points):
        value = getattr(point, attribute)
        if value is None:
            flush()
            continue
        px, py = x(index), y(value)
        segment.append(f"{px:.1f},{py:.1f}")
        if square:
            markers.append(
                f'<rect class="pacte-chart-{attribute}-point" x="{px - 4:.1f}" y="{py - 4:.1f}" '
                f'width="8" height="8" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            markers.append(
                f'<circle class="pacte-chart-{attribute}-point" cx="{px:.1f}" cy="{py:.1f}" r="4.5" '
                f'fill="{colour}"/>'
            )
    flush()
    return out + markers
