"""Charter schema. Validation errors name the file, the line and the field.

A charter is one TOML file that describes one mechanism:

- `[mechanism]`      origin, name (per language), languages
- `[[parties]]`      code, name, languages, timezone, supervisor, sees_all
- `[[workstreams]]`  id, name
- `[[urgency]]`      level, name, ack_within, requires_ack, escalation = [{after, notify}]
                     (in order of precedence: FLASH, IMMEDIATE, PRIORITY, ROUTINE)
- `[clocks]`         clarification_answer, dispute_answer, planned_activity_notice, rfi_answer
- `[line_checks]`    times ("HH:MM"), timezone, answer_within
- `[cell]`           supervisor_in_every_thread, max_text_chars
- `[[understandings]]` id, text, kind ("joint" | "stated"), parties, stated_by, source, workstream
- `[[rounds]]`       id, place, delegations, note, held_on, next_round (a date or "not scheduled")
- `[roles]`          role -> permissions, overriding the built-in defaults

Every text meant for people (`name`, `text`, `source`, `place`, `note`) is a table with one
entry per cell language. Durations are written "30s", "5m", "4h", "2d" (or combined, "1h30m").
Escalation targets are "own:<role>" (the addressed party), "supervisor:<role>" (the supervising
party) or "<CODE>:<role>" (a named party).
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterator
from datetime import date, time, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from fusioncell.authz.permissions import ROLE_PERMISSIONS, Permission, Role
from fusioncell.errors import Invalid

LANG_RE = r"^[a-z]{2,3}$"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
NOT_SCHEDULED = "not scheduled"

Loc = tuple[str | int, ...]


# -- problems that know where they are -------------------------------------------------------


def _dotted(loc: Loc) -> str:
    return ".".join(str(x) for x in loc)


class _Problems(ValueError):
    """Raised by validators: one or more problems, each at a path below the validated model."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{_dotted(loc)}: {msg}" if loc else msg for loc, msg in problems)
        )


def _check(problems: list[tuple[Loc, str]]) -> None:
    if problems:
        raise _Problems(problems)


# -- durations and times ---------------------------------------------------------------------

_DURATION_RE = re.compile(r"(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?")
_UNITS = (("h", 3600), ("m", 60), ("s", 1))  # written back in hours, as deadlines are spoken


def parse_duration(value: str) -> timedelta:
    """ "5m", "30m", "4h", "72h", "2d", "1h30m" -> timedelta. Raises Invalid, saying why."""
    if not isinstance(value, str):
        raise Invalid(f'a duration is a string such as "30m", "4h" or "2d", not {value!r}')
    m = _DURATION_RE.fullmatch(value.strip())
    if not value.strip() or m is None:
        raise Invalid(
            f"{value!r} is not a duration: write a whole number and a unit, "
            'd (days), h (hours), m (minutes) or s (seconds), e.g. "5m", "4h", "2d", "1h30m"'
        )
    d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=s)


def format_duration(value: timedelta) -> str:
    """timedelta -> the charter form in hours and minutes ("4h", "48h", "1h30m"); "0m" for zero."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0m"
    parts = []
    for unit, size in _UNITS:
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


def _duration_in(value: object) -> timedelta:
    if isinstance(value, timedelta):
        if value.microseconds or value < timedelta(0):
            raise ValueError("a duration is a whole, non-negative number of seconds")
        return value
    try:
        return parse_duration(value)  # type: ignore[arg-type]  # checked inside
    except Invalid as exc:
        raise ValueError(exc.message) from exc


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


_DURATION_OUT = PlainSerializer(format_duration, return_type=str, when_used="json")
# A deadline or notice period: longer than zero.
Duration = Annotated[
    timedelta, BeforeValidator(_duration_in), AfterValidator(_positive), _DURATION_OUT
]
# A delay after a deadline: zero allowed.
Delay = Annotated[timedelta, BeforeValidator(_duration_in), _DURATION_OUT]

_HHMM_RE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _hhmm_in(value: object) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None or value.second or value.microsecond:
            raise ValueError(f"{value} is not a time of day as HH:MM")
        return value
    if isinstance(value, str) and (m := _HHMM_RE.fullmatch(value)):
        return time(int(m[1]), int(m[2]))
    raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")


HHMM = Annotated[
    time,
    BeforeValidator(_hhmm_in),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
]


def _next_round_in(value: object) -> object:
    if value is None or value == NOT_SCHEDULED or type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f'{value!r} is neither a date (YYYY-MM-DD) nor "{NOT_SCHEDULED}"')


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


TimeZone = Annotated[str, AfterValidator(_timezone)]

# A text in several languages: language code -> text.
Text = dict[str, str]


# -- escalation targets ----------------------------------------------------------------------


class Target(NamedTuple):
    """Who is notified: `party` is "own", "supervisor" or a party code; `role` a Role."""

    party: str
    role: Role


_TARGET_RE = re.compile(r"(own|supervisor|[A-Z]{2,8}):([a-z_]+)")


def parse_target(value: str) -> Target:
    m = _TARGET_RE.fullmatch(value)
    if m is None:
        raise ValueError(
            f"{value!r} is not a target: write own:<role>, supervisor:<role> or <PARTY>:<role>"
        )
    try:
        role = Role(m[2])
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {m[2]!r} in {value!r} (known: {known})") from None
    return Target(m[1], role)


def _target_in(value: str) -> str:
    parse_target(value)
    return value


NotifyTarget = Annotated[str, AfterValidator(_target_in)]


# -- the models ------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Model):
    code: str = Field(pattern=r"^[A-Z]{2,8}$")
    name: Text
    languages: list[str] = Field(min_length=1)
    timezone: str
    supervisor: bool = False
    sees_all: bool = False

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _timezone(v)


class Mechanism(_Model):
    origin: str = Field(pattern=r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$", max_length=200)
    name: Text
    languages: list[str] = Field(min_length=1)


class Workstream(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text


class Urgency(StrEnum):
    """Precedence levels, highest first."""

    FLASH = "FLASH"
    IMMEDIATE = "IMMEDIATE"
    PRIORITY = "PRIORITY"
    ROUTINE = "ROUTINE"


_PRECEDENCE = {u: i for i, u in enumerate(Urgency)}


class EscalationStep(_Model):
    """When an item is still unacknowledged `after` its deadline, notify these targets;
    then again `repeat` times, `every` apart, until the item is acknowledged."""

    after: Delay
    notify: list[NotifyTarget] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=24)
    every: Duration | None = None

    @model_validator(mode="after")
    def _repeats(self) -> EscalationStep:
        if self.repeat and self.every is None:
            raise _Problems([(("every",), 'a repeated step needs `every` (e.g. "10m")')])
        if self.every is not None and not self.repeat:
            raise _Problems([(("repeat",), "`every` needs `repeat` (how many more times)")])
        return self

    @property
    def times(self) -> list[timedelta]:
        """When this step notifies, counted from the missed deadline."""
        every = self.every or timedelta(0)
        return [self.after + every * k for k in range(self.repeat + 1)]

    @property
    def targets(self) -> list[Target]:
        return [parse_target(t) for t in self.notify]


class UrgencyLevel(_Model):
    level: Urgency
    name: Text
    ack_within: Duration
    requires_ack: bool = True  # False: a delivery receipt is enough
    escalation: list[EscalationStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> UrgencyLevel:
        problems: list[tuple[Loc, str]] = []
        for i in range(1, len(self.escalation)):
            if self.escalation[i].after <= self.escalation[i - 1].after:
                problems.append(
                    (("escalation", i, "after"), "escalation steps must come later and later")
                )
        for i, step in enumerate(self.escalation):
            if len(set(step.notify)) != len(step.notify):
                problems.append((("escalation", i, "notify"), "a target is named twice"))
        _check(problems)
        return self


class Clocks(_Model):
    clarification_answer: Duration = timedelta(hours=48)
    dispute_answer: Duration = timedelta(hours=72)
    planned_activity_notice: Duration = timedelta(hours=72)
    rfi_answer: Duration = timedelta(hours=72)


class Named(_Model):
    """A charter-defined choice with its name in every cell language (de-escalation)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    name: Text


class Deescalation(_Model):
    """`[deescalation]`: the incident categories and planned-activity types of the cell."""

    categories: list[Named] = Field(default_factory=list)
    activity_types: list[Named] = Field(default_factory=list)


class LineChecks(_Model):
    times: list[HHMM] = Field(min_length=1)
    timezone: TimeZone
    answer_within: Duration

    @model_validator(mode="after")
    def _distinct(self) -> LineChecks:
        if len(set(self.times)) != len(self.times):
            raise _Problems([(("times",), "each time is given once")])
        return self


class CellRules(_Model):
    """The communication cell's rules (`[cell]`)."""

    # Every thread includes the supervising party, so nothing passes out of its sight.
    supervisor_in_every_thread: bool = True
    max_text_chars: int = Field(default=8000, ge=100, le=100_000)


class Understanding(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    text: Text
    kind: Literal["joint", "stated"]
    parties: list[str] = Field(min_length=1)  # the parties it commits or concerns
    stated_by: str | None = None  # whose position it is, for kind = "stated"
    source: Text  # where it was said
    workstream: str | None = None

    @model_validator(mode="after")
    def _stated(self) -> Understanding:
        if self.kind == "stated" and self.stated_by is None:
            raise _Problems([(("stated_by",), 'required when kind = "stated"')])
        if self.kind == "joint" and self.stated_by is not None:
            raise _Problems([(("stated_by",), 'only for kind = "stated"')])
        return self


class Round(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    place: Text
    delegations: list[str] = Field(min_length=2)
    note: Text | None = None
    held_on: date | None = None
    next_round: Annotated[
        date | Literal["not scheduled"] | None, BeforeValidator(_next_round_in)
    ] = None

    @model_validator(mode="after")
    def _dates(self) -> Round:
        if (
            isinstance(self.next_round, date)
            and self.held_on is not None
            and self.next_round <= self.held_on
        ):
            raise _Problems([(("next_round",), "must come after held_on")])
        return self


class Charter(_Model):
    mechanism: Mechanism
    parties: list[Party] = Field(min_length=2)
    workstreams: list[Workstream] = Field(default_factory=list)
    urgency_levels: list[UrgencyLevel] = Field(alias="urgency", min_length=1)
    clocks: Clocks = Field(default_factory=Clocks)
    line_checks: LineChecks | None = None
    cell: CellRules = Field(default_factory=CellRules)
    understandings: list[Understanding] = Field(default_factory=list)
    rounds: list[Round] = Field(default_factory=list)
    roles: dict[Role, list[Permission]] = Field(default_factory=dict)
    deescalation: Deescalation = Field(default_factory=Deescalation)

    def _texts(self) -> Iterator[tuple[Loc, Text]]:
        yield ("mechanism", "name"), self.mechanism.name
        for i, c in enumerate(self.deescalation.categories):
            yield ("deescalation", "categories", i, "name"), c.name
        for i, c in enumerate(self.deescalation.activity_types):
            yield ("deescalation", "activity_types", i, "name"), c.name
        for i, p in enumerate(self.parties):
            yield ("parties", i, "name"), p.name
        for i, w in enumerate(self.workstreams):
            yield ("workstreams", i, "name"), w.name
        for i, level in enumerate(self.urgency_levels):
            yield ("urgency", i, "name"), level.name
        for i, u in enumerate(self.understandings):
            yield ("understandings", i, "text"), u.text
            yield ("understandings", i, "source"), u.source
        for i, r in enumerate(self.rounds):
            yield ("rounds", i, "place"), r.place
            if r.note is not None:
                yield ("rounds", i, "note"), r.note

    @model_validator(mode="after")
    def _consistent(self) -> Charter:
        problems: list[tuple[Loc, str]] = []
        self._check_unique(problems)
        self._check_languages(problems)
        self._check_supervision(problems)
        self._check_urgency(problems)
        self._check_references(problems)
        _check(problems)
        return self

    def _check_unique(self, problems: list[tuple[Loc, str]]) -> None:
        for key, what, ids in [
            ("parties", "party codes", [p.code for p in self.parties]),
            ("workstreams", "workstream ids", [w.id for w in self.workstreams]),
            ("understandings", "understanding ids", [u.id for u in self.understandings]),
            ("rounds", "round ids", [r.id for r in self.rounds]),
        ]:
            for i, x in enumerate(ids):
                if x in ids[:i]:
                    problems.append(((key, i), f"{what} must be unique: {x!r} again"))

    def _check_languages(self, problems: list[tuple[Loc, str]]) -> None:
        langs = self.mechanism.languages
        for i, lang in enumerate(langs):
            if not re.match(LANG_RE, lang):
                problems.append((("mechanism", "languages", i), f"{lang!r} is not a language code"))
            elif lang in langs[:i]:
                problems.append((("mechanism", "languages", i), f"{lang!r} is given twice"))
        every = ", ".join(langs)
        for i, p in enumerate(self.parties):
            for j, lang in enumerate(p.languages):
                if lang not in langs:
                    problems.append(
                        (
                            ("parties", i, "languages", j),
                            f"{lang!r} is not a cell language ({every})",
                        )
                    )
        for loc, text in self._texts():
            for lang in langs:
                if not text.get(lang, "").strip():
                    problems.append(
                        (
                            (*loc, lang),
                            f"missing: names and texts need every cell language ({every})",
                        )
                    )
            for lang in text:
                if lang not in langs:
                    problems.append(((*loc, lang), f"{lang!r} is not a cell language ({every})"))

    def _check_supervision(self, problems: list[tuple[Loc, str]]) -> None:
        supervisors = [p for p in self.parties if p.supervisor]
        if len(supervisors) > 1:
            problems.append((("parties",), "at most one party supervises"))
        for i, p in enumerate(self.parties):
            if p.sees_all and len(supervisors) != 1:
                problems.append((("parties", i, "sees_all"), "needs exactly one supervising party"))

    def _party_ref(self, problems: list[tuple[Loc, str]], loc: Loc, code: str) -> None:
        if code not in self.codes:
            known = ", ".join(self.codes)
            problems.append((loc, f"unknown party {code!r} (parties: {known})"))

    def _check_urgency(self, problems: list[tuple[Loc, str]]) -> None:
        last = -1
        for i, u in enumerate(self.urgency_levels):
            rank = _PRECEDENCE[u.level]
            if rank == last:
                problems.append((("urgency", i, "level"), f"{u.level} is given twice"))
            elif rank < last:
                order = ", ".join(Urgency)
                problems.append((("urgency", i, "level"), f"levels go in this order: {order}"))
            elif i and u.ack_within < self.urgency_levels[i - 1].ack_within:
                problems.append(
                    (("urgency", i, "ack_within"), "a lower level cannot have a shorter deadline")
                )
            last = max(last, rank)
            for j, step in enumerate(u.escalation):
                for k, target in enumerate(step.targets):
                    loc: Loc = ("urgency", i, "escalation", j, "notify", k)
                    if target.party == "supervisor" and self.supervisor is None:
                        problems.append((loc, "this charter has no supervising party"))
                    elif target.party not in {"own", "supervisor"}:
                        self._party_ref(problems, loc, target.party)

    def _check_references(self, problems: list[tuple[Loc, str]]) -> None:
        ws = {w.id for w in self.workstreams}
        for i, un in enumerate(self.understandings):
            if len(set(un.parties)) != len(un.parties):
                problems.append((("understandings", i, "parties"), "a party is named twice"))
            for j, code in enumerate(un.parties):
                self._party_ref(problems, ("understandings", i, "parties", j), code)
            if un.stated_by is not None:
                self._party_ref(problems, ("understandings", i, "stated_by"), un.stated_by)
            if un.workstream is not None and un.workstream not in ws:
                problems.append(
                    (("understandings", i, "workstream"), f"unknown workstream {un.workstream!r}")
                )
        for i, r in enumerate(self.rounds):
            if len(set(r.delegations)) != len(r.delegations):
                problems.append((("rounds", i, "delegations"), "a party is named twice"))
            for j, code in enumerate(r.delegations):
                self._party_ref(problems, ("rounds", i, "delegations", j), code)
        for role, perms in self.roles.items():
            if len(set(perms)) != len(perms):
                problems.append((("roles", role.value), "a permission is named twice"))

    # -- helpers ---------------------------------------------------------------------------

    @property
    def codes(self) -> list[str]:
        return sorted(p.code for p in self.parties)

    @property
    def languages(self) -> list[str]:
        return list(self.mechanism.languages)

    @property
    def supervisor(self) -> Party | None:
        return next((p for p in self.parties if p.supervisor), None)

    @staticmethod
    def rtl(lang: str) -> bool:
        """Whether `lang` is written right to left."""
        return lang in RTL_LANGUAGES

    def party(self, code: str) -> Party:
        for p in self.parties:
            if p.code == code:
                return p
        raise Invalid(f"unknown party {code!r}")

    def workstream(self, id_: str) -> Workstream:
        for w in self.workstreams:
            if w.id == id_:
                return w
        raise Invalid(f"unknown workstream {id_!r}")

    def urgency(self, level: str) -> UrgencyLevel:
        for u in self.urgency_levels:
            if u.level == level:
                return u
        raise Invalid(f"unknown urgency level {level!r} in this charter")

    def notified(self, target: Target, addressed: str) -> tuple[str, Role]:
        """The (party code, role) an escalation target means for an item addressed to a party."""
        if target.party == "own":
            return addressed, target.role
        if target.party == "supervisor":
            sup = self.supervisor
            if sup is None:
                raise Invalid("this charter has no supervising party")
            return sup.code, target.role
        return target.party, target.role

    def permissions(self, role: Role) -> frozenset[Permission]:
        """The role's permissions: the charter's [roles] override, else the built-in default."""
        if role in self.roles:
            return frozenset(self.roles[role])
        return ROLE_PERMISSIONS[role]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# -- where in the file -----------------------------------------------------------------------


class _Locator:
    """Maps each key path of a (valid) TOML document to the line it is written on.

    Array-of-tables elements and array elements get their index in the path, as in
    pydantic's error locations: ("parties", 1, "name", "he").
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.nl = [i for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[Loc, int] = {}
        self.aot: dict[Loc, int] = {}

    def _line(self) -> int:
        return bisect.bisect_left(self.nl, self.i) + 1

    def _mark(self, loc: Loc) -> None:
        self.lines.setdefault(loc, self._line())

    def _peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def _blank(self, newlines: bool) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                return

    def _string(self) -> str:
        s, start = self.s, self.i
        for q in ('"""', "'''"):
            if s.startswith(q, start):
                j = start + 3
                while not s.startswith(q, j):
                    j += 2 if q == '"""' and s[j] == "\\" else 1
                j += 3
                while j < len(s) and s[j] == q[0]:
                    j += 1
                self.i = j
                return s[start + 3 : j - 3]
        q = s[start]
        j = start + 1
        while s[j] != q:
            j += 2 if q == '"' and s[j] == "\\" else 1
        self.i = j + 1
        return s[start + 1 : j]

    def _key(self) -> list[str]:
        parts = []
        while True:
            self._blank(newlines=False)
            if self._peek() in {'"', "'"}:
                parts.append(self._string())
            else:
                m = re.compile(r"[A-Za-z0-9_-]+").match(self.s, self.i)
                if m is None:
                    raise ValueError("no key")
                parts.append(m[0])
                self.i = m.end()
            self._blank(newlines=False)
            if self._peek() != ".":
                return parts
            self.i += 1

    def _resolve(self, parts: list[str]) -> Loc:
        out: Loc = ()
        for p in parts:
            out = (*out, p)
            if out in self.aot:
                out = (*out, self.aot[out])
        return out

    def _keyval(self, table: Loc) -> None:
        here = self._line()
        full = (*table, *self._key())
        for n in range(len(table) + 1, len(full) + 1):
            self.lines.setdefault(full[:n], here)
        self._blank(newlines=False)
        if self._peek() != "=":
            raise ValueError("no =")
        self.i += 1
        self._blank(newlines=False)
        self._value(full)

    def _value(self, loc: Loc) -> None:
        c = self._peek()
        if c in {'"', "'"}:
            self._string()
        elif c == "[":
            self.i += 1
            n = 0
            while True:
                self._blank(newlines=True)
                if self._peek() in {"]", ""}:
                    self.i += 1
                    return
                self._mark((*loc, n))
                before = self.i
                self._value((*loc, n))
                if self.i == before:
                    raise ValueError("stuck")
                n += 1
                self._blank(newlines=True)
                if self._peek() == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self._blank(newlines=False)
                if self._peek() in {"}", ""}:
                    self.i += 1
                    return
                if self._peek() == ",":
                    self.i += 1
                    continue
                self._keyval(loc)
        else:
            m = re.compile(r"[^,\]}\n#]*").match(self.s, self.i)
            self.i = m.end() if m and m.end() > self.i else self.i + 1

    def run(self) -> dict[Loc, int]:
        table: Loc = ()
        try:
            while True:
                self._blank(newlines=True)
                if self.i >= len(self.s):
                    break
                if self._peek(2) == "[[":
                    here = self._line()
                    self.i += 2
                    parts = self._key()
                    self.i = self.s.index("]]", self.i) + 2
                    path = (*self._resolve(parts[:-1]), parts[-1])
                    n = self.aot.get(path, -1) + 1
                    self.aot[path] = n
                    table = (*path, n)
                    self.lines.setdefault(path, here)
                    self.lines.setdefault(table, here)
                elif self._peek() == "[":
                    here = self._line()
                    self.i += 1
                    table = self._resolve(self._key())
                    self.i = self.s.index("]", self.i) + 1
                    self.lines.setdefault(table, here)
                else:
                    self._keyval(table)
        except (ValueError, IndexError):
            pass  # best effort: keep what was found
        return self.lines


def _line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of `loc`, or of the nearest enclosing key that is written in the file."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _problems(exc: ValidationError) -> Iterator[tuple[Loc, str]]:
    for err in exc.errors():
        loc: Loc = tuple(x for x in err["loc"] if x != "[key]")
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, _Problems):
            for sub, msg in cause.problems:
                yield (*loc, *sub), msg
        elif err["type"] == "value_error" and isinstance(cause, ValueError):
            yield loc, str(cause)
        elif err["type"] in {"enum", "literal_error"}:
            yield loc, f"{err['msg']}, not {err['input']!r}"
        else:
            yield loc, err["msg"]


def parse_charter(text: str, source: str = "<charter>") -> Charter:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Charter.model_validate(data)
    except ValidationError as exc:
        lines = _Locator(text).run()
        msgs = []
        for loc, msg in _problems(exc):
            line = _line_of(lines, loc)
            where = f"{source}:{line}" if line else source
            msgs.append(f"{where}: {_dotted(loc) or '(charter)'}: {msg}")
        raise Invalid("invalid charter\n" + "\n".join(msgs)) from exc


def load_charter(path: Path) -> Charter:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{path}: cannot read the charter: {exc}") from exc
    return parse_charter(text, str(path))


def charter_text(name: str) -> str:
    """A charter shipped with the package: "paris.toml", "example-bilateral.toml"."""
    return resources.files("fusioncell.charter").joinpath(name).read_text("utf-8")


def paris_charter_text() -> str:
    return charter_text("paris.toml")
