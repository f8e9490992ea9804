"""Authorization fuzz: whatever members write, no member ever reads what it may not.

Hypothesis draws sequences of writes by random members of IL, SY and US (every role, the
auditors included, whose writes are refused) with random visibilities (always holding the
writer's party), through the real clients: log notes (MemberClient), threads, messages
and edits (CellClient), intelligence reports, corrections, tear lines, widenings,
assessments and requests for information (IntelClient). The server accepts some and
refuses others; the test records which.

What each party may read is derived here from what was written, not from the code under
test: every text written carries a fresh token (`fz` and ten hex digits), item ids are
tokens too, and a token may be read by a party when the party is named in the visibility
of an accepted entry that carries it, or sees everything under the charter (its TOML,
read with tomllib: the supervisor in Paris, docs/log.md "Who may read"). A refused write's
tokens may be read by nobody.

Then every member reads every read path: /log/v1/entries (entry and body null exactly
where the party may not read), /api/v1/entries, the JSON lists and items of the cell and
of intelligence, notifications, citable entries and translations by index, search
(/api/v1/search: a token the party may not read is neither found nor counted), and the
pages (home, inbox, thread, message, intelligence list and report, search). Everything
they answer is scanned for tokens the party may not read. A hidden item answers exactly
what a missing one does (status and body, with the id replaced), in the API and the pages;
a readable one answers 200 with its text.

FUSIONCELL_AUTHZ_EXAMPLES (default 10) is the number of write sequences (docs/reliability.md).
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import ClientError, MemberClient
from fusioncell.clock import rfc3339
from fusioncell.intel.client import IntelClient
from fusioncell.messaging.client import CellClient

EXAMPLES = int(os.environ.get("FUSIONCELL_AUTHZ_EXAMPLES", "10"))
PARTIES = ("IL", "SY", "US")
# Who sees everything: read from the charter file itself, as a party's auditor would.
SEES_ALL = frozenset(
    p["code"] for p in tomllib.loads(paris_charter_text())["parties"] if p.get("sees_all")
)
ROSTER: list[tuple[str, Role]] = [
    ("IL", Role.LIAISON_OFFICER),
    ("IL", Role.PARTY_ADMIN),
    ("IL", Role.AUDITOR),
    ("SY", Role.LIAISON_OFFICER),
    ("SY", Role.HEAD_OF_DELEGATION),
    ("SY", Role.AUDITOR),
    ("US", Role.SUPERVISOR),
    ("US", Role.DUTY_OFFICER),
    ("US", Role.AUDITOR),
]
TOKEN = re.compile(r"fz[0-9a-f]{10}")
URGENCIES = ("ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH")


def token() -> str:
    return "fz" + secrets.token_hex(5)


def _without(text: str, item: str) -> str:
    """The answer with the item's id (a whole word: an index is a number) taken out."""
    return re.sub(rf"\b{re.escape(item)}\b", "ID", text)


def may_read(party: str, visibility: Iterable[str]) -> bool:
    return party in visibility or party in SEES_ALL


@dataclass
class Member:
    party: str
    name: str
    token: str
    log: MemberClient
    cell: CellClient
    intel: IntelClient


@dataclass
class Thread:
    id: str
    parties: frozenset[str]
    topic: str
    messages: dict[int, str] = field(default_factory=dict)  # index -> latest text token


@dataclass
class Report:
    id: str
    party: str
    full: frozenset[str]  # releasability: who reads it in full
    summary: frozenset[str] = frozenset()  # the tear line's parties, if any
    title: str = ""  # the current version's tokens
    summary_text: str = ""
    body: str = ""
    tear_title: str = ""


@dataclass
class Model:
    """What was written, as the writers know it: the expected matrix."""

    readers: dict[str, set[str]] = field(default_factory=dict)  # token -> parties
    indexed: set[str] = field(default_factory=set)  # tokens search must find
    entries: dict[int, frozenset[str]] = field(default_factory=dict)  # index -> visibility
    threads: list[Thread] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    rfis: dict[str, frozenset[str]] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)  # write kind -> count
    refused: int = 0
    touched: set[str] = field(default_factory=set)  # items written to since the last reads

    def carried(
        self, index: int, visibility: Iterable[str], *tokens: str, indexed: bool = True
    ) -> None:
        """Entry `index`, visible to `visibility`, was accepted and carries `tokens`."""
        vis = frozenset(visibility)
        self.entries[index] = vis
        for t in tokens:
            self.readers.setdefault(t, set()).update(vis | SEES_ALL)
            if indexed:
                self.indexed.add(t)

    def refuse(self, *tokens: str) -> None:
        self.refused += 1
        for t in tokens:
            self.readers.setdefault(t, set())

    def allowed(self, party: str, tok: str) -> bool:
        return party in self.readers.get(tok, set())


def _pick(items: list[Any], ref: int) -> Any:
    return items[ref % len(items)] if items else None


def _vis(writer: Member, extra: frozenset[str]) -> list[str]:
    return sorted(extra | {writer.party})


class Writer:
    """Applies one drawn write through the real clients and records what it did."""

    def __init__(self, model: Model, members: list[Member], now: datetime) -> None:
        self.m = model
        self.members = members
        self.window = (rfc3339(now - timedelta(hours=6)), rfc3339(now - timedelta(hours=1)))

    def apply(self, op: tuple[Any, ...]) -> None:
        kind, who, *args = op
        before = len(self.m.entries)
        getattr(self, kind)(who, *args)
        if len(self.m.entries) > before:
            self.m.accepted[kind] = self.m.accepted.get(kind, 0) + 1

    def _as(self, who: int, party: str) -> Member:
        """Member `who`, or for OWNER the first member of `party` (the item's own, which
        may write to it: random members mostly may not)."""
        if who != OWNER:
            return self.members[who]
        return next(m for m in self.members if m.party == party)

    def _try(self, call: Callable[[], Any], *tokens: str) -> Any:
        try:
            return call()
        except ClientError as exc:
            if not 400 <= exc.status < 500:
                raise  # a refusal is a 4xx; anything else is a failure of its own
            self.m.refuse(*tokens)
            return None

    def note(self, who: int, extra: frozenset[str]) -> None:
        w = self.members[who]
        vis, t = _vis(w, extra), token()
        r = self._try(lambda: w.log.post("fuzz.note", f"fuzz/{t}", vis, {"text": t}), t)
        if r is not None:
            self.m.carried(r.index, vis, t, indexed=False)

    def thread(self, who: int, extra: frozenset[str], ws: str) -> None:
        w = self.members[who]
        vis, tid, topic = _vis(w, extra), token(), token()
        got = self._try(
            lambda: w.cell.open_thread(ws, f"on {topic}", "en", vis, thread=tid), tid, topic
        )
        if got is not None:
            self.m.carried(got[1].index, vis, topic)
            self.m.carried(got[1].index, vis, tid, indexed=False)
            self.m.threads.append(Thread(tid, frozenset(vis), topic))
            self.m.touched.add(tid)

    def post(self, who: int, ref: int, urgency: str) -> None:
        th: Thread | None = _pick(self.m.threads, ref)
        t = token()
        if th is None:
            return
        w = self._as(who, sorted(th.parties)[0])
        r = self._try(lambda: w.cell.send(th.id, f"says {t}", "en", urgency), t)
        if r is not None:
            self.m.carried(r.index, th.parties, t)
            th.messages[r.index] = t
            self.m.touched.add(th.id)

    def edit(self, who: int, ref: int) -> None:
        th: Thread | None = _pick([t for t in self.m.threads if t.messages], ref)
        if th is None:
            return
        w = self._as(who, sorted(th.parties)[0])
        msg, t = _pick(sorted(th.messages), ref), token()
        r = self._try(lambda: w.cell.edit(th.id, msg, f"now {t}", "en"), t)
        if r is not None:
            self.m.carried(r.index, th.parties, t)
            th.messages[msg] = t
            self.m.touched.add(th.id)

    def issue(self, who: int, extra: frozenset[str]) -> None:
        w = self.members[who]
        vis, rid, title, summary, body = _vis(w, extra), token(), token(), token(), token()
        r = self._try(
            lambda: w.intel.issue(
                rid,
                title=f"title {title}",
                summary=f"summary {summary}",
                body=f"body {body}",
                lang="en",
                window=self.window,
                grading="B2",
                releasability=vis,
            ),
            rid,
            title,
            summary,
            body,
        )
        if r is not None:
            self.m.carried(r.index, vis, title, summary, body)
            self.m.carried(r.index, vis, rid, indexed=False)
            self.m.reports.append(
                Report(rid, w.party, frozenset(vis), title=title, summary_text=summary, body=body)
            )
            self.m.touched.add(rid)

    def correct(self, who: int, ref: int) -> None:
        rep: Report | None = _pick(self.m.reports, ref)
        if rep is None:
            return
        w = self._as(who, rep.party)
        title, summary, body = token(), token(), token()
        r = self._try(
            lambda: w.intel.correct(
                rep.id,
                title=f"title {title}",
                summary=f"summary {summary}",
                body=f"body {body}",
                lang="en",
                window=self.window,
                grading="C3",
            ),
            title,
            summary,
            body,
        )
        if r is not None:
            self.m.carried(r.index, rep.full, title, summary, body)
            rep.title, rep.summary_text, rep.body = title, summary, body
            self.m.touched.add(rep.id)

    def tearline(self, who: int, ref: int, extra: frozenset[str]) -> None:
        rep: Report | None = _pick(self.m.reports, ref)
        if rep is None:
            return
        w = self._as(who, rep.party)
        # Wider than the report, or not: `extra` may add no one (refused).
        vis, title, text = sorted(rep.full | extra | {w.party}), token(), token()
        r = self._try(
            lambda: w.intel.release_summary(
                rep.id, title=f"tear {title}", text=f"tear {text}", lang="en", to=vis
            ),
            title,
            text,
        )
        if r is not None:
            self.m.carried(r.index, vis, title, text)
            self.m.carried(r.index, vis, rep.id, indexed=False)
            rep.summary, rep.tear_title = frozenset(vis), title
            self.m.touched.add(rep.id)

    def widen(self, who: int, ref: int, extra: frozenset[str]) -> None:
        rep: Report | None = _pick(self.m.reports, ref)
        if rep is None:
            return
        w = self._as(who, rep.party)
        vis = sorted(rep.full | extra | {w.party})
        r = self._try(lambda: w.intel.widen(rep.id, vis))
        if r is not None:
            # The widening carries the current version's texts (docs/intelligence.md).
            self.m.carried(r.index, vis, rep.title, rep.summary_text, rep.body)
            self.m.carried(r.index, vis, rep.id, indexed=False)
            rep.full = frozenset(vis)
            self.m.touched.add(rep.id)

    def assess(self, who: int, ref: int, verdict: str) -> None:
        rep: Report | None = _pick(self.m.reports, ref)
        if rep is None:
            return
        w = self._as(who, rep.party)
        t = token()
        r = self._try(lambda: w.intel.assess(rep.id, verdict, "B3", f"assessed {t}", "en"), t)
        if r is not None:
            self.m.carried(r.index, rep.full, t)
            self.m.touched.add(rep.id)

    def rfi(self, who: int, to: str, extra: frozenset[str]) -> None:
        w = self.members[who]
        vis, rid, t = _vis(w, extra), token(), token()
        r = self._try(lambda: w.intel.request(rid, to, f"asks {t}", "en", visibility=vis), rid, t)
        if r is not None:
            self.m.carried(r.index, vis, t)
            self.m.carried(r.index, vis, rid, indexed=False)
            self.m.rfis[rid] = frozenset(vis)
            self.m.touched.add(rid)


OWNER = -1  # a write by the item's own party (ROSTER order: its liaison officer)

# First, a sequence in which every kind of write is accepted (and an auditor refused): the
# random ones that follow refer to its items too. Members by their place in ROSTER.
IL_LIAISON, IL_ADMIN, IL_AUDITOR, SY_LIAISON, US_SUPERVISOR = 0, 1, 2, 3, 6
SCRIPTED: list[tuple[Any, ...]] = [
    ("thread", IL_LIAISON, frozenset({"US"}), "general"),
    ("post", IL_LIAISON, 0, "FLASH"),
    ("edit", IL_LIAISON, 0),
    ("note", SY_LIAISON, frozenset()),
    ("note", IL_AUDITOR, frozenset({"SY"})),
    ("issue", IL_LIAISON, frozenset({"US"})),
    ("assess", US_SUPERVISOR, 0, "corroborated"),
    ("correct", IL_ADMIN, 0),
    ("tearline", IL_LIAISON, 0, frozenset({"SY", "US"})),
    ("widen", IL_LIAISON, 0, frozenset({"SY"})),
    ("rfi", SY_LIAISON, "IL", frozenset({"IL", "US"})),
]


def writes() -> st.SearchStrategy[list[tuple[Any, ...]]]:
    # Mostly members who may write; an auditor now and then (refused).
    writers = [i for i, (_, role) in enumerate(ROSTER) if role is not Role.AUDITOR]
    who = st.sampled_from(writers * 3 + [i for i in range(len(ROSTER)) if i not in writers])
    extra = st.frozensets(st.sampled_from(PARTIES), min_size=1)
    ref = st.integers(0, 1 << 10)
    # On an existing item: a random member (mostly refused), or one of its own party.
    own = st.one_of(who, st.just(OWNER))
    one = st.one_of(
        st.tuples(st.just("note"), who, extra),
        st.tuples(st.just("thread"), who, extra, st.sampled_from(["general", "intelligence"])),
        st.tuples(st.just("post"), own, ref, st.sampled_from(URGENCIES)),
        st.tuples(st.just("edit"), own, ref),
        st.tuples(st.just("issue"), who, extra),
        st.tuples(st.just("correct"), own, ref),
        st.tuples(st.just("tearline"), own, ref, extra),
        st.tuples(st.just("widen"), own, ref, extra),
        st.tuples(st.just("assess"), who, ref, st.sampled_from(["corroborated", "disputed"])),
        st.tuples(st.just("rfi"), who, st.sampled_from(PARTIES), extra),
    )
    return st.lists(one, min_size=4, max_size=12)


class Reader:
    """One member reading everything; every answer goes through `scan`."""

    def __init__(self, http: TestClient, model: Model, member: Member) -> None:
        self.http = http
        self.m = model
        self.me = member
        self.party = member.party
        self.headers = {"Authorization": f"Bearer {member.token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None, headers=self.headers)

    def scan(self, where: str, text: str, *, besides: Iterable[str] = ()) -> set[str]:
        """Fail on any token this party may not read; return the tokens seen."""
        seen = set(TOKEN.findall(text)) & self.m.readers.keys()
        leaked = {t for t in seen - set(besides) if not self.m.allowed(self.party, t)}
        assert not leaked, f"{self.me.name} ({self.party}) reads {sorted(leaked)} in {where}"
        return seen

    def read(self, where: str, status: int = 200, **params: Any) -> httpx.Response:
        r = self.get(where, **params)
        assert r.status_code == status, f"{self.me.name}: {where} {r.status_code} {r.text[:300]}"
        self.scan(where, r.text)
        return r

    def same_as_missing(self, hidden: str, missing: str, path: str, **params: str) -> None:
        """A hidden item answers what a missing one does: status and body, id aside."""

        def ask(x: str) -> httpx.Response:
            return self.get(path.format(id=x), **{k: v.format(id=x) for k, v in params.items()})

        a, b = ask(hidden), ask(missing)
        where = f"{self.me.name} ({self.party}) GET {path}"
        assert a.status_code == b.status_code and a.status_code in (404, 400), (
            f"{where}: hidden {a.status_code}, missing {b.status_code}: {a.text[:300]}"
        )
        assert a.headers.get("content-type") == b.headers.get("content-type"), where
        assert _without(a.text, hidden) == _without(b.text, missing), (
            f"{where}: hidden and missing differ:\n{a.text[:500]}\n---\n{b.text[:500]}"
        )

    # ---- the read paths ------------------------------------------------------------

    def log(self) -> None:
        size = len(self.m.entries) and max(self.m.entries) + 1
        for start in range(0, size, 1000):
            end = min(size, start + 1000)
            rows = self.read("/log/v1/entries", start=start, end=end).json()["entries"]
            for row in rows:
                vis = self.m.entries.get(row["index"])
                if vis is None:
                    continue
                shown = row["entry"] is not None
                assert shown == may_read(self.party, vis), (
                    f"{self.me.name} ({self.party}): entry {row['index']} visible to "
                    f"{sorted(vis)} is {'shown' if shown else 'hidden'}"
                )
                assert (row["body"] is not None) == shown
        before: int | None = None
        while True:
            params: dict[str, Any] = {"limit": 200} | ({"before": before} if before else {})
            page = self.read("/api/v1/entries", **params).json()
            for e in page["entries"]:
                vis = self.m.entries.get(e["index"])
                assert vis is None or may_read(self.party, vis), (
                    f"{self.me.name}: /api/v1/entries lists hidden entry {e['index']}"
                )
            before = page["next_before"]
            if before is None:
                break

    def lists(self) -> None:
        for path in (
            "/api/v1/cell/threads",
            "/api/v1/cell/owed",
            "/api/v1/intel/reports",
            "/api/v1/intel/rfis",
            "/api/v1/notifications",
            "/",
            "/cell",
            "/intel",
        ):
            self.read(path)

    def threads(self, threads: list[Thread]) -> None:
        missing = token()
        for th in threads:
            if may_read(self.party, th.parties):
                seen = self.scan("thread", self.read(f"/api/v1/cell/threads/{th.id}").text)
                assert th.topic in seen
                self.read(f"/cell/t/{th.id}")
                for index, text in th.messages.items():
                    r = self.read(f"/api/v1/cell/threads/{th.id}/messages/{index}")
                    assert text in r.text
                    self.read(f"/cell/t/{th.id}/m/{index}")
                    self.read("/api/v1/translations", entry=index, field="text", to="ar")
                continue
            self.same_as_missing(th.id, missing, "/api/v1/cell/threads/{id}")
            self.same_as_missing(th.id, missing, "/cell/t/{id}")
            for index in th.messages:
                self.same_as_missing(
                    th.id, missing, "/api/v1/cell/threads/{id}/messages/" + str(index)
                )
                self.same_as_missing(th.id, missing, "/cell/t/{id}/m/" + str(index))

    def reports(self, reports: list[Report]) -> None:
        missing = token()
        for rep in reports:
            base = "/api/v1/intel/reports/{id}"
            if may_read(self.party, rep.full):
                r = self.read(f"/api/v1/intel/reports/{rep.id}")
                assert rep.title in r.text
                assert rep.body in self.read(f"/api/v1/intel/reports/{rep.id}/body").text
                self.read(f"/api/v1/intel/reports/{rep.id}/stix")
                self.read(f"/intel/r/{rep.id}")
                self.read(
                    f"/api/v1/intel/reports/{rep.id}/openings",
                    status=200 if self.party == rep.party else 403,
                )
            elif may_read(self.party, rep.summary):
                assert rep.tear_title in self.read(f"/api/v1/intel/reports/{rep.id}").text
                self.read(f"/intel/r/{rep.id}")
                self.read(f"/api/v1/intel/reports/{rep.id}/body", status=403)
            else:
                for path in (base, base + "/body", base + "/openings", base + "/stix"):
                    self.same_as_missing(rep.id, missing, path)
                self.same_as_missing(rep.id, missing, "/intel/r/{id}")

    def rfis(self, rfis: Iterable[str]) -> None:
        missing = token()
        for rid in rfis:
            if may_read(self.party, self.m.rfis[rid]):
                self.read(f"/api/v1/intel/rfis/{rid}")
            else:
                self.same_as_missing(rid, missing, "/api/v1/intel/rfis/{id}")

    def entries(self, indices: Iterable[int], size: int) -> None:
        """Entries by index: a hidden one is the same 404 as one past the log's end."""
        for i in indices:
            if may_read(self.party, self.m.entries[i]):
                continue
            gone = size + 1000 + i
            self.same_as_missing(str(i), str(gone), "/api/v1/disputes/citable/{id}")
            self.same_as_missing(
                str(i), str(gone), "/api/v1/translations", entry="{id}", field="text", to="ar"
            )

    def search(self, tokens: Iterable[str]) -> None:
        missing = token()
        for t in tokens:
            found = self.get("/api/v1/search", q=t).json()
            self.scan("search", str(found["results"]), besides=[t])
            if self.m.allowed(self.party, t):
                if t not in self.m.indexed:
                    continue  # an id, or a note's text: not a text search indexes
                assert found["total"] >= 1 and found["results"], f"{self.me.name}: {t} not found"
                continue
            assert found["total"] == 0 and not found["results"], (
                f"{self.me.name} ({self.party}) finds {t}: {found}"
            )
            a, b = self.get("/search", q=t), self.get("/search", q=missing)
            assert a.status_code == b.status_code == 200
            assert a.text.replace(t, "ID") == b.text.replace(missing, "ID"), (
                f"{self.me.name}: the search page for a hidden word differs from a missing one"
            )


def test_no_member_reads_what_it_may_not(cell: Cell, http: TestClient, enroll: Any) -> None:
    members = []
    for party, role in ROSTER:
        a = enroll(party, f"{party.lower()}-{role.value.replace('_', '-')}", role)
        kw = {"token": a.token, "key": a.key, "party": party, "member": a.member, "http": http}
        members.append(
            Member(party, a.member, a.token, a.client, CellClient(**kw), IntelClient(**kw))
        )
    # The pre-sign-in CSRF cookie, fixed, so that two renderings of a page can be compared.
    http.cookies.set("fc_pre", "authz-fuzz")
    model = Model()
    writer = Writer(model, members, cell.clock.now())
    n = [0]
    http.event_hooks["request"].append(lambda r: n.__setitem__(0, n[0] + 1))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(ops=writes())
    @example(ops=SCRIPTED)
    def sequence(ops: list[tuple[Any, ...]]) -> None:
        entries_before, tokens_before = set(model.entries), set(model.readers)
        for op in ops:
            writer.apply(op)
        touched, model.touched = model.touched, set()
        size = cell.ledger.size()
        for member in members:
            r = Reader(http, model, member)
            r.log()
            r.lists()
            r.threads([t for t in model.threads if t.id in touched])
            r.reports([p for p in model.reports if p.id in touched])
            r.rfis([i for i in model.rfis if i in touched])
            r.entries(sorted(set(model.entries) - entries_before), size)
            r.search(sorted(set(model.readers) - tokens_before))

    sequence()
    # Not vacuous: every kind of write was accepted at least once, and some were refused.
    kinds = ("note", "thread", "post", "edit", "issue", "correct", "tearline", "widen")
    print("REQUESTS", n[0], "WRITES", sum(model.accepted.values()), model.refused, model.accepted)
    missing = [k for k in (*kinds, "assess", "rfi") if not model.accepted.get(k)]
    assert not missing, f"never accepted: {missing}"
    assert model.refused, "no write was refused"
