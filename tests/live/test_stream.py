"""The live stream with a real server and real WebSocket clients: arrival, backfill and
resume, visibility, heartbeats, refusals, and the Python client."""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from contextlib import ExitStack, aclosing
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from fusioncell.api.deps import SESSION_COOKIE, session_policy
from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.sessions import create_session
from fusioncell.identity.tokens import create_token, revoke_token
from fusioncell.live.client import StreamRefused, astream, stream
from tests.live.conftest import WAIT_S, Live, Proxy, append, close_code, entries_until_ready, recv
from tests.web.conftest import serving

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
ALL = ("IL", "SY", "US")


def test_live_arrival_has_the_shape_of_the_entries_api(live: Live, enroll: Any) -> None:
    sy = enroll("SY", "sy-liaison")
    # A stream without `after` starts where the hub is; let it learn of the key just
    # registered (its commit listener runs on the event loop, a moment later).
    hub = live.app.state.hub
    limit = time.monotonic() + WAIT_S
    while hub.size < live.cell.ledger.size() and time.monotonic() < limit:
        time.sleep(0.01)
    with live.connect(sy.token) as ws:
        ready = recv(ws)
        assert ready == {"type": "ready", "size": live.cell.ledger.size()}
        receipt = sy.client.post(
            "test.live.note", "hello", ["SY", "US"], {"text": "مرحبا", "lang": "ar"}
        )
        frame = recv(ws)
    assert frame["type"] == "entry"
    assert frame["index"] == receipt.index
    assert "salt" not in frame["body"]
    # exactly what /api/v1/entries answers for the same entry
    r = httpx.get(
        f"{live.url}/api/v1/entries?limit=1", headers={"Authorization": f"Bearer {sy.token}"}
    )
    (item,) = r.json()["entries"]
    assert {k: v for k, v in frame.items() if k != "type"} == item
    assert item["body"] == {"text": "مرحبا", "lang": "ar"}


def test_backfill_then_live_with_no_gap_or_repeat(live: Live) -> None:
    first = append(live.cell, [ALL] * 30)
    token = live.token("US", "us-duty", Role.DUTY_OFFICER)
    after = first[9].index
    with live.connect(token, after=after) as ws:
        got, size = entries_until_ready(ws)
        assert [f["index"] for f in got] == list(range(after + 1, size))
        more = append(live.cell, [ALL] * 5)
        live_frames = [recv(ws) for _ in more]
    assert [f["index"] for f in live_frames] == [a.index for a in more]
    assert live_frames[0]["index"] == size


def test_a_party_never_receives_what_it_may_not_read(live: Live) -> None:
    vis = [("SY", "US"), ("IL", "US"), ALL, ("SY",), ("US",), ("IL",)] * 5
    done = append(live.cell, vis)
    readable = {
        party: [a.index for a, v in zip(done, vis, strict=True) if party in v or party == "US"]
        for party in ALL
    }
    tokens = {p: live.token(p, f"{p.lower()}-reader") for p in ALL}
    for party in ALL:
        # backfill (from the database, and from the cache)...
        with live.connect(tokens[party], after=done[0].index - 1) as ws:
            got, _ = entries_until_ready(ws)
        assert [f["index"] for f in got] == readable[party], party
    # ...and live
    with ExitStack() as stack:
        sockets = {p: stack.enter_context(live.connect(tokens[p])) for p in ALL}
        for ws in sockets.values():
            assert recv(ws)["type"] == "ready"
        later = append(live.cell, vis)
        marker = append(live.cell, [ALL])[0].index  # every party's last frame
        for party, ws in sockets.items():
            got = []
            while not got or got[-1] != marker:
                got.append(recv(ws)["index"])
            want = [a.index for a, v in zip(later, vis, strict=True) if party in v or party == "US"]
            assert got == [*want, marker], party


# Heartbeats often, so that a reader waiting at the end reads one soon.
@pytest.mark.parametrize(
    "stream_settings", [{"stream_cache": 8, "stream_heartbeat": 0.1}], indirect=True
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_resume_from_random_disconnects_loses_and_repeats_nothing(live: Live, seed: int) -> None:
    """A writer appends while a reader disconnects at random points and resumes from the
    last index it saw; a small cache makes resumes cross from the database to the cache."""
    rnd = random.Random(seed)
    vis = [rnd.choice([("IL",), ("SY", "US"), ALL, ("IL", "US")]) for _ in range(120)]
    start = live.cell.ledger.size() - 1
    token = live.token("IL", "il-liaison")
    written: list[int] = []

    def writer() -> None:
        for i in range(0, len(vis), 8):
            written.extend(a.index for a in append(live.cell, vis[i : i + 8]))

    t = threading.Thread(target=writer)
    t.start()
    seen: list[int] = []
    last = start
    cutoffs = 0
    try:
        while True:
            with live.connect(token, after=last) as ws:
                for _ in range(rnd.randint(0, 12)):
                    f = recv(ws)
                    if f["type"] == "entry":
                        seen.append(f["index"])
                        last = f["index"]
                    elif f["type"] == "cutoff":
                        # behind by more than the cache: resume where the server says
                        assert f["resume"] >= last
                        last = f["resume"]
                        cutoffs += 1
                        break
            if not t.is_alive() and len(seen) >= sum("IL" in v for v in vis):
                break
    finally:
        t.join()
    want = [i for i, v in zip(written, vis, strict=True) if "IL" in v]
    assert seen == want


@pytest.mark.parametrize("stream_settings", [{"stream_heartbeat": 0.2}], indirect=True)
def test_heartbeats(live: Live) -> None:
    with live.connect(live.token("IL", "il-liaison")) as ws:
        ready = recv(ws)
        beats = [recv(ws) for _ in range(3)]
    for b in beats:
        assert b["type"] == "heartbeat"
        assert b["size"] == ready["size"]
        assert RFC3339.fullmatch(b["time"])


def test_refusals_close_with_44xx(live: Live) -> None:
    cell = live.cell
    witness = live.token("SY", "witness.sy.example/w1", Role.WITNESS)
    for token, code in [(None, 4401), ("fct_nope", 4401), (witness, 4403)]:
        with live.connect(token) as ws:
            got, reason = close_code(ws)
        assert got == code, (token, reason)
        assert reason
    good = live.token("IL", "il-liaison")
    for after in ["-1", "x", "1.5", "%2B1", "%201", "", str(cell.ledger.size())]:
        url = live.url.replace("http", "ws") + f"/api/v1/stream?after={after}"
        from websockets.sync.client import connect

        with connect(url, additional_headers={"Authorization": f"Bearer {good}"}) as ws:
            got, reason = close_code(ws)
        assert got == 4400, (after, reason)


def test_cookies_need_this_servers_origin(live: Live) -> None:
    cell = live.cell
    do_add_member(cell, "IL", "il-web", Role.LIAISON_OFFICER)
    token, _ = create_session(cell.engine, "il-web", cell.clock.now(), session_policy(cell))
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    own = live.url
    from websockets.sync.client import connect

    url = live.url.replace("http", "ws") + "/api/v1/stream"
    for origin, ok in [(own, True), ("http://evil.example", False), (None, False)]:
        kw: dict[str, Any] = {"origin": origin} if origin else {}
        with connect(url, additional_headers=cookie, **kw) as ws:
            if ok:
                assert recv(ws)["type"] == "ready"
            else:
                got, _ = close_code(ws)
                assert got == 4403, origin


def test_the_client_yields_each_entry_once_across_reconnections(live: Live, proxy: Proxy) -> None:
    """The connection dies twice under the client (while entries keep coming); it
    reconnects by itself from the last index it saw."""
    token = live.token("SY", "sy-liaison")
    pattern = [("SY",), ("IL",), ALL]
    first = append(live.cell, pattern * 4)
    start = first[0].index - 1
    got: list[int] = []
    later: list[Any] = []
    for frame in stream(proxy.url, token, after=start):
        got.append(frame["index"])
        if len(got) in (2, 10):  # the 10th came on the second connection
            proxy.drop()
            later += append(live.cell, pattern * 2)
        if len(got) == 8 + 8:  # two thirds of 12 + 2 * 6 entries are for SY
            break
    done = first + later
    want = [a.index for a, v in zip(done, pattern * (len(done) // 3), strict=True) if "SY" in v]
    assert got == want
    assert proxy.accepted == 3


def test_a_refused_client_raises(live: Live) -> None:
    with pytest.raises(StreamRefused) as err:
        next(stream(live.url, "fct_nope"))
    assert err.value.code == 4401
    with pytest.raises(StreamRefused) as err:
        next(stream(live.url, live.token("IL", "il-x"), after=10**9))
    assert err.value.code == 4400


def test_closing_is_clean(live: Live) -> None:
    with live.connect(live.token("IL", "il-liaison")) as ws:
        recv(ws)
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=WAIT_S)


def test_the_delivery_hook_hears_what_each_member_was_sent(live: Live) -> None:
    heard: list[tuple[str, list[int]]] = []
    lock = threading.Lock()

    def hook(who: Any, indexes: list[int]) -> None:
        with lock:
            heard.append((who.member, indexes))
        if who.member == "sy-liaison":
            raise RuntimeError("a broken hook is logged; the stream goes on")

    live.hub.on_delivered = hook
    vis = [("IL",), ("SY",), ALL] * 3
    old = append(live.cell, vis)
    tokens = {m: live.token(m[:2].upper(), m) for m in ("il-liaison", "sy-liaison")}
    sent: dict[str, list[int]] = {}
    with ExitStack() as stack:
        sockets = {
            m: stack.enter_context(live.connect(t, after=old[0].index - 1))
            for m, t in tokens.items()
        }
        for m, ws in sockets.items():
            got, _ = entries_until_ready(ws)  # backfill
            sent[m] = [f["index"] for f in got]
        new = append(live.cell, vis)  # live
        for m, ws in sockets.items():
            party = m[:2].upper()
            for a, v in zip(new, vis, strict=True):
                if party in v:
                    f = recv(ws)
                    assert f["index"] == a.index
                    sent[m].append(f["index"])
    deadline = time.monotonic() + WAIT_S
    while True:
        with lock:
            told = {m: [i for who, idx in heard if who == m for i in idx] for m in tokens}
        if told == sent or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert told == sent


@pytest.mark.parametrize("stream_settings", [{"stream_heartbeat": 0.1}], indirect=True)
def test_a_revoked_token_ends_the_stream(live: Live) -> None:
    tid, token = create_token(live.cell.engine, "IL", "il-x", Role.AUDITOR, live.cell.clock.now())
    with live.connect(token) as ws:
        assert recv(ws)["type"] == "ready"
        assert recv(ws)["type"] == "heartbeat"
        revoke_token(live.cell.engine, tid, live.cell.clock.now())
        code, _ = close_code(ws)
    assert code == 4401


def test_an_app_served_again_streams_again(cell: Cell) -> None:
    """The hub stops with the app's lifespan and starts again with the next one."""
    app = create_app(cell)
    for _ in range(2):
        with serving(app) as url:
            live = Live(url, app, cell)
            with live.connect(live.token("IL", "il-liaison")) as ws:
                assert recv(ws)["type"] == "ready"
                (a,) = append(cell, [("IL",)])
                assert recv(ws)["index"] == a.index


def test_the_asyncio_client(live: Live) -> None:
    token = live.token("IL", "il-liaison")
    done = append(live.cell, [("IL",), ("SY",)] * 3)

    async def take(n: int) -> list[int]:
        got = []
        async with aclosing(astream(live.url, token, after=done[0].index - 1)) as frames:
            async for frame in frames:
                got.append(frame["index"])
                if len(got) == n:
                    break
        return got

    assert asyncio.run(take(3)) == [a.index for a in done[::2]]
