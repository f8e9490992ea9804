"""The command line, end to end on a data directory (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fusioncell.charter.schema import paris_charter_text, parse_charter
from fusioncell.cli import app
from fusioncell.errors import Invalid

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUSIONCELL_DATABASE_URL", db_url)
    data = tmp_path / "data"
    monkeypatch.setenv("FUSIONCELL_DATA", str(data))
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.output


def test_init_register_export_verify(env: Path) -> None:
    charter = env / "charter.toml"
    charter.write_text(paris_charter_text(), encoding="utf-8")
    code, out = run("init", "--charter", str(charter))
    assert code == 0, out
    assert "paris.fusioncell.example/log" in out
    assert oct((env / "data" / "keys" / "log.key").stat().st_mode)[-3:] == "600"
    code, out = run("init", "--charter", str(charter))
    assert code == 2 and "already holds a cell" in out

    code, vkey = run(
        "key", "generate", "--name", "SY/sy-liaison/laptop", "--out", str(env / "sy.key")
    )
    assert code == 0, vkey
    code, out = run(
        "key", "register", "--party", "SY", "--member", "sy-liaison", "--vkey", vkey.strip()
    )
    assert code == 0 and "entry 1" in out, out
    code, out = run("key", "register", "--party", "XX", "--member", "x", "--vkey", vkey.strip())
    assert code == 2 and "unknown party" in out
    code, out = run(
        "key", "register", "--party", "SY", "--member", "sy-liaison", "--vkey", "garbage"
    )
    assert code == 2 and "verifier key" in out

    code, wkey = run(
        "key", "generate", "--witness", "--name", "witness.sy.example", "--out", str(env / "w.key")
    )
    assert code == 0
    code, out = run("witness", "add", "--party", "SY", "--vkey", wkey.strip())
    assert code == 0 and "fct_" in out, out
    code, out = run("witness", "add", "--party", "SY", "--vkey", vkey.strip())
    assert code == 2 and "0x04" in out
    code, out = run("witness", "revoke", "--party", "IL", "--name", "witness.sy.example")
    assert code == 2 and "no such registered witness" in out
    code, out = run("witness", "revoke", "--party", "SY", "--name", "witness.sy.example")
    assert code == 0 and "revoked" in out, out

    code, out = run(
        "member",
        "add",
        "--party",
        "SY",
        "--member",
        "sy-liaison",
        "--role",
        "liaison_officer",
        "--url",
        "https://cell.example",
    )
    assert code == 0 and "https://cell.example/invite/" in out, out
    code, out = run(
        "member", "add", "--party", "SY", "--member", "sy-liaison", "--role", "liaison_officer"
    )
    assert code == 2 and "already exists" in out
    code, out = run("member", "add", "--party", "SY", "--member", "Bad Name", "--role", "auditor")
    assert code == 2 and "member id" in out
    code, out = run("member", "add", "--party", "SY", "--member", "x1", "--role", "king")
    assert code == 2 and "unknown role" in out
    code, out = run("token", "create", "sy-liaison")
    assert code == 0 and out.strip().splitlines()[-1].startswith("fct_"), out
    code, out = run("token", "create", "nobody")
    assert code == 2 and "no member" in out
    code, out = run("member", "list")
    assert code == 0 and "sy-liaison" in out
    code, out = run("member", "disable", "sy-liaison")
    assert code == 0 and "disabled" in out
    code, out = run("token", "create", "sy-liaison")
    assert code == 2 and "disabled" in out
    code, out = run("rebuild")
    assert code == 0 and "rebuilt" in out

    code, out = run("log", "export", str(env / "exp"), "--as", "IL")
    assert code == 0, out
    assert sorted(os.listdir(env / "exp")) == ["checkpoint.txt", "entries.jsonl", "key.txt"]
    code, out = run("log", "verify", str(env / "exp"))
    assert code == 0 and "OK" in out, out
    code, out = run("log", "export", str(env / "exp2"), "--as", "ZZ")
    assert code == 2 and "unknown party" in out


def test_commands_on_a_missing_cell(env: Path) -> None:
    code, out = run("token", "create", "x")
    assert code == 2 and "fusioncell init" in out


def test_help_is_clear() -> None:
    code, out = run("--help")
    assert code == 0
    for cmd in ["init", "serve", "demo", "log", "key", "token", "witness"]:
        assert cmd in out


BROKEN = {
    "not toml": ("[mechanism\n", "not valid TOML"),
    "unknown field": (
        paris_charter_text().replace(
            'timezone = "Asia/Damascus"', 'timezone = "Asia/Damascus"\ncolour = "red"'
        ),
        "parties.1.colour",
    ),
    "bad zone": (paris_charter_text().replace("Asia/Damascus", "Mars/Olympus"), "time zone"),
    "dup party": (paris_charter_text().replace('code = "SY"', 'code = "IL"'), "unique"),
    "missing name": (
        paris_charter_text().replace('name.he = "סוריה"\n', ""),
        "every cell language",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_charters_name_file_line_field(case: str) -> None:
    text, words = BROKEN[case]
    with pytest.raises(Invalid) as e:
        parse_charter(text, "my.toml")
    assert "my.toml" in e.value.message
    assert words in e.value.message, e.value.message
    if case == "unknown field":
        line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("colour"))
        assert f"my.toml:{line}:" in e.value.message


def test_demo_no_serve_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUSIONCELL_DATABASE_URL", raising=False)
    code, out = run("demo", "--data", str(tmp_path / "d"), "--no-serve")
    assert code == 0, out
    assert "sy-liaison" in out and "us-supervisor" in out and "TOTP is off" in out
    code2, out2 = run("demo", "--data", str(tmp_path / "d"), "--no-serve")
    assert code2 == 0 and out2 == out  # the same cell and accounts, reused
