"""Finding glossary terms in Arabic, Hebrew and English text, whatever the writer's
diacritics, letter forms and prefixes, and keeping them through a translation."""

from __future__ import annotations

from fusioncell.language.glossary import Term, find_terms, normalise, protect, restore, utf16

SEP = Term("separation-line", {"ar": "خط الفصل", "he": "קו ההפרדה", "en": "separation line"})
QUN = Term("quneitra", {"ar": "معبر القنيطرة", "he": "מעבר קוניטרה", "en": "Quneitra crossing"})
GOLAN = Term("golan", {"ar": "هضبة الجولان", "he": "רמת הגולן", "en": "Golan Heights"})
TERMS = [SEP, QUN, GOLAN]


def found(text: str) -> list[tuple[str, str, str]]:
    return [(m.term, text[m.start : m.end], m.lang) for m in find_terms(text, TERMS)]


def test_arabic_with_diacritics_prefixes_and_letter_forms() -> None:
    text = "تحرّكاتٌ قربَ خطِّ الفَصْلِ، ثم وصلت دوريةٌ إلى معبرِ القنيطرةِ وهضبة الجولان."
    assert found(text) == [
        ("separation-line", "خطِّ الفَصْلِ", "ar"),
        ("quneitra", "معبرِ القنيطرةِ", "ar"),
        ("golan", "هضبة الجولان", "ar"),  # after the conjunction waw
    ]
    # tatweel and a taa marbuta written as haa
    assert found("عند معبـــر القنيطره") == [("quneitra", "معبـــر القنيطره", "ar")]
    # inside another word is not the term
    assert found("خطوط الفصل") == []


def test_hebrew_with_niqqud_prefixes_and_final_letters() -> None:
    text = "כוחות נראו ליד קַו הַהַפְרָדָה ובמעבר קוניטרה, סמוך לרמת הגולן."
    assert found(text) == [
        ("separation-line", "קַו הַהַפְרָדָה", "he"),
        ("quneitra", "מעבר קוניטרה", "he"),
        ("golan", "רמת הגולן", "he"),
    ]
    # a final letter written in its medial form (and the reverse in the term) still matches
    assert found("ברמת הגולנ") == [("golan", "רמת הגולנ", "he")]
    odd = Term("x", {"he": "מחסומ", "ar": "حاجز", "en": "checkpoint"})
    assert [m.term for m in find_terms("ליד המחסום", [odd])] == ["x"]


def test_english_and_mixed_text() -> None:
    assert found("Patrols near the Separation  Line and the QUNEITRA crossing.") == [
        ("separation-line", "Separation  Line", "en"),
        ("quneitra", "QUNEITRA crossing", "en"),
    ]
    assert found("separation lines") == []
    # an English term inside Hebrew text
    assert found("סיור ליד separation line.") == [("separation-line", "separation line", "en")]


def test_positions_refer_to_the_original_and_count_utf16() -> None:
    text = "🛰 خطّ الفصل"
    [m] = find_terms(text, TERMS)
    assert text[m.start : m.end] == "خطّ الفصل"
    assert utf16(text, m.start) == m.start + 1  # the emoji is two UTF-16 units
    hay, where = normalise("خطّ")
    assert hay == "خط" and where == [0, 1]


def test_protect_and_restore() -> None:
    text = "قرب خط الفصل ومعبر القنيطرة"
    p = protect(text, find_terms(text, TERMS))
    assert p.text == "قرب [0] و[1]" and p.terms == ("separation-line", "quneitra")
    he = {"separation-line": "קו ההפרדה", "quneitra": "מעבר קוניטרה"}
    # the engine may pad a placeholder with spaces
    assert restore("ליד [0] וגם [ 1 ]", p, he) == ("ליד קו ההפרדה וגם מעבר קוניטרה", [])
    assert restore("ליד [0]", p, he) == ("ליד קו ההפרדה", ["quneitra"])
    # a text that already holds something like a placeholder is sent as it is
    assert protect("[0] خط الفصل", find_terms("[0] خط الفصل", TERMS)).terms == ()
