"""Checking a page's texts marked for translation (data-entry, data-field): every mark
names a text the reader may read, and the page shows exactly that text as the original.

Asked of /api/v1/translations as the reader, so a wrong index, a wrong field name or a
text of an entry hidden from the reader fails here as translate.js would fail."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import escape

MARK = re.compile(r'data-entry="(\d+)" data-field="([a-z0-9_]+)"')


def marks(html: str) -> list[tuple[int, str]]:
    """The (log index, field) pairs marked on a page, in order, once each."""
    return list(dict.fromkeys((int(i), f) for i, f in MARK.findall(html)))


def check_marks(
    http: Any, who: Any, html: str, *, to: str = "en", whole: bool = True
) -> dict[tuple[int, str], Any]:
    """Every mark of `html` answered for `who` and (`whole`: not an excerpt) its original
    shown on the page; the items by (index, field)."""
    found = marks(html)
    assert found, "no text marked for translation"
    items: dict[tuple[int, str], Any] = {}
    for start in range(0, len(found), 100):
        chunk = found[start : start + 100]
        r = http.get(
            "/api/v1/translations",
            params=[("to", to), *[("t", f"{i}:{f}") for i, f in chunk]],
            headers=who.headers,
        )
        assert r.status_code == 200, (chunk, r.text[:300])
        for item in r.json()["items"]:
            items[(item["entry"], item["field"])] = item
    for key in found if whole else ():
        original = items[key]["original"]
        assert str(escape(original["text"])) in html, (key, original["text"])
    return items
