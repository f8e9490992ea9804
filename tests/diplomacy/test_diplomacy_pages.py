"""The diplomacy pages rendered by the app (no browser), in every language, and the demo's
record: the rounds with the next round "not yet scheduled", a round with its meetings and
items, a meeting with its forms offered only to those the log would accept, one 404."""

from __future__ import annotations

from typing import Any

import pytest

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.diplomacy import queries
from fusioncell.diplomacy.demo import ITEM_LIAISON, ITEM_PROCEDURE, PLENARY, seed_diplomacy
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey
from fusioncell.web import i18n
from tests.diplomacy.conftest import MakeMember
from tests.diplomacy.test_diplomacy import AGENDA, DELS, geneva, people, plenary
from tests.web.marks import check_marks, marks


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_the_pages(member: MakeMember, http: Any, lang: str) -> None:
    us, il, sy = people(member)
    il_duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    rid = geneva(us)
    mid = plenary(us, rid)
    item, _ = il.add_followup(mid, "להעביר מפות.", "he", "IL", due="2026-12-15")
    sy.record_minutes(mid, "محضر الجلسة.", "ar")
    private, _ = us.schedule_meeting(
        rid,
        [("Bilateral", "en")],
        [("Room 2", "en")],
        "2026-12-02T09:00",
        "2026-12-02T10:00",
        "Europe/Zurich",
        {"IL": ["head_of_delegation"], "US": ["supervisor"]},
        [],
    )

    listing = page(http, il, "/diplomacy", lang)
    assert f'data-round="{rid}"' in listing and 'data-round="paris"' in listing
    assert i18n.gettext(lang, "Not yet scheduled") in listing
    assert 'id="diplomacy-round-form"' not in listing  # the supervisor records rounds
    assert 'id="diplomacy-round-form"' in page(http, us, "/diplomacy", lang)

    r = page(http, sy, f"/diplomacy/r/{rid}", lang)
    assert f'data-meeting="{mid}"' in r and f'data-meeting="{private}"' not in r
    assert f'data-item="{item}"' in r and 'id="diplomacy-meeting-form"' not in r
    assert 'id="diplomacy-meeting-form"' in page(http, us, f"/diplomacy/r/{rid}", lang)

    m = page(http, il, f"/diplomacy/m/{mid}", lang)
    assert '<bdi lang="ar" dir="rtl">محضر الجلسة.</bdi>' in m
    assert f'href="/api/v1/diplomacy/meetings/{mid}.ics?lang={lang}"' in m
    assert 'id="diplomacy-minutes-form"' in m and 'data-diplomacy="close"' in m
    s = page(http, sy, f"/diplomacy/m/{mid}", lang)
    assert 'id="diplomacy-minutes-form"' in s and 'data-diplomacy="close"' not in s  # IL's item
    assert 'id="diplomacy-minutes-form"' not in page(http, il_duty, f"/diplomacy/m/{mid}", lang)

    # Hidden, missing and malformed: the same 404 page.
    page(http, sy, f"/diplomacy/m/{private}", lang, 404)
    page(http, sy, "/diplomacy/m/nosuchmeeting", lang, 404)
    page(http, sy, "/diplomacy/m/BAD!", lang, 404)
    page(http, sy, "/diplomacy/r/nosuchround", lang, 404)


def test_every_text_marked_for_translation_and_times_at_the_venue_and_the_readers(
    member: MakeMember, http: Any
) -> None:
    us, il, sy = people(member)
    rid = geneva(us)
    mid = plenary(us, rid)
    v1 = sy.record_minutes(mid, "محضر الجلسة.", "ar").index
    v2 = sy.record_minutes(mid, "محضر الجلسة، مصحح.", "ar").index
    outcome = us.record_outcome(mid, "Both agree to meet again.", "en").index
    _, added = il.add_followup(mid, "להעביר מפות.", "he", "IL", due="2026-12-15")
    done, done_added = sy.add_followup(mid, "تسليم القائمة.", "ar", "SY")
    closed = sy.close_followup(mid, done, "سُلّمت.", "ar").index
    nxt, _ = us.record_round([("Vienna", "en")], "2026-12-10", "2026-12-11", DELS, follows=rid)

    m = page(http, il, f"/diplomacy/m/{mid}", "he")
    # The title, place and agenda are the scheduling entry's lists of {text, lang}: the
    # text shown (the reader's language where given) is marked by its place in the list.
    [sched] = {i for i, f in marks(m) if f == "title_2"}  # "מליאה", the Hebrew title
    assert set(marks(m)) == {
        (sched, "title_2"),
        (sched, "place_0"),
        *((sched, f"agenda_{i}") for i in range(len(AGENDA))),
        (v1, "text"),
        (v2, "text"),
        (outcome, "text"),
        (added.index, "text"),
        (done_added.index, "text"),
        (closed, "text"),
    }
    check_marks(http, il, m)
    # 10:00 in Geneva is 09:00 UTC, 11:00 in Jerusalem: both shown, UTC on hover.
    assert m.count('<time datetime="2026-12-01T09:00:00Z" title="2026-12-01 09:00:00 UTC">') == 2
    assert "10:00:00" in m and "11:00:00" in m
    r = page(http, sy, f"/diplomacy/r/{rid}", "ar")
    assert (added.index, "text") in marks(r)
    assert {(sched, "title_1"), (sched, "place_0")} <= set(marks(r))  # the meetings' table
    [recorded] = {i for i, f in marks(r) if f == "place_1"}  # "جنيف", the round's place
    assert recorded < sched
    check_marks(http, sy, r)
    # The open item is carried into the next round's agenda, marked there too.
    carried = page(http, sy, f"/diplomacy/r/{nxt}", "en")
    assert (added.index, "text") in marks(carried) and (done_added.index, "text") not in marks(
        carried
    )
    check_marks(http, sy, carried)


MEMBERS = {
    "il-head": Role.HEAD_OF_DELEGATION,
    "sy-head": Role.HEAD_OF_DELEGATION,
    "us-supervisor": Role.SUPERVISOR,
}


def test_the_demo(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in MEMBERS.items():
        party = m.split("-")[0].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_diplomacy(cell, keys)
    sy = Principal("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    [paris] = queries.rounds(cell, sy)
    assert paris["next"]["state"] == "not_scheduled"
    assert (paris["start"], paris["end"]) == ("2026-01-05", "2026-01-06")
    assert [d["party"] for d in paris["delegations"]] == ["IL", "SY", "US"]
    view = queries.meeting_view(cell, sy, PLENARY)
    assert {a["lang"] for a in view["meeting"]["agenda"]} == {"ar", "he", "en"}
    assert view["minutes"][0]["lang"] == "en"
    assert "joint fusion mechanism is established" in view["outcomes"][0]["text"]
    states = {f["id"]: f["state"] for f in view["followups"]}
    assert states == {ITEM_LIAISON: "closed", ITEM_PROCEDURE: "open"}
    assert [i["id"] for i in queries.round_view(cell, sy, "paris")["open"]] == [ITEM_PROCEDURE]
    assert DELS  # the same roles as the tests' rounds use
