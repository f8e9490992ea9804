"""Operations' tests: a Paris cell on a frozen clock, with no deadline engine or notifier
of its own (the test says when they act, so open clocks and pending deliveries stay put),
a metrics token, and helpers to scrape and parse /metrics and to capture the logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import FrozenClock
from fusioncell.identity.accounts import do_add_member
from fusioncell.ops import logs
from fusioncell.settings import Settings
from tests.live.conftest import live
from tests.messaging.conftest import member

__all__ = ["live", "member"]  # fixtures: the live stream's server, signing members

METRICS_TOKEN = "mt-Operator-Scrape-Token-5521"
ALL = ["IL", "SY", "US"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        data=tmp_path / "data",
        database_url=db_url,
        deadline_engine=False,
        notify_worker=False,
        smtp_host="127.0.0.1",  # never contacted: no notifier runs
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture
def cell(settings: Settings) -> Iterator[Cell]:
    c = init_cell(
        paris_charter_text(), settings, clock=FrozenClock(datetime(2026, 11, 26, 9, tzinfo=UTC))
    )
    for party, name, role in [
        ("SY", "sy-liaison", Role.LIAISON_OFFICER),
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("US", "us-duty", Role.DUTY_OFFICER),
    ]:
        do_add_member(c, party, name, role)
    yield c
    c.close()


def parse(text: str) -> Samples:
    """Every sample of an exposition, by name and labels (the parser checks the format)."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def scrape(client: TestClient | httpx.Client, **headers: str) -> Samples:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}", **headers})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return parse(r.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` that has `labels` (and any others)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


class Captured:
    """Log lines written through the JSON formatter into memory."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Each line parsed: every one must be exactly one JSON object."""
        text = self.text()
        assert text.endswith("\n")
        parsed = [json.loads(line) for line in text.splitlines()]
        assert all(isinstance(p, dict) for p in parsed)
        return parsed


@pytest.fixture
def captured() -> Iterator[Captured]:
    """Every log line of the process meanwhile, at DEBUG, as `fusioncell serve` writes them."""
    root = logging.getLogger()
    level = root.level
    access = logging.getLogger("uvicorn.access")
    was = access.disabled, access.propagate
    cap = Captured()
    handler = logs.configure("json", "DEBUG", cap.stream)
    try:
        yield cap
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        access.disabled, access.propagate = was
