"""Languages: Babel catalogs (ar, he, en), one Jinja environment per locale, `dir` from the
locale, and the rule for choosing a reader's language."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from fusioncell.web.labels import kind_label, role_label

LOCALES = ("ar", "he", "en")
RTL = frozenset({"ar", "he", "fa", "ur"})
HERE = Path(__file__).parent

# Explicit embeddings, overrides and isolates let a text reorder what is shown around it
# (the "Trojan Source" trick); they are shown as visible marks instead.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def direction(lang: str) -> str:
    return "rtl" if lang in RTL else "ltr"


@cache
def translations(lang: str) -> Translations:
    po = HERE / "locales" / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return Translations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext(lang: str, message: str) -> str:
    """`message` in `lang`, or as it is where the catalog has no translation."""
    if not message:  # gettext("") is the catalog's header
        return message
    return str(translations(lang).gettext(message))


def translate(lang: str, template: str, params: Mapping[str, object] | None = None) -> str:
    """A message with values: translate the fixed template, then fill the values in."""
    text = gettext(lang, template)
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):  # a broken translation: the English, then
        return template % params


def neutralise_bidi(text: str) -> str:
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def usertext(value: Any, lang: str | None = None) -> Markup:
    """A user's text, isolated (<bdi>) so it cannot reorder the page around it."""
    text = escape(neutralise_bidi(str(value)))
    attr = f' lang="{escape(lang)}" dir="{direction(lang)}"' if lang else ' dir="auto"'
    return Markup(f"<bdi{attr}>{text}</bdi>")  # noqa: S704 - every part escaped above


def ltr(value: Any) -> Markup:
    """A value written left to right in any page (sizes, codes, lists of types), isolated so
    that an RTL sentence around it does not reorder it ("1.5 MB", not "MB 1.5")."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["usertext"] = usertext
    env.filters["ltr"] = ltr
    tr = translations(lang)
    env.filters["kind_label"] = lambda kind: kind_label(kind, tr.gettext)
    env.filters["role_label"] = lambda role: role_label(role, tr.gettext)
    env.globals["lang"] = lang
    env.globals["dir"] = direction(lang)
    env.globals["LOCALES"] = LOCALES
    env.globals["locale_name"] = lambda code: Locale.parse(code).get_display_name(code) or code

    def when(t: datetime | str, zone: str = "UTC") -> str:
        if isinstance(t, str):
            t = datetime.fromisoformat(t.replace("Z", "+00:00"))
        return format_datetime(t.astimezone(ZoneInfo(zone)), "medium", locale=lang)

    env.filters["when"] = when

    @pass_context
    def moment(ctx: Context, t: datetime | str | None, fmt: str = "medium") -> Markup:
        """A time in the reader's language and time zone (the page's `reader_zone`, else
        UTC), with the UTC time on hover and in `datetime` for machines."""
        if t is None or t == "":
            return Markup("")
        if isinstance(t, str):
            t = datetime.fromisoformat(t.replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        zone = ZoneInfo(str(ctx.get("reader_zone") or "UTC"))
        utc = t.astimezone(UTC)
        shown = format_datetime(t.astimezone(zone), fmt, tzinfo=zone, locale=lang)
        return Markup('<time datetime="{}" title="{}"><bdi>{}</bdi></time>').format(
            utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.strftime("%Y-%m-%d %H:%M:%S UTC"), shown
        )

    def number(value: float, digits: int | None = None) -> Markup:
        """A number in the reader's locale's digits and separators, isolated."""
        fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
        return Markup("<bdi>{}</bdi>").format(format_decimal(value, format=fmt, locale=lang))

    env.filters["moment"] = moment
    env.filters["number"] = number
    return env


def parse_accept_language(header: str | None) -> list[str]:
    """Languages in the order the browser prefers them (q-values honoured)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        bits = part.strip().split(";")
        tag = bits[0].strip()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(
    member_choice: str | None, cookie: str | None, accept: str | None, charter_langs: Sequence[str]
) -> str:
    """The member's choice, else the language switch's cookie, else the browser's
    Accept-Language, else the charter's first language."""
    available = [x for x in charter_langs if x in LOCALES] or list(LOCALES)
    for pick in (member_choice, cookie):
        if pick in available:
            return str(pick)
    for tag in parse_accept_language(accept):
        base = tag.split("-")[0]
        if base in available:
            return base
    return available[0]
