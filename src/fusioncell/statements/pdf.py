"""An adopted joint statement as a PDF: WeasyPrint over an HTML template
(statements/pdf.html), the texts in their languages, Arabic and Hebrew laid
out right to left and shaped by Pango, in Debian's Noto fonts named by family (the
package fonts-noto-core); the adoption time and every approval with its hash.

Nothing is fetched: the template carries its own style and names fonts installed on the
machine, and the fetcher given to WeasyPrint refuses every URL. WeasyPrint loads Pango
when imported; where it is missing the export answers 503 and the rest of the cell works.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.errors import N_, Conflict, DomainError
from fusioncell.statements import kinds, queries
from fusioncell.web.i18n import direction, environment
from fusioncell.web.render import localized


class PdfUnavailable(DomainError):
    status = 503
    code = "unavailable"


UNAVAILABLE = N_(
    "PDF export is not available on this server: WeasyPrint could not load Pango"
    " (install libpango-1.0-0, libpangoft2-1.0-0 and fonts-noto-core)"
)


@cache
def _weasyprint() -> Any:
    """The weasyprint module, or None where it cannot load (no Pango)."""
    try:
        # Imported here: it loads Pango, needed only when a PDF is asked for.
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError):
        return None
    return weasyprint


def available() -> bool:
    return _weasyprint() is not None


def _fetcher(wp: Any) -> Any:
    class NoNetwork(wp.urls.URLFetcher):  # type: ignore[misc]
        """Every resource is in the template itself: refuse any URL."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"fusioncell fetches nothing for a PDF: {url[:80]}")

    return NoNetwork()


@cache
def _template() -> str:
    # Next to this module, not among the pages' templates: it is never served as a page.
    return (resources.files("fusioncell.statements") / "pdf.html").read_text(encoding="utf-8")


def render_pdf(html: str) -> bytes:
    wp = _weasyprint()
    if wp is None:
        raise PdfUnavailable(UNAVAILABLE)
    pdf: bytes = wp.HTML(string=html, base_url="about:blank", url_fetcher=_fetcher(wp)).write_pdf()
    return pdf


def check_exportable(view: dict[str, Any]) -> None:
    if view["statement"]["state"] != kinds.ADOPTED:
        raise Conflict(N_("a draft is not exported: only an adopted statement is"))


def statement_pdf(cell: Cell, who: Principal, statement: str, lang: str) -> bytes:
    """The PDF of an adopted statement the member may see, headings in `lang`."""
    view = queries.statement_view(cell, who, statement)
    check_exportable(view)
    s = view["statement"]
    v = view["current"]
    charter = cell.charter
    rnd = next((r for r in charter.rounds if r.id == s["round"]), None)
    html = (
        environment(lang)
        .from_string(_template())
        .render(
            s=s,
            v=v,
            languages=view["languages"],
            approvals=[a for a in view["approvals"] if a["version"] == v["number"]],
            party_names={p.code: localized(p.name, lang) for p in charter.parties},
            cell_name=localized(charter.mechanism.name, lang),
            round_name=localized(rnd.place, lang) if rnd else None,
            text_dir=direction,
        )
    )
    return render_pdf(html)
