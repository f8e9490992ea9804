"""Four `fusioncell serve` processes on one PostgreSQL database behind nginx, as
docs/deploy.md sets them up: requests are spread over the four by round robin, and

- every live stream, whichever process it is connected to, gets every entry it may read,
  once and in order, whichever process appended it;
- the deadline engine acts in one process only: one missed deadline and one escalation
  entry per step, never one per process;
- the outbox sends each notification once: each mail and webhook arrives once, by
  delivery id and by raw count;
- the client address behind the proxy is the one nginx saw, not a forged header.

Real time, real processes, Debian's nginx (scripts/test installs it; a laptop without it
skips, CI never does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.harness import FUSIONCELL, ROOT, Server, until
from sqlalchemy import func, select

from fusioncell.authz import Role
from fusioncell.cell import open_cell
from fusioncell.db import make_engine, reading
from fusioncell.identity.tables import signin_attempts
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.tables import log_entries
from fusioncell.live.client import stream
from fusioncell.messaging.client import CellClient
from fusioncell.settings import Settings
from tests.notify.conftest import Mailbox, Receiver, free_port
from tests.notify.helpers import (
    CHARTER,
    deadline_done,
    outbox,
    server_env,
    setup_members,
)

pytestmark = pytest.mark.slow
WORKERS = 4
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The configuration of docs/deploy.md, with the test's ports and paths.
NGINX_CONF = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
  log_format upstreamed '$request_method $uri $status $upstream_addr';
  access_log {dir}/access.log upstreamed;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream fusioncell {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 2m;
    location / {{
      proxy_pass http://fusioncell;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }}
  }}
}}
"""


@pytest.fixture
def nginx_bin() -> str:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing (apt-get install nginx-light)")
        pytest.skip("nginx is missing (apt-get install nginx-light)")
    return NGINX


class Nginx:
    def __init__(self, binary: str, where: Path, upstreams: list[int]) -> None:
        self.dir = where
        self.port = free_port()
        where.mkdir()
        conf = NGINX_CONF.format(
            dir=where,
            port=self.port,
            # As root nginx's workers run as "nobody", who may not write the test's files.
            user="user root;" if os.geteuid() == 0 else "",
            servers="\n".join(f"    server 127.0.0.1:{p};" for p in upstreams),
        )
        (where / "nginx.conf").write_text(conf, encoding="utf-8")
        with (where / "nginx.out").open("wb") as out:
            self.proc = subprocess.Popen(
                [binary, "-p", str(where), "-c", str(where / "nginx.conf")],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.dir / 'nginx.out').read_text()}")
        return _answers(self.url + "/log/v1/key")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def upstreams_of(self, method: str, prefix: str) -> Counter[str]:
        """Which server answered each such request, from nginx's access log."""
        seen: Counter[str] = Counter()
        for line in (self.dir / "access.log").read_text().splitlines():
            m, uri, _, upstream = line.split(" ", 3)
            if m == method and uri.startswith(prefix):
                seen[upstream] += 1
        return seen

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Listener:
    """A live stream in a thread of its own, collecting what arrives."""

    def __init__(self, url: str, token: str, after: int) -> None:
        self.entries: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(url, token, after), daemon=True)
        self.thread.start()

    def _run(self, url: str, token: str, after: int) -> None:
        try:
            for e in stream(url, token, after=after, reconnect=False):
                self.entries.append(e)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def indexes(self) -> list[int]:
        return [int(e["index"]) for e in self.entries]


@pytest.fixture
def servers(tmp_path: Path, db_url: str, smtp: tuple[Mailbox, int]) -> Iterator[list[Server]]:
    env = server_env(db_url, smtp[1], "workers.example")
    data = tmp_path / "cell"
    made = [Server(data, env, tmp_path / f"server-{n}.log") for n in range(WORKERS)]
    try:
        yield made
    finally:
        for s in made:
            s.stop()


def _attempts(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            return sorted(conn.execute(select(signin_attempts.c.key)).scalars())
    finally:
        engine.dispose()


def _count(db_url: str, kind: str) -> int:
    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            q = select(func.count()).select_from(log_entries).where(log_entries.c.kind == kind)
            return int(conn.execute(q).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_four_processes_behind_nginx(
    tmp_path: Path,
    db_url: str,
    servers: list[Server],
    smtp: tuple[Mailbox, int],
    hooks: Receiver,
    nginx_bin: str,
) -> None:
    box, _ = smtp
    data = servers[0].data
    charter = tmp_path / "charter.toml"
    charter.write_text(CHARTER, encoding="utf-8")
    subprocess.run(
        [*FUSIONCELL, "init", "--charter", str(charter), "--data", str(data)],
        env=servers[0].env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    made = setup_members(data, db_url, hooks)
    cell = open_cell(Settings(data=data, database_url=db_url))
    try:
        now = cell.clock.now()
        _, il_token = create_token(cell.engine, "IL", "il-liaison", Role.LIAISON_OFFICER, now)
        _, us_token = create_token(cell.engine, "US", "us-duty", Role.DUTY_OFFICER, now)
    finally:
        cell.close()
    for s in servers:
        s.start(made["token"])
    proxy = Nginx(nginx_bin, tmp_path / "nginx", [s.port for s in servers])
    try:
        until("nginx to answer", proxy.answers)
        size = _size(proxy.url, made["token"])
        # IL's liaison officer listens on each process directly; the supervisor's duty
        # officer through nginx (the WebSocket upgrade passes the proxy).
        listeners = [Listener(s.url, il_token, size - 1) for s in servers]
        listeners.append(Listener(proxy.url, us_token, size - 1))
        time.sleep(1.0)  # let them connect: entries from `size` on arrive either way

        sy = CellClient(proxy.url, made["token"], key=made["key"], party="SY", member="sy-liaison")
        tid, _ = sy.open_thread("general", "Crossing schedule", "en", ["IL", "SY", "US"])
        routine = []
        for n in range(12):
            # An append is four requests (the client checks its proofs, each answered by
            # the next process); one more moves the next append on to another process.
            routine.append(sy.send(tid, f"Update {n}", "en", "ROUTINE").index)
            assert _answers(proxy.url + "/log/v1/key")
        flash = sy.send(tid, "Acknowledge at once", "en", "FLASH").index
        # The appends went through every process, and each append's proofs, read from the
        # other processes at once, held: what one process commits, all of them read.
        assert len(proxy.upstreams_of("POST", "/log/v1/append")) == WORKERS

        # A failed sign-in through nginx counts against the address nginx saw, whatever
        # X-Forwarded-For the client sent (nginx sets it; the servers believe nginx only).
        with httpx.Client(base_url=proxy.url, headers={"X-Forwarded-For": "203.0.113.9"}) as web:
            web.get("/signin")  # the pre-session cookie that carries the form's CSRF token
            r = web.post(
                "/signin",
                data={
                    "member": "il-head",
                    "password": "not the password",
                    "csrf": web.cookies["fc_pre"],
                },
            )
        assert r.status_code == 401 and "wrong member id or password" in r.text
        assert _attempts(db_url) == ["ip:127.0.0.1"]

        until("the escalation to end", lambda: deadline_done(db_url))

        def all_sent() -> bool:
            rows = [r for r in outbox(db_url) if r.channel != "web"]
            return bool(rows) and all(r.state == "sent" for r in rows)

        until("every delivery", all_sent)
        final = _size(proxy.url, made["token"])
        until(
            "every listener to reach the log's end",
            lambda: all(x.indexes() and x.indexes()[-1] == final - 1 for x in listeners),
        )
    finally:
        for s in servers:
            s.stop()
        proxy.stop()

    # Fan-out: the same entries, once each, in order, on every process and through nginx.
    first = listeners[0].indexes()
    assert set(routine) | {flash} <= set(first)
    for x in listeners:
        assert x.error is None, x.error
        assert x.indexes() == sorted(set(x.indexes()))
        assert x.indexes() == first
    # The deadline engine acted in one process: one missed deadline, one entry per step.
    assert _count(db_url, "system.deadline.missed") == 1
    assert _count(db_url, "system.escalation.notified") == 3
    # The outbox sent each notification once, by delivery id and by raw count.
    rows = outbox(db_url)
    mails = [r for r in rows if r.channel == "email"]
    webhooks = [r for r in rows if r.channel == "webhook"]
    assert Counter(m["X-Fusioncell-Delivery"] for m in box.messages) == Counter(
        r.delivery for r in mails
    )
    assert Counter(h.delivery for h in hooks.hits) == Counter(r.delivery for r in webhooks)
    assert len(box.messages) == len(mails) and len(hooks.hits) == len(webhooks)
    flash_told = Counter((r.recipient, r.kind) for r in mails if r.entry_idx == flash)
    assert flash_told == Counter(
        {
            ("il-liaison", "cell.message.posted"): 1,
            ("il-head", "cell.message.posted"): 1,
            ("il-duty", "cell.message.posted"): 1,
        }
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _size(url: str, token: str) -> int:
    """The log's size in its signed checkpoint (origin, size, root hash: docs/log.md)."""
    r = httpx.get(f"{url}/log/v1/checkpoint", headers={"Authorization": f"Bearer {token}"})
    return int(r.text.splitlines()[1])
