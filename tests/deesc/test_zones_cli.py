"""`fusioncell zones load`: a GeoJSON file into signed system entries; a bad file writes
nothing and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.charter.schema import paris_charter_text
from fusioncell.cli import app
from fusioncell.deesc import kinds

runner = CliRunner()

BUFFER = {
    "type": "Polygon",
    "coordinates": [[[35.8, 33.0], [35.95, 33.0], [35.95, 33.3], [35.8, 33.3], [35.8, 33.0]]],
}


@pytest.fixture
def env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)
    monkeypatch.setenv("FUSIONCELL_DATA", str(tmp_path / "data"))
    charter = tmp_path / "charter.toml"
    charter.write_text(paris_charter_text(), encoding="utf-8")
    assert runner.invoke(app, ["init", "--charter", str(charter)]).exit_code == 0
    return tmp_path


def write(env: Path, features: list[dict[str, object]]) -> str:
    path = env / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return str(path)


def flat(output: str) -> str:
    return " ".join(output.split())  # the console wraps long lines


def feature(zone: str, geometry: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": {"id": zone, "name": zone}, "geometry": geometry}


def test_zones_load(env: Path) -> None:
    from fusioncell.cell import open_cell
    from fusioncell.deesc.tables import deesc_zones
    from fusioncell.settings import Settings

    path = write(
        env,
        [
            feature("buffer", BUFFER),
            feature("line", {"type": "LineString", "coordinates": [[35.7, 33], [35.7, 33.4]]}),
        ],
    )
    r = runner.invoke(app, ["zones", "load", path, "--status", "agreed"])
    assert r.exit_code == 0, r.output
    assert "2 zone(s) loaded as agreed" in flat(r.output)
    r = runner.invoke(app, ["zones", "load", path, "--status", "proposed", "--party", "SY"])
    assert r.exit_code == 0, r.output

    bad = write(
        env, [feature("ok", BUFFER), feature("far", {"type": "Point", "coordinates": [35, 95]})]
    )
    r = runner.invoke(app, ["zones", "load", bad, "--status", "illustrative"])
    assert (
        r.exit_code == 2
        and "feature 2" in flat(r.output)
        and "latitude 95 is out of range" in flat(r.output)
    )
    r = runner.invoke(app, ["zones", "load", path, "--status", "maybe"])
    assert r.exit_code == 2 and "status must be one of" in flat(r.output)
    (env / "broken.geojson").write_text("{", "utf-8")
    r = runner.invoke(app, ["zones", "load", str(env / "broken.geojson"), "--status", "agreed"])
    assert r.exit_code == 2 and "not a readable JSON file" in flat(r.output)

    cell = open_cell(Settings.for_data(env / "data"))
    try:
        with cell.engine.connect() as c:
            rows = c.execute(deesc_zones.select().order_by(deesc_zones.c.zone)).all()
        assert [(z.zone, z.status, z.party) for z in rows] == [
            ("buffer", kinds.PROPOSED, "SY"),
            ("line", kinds.PROPOSED, "SY"),
        ]
    finally:
        cell.close()
