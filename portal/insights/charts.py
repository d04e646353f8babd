"""Charts drawn on the server as inline SVG: no script, nothing from another host.

Each chart is a ``Chart``: the SVG (``role="img"`` named by its ``<title>`` and described by
its ``<desc>``), and the same figures as table rows for the template to set beside it.
Shapes carry classes only (``chart__bar--approved``...), coloured by ``insights.css`` from
the site's custom properties, and text is ``currentColor``: the charts follow the light or
dark theme the page is in. The markup is built with ElementTree, so it is well-formed XML
and every text is escaped.
"""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from markupsafe import Markup

from ..discussion.models import STARS
from .queries import COUNTED_STATES

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 480
FONT = 12
MAX_LABELS = 6  # period labels under a chart (the table has every one)


@dataclass(frozen=True)
class Chart:
    id: str  # unique on the page
    title: str
    description: str  # what the chart shows, in a sentence or two, for screen readers
    columns: tuple  # the table's header
    rows: list  # the table's rows: the chart's figures
    svg: Markup


def day_label(day, period):
    return day.strftime("%b %Y") if period == "month" else f"{day.day} {day:%b}"


def long_day(day, period):
    return day.strftime("%B %Y") if period == "month" else f"{day.day} {day:%b %Y}"


def mean_text(count, total):
    return f"{total / count:.2f}" if count else "–"


def stars_text(n):
    return f"{n} star{'s' if n != 1 else ''}"


def nice_step(top, ticks=5):
    """A round whole step (1, 2, 2.5 or 5 times a power of ten) dividing ``top`` in at most
    about ``ticks``."""
    raw = max(top, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    steps = (m * power for m in (1, 2, 2.5, 5, 10))
    return max(1, int(next(s for s in steps if s >= raw and float(s).is_integer())))


def scale_top(top):
    step = nice_step(top)
    return max(step, math.ceil(top / step) * step), step


def _svg(chart_id, title, description, height):
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "viewBox": f"0 0 {WIDTH} {height}", "class": "chart",
        "role": "img", "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        "font-size": str(FONT), "fill": "currentColor",
    })
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = title
    ET.SubElement(svg, "desc", id=f"{chart_id}-desc").text = description
    return svg


def _text(parent, x, y, text, anchor="start", cls="chart__label"):
    node = ET.SubElement(parent, "text", {"x": _n(x), "y": _n(y), "text-anchor": anchor,
                                          "class": cls})
    node.text = text
    return node


def _rect(parent, x, y, width, height, cls):
    return ET.SubElement(parent, "rect", {"x": _n(x), "y": _n(y), "width": _n(width),
                                          "height": _n(height), "class": cls})


def _line(parent, x1, y1, x2, y2, cls):
    return ET.SubElement(parent, "line", {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2),
                                          "y2": _n(y2), "class": cls})


def _n(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _markup(svg):
    return Markup(ET.tostring(svg, encoding="unicode"))


# -- the histogram of stars ----------------------------------------------------------------

def histogram(chart_id, summary, title="Ratings by stars"):
    """Horizontal bars, 5 stars at the top: how many readers gave each number of stars."""
    counts = [(stars, summary.histogram[stars]) for stars in sorted(STARS, reverse=True)]
    description = (
        f"{summary.count} rating{'s' if summary.count != 1 else ''}, mean "
        f"{mean_text(summary.count, summary.total)} stars: "
        + ", ".join(f"{stars_text(stars)} {n}" for stars, n in counts) + ".")
    row_height, left, right, top = 26, 72, 48, 6
    height = top + row_height * len(counts) + 4
    svg = _svg(chart_id, title, description, height)
    most = max((n for _, n in counts), default=0) or 1
    span = WIDTH - left - right
    for i, (stars, n) in enumerate(counts):
        y = top + i * row_height
        _text(svg, left - 8, y + row_height / 2 + FONT / 3, stars_text(stars), "end")
        _rect(svg, left, y + 4, span, row_height - 8, "chart__track")
        if n:
            _rect(svg, left, y + 4, max(2, span * n / most), row_height - 8,
                  "chart__bar chart__bar--stars")
        _text(svg, left + span + 6, y + row_height / 2 + FONT / 3, str(n), "start",
              "chart__value")
    rows = [(stars_text(stars), n,
             f"{100 * n / summary.count:.0f} %" if summary.count else "–")
            for stars, n in counts]
    return Chart(chart_id, title, description, ("Stars", "Ratings", "Share"), rows,
                 _markup(svg))


# -- periods -------------------------------------------------------------------------------

PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT = 12, 36, 40, 40
PLOT_HEIGHT = 200


def _frame(svg, window, top_value, step, fmt=str):
    """Grid lines with the left scale, the period labels; returns ``x(i)`` and the
    width of one period."""
    bottom = PLOT_HEIGHT - PLOT_BOTTOM
    span = WIDTH - PLOT_LEFT - PLOT_RIGHT
    slot = span / max(1, len(window.starts))
    grid = ET.SubElement(svg, "g", {"class": "chart__grid", "aria-hidden": "true"})
    value = 0
    while value <= top_value:
        y = bottom - (bottom - PLOT_TOP) * value / top_value
        _line(grid, PLOT_LEFT, y, WIDTH - PLOT_RIGHT, y, "chart__gridline")
        _text(grid, PLOT_LEFT - 6, y + FONT / 3, fmt(value), "end")
        value += step
    every = max(1, math.ceil(len(window.starts) / MAX_LABELS))
    for i, day in enumerate(window.starts):
        if i % every == 0:
            _text(grid, PLOT_LEFT + slot * (i + 0.5), bottom + FONT + 6,
                  day_label(day, window.period), "middle")
    _line(grid, PLOT_LEFT, bottom, WIDTH - PLOT_RIGHT, bottom, "chart__axis")
    return (lambda i: PLOT_LEFT + slot * i), slot


def _y(value, top_value):
    bottom = PLOT_HEIGHT - PLOT_BOTTOM
    return bottom - (bottom - PLOT_TOP) * value / top_value


def ratings_trend(chart_id, window, series, title):
    """Columns: ratings set per period (left scale); a line: their mean stars (right
    scale, 1 to 5), broken where a period has no rating."""
    figures = [series.ratings.get(day, (0, 0)) for day in window.starts]
    count = sum(n for n, _ in figures)
    busiest = max(range(len(figures)), key=lambda i: figures[i][0]) if figures else 0
    rated = [i for i, (n, _) in enumerate(figures) if n]
    unit = window.period
    description = (
        f"Ratings given or changed per {unit} from {long_day(window.starts[0], unit)}: "
        f"{count} in all")
    if rated:
        first, last = figures[rated[0]], figures[rated[-1]]
        description += (
            f", most in the {unit} of {long_day(window.starts[busiest], unit)} "
            f"({figures[busiest][0]}). Mean stars {mean_text(*first)} in the first {unit} "
            f"with ratings, {mean_text(*last)} in the last.")
    else:
        description += "."
    svg = _svg(chart_id, title, description, PLOT_HEIGHT + 22)
    top_value, step = scale_top(max((n for n, _ in figures), default=0))
    x, slot = _frame(svg, window, top_value, step)
    bars = ET.SubElement(svg, "g", {"class": "chart__series", "aria-hidden": "true"})
    for i, (n, _) in enumerate(figures):
        if n:
            y = _y(n, top_value)
            _rect(bars, x(i) + slot * 0.15, y, slot * 0.7, _y(0, top_value) - y,
                  "chart__bar chart__bar--count")
    # The mean on the right scale: 1 star at the bottom, 5 at the top.
    right = ET.SubElement(svg, "g", {"class": "chart__grid", "aria-hidden": "true"})
    for stars in STARS:
        _text(right, WIDTH - PLOT_RIGHT + 6, _y(stars - 1, 4) + FONT / 3, f"{stars}★")
    line = ET.SubElement(svg, "g", {"class": "chart__series", "aria-hidden": "true"})
    points = []
    for i, (n, total) in enumerate(figures + [(0, 0)]):
        if n:
            points.append((x(i) + slot / 2, _y(total / n - 1, 4)))
            continue
        if len(points) > 1:
            ET.SubElement(line, "polyline", {
                "points": " ".join(f"{_n(px)},{_n(py)}" for px, py in points),
                "class": "chart__line", "fill": "none"})
        for px, py in points:
            ET.SubElement(line, "circle", {"cx": _n(px), "cy": _n(py), "r": "3.5",
                                           "class": "chart__dot"})
        points = []
    legend = ET.SubElement(svg, "g", {"class": "chart__legend", "aria-hidden": "true"})
    _rect(legend, PLOT_LEFT, PLOT_HEIGHT + 6, 12, 12, "chart__bar chart__bar--count")
    _text(legend, PLOT_LEFT + 17, PLOT_HEIGHT + 16, "Ratings (left scale)")
    _line(legend, PLOT_LEFT + 190, PLOT_HEIGHT + 12, PLOT_LEFT + 210, PLOT_HEIGHT + 12,
          "chart__line")
    _text(legend, PLOT_LEFT + 215, PLOT_HEIGHT + 16, "Mean stars (right scale)")
    rows = [(long_day(day, unit), n, mean_text(n, total))
            for day, (n, total) in zip(window.starts, figures, strict=True)]
    return Chart(chart_id, title, description,
                 (unit.capitalize() + " of", "Ratings", "Mean stars"), rows, _markup(svg))


STATE_LABELS = {"approved": "Approved", "pending": "Pending", "hidden": "Hidden"}


def comments_trend(chart_id, window, series, title):
    """Stacked columns per period: comments written then, approved, pending and hidden
    (as they stand now)."""
    unit = window.period
    figures = [series.comments.get(day, dict.fromkeys(COUNTED_STATES, 0))
               for day in window.starts]
    totals = {state: sum(f[state] for f in figures) for state in COUNTED_STATES}
    sums = [sum(f.values()) for f in figures]
    busiest = max(range(len(sums)), key=sums.__getitem__) if sums else 0
    description = (
        f"Comments written per {unit} from {long_day(window.starts[0], unit)}, by their "
        f"state now: " + ", ".join(f"{totals[s]} {s}" for s in COUNTED_STATES))
    description += (f"; the most in the {unit} of {long_day(window.starts[busiest], unit)} "
                    f"({sums[busiest]})." if any(sums) else ".")
    svg = _svg(chart_id, title, description, PLOT_HEIGHT + 22)
    top_value, step = scale_top(max(sums, default=0))
    x, slot = _frame(svg, window, top_value, step)
    stacks = ET.SubElement(svg, "g", {"class": "chart__series", "aria-hidden": "true"})
    for i, counts in enumerate(figures):
        below = 0
        for state in COUNTED_STATES:
            n = counts[state]
            if n:
                y = _y(below + n, top_value)
                _rect(stacks, x(i) + slot * 0.15, y, slot * 0.7, _y(below, top_value) - y,
                      f"chart__bar chart__bar--{state}")
                below += n
    legend = ET.SubElement(svg, "g", {"class": "chart__legend", "aria-hidden": "true"})
    lx = PLOT_LEFT
    for state in COUNTED_STATES:
        _rect(legend, lx, PLOT_HEIGHT + 6, 12, 12, f"chart__bar chart__bar--{state}")
        _text(legend, lx + 17, PLOT_HEIGHT + 16, STATE_LABELS[state])
        lx += 100
    rows = [(long_day(day, unit), *(counts[s] for s in COUNTED_STATES), total)
            for day, counts, total in zip(window.starts, figures, sums, strict=True)]
    return Chart(chart_id, title, description,
                 (unit.capitalize() + " of", *STATE_LABELS.values(), "All"), rows,
                 _markup(svg))
