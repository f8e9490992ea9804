"""The situation report as a PDF, exactly as joint statements are exported
(fusioncell.statements.pdf): WeasyPrint over HTML, Arabic and Hebrew shaped by Pango in
Debian's Noto fonts, nothing fetched, and a 503 with a clear message where Pango is
missing. The body is the page's own report template; the charts are the same SVG."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fusioncell.cell import Cell
from fusioncell.sitrep.view import context
from fusioncell.statements.pdf import UNAVAILABLE, PdfUnavailable, available, render_pdf
from fusioncell.web.i18n import environment, gettext
from fusioncell.web.render import localized

__all__ = ["available", "check_available", "sitrep_pdf"]

TITLE = "Situation report"  # the page's own heading (sitrep.html), so translated there


@cache
def _template() -> str:
    # Next to this module, not among the pages' templates: it is never served as a page.
    return (resources.files("fusioncell.sitrep") / "pdf.html").read_text(encoding="utf-8")


def check_available() -> None:
    """Refuse early (503) where WeasyPrint cannot load, before any report is read."""
    if not available():
        raise PdfUnavailable(UNAVAILABLE)


def sitrep_pdf(cell: Cell, report: dict[str, Any], lang: str) -> bytes:
    """The report (fusioncell.sitrep.report.build) as a PDF with its texts in `lang`."""
    html = (
        environment(lang)
        .from_string(_template())
        .render(
            **context(cell, report, lang, pdf=True),
            title=gettext(lang, TITLE),
            cell_name=localized(cell.charter.mechanism.name, lang),
            # `moment` shows times in this zone: the reader's, in which the days were cut.
            reader_zone=report["period"]["zone"],
        )
    )
    return render_pdf(html)
