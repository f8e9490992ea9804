"""Charter schema. Validation errors name the file, the line and the field."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fusioncell.errors import Invalid

LANG_RE = r"^[a-z]{2,3}$"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Model):
    code: str = Field(pattern=r"^[A-Z]{2,8}$")
    name: dict[str, str]
    languages: list[str] = Field(min_length=1)
    timezone: str
    supervisor: bool = False
    sees_all: bool = False

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class Mechanism(_Model):
    origin: str = Field(pattern=r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$", max_length=200)
    name: dict[str, str]
    languages: list[str] = Field(min_length=1)


class Workstream(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: dict[str, str]


class Charter(_Model):
    mechanism: Mechanism
    parties: list[Party] = Field(min_length=2)
    workstreams: list[Workstream] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Charter:
        codes = [p.code for p in self.parties]
        if len(set(codes)) != len(codes):
            raise ValueError("party codes must be unique")
        if sum(p.supervisor for p in self.parties) > 1:
            raise ValueError("at most one party supervises")
        langs = set(self.mechanism.languages)
        for text in [self.mechanism.name, *(p.name for p in self.parties)]:
            if not langs <= set(text):
                raise ValueError(f"names need every cell language ({', '.join(sorted(langs))})")
        for lang in langs | {lang for p in self.parties for lang in p.languages}:
            if not re.match(LANG_RE, lang):
                raise ValueError(f"{lang!r} is not a language code")
        return self

    @property
    def codes(self) -> list[str]:
        return sorted(p.code for p in self.parties)

    def party(self, code: str) -> Party:
        for p in self.parties:
            if p.code == code:
                return p
        raise Invalid(f"unknown party {code!r}")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best effort: the line where the innermost named key of `loc` appears."""
    keys = [str(k) for k in loc if isinstance(k, str)]
    if not keys:
        return None
    pat = re.compile(rf"^\s*(\[+\s*)?{re.escape(keys[-1])}\b")
    for i, line in enumerate(text.splitlines(), 1):
        if pat.search(line):
            return i
    return None


def parse_charter(text: str, source: str = "<charter>") -> Charter:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Charter.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = ".".join(str(x) for x in loc) or "(charter)"
            line = _line_of(text, loc)
            where = f"{source}:{line}" if line else source
            msgs.append(f"{where}: {field}: {err['msg']}")
        raise Invalid("invalid charter\n" + "\n".join(msgs)) from exc


def load_charter(path: Path) -> Charter:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: cannot read the charter: {exc}") from exc
    return parse_charter(text, str(path))


def paris_charter_text() -> str:
    return resources.files("fusioncell.charter").joinpath("paris.toml").read_text("utf-8")
