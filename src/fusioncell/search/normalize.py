"""Text normalisation for search, the same for what is indexed and what is asked.

`fold` makes a text comparable: Unicode NFKC, then canonical decomposition with every
combining mark dropped (Arabic harakat, shadda, sukun, tanwin, the superscript alef, the
hamza and madda over or under an alef, waw or ya; Hebrew niqqud and cantillation; Latin
accents), tatweel, bidi controls and zero-width characters removed, the remaining Arabic
letter variants unified (ٱ -> ا, ة -> ه, ى -> ي), Hebrew final letters made regular, and
case folded. `terms` splits the folded text into words and stems each one by its script,
not by the text's declared language, so a text that mixes languages, and a query whose
language nobody states, are both treated right:

- Arabic: light stemming in the spirit of Larkey's light10 (a leading و, the definite
  articles ال وال بال كال فال لل, then the suffixes ها ان ات ون ين يه ية ه ة ي), keeping
  at least two letters; Snowball's Arabic stemmer was compared and left: it keeps
  "مفاوضا" from "مفاوضات" but "مفاوض" from "المفاوضة", so a plural misses its singular.
- Hebrew: the prefix letters ו ה ב כ ל מ ש, in any combination, keeping at least three.
- Latin script: Snowball's English stemmer (Porter2) through PyStemmer, the C build of
  the Snowball algorithms.

Each stemmer is applied until nothing changes, so `terms` is idempotent: the terms of a
text's terms are the same terms. Everything here is a pure function.
"""

# ruff: noqa: RUF001, RUF002, RUF003 - Arabic and Hebrew letters are the subject here
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Bidi embeddings, overrides, isolates and marks; zero-width space, joiners, word joiner,
# the BOM and the soft hyphen: invisible, and never part of a word.
INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"
)
TATWEEL = "\u0640"
_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef (the others decompose to alef + a mark)
        "\u0629": "\u0647",  # ta marbuta -> ha
        "\u0649": "\u064a",  # alef maqsura -> ya
        "\u05da": "\u05db",  # final kaf
        "\u05dd": "\u05de",  # final mem
        "\u05df": "\u05e0",  # final nun
        "\u05e3": "\u05e4",  # final pe
        "\u05e5": "\u05e6",  # final tsadi
        "\u06a9": "\u0643",  # Persian keheh -> kaf, as Arabic keyboards sometimes type it
        "\u06cc": "\u064a",  # Farsi yeh -> ya
        "\u05f4": '"',  # gershayim (outside an acronym) and geresh: the ASCII marks
        "\u05f3": "'",
        "\u2019": "'",
    }
)
_WORD = re.compile(r"[^\W_]+")
# The gershayim of a Hebrew acronym (צה"ל, written with either mark) belongs to the word.
ACRONYM = re.compile(r"(?<=[\u05d0-\u05ea])[\"\u05f4](?=[\u05d0-\u05ea])")

AR_PREFIXES = ("وال", "بال", "كال", "فال", "ال", "لل")  # light10's, longest first
# light10's suffixes after folding (ة is ه, ية is يه), in light10's order.
AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
HE_PREFIX_LETTERS = frozenset("והבכלמש")
HE_MIN_STEM = 3
AR_MIN_STEM = 2

_english = Stemmer.Stemmer("english")


def _drop(c: str) -> bool:
    return c in INVISIBLE or c == TATWEEL or unicodedata.category(c) == "Mn"


def is_mark(c: str) -> bool:
    """A character folding drops: a combining mark, tatweel, an invisible one."""
    return _drop(c)


@lru_cache(maxsize=8192)
def fold_char(c: str) -> str:
    """One character folded as `fold` folds it in a text (possibly several, or none)."""
    if _drop(c):
        return ""
    kept = "".join(
        x for x in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", c)) if not _drop(x)
    )
    return unicodedata.normalize("NFC", kept).translate(_LETTERS).casefold()


def fold_mapped(text: str) -> tuple[str, list[int]]:
    """The text folded character by character (as `fold`, but an acronym's gershayim is
    kept, as '"'), and for each folded character the position in `text` it came from:
    for finding a phrase in the folded text and marking it in the original."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for f in fold_char(ch):
            out.append(f)
            where.append(i)
    return "".join(out), where


# Every character `_drop` drops, for str.translate (in C): the indexer folds every text
# it writes, and a test per character in Python was a fifth of its time. Combining marks
# (Mn) exist only in planes 0, 1 and 14.
_DROPPED = dict.fromkeys(c for c in (*range(0x20000), *range(0xE0000, 0xE1000)) if _drop(chr(c)))


def fold(text: str) -> str:
    """The text made comparable, letter by letter (see the module's docstring)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ACRONYM.sub("", text)))
    kept = text.translate(_DROPPED)
    return unicodedata.normalize("NFC", kept).translate(_LETTERS).casefold()


def _is_arabic(c: str) -> bool:
    return "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f"


def _is_hebrew(c: str) -> bool:
    return "\u05d0" <= c <= "\u05ea"


def _arabic_once(w: str) -> str:
    if w.startswith("و") and len(w) - 1 >= 3:
        w = w[1:]
    for p in AR_PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= AR_MIN_STEM:
            w = w[len(p) :]
            break
    for s in AR_SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= AR_MIN_STEM:
            w = w[: -len(s)]
    return w


def _hebrew_once(w: str) -> str:
    while len(w) > HE_MIN_STEM and w[0] in HE_PREFIX_LETTERS:
        w = w[1:]
    return w


def _fixpoint(step: object, w: str) -> str:
    assert callable(step)
    while True:
        nxt = step(w)
        if nxt == w:
            return w
        w = nxt


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One folded word's index term."""
    if any(_is_arabic(c) for c in word):
        return _fixpoint(_arabic_once, word)
    if any(_is_hebrew(c) for c in word):
        return _fixpoint(_hebrew_once, word)
    if word.isascii() and not word.isdigit():
        return _fixpoint(_english.stemWord, word)
    return word


def words(text: str) -> list[str]:
    """The folded words of a text, before stemming."""
    return _WORD.findall(fold(text))


def terms(text: str) -> list[str]:
    """A text's index terms, in order (phrases need the order)."""
    return [stem(w) for w in words(text)]


def normalize(text: str) -> str:
    """A text's terms joined by spaces: what the full-text indexes hold."""
    return " ".join(terms(text))


# ---- finding the original words again, for highlighting ------------------------------

# A word of the original text: letters and digits with the marks, tatweel and invisible
# characters that may sit inside it (so a vocalised Arabic word is one span).
_ORIGINAL_WORD = re.compile(
    r"(?:[^\W_]|(?<=[\u05d0-\u05ea])[\"\u05f4](?=[\u05d0-\u05ea])|[\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    r"\u06d6-\u06ed\u0640\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u00ad])+"
)


@lru_cache(maxsize=100_000)
def _word_terms(word: str) -> tuple[str, ...]:
    # Snippets fold every word of each result shown; a record's words repeat, and folding
    # (three Unicode normalisations) costs more than the rest of a snippet.
    return tuple(terms(word))


def spans(text: str) -> list[tuple[int, int, list[str]]]:
    """Each word of the original text: (start, end, its terms)."""
    return [
        (m.start(), m.end(), list(_word_terms(m.group()))) for m in _ORIGINAL_WORD.finditer(text)
    ]
