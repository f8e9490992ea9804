"""Finding the glossary's terms in a text, in any of the cell's languages, and keeping them
through a machine translation.

Matching is on a normalised form that forgives what writers vary: Arabic diacritics
(tashkil), tatweel and the written forms of alef, yaa and taa marbuta; Hebrew niqqud and
cantillation and the final forms of letters; case and compatibility forms elsewhere. A
term matches at a word's start (Arabic and Hebrew proclitics, such as the Arabic waw
and al- or the Hebrew he and bet, may precede it) and ends where the word ends.
Positions refer to the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fusioncell.search.normalize import fold_mapped, is_mark

# The folding is search's (fusioncell.search.normalize, one home for both): Arabic marks,
# tatweel and letter forms (alef with hamza or madda, alef wasla, alef maqsura, yaa and waw
# with hamza, taa marbuta, Persian kaf and yaa); Hebrew niqqud, cantillation and final
# forms; gershayim and geresh as ASCII quotes; joiners and direction marks dropped; case.
# Letters that attach to the next word as prefixes (and, the, in, to, from, that, as):
# Arabic waw, fa, ba, lam, kaf, alef (of al-); Hebrew vav, he, bet, lamed, mem, shin, kaf.
_PROCLITICS = frozenset(
    "\u0648\u0641\u0628\u0644\u0643\u0627\u05d5\u05d4\u05d1\u05dc\u05de\u05e9\u05db"
)
_MAX_PROCLITICS = 3


def normalise(text: str) -> tuple[str, list[int]]:
    """The text's matching form, and for each of its characters the position in `text`
    of the character it came from."""
    return fold_mapped(text)


def norm(text: str) -> str:
    return " ".join(normalise(text)[0].split())


def _wordy(ch: str) -> bool:
    return ch.isalnum() or is_mark(ch)


@dataclass(frozen=True, slots=True)
class Term:
    """An adopted term: its id and agreed text in each language."""

    term: str
    texts: dict[str, str]


@dataclass(frozen=True, slots=True)
class Match:
    term: str
    start: int  # in the original text, code points
    end: int
    lang: str  # which language's equivalent matched


def _starts_word(hay: str, at: int) -> bool:
    """Is `at` a word's start, or after only proclitics that start a word?"""
    j = at
    while j > 0 and at - j < _MAX_PROCLITICS and hay[j - 1] in _PROCLITICS:
        j -= 1
        if j == 0 or not _wordy(hay[j - 1]):
            return True
    return at == 0 or not _wordy(hay[at - 1])


def find_terms(text: str, terms: Iterable[Term]) -> list[Match]:
    """Every term of `terms` in `text`, in any language, longest first where they
    overlap, in the order they appear."""
    hay, where = normalise(text)
    found: list[Match] = []
    for t in terms:
        for lang, equivalent in sorted(t.texts.items()):
            needle = norm(equivalent)
            if not needle:
                continue
            pattern = re.compile(r"\s+".join(re.escape(w) for w in needle.split()))
            for hit in pattern.finditer(hay):
                a, b = hit.start(), hit.end()
                if not _starts_word(hay, a) or (b < len(hay) and _wordy(hay[b])):
                    continue
                end = where[b - 1] + 1
                while end < len(text) and is_mark(text[end]):
                    end += 1
                found.append(Match(t.term, where[a], end, lang))
    found.sort(key=lambda f: (f.start, -(f.end - f.start), f.lang))
    kept: list[Match] = []
    for f in found:
        if kept and f.start < kept[-1].end:
            continue
        kept.append(f)
    return kept


# ---- keeping terms through a machine translation ----------------------------------------

# A token engines pass through untranslated (digits between brackets); the agreed
# equivalent replaces it afterwards.
_PLACEHOLDER = "[{}]"
_TOKEN_RE = re.compile(r"\[\s*(\d{1,3})\s*\]")


@dataclass(frozen=True, slots=True)
class Protected:
    text: str  # what the engine is given
    terms: tuple[str, ...]  # the term behind each token, by number


def protect(text: str, matches: Sequence[Match]) -> Protected:
    """`text` with each matched term replaced by a numbered token. Text already holding
    something that looks like a token is left alone (it could not be told apart)."""
    if not matches or _TOKEN_RE.search(text):
        return Protected(text, ())
    parts: list[str] = []
    at = 0
    names: list[str] = []
    for i, m in enumerate(matches):
        parts.append(text[at : m.start])
        parts.append(_PLACEHOLDER.format(i))
        names.append(m.term)
        at = m.end
    parts.append(text[at:])
    return Protected("".join(parts), tuple(names))


def restore(
    translated: str, protected: Protected, equivalents: dict[str, str]
) -> tuple[str, list[str]]:
    """The engine's output with each token replaced by its term's agreed equivalent in the
    target language; also the terms whose token did not come back (not enforced)."""
    seen: set[int] = set()

    def put(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n >= len(protected.terms):
            return m.group(0)
        seen.add(n)
        return equivalents.get(protected.terms[n], m.group(0))

    out = _TOKEN_RE.sub(put, translated)
    lost = [t for i, t in enumerate(protected.terms) if i not in seen]
    return out, lost


def utf16(text: str, at: int) -> int:
    """A code-point position as the browser counts (UTF-16 code units)."""
    return len(text[:at].encode("utf-16-le")) // 2
