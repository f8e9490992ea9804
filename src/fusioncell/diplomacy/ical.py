"""A meeting as an iCalendar file (RFC 5545), built with the `icalendar` library.

The UID is the meeting's id at the cell's origin, so a calendar that imports the file twice
keeps one event; DTSTART and DTEND carry the meeting's own time zone (TZID, with its
VTIMEZONE); SUMMARY and LOCATION are in the requester's language where the meeting gives
one, else in their original; the DESCRIPTION lists the agenda, each item in its language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from fusioncell.clock import parse_rfc3339

PRODID = "-//fusioncell//diplomacy//EN"


def pick(texts: list[dict[str, str]], lang: str | None) -> dict[str, str]:
    """The text in `lang` where there is one, else the original (the first)."""
    for t in texts:
        if t["lang"] == lang:
            return t
    return texts[0]


def meeting_ics(view: dict[str, Any], origin: str, lang: str | None) -> bytes:
    m = view["meeting"]
    zone = ZoneInfo(m["tz"])
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    ev = Event()
    ev.add("uid", f"{m['id']}@{origin}")
    # When the cell recorded it: the same on every download of the same meeting.
    ev.add("dtstamp", parse_rfc3339(m["scheduled"]["time"]))
    ev.add("dtstart", datetime.fromisoformat(m["start"]).replace(tzinfo=zone))
    ev.add("dtend", datetime.fromisoformat(m["end"]).replace(tzinfo=zone))
    title = pick(m["title"], lang)
    place = pick(m["place"], lang)
    ev.add("summary", title["text"], parameters={"LANGUAGE": title["lang"]})
    ev.add("location", place["text"], parameters={"LANGUAGE": place["lang"]})
    if m["agenda"]:
        lines = [f"{n}. {a['text']}" for n, a in enumerate(m["agenda"], 1)]
        ev.add("description", "\n".join(lines))
    ev.add("categories", ["diplomacy", view["round"]["id"]])
    cal.add_component(ev)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
