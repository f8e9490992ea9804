"""The communication cell's pages in a real browser (Debian's Chromium through Playwright),
against the real app served by uvicorn with its live stream: the issue's FLASH scenario
with three people signed in at once, keyboard-only writing, edits with their history,
retractions, pins, attachments, refused input shown clearly, and axe over every cell page
in Arabic, Hebrew and English. Every page is watched for console errors and CSP
violations (conftest.Browse); where a test provokes a refused request, it says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fusioncell.authz import Principal, Role
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.ledger.entry import Author
from fusioncell.messaging import attachments, queries
from fusioncell.web import i18n
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms: what a live arrival may take on a busy test machine
LANGS = ("ar", "he", "en")
ALL = "IL,SY,US"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FLASH_AR = "نطلب توضيحاً فورياً بشأن تحركات قرب خط الفصل."
TOPIC_AR = "تحركات قرب خط الفصل"

# Records every desktop notification the page raises, then lets the browser's own one run.
NOTIFY_SPY = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notes = [];
  function Spy(title, options) {
    window.__notes.push({ title, body: (options && options.body) || "" });
    try {
      return new Real(title, options);
    } catch (e) {
      return { close() {}, addEventListener() {} };
    }
  }
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  Spy.requestPermission = (...a) => Real.requestPermission(...a);
  window.Notification = Spy;
})();
"""


# ---- helpers -----------------------------------------------------------------------------


def live(page: Any) -> None:
    """Wait until the page's live stream has caught up (the `ready` frame)."""
    page.wait_for_selector("html[data-live=ready]", state="attached", timeout=WAIT)


def open_thread(
    page: Any, topic: str, lang: str, parties: str = ALL, ws: str = "deescalation"
) -> str:
    """Open a thread through /cell/new (signed in this browser); returns its id."""
    page.goto(f"/cell/new?workstream={ws}")
    page.check(f"#new-thread input[name=parties][value='{parties}']")
    page.fill("#new-thread input[name=topic]", topic)
    page.select_option("#new-thread select[name=lang]", lang)
    with page.expect_navigation(url=re.compile(r"/cell/t/[0-9a-f]{16}$")):
        page.click("#new-thread button[type=submit]")
    live(page)
    return urlsplit(page.url).path.rsplit("/", 1)[-1]


def send(page: Any, text: str, urgency: str = "ROUTINE", lang: str | None = None) -> int:
    """Write a message with the compose form; returns its log index once it is shown."""
    page.select_option("#compose select[name=urgency]", urgency)
    if lang:
        page.select_option("#compose select[name=lang]", lang)
    page.fill("#compose textarea[name=text]", text)
    page.click("#compose button[type=submit]")
    article = page.locator("#messages article.msg", has_text=text).last
    expect(article).to_be_visible(timeout=WAIT)
    return int(article.get_attribute("data-index"))


def message(page: Any, index: int) -> Any:
    return page.locator(f"#m-{index}")


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until `selector` has the focus, and check the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def when(time: str, zone: str, lang: str) -> str:
    """A time as the pages show it (the `moment` filter, in the reader's zone): its text."""
    html = i18n.environment(lang).from_string("{{ t|moment }}").render(t=time, reader_zone=zone)
    return html.split("<bdi>")[1].split("</bdi>")[0]


def utc(time: str) -> str:
    """The `datetime` a time element carries: the log's time to the second, in UTC."""
    return time[:19] + "Z"


class Poster:
    """Writes into the cell from Python, signed with a registered key (no browser)."""

    def __init__(self, served: Served, party: str, member: str) -> None:
        self.cell = served.cell
        self.party = party
        self.key = new_member_key(party, member, "script")
        register_member_key(self.cell, party, member, self.key.verifier.encode())
        self.author = Author(party, member, self.key.key_id_hex)
        self.who = Principal(party, member, Role.LIAISON_OFFICER)

    def post(self, kind: str, thread: str, parties: list[str], body: dict[str, Any]) -> int:
        done = post_as(
            self.cell,
            self.key,
            self.author,
            kind,
            f"t/{thread}",
            parties,
            {"thread": thread, **body},
        )
        return done.index


def busy_thread(served: Served) -> str:
    """A thread with every kind of message the page shows: FLASH owed by IL, a reply with
    an attachment, an edit, a retraction with its reason, a pin."""
    sy = Poster(served, "SY", "sy-liaison")
    il = Poster(served, "IL", "il-liaison")
    parties = ["IL", "SY", "US"]
    tid = "axe-thread-1"
    sy.post(
        "cell.thread.opened",
        tid,
        parties,
        {
            "workstream": "deescalation",
            "topic": {"text": TOPIC_AR, "lang": "ar"},
            "parties": parties,
        },
    )
    flash = sy.post(
        "cell.message.posted", tid, parties, {"urgency": "FLASH", "text": FLASH_AR, "lang": "ar"}
    )
    stored = attachments.upload(served.cell, sy.who, PDF)
    file = {"sha256": stored.sha256, "name": "خريطة.pdf", "type": stored.type, "size": stored.size}
    reply = sy.post(
        "cell.message.posted",
        tid,
        parties,
        {
            "urgency": "PRIORITY",
            "text": "مرفق: الخريطة",
            "lang": "ar",
            "reply_to": flash,
            "attachments": [file],
        },
    )
    sy.post(
        "cell.message.edited",
        tid,
        parties,
        {"message": reply, "text": "مرفق: الخريطة المحدّثة", "lang": "ar"},
    )
    wrong = il.post(
        "cell.message.posted",
        tid,
        parties,
        {"urgency": "IMMEDIATE", "text": "הודעה שגויה", "lang": "he"},
    )
    il.post(
        "cell.message.retracted",
        tid,
        parties,
        {"message": wrong, "reason": {"text": "נשלחה בטעות", "lang": "he"}},
    )
    il.post("cell.message.pinned", tid, parties, {"message": reply})
    il.post(
        "cell.message.posted", tid, parties, {"urgency": "ROUTINE", "text": "Noted.", "lang": "en"}
    )
    return tid


# ---- the scenario ----------------------------------------------------------------


def test_flash_from_syria_acknowledged_live_by_israel_seen_by_the_supervisor(
    served: Served, browse: Browse
) -> None:
    """A Syrian liaison sends a FLASH message in Arabic; the Israeli liaison, signed in at
    the same time in Hebrew, sees it arrive live, with a banner, a sound and a desktop
    notification, and acknowledges; the supervisor sees both, with times; the Syrian
    sender sees the acknowledgement arrive."""
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    il_browser = browse(locale="he")
    il_browser.context.grant_permissions(["notifications"], origin=served.url)
    il_browser.context.add_init_script(NOTIFY_SPY)
    il = il_browser.page()
    sign_in(il, served, "il-liaison")
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")

    tid = open_thread(sy, TOPIC_AR, "ar")
    for page in (il, us):
        page.goto(f"/cell/t/{tid}")
        live(page)
        assert page.locator("h1 bdi[lang=ar][dir=rtl]").inner_text() == TOPIC_AR
    for page in (sy, il, us):
        page.evaluate("() => { window.__samePage = true; }")  # gone if the page reloads

    # The Syrian liaison writes in Arabic, the page's language, as a FLASH.
    assert sy.get_attribute("html", "dir") == "rtl"
    assert sy.input_value("#compose select[name=lang]") == "ar"
    index = send(sy, FLASH_AR, "FLASH")
    mine = message(sy, index)
    assert mine.locator("p.text bdi").get_attribute("lang") == "ar"
    expect(mine.locator(".ack-list li[data-party=IL]")).to_have_class("waiting")
    expect(sy.locator("#flash")).to_be_hidden()  # its own message asks nothing of SY

    # The Israeli liaison's page, in Hebrew: the message arrives without a reload...
    assert il.get_attribute("html", "lang") == "he" and il.get_attribute("html", "dir") == "rtl"
    arrived = message(il, index)
    expect(arrived).to_be_visible(timeout=WAIT)
    text = arrived.locator("p.text bdi")
    assert (text.inner_text(), text.get_attribute("lang"), text.get_attribute("dir")) == (
        FLASH_AR,
        "ar",
        "rtl",
    )
    expect(arrived.locator(".badge")).to_have_text("בהול ביותר")  # FLASH in Hebrew
    expect(arrived.locator(".countdown")).to_contain_text(re.compile(r"\d:\d\d"))
    # ...with the banner, the sound and a desktop notification.
    banner = il.locator("#flash")
    expect(banner).to_be_visible(timeout=WAIT)
    assert banner.get_attribute("role") == "alert" and banner.get_attribute("tabindex") == "-1"
    item = banner.locator(f"li[data-index='{index}']")
    expect(item.locator("bdi.flash-text")).to_have_text(FLASH_AR)
    assert item.locator("bdi.flash-text").get_attribute("dir") == "rtl"
    assert banner.get_attribute("data-sounded") == "1"
    notes = il.evaluate("() => window.__notes")
    assert len(notes) == 1 and FLASH_AR in notes[0]["body"], notes
    assert notes[0]["title"] == i18n.gettext("he", "FLASH message for your party")
    # The supervisor oversees a message between the two parties: it sees it, owes nothing.
    expect(message(us, index)).to_be_visible(timeout=WAIT)
    expect(us.locator("#flash")).to_be_hidden()

    # The banner stays on every page until IL acknowledges.
    il.goto("/profile")
    expect(il.locator(f"#flash li[data-index='{index}']")).to_be_visible(timeout=WAIT)
    assert len(il.evaluate("() => window.__notes")) == 0  # alerted once, not on every page
    il.goto(f"/cell/t/{tid}")
    live(il)
    il.evaluate("() => { window.__samePage = true; }")
    ack = il.locator(f"#flash button[data-ack='{index}']")
    expect(ack).to_have_text(i18n.gettext("he", "Acknowledge: received and understood"))
    ack.click()
    expect(il.locator("#flash")).to_be_hidden(timeout=WAIT)
    acked = message(il, index).locator(".ack-list li[data-party=IL]")
    expect(acked).to_have_class("acked", timeout=WAIT)
    expect(acked).to_contain_text("il-liaison")

    # The Syrian sender's page shows the acknowledgement arrive, without a reload.
    seen = message(sy, index).locator(".ack-list li[data-party=IL]")
    expect(seen).to_have_class("acked", timeout=WAIT)
    expect(seen).to_contain_text("il-liaison")
    expect(message(sy, index).locator(".countdown")).to_have_count(0)
    assert sy.evaluate("() => window.__samePage") is True

    # The supervisor sees both, with times, live and after a reload, in its own time zone.
    expect(message(us, index).locator(".ack-list li[data-party=IL]")).to_have_class(
        "acked", timeout=WAIT
    )
    assert us.evaluate("() => window.__samePage") is True
    us.reload()
    m = queries.message_view(
        served.cell, Principal("US", "us-supervisor", Role.SUPERVISOR), tid, index
    )
    zone = served.cell.charter.party("US").timezone
    shown = message(us, index)
    posted = shown.locator("h3 time")
    assert posted.get_attribute("datetime") == utc(m["time"])
    assert posted.inner_text() == when(m["time"], zone, "en")
    by = m["ack"]["by"]["IL"]
    ack_time = shown.locator(".ack-list li[data-party=IL] time")
    assert ack_time.get_attribute("datetime") == utc(by["time"]) and by["member"] == "il-liaison"
    assert ack_time.inner_text() == when(by["time"], zone, "en")
    # IL had the message on screen: its party's read receipt, with its time.
    receipt = shown.locator(".receipts .receipt[data-party=IL] time")
    assert receipt.get_attribute("datetime") == utc(m["receipts"]["IL"]["read"]["time"])
    # Nothing is owed any more; the inbox says so.
    assert il.request.get("/api/v1/cell/owed").json()["messages"] == []


def test_a_flash_in_a_thread_one_is_not_in_raises_no_banner(served: Served, browse: Browse) -> None:
    """SY's banner does not show a FLASH between IL and the supervisor, which SY cannot see;
    IL's banner, on the home page, goes when a colleague of IL acknowledges."""
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    for page in (il, sy):
        live(page)
    us = Poster(served, "US", "us-supervisor")
    us.post(
        "cell.thread.opened",
        "pair-thread-1",
        ["IL", "US"],
        {
            "workstream": "general",
            "topic": {"text": "Line check", "lang": "en"},
            "parties": ["IL", "US"],
        },
    )
    index = us.post(
        "cell.message.posted",
        "pair-thread-1",
        ["IL", "US"],
        {"urgency": "FLASH", "text": "Confirm the line.", "lang": "en"},
    )
    expect(il.locator(f"#flash li[data-index='{index}']")).to_be_visible(timeout=WAIT)
    expect(il.locator("#owed-home")).to_contain_text("Confirm the line.", timeout=WAIT)
    expect(il.locator("#cell-unread .n")).to_have_text("1", timeout=WAIT)  # the menu's count
    expect(sy.locator("#cell-unread")).to_be_hidden()
    # Another IL member acknowledges from elsewhere: the banner goes, live.
    from fusioncell.identity.accounts import do_add_member

    do_add_member(served.cell, "IL", "il-duty", Role.DUTY_OFFICER)
    colleague = Poster(served, "IL", "il-duty")
    colleague.post("cell.message.acknowledged", "pair-thread-1", ["IL", "US"], {"message": index})
    expect(il.locator("#flash")).to_be_hidden(timeout=WAIT)
    expect(il.locator("#owed-home")).not_to_contain_text("Confirm the line.", timeout=WAIT)
    # SY never saw any of it, and a thread it is not in is a plain 404.
    expect(sy.locator("#flash")).to_be_hidden()
    r = sy.request.get("/cell/t/pair-thread-1")
    missing = sy.request.get("/cell/t/no-such-thread-1")
    assert r.status == missing.status == 404
    assert r.text().replace("pair-thread-1", "X") == missing.text().replace("no-such-thread-1", "X")


# ---- keyboard only -----------------------------------------------------------------------


def test_keyboard_only_open_a_thread_compose_and_send(served: Served, browse: Browse) -> None:
    page = browse(locale="en").page()
    sign_in(page, served, "sy-liaison")
    page.goto("/cell/new")
    # The first Tab reaches the skip link; Enter moves the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator("a.skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    tab_to(page, "#new-thread select[name=workstream]")
    page.keyboard.press("End")  # the last workstream
    last_ws = served.cell.charter.workstreams[-1].id
    assert page.input_value("#new-thread select[name=workstream]") == last_ws
    tab_to(page, "#new-thread input[name=parties]")
    page.keyboard.press("ArrowDown")  # SY with the supervisor
    assert page.evaluate("() => document.activeElement.value") == "SY,US"
    tab_to(page, "#new-thread input[name=topic]")
    page.keyboard.type("Keyboard only")
    tab_to(page, "#new-thread button[type=submit]")
    with page.expect_navigation(url=re.compile(r"/cell/t/[0-9a-f]{16}$")):
        page.keyboard.press("Enter")
    live(page)
    assert page.locator(".meta .tag").inner_text() == served.cell.charter.workstreams[-1].name["en"]

    tab_to(page, "#compose select[name=urgency]")
    page.keyboard.press("Home")  # the highest: FLASH
    assert page.input_value("#compose select[name=urgency]") == "FLASH"
    page.keyboard.press("ArrowDown")
    assert page.input_value("#compose select[name=urgency]") == "IMMEDIATE"
    tab_to(page, "#compose textarea[name=text]")
    page.keyboard.type("Typed with the keyboard alone.")
    tab_to(page, "#compose button[type=submit]")
    page.keyboard.press("Enter")
    first = page.locator("#messages article.msg", has_text="Typed with the keyboard alone.")
    expect(first).to_be_visible(timeout=WAIT)
    assert first.get_attribute("data-urgency") == "IMMEDIATE"
    index = int(first.get_attribute("data-index"))
    # Reply with Space on the message's button: the focus goes to the text.
    tab_to(page, f"#m-{index} button[data-action=reply]")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.name") == "text"
    expect(page.locator("#reply-note")).to_be_visible()
    page.keyboard.type("And a reply.")
    tab_to(page, "#compose button[type=submit]")
    page.keyboard.press("Space")
    reply = page.locator("#messages article.msg", has_text="And a reply.")
    expect(reply).to_be_visible(timeout=WAIT)
    expect(reply.locator(".reply-to a")).to_have_attribute("href", f"#m-{index}")
    assert reply.get_attribute("data-urgency") == "ROUTINE"  # the form starts afresh
    expect(page.locator("#reply-note")).to_be_hidden()
    # Pin it with Enter; it shows at the top, and the focus stays on its button.
    tab_to(page, f"#m-{index} button[data-action=pin]")
    page.keyboard.press("Enter")
    expect(page.locator(f"#pinned #p-{index}")).to_be_visible(timeout=WAIT)
    expect(page.locator(f"#m-{index} button[data-action=unpin]")).to_be_focused(timeout=WAIT)


# ---- edits, retractions, pins: history on the record, live on the other side ------------


def test_edit_shows_its_history_and_retraction_its_reason(served: Served, browse: Browse) -> None:
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    tid = open_thread(sy, "تنسيق", "ar")
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    il.goto(f"/cell/t/{tid}")
    live(il)

    index = send(sy, "الاجتماع الساعة العاشرة", "PRIORITY")
    expect(message(il, index)).to_be_visible(timeout=WAIT)
    # Edit: the form opens under the message, the new text is signed, the history kept.
    sy.click(f"#m-{index} button[data-action=edit]")
    form = sy.locator(f"#edit-{index}")
    expect(form).to_be_visible()
    assert sy.get_attribute(f"#m-{index} button[data-action=edit]", "aria-expanded") == "true"
    expect(form.locator("textarea")).to_be_focused()
    form.locator("textarea").fill("الاجتماع الساعة الحادية عشرة")
    form.locator("button[type=submit]").click()
    history = message(sy, index).locator("details.history")
    expect(history).to_be_visible(timeout=WAIT)
    expect(message(sy, index).locator("p.text")).to_have_text("الاجتماع الساعة الحادية عشرة")
    history.locator("summary").click()
    versions = history.locator("ol li .text bdi")
    expect(versions).to_have_text(["الاجتماع الساعة العاشرة", "الاجتماع الساعة الحادية عشرة"])
    # The other side sees the new text and its history, live.
    other = message(il, index)
    expect(other.locator("p.text")).to_have_text("الاجتماع الساعة الحادية عشرة", timeout=WAIT)
    expect(other.locator("details.history ol li")).to_have_count(2)
    assert il.locator("#messages article.msg").count() == 1  # replaced, not added
    # Only the author may edit: IL has no such button.
    expect(other.locator("button[data-action=edit]")).to_have_count(0)

    # IL pins it: the pinned list shows at the top of both pages.
    other.locator("button[data-action=pin]").click()
    expect(il.locator(f"#pinned #p-{index}")).to_be_visible(timeout=WAIT)
    expect(sy.locator(f"#pinned #p-{index}")).to_be_visible(timeout=WAIT)

    # Retract, with a reason: struck through, the reason shown, nothing owed any more.
    sy.click(f"#m-{index} button[data-action=retract]")
    retract = sy.locator(f"#retract-{index}")
    retract.locator("textarea").fill("أُلغي الاجتماع")
    retract.locator("button[type=submit]").click()
    done = message(sy, index)
    expect(done.locator("p.text del bdi")).to_have_text(
        "الاجتماع الساعة الحادية عشرة", timeout=WAIT
    )
    expect(done.locator(".retraction bdi[lang=ar]")).to_have_text("أُلغي الاجتماع")
    expect(done.locator("details.history")).to_be_attached()  # the history stays
    expect(done.locator("button[data-action=edit]")).to_have_count(0)
    gone = message(il, index)
    expect(gone).to_have_class(re.compile(r"\bretracted\b"), timeout=WAIT)
    expect(gone.locator(".retraction")).to_contain_text("أُلغي الاجتماع")
    expect(gone.locator(".ack-list li[data-party=IL]")).to_contain_text(
        i18n.gettext("he", "not needed any more")
    )
    expect(gone.locator("button[data-action=ack]")).to_have_count(0)
    expect(il.locator(f"#pinned #p-{index} del")).to_be_visible(timeout=WAIT)


def test_search_within_a_thread(served: Served, browse: Browse) -> None:
    page = browse(locale="en").page()
    sign_in(page, served, "us-supervisor")
    tid = open_thread(page, "Search", "en", parties="IL,US", ws="general")
    send(page, "apples and pears")
    hit = send(page, "only pears")
    edited = send(page, "bananas")
    page.click(f"#m-{edited} button[data-action=edit]")
    page.fill(f"#edit-{edited} textarea", "bananas, once apples")
    page.click(f"#edit-{edited} button[type=submit]")
    expect(message(page, edited).locator("details.history")).to_be_visible(timeout=WAIT)
    page.fill("#thread-q", "pears")
    with page.expect_navigation():
        page.press("#thread-q", "Enter")
    assert urlsplit(page.url).query == "q=pears"
    expect(page.locator("#messages article.msg")).to_have_count(2)
    assert message(page, hit).is_visible()
    page.goto(f"/cell/t/{tid}?q=apples")  # any version counts
    expect(page.locator("#messages article.msg")).to_have_count(2)
    expect(message(page, edited)).to_be_visible()
    page.goto(f"/cell/t/{tid}?q=nothing-like-it")
    expect(page.locator("#messages article.msg")).to_have_count(0)
    expect(page.locator("#no-messages")).to_be_visible()


# ---- attachments -------------------------------------------------------------------------


def test_attachment_upload_and_download(served: Served, browse: Browse, tmp_path: Path) -> None:
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    tid = open_thread(sy, "الخرائط", "ar")
    pdf = tmp_path / "خريطة المنطقة.pdf"
    pdf.write_bytes(PDF)
    note = tmp_path / "notes.txt"
    note.write_text("line one\nسطر ثانٍ\n", encoding="utf-8")
    sy.set_input_files("#compose input[name=files]", [str(pdf), str(note)])
    index = send(sy, "الخريطة مرفقة")
    links = message(sy, index).locator(".files a")
    expect(links).to_have_count(2)
    expect(links.first).to_have_text("خريطة المنطقة.pdf")
    assert links.first.locator("bdi").get_attribute("dir") == "auto"
    assert (
        message(sy, index)
        .locator(".files li")
        .first.inner_text()
        .endswith("application/pdf · 45 B")
    )

    # The other party downloads it: exactly the bytes whose hash was signed.
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    il.goto(f"/cell/t/{tid}")
    with il.expect_download() as got:
        message(il, index).locator(".files a").first.click()
    download = got.value
    assert download.suggested_filename == "خريطة المنطقة.pdf"
    assert Path(download.path()).read_bytes() == PDF
    with il.expect_download() as got:
        message(il, index).locator(".files a").nth(1).click()
    assert Path(got.value.path()).read_text(encoding="utf-8") == "line one\nسطر ثانٍ\n"
    body = il.request.get(f"/api/v1/cell/threads/{tid}/messages/{index}").json()
    assert [a["name"] for a in body["attachments"]] == ["خريطة المنطقة.pdf", "notes.txt"]
    assert [a["type"] for a in body["attachments"]] == ["application/pdf", "text/plain"]


# ---- bad input: a clear message, in the reader's language, and nothing written -----------


def test_refused_input_is_shown_clearly(served: Served, browse: Browse, tmp_path: Path) -> None:
    w = browse(locale="he")
    page = w.page()
    sign_in(page, served, "il-liaison")
    page.goto("/cell/new")
    page.click("#new-thread button[type=submit]")  # no topic
    status = page.locator("#cell-status")
    expect(status).to_have_text(i18n.gettext("he", "Write something first: the text is empty."))
    assert (
        status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    )
    expect(page.locator("#new-thread input[name=topic]")).to_be_focused()
    open_thread(page, "בדיקות קלט", "he")
    size = served.cell.ledger.size()

    # A bidi override typed into the message: the reason, its code point, and no entry.
    page.fill("#compose textarea[name=text]", "אשרו \u202eמהר")
    page.click("#compose button[type=submit]")
    expect(status).to_contain_text("U+202E")
    expected = i18n.translate(
        "he",
        "The text holds the invisible character %(code)s, which reorders how text is shown; "
        "remove it (the cell refuses it).",
        {"code": "\u2068U+202E\u2069"},  # isolated, as the page shows values
    )
    expect(status).to_have_text(expected)
    assert status.get_attribute("data-state") == "failed"
    expect(page.locator("#compose textarea[name=text]")).to_be_focused()

    # A file over the size limit: named, with the limit, before anything is uploaded.
    big = tmp_path / "big.pdf"
    big.write_bytes(PDF + b"0" * served.cell.settings.max_attachment_bytes)
    page.fill("#compose textarea[name=text]", "קובץ גדול")
    page.set_input_files("#compose input[name=files]", str(big))
    page.click("#compose button[type=submit]")
    expect(status).to_contain_text("big.pdf")
    expect(status).to_contain_text("1.5 MB")
    assert served.cell.ledger.size() == size

    # A type the cell does not take: the server's own words (problem+json detail).
    exe = tmp_path / "tool.bin"
    exe.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    page.set_input_files("#compose input[name=files]", str(exe))
    page.click("#compose button[type=submit]")
    expect(status).to_contain_text("files of type application/octet-stream are not accepted")
    expect(status).to_contain_text(i18n.gettext("he", "That did not work:"))
    assert served.cell.ledger.size() == size
    # An edit that changes nothing: the log refuses it, and the page says why.
    page.set_input_files("#compose input[name=files]", [])
    index = send(page, "שגרתי")
    page.click(f"#m-{index} button[data-action=edit]")
    page.click(f"#edit-{index} button[type=submit]")
    expect(status).to_contain_text("the edit changes nothing", timeout=WAIT)
    expect(page.locator(f"#edit-{index}")).to_be_visible()  # still open, to fix
    assert served.cell.ledger.size() == size + 1  # the message, and nothing else
    # The two refused requests are in the console, as the browser logs them.
    assert [re.search(r"status of (\d+)", p).group(1) for p in w.problems] == ["415", "400"]
    w.problems.clear()


# ---- accessibility: axe on every cell page in every language ------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_cell_pages_pass_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    tid = busy_thread(served)
    page = browse(locale=lang).page()
    sign_in(page, served, "il-liaison")
    axe = Axe()
    for path in ("/", "/cell", "/cell/new", f"/cell/t/{tid}", f"/cell/t/{tid}?q=الخريطة"):
        page.goto(path)
        page.wait_for_selector("html[data-cell=ready]", state="attached")
        assert page.get_attribute("html", "dir") == ("ltr" if lang == "en" else "rtl")
        if path != "/cell/new":
            # The FLASH banner is part of what is checked: IL owes the FLASH message.
            expect(page.locator("#flash li")).to_have_count(1, timeout=WAIT)
        if path.startswith("/cell/t/") and "?" not in path:
            # Opened parts too: an edit's history, and the edit form of IL's own message.
            page.locator("details.history summary").first.click()
            page.locator("button[data-action=edit]").first.click()
        results = axe.run(page)
        assert results.violations_count == 0, f"{lang} {path}:\n{results.generate_report()}"
