"""Projects the `intel.*` entries, checking each inside the append's transaction: what the
body's shape cannot tell (does the report exist, may this party see it, is it the
originator) is decided here, and a refused entry leaves nothing written."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.deadlines.api import MET, close_deadline, escalation_plan, open_deadline
from fusioncell.errors import N_, Conflict, Forbidden, Invalid, NotFound
from fusioncell.intel import kinds
from fusioncell.intel.tables import (
    intel_assessments,
    intel_releases,
    intel_reports,
    intel_rfis,
    intel_versions,
)
from fusioncell.ledger.entry import Entry
from fusioncell.messaging.kinds import Attachment
from fusioncell.messaging.projector import column, split
from fusioncell.messaging.tables import cell_attachments
from fusioncell.projector import CharterProjector

NO_REPORT = N_("no such report")
NO_RFI = N_("no such request for information")


RFI_KEY = "rfi:"  # + the request's id: its deadline's key


def rfi_key(rfi: str) -> str:
    return RFI_KEY + rfi


def sees_all(charter: Charter, party: str) -> bool:
    return any(p.code == party and p.sees_all for p in charter.parties)


def may_read(charter: Charter, party: str, parties: list[str]) -> bool:
    return party in parties or sees_all(charter, party)


def rfi_parties(charter: Charter, a: str, b: str) -> list[str]:
    """Who sees a request and its status: both parties and the supervisor."""
    sup = charter.supervisor
    return sorted({a, b} | ({sup.code} if sup is not None else set()))


class IntelProjector(CharterProjector):
    def project(self, conn: Connection, entry: Entry, body: dict[str, Any]) -> None:
        kind = entry.statement.kind
        if kind not in kinds.KINDS:
            return
        charter = self.charter(conn)
        parsed = kinds.parse_body(kind, body, charter)
        subj = entry.statement.subject
        if kind in kinds.RFI_KINDS:
            if subj != kinds.rfi_subject(parsed.rfi):
                raise Invalid(N_("subject must be rfi/<rfi> of the request in the body"))
            if kind == kinds.RFI_REQUESTED:
                self._request(conn, entry, parsed, charter)
            else:
                self._answer(conn, entry, parsed, charter)
            return
        if subj != kinds.report_subject(parsed.report):
            raise Invalid(N_("subject must be intel/<report> of the report in the body"))
        if kind == kinds.ISSUED:
            self._issue(conn, entry, parsed)
            return
        report = self._report(conn, entry, parsed.report, charter)
        if kind == kinds.CORRECTED:
            self._correct(conn, entry, parsed, report)
        elif kind == kinds.SUMMARY:
            self._tear_line(conn, entry, parsed, report)
        elif kind == kinds.WIDENED:
            self._widen(conn, entry, parsed, report)
        else:
            self._assess(conn, entry, parsed, report)
        conn.execute(
            update(intel_reports)
            .where(intel_reports.c.id == parsed.report)
            .values(last_idx=entry.index)
        )

    # ---- reports -----------------------------------------------------------------------

    @staticmethod
    def _report(conn: Connection, entry: Entry, report: str, charter: Charter) -> Any:
        """The report, when the author's party may read it in full (hidden and missing give
        the same answer)."""
        row = conn.execute(select(intel_reports).where(intel_reports.c.id == report)).first()
        if row is None or not may_read(
            charter, entry.statement.author.party, split(row.releasability)
        ):
            raise NotFound(NO_REPORT)
        return row

    @staticmethod
    def _same_visibility(entry: Entry, parties: list[str] | tuple[str, ...], what: str) -> None:
        if list(entry.statement.visibility) != list(parties):
            raise Invalid(N_("visibility must be exactly %(what)s"), what=what)

    @staticmethod
    def _originator(entry: Entry, report: Any, message: str) -> None:
        if entry.statement.author.party != report.party:
            raise Forbidden(message, party=report.party)

    @staticmethod
    def _check_files(conn: Connection, atts: tuple[Attachment, ...], party: str) -> None:
        """A file attached to a report is one its party uploaded, as described."""
        for a in atts:
            row = conn.execute(
                select(cell_attachments.c.size, cell_attachments.c.type).where(
                    cell_attachments.c.sha256 == a.sha256, cell_attachments.c.party == party
                )
            ).first()
            if row is None:
                raise NotFound(N_("no uploaded file with sha256 %(sha)s"), sha=a.sha256)
            if row.size != a.size or row.type != a.type:
                raise Invalid(
                    N_("attachment %(name)s: size or type differs from the upload"), name=a.name
                )

    @staticmethod
    def _version(conn: Connection, entry: Entry, c: kinds.Content, version: int) -> None:
        conn.execute(
            insert(intel_versions).values(
                idx=entry.index,
                report=c.report,
                version=version,
                member=entry.statement.author.member,
                time=entry.time,
                title=c.title,
                summary=c.summary,
                body=c.body,
                lang=c.lang,
                window_start=c.window[0],
                window_end=c.window[1],
                source=c.grading.source,
                info=c.grading.info,
                places=json.dumps(list(c.places), ensure_ascii=False),
                attachments=json.dumps([a.to_json() for a in c.attachments], ensure_ascii=False),
            )
        )

    def _issue(self, conn: Connection, entry: Entry, c: kinds.Content) -> None:
        st = entry.statement
        self._same_visibility(entry, c.releasability, "the report's releasability")
        if st.author.party not in c.releasability:
            raise Invalid(N_("a report is released to its own party"))
        if conn.execute(select(intel_reports.c.id).where(intel_reports.c.id == c.report)).first():
            raise Conflict(N_("a report with this id exists already"))
        self._check_files(conn, c.attachments, st.author.party)
        conn.execute(
            insert(intel_reports).values(
                id=c.report,
                party=st.author.party,
                member=st.author.member,
                issued_idx=entry.index,
                issued_at=entry.time,
                releasability=column(c.releasability),
                version=1,
                current_idx=entry.index,
                updated_at=entry.time,
                last_idx=entry.index,
            )
        )
        self._version(conn, entry, c, 1)
        self._release(conn, entry, c.report, "issued", c.releasability)

    @staticmethod
    def _release(
        conn: Connection, entry: Entry, report: str, what: str, parties: tuple[str, ...]
    ) -> None:
        conn.execute(
            insert(intel_releases).values(
                idx=entry.index,
                report=report,
                what=what,
                parties=column(parties),
                member=entry.statement.author.member,
                time=entry.time,
            )
        )

    def _correct(self, conn: Connection, entry: Entry, c: kinds.Content, report: Any) -> None:
        self._originator(
            entry,
            report,
            N_("only the originating party %(party)s corrects a report; assess it instead"),
        )
        self._same_visibility(entry, split(report.releasability), "the report's releasability")
        self._check_files(conn, c.attachments, entry.statement.author.party)
        version = int(report.version) + 1
        self._version(conn, entry, c, version)
        conn.execute(
            update(intel_reports)
            .where(intel_reports.c.id == c.report)
            .values(version=version, current_idx=entry.index, updated_at=entry.time)
        )

    def _tear_line(self, conn: Connection, entry: Entry, s: kinds.Summary, report: Any) -> None:
        self._originator(
            entry,
            report,
            N_("originator control: only the originating party %(party)s releases a summary"),
        )
        vis = list(entry.statement.visibility)
        full = set(split(report.releasability))
        if not full < set(vis):
            raise Invalid(
                N_("a tear-line summary is released more widely than the report it summarises")
            )
        if report.summary_vis is not None and not set(split(report.summary_vis)) <= set(vis):
            raise Invalid(N_("a summary once released stays released to the same parties"))
        conn.execute(
            update(intel_reports)
            .where(intel_reports.c.id == s.report)
            .values(
                summary_vis=column(vis),
                summary_idx=entry.index,
                summary_title=s.title,
                summary_text=s.text,
                summary_lang=s.lang,
            )
        )
        self._release(conn, entry, s.report, "summary", tuple(vis))

    def _widen(self, conn: Connection, entry: Entry, w: kinds.Widened, report: Any) -> None:
        # Originator control: a release is widened only by the originator's signed consent.
        self._originator(
            entry,
            report,
            N_("originator control: only the originating party %(party)s may widen the release"),
        )
        if not set(split(report.releasability)) < set(w.releasability):
            raise Invalid(
                N_("a release is only widened: name every party released to, and at least one more")
            )
        self._same_visibility(entry, w.releasability, "the new releasability")
        # The parties newly released to cannot read the earlier entries (their visibility is
        # fixed when written), so this entry carries the version they are given, and it must
        # be exactly the current one: what they verify in the log is what they are shown.
        if w.version != int(report.version):
            raise Conflict(
                N_("the release names version %(v)s; the report's current version is %(n)s"),
                v=w.version,
                n=int(report.version),
            )
        current = conn.execute(
            select(intel_versions).where(intel_versions.c.idx == report.current_idx)
        ).one()
        if self._content_of(current) != self._content_of(w.content):
            raise Invalid(N_("the widened content must be exactly the report's current version"))
        conn.execute(
            update(intel_reports)
            .where(intel_reports.c.id == w.report)
            .values(releasability=column(w.releasability))
        )
        self._release(conn, entry, w.report, "widened", w.releasability)

    @staticmethod
    def _content_of(v: Any) -> tuple[Any, ...]:
        """A version's text, from its row or from a parsed body, in one comparable form."""
        if isinstance(v, kinds.Content):
            return (
                v.title,
                v.summary,
                v.body,
                v.lang,
                v.window,
                (v.grading.source, v.grading.info),
                json.dumps(list(v.places), sort_keys=True),
                json.dumps([a.to_json() for a in v.attachments], sort_keys=True),
            )
        return (
            v.title,
            v.summary,
            v.body,
            v.lang,
            (v.window_start, v.window_end),
            (v.source, int(v.info)),
            json.dumps(json.loads(v.places), sort_keys=True),
            json.dumps(json.loads(v.attachments), sort_keys=True),
        )

    def _assess(self, conn: Connection, entry: Entry, a: kinds.Assessed, report: Any) -> None:
        st = entry.statement
        if st.author.party == report.party:
            raise Forbidden(N_("another party assesses a report; its originator corrects it"))
        self._same_visibility(entry, split(report.releasability), "the report's releasability")
        conn.execute(
            insert(intel_assessments).values(
                idx=entry.index,
                report=a.report,
                version=int(report.version),
                party=st.author.party,
                member=st.author.member,
                assessment=a.assessment,
                source=a.grading.source,
                info=a.grading.info,
                text=a.text,
                lang=a.lang,
                time=entry.time,
            )
        )

    # ---- requests for information --------------------------------------------------------

    def _request(
        self, conn: Connection, entry: Entry, r: kinds.RfiRequested, charter: Charter
    ) -> None:
        st = entry.statement
        if r.to == st.author.party:
            raise Invalid(N_("a request for information goes to another party"))
        parties = rfi_parties(charter, st.author.party, r.to)
        self._same_visibility(entry, parties, "the two parties and the supervisor")
        if conn.execute(select(intel_rfis.c.id).where(intel_rfis.c.id == r.rfi)).first():
            raise Conflict(N_("a request with this id exists already"))
        now = parse_rfc3339(entry.time)
        latest = now + timedelta(seconds=charter.clocks.rfi_answer.total_seconds())
        due = latest if r.due is None else r.due
        if due <= now:
            raise Invalid(N_("a request's deadline is in the future"))
        if due > latest:
            raise Invalid(
                N_("a request is answered within %(hours)s hours at most (the charter)"),
                hours=int(charter.clocks.rfi_answer.total_seconds() // 3600),
            )
        conn.execute(
            insert(intel_rfis).values(
                id=r.rfi,
                from_party=st.author.party,
                member=st.author.member,
                to_party=r.to,
                text=r.text,
                lang=r.lang,
                urgency=r.urgency,
                due=rfc3339(due),
                visibility=column(parties),
                requested_idx=entry.index,
                requested_at=entry.time,
            )
        )
        open_deadline(
            conn,
            key=rfi_key(r.rfi),
            kind=kinds.RFI_DEADLINE,
            subject=st.subject,
            refs={"rfi": r.rfi, "from": st.author.party, "urgency": r.urgency},
            party=r.to,
            visibility=parties,
            due=due,
            plan=escalation_plan(charter, charter.urgency(r.urgency), r.to, due),
            idx=entry.index,
        )

    def _answer(
        self, conn: Connection, entry: Entry, a: kinds.RfiAnswered, charter: Charter
    ) -> None:
        st = entry.statement
        rfi = conn.execute(select(intel_rfis).where(intel_rfis.c.id == a.rfi)).first()
        if rfi is None or not may_read(charter, st.author.party, split(rfi.visibility)):
            raise NotFound(NO_RFI)
        if st.author.party != rfi.to_party:
            raise Forbidden(N_("this request is addressed to %(party)s"), party=rfi.to_party)
        self._same_visibility(entry, split(rfi.visibility), "the request's parties")
        if rfi.answered_idx is not None:
            raise Conflict(N_("this request was answered already"))
        report = conn.execute(select(intel_reports).where(intel_reports.c.id == a.report)).first()
        if report is None or report.party != st.author.party:
            raise NotFound(N_("no report of your party with this id"))
        asker = rfi.from_party
        if not may_read(charter, asker, split(report.releasability)) and not (
            report.summary_vis is not None and asker in split(report.summary_vis)
        ):
            raise Invalid(
                N_("the report is not released to the requesting party %(party)s"), party=asker
            )
        conn.execute(
            update(intel_rfis)
            .where(intel_rfis.c.id == a.rfi)
            .values(
                answered_idx=entry.index,
                answered_at=entry.time,
                answered_member=st.author.member,
                report=a.report,
            )
        )
        close_deadline(conn, rfi_key(a.rfi), MET, entry.index)
