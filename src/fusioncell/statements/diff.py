"""A side-by-side, word-level difference between two versions' texts (server-side).

Prose reads better word by word than line by line. A word here is a run of characters
that are not white space, so Arabic with its marks, Hebrew with its points and a word
with its punctuation are never cut in the middle; the spaces between them are tokens too,
so joining the pieces gives back each text exactly."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

_TOKEN = re.compile(r"\s+|\S+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def diff_words(a: str, b: str) -> list[dict[str, str]]:
    """[{op, a, b}]: op is equal, delete, insert or replace; `a` and `b` the pieces of each
    text, which joined in order give back `a` and `b`."""
    ta, tb = tokens(a), tokens(b)
    out: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        out.append({"op": op, "a": "".join(ta[i1:i2]), "b": "".join(tb[j1:j2])})
    return out


def diff_texts(
    languages: list[str], a: dict[str, str], b: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Per language of the cell: whether it changed, and the word-level pieces (a missing
    text counts as empty)."""
    out: dict[str, dict[str, Any]] = {}
    for lang in languages:
        ta, tb = a.get(lang, ""), b.get(lang, "")
        out[lang] = {
            "changed": ta != tb,
            "in_a": lang in a,
            "in_b": lang in b,
            "ops": diff_words(ta, tb),
        }
    return out
