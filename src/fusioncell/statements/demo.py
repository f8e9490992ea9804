"""The demo's joint statements (fusioncell.demo), each step signed by its member's own
demo key:

- the Paris joint statement of the three parties (the understandings of the charter) in
  Arabic, Hebrew and English: drafted by Syria's liaison officer; Israel's head of
  delegation comments in Hebrew on the passage on disagreements; a second version amends
  it in the three languages; the heads of delegation of Israel, Syria and the United
  States approve it, and it is adopted;
- a statement on the next round, still a draft (no Arabic text yet), with a comment."""

# ruff: noqa: RUF001 - Arabic-Indic digits number the Arabic paragraphs
from __future__ import annotations

from typing import Any

from fusioncell.cell import Cell
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.statements import kinds

PARTIES = ["IL", "SY", "US"]
PARIS = "demo-paris-joint"
NEXT_ROUND = "demo-next-round"

_EN = (
    "1. Israel and Syria renew their commitment to pursue lasting security and stability"
    " arrangements for both countries.\n"
    "2. The parties establish a joint fusion mechanism, a dedicated communication cell under"
    " the supervision of the United States, to facilitate immediate and continuous"
    " coordination on intelligence sharing, military de-escalation, diplomatic engagement"
    " and commercial opportunities.\n"
    "3. {three}\n"
    "4. The United States remains committed to supporting the implementation of these"
    " understandings."
)
_AR = (
    "١. تجدّد إسرائيل وسوريا التزامهما بالسعي نحو التوصل إلى ترتيبات أمن واستقرار دائمة"
    " لكلا البلدين.\n"
    "٢. ينشئ الطرفان آلية دمج وتنسيق مشتركة، وهي خلية اتصال مخصّصة تحت إشراف الولايات"
    " المتحدة، لتسهيل التنسيق الفوري والمستمر بشأن تبادل المعلومات الاستخباراتية وخفض"
    " التصعيد العسكري والانخراط الدبلوماسي والفرص التجارية.\n"
    "٣. {three}\n"
    "٤. تظل الولايات المتحدة ملتزمة بدعم تنفيذ هذه التفاهمات."
)
_HE = (
    "1. ישראל וסוריה מחדשות את מחויבותן לפעול להשגת הסדרי ביטחון ויציבות בני קיימא לשתי"
    " המדינות.\n"
    "2. הצדדים מקימים מנגנון תיאום משותף, תא תקשורת ייעודי בפיקוח ארצות הברית, כדי לאפשר"
    " תיאום מיידי ורציף בשיתוף מודיעין, בהורדת מתיחות צבאית, במעורבות דיפלומטית"
    " ובהזדמנויות מסחריות.\n"
    "3. {three}\n"
    "4. ארצות הברית נותרת מחויבת לתמוך ביישום הבנות אלה."
)
# The passage the second version amends: promptly, and preventing misunderstandings.
_THREE_1 = {
    "en": "The mechanism will serve as a platform to address disagreements.",
    "ar": "تشكّل هذه الآلية منصة لمعالجة الخلافات.",
    "he": "המנגנון ישמש במה לטיפול במחלוקות.",
}
_THREE_2 = {
    "en": (
        "The mechanism will serve as a platform to address any disagreements promptly and to"
        " work to prevent misunderstandings."
    ),
    "ar": "تشكّل هذه الآلية منصة لمعالجة أي خلافات على وجه السرعة والعمل على منع سوء الفهم.",
    "he": "המנגנון ישמש במה לטיפול מהיר בכל מחלוקת ולפעולה למניעת אי-הבנות.",
}


def paris_texts(version: int) -> dict[str, str]:
    three = _THREE_1 if version == 1 else _THREE_2
    return {
        "ar": _AR.format(three=three["ar"]),
        "en": _EN.format(three=three["en"]),
        "he": _HE.format(three=three["he"]),
    }


_NEXT = {
    "en": (
        "The parties will hold the next round of talks under the supervision of the United"
        " States at a date to be agreed through the mechanism."
    ),
    "he": "הצדדים יקיימו את סבב השיחות הבא בפיקוח ארצות הברית במועד שיוסכם באמצעות המנגנון.",
}


def seed_statements(cell: Cell, keys: dict[str, SigningKey]) -> None:
    def post(member: str, kind: str, statement: str, body: dict[str, Any]) -> None:
        key = keys[member]
        party = member.split("-", 1)[0].upper()
        post_as(
            cell,
            key,
            Author(party, member, key.key_id_hex),
            kind,
            kinds.subject(statement),
            PARTIES,
            {"statement": statement, **body},
        )

    v1 = paris_texts(1)
    post(
        "sy-liaison",
        kinds.CREATED,
        PARIS,
        {
            "parties": PARTIES,
            "title": "Joint statement of Israel, Syria and the United States, Paris",
            "lang": "en",
            "round": "paris",
            "texts": v1,
        },
    )
    quote = _THREE_1["he"]
    start = v1["he"].index(quote)
    post(
        "il-head",
        kinds.COMMENT,
        PARIS,
        {
            "version": 1,
            "passage": {"lang": "he", "start": start, "end": start + len(quote), "quote": quote},
            "text": "יש לומר שהטיפול יהיה מהיר ושהמנגנון פועל גם למניעת אי-הבנות, כפי שסוכם.",
            "lang": "he",
        },
    )
    post("sy-liaison", kinds.VERSION, PARIS, {"base": 1, "texts": paris_texts(2)})
    digest = kinds.texts_hash(paris_texts(2))
    for head in ("il-head", "sy-head", "us-head"):
        post(head, kinds.APPROVED, PARIS, {"version": 2, "sha256": digest})

    post(
        "il-liaison",
        kinds.CREATED,
        NEXT_ROUND,
        {
            "parties": PARTIES,
            "title": "On the next round of talks",
            "lang": "en",
            "round": "paris",
            "texts": _NEXT,
        },
    )
    quote = "at a date to be agreed through the mechanism"
    start = _NEXT["en"].index(quote)
    post(
        "sy-liaison",
        kinds.COMMENT,
        NEXT_ROUND,
        {
            "version": 1,
            "passage": {"lang": "en", "start": start, "end": start + len(quote), "quote": quote},
            "text": "نقترح تحديد موعد الجولة المقبلة خلال ثلاثين يوماً.",
            "lang": "ar",
        },
    )
