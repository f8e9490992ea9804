"""The report's charts, drawn on the server as SVG from the report's own chart data (no
chart library, no script): incidents by day and category as stacked bars, and time to
acknowledge by party as paired bars (median, 90th percentile).

Colours are presentation attributes (the CSP allows no style attribute, and the PDF has
no app.css); each chart is role="img" with a <title>, and the page and the PDF give the
same figures as a table beside it. Time and the label column run in the page's direction:
in Arabic and Hebrew the first day is on the right. The SVG's own direction is ltr; every
text drawn is digits or a label the caller chose (the PDF passes party codes: WeasyPrint
does not shape right-to-left text inside SVG), and each carries its own direction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from markupsafe import Markup

# Okabe and Ito's palette: told apart with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
INK, GRID, MEDIAN, P90 = "#333333", "#d9dee6", "#1f5fa8", "#9bbbe0"

WIDTH = 800
BAR_H, BAR_TOP, BAR_BOTTOM, AXIS_W, EDGE = 240, 12, 30, 40, 8
ROW, BAR, LABEL_W = 44, 14, 150


def colours(categories: list[str]) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}


def _anchor(edge: str, text_dir: str) -> str:
    """text-anchor that puts a text's visual `edge` ("left"/"right") at its x."""
    if text_dir == "rtl":
        return "start" if edge == "right" else "end"
    return "end" if edge == "right" else "start"


def _text(x: float, y: float, body: str, *, edge: str, text_dir: str = "ltr") -> Markup:
    return Markup(
        '<text x="{}" y="{}" fill="{}" font-size="12" direction="{}" text-anchor="{}">{}</text>'
    ).format(round(x, 1), round(y, 1), INK, text_dir, _anchor(edge, text_dir), body)


def _svg(chart_id: str, title: str, height: float, body: list[Markup], page_dir: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="sitrep-chart" id="{i}" direction="ltr"'
        ' role="img" aria-labelledby="{i}-title" viewBox="0 0 {w} {h}"'
        ' preserveAspectRatio="xMinYMin meet" data-dir="{d}"><title id="{i}-title">{t}</title>'
        "{b}</svg>"
    ).format(i=chart_id, w=WIDTH, h=round(height), d=page_dir, t=title, b=Markup("").join(body))


def _ticks(top: int) -> list[int]:
    if top <= 1:
        return [0, 1]
    return sorted({0, math.ceil(top / 2), top})


def incidents_by_day(
    data: Mapping[str, Any],
    *,
    title: str,
    page_dir: str,
    tip: Callable[[str, str, int], str],
) -> Markup:
    """Stacked bars: one per day of data["days"], a segment per category with incidents
    (data-day, data-category, data-count on each), the count on the vertical axis."""
    days: list[dict[str, Any]] = list(data["days"])
    fill = colours(list(data["categories"]))
    rtl = page_dir == "rtl"
    a0, a1 = (EDGE, WIDTH - AXIS_W) if rtl else (AXIS_W, WIDTH - EDGE)
    base = BAR_H - BAR_BOTTOM
    top = max([int(d["total"]) for d in days] + [1])
    per = (base - BAR_TOP) / top
    step = (a1 - a0) / max(len(days), 1)
    bar_w = max(1.0, min(step * 0.7, 48.0))  # a thin bar even for a day or two
    parts: list[Markup] = []
    for v in _ticks(top):  # gridlines and counts on the axis side
        y = base - v * per
        parts.append(
            Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>').format(
                a0, round(y, 1), a1, round(y, 1), GRID if v else INK
            )
        )
        parts.append(
            _text(a1 + 6 if rtl else a0 - 6, y + 4, str(v), edge="left" if rtl else "right")
        )
    every = max(1, math.ceil(len(days) / 12))  # at most a dozen day labels
    for i, d in enumerate(days):
        left = (a1 - (i + 1) * step if rtl else a0 + i * step) + (step - bar_w) / 2
        y = base
        for cat in data["categories"]:
            n = int(d["counts"].get(cat, 0))
            if not n:
                continue
            y -= n * per
            parts.append(
                Markup(
                    '<rect class="seg" x="{}" y="{}" width="{}" height="{}" fill="{}"'
                    ' data-day="{}" data-category="{}" data-count="{}"><title>{}</title></rect>'
                ).format(
                    round(left, 1),
                    round(y, 1),
                    round(bar_w, 1),
                    round(n * per, 1),
                    fill[cat],
                    d["day"],
                    cat,
                    n,
                    tip(d["day"], cat, n),
                )
            )
        if i % every == 0:
            label = date.fromisoformat(d["day"]).strftime("%m-%d")
            parts.append(
                Markup(
                    '<text x="{}" y="{}" fill="{}" font-size="11" text-anchor="middle">{}</text>'
                ).format(round(left + bar_w / 2, 1), base + 16, INK, label)
            )
    return _svg("sitrep-incidents-chart", title, BAR_H, parts, page_dir)


def time_to_acknowledge(
    rows: list[Mapping[str, Any]],
    *,
    title: str,
    page_dir: str,
    labels: Mapping[str, str],
    label_dir: str,
    duration: Callable[[float | None], str],
) -> Markup:
    """Per party two bars on one scale: the 90th percentile (light) over the median
    (dark), the figures beside them; an empty row where nothing was acknowledged."""
    rtl = page_dir == "rtl"
    top = max([float(r["p90_s"] or 0) for r in rows] + [float(r["median_s"] or 0) for r in rows])
    scale = (WIDTH - LABEL_W - 90) / (top or 1.0)
    parts: list[Markup] = []
    for i, r in enumerate(rows):
        y = 10 + i * ROW
        med, p90 = float(r["median_s"] or 0) * scale, float(r["p90_s"] or 0) * scale
        label_edge = "right" if rtl else "left"
        parts.append(
            _text(
                WIDTH - 4 if rtl else 4,
                y + BAR + 4,
                labels.get(r["party"], r["party"]),
                edge=label_edge,
                text_dir=label_dir,
            )
        )
        for cls, w, yy, colour in (("p90", p90, y, P90), ("median", med, y + BAR + 2, MEDIAN)):
            x = WIDTH - LABEL_W - w if rtl else LABEL_W
            parts.append(
                Markup(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"'
                    ' data-party="{}" data-seconds="{}"/>'
                ).format(
                    cls,
                    round(x, 1),
                    yy,
                    round(w, 1),
                    BAR,
                    colour,
                    r["party"],
                    "" if r[f"{cls}_s"] is None else round(float(r[f"{cls}_s"]), 3),
                )
            )
        value = (
            "\u2013"
            if r["median_s"] is None
            else f"{duration(r['median_s'])} / {duration(r['p90_s'])}"
        )
        reach = max(med, p90)
        vx = WIDTH - LABEL_W - reach - 6 if rtl else LABEL_W + reach + 6
        parts.append(_text(vx, y + BAR + 4, value, edge="right" if rtl else "left"))
    return _svg("sitrep-tta-chart", title, 20 + ROW * len(rows), parts, page_dir)
