"""axe (axe-core through Playwright, Debian's Chromium) over the workstreams' pages with the
demo's reports and incidents, in Arabic and Hebrew: the right-to-left pages with the most
mixed-direction text."""

from __future__ import annotations

import pytest

from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in
from tests.web.test_i18n import workstreams


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_intelligence_and_deescalation_pages_pass_axe(
    served: Served, browse: Browse, lang: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _, report, incident = workstreams(served.cell)
    page = browse(locale=lang).page()
    sign_in(page, served, "us-supervisor")
    for path, ready in (
        ("/deesc", "deesc"),
        (f"/deesc/items/{incident}", "deesc"),
        ("/intel", "intel"),
        (f"/intel/r/{report}", "intel"),
    ):
        page.goto(path)
        page.wait_for_selector(f"html[data-{ready}=ready]", state="attached")
        assert page.get_attribute("html", "dir") == "rtl"
        results = Axe().run(page)
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"
