"""An understanding's milestones on a timeline, drawn on the server as SVG: no charting
script, nothing inline but presentation attributes (the CSP allows no style attribute;
colours come from app.css by class).

One row per milestone: its title and due date in a label column, a mark at its due time on
the time axis (hollow: open, filled: met, a cross: missed), the understanding's start and
end as dashed lines and now as a solid one. Time runs in the page's direction: left to
right in English, right to left in Arabic and Hebrew, with the label column on the side
where reading starts. The SVG's own direction is ltr; each text says its own and is
anchored by its visual edge, so titles in any language stay inside their column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from markupsafe import Markup, escape

from fusioncell.understandings import kinds

WIDTH = 800
LABEL_W = 250
GAP = 16
ROW = 38
TOP = 14
AXIS_H = 40
MAX_LABEL = 40  # characters of a title shown; the full title is the mark's tooltip


@dataclass(frozen=True, slots=True)
class Texts:
    """The chart's own words in the page's language."""

    title: str
    start: str
    end: str
    now: str
    states: dict[str, str]


def _when(t: str) -> datetime:
    return datetime.fromisoformat(t.replace("Z", "+00:00"))


def _day(d: str) -> datetime:
    return datetime.combine(datetime.fromisoformat(d).date(), time(), UTC)


def _anchor(edge: str, text_dir: str) -> str:
    """text-anchor that puts a text's visual `edge` ("left"/"right") at its x."""
    if text_dir == "rtl":
        return "start" if edge == "right" else "end"
    return "end" if edge == "right" else "start"


def _text(
    x: float, y: float, body: str, *, edge: str, text_dir: str, cls: str, lang: str | None = None
) -> Markup:
    lang_attr = Markup(' lang="{}"').format(lang) if lang else Markup("")
    return Markup(
        '<text x="{}" y="{}" class="{}" direction="{}" text-anchor="{}"{}>{}</text>'
    ).format(round(x, 1), round(y, 1), cls, text_dir, _anchor(edge, text_dir), lang_attr, body)


@dataclass(frozen=True, slots=True)
class _Layout:
    x: Callable[[datetime], float]
    label_x: float
    label_edge: str
    axis_y: float
    page_dir: str
    texts: Texts
    fmt_date: Callable[[datetime], str]
    text_dir: Callable[[str], str]


def _row(lay: _Layout, i: int, m: dict[str, Any]) -> Markup:
    """One milestone: its title and date in the label column, its mark on the axis."""
    y = TOP + ROW * i + 12
    due = _when(m["due"])
    title = m["title"]
    short = title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1] + "…"
    state = m["state"]
    label = _text(
        lay.label_x,
        y,
        short,
        edge=lay.label_edge,
        text_dir=lay.text_dir(m["lang"]),
        cls="tl-label",
        lang=m["lang"],
    )
    when = _text(
        lay.label_x,
        y + 14,
        f"{lay.fmt_date(due)} · {lay.texts.states[state]}",
        edge=lay.label_edge,
        text_dir=lay.page_dir,
        cls="tl-date",
    )
    xx = lay.x(due)
    guide = Markup('<line class="tl-guide" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
        xx, y - 4, xx, lay.axis_y
    )
    tip = Markup("<title>{} · {} · {}</title>").format(
        title, lay.fmt_date(due), lay.texts.states[state]
    )
    if state == kinds.BREACHED_MS:
        mark = Markup(
            '<path class="tl-mark" d="M{a},{b} L{c},{d} M{a},{d} L{c},{b}">{t}</path>'
        ).format(a=xx - 6, b=y - 10, c=xx + 6, d=y + 2, t=tip)
    else:
        mark = Markup('<circle class="tl-mark" cx="{}" cy="{}" r="6">{}</circle>').format(
            xx, y - 4, tip
        )
    return Markup('<g class="tl-row tl-{}" data-milestone="{}">{}{}{}{}</g>').format(
        state, m["id"], label, when, guide, mark
    )


def render(
    milestones: list[dict[str, Any]],
    start: str | None,
    end: str | None,
    *,
    now: datetime,
    page_dir: str,
    texts: Texts,
    fmt_date: Callable[[datetime], str],
    text_dir: Callable[[str], str],
) -> Markup:
    """The timeline; empty when there is no milestone to draw."""
    if not milestones:
        return Markup("")
    times = [_when(m["due"]) for m in milestones] + [now]
    if start:
        times.append(_day(start))
    if end:
        times.append(_day(end) + timedelta(days=1))
    lo, hi = min(times), max(times)
    pad = timedelta(seconds=max((hi - lo).total_seconds(), 86400.0) * 0.04)
    lo, hi = lo - pad, hi + pad
    span = (hi - lo).total_seconds()
    rtl = page_dir == "rtl"
    # The label column where reading starts; the time area beside it.
    a0, a1 = (8.0, WIDTH - LABEL_W - GAP) if rtl else (LABEL_W + GAP, WIDTH - 8.0)

    def x(t: datetime) -> float:
        f = (t - lo).total_seconds() / span
        return round(a1 - f * (a1 - a0) if rtl else a0 + f * (a1 - a0), 1)

    height = TOP + ROW * len(milestones) + AXIS_H
    axis_y = TOP + ROW * len(milestones) + 6
    lay = _Layout(
        x,
        WIDTH - 4.0 if rtl else 4.0,
        "right" if rtl else "left",
        axis_y,
        page_dir,
        texts,
        fmt_date,
        text_dir,
    )
    parts: list[Markup] = [
        Markup('<title id="tl-title">{}</title>').format(texts.title),
        Markup('<line class="tl-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
            a0, axis_y, a1, axis_y
        ),
    ]
    ticks = [(_day(start), "tl-start", texts.start, 0)] if start else []
    ticks += [(_day(end), "tl-end", texts.end, 0)] if end else []
    ticks.append((now, "tl-now", texts.now, 1))
    for t, cls, word, row in ticks:
        xx = x(t)
        parts.append(
            Markup('<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
                cls, xx, TOP - 6, xx, axis_y + 4
            )
        )
        parts.append(
            Markup(
                '<text x="{}" y="{}" class="tl-tick" direction="{}" text-anchor="middle">{}</text>'
            ).format(xx, axis_y + 16 + 13 * row, page_dir, f"{word} {fmt_date(t)}")
        )
    parts.extend(_row(lay, i, m) for i, m in enumerate(milestones))
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="tl-chart" id="understanding-timeline"'
        ' direction="ltr" role="img" aria-labelledby="tl-title" viewBox="0 0 {w} {h}"'
        ' preserveAspectRatio="xMinYMin meet" data-dir="{d}">{body}</svg>'
    ).format(w=WIDTH, h=height, d=escape(page_dir), body=Markup("").join(parts))
