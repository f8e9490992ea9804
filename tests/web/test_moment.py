"""Times and numbers in the reader's language and zone (Babel), with UTC on hover."""

from __future__ import annotations

import pytest

from fusioncell.web.i18n import environment


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", "Nov 26, 2026, 12:05:00\u202fPM"),
        ("he", "26 \u05d1\u05e0\u05d5\u05d1\u05f3 2026, 12:05:00"),  # 26 Nov. in Hebrew
        ("ar", "12:05:00"),
    ],
)
def test_a_time_in_the_readers_zone_with_utc_on_hover(lang: str, shown: str) -> None:
    t = environment(lang).from_string("{{ t|moment }}")
    html = t.render(t="2026-11-26T09:05:00.123Z", reader_zone="Asia/Damascus")
    assert html.startswith('<time datetime="2026-11-26T09:05:00Z" title="2026-11-26 09:05:00 UTC">')
    assert shown in html
    # no zone known (a signed-out page): UTC; nothing for no time
    assert "09:05:00" in t.render(t="2026-11-26T09:05:00Z")
    assert t.render(t=None) == ""


def test_numbers_in_the_readers_locale_isolated() -> None:
    t = environment("en").from_string("{{ 1234567.5|number(1) }} {{ 25000|number }}")
    assert t.render() == "<bdi>1,234,567.5</bdi> <bdi>25,000</bdi>"
