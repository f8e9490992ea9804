"""The registry of translatable texts (fusioncell.language.fields), lists of {text, lang}
included: a meeting's title in two languages and its agenda are one field per item."""

from __future__ import annotations

from fusioncell.diplomacy import kinds as diplomacy_kinds
from fusioncell.language import fields
from fusioncell.language.kinds import FIELD_RE

MEETING = "diplomacy.meeting.scheduled"
BODY = {
    "title": [{"text": "Plenary", "lang": "en"}, {"text": "מליאה", "lang": "he"}],
    "agenda": [{"text": "Opening", "lang": "en"}, {"text": "ترتيبات الأمن", "lang": "ar"}],
    "place": "not a list",
}


def test_a_list_item_is_a_field_of_its_own() -> None:
    assert fields.original(MEETING, "title_0", BODY) == ("Plenary", "en")
    assert fields.original(MEETING, "title_1", BODY) == ("מליאה", "he")
    assert fields.original(MEETING, "agenda_1", BODY) == ("ترتيبات الأمن", "ar")
    # past the list's end, a malformed body, or a field not registered: nothing
    assert fields.original(MEETING, "title_2", BODY) is None
    assert fields.original(MEETING, "place_0", BODY) is None
    assert fields.original(MEETING, "agenda_1", {"agenda": {"1": BODY["agenda"][1]}}) is None
    assert fields.original(MEETING, "title", BODY) is None


def test_every_agenda_item_and_field_name_is_valid() -> None:
    names = fields.fields_of(MEETING)
    assert f"agenda_{diplomacy_kinds.MAX_AGENDA - 1}" in names
    for kind in fields.REGISTRY:
        assert all(FIELD_RE.match(f) for f in fields.fields_of(kind)), kind
