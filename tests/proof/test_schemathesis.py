"""Schemathesis over the whole OpenAPI document: no request answers 5xx, and every answer
conforms to the document (status code, media type, body schema).

The document is the one the app serves (/api/openapi.json): the JSON API under /api/v1
and the log's endpoints under /log/v1. Pages (HTML), the live WebSocket and /static are
not in it (their routers set `include_in_schema=False`) and are not fuzzed here.

Every operation is called with schemathesis' coverage cases (each parameter's boundaries,
each constraint broken in turn: deterministic) as a party admin of IL, then with its
generated data, valid (positive) and invalid (negative), as that admin, as the US
supervisor, and with no credential (valid data only; the generated `Authorization` values
are junk), on the Paris demo cell, so that lists are full and path parameters are, one
time in two, real ids found in the cell (a random id only ever reaches the 404 branch).
Requests go in-process through the app's TestClient.

FUSIONCELL_FUZZ_EXAMPLES (default 12) is the number of examples per operation, identity and
mode: raise it for a longer run (docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fusioncell.app import create_app
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.demo import _populate
from fusioncell.line.demo import demo_clock
from fusioncell.settings import Settings

EXAMPLES = int(os.environ.get("FUSIONCELL_FUZZ_EXAMPLES", "12"))
BASE = "http://testserver"
IDENTITIES = ["il-admin", "us-supervisor", None]  # None: no credential
PARTIES = ["IL", "SY", "US"]


@pytest.fixture
def demo(tmp_path: Path, db_url: str) -> Iterator[tuple[Cell, dict[str, str]]]:
    """The Paris demo cell (every workstream seeded) and its members' bearer tokens."""
    settings = Settings(data=tmp_path / "data", database_url=db_url)
    cell = init_cell(paris_charter_text(), settings, clock=demo_clock())
    try:
        info = _populate(cell, tmp_path / "demo")
        yield cell, {a["member"]: a["token"] for a in info["accounts"]}
    finally:
        cell.close()


class ServerErrors(logging.Handler):
    """The tracebacks of the 500s, as api/errors.py logs them: a failure names its line."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []
        self.request = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            tail = "".join(traceback.format_exception(exc)[-6:])
            self.seen.append(f"{self.request}\n{tail}")


def send(http: TestClient, case: Case, headers: dict[str, str]) -> httpx.Response:
    """The case as schemathesis would send it (its requests serialisation: JSON, forms,
    multipart, raw bytes), through the app's own TestClient and lifespan."""
    kw = case.as_transport_kwargs(base_url=BASE, headers=headers)
    fields = ("method", "url", "headers", "params", "cookies", "data", "json", "files")
    prepared = requests.Request(**{k: kw[k] for k in fields if k in kw}).prepare()
    assert prepared.method is not None and prepared.url is not None
    return http.request(
        prepared.method,
        prepared.url,
        headers=dict(prepared.headers),
        content=prepared.body,
        follow_redirects=False,
    )


def known_ids(http: TestClient, schema: dict[str, Any], token: str) -> dict[str, list[Any]]:
    """Real values for path parameters, read from every list the supervisor (who reads
    everything) gets: strings under `id` or a path parameter's name, log indices."""
    names = {
        p["name"]
        for item in schema["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    pools: dict[str, set[Any]] = {"id": set(), "index": set()}

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(v, str) and (k == "id" or k in names) and len(v) < 100:
                    pools.setdefault("id" if k == "id" else k, set()).add(v)
                elif isinstance(v, int) and not isinstance(v, bool) and k == "index":
                    pools["index"].add(v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for path, item in schema["paths"].items():
        op = item.get("get")
        if op is None or "{" in path or any(p.get("required") for p in op.get("parameters", [])):
            continue
        r = http.get(path, headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 200 and r.headers["content-type"].startswith("application/json"):
            walk(r.json())
    out = {k: sorted(v, key=str) for k, v in pools.items()}
    out["party"] = PARTIES
    return out


def real_value(name: str, pools: dict[str, list[Any]], pick: int) -> Any:
    pool = pools.get(name) or (pools["index"] if "index" in name else pools["id"])
    return pool[pick % len(pool)] if pool else None


def allowing_documented_503(ctx: Any, response: Any, case: Case) -> bool | None:
    """not_a_server_error, except a 503 the operation documents (the PDF export where
    pango is missing: the cell works on without it)."""
    if response.status_code == 503 and "503" in case.operation.responses.status_codes:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    allowing_documented_503,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.timeout(300 + 60 * EXAMPLES)
def test_openapi_fuzz(demo: tuple[Cell, dict[str, str]]) -> None:
    cell, tokens = demo
    errors = ServerErrors()
    logging.getLogger("fusioncell.api.errors").addHandler(errors)
    failures: list[str] = []
    calls = 0
    try:
        with TestClient(create_app(cell), raise_server_exceptions=False) as http:
            served = http.get("/api/openapi.json").json()
            paths = set(served["paths"])
            # The whole JSON API and the log are in the document; the pages are not.
            assert {p.split("/")[1] for p in paths} == {"api", "log"}
            assert {"/log/v1/entries", "/log/v1/append", "/api/v1/search"} <= paths
            assert not any(p.startswith(("/cell", "/intel/", "/static")) for p in paths)
            schema = schemathesis.openapi.from_dict(served)
            pools = known_ids(http, served, tokens["us-supervisor"])
            operations = [r.ok() for r in schema.get_all_operations()]
            assert len(operations) == sum(len(i) for i in served["paths"].values())
            for op in operations:
                # Schemathesis' coverage phase: each parameter's boundaries and each
                # constraint broken one at a time (deterministic), as a party admin.
                fuzz = Fuzz(http, op, tokens["il-admin"], pools, errors)
                failures += fuzz.coverage(schema)
                calls += fuzz.calls
                for who in IDENTITIES:
                    # Junk credentials are positive data; negative data without a
                    # credential would only meet the 401 again.
                    modes = [GenerationMode.POSITIVE]
                    if who is not None:
                        modes.append(GenerationMode.NEGATIVE)
                    for mode in modes:
                        fuzz = Fuzz(http, op, tokens.get(who or ""), pools, errors)
                        try:
                            fuzz.run(mode)
                        except FailureGroup as exc:
                            lines = str(exc).splitlines()[:14]
                            failures.append(f"{fuzz.label(mode)}:\n" + "\n".join(lines))
                        calls += fuzz.calls
    finally:
        logging.getLogger("fusioncell.api.errors").removeHandler(errors)
    assert calls >= len(operations) * len(IDENTITIES) * EXAMPLES
    report = "\n\n".join(failures + [f"server error:\n{e}" for e in errors.seen])
    assert not failures and not errors.seen, report


class Fuzz:
    """One operation, one identity: EXAMPLES generated cases, each checked."""

    def __init__(
        self,
        http: TestClient,
        op: Any,
        token: str | None,
        pools: dict[str, list[Any]],
        errors: ServerErrors,
    ) -> None:
        self.http = http
        self.op = op
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.pools = pools
        self.errors = errors
        self.calls = 0

    def label(self, mode: GenerationMode) -> str:
        who = "a member" if self.headers else "nobody"
        return f"{self.op.label} as {who} ({mode.value})"

    def run(self, mode: GenerationMode) -> None:
        try:
            strategy = self.op.as_strategy(generation_mode=mode)
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            return

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        @given(case=strategy, pick=st.none() | st.integers(0, 1 << 16))
        def one(case: Case, pick: int | None) -> None:
            self.check(case, pick)

        try:
            one()
        except Unsatisfiable:
            return

    def coverage(self, schema: Any) -> list[str]:
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        config = schema.config.generation_for(operation=self.op)
        failed: list[str] = []
        for case in schema.iter_coverage_cases(
            self.op, generation_modes=modes, generation_config=config
        ):
            try:
                self.check(case, None)
            except FailureGroup as exc:
                lines = str(exc).splitlines()[:14]
                failed.append(f"{self.op.label} (coverage):\n" + "\n".join(lines))
                break  # one case is enough to tell
        return failed

    def check(self, case: Case, pick: int | None) -> None:
        if pick is not None:
            for name in list(case.path_parameters or {}):
                value = real_value(name, self.pools, pick)
                if value is not None:
                    case.path_parameters[name] = value
        if self.headers and case.headers:
            case.headers.pop("Authorization", None)  # the real credential, not a generated one
        self.errors.request = f"{case.method} {case.formatted_path} {case.query!r}"
        response = send(self.http, case, self.headers)
        self.calls += 1
        case.validate_response(response, checks=CHECKS)
