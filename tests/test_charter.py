"""The charter: the Paris demo as the spec gives it, durations, and errors that say where."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import rfc8785

from fusioncell.authz.permissions import ROLE_PERMISSIONS, Permission, Role
from fusioncell.charter.schema import (
    NOT_SCHEDULED,
    Charter,
    Target,
    Urgency,
    charter_text,
    format_duration,
    load_charter,
    paris_charter_text,
    parse_charter,
    parse_duration,
)
from fusioncell.errors import Invalid

ARABIC = re.compile(r"[\u0600-\u06ff]")
HEBREW = re.compile(r"[\u0590-\u05ff]")
PARIS = paris_charter_text()


@pytest.fixture(scope="module")
def paris() -> Charter:
    return parse_charter(PARIS, "paris.toml")


# -- the Paris charter -------------------------------------------------------------------------


def test_paris_mechanism_and_parties(paris: Charter) -> None:
    assert paris.mechanism.origin == "paris.fusioncell.example/log"
    assert paris.languages == ["ar", "he", "en"]
    assert paris.mechanism.name["ar"].startswith("آلية الدمج والتنسيق المشتركة")
    assert HEBREW.search(paris.mechanism.name["he"])
    assert paris.codes == ["IL", "SY", "US"]
    assert paris.party("IL").languages == ["he", "en"]
    assert paris.party("IL").timezone == "Asia/Jerusalem"
    assert paris.party("SY").languages == ["ar", "en"]
    assert paris.party("SY").timezone == "Asia/Damascus"
    sup = paris.supervisor
    assert sup is not None and sup.code == "US" and sup.sees_all
    assert not paris.party("IL").sees_all and not paris.party("SY").supervisor
    assert [w.id for w in paris.workstreams] == [
        "intelligence",
        "deescalation",
        "diplomatic",
        "commercial",
        "disputes",
        "general",
        "understandings",
    ]
    assert paris.rtl("ar") and paris.rtl("he") and not paris.rtl("en")
    with pytest.raises(Invalid, match="unknown party"):
        paris.party("XX")


def test_paris_urgency_levels_and_escalation(paris: Charter) -> None:
    assert [u.level for u in paris.urgency_levels] == list(Urgency)
    own_hod = Target("own", Role.HEAD_OF_DELEGATION)
    flash = paris.urgency("FLASH")
    assert flash.ack_within == timedelta(minutes=5) and flash.requires_ack
    assert [s.after for s in flash.escalation] == [timedelta(0)]
    assert flash.escalation[0].times == [timedelta(0), timedelta(minutes=5), timedelta(minutes=10)]
    assert flash.escalation[0].targets == [own_hod, Target("supervisor", Role.DUTY_OFFICER)]
    immediate = paris.urgency(Urgency.IMMEDIATE)
    assert immediate.ack_within == timedelta(minutes=30) and immediate.requires_ack
    assert [s.targets for s in immediate.escalation] == [[own_hod]]
    priority = paris.urgency("PRIORITY")
    assert priority.ack_within == timedelta(hours=4) and priority.requires_ack
    assert [s.targets for s in priority.escalation] == [
        [Target("own", Role.DUTY_OFFICER)],
        [own_hod],
    ]
    assert priority.escalation[0].after < priority.escalation[1].after
    routine = paris.urgency("ROUTINE")
    assert routine.ack_within == timedelta(hours=24)
    assert not routine.requires_ack and routine.escalation == []
    for u in paris.urgency_levels:
        assert set(u.name) == {"ar", "he", "en"}
    # What a target means for an item addressed to Syria.
    assert [paris.notified(t, "SY") for t in flash.escalation[0].targets] == [
        ("SY", Role.HEAD_OF_DELEGATION),
        ("US", Role.DUTY_OFFICER),
    ]
    with pytest.raises(Invalid, match="urgency level"):
        paris.urgency("URGENT")


def test_paris_clocks_and_line_checks(paris: Charter) -> None:
    assert paris.clocks.clarification_answer == timedelta(hours=48)
    assert paris.clocks.dispute_answer == timedelta(hours=72)
    assert paris.clocks.planned_activity_notice == timedelta(hours=72)
    assert paris.clocks.rfi_answer == timedelta(hours=72)
    lc = paris.line_checks
    assert lc is not None
    assert lc.times == [time(9, 0), time(17, 0)]
    assert lc.timezone == "Asia/Damascus"
    assert lc.answer_within == timedelta(minutes=10)


def test_paris_understandings(paris: Charter) -> None:
    us = paris.understandings
    assert len(us) == 8
    assert [u.kind for u in us] == ["joint"] * 4 + ["stated"] * 4
    assert [u.stated_by for u in us] == [None] * 4 + ["IL", "IL", "SY", "SY"]
    assert {u.source["en"] for u in us[:4]} == {"Joint statement, Paris"}
    assert {u.source["en"] for u in us[4:6]} == {"Prime Minister's Office (Israel)"}
    assert {u.source["en"] for u in us[6:]} == {"A Syrian official, to Reuters"}
    assert us[0].parties == ["IL", "SY"]
    assert us[1].parties == ["IL", "SY", "US"]
    assert us[3].parties == ["US"]
    for u in us:
        for texts in (u.text, u.source):
            assert set(texts) == {"ar", "he", "en"}
            assert ARABIC.search(texts["ar"]) and HEBREW.search(texts["he"])
            assert not ARABIC.search(texts["en"]) and not HEBREW.search(texts["en"])
    words = [
        "lasting security and stability",
        "communication cell",
        "disagreements promptly",
        "supporting the implementation",
        "Druze",
        "threats along its borders",
        "immediate halt",
        "8 December",
    ]
    for u, w in zip(us, words, strict=True):
        assert w in u.text["en"], (u.id, w)
    assert "الدرزية" in us[4].text["ar"] and "הדרוזי" in us[4].text["he"]
    assert "8 ديسمبر" in us[7].text["ar"] and "8 בדצמבר" in us[7].text["he"]


def test_paris_round(paris: Charter) -> None:
    (r,) = paris.rounds
    assert r.delegations == ["IL", "SY", "US"]
    assert r.place["en"] == "Paris"
    assert r.next_round == NOT_SCHEDULED
    assert r.note is not None and "several months" in r.note["en"]


def test_roles_default_to_the_built_in_permissions(paris: Charter) -> None:
    assert paris.roles == {}
    for role in Role:
        assert paris.permissions(role) == ROLE_PERMISSIONS[role]


def test_json_round_trip_is_canonical(paris: Charter) -> None:
    """Entry 0 carries `to_json()`; the cell reads the charter back from it."""
    j = paris.to_json()
    assert "urgency" in j and "urgency_levels" not in j
    assert j["urgency"][0]["ack_within"] == "5m"
    assert j["clocks"]["dispute_answer"] == "72h"
    assert j["line_checks"]["times"] == ["09:00", "17:00"]
    assert j["rounds"][0]["next_round"] == "not scheduled"
    assert Charter.model_validate(j) == paris
    rfc8785.dumps(j)  # canonical JSON: no floats, no surprises


def test_load_charter_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(PARIS, encoding="utf-8")
    assert load_charter(path).codes == ["IL", "SY", "US"]
    with pytest.raises(Invalid, match="cannot read"):
        load_charter(tmp_path / "missing.toml")


# -- another mechanism -------------------------------------------------------------------------


def test_the_bilateral_example_loads() -> None:
    c = parse_charter(charter_text("example-bilateral.toml"), "example-bilateral.toml")
    assert c.codes == ["AA", "BB", "UN"]
    assert c.languages == ["en", "fr"]
    assert not any(c.rtl(lang) for lang in c.languages)
    sup = c.supervisor
    assert sup is not None and sup.code == "UN"
    assert [u.level for u in c.urgency_levels] == [Urgency.IMMEDIATE, Urgency.ROUTINE]
    step = c.urgency("IMMEDIATE").escalation[1]
    assert [c.notified(t, "AA") for t in step.targets] == [
        ("UN", Role.SUPERVISOR),
        ("UN", Role.DUTY_OFFICER),
    ]
    assert c.urgency("ROUTINE").ack_within == timedelta(days=2)
    assert c.clocks.dispute_answer == timedelta(days=7)
    assert c.clocks.clarification_answer == timedelta(hours=48)  # the default
    assert c.line_checks is None
    assert c.understandings[1].stated_by == "BB"
    assert c.rounds[0].next_round == date(2025, 4, 7)
    assert c.permissions(Role.AUDITOR) == frozenset({Permission.LOG_READ})
    assert Charter.model_validate(c.to_json()) == c


# -- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("24h", timedelta(hours=24)),
        ("72h", timedelta(hours=72)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("1d12h", timedelta(hours=36)),
        ("0m", timedelta(0)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


def test_durations_format() -> None:
    assert format_duration(timedelta(minutes=5)) == "5m"
    assert format_duration(timedelta(hours=72)) == "72h"
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_duration(timedelta(0)) == "0m"


@pytest.mark.parametrize("text", ["", "5", "m", "5 m", "-5m", "1.5h", "5min", "4H", "1m1h", "2w"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(Invalid, match="not a duration"):
        parse_duration(text)


def test_a_duration_is_a_string() -> None:
    with pytest.raises(Invalid, match="a duration is a string"):
        parse_duration(5)  # type: ignore[arg-type]


# -- broken charters ---------------------------------------------------------------------------


def _nth_line(marker: str, n: int = 1) -> Callable[[str], int]:
    """The line of the n-th line of the text that contains `marker`."""

    def find(text: str) -> int:
        hits = [i for i, x in enumerate(text.splitlines(), 1) if marker in x]
        return hits[n - 1]

    return find


def _replace(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


# case -> (edit, field path, words, the expected line (None: no line is knowable))
BROKEN: dict[str, tuple[Callable[[str], str], str, str, Callable[[str], int] | None]] = {
    "unknown field": (
        _replace('level = "IMMEDIATE"', 'level = "IMMEDIATE"\ncolour = "red"'),
        "urgency.1.colour",
        "Extra inputs are not permitted",
        _nth_line("colour"),
    ),
    "repeat without every": (
        _replace('repeat = 2, every = "5m"', "repeat = 2"),
        "urgency.0.escalation.0.every",
        "needs `every`",
        _nth_line("repeat = 2"),
    ),
    "every without repeat": (
        _replace('repeat = 2, every = "5m"', 'every = "5m"'),
        "urgency.0.escalation.0.repeat",
        "needs `repeat`",
        _nth_line('every = "5m"'),
    ),
    "too many repeats": (
        _replace("repeat = 2,", "repeat = 500,"),
        "urgency.0.escalation.0.repeat",
        "less than or equal to 24",
        _nth_line("repeat = 500"),
    ),
    "unknown top-level table": (
        lambda t: t + '\n[weather]\nsky = "blue"\n',
        "weather",
        "Extra inputs",
        _nth_line("[weather]"),
    ),
    "unknown role in escalation": (
        _replace('"supervisor:duty_officer"', '"supervisor:king"'),
        "urgency.0.escalation.0.notify.1",
        "unknown role 'king'",
        _nth_line("supervisor:king"),
    ),
    "unknown role in a later step": (
        _replace(
            'after = "1h", notify = ["own:head_of_delegation"]',
            'after = "1h", notify = ["own:hod"]',
        ),
        "urgency.2.escalation.1.notify.0",
        "unknown role 'hod'",
        _nth_line("own:hod"),
    ),
    "bad target": (
        _replace('"own:head_of_delegation"', '"head_of_delegation"'),
        "urgency.0.escalation.0.notify.0",
        "not a target",
        _nth_line('"head_of_delegation"'),
    ),
    "unknown party in a target": (
        _replace('"supervisor:duty_officer"', '"ZZ:duty_officer"'),
        "urgency.0.escalation.0.notify.1",
        "unknown party 'ZZ'",
        _nth_line("ZZ:duty_officer"),
    ),
    "steps out of order": (
        _replace('after = "1h"', 'after = "0m"'),
        "urgency.2.escalation.1.after",
        "later and later",
        _nth_line('after = "0m", notify = ["own:head_of_delegation"]', 2),
    ),
    "unknown party in understanding": (
        _replace('parties = ["IL", "US"]', 'parties = ["IL", "XX"]'),
        "understandings.6.parties.1",
        "unknown party 'XX'",
        _nth_line('"XX"'),
    ),
    "unknown stated_by": (
        _replace('stated_by = "SY"', 'stated_by = "SYR"'),
        "understandings.6.stated_by",
        "unknown party 'SYR'",
        _nth_line('stated_by = "SYR"'),
    ),
    "unknown workstream in understanding": (
        _replace('workstream = "disputes"', 'workstream = "quarrels"'),
        "understandings.2.workstream",
        "unknown workstream 'quarrels'",
        _nth_line("quarrels"),
    ),
    "stated without stated_by": (
        _replace('stated_by = "IL"\n', ""),
        "understandings.4.stated_by",
        'required when kind = "stated"',
        _nth_line("[[understandings]]", 5),
    ),
    "joint with stated_by": (
        _replace('kind = "joint"\n', 'kind = "joint"\nstated_by = "US"\n'),
        "understandings.0.stated_by",
        'only for kind = "stated"',
        _nth_line('stated_by = "US"'),
    ),
    "bad kind": (
        _replace('kind = "joint"', 'kind = "rumour"'),
        "understandings.0.kind",
        "'joint' or 'stated'",
        _nth_line("rumour"),
    ),
    "duplicate understanding": (
        _replace('id = "us-support"', 'id = "disagreements"'),
        "understandings.3",
        "must be unique",
        _nth_line("[[understandings]]", 4),
    ),
    "bad duration": (
        _replace('ack_within = "30m"', 'ack_within = "30 minutes"'),
        "urgency.1.ack_within",
        "not a duration",
        _nth_line("30 minutes"),
    ),
    "zero duration": (
        _replace('answer_within = "10m"', 'answer_within = "0m"'),
        "line_checks.answer_within",
        "longer than zero",
        _nth_line('answer_within = "0m"'),
    ),
    "bad clock": (
        _replace('dispute_answer = "72h"', 'dispute_answer = "3 days"'),
        "clocks.dispute_answer",
        "not a duration",
        _nth_line("3 days"),
    ),
    "unknown clock": (
        _replace('rfi_answer = "72h"', 'rfi_answer = "72h"\nlunch = "1h"'),
        "clocks.lunch",
        "Extra inputs",
        _nth_line("lunch"),
    ),
    "bad time": (
        _replace('"17:00"', '"25:00"'),
        "line_checks.times.1",
        "HH:MM",
        _nth_line('"25:00"'),
    ),
    "bad line check zone": (
        _replace(
            'timezone = "Asia/Damascus"\nanswer_within', 'timezone = "Asia/Nowhere"\nanswer_within'
        ),
        "line_checks.timezone",
        "unknown time zone",
        _nth_line("Asia/Nowhere"),
    ),
    "missing language name": (
        _replace(
            'name = { en = "Immediate", ar = "عاجل", he = "מיידי" }',
            'name = { en = "Immediate", ar = "عاجل" }',
        ),
        "urgency.1.name.he",
        "every cell language",
        _nth_line('name = { en = "Immediate"'),
    ),
    "missing language text": (
        lambda t: re.sub(r'text\.he = "שני.*\n', "", t),
        "understandings.0.text.he",
        "every cell language",
        _nth_line("text.en", 1),
    ),
    "empty text": (
        _replace('source.he = "ההצהרה המשותפת, פריז"', 'source.he = "  "'),
        "understandings.0.source.he",
        "every cell language",
        _nth_line('source.he = "  "'),
    ),
    "name in a language outside the cell": (
        _replace('name.en = "Israel"', 'name.en = "Israel"\nname.fr = "Israël"'),
        "parties.0.name.fr",
        "not a cell language",
        _nth_line("Israël"),
    ),
    "party language outside the cell": (
        _replace('languages = ["he", "en"]', 'languages = ["he", "en", "ru"]'),
        "parties.0.languages.2",
        "'ru' is not a cell language",
        _nth_line('"ru"'),
    ),
    "duplicate urgency level": (
        _replace('level = "IMMEDIATE"', 'level = "FLASH"'),
        "urgency.1.level",
        "FLASH is given twice",
        _nth_line('level = "FLASH"', 2),
    ),
    "urgency out of order": (
        _replace('level = "FLASH"', 'level = "ROUTINE"'),
        "urgency.1.level",
        "levels go in this order",
        _nth_line('level = "IMMEDIATE"'),
    ),
    "unknown urgency level": (
        _replace('level = "FLASH"', 'level = "URGENT"'),
        "urgency.0.level",
        "'FLASH', 'IMMEDIATE', 'PRIORITY' or 'ROUTINE'",
        _nth_line("URGENT"),
    ),
    "lower level, shorter deadline": (
        _replace('ack_within = "24h"', 'ack_within = "1h"'),
        "urgency.3.ack_within",
        "shorter deadline",
        _nth_line('ack_within = "1h"'),
    ),
    "no urgency levels": (
        lambda t: t.split("# --- Urgency levels")[0],
        "urgency",
        "Field required",
        None,
    ),
    "sees_all without a supervisor": (
        _replace("supervisor = true\n", ""),
        "parties.2.sees_all",
        "exactly one supervising party",
        _nth_line("sees_all"),
    ),
    "two supervisors": (
        _replace('timezone = "Asia/Jerusalem"', 'timezone = "Asia/Jerusalem"\nsupervisor = true'),
        "parties",
        "at most one party supervises",
        _nth_line("[[parties]]"),
    ),
    "unknown delegation": (
        _replace('delegations = ["IL", "SY", "US"]', 'delegations = ["IL", "SY", "FR"]'),
        "rounds.0.delegations.2",
        "unknown party 'FR'",
        _nth_line('"FR"'),
    ),
    "bad next round": (
        _replace('next_round = "not scheduled"', 'next_round = "soon"'),
        "rounds.0.next_round",
        "neither a date",
        _nth_line("soon"),
    ),
    "next round before this one": (
        _replace('next_round = "not scheduled"', "held_on = 2025-06-02\nnext_round = 2025-01-01"),
        "rounds.0.next_round",
        "after held_on",
        _nth_line("next_round"),
    ),
    "bad permission in [roles]": (
        lambda t: t + '\n[roles]\nauditor = ["log:read", "log:delete"]\n',
        "roles.auditor.1",
        "'log:read'",
        _nth_line("log:delete"),
    ),
    "unknown role in [roles]": (
        lambda t: t + '\n[roles]\nking = ["log:read"]\n',
        "roles.king",
        "'party_admin'",
        _nth_line("king"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_charters_name_file_line_field(case: str) -> None:
    edit, field, words, line = BROKEN[case]
    text = edit(PARIS)
    with pytest.raises(Invalid) as e:
        parse_charter(text, "my.toml")
    msg = e.value.message
    assert msg.startswith("invalid charter\n")
    problem = next((x for x in msg.splitlines() if f": {field}: " in x), None)
    assert problem is not None, msg
    assert words in problem, msg
    if line is None:
        assert problem.startswith(f"my.toml: {field}: "), msg
    else:
        assert problem.startswith(f"my.toml:{line(text)}: {field}: "), msg


def test_every_problem_is_reported_at_once() -> None:
    text = PARIS.replace('parties = ["IL", "US"]', 'parties = ["IL", "XX"]').replace(
        'delegations = ["IL", "SY", "US"]', 'delegations = ["IL", "SY", "FR"]'
    )
    with pytest.raises(Invalid) as e:
        parse_charter(text, "my.toml")
    assert "understandings.6.parties.1" in e.value.message
    assert "rounds.0.delegations.2" in e.value.message


def test_not_toml_names_the_file() -> None:
    with pytest.raises(Invalid, match=r"^my\.toml: not valid TOML"):
        parse_charter('[mechanism]\norigin = "x', "my.toml")
