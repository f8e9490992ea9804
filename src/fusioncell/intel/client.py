"""Intelligence sharing from Python: everything the /intel pages do, signed on this device."""

from __future__ import annotations

import json
from typing import Any

from fusioncell.client import MemberClient, Receipt
from fusioncell.intel import kinds


class IntelClient(MemberClient):
    """A member's device and the cell's intelligence. Writes are signed statements
    (intel.kinds) whose visibility is the report's releasability; reads come from
    /api/v1/intel."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._sup: list[str] | None = None

    # ---- reading -------------------------------------------------------------------------

    def _api(self, path: str) -> Any:
        return self._ok(self.http.get(f"/api/v1/intel{path}", headers=self.headers)).json()

    def reports(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/reports")["reports"]
        return out

    def report(self, report: str) -> dict[str, Any]:
        out: dict[str, Any] = self._api(f"/reports/{report}")
        return out

    def body(self, report: str) -> dict[str, Any]:
        """Every version in full (the server records this opening)."""
        out: dict[str, Any] = self._api(f"/reports/{report}/body")
        return out

    def openings(self, report: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api(f"/reports/{report}/openings")["openings"]
        return out

    def stix(self, report: str) -> dict[str, Any]:
        r = self._ok(self.http.get(f"/api/v1/intel/reports/{report}/stix", headers=self.headers))
        out: dict[str, Any] = json.loads(r.text)
        return out

    def file(self, report: str, sha256: str) -> bytes:
        """A file attached to the report (the server records this opening)."""
        r = self.http.get(f"/api/v1/intel/reports/{report}/files/{sha256}", headers=self.headers)
        return self._ok(r).content

    def upload(self, data: bytes, name: str) -> dict[str, Any]:
        """Upload a file (the cell's upload); returns the attachment to name in a report."""
        r = self._ok(
            self.http.post(
                "/api/v1/cell/attachments", files={"file": (name, data)}, headers=self.headers
            )
        )
        got: dict[str, Any] = r.json()
        return {"sha256": got["sha256"], "name": name, "type": got["type"], "size": got["size"]}

    def rfis(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._api("/rfis")["rfis"]
        return out

    def rfi(self, rfi: str) -> dict[str, Any]:
        out: dict[str, Any] = self._api(f"/rfis/{rfi}")
        return out

    # ---- writing -------------------------------------------------------------------------

    def _on_report(self, kind: str, report: str, vis: list[str], body: dict[str, Any]) -> Receipt:
        return self.post(kind, kinds.report_subject(report), vis, {"report": report, **body})

    def _releasability(self, report: str) -> list[str]:
        out: list[str] = self.report(report)["releasability"]
        return out

    def issue(
        self,
        report: str,
        *,
        title: str,
        summary: str,
        body: str,
        lang: str,
        window: tuple[str, str],
        grading: str,
        releasability: list[str],
        places: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Receipt:
        """Issue a report released to `releasability` (sorted party codes, own included);
        grading is the Admiralty code, e.g. "B2"."""
        return self._on_report(
            kinds.ISSUED,
            report,
            releasability,
            self._content(title, summary, body, lang, window, grading, places, attachments)
            | {"releasability": releasability},
        )

    @staticmethod
    def _content(
        title: str,
        summary: str,
        body: str,
        lang: str,
        window: tuple[str, str],
        grading: str,
        places: list[dict[str, Any]] | None,
        attachments: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": title,
            "summary": summary,
            "body": body,
            "lang": lang,
            "window": {"start": window[0], "end": window[1]},
            "grading": grading_json(grading),
        }
        if places:
            out["places"] = places
        if attachments:
            out["attachments"] = attachments
        return out

    def correct(
        self,
        report: str,
        *,
        title: str,
        summary: str,
        body: str,
        lang: str,
        window: tuple[str, str],
        grading: str,
        places: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Receipt:
        """A new version of one's party's report (the earlier ones stay)."""
        return self._on_report(
            kinds.CORRECTED,
            report,
            self._releasability(report),
            self._content(title, summary, body, lang, window, grading, places, attachments),
        )

    def release_summary(
        self, report: str, *, title: str, text: str, lang: str, to: list[str]
    ) -> Receipt:
        """The tear line: a summary released to `to`, wider than the report."""
        return self._on_report(
            kinds.SUMMARY,
            report,
            to,
            {"title": title, "text": text, "lang": lang, "withheld": True},
        )

    def widen(self, report: str, releasability: list[str]) -> Receipt:
        """The originator's signed consent to release the full report more widely, carrying
        the current version so that the parties newly released to can verify it."""
        full = self.body(report)
        v = full["versions"][-1]
        content = {k: v[k] for k in ("title", "summary", "body", "lang", "window")}
        content["grading"] = {"source": v["grading"]["source"], "info": v["grading"]["info"]}
        for k in ("places", "attachments"):
            if v[k]:
                content[k] = v[k]
        return self._on_report(
            kinds.WIDENED,
            report,
            releasability,
            {"releasability": releasability, "version": full["version"], "content": content},
        )

    def assess(self, report: str, assessment: str, grading: str, text: str, lang: str) -> Receipt:
        return self._on_report(
            kinds.ASSESSED,
            report,
            self._releasability(report),
            {
                "assessment": assessment,
                "grading": grading_json(grading),
                "text": text,
                "lang": lang,
            },
        )

    def request(
        self,
        rfi: str,
        to: str,
        text: str,
        lang: str,
        *,
        urgency: str | None = None,
        due: str | None = None,
        visibility: list[str] | None = None,
    ) -> Receipt:
        """Ask party `to` for information. Visible to both parties and the supervisor."""
        body: dict[str, Any] = {"rfi": rfi, "to": to, "text": text, "lang": lang}
        if urgency is not None:
            body["urgency"] = urgency
        if due is not None:
            body["due"] = due
        vis = visibility or sorted({self.author.party, to, *self._supervisor()})
        return self.post(kinds.RFI_REQUESTED, kinds.rfi_subject(rfi), vis, body)

    def answer(self, rfi: str, report: str) -> Receipt:
        r = self.rfi(rfi)
        vis = sorted({r["from"], r["to"], *self._supervisor()})
        return self.post(
            kinds.RFI_ANSWERED, kinds.rfi_subject(rfi), vis, {"rfi": rfi, "report": report}
        )

    def _supervisor(self) -> list[str]:
        if self._sup is None:
            cell = self._ok(self.http.get("/api/v1/cell", headers=self.headers)).json()
            self._sup = [p["code"] for p in cell["parties"] if p.get("supervisor")]
        return self._sup


def grading_json(code: str) -> dict[str, Any]:
    """ "B2" -> {"source": "B", "info": 2}; a malformed code is passed on for the server to
    refuse (so that tests can send it)."""
    if len(code) == 2 and code[1].isdigit():
        return {"source": code[0], "info": int(code[1])}
    return {"source": code[:1], "info": code[1:]}
