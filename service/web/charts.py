"""Charts drawn on the server as inline SVG: no script, no library to download, they print as they show.

One helper (``line_chart``) computes the geometry of a line chart and ``svg`` writes its markup (the
``_chart.html`` macro calls it: a page of fifty branches draws a hundred charts, which string formatting
does in a few milliseconds where a template loop took a hundred).
The plaque board and the supervisor's overview both use it. Server-side SVG rather than a vendored JS
charting library: the figures are few (a handful of points per line), the pages must work offline and
print as seen, and a phone gets a few kilobytes of markup instead of a charting bundle."""
from __future__ import annotations

import math
from functools import lru_cache
from html import escape

from markupsafe import Markup

PALETTE = ("#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98")


def nice_max(values, floor: float = 4) -> float:
    """A round top for a y axis holding ``values`` (at least ``floor``)."""
    top = max([v for v in values if v is not None] + [floor])
    step = 10 ** math.floor(math.log10(top)) if top >= 10 else 1
    return math.ceil(top / step) * step


#: the x of a chart's y axis
_LEFT = 40


def line_chart(labels: list[str], series: list[tuple[str, list[float | None]]], *, width: int = 640,
               height: int = 240, top_value: float = 100, grid: tuple = (60, 70, 80, 90, 100),
               colors: tuple[str, ...] = PALETTE) -> dict:
    """Geometry of a line chart: one polyline per (name, values) over ``labels``; a None value leaves its
    point out (the line joins the points present). A line's ``dots`` are its points' coordinates as written
    (whole pixels), ``points`` the same as a polyline's attribute."""
    left, top = _LEFT, 10
    step, xs, written = _x_axis(width, len(labels))
    lines = []
    for i, (name, values) in enumerate(series):
        dots = [(written[j], f"{top + (top_value - v) * (height - 40) / top_value:.0f}")
                for j, v in enumerate(values) if v is not None]
        lines.append({"name": name, "points": " ".join([f"{x},{y}" for x, y in dots]), "dots": dots,
                      "color": colors[i % len(colors)]})
    return {"width": width, "height": height, "left": left, "top": top, "step": step, "lines": lines,
            "labels": tuple(zip(xs, labels)),
            "grid": tuple((v, top + (top_value - v) * (height - 40) / top_value) for v in grid)}


@lru_cache(maxsize=64)
def _x_axis(width: int, count: int) -> tuple[float, tuple[float, ...], tuple[str, ...]]:
    """The step between ``count`` points across a chart ``width`` wide, their x and x as written (a page
    of a hundred charts has two or three axes)."""
    step = (width - _LEFT - 20) / max(1, count - 1)
    xs = tuple(_LEFT + j * step for j in range(count))
    return step, xs, tuple(f"{x:.0f}" for x in xs)


@lru_cache(maxsize=256)
def _frame(width: int, height: int, left: int, grid: tuple, labels: tuple) -> str:
    """A chart's grid lines and axis labels: the same for every chart of a page's kind, written once."""
    out = []
    for v, y in grid:
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:g}" y2="{y:g}" class="gridline"/>'
                   f'<text x="{left - 6}" y="{y + 4:g}" text-anchor="end">{v}</text>')
    for x, text in labels:
        if text:
            out.append(f'<text x="{x:g}" y="{height - 8}" text-anchor="middle">{escape(str(text))}</text>')
    return "".join(out)


def svg(chart: dict, label: str, test: str | None = None) -> Markup:
    """The chart as inline SVG with its legend below."""
    out = [f'<svg class="chart" viewBox="0 0 {chart["width"]} {chart["height"]}" role="img" aria-label="{escape(label)}"'
           + (f' data-test="{escape(test)}"' if test else "") + ">",
           _frame(chart["width"], chart["height"], chart["left"], chart["grid"], chart["labels"])]
    for line in chart["lines"]:
        color = line["color"]
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{line["points"]}"/>')
        if line["dots"]:  # the line's points, filled once for all of them
            out.append(f'<g fill="{color}">' + "".join([f'<circle cx="{x}" cy="{y}" r="3"/>' for x, y in line["dots"]])
                       + "</g>")
    out.append("</svg>\n<p class=\"legend\">")
    out += [f'<span style="color: {line["color"]}">■</span> {escape(line["name"])} ' for line in chart["lines"]]
    out.append("</p>")
    return Markup("".join(out))
