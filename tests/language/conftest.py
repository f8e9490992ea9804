"""The Paris cell on a FrozenClock with members in the log, each with a signing
LanguageClient, and a small real HTTP server that speaks LibreTranslate's API (/translate
with q as a list, /languages) with a deterministic toy translation: it prefixes each text
with "<target>:" and leaves the glossary's placeholders ("[0]") alone. It records every
call it receives, and can be told to fail, to be slow, to answer nonsense or to drop
placeholders."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fusioncell.cell import Cell
from fusioncell.language.client import LanguageClient
from fusioncell.settings import Settings
from tests.members import T0, cell, member_maker
from tests.web.conftest import auto_approve, browse, browser, served

# The cell on a FrozenClock (tests/members.py) with this conftest's settings, and the
# browser tests' fixtures (tests/web/conftest.py).
__all__ = ["T0", "auto_approve", "browse", "browser", "cell", "served"]
LANGS = ("ar", "he", "en")
API_KEY = "toy-key"

MakeMember = Callable[..., LanguageClient]


def toy(text: str, target: str) -> str:
    return f"{target}: {text}"


@dataclass
class Toy:
    """The toy LibreTranslate server: its URL, what it received, and how it behaves."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # ok | error | slow | garbage | unsupported | drop
    release: threading.Event = field(default_factory=threading.Event)

    def translations(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == "/translate"]


class _Handler(BaseHTTPRequestHandler):
    toy: Toy

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path == "/languages":
            self._answer(200, [{"code": c, "name": c, "targets": list(LANGS)} for c in LANGS])
        else:
            self._answer(404, {"error": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        t = self.toy
        t.calls.append({"path": self.path, "body": body})
        if self.path != "/translate":
            self._answer(404, {"error": "Not Found"})
            return
        if body.get("api_key") != API_KEY:
            self._answer(403, {"error": "Invalid API key"})
            return
        if t.mode == "slow":
            t.release.wait(10)  # until the test ends: the client gives up first
            return
        if t.mode == "error":
            self._answer(500, {"error": "model crashed"})
            return
        if t.mode == "unsupported":
            self._answer(400, {"error": f"{body['target']} is not supported"})
            return
        if t.mode == "garbage":
            self._answer(200, {"translatedText": 42})
            return
        q = body["q"]
        texts = q if isinstance(q, list) else [q]
        out = [toy(x, body["target"]) for x in texts]
        if t.mode == "drop":
            out = [o.replace("[0]", "") for o in out]
        self._answer(200, {"translatedText": out if isinstance(q, list) else out[0]})


@pytest.fixture
def lt() -> Iterator[Toy]:
    """A LibreTranslate-compatible server on a free port of 127.0.0.1."""
    t = Toy()
    handler = type("Handler", (_Handler,), {"toy": t})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    t.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield t
    finally:
        t.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def engine() -> str:
    """The cell's translate_engine (override with @pytest.mark.parametrize)."""
    return "libretranslate"


@pytest.fixture
def settings(tmp_path: Path, db_url: str, lt: Toy, engine: str) -> Settings:
    return Settings(
        data=tmp_path / "data",
        database_url=db_url,
        deadline_engine=False,
        notify_worker=False,
        translate_engine=engine,  # type: ignore[arg-type]
        translate_url=lt.url,
        translate_api_key=API_KEY,  # type: ignore[arg-type]
        translate_timeout=0.3,
    )


@pytest.fixture
def member(cell: Cell, enroll, http: TestClient) -> MakeMember:  # type: ignore[no-untyped-def]
    """member(party, name, role=liaison_officer) -> a LanguageClient of a member in the log."""
    return member_maker(LanguageClient, enroll, http, in_log=cell)
