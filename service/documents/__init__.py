"""Documents people read: the 标准化经验手册 (experience handbook) as HTML and as PDF.

Pure rendering of plain data: Jinja2 (autoescaped) for HTML, ReportLab for PDF.

The PDF embeds (subsets) a TrueType CJK font, so it reads the same on any device: ``font_file`` if
given, else the first of ``SYSTEM_FONTS`` present (Debian: ``apt install fonts-wqy-microhei``). With
none installed it falls back to STSong-Light, the Adobe-GB1 CID font ReportLab knows without a file:
the text is still exact (copy, search), but the reader must supply the glyphs, which Acrobat and
browsers do and a bare poppler does not.
"""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, select_autoescape

from ..domain.calendar import CST

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_ENV.filters["local"] = lambda at: at.astimezone(CST).strftime("%Y年%m月%d日 %H:%M") if isinstance(at, datetime) else at

_HTML = _ENV.from_string("""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body{font-family:"Noto Serif CJK SC","Songti SC",SimSun,serif;max-width:48em;margin:2em auto;line-height:1.8;color:#222}
h1{text-align:center;color:#b00}h2{border-bottom:2px solid #b00;padding-bottom:.2em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em .6em}
.meta{text-align:center;color:#666}.draft{color:#b00;font-weight:bold;text-align:center}
</style></head><body>
<h1>{{ title }}</h1>
<p class="meta">{{ data.quarter }} · {{ data.checklist.title }}（第{{ data.checklist.version }}版） · 生成于 {{ data.generated_at|local }}</p>
{% if not data.compiled %}<p class="draft">草稿：党群部尚未完成汇编</p>{% endif %}
{% if data.foreword %}<h2>编者按</h2><p>{{ data.foreword }}</p>{% endif %}
<h2>亮点做法</h2>
{% for h in data.highlights %}<h3>{{ loop.index }}. {{ h.title }}（{{ h.branch_name }}）</h3><p>{{ h.practice }}</p>
{% else %}<p>（尚未汇编）</p>{% endfor %}
{% if data.observation_meeting %}<h2>标杆支部现场观摩会</h2>
<p>{{ data.observation_meeting.branch_name }} · {{ data.observation_meeting.date }}{% if data.observation_meeting.place %} · {{ data.observation_meeting.place }}{% endif %}</p>{% endif %}
<h2>各支部互查情况</h2>
<table><tr><th>支部</th><th>互查得分</th><th>优点</th><th>问题</th></tr>
{% for b in data.branches %}<tr><td>{{ b.branch_name }}</td><td>{{ b.score if b.score is not none else "—" }}</td>
<td>{{ b.strengths|join("；") }}</td><td>{{ b.problems|join("；") or "无" }}</td></tr>{% endfor %}
</table></body></html>
""")

TITLE = "党支部标准化经验手册"
#: TrueType CJK fonts looked for when none is configured (ReportLab reads TrueType outlines, not CFF)
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def pdf_font_file(configured: str | None = None) -> str | None:
    """The font file PDFs embed: the configured one, else the first system CJK font found, else None."""
    if configured:
        return configured
    return next((f for f in SYSTEM_FONTS if Path(f).exists()), None)


def handbook_html(data: dict) -> str:
    """The handbook as a standalone HTML page (UTF-8)."""
    return _HTML.render(title=TITLE, data=data)


def handbook_pdf(data: dict, font_file: str | None = None) -> bytes:
    """The handbook as an A4 PDF with Chinese text (see the module docstring for the font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    font_file = pdf_font_file(font_file)
    if font_file:
        font = f"CJK-{Path(font_file).stem}"
        if font not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(font, font_file, subfontIndex=0))
    else:
        font = "STSong-Light"
        if font not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=20, leading=28, alignment=1, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=14, leading=22, spaceBefore=10, spaceAfter=4)
    meta = ParagraphStyle("meta", parent=body, fontSize=9, alignment=1)
    p = lambda text, style=body: Paragraph(escape(str(text)), style)  # noqa: E731

    story = [p(TITLE, h1), p(f"{data['quarter']} · {data['checklist']['title']}（第{data['checklist']['version']}版）", meta)]
    if not data["compiled"]:
        story.append(p("草稿：党群部尚未完成汇编", meta))
    if data.get("foreword"):
        story += [p("编者按", h2), p(data["foreword"])]
    story.append(p("亮点做法", h2))
    for i, h in enumerate(data["highlights"], 1):
        story += [p(f"{i}. {h['title']}（{h['branch_name']}）", ParagraphStyle("h3", parent=body, fontSize=12)),
                  p(h["practice"]), Spacer(1, 4)]
    if not data["highlights"]:
        story.append(p("（尚未汇编）"))
    meeting = data.get("observation_meeting")
    if meeting:
        story += [p("标杆支部现场观摩会", h2),
                  p(" · ".join(x for x in (meeting["branch_name"], meeting["date"], meeting.get("place")) if x))]
    story.append(p("各支部互查情况", h2))
    rows = [[p("支部"), p("互查得分"), p("优点"), p("问题")]]
    for b in data["branches"]:
        rows.append([p(b["branch_name"]), p("—" if b["score"] is None else b["score"]),
                     p("；".join(b["strengths"])), p("；".join(b["problems"]) or "无")])
    table = Table(rows, colWidths=[28 * mm, 20 * mm, 60 * mm, 60 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=TITLE, author="branchflow", leftMargin=18 * mm,
                            rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    doc.build(story)
    return out.getvalue()
