"""The served UI in a real browser (Debian's Chromium through Playwright), against the real app
served by uvicorn: languages, sign-in and sign-out, device keys made and kept in the
browser, approval by a party admin, statements signed in the browser and verified in
Python, and no console error or CSP violation on any page (conftest.Browse).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.identity.devices_web import pending_for_party
from fusioncell.ledger.canonical import b64d, b64e, canonical, sha256_hex
from fusioncell.ledger.entry import Author, parse_leaf, parse_statement
from fusioncell.ledger.keys import VerifierKey
from fusioncell.ledger.tables import log_keys
from fusioncell.ledger.trust import KEY_REGISTERED, Genesis, KeyRing
from fusioncell.ledger.verify import verify_dir
from tests.web.conftest import ACCOUNTS, Browse, Served

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-home-ar.png"
LANGS = ("ar", "he", "en")
MEMBER_OF = {"IL": "il-liaison", "SY": "sy-liaison", "US": "us-supervisor"}

# In the page: this browser's device record (device.js), and what its private key allows.
DEVICE_INFO = """async () => {
  const { ensureDevice } = await import("/static/js/device.js");
  const d = await ensureDevice();
  const refused = [];
  for (const format of ["pkcs8", "jwk", "raw"]) {
    try {
      await crypto.subtle.exportKey(format, d.keys.privateKey);
    } catch (e) {
      refused.push(e.name);
    }
  }
  const pub = new Uint8Array(await crypto.subtle.exportKey("raw", d.keys.publicKey));
  const stored = await new Promise((resolve, reject) => {
    const open = indexedDB.open("fusioncell");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const req = open.result.transaction("devices").objectStore("devices").getAllKeys();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    };
  });
  return {
    extractable: d.keys.privateKey.extractable,
    algorithm: d.keys.privateKey.algorithm.name,
    usages: d.keys.privateKey.usages,
    refused,
    public_key: btoa(String.fromCharCode(...pub)),
    name: d.name, key_id: d.key_id, status: d.status,
    auto_approved: d.auto_approved, admin: d.admin, stored,
  };
}"""

SIGN_AND_APPEND = """async ([kind, subject, visibility, body]) => {
  const { signAndAppend } = await import("/static/js/sign.js");
  return signAndAppend(kind, subject, visibility, body);
}"""


# ---- helpers -----------------------------------------------------------------------------


def sign_in(page: Any, served: Served, member: str, *, goto: bool = True) -> None:
    """Sign in through the form and wait until this browser's device key is ready."""
    if goto:
        page.goto("/signin")
    page.fill("input[name=member]", member)
    page.fill("input[name=password]", served.account(member))
    with page.expect_navigation():
        page.click("form[action='/signin'] button.primary")
    assert urlsplit(page.url).path == "/", page.url
    page.wait_for_selector("html[data-device]", state="attached")
    assert page.get_attribute("html", "data-device") == "ready"


def sign_out(page: Any) -> None:
    with page.expect_navigation():
        page.click("form[action='/signout'] button")
    assert urlsplit(page.url).path == "/signin"
    assert page.get_attribute("body", "data-member") is None


def devices_shown(page: Any) -> dict[str, str]:
    """The member's devices as the profile lists them: key id -> status."""
    page.goto("/profile")
    rows = page.locator("table.devices tr[data-key-id]")
    return {
        rows.nth(i).get_attribute("data-key-id"): rows.nth(i).get_attribute("data-status")
        for i in range(rows.count())
    }


def key_states(served: Served, member: str) -> dict[str, str]:
    """The member's keys in the log's key table: key id -> registered / revoked."""
    with served.cell.engine.connect() as conn:
        rows = conn.execute(select(log_keys).where(log_keys.c.member == member)).all()
    return {r.key_id: "revoked" if r.revoked is not None else "registered" for r in rows}


def device_info(page: Any) -> dict[str, Any]:
    info: dict[str, Any] = page.evaluate(DEVICE_INFO)
    return info


def profile_state(page: Any) -> str:
    """Open the profile and wait for device.js to show this device's status."""
    page.goto("/profile")
    page.wait_for_selector("#device-status:not([hidden])[data-state]:not([data-state=working])")
    state: str = page.get_attribute("#device-status", "data-state")
    return state


def check_language(page: Any, served: Served, lang: str, member: str) -> None:
    charter = served.cell.charter
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("html", "dir") == ("rtl" if lang in ("ar", "he") else "ltr")
    assert page.inner_text("a.brand").strip() == charter.mechanism.name[lang]
    assert member in page.inner_text("header .who")
    shown = page.inner_text("ul.parties")
    for p in charter.parties:
        assert p.name[lang] in shown
        assert p.code in shown


def log_entries(page: Any) -> list[dict[str, Any]]:
    """Every entry as the signed-in member's party sees it, through /log/v1 (session auth)."""
    size = int(page.request.get("/log/v1/checkpoint").text().split("\n")[1])
    r = page.request.get(f"/log/v1/entries?start=0&end={size}")
    assert r.ok, r.text()
    entries: list[dict[str, Any]] = r.json()["entries"]
    return entries


def replay(entries: list[dict[str, Any]]) -> KeyRing:
    """Check every readable entry against the trust chain, from entry 0 on, in Python."""
    ring = KeyRing(Genesis.from_body(entries[0]["body"]))
    for e in entries:
        if e["entry"] is None:
            continue
        leaf = b64d(e["entry"])
        entry = parse_leaf(leaf)
        assert sha256_hex(canonical(e["body"])) == entry.statement.body_sha256
        ring.check(entry.index, entry.statement, entry.sig, e["body"])
        ring.apply(entry.index, entry.statement, e["body"])
    return ring


def export(page: Any, entries: list[dict[str, Any]], where: Path) -> Path:
    """What `fusioncell log export --as PARTY` writes, fetched over HTTP."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "key.txt").write_text(page.request.get("/log/v1/key").text(), encoding="utf-8")
    cp = page.request.get("/log/v1/checkpoint").text()
    (where / "checkpoint.txt").write_text(cp, encoding="utf-8")
    lines = [json.dumps(e, ensure_ascii=False) for e in entries]
    (where / "entries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return where


# ---- (a) languages, parties, sign-in and sign-out ----------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_each_party_in_each_language(served: Served, browse: Browse, lang: str) -> None:
    """The browser's language (Accept-Language) picks the page's; every party's member
    sees the mechanism, the parties and itself in it, then signs out."""
    for party, member in MEMBER_OF.items():
        assert ACCOUNTS[member][0] == party
        page = browse(locale=lang).page()
        page.goto("/")
        assert urlsplit(page.url).path == "/signin"
        assert page.get_attribute("html", "lang") == lang
        sign_in(page, served, member, goto=False)
        check_language(page, served, lang, member)
        sign_out(page)
        assert page.get_attribute("html", "lang") == lang
        assert page.request.get("/api/v1/me").status == 401


def test_language_switch_signed_out(served: Served, browse: Browse) -> None:
    """Before signing in, the switch sets a cookie that outranks the browser's language."""
    page = browse(locale="en").page()
    page.goto("/signin")
    assert page.get_attribute("html", "lang") == "en"
    for lang in ("ar", "he", "en", "ar"):
        with page.expect_navigation():
            page.click(f"form.lang button[value={lang}]")
        assert urlsplit(page.url).path == "/signin"
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == ("ltr" if lang == "en" else "rtl")
        assert page.get_attribute(f"form.lang button[value={lang}]", "aria-current") == "true"
    sign_in(page, served, "sy-liaison", goto=False)
    check_language(page, served, "ar", "sy-liaison")
    sign_out(page)
    assert page.get_attribute("html", "lang") == "ar"


def test_language_switch_signed_in(served: Served, browse: Browse) -> None:
    """Signed in, the switch is kept as the member's choice, which then wins over another
    browser's language."""
    page = browse(locale="en").page()
    sign_in(page, served, "il-liaison")
    check_language(page, served, "en", "il-liaison")
    for lang in ("he", "ar", "he"):
        with page.expect_navigation():
            page.click(f"form.lang button[value={lang}]")
        assert urlsplit(page.url).path == "/"
        check_language(page, served, lang, "il-liaison")
    other = browse(locale="en").page()
    sign_in(other, served, "il-liaison")
    check_language(other, served, "he", "il-liaison")


# ---- (b) signed-out visitors see nothing -------------------------------------------------


def test_signed_out_visitor_gets_only_the_sign_in_page(served: Served, browse: Browse) -> None:
    w = browse()
    page = w.page()
    for path in ("/", "/profile", "/admin/devices"):
        page.goto(path)
        url = urlsplit(page.url)
        assert url.path == "/signin", page.url
        assert url.query == f"next={path}"
        assert page.is_visible("form[action='/signin'] input[name=password]")
        assert page.get_attribute("body", "data-member") is None
        assert page.locator("table").count() == 0  # no entries, sessions or devices
        assert page.get_attribute("html", "data-device") is None  # no key made signed out
        r = w.context.request.get(path, max_redirects=0)
        assert r.status == 303
        assert r.headers["location"].startswith("/signin?next=")
    for path in ("/api/v1/me", "/api/v1/devices", "/api/v1/entries", "/log/v1/checkpoint"):
        r = w.context.request.get(path)
        assert r.status == 401, path
        assert r.headers["content-type"].startswith("application/problem+json")
        assert set(r.json()) == {"type", "title", "status", "detail"}
    r = w.context.request.post("/api/v1/devices", data={"public_key": "A" * 43 + "=", "label": "x"})
    assert r.status in (401, 403)


# ---- (c) the device key: made in the browser, non-extractable, registered ----------------


def test_first_sign_in_makes_a_non_extractable_device_key(served: Served, browse: Browse) -> None:
    w = browse()
    page = w.page()
    sent: list[Any] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data_json) if r.url.endswith("/api/v1/devices") else None,
    )
    sign_in(page, served, "sy-admin")
    info = device_info(page)
    assert info["algorithm"] == "Ed25519"
    assert info["extractable"] is False
    assert info["usages"] == ["sign"]
    assert info["refused"] == ["InvalidAccessError"] * 3  # pkcs8, jwk, raw: all refused
    assert info["stored"] == [f"{served.cell.ledger.origin} SY/sy-admin"]
    # Only the public key went to the server, once.
    assert len(sent) == 1
    assert set(sent[0]) == {"public_key", "label"}
    assert sent[0]["public_key"] == info["public_key"]
    # The demo registers it at once with the root key, and a party admin's key is an admin key.
    assert (info["status"], info["auto_approved"], info["admin"]) == ("registered", True, True)
    with served.cell.engine.connect() as conn:
        rows = conn.execute(select(log_keys).where(log_keys.c.member == "sy-admin")).all()
    assert len(rows) == 1
    vk = VerifierKey.parse(rows[0].vkey)
    assert (rows[0].key_id, rows[0].admin, vk.name) == (info["key_id"], True, info["name"])
    assert b64e(vk.public) == info["public_key"]
    assert vk.name.startswith("SY/sy-admin/web-")
    assert devices_shown(page) == {info["key_id"]: "registered"}
    # Another page of the same browser reuses the key; the profile says how it was approved.
    again = w.page()
    assert profile_state(again) == "auto"
    assert device_info(again)["key_id"] == info["key_id"]
    assert again.get_attribute(f"tr[data-key-id='{info['key_id']}']", "class") == "this-device"
    assert len(sent) == 1
    # A liaison officer's key is not an admin key.
    other = browse().page()
    sign_in(other, served, "sy-liaison")
    assert device_info(other)["admin"] is False
    with served.cell.engine.connect() as conn:
        admin = conn.execute(
            select(log_keys.c.admin).where(log_keys.c.member == "sy-liaison")
        ).scalar_one()
    assert admin is False


def test_revoking_another_device_from_the_profile(served: Served, browse: Browse) -> None:
    """Two browsers of one member: the second revokes the first, signing with its own key."""
    first = browse().page()
    sign_in(first, served, "il-liaison")
    old = device_info(first)["key_id"]
    second = browse().page()
    sign_in(second, served, "il-liaison")
    new = device_info(second)["key_id"]
    assert profile_state(second) == "auto"
    assert second.is_hidden(f"button.revoke[data-key-id='{new}']")  # not its own
    second.once("dialog", lambda d: d.accept())
    with second.expect_navigation():
        second.click(f"button.revoke[data-key-id='{old}']")
    assert devices_shown(second) == {old: "revoked", new: "registered"}
    assert key_states(served, "il-liaison") == {old: "revoked", new: "registered"}
    entries = log_entries(second)
    last = parse_leaf(b64d(entries[-1]["entry"]))
    assert last.statement.kind == "member.key.revoked"
    assert (last.statement.author.member, last.statement.author.key) == ("il-liaison", new)
    replay(entries)
    # The first browser learns its key was revoked, and may make a new one.
    assert profile_state(first) == "revoked"
    assert first.is_visible("#device-renew")
    with first.expect_navigation():
        first.click("#device-renew")
    assert profile_state(first) == "auto"
    assert device_info(first)["key_id"] not in (old, new)


def test_devices_api_lists_the_browser_key(served: Served, browse: Browse) -> None:
    w = browse()
    page = w.page()
    sign_in(page, served, "us-duty")
    key_id = device_info(page)["key_id"]
    r = page.request.get("/api/v1/devices")
    status = r.status
    w.problems.clear()  # the page saw nothing; this request is the test's own
    assert status == 200, r.text()
    assert [(d["key_id"], d["status"]) for d in r.json()["devices"]] == [(key_id, "registered")]


# ---- (d) approval by a party admin, signed with the admin's own device key ---------------


@pytest.mark.parametrize("auto_approve", [False])
def test_party_admin_approves_a_device_then_it_writes(served: Served, browse: Browse) -> None:
    admin = browse().page()
    sign_in(admin, served, "sy-admin")
    assert profile_state(admin) == "pending"
    # The operator registers the first admin's key with the party's root key
    # (`fusioncell key register SY sy-admin VKEY --admin`).
    (waiting,) = pending_for_party(served.cell.engine, "SY")
    assert waiting["member"] == "sy-admin"
    register_member_key(served.cell, "SY", "sy-admin", waiting["vkey"], admin=True)
    admin_key = device_info(admin)["key_id"]
    assert profile_state(admin) == "registered"

    liaison = browse(locale="ar").page()
    sign_in(liaison, served, "sy-liaison")
    assert profile_state(liaison) == "pending"
    mine = device_info(liaison)
    assert mine["status"] == "pending"
    assert mine["auto_approved"] is False
    # Until approved, the log refuses what this device signs (and says why).
    refused = liaison.evaluate(
        """async () => {
          const { signAndAppend } = await import("/static/js/sign.js");
          try {
            await signAndAppend("note.posted", "early", ["SY"], { text: "too early" });
            return "accepted";
          } catch (e) {
            return `${e.status} ${e.message}`;
          }
        }"""
    )
    assert refused == f"403 key {mine['key_id']} is not registered for SY/sy-liaison"
    problems = browse.contexts[-1].problems
    assert len(problems) == 1 and "403" in problems[0]  # the refused request, in the console
    problems.clear()

    admin.goto("/admin/devices")
    button = f"button.approve[data-member='sy-liaison'][data-request='{mine['name'][-8:]}']"
    vkey = VerifierKey.parse(admin.get_attribute(button, "data-vkey"))
    assert (vkey.name, b64e(vkey.public)) == (mine["name"], mine["public_key"])
    with admin.expect_navigation():
        admin.click(button)
    assert admin.locator("button.approve").count() == 0

    entries = log_entries(admin)
    last = entries[-1]
    st = parse_leaf(b64d(last["entry"])).statement
    assert st.kind == KEY_REGISTERED
    assert st.subject == "SY/sy-liaison"
    assert (st.author.party, st.author.member, st.author.key) == ("SY", "sy-admin", admin_key)
    assert st.visibility == ("IL", "SY", "US")
    assert last["body"]["key"] == vkey.encode() == registered_vkey(served, "sy-liaison")
    assert last["body"]["admin"] is False
    ring = replay(entries)
    assert ("SY", "sy-liaison", mine["key_id"]) in ring.members

    assert profile_state(liaison) == "registered"
    text = "نطلب توضيحاً بشأن التحركات قرب خط الفصل."
    done = liaison.evaluate(
        SIGN_AND_APPEND,
        [
            "note.posted",
            "demo-deescalation",
            ["US", "SY"],
            {"thread": "deescalation", "lang": "ar", "text": text},
        ],
    )
    assert done["index"] == len(entries)
    liaison.goto("/")
    row = liaison.locator("table.entries tbody tr").first
    assert text in row.inner_text()
    assert row.locator("bdi[lang=ar][dir=rtl]").inner_text() == text


def registered_vkey(served: Served, member: str) -> str:
    with served.cell.engine.connect() as conn:
        vkey: str = conn.execute(
            select(log_keys.c.vkey).where(log_keys.c.member == member)
        ).scalar_one()
    return vkey


# ---- (e) what the browser signs verifies in Python: JCS in JS = RFC 8785 ------------------

VECTORS: list[Any] = [
    {"b": 1, "a": 2, "é": 3, "Z": 4, "ﬁ": 5, "😀": 6, "\u0080": 7, "aa": 8, "": 9},
    {"numbers": [0, -0.0, 1, -1, 1.5, 0.1, 0.30000000000000004, 1e21, 1e22, 1e-6, 1e-7]},
    [5e-324, 1.7976931348623157e308, 9007199254740991, -9007199254740991, 123456.789, 2.5e-5],
    {"text": "نص عربي — טקסט בעברית — emoji 👩🏽‍🚀🇸🇾 and \u202eRLO"},
    {"escapes": 'quote " backslash \\ slash / tab \t newline \n nul \u0000 \u001f \u007f \u2028'},
    {"nested": {"z": [{"y": None, "x": True}, False, [], {}], "a": {"c": {"b": "deep"}}}},
    "plain string",
    True,
    None,
]

# Values JSON cannot carry, or that the log would not read back the same (JS source).
JS_REFUSES = """[
  NaN, Infinity, -Infinity,
  2 ** 53,
  1e20,  // Python writes 1e20 as 100000000000000000000, then reads that back as an int
  "\\uD800", "a\\uDC00b",  // lone surrogates
  undefined, () => 1, Symbol("s"), 10n, new Date(0), new Map(),
  (() => { const o = {}; o.o = o; return o; })(),
  [1, , 2],  // a hole
]"""


def test_jcs_in_the_browser_is_rfc_8785(served: Served, browse: Browse) -> None:
    page = browse().page()
    sign_in(page, served, "us-duty")
    got = page.evaluate(
        """async (vectors) => {
          const { canonicalize } = await import("/static/js/jcs.js");
          return vectors.map((v) => canonicalize(v));
        }""",
        VECTORS,
    )
    assert got == [canonical(v).decode("utf-8") for v in VECTORS]
    refused = page.evaluate(
        """async () => {
          const { canonicalize } = await import("/static/js/jcs.js");
          return (CASES).map((v) => {
            try {
              canonicalize({ v });
              return "accepted";
            } catch (e) {
              return e.name;
            }
          });
        }""".replace("CASES", JS_REFUSES)
    )
    assert refused == ["TypeError"] * 15


def test_statement_signed_in_the_browser_verifies_in_python(
    served: Served, browse: Browse, tmp_path: Path
) -> None:
    page = browse(locale="he").page()
    sign_in(page, served, "sy-liaison")
    body = {
        "thread": "jcs",
        "lang": "ar",
        "text": 'نطلب توضيحاً — טקסט בעברית — 👩🏽‍🚀 \u2028 "quoted"',
        "meta": {"ﬁ": 1, "😀": 2, "é": [1.5, 1e21, 1e-7, 0.1, -3, 9007199254740991]},
        "nested": {"b": {"d": None, "c": True}, "a": []},
    }
    signed = page.evaluate(
        """async (body) => {
          const { signStatement } = await import("/static/js/sign.js");
          const { b64encode } = await import("/static/js/device.js");
          const s = await signStatement("note.posted", "jcs-1", ["US", "SY", "US"], body);
          return { raw: b64encode(s.raw), sig: b64encode(s.sig), body: s.body };
        }""",
        body,
    )
    raw = b64d(signed["raw"])
    st = parse_statement(raw)  # canonical bytes, the eight fields, the formats
    assert st.visibility == ("SY", "US")
    assert st.author.member == "sy-liaison"
    assert st.client_time.endswith("Z") and len(st.client_time) == 24
    assert sha256_hex(canonical(signed["body"])) == st.body_sha256
    assert {k: v for k, v in signed["body"].items() if k != "salt"} == body
    assert len(b64d(signed["body"]["salt"], length=16)) == 16
    key = VerifierKey.parse(registered_vkey(served, "sy-liaison"))
    assert key.key_id_hex == st.author.key
    assert key.verify(b64d(signed["sig"]), raw)

    done = page.evaluate(SIGN_AND_APPEND, ["note.posted", "jcs-2", ["SY", "US"], body])
    entries = log_entries(page)
    mine = entries[done["index"]]
    entry = parse_leaf(b64d(mine["entry"]))
    assert entry.statement.subject == "jcs-2"
    assert {k: v for k, v in mine["body"].items() if k != "salt"} == body
    replay(entries)
    report = verify_dir(export(page, entries, tmp_path / "export"), workers=1)
    assert report.size == len(entries)


def test_append_errors_show_the_servers_detail(served: Served, browse: Browse) -> None:
    page = browse().page()
    sign_in(page, served, "us-supervisor")
    message = page.evaluate(
        """async () => {
          const { signAndAppend } = await import("/static/js/sign.js");
          try {
            await signAndAppend("system.deadline.passed", "x", ["US"], {});
            return "accepted";
          } catch (e) {
            return `${e.status} ${e.message}`;
          }
        }"""
    )
    assert message == "403 system.deadline.passed entries are written by the cell itself"
    # The browser logged the refused request; that one is expected.
    w = browse.contexts[-1]
    assert len(w.problems) == 1 and "403" in w.problems[0]
    w.problems.clear()


# ---- (f) the watcher itself, and the screenshot -----------------------------------------


def test_csp_blocks_inline_script_and_the_watcher_sees_it(served: Served, browse: Browse) -> None:
    w = browse()
    page = w.page()
    page.goto("/signin")
    csp = page.request.get("/signin").headers["content-security-policy"]
    assert "script-src 'self'" in csp
    directive = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener(
            "securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.__ran = true;";
          document.body.append(s);
        })"""
    )
    assert directive == "script-src-elem"
    assert page.evaluate("() => window.__ran === undefined")
    # The page's own listener (conftest.CSP_WATCH) ran first and reported it.
    assert any("CSP script-src" in p for p in w.problems), w.problems
    w.problems.clear()


# Notes of the demo's members, signed and shown on the home page.
MESSAGES: list[tuple[str, str, list[str], str, str]] = [
    ("us-supervisor", "general", ["IL", "SY", "US"], "en", "The communication cell is open."),
    (
        "sy-liaison",
        "deescalation",
        ["IL", "SY", "US"],
        "ar",
        "نطلب توضيحاً بشأن تحركات قرب خط الفصل.",
    ),
    ("il-liaison", "deescalation", ["IL", "SY", "US"], "he", "התקבל. נמסור הבהרה בתוך 48 שעות."),
]


def test_home_in_arabic(served: Served, browse: Browse, request: pytest.FixtureRequest) -> None:
    """The demo's messages and one written in this browser, in Arabic (the README's picture)."""
    keys = {}
    for member, *_ in MESSAGES:
        party = member[:2].upper()
        if member not in keys:
            keys[member] = new_member_key(party, member, "laptop")
            register_member_key(served.cell, party, member, keys[member].verifier.encode())
    for member, thread, vis, lang, text in MESSAGES:
        key = keys[member]
        post_as(
            served.cell,
            key,
            Author(member[:2].upper(), member, key.key_id_hex),
            "note.posted",
            f"demo-{thread}",
            vis,
            {"thread": thread, "lang": lang, "text": text},
        )
    page = browse(locale="ar").page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, served, "sy-liaison")
    text = "تم الاستلام. سنرد خلال ساعة."
    page.evaluate(
        SIGN_AND_APPEND,
        [
            "note.posted",
            "demo-deescalation",
            ["IL", "SY", "US"],
            {"thread": "deescalation", "lang": "ar", "text": text},
        ],
    )
    page.goto("/")
    check_language(page, served, "ar", "sy-liaison")
    shown = page.inner_text("table.entries")
    for member, _thread, vis, _lang, message in MESSAGES:
        assert (message in shown) == ("SY" in vis), member
    assert text in shown
    # The README's picture is refreshed on request only: a test run leaves the tree clean.
    if os.environ.get("FUSIONCELL_UPDATE_SCREENSHOT") and "sqlite" in request.node.name:
        page.screenshot(path=str(SCREENSHOT))


def test_profile_as_the_first_page_shows_the_new_key(served: Served, browse: Browse) -> None:
    """When the profile is the first signed-in page, its table was rendered before this
    browser's key existed: the status must still be the key's, not 'unknown'."""
    page = browse().page()
    page.goto("/signin?next=/profile")
    page.fill("input[name=member]", "us-duty")
    page.fill("input[name=password]", served.account("us-duty"))
    with page.expect_navigation():
        page.click("form[action='/signin'] button.primary")
    assert urlsplit(page.url).path == "/profile"
    page.wait_for_selector("#device-status:not([hidden])[data-state]:not([data-state=working])")
    assert page.get_attribute("#device-status", "data-state") == "auto"
