"""What the report's template (web/templates/sitrep_report.html) needs beside the report:
names in the reader's language, the charts drawn from the report's chart data, and the
query string that asks for the same report again (the PDF and JSON links)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from fusioncell.cell import Cell
from fusioncell.disputes.kinds import STAGE_NAMES
from fusioncell.sitrep import charts
from fusioncell.sitrep.report import FULL
from fusioncell.understandings.kinds import MILESTONE_STATE_NAMES, STATUS_NAMES
from fusioncell.web.board_pages import duration
from fusioncell.web.i18n import direction
from fusioncell.web.render import localized


def query(report: Mapping[str, Any]) -> str:
    """from=&to=&party= for the report shown."""
    p = report["period"]
    return urlencode({"from": p["from"], "to": p["to"], "party": report["view"]})


def pick(texts: Mapping[str, str], lang: str, original: str | None) -> tuple[str, str]:
    """An understanding's text in the reader's language where it has one, else its own."""
    for code in (lang, original, "en"):
        if code and texts.get(code):
            return texts[code], code
    code, text = next(iter(texts.items()), ("en", ""))
    return text, code


def context(cell: Cell, report: Mapping[str, Any], lang: str, *, pdf: bool) -> dict[str, Any]:
    charter = cell.charter
    page_dir = direction(lang)
    party_names = {p.code: localized(p.name, lang) for p in charter.parties}
    category_names = {c.id: localized(c.name, lang) for c in charter.deescalation.categories}
    chart_data = report["charts"]

    def draw_incidents(title: str) -> Markup:
        return charts.incidents_by_day(
            chart_data["incidents_by_day"],
            title=title,
            page_dir=page_dir,
            tip=lambda day, cat, n: f"{day} · {category_names.get(cat, cat)} · {n}",
        )

    def draw_acknowledgement(title: str) -> Markup:
        # The PDF's SVG texts are drawn unshaped: there, parties go by their codes.
        return charts.time_to_acknowledge(
            chart_data["time_to_acknowledge"] or [],
            title=title,
            page_dir=page_dir,
            labels={} if pdf else party_names,
            label_dir="ltr" if pdf else page_dir,
            duration=duration,
        )

    def text_of(texts: Mapping[str, str], original: str | None) -> tuple[str, str]:
        return pick(texts, lang, original)

    return {
        "report": report,
        "pdf": pdf,
        "full_view": FULL,
        "party_names": party_names,
        "category_names": category_names,
        "type_names": {t.id: localized(t.name, lang) for t in charter.deescalation.activity_types},
        "stage_names": STAGE_NAMES,
        "status_names": STATUS_NAMES,
        "milestone_state_names": MILESTONE_STATE_NAMES,
        "colours": charts.colours(list(chart_data["incidents_by_day"]["categories"])),
        "draw_incidents": draw_incidents,
        "draw_acknowledgement": draw_acknowledgement,
        "duration": duration,
        "text_of": text_of,
        "report_query": query(report),
        "report_zone": report["period"]["zone"],
    }
