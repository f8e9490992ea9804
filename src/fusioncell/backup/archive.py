"""The backup archive: a zip file with a manifest, one JSON-lines member per table and the
data directory's files.

    manifest.json           what the archive holds, and the SHA-256 of every other member
    tables/<table>.jsonl    one row per line: a JSON array in the manifest's column order
    files/<path>            a file of the data directory (keys/log.key, settings.toml, ...)

Values are typed by the manifest's column types, not by the database that wrote them, so
an archive made on SQLite restores into PostgreSQL and back: int and str are JSON as they
are, bool is true/false, bytes are base64, datetimes ISO 8601 in UTC. Derived data (the
search index: SQLite's FTS5 tables, PostgreSQL's tsvector column) is not stored; the
restore recomputes it.

The archive is written to a temporary file beside its destination (mode 0600: it holds
the log's private key) and renamed into place only when complete, so a crash or a full
disk never leaves a half archive under the destination's name.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from sqlalchemy import Boolean, Column, DateTime, Integer, LargeBinary, String, Table

from fusioncell.errors import Invalid

FORMAT = "fusioncell-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables/"
FILES = "files/"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
TEMP_PREFIX = ".fusioncell-backup-"

Kind = Literal["int", "str", "bool", "bytes", "datetime"]
KINDS: tuple[Kind, ...] = ("int", "str", "bool", "bytes", "datetime")

# Columns computed from others of their row: not stored, recomputed on restore.
DERIVED = {("search_rows", "tsv")}


class ArchiveError(Invalid):
    """The archive is damaged, altered, or not a fusioncell backup: nothing is restored."""


def column_kind(col: Column[Any]) -> Kind:
    t = col.type
    # Boolean before Integer (neither derives from the other, but be explicit), and every
    # type the tables use is named: a new one fails loudly here instead of being mangled.
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, LargeBinary):
        return "bytes"
    if isinstance(t, DateTime):
        return "datetime"
    if isinstance(t, String):  # Text too
        return "str"
    raise TypeError(f"{col.table.name}.{col.name}: no backup encoding for {t!r}")


def stored_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if (table.name, c.name) not in DERIVED]


def encode_value(kind: Kind, v: Any) -> Any:
    if v is None:
        return None
    if kind == "bytes":
        return base64.b64encode(bytes(v)).decode("ascii")
    if kind == "datetime":
        # SQLite keeps no zone and the cell writes UTC: a naive value is UTC.
        dt = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
        return dt.isoformat()
    if kind == "bool":
        return bool(v)
    if kind == "int":
        return int(v)
    return str(v)


def decode_value(kind: Kind, v: Any) -> Any:
    """The Python value of an archived one; ValueError if it is not of its column's type."""
    if v is None:
        return None
    ok = {
        "int": type(v) is int,
        "str": type(v) is str,
        "bool": type(v) is bool,
        "bytes": type(v) is str,
        "datetime": type(v) is str,
    }[kind]
    if not ok:
        raise ValueError(f"{v!r} is not a {kind}")
    if kind == "bytes":
        try:
            return base64.b64decode(v, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"bad base64: {exc}") from exc
    if kind == "datetime":
        dt = datetime.fromisoformat(v)
        if dt.tzinfo is None:
            raise ValueError(f"{v!r} has no time zone")
        return dt.astimezone(UTC)
    return v


def check_member_path(rel: str) -> PurePosixPath:
    """A data-directory path from an archive: relative, no '..', nothing odd."""
    p = PurePosixPath(rel)
    if (
        not rel
        or p.is_absolute()
        or "\\" in rel
        or "\x00" in rel
        or any(part in ("", ".", "..") for part in rel.split("/"))
    ):
        raise ArchiveError("the archive names a file outside the data directory: %(p)s", p=rel)
    return p


def _json_line(values: list[Any]) -> bytes:
    return (json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@dataclass
class MemberDigest:
    sha256: str
    size: int


class _HashingWriter:
    """A zip member being written, hashed as it goes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, b: bytes) -> None:
        self.raw.write(b)
        self.sha.update(b)
        self.size += len(b)

    def row(self, values: list[Any]) -> None:
        self.write(_json_line(values))


class ArchiveWriter:
    """Writes an archive to a temporary file beside `out`; `commit` renames it into place."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600, before a byte of the key is in it.
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=out.parent)
        self.tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w+b")
        self._zip = zipfile.ZipFile(
            self._fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6
        )
        self.members: dict[str, MemberDigest] = {}
        self._done = False

    def member(self, name: str) -> _Member:
        return _Member(self, name)

    def add_bytes(self, name: str, data: bytes) -> None:
        with self.member(name) as w:
            w.write(data)

    def commit(self, manifest: dict[str, Any]) -> None:
        manifest = {
            **manifest,
            "members": {k: {"sha256": v.sha256, "bytes": v.size} for k, v in self.members.items()},
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
        self._zip.writestr(MANIFEST, text.encode())
        self._zip.close()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.tmp, self.out)
        # The rename itself must reach the disk, or a crash could leave the old name.
        dfd = os.open(self.out.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        self._done = True

    def abort(self) -> None:
        if self._done:
            return
        # Closing a half-written zip on a full disk can fail again: drop it anyway.
        with contextlib.suppress(OSError, ValueError, zipfile.BadZipFile):
            self._zip.close()
        self._fh.close()
        self.tmp.unlink(missing_ok=True)


class _Member:
    def __init__(self, writer: ArchiveWriter, name: str) -> None:
        self.writer = writer
        self.name = name

    def __enter__(self) -> _HashingWriter:
        if self.name in self.writer.members or self.name == MANIFEST:
            raise ValueError(f"member {self.name} written twice")
        self._raw = self.writer._zip.open(self.name, "w", force_zip64=True)
        self._w = _HashingWriter(self._raw)
        return self._w

    def __exit__(self, *exc: object) -> None:
        self._raw.close()
        self.writer.members[self.name] = MemberDigest(self._w.sha.hexdigest(), self._w.size)


# ---- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[tuple[str, Kind]]
    rows: int

    @property
    def member(self) -> str:
        return TABLES + self.name + ".jsonl"


@dataclass(frozen=True)
class FileInfo:
    path: PurePosixPath
    mode: int

    @property
    def member(self) -> str:
        return FILES + str(self.path)


@dataclass(frozen=True)
class LogInfo:
    origin: str
    size: int
    root: str  # base64, as in the checkpoint
    checkpoint: str  # the signed note at the snapshot, with its cosignatures


class Archive:
    """An archive opened for reading. `open` checks the manifest's shape; `check` reads every
    member against its recorded SHA-256 and size (and every table's row count)."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
        self.path = path
        self._zip = zf
        self.manifest = manifest
        self.tables: list[TableInfo] = []
        self.files: list[FileInfo] = []
        self._digests: dict[str, MemberDigest] = {}
        self._parse()

    @classmethod
    def open(cls, path: Path) -> Archive:
        try:
            zf = zipfile.ZipFile(path, "r")
        except FileNotFoundError:
            raise ArchiveError("no such file: %(p)s", p=str(path)) from None
        except (OSError, zipfile.BadZipFile) as exc:
            raise ArchiveError(
                "%(p)s is not a readable backup archive: %(e)s", p=str(path), e=str(exc)
            ) from None
        try:
            return cls(path, zf, _read_manifest(zf))
        except BaseException:
            zf.close()
            raise

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the manifest --

    def _parse(self) -> None:
        m = self.manifest
        if m.get("format") != FORMAT:
            raise ArchiveError("not a fusioncell backup (format %(f)s)", f=m.get("format"))
        if m.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                "backup format version %(v)s; this fusioncell reads version %(w)s",
                v=m.get("format_version"),
                w=FORMAT_VERSION,
            )
        try:
            self._parse_fields(m)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArchiveError("the archive's manifest is malformed: %(e)s", e=repr(exc)) from None
        expected = {t.member for t in self.tables} | {f.member for f in self.files}
        if len({t.name for t in self.tables}) != len(self.tables):
            raise ArchiveError("the manifest names a table twice")
        if set(self._digests) != expected:
            raise ArchiveError("the manifest's members do not match its tables and files")
        present = set(self._zip.namelist()) - {MANIFEST}
        if present != expected:
            raise ArchiveError(
                "the archive's members do not match its manifest (extra: %(x)s; missing: %(m)s)",
                x=", ".join(sorted(present - expected)[:3]) or "none",
                m=", ".join(sorted(expected - present)[:3]) or "none",
            )

    def _parse_fields(self, m: dict[str, Any]) -> None:
        """Read the manifest's fields; TypeError, KeyError or ValueError if one is amiss."""
        for name, d in m["members"].items():
            _need(isinstance(d["sha256"], str) and len(d["sha256"]) == 64, "sha256")
            _need(type(d["bytes"]) is int, "bytes")
            self._digests[str(name)] = MemberDigest(d["sha256"], d["bytes"])
        for t in m["tables"]:
            cols: list[tuple[str, Kind]] = []
            for c, k in t["columns"]:
                _need(k in KINDS, "column type")
                cols.append((str(c), k))
            _need(type(t["rows"]) is int, "rows")
            self.tables.append(TableInfo(str(t["name"]), cols, t["rows"]))
        for f in m["files"]:
            _need(type(f["mode"]) is int, "mode")
            self.files.append(FileInfo(check_member_path(str(f["path"])), f["mode"] & 0o777))
        log = m["log"]
        self.log = LogInfo(
            str(log["origin"]), int(log["size"]), str(log["root"]), str(log["checkpoint"])
        )
        self.dialect = str(m["database"]["dialect"])
        self.revision = str(m["database"]["revision"])
        self.version = str(m["fusioncell_version"])

    # -- the members --

    def _open_member(self, name: str) -> IO[bytes]:
        return self._zip.open(name, "r")

    def check(self, progress: Any = None) -> None:
        """Read every member: its SHA-256 and size as recorded, every table's row count."""
        total = sum(d.size for d in self._digests.values())
        done = 0
        lines: dict[str, int] = {}
        for name, want in self._digests.items():
            sha = hashlib.sha256()
            size = 0
            n = 0
            try:
                with self._open_member(name) as fh:
                    while chunk := fh.read(1 << 20):
                        sha.update(chunk)
                        size += len(chunk)
                        n += chunk.count(b"\n")
                        done += len(chunk)
                        if progress:
                            progress(done, total)
            except (OSError, zipfile.BadZipFile, EOFError) as exc:
                # zipfile checks each member's CRC-32 too: a flipped bit ends up here
                raise ArchiveError(
                    "the archive's member %(m)s is damaged: %(e)s", m=name, e=str(exc)
                ) from None
            if sha.hexdigest() != want.sha256 or size != want.size:
                raise ArchiveError(
                    "the archive's member %(m)s does not match its SHA-256 in the manifest",
                    m=name,
                )
            lines[name] = n
        for t in self.tables:
            if lines[t.member] != t.rows:
                raise ArchiveError(
                    "table %(t)s holds %(n)s rows; the manifest says %(m)s",
                    t=t.name,
                    n=lines[t.member],
                    m=t.rows,
                )
        if progress:
            progress(total, total)

    def rows(self, table: TableInfo) -> Iterator[list[Any]]:
        """The table's rows, decoded (call `check` first: this trusts the hashes)."""
        kinds = [k for _, k in table.columns]
        with self._open_member(table.member) as fh:
            for n, line in enumerate(fh, start=1):
                try:
                    yield _decode_line(kinds, line)
                except ValueError as exc:
                    raise ArchiveError(
                        "table %(t)s, row %(n)s: %(e)s", t=table.name, n=n, e=str(exc)
                    ) from None

    def file_bytes(self, f: FileInfo) -> bytes:
        return self._zip.read(f.member)


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise TypeError(what)


def _decode_line(kinds: list[Kind], line: bytes) -> list[Any]:
    values = json.loads(line)
    if not isinstance(values, list) or len(values) != len(kinds):
        raise ValueError(f"{len(kinds)} values expected")
    return [decode_value(k, v) for k, v in zip(kinds, values, strict=True)]


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    names = zf.namelist()
    if len(names) != len(set(names)):
        raise ArchiveError("the archive holds a member twice")
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise ArchiveError("the archive has no manifest.json") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ArchiveError("the archive's manifest is too large")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError("the archive's manifest is unreadable: %(e)s", e=str(exc)) from None
    if not isinstance(manifest, dict):
        raise ArchiveError("the archive's manifest is not a JSON object")
    return manifest
