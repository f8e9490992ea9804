"""Screenshots of every page a person uses, in Arabic, Hebrew and English.

Builds the Paris demo in a temporary directory (fusioncell.demo.ensure_demo), serves it
with uvicorn on a free port of 127.0.0.1, signs in through the form as a demo member of
the language's party (ar: sy-head, he: il-head, en: us-supervisor; the demo has
TOTP off), and saves each page, full length at 1280x900, into docs/screenshots/
<page>-<lang>.png (a JPEG of quality 70, .jpg, where the PNG would pass 300 KB), with
docs/screenshots/README.md listing them. Playwright drives Debian's Chromium:

    python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fusioncell.app import create_app  # noqa: E402
from fusioncell.cell import open_cell  # noqa: E402
from fusioncell.commerce.demo import CORRIDOR  # noqa: E402
from fusioncell.demo import ensure_demo  # noqa: E402
from fusioncell.diplomacy.demo import PLENARY, ROUND  # noqa: E402
from fusioncell.disputes.demo import DISPUTE  # noqa: E402
from fusioncell.settings import Settings  # noqa: E402
from fusioncell.statements.demo import PARIS  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
MAX_PNG = 300_000
# Who is signed in for each language: a member of a party that works in it.
READERS = {"ar": "sy-head", "he": "il-head", "en": "us-supervisor"}
# Page name -> its path, or (a list page, the pattern of the first link to follow on it).
PAGES: list[tuple[str, str | tuple[str, str]]] = [
    ("home", "/"),
    ("cell-inbox", "/cell"),
    ("cell-thread", ("/cell", r"^/cell/t/[^/#?]+$")),
    ("intel", "/intel"),
    ("intel-report", ("/intel", r"^/intel/r/[^/#?]+$")),
    ("deesc-map", "/deesc"),
    ("deesc-item", ("/deesc", r"^/deesc/items/\d+$")),
    ("commerce", "/commerce"),
    ("commerce-proposal", ("/commerce", rf"^/commerce/p/{CORRIDOR}$")),
    ("disputes", "/disputes"),
    ("disputes-dispute", f"/disputes/d/{DISPUTE}"),
    ("understandings", "/understandings"),
    ("understandings-item", "/understandings/security-arrangements"),
    ("diplomacy", "/diplomacy"),
    ("diplomacy-round", f"/diplomacy/r/{ROUND}"),
    ("diplomacy-meeting", f"/diplomacy/m/{PLENARY}"),
    ("statements", "/statements"),
    ("statements-paris", f"/statements/s/{PARIS}"),
    ("glossary", "/glossary"),
    ("search", "/search?q=Quneitra"),
    ("duty", "/duty"),
    ("line", "/line"),
    ("board", "/board"),
    ("sitrep", "/sitrep"),
    ("notifications", "/notifications"),
    ("profile", "/profile"),
]
TITLES = {
    "home": "Home: the member's work at a glance",
    "cell-inbox": "The cell's inbox",
    "cell-thread": "A thread of the cell",
    "intel": "Intelligence: reports and requests",
    "intel-report": "An intelligence report",
    "deesc-map": "De-escalation: the map",
    "deesc-item": "De-escalation: an incident",
    "commerce": "Commerce: proposals",
    "commerce-proposal": "A commercial proposal",
    "disputes": "Disputes",
    "disputes-dispute": "The demo dispute",
    "understandings": "Understandings",
    "understandings-item": "An understanding (security arrangements)",
    "diplomacy": "Diplomacy: rounds",
    "diplomacy-round": "The Paris round",
    "diplomacy-meeting": "The Paris plenary",
    "statements": "Joint statements",
    "statements-paris": "The Paris joint statement",
    "glossary": "The glossary",
    "search": "Search, with results",
    "duty": "Duty rosters",
    "line": "The line checks",
    "board": "The board",
    "sitrep": "The daily situation report",
    "notifications": "Notifications",
    "profile": "Profile",
}


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn in a background thread; yields its base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise SystemExit("the server did not start")
            thread.join(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def sign_in(page: Any, member: str, password: str) -> None:
    page.goto("/signin")
    page.fill("input[name=member]", member)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/signin'] button.primary")
    # The device's key is made and registered (the demo approves it at once).
    page.wait_for_selector("html[data-device]", state="attached")


def settle(page: Any) -> None:
    """Wait until the page's scripts have drawn what they draw (translations last)."""
    page.wait_for_load_state("networkidle")
    if page.locator("[data-entry][data-field]").count():
        page.wait_for_selector("html[data-translate]", state="attached", timeout=15_000)
    page.wait_for_timeout(300)


def small_png(png: bytes) -> bytes:
    """The page's few colours in a 128-colour palette: a third of the size, text still
    sharp (the images live in the repository)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    pal = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    pal.save(buf, format="PNG", optimize=True)
    return min(buf.getvalue(), png, key=len)


def shoot(page: Any, out: Path, name: str) -> Path:
    png = small_png(page.screenshot(full_page=True, type="png"))
    if len(png) <= MAX_PNG:
        path = out / f"{name}.png"
        path.write_bytes(png)
    else:
        path = out / f"{name}.jpg"
        path.write_bytes(page.screenshot(full_page=True, type="jpeg", quality=70))
    for stale in (out / f"{name}.png", out / f"{name}.jpg"):
        if stale != path and stale.exists():
            stale.unlink()
    return path


def run(out: Path, chromium: str) -> list[tuple[str, str, Path]]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[str, str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="fusioncell-shots-") as tmp:
        data = Path(tmp) / "demo"
        info = ensure_demo(data)
        passwords = {a["member"]: a["password"] for a in info["accounts"]}
        # Served over plain http on 127.0.0.1: cookies without the Secure flag.
        settings = Settings.for_data(data).model_copy(update={"secure_cookies": False})
        cell = open_cell(settings)
        try:
            with serving(create_app(cell)) as url, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for lang, member in READERS.items():
                    ctx = browser.new_context(
                        base_url=url,
                        locale=lang,
                        viewport=VIEWPORT,
                        extra_http_headers={"Accept-Language": lang},
                    )
                    ctx.add_cookies([{"name": "fc_lang", "value": lang, "url": url}])
                    ctx.set_default_timeout(30_000)
                    page = ctx.new_page()
                    errors: list[str] = []
                    page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                    sign_in(page, member, passwords[member])
                    for name, where in PAGES:
                        if isinstance(where, tuple):
                            page.goto(where[0])
                            hrefs = page.eval_on_selector_all(
                                "a[href]", "els => els.map(e => e.getAttribute('href'))"
                            )
                            path = next((h for h in hrefs if re.match(where[1], h)), None)
                            if path is None:
                                raise SystemExit(f"{name}: no link {where[1]} on {where[0]}")
                        else:
                            path = where
                        response = page.goto(path)
                        if response is None or response.status != 200:
                            status = None if response is None else response.status
                            raise SystemExit(f"{name} ({lang}): {path} answered {status}")
                        settle(page)
                        shot = shoot(page, out, f"{name}-{lang}")
                        shots.append((name, lang, shot))
                        print(f"{shot.relative_to(ROOT)}  {shot.stat().st_size // 1024} KB")
                    if errors:
                        print(f"{lang}: uncaught errors: {errors}", file=sys.stderr)
                    ctx.close()
                browser.close()
        finally:
            cell.close()
    return shots


def readme(out: Path, shots: list[tuple[str, str, Path]]) -> None:
    lines = [
        "# Screenshots",
        "",
        "Every page a person uses, in the demo cell (`fusioncell demo`), in Arabic, Hebrew",
        "and English, signed in as a member of a party working in that language: Arabic as",
        "`sy-head` (Syria), Hebrew as `il-head` (Israel), English as `us-supervisor`",
        "(the United States). 1280x900, full page. Times are in the reader's party's zone.",
        "No translation engine is configured in the demo, so each box beneath a text in",
        "another language says so; the Syrian FLASH message has a verified Hebrew translation.",
        "",
        "Made by `python scripts/screenshots.py` (Playwright and Debian's Chromium): it builds",
        "the demo in a temporary directory, serves it and signs in through the form.",
        "",
        "| page | ar | he | en |",
        "|---|---|---|---|",
    ]
    by_page: dict[str, dict[str, str]] = {}
    for name, lang, path in shots:
        by_page.setdefault(name, {})[lang] = path.name
    for name, _ in PAGES:
        files = by_page.get(name, {})
        cells = [f"[{files[lang]}]({files[lang]})" if lang in files else "-" for lang in READERS]
        lines.append(f"| {TITLES[name]} | " + " | ".join(cells) + " |")
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--chromium", default=os.environ.get("FUSIONCELL_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    started = time.monotonic()
    shots = run(args.out.resolve(), args.chromium)
    readme(args.out.resolve(), shots)
    print(f"{len(shots)} screenshots in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
