"""The pages in Arabic, Hebrew and English: complete catalogs, every page in every language,
errors in the reader's language, and the rule that picks the language.

A message added to a template or marked N_("...") in the code without a translation fails
here: run scripts/i18n, then translate what it left empty in the ar and he catalogs."""

from __future__ import annotations

import base64
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyotp
import pytest
from babel.messages import frontend as babel_frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

import fusioncell.web.render as render_module
from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock
from fusioncell.commerce.demo import seed_commerce
from fusioncell.commerce.tables import commerce_proposals
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.deesc.tables import deesc_incidents
from fusioncell.demo import ACCOUNTS as DEMO_ACCOUNTS
from fusioncell.diplomacy.demo import PLENARY, ROUND, seed_diplomacy
from fusioncell.disputes.demo import DISPUTE, seed_disputes
from fusioncell.errors import Invalid, RateLimited
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.identity.devices_web import request_device
from fusioncell.identity.sessions import MAX_FAILURES
from fusioncell.intel.demo import seed_intel
from fusioncell.intel.tables import intel_reports
from fusioncell.ledger import trust
from fusioncell.ledger.entry import Author
from fusioncell.ledger.tables import log_members
from fusioncell.statements.demo import PARIS, seed_statements
from fusioncell.understandings.demo import seed_understandings
from fusioncell.web import i18n
from fusioncell.web.labels import KIND_LABELS, ROLE_LABELS
from fusioncell.web.labels import kind_label as kind_label_of
from tests.web.conftest import SIGNIN_PASSWORD, MakeCell

ROOT = Path(__file__).resolve().parents[2]
WEB = Path(i18n.__file__).parent
LOCALES_DIR = WEB / "locales"
TEMPLATES = WEB / "templates"
TRANSLATED = ("ar", "he")  # must translate every message; en may keep the msgid
PASSWORD = SIGNIN_PASSWORD
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifreEgGxXoc%]")
PLURALS = {"ar": 6, "he": 3, "en": 2}


# ---- the catalogs ------------------------------------------------------------------------


def load(lang: str) -> Catalog:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def template_ids() -> set[str]:
    with (LOCALES_DIR / "messages.pot").open("rb") as fh:
        return {str(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}


def strings(message: Any) -> list[str]:
    s = message.string
    return list(s) if isinstance(s, tuple | list) else [s]


def ids(message: Any) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def placeholders(text: str) -> Counter[str]:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def test_the_template_exists_and_has_the_pages_messages() -> None:
    have = template_ids()
    for msgid in ["Sign in", "wrong member id or password", "Charter adopted", "Duty officer"]:
        assert msgid in have


@pytest.mark.parametrize("lang", [*TRANSLATED, "en"])
def test_every_message_is_translated(lang: str) -> None:
    catalog = load(lang)
    by_id = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
    missing = sorted(i for i in template_ids() if i not in by_id)
    assert missing == [], f"{lang}: not in the catalog (run scripts/i18n): {missing}"
    untranslated = sorted(
        str(i) for i, m in by_id.items() if m.fuzzy or not all(s and s.strip() for s in strings(m))
    )
    assert untranslated == [], f"{lang}: empty or fuzzy msgstr: {untranslated}"


def test_the_catalogs_cover_the_sources() -> None:
    """What the sources mark today is in the catalogs (someone forgot scripts/i18n)."""
    cfg = ROOT / "babel.cfg"
    if not cfg.exists():
        pytest.skip("babel.cfg is not here (installed package)")
    parse = getattr(babel_frontend, "parse_mapping_cfg", None) or babel_frontend.parse_mapping
    with cfg.open(encoding="utf-8") as fh:
        method_map, options_map = parse(fh)
    found = {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, _comments, _ctx in extract_from_dir(
            str(ROOT),
            method_map,
            options_map,
            directory_filter=lambda d: not Path(d).name.startswith((".", "_")),
        )
        if msg
    }
    assert "Sign in" in found and "wrong member id or password" in found
    known = template_ids()
    assert sorted(found - known) == [], "new messages: run scripts/i18n and translate them"
    for lang in TRANSLATED:
        have = {ids(m)[0] for m in load(lang) if m.id and all(strings(m)) and not m.fuzzy}
        assert sorted(str(x) for x in found - have) == [], f"{lang}: untranslated"


@pytest.mark.parametrize("lang", [*TRANSLATED, "en"])
def test_placeholders_match(lang: str) -> None:
    for m in load(lang):
        if not m.id:
            continue
        want = placeholders(ids(m)[-1])
        for s in strings(m):
            assert placeholders(s) == want, f"{lang}: {m.id!r} -> {s!r}"


@pytest.mark.parametrize(("lang", "n"), PLURALS.items())
def test_plural_forms(lang: str, n: int) -> None:
    catalog = load(lang)
    assert catalog.num_plurals == n
    rule = i18n.translations(lang).plural
    if lang == "ar":
        assert [rule(k) for k in (0, 1, 2, 3, 10, 11, 99, 100, 102)] == [0, 1, 2, 3, 3, 4, 4, 5, 5]
    if lang == "he":
        assert [rule(k) for k in (1, 2, 3, 10)] == [0, 1, 2, 2]
    if lang == "en":
        assert [rule(k) for k in (0, 1, 2)] == [1, 0, 1]


def test_translations_reach_the_pages() -> None:
    assert i18n.gettext("ar", "Sign in") == "تسجيل الدخول"
    assert i18n.gettext("he", "Sign in") == "כניסה"
    assert i18n.gettext("en", "Sign in") == "Sign in"
    assert i18n.gettext("ar", "") == ""  # not the catalog's header
    assert i18n.gettext("ar", "no such msgid, ever") == "no such msgid, ever"
    assert i18n.translate(
        "he", "a password has %(min)s to %(max)s characters", {"min": 12, "max": 256}
    ) == ("סיסמה צריכה להכיל בין 12 ל־256 תווים")


def test_direction() -> None:
    assert i18n.direction("ar") == "rtl"
    assert i18n.direction("he") == "rtl"
    assert i18n.direction("en") == "ltr"


# ---- labels of data ----------------------------------------------------------------------


def test_every_kind_and_role_has_a_label() -> None:
    kinds = {
        trust.GENESIS_KIND,
        trust.MEMBER_ADDED,
        trust.MEMBER_DISABLED,
        trust.KEY_REGISTERED,
        trust.KEY_REVOKED,
        trust.WITNESS_REGISTERED,
        trust.WITNESS_REVOKED,
        "note.posted",
    }
    assert kinds <= set(KIND_LABELS)
    assert {r.value for r in Role} <= set(ROLE_LABELS)


@pytest.mark.parametrize("lang", ["ar", "he", "en"])
def test_label_filters(lang: str) -> None:
    env = i18n.environment(lang)
    kind = env.filters["kind_label"]
    role = env.filters["role_label"]
    expect = {"ar": "ضابط الارتباط", "he": "קצין קישור", "en": "Liaison officer"}[lang]
    assert role(Role.LIAISON_OFFICER) == expect
    assert role("liaison_officer") == expect
    assert role("no_such_role") == "no_such_role"
    assert kind("charter.adopted") == i18n.gettext(lang, "Charter adopted")
    assert kind("some.future.kind") == "some.future.kind"  # unknown: the raw kind
    assert kind_label_of("member.added", str.upper) == "MEMBER ADDED"


# ---- the pages, through the app ------------------------------------------------------------


@pytest.fixture
def i18n_cell(make_cell: MakeCell) -> Cell:
    return make_cell(
        [
            ("SY", "sy-admin", Role.PARTY_ADMIN),
            ("SY", "sy-liaison", Role.LIAISON_OFFICER),
            ("IL", "il-duty", Role.DUTY_OFFICER),
        ]
    )


def client(cell: Cell) -> TestClient:
    return TestClient(create_app(cell), base_url="https://testserver", follow_redirects=False)


def set_lang(web: TestClient, lang: str | None) -> None:
    web.cookies.delete("fc_lang")
    if lang is not None:
        web.cookies.set("fc_lang", lang)


def csrf_of(html: str) -> str:
    return html.split('data-csrf="')[1].split('"', maxsplit=1)[0]


def password_step(web: TestClient, member: str, password: str = PASSWORD) -> Any:
    web.get("/signin")
    return web.post(
        "/signin",
        data={"member": member, "password": password, "csrf": web.cookies["fc_pre"], "next": "/"},
    )


def sign_in(web: TestClient, clock: FrozenClock, member: str) -> None:
    r = password_step(web, member)
    assert r.status_code == 303 and r.headers["location"] == "/signin/totp", r.text
    page = web.get("/signin/totp").text
    secret = page.split('id="totp-secret">')[1].split("<")[0]
    code = pyotp.TOTP(secret).at(clock.now())
    r = web.post("/signin/totp", data={"code": code, "csrf": csrf_of(page)})
    assert r.status_code == 303, r.text


def html_tag(lang: str) -> str:
    return f'<html lang="{lang}" dir="{"rtl" if lang in ("ar", "he") else "ltr"}">'


def test_every_page_renders_in_every_locale(
    i18n_cell: Cell, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[tuple[str, str]] = []
    real = render_module.environment

    class Spy:
        def __init__(self, lang: str) -> None:
            self.lang = lang

        def get_template(self, name: str) -> Any:
            rendered.append((self.lang, name))
            return real(self.lang).get_template(name)

    monkeypatch.setattr(render_module, "environment", Spy)

    key = base64.b64encode(bytes(range(32))).decode("ascii")
    request_device(i18n_cell, "SY", "sy-liaison", key, "laptop")
    _, token = do_add_member(i18n_cell, "US", "us-duty", Role.DUTY_OFFICER)

    anonymous = client(i18n_cell)
    half = client(i18n_cell)
    r = password_step(half, "sy-liaison")
    assert r.headers["location"] == "/signin/totp"
    admin = client(i18n_cell)
    sign_in(admin, clock, "sy-admin")
    member = client(i18n_cell)
    sign_in(member, clock, "sy-liaison")
    duty = client(i18n_cell)
    sign_in(duty, clock, "il-duty")
    thread, message = cell_thread(i18n_cell)
    proposal, report, incident = workstreams(i18n_cell)

    pages: list[tuple[TestClient, str, int]] = [
        (anonymous, "/signin", 200),
        (anonymous, f"/invite/{token}", 200),
        (anonymous, "/invite/no-such-token", 404),
        (half, "/signin/totp", 200),
        (admin, "/", 200),
        (admin, "/profile", 200),
        (admin, "/admin/devices", 200),
        (member, "/profile", 200),
        (member, "/cell", 200),
        (member, "/cell/new", 200),
        (member, f"/cell/t/{thread}", 200),
        (member, f"/cell/t/{thread}/m/{message}", 200),
        (admin, "/cell/t/no-such-thread", 404),
        (admin, "/duty", 200),
        (member, "/duty/board", 200),
        (member, "/line", 200),
        (duty, "/board", 200),
        (member, "/sitrep", 200),  # the situation report (fusioncell.sitrep)
        (duty, "/sitrep?from=2026-11-20&to=2026-11-26", 200),
        (member, "/sitrep?party=IL", 404),
        (member, "/sitrep?from=2026-11-26&to=2026-11-20", 400),
        (member, "/commerce", 200),
        (member, f"/commerce/p/{proposal}", 200),
        (member, "/intel", 200),
        (member, f"/intel/r/{report}", 200),
        (member, "/deesc", 200),
        (member, f"/deesc/items/{incident}", 200),
        (member, "/disputes", 200),
        (member, f"/disputes/new?about={incident}", 200),
        (member, f"/disputes/d/{DISPUTE}", 200),
        (member, "/understandings", 200),
        (member, "/understandings/halt-military-activity", 200),
        (member, "/statements", 200),
        (member, "/statements/new", 200),
        (member, f"/statements/s/{PARIS}", 200),
        (member, f"/statements/s/{PARIS}/diff?a=1&b=2", 200),
        (member, "/diplomacy", 200),
        (member, f"/diplomacy/r/{ROUND}", 200),
        (member, f"/diplomacy/m/{PLENARY}", 200),
        (member, "/glossary", 200),
        (member, "/search", 200),
        (member, "/search?q=%D8%A7%D9%84%D8%AD%D8%AF%D9%88%D8%AF+border", 200),
        (member, "/notifications", 200),
        (member, "/notifications/settings", 200),
        (admin, "/notifications/party", 200),
        (member, "/board", 403),
    ]
    for lang in i18n.LOCALES:
        for web in (anonymous, half, admin, member, duty):
            set_lang(web, lang)
        for web, path, status in pages:
            r = web.get(path)
            assert r.status_code == status, (lang, path, r.text[:500])
            if (
                path.startswith("/cell/t/") and "/m/" in path
            ):  # a fragment of the thread page: one message, no <html>
                assert 'class="msg u-FLASH' in r.text and i18n.gettext(lang, "Reply") in r.text
                continue
            if path == "/duty/board":  # the fragment the home page and duty.js refresh
                assert i18n.gettext(lang, "Who is on duty") in r.text
                continue
            assert html_tag(lang) in r.text, (lang, path)
            # every message of the page is in the page's language
            assert i18n.gettext(lang, "log") in r.text, (lang, path)

        home = admin.get("/").text
        kinds = re.findall(r'<code class="kind[^"]*" dir="ltr">([\w.]+)</code>', home)
        # the newest entries: the workstreams' seeds, each kind shown with its label
        # (the understandings' seed comes last: its statuses and milestones are the newest)
        assert {"understanding.status.changed", "understanding.milestone.set"} <= set(kinds)
        for k in kinds:
            assert str(escape(kind_label_of(k, i18n.translations(lang).gettext))) in home
        assert i18n.gettext(lang, "Latest entries you may see") in home
        profile = admin.get("/profile").text
        assert f"<dd>{i18n.gettext(lang, 'Party administrator')}</dd>" in profile
        devices = admin.get("/admin/devices").text
        assert i18n.gettext(lang, "Devices to approve") in devices and "laptop" in devices
        assert i18n.gettext(lang, "waiting for approval") in member.get("/profile").text
        missing = anonymous.get("/invite/no-such-token").text
        assert i18n.gettext(lang, "Not found") in missing
        assert i18n.gettext(lang, "this invitation link is unknown, used or expired") in missing

    # A partial (included or imported by a page) renders with that page.
    used = re.compile(r'{%-?\s*(?:include|import|from)\s+"([\w.]+)"')
    partials = {m for t in TEMPLATES.glob("*.html") for m in used.findall(t.read_text())}
    pages_here = {p.name for p in TEMPLATES.glob("*.html")} - {"base.html"} - partials
    for lang in i18n.LOCALES:
        seen = {name for code, name in rendered if code == lang}
        assert pages_here <= seen, (
            f"{lang}: templates no page of this test renders: {sorted(pages_here - seen)}; "
            "add a URL that shows them to `pages`"
        )


def cell_thread(cell: Cell) -> tuple[str, int]:
    """A thread of the cell with one FLASH message from SY, signed by sy-liaison's key."""
    key = new_member_key("SY", "sy-liaison", "laptop")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
    author = Author("SY", "sy-liaison", key.key_id_hex)
    parties = ["IL", "SY", "US"]
    thread = "i18n-thread"
    topic = {"text": "تحركات قرب خط الفصل", "lang": "ar"}
    body = {"thread": thread, "workstream": "deescalation", "topic": topic, "parties": parties}
    post_as(cell, key, author, "cell.thread.opened", f"t/{thread}", parties, body)
    text = {"thread": thread, "urgency": "FLASH", "text": "نطلب توضيحاً فورياً", "lang": "ar"}
    sent = post_as(cell, key, author, "cell.message.posted", f"t/{thread}", parties, text)
    return thread, sent.index


def workstreams(cell: Cell) -> tuple[str, str, int]:
    """The demo's proposals, reports and incidents (the seeds of step 5, signed with the demo
    members' keys); returns a proposal, a report and an incident that SY may see."""
    keys = {}
    with cell.engine.connect() as c:
        known = set(c.execute(select(log_members.c.member)).scalars())
    for party, member, role in DEMO_ACCOUNTS:
        if member not in known:
            do_add_member(cell, party, member, role)
        key = new_member_key(party, member, "seed")
        register_member_key(cell, party, member, key.verifier.encode())
        keys[member] = key
    seed_statements(cell, keys)  # first: the newest entries stay the other seeds'
    seed_diplomacy(cell, keys)
    seed_commerce(cell, keys)
    seed_intel(cell, keys)
    seed_deescalation(cell, keys)
    seed_disputes(cell, keys)  # about the incident: after the de-escalation's seed
    seed_understandings(cell, keys)
    with cell.engine.connect() as c:
        proposal = (
            c.execute(
                select(commerce_proposals.c.id).where(commerce_proposals.c.parties.like("%,SY,%"))
            )
            .scalars()
            .first()
        )
        report = (
            c.execute(select(intel_reports.c.id).where(intel_reports.c.party == "SY"))
            .scalars()
            .first()
        )
        incident = c.execute(select(deesc_incidents.c.idx)).scalars().first()
    assert proposal and report and incident is not None
    return str(proposal), str(report), int(incident)


def test_arabic_pages_show_arabic_text(i18n_cell: Cell) -> None:
    web = client(i18n_cell)
    set_lang(web, "ar")
    page = web.get("/signin").text
    assert "تسجيل الدخول" in page and "معرّف العضو" in page
    assert ">Sign in<" not in page and "Member id" not in page


def test_wrong_password_in_the_readers_language(i18n_cell: Cell) -> None:
    web = client(i18n_cell)
    set_lang(web, "ar")
    r = password_step(web, "sy-liaison", "not the password")
    assert r.status_code == 401
    assert html_tag("ar") in r.text
    assert "معرّف العضو أو كلمة المرور غير صحيح" in r.text
    assert "wrong member id or password" not in r.text
    set_lang(web, "he")
    r = password_step(web, "nobody-here", "not the password")
    assert r.status_code == 401 and "מזהה החבר או הסיסמה שגויים" in r.text
    set_lang(web, "en")
    r = password_step(web, "sy-liaison", "not the password")
    assert r.status_code == 401 and "wrong member id or password" in r.text
    # the API keeps the English
    r = web.get("/api/v1/me")
    assert (
        r.status_code == 401
        and r.json()["detail"] == "sign in, or send Authorization: Bearer TOKEN"
    )


def test_lockout_message_keeps_its_time(i18n_cell: Cell) -> None:
    web = client(i18n_cell)
    set_lang(web, "ar")
    for _ in range(MAX_FAILURES):
        password_step(web, "sy-liaison", "not the password")
    r = password_step(web, "sy-liaison", PASSWORD)
    assert r.status_code == 429
    assert "مُقفل حتى الساعة 09:15" in r.text and "locked until" not in r.text


def test_other_errors_in_the_readers_language(i18n_cell: Cell) -> None:
    web = client(i18n_cell)
    web.get("/signin")
    set_lang(web, "he")
    r = web.post("/signin", data={"member": "sy-liaison", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403 and html_tag("he") in r.text
    assert "אסימון ה־CSRF חסר או שגוי" in r.text and "reload the page" not in r.text
    assert "אין הרשאה" in r.text  # the error page's title
    set_lang(web, "ar")
    r = web.get("/no-such-page")
    assert r.status_code == 404 and "الصفحة المطلوبة غير موجودة" in r.text
    _, token = do_add_member(i18n_cell, "US", "us-duty", Role.DUTY_OFFICER)
    set_lang(web, "ar")
    csrf = web.cookies["fc_pre"]
    weak = web.post(
        f"/invite/{token}", data={"password": "short", "confirm": "short", "csrf": csrf}
    )
    assert weak.status_code == 400
    assert "يجب أن تتألف كلمة المرور من 12 إلى 256 حرفًا" in weak.text
    differ = web.post(
        f"/invite/{token}",
        data={"password": "a long enough one", "confirm": "a long enough two", "csrf": csrf},
    )
    assert differ.status_code == 400 and "كلمتا المرور غير متطابقتين" in differ.text


def test_domain_errors_keep_english_and_their_template() -> None:
    e = RateLimited("locked until %(time)s UTC", time="09:15")
    assert e.message == str(e) == "locked until 09:15 UTC"
    assert e.template == "locked until %(time)s UTC" and dict(e.params) == {"time": "09:15"}
    plain = Invalid("100% plain")  # no values: no formatting
    assert plain.message == "100% plain" and plain.template == "100% plain"
    assert i18n.translate("ar", plain.template, plain.params) == "100% plain"


# ---- which language --------------------------------------------------------------------------


def test_language_rule() -> None:
    langs = ["ar", "he", "en"]
    assert i18n.choose("he", "en", "ar", langs) == "he"  # the member's choice first
    assert i18n.choose(None, "en", "he", langs) == "en"  # then the cookie
    assert i18n.choose(None, None, "fr;q=1, he-IL;q=0.8, en;q=0.5", langs) == "he"
    assert i18n.choose(None, None, None, langs) == "ar"  # then the charter's first
    assert i18n.choose(None, None, "fr", ["en", "ar"]) == "en"
    assert i18n.choose("xx", "yy", "zz", langs) == "ar"  # nothing usable


def test_language_rule_on_the_pages(i18n_cell: Cell, clock: FrozenClock) -> None:
    assert i18n_cell.charter.mechanism.languages[0] == "ar"
    anonymous = client(i18n_cell)
    assert html_tag("ar") in anonymous.get("/signin").text  # the charter's first
    page = anonymous.get("/signin", headers={"Accept-Language": "he-IL,he;q=0.9,en;q=0.5"})
    assert html_tag("he") in page.text  # Accept-Language beats the charter
    set_lang(anonymous, "en")
    page = anonymous.get("/signin", headers={"Accept-Language": "he"})
    assert html_tag("en") in page.text  # the cookie beats Accept-Language

    web = client(i18n_cell)
    sign_in(web, clock, "il-duty")
    r = web.post("/lang", data={"lang": "he", "csrf": csrf_of(web.get("/").text), "next": "/"})
    assert r.status_code == 303
    set_lang(web, "en")
    page = web.get("/", headers={"Accept-Language": "ar"})
    assert html_tag("he") in page.text  # the member's stored choice beats the cookie
    set_lang(web, None)
    assert html_tag("he") in web.get("/profile", headers={"Accept-Language": "en"}).text
