"""Normalisation: real words in Arabic, Hebrew and English, and its properties."""

# ruff: noqa: RUF001 - Arabic and Hebrew words
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fusioncell.search.normalize import fold, normalize, terms, words
from fusioncell.search.queries import Query, parse, snippet


def test_arabic_vocalised_and_prefixed_forms_meet() -> None:
    # Diacritics, shadda, tanwin, tatweel, alef forms, ta marbuta, prefixes and suffixes.
    assert terms("وَالْمُفَاوَضَاتُ") == terms("المفاوضة") == terms("مفاوضات") == ["مفاوض"]
    assert terms("بالحُدُودِ") == terms("الحدود") == ["حدود"]
    assert fold("أمن إسرائيل آمن ٱلسلام") == "امن اسراييل امن السلام"
    assert fold("مستشفى مؤتمر رئيس") == "مستشفي موتمر رييس"
    assert fold("كـــتـــاب") == "كتاب"
    assert fold("كِتَابٌ") == "كتاب"
    assert terms("والمدرسة") == terms("مدرسة") == terms("للمدرسة")
    assert terms("ﻻ") == ["لا"]  # a presentation form (NFKC)


def test_hebrew_niqqud_finals_and_prefixes() -> None:
    assert fold("שָׁלוֹם") == "שלומ"
    assert terms("וְהַמַּשָׂא") == terms("משא")
    assert terms("וההסכם") == terms("הסכם") == terms("בהסכם") == terms("שהסכם")
    assert fold("ך ם ן ף ץ") == "כ מ נ פ צ"
    assert terms('צה"ל') == terms("צה״ל") == ["צהל"]


def test_english_stemming_and_case() -> None:
    assert terms("Negotiations negotiated NEGOTIATING") == ["negoti"] * 3
    assert terms("ceasefire violations") == terms("Ceasefire violation")
    assert fold("Café ﬁle") == "cafe file"


def test_invisible_characters_are_neutralised() -> None:
    assert words("a\u200bb c\u202ed\u2066e\u200f") == ["ab", "cde"]
    assert fold("\ufeffx\u00ady") == "xy"


def test_snippet_marks_the_original_words() -> None:
    text = "نُرِيدُ تَمْدِيدَ وَالمُفَاوَضَاتِ حَوْلَ الحُدُودِ"
    segments = snippet(text, parse("مفاوضات حدود"))
    assert "".join(s["text"] for s in segments) == text
    assert [s["text"] for s in segments if s["mark"]] == ["وَالمُفَاوَضَاتِ", "الحُدُودِ"]


texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200
) | st.lists(
    st.sampled_from(
        ["وَالْمُفَاوَضَاتُ", "بالحدود", "וְהַמַּשָׂא", "וההסכם", "Negotiations", 'צה"ל', "ـ", "\u200f"]
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_normalisation_is_idempotent_and_never_raises(text: str) -> None:
    n = normalize(text)
    assert normalize(n) == n
    assert fold(fold(text)) == fold(text)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_every_word_of_a_text_finds_it(text: str) -> None:
    index = set(terms(text))
    for w in text.split():
        assert set(terms(w)) <= index


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parsing_any_query_never_raises_but_invalid(raw: str) -> None:
    from fusioncell.errors import Invalid

    try:
        q = parse(raw)
    except Invalid:
        return
    assert isinstance(q, Query) and q.groups
    snippet(raw, q)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_the_glossary_folds_as_search_does(text: str) -> None:
    """fold_mapped (the glossary's) folds each character as fold does, and says where each
    folded character came from."""
    from fusioncell.search.normalize import ACRONYM, fold_mapped

    plain = ACRONYM.sub("", text)
    folded, where = fold_mapped(plain)
    assert folded == fold(plain)
    assert len(where) == len(folded) and where == sorted(where)
    assert all(0 <= i < len(plain) for i in where)


def test_glossary_forms_are_search_forms() -> None:
    assert fold("إِدَارَة") == fold("ادارة") == "اداره"
    assert fold("کتاب") == fold("كتاب")  # Persian keheh
    assert fold("סוף") == "סופ"
