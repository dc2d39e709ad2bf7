"""Charts drawn on the server as inline SVG: no script, no library to download, they print as they show.

One helper (``line_chart``) computes the geometry of a line chart and ``svg`` writes its markup (the
``_chart.html`` macro calls it: a page of fifty branches draws a hundred charts, which string formatting
does in a few milliseconds where a template loop took a hundred).
The plaque board and the supervisor's overview both use it. Server-side SVG rather than a vendored JS
charting library: the figures are few (a handful of points per line), the pages must work offline and
print as seen, and a phone gets a few kilobytes of markup instead of a charting bundle."""
from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

PALETTE = ("#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98")


def nice_max(values, floor: float = 4) -> float:
    """A round top for a y axis holding ``values`` (at least ``floor``)."""
    top = max([v for v in values if v is not None] + [floor])
    step = 10 ** math.floor(math.log10(top)) if top >= 10 else 1
    return math.ceil(top / step) * step


def line_chart(labels: list[str], series: list[tuple[str, list[float | None]]], *, width: int = 640,
               height: int = 240, top_value: float = 100, grid: tuple = (60, 70, 80, 90, 100),
               colors: tuple[str, ...] = PALETTE) -> dict:
    """Geometry of a line chart: one polyline per (name, values) over ``labels``; a None value leaves its
    point out (the line joins the points present)."""
    left, top = 40, 10
    step = (width - left - 20) / max(1, len(labels) - 1)

    def y(v: float) -> float:
        return top + (top_value - v) * (height - 40) / top_value

    lines = []
    for i, (name, values) in enumerate(series):
        points = [(left + j * step, y(v)) for j, v in enumerate(values) if v is not None]
        lines.append({"name": name, "points": " ".join(f"{px:.0f},{py:.0f}" for px, py in points), "dots": points,
                      "color": colors[i % len(colors)]})
    return {"width": width, "height": height, "left": left, "top": top, "step": step, "lines": lines,
            "labels": [(left + j * step, text) for j, text in enumerate(labels)],
            "grid": [(v, y(v)) for v in grid]}


def svg(chart: dict, label: str, test: str | None = None) -> Markup:
    """The chart as inline SVG with its legend below."""
    out = [f'<svg class="chart" viewBox="0 0 {chart["width"]} {chart["height"]}" role="img" aria-label="{escape(label)}"'
           + (f' data-test="{escape(test)}"' if test else "") + ">"]
    for v, y in chart["grid"]:
        out.append(f'<line x1="{chart["left"]}" x2="{chart["width"] - 10}" y1="{y:g}" y2="{y:g}" class="gridline"/>'
                   f'<text x="{chart["left"] - 6}" y="{y + 4:g}" text-anchor="end">{v}</text>')
    for x, text in chart["labels"]:
        if text:
            out.append(f'<text x="{x:g}" y="{chart["height"] - 8}" text-anchor="middle">{escape(str(text))}</text>')
    for line in chart["lines"]:
        out.append(f'<polyline fill="none" stroke="{line["color"]}" stroke-width="2" points="{line["points"]}"/>')
        out += [f'<circle cx="{x:.0f}" cy="{y:.0f}" r="3" fill="{line["color"]}"/>' for x, y in line["dots"]]
    out.append("</svg>\n<p class=\"legend\">")
    out += [f'<span style="color: {line["color"]}">■</span> {escape(line["name"])} ' for line in chart["lines"]]
    out.append("</p>")
    return Markup("".join(out))
