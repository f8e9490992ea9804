"""The commerce pages rendered by the app (no browser), in every language: the list and
its stage filter, a proposal with its interest and stages, the forms offered only to
those the log would accept, and a hidden or malformed proposal answered with one 404."""

from __future__ import annotations

from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.web import i18n
from tests.commerce.conftest import MakeMember

AR_TITLE = "مشروع تحلية مياه مشترك"


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_list_and_proposal_pages(member: MakeMember, http: Any, lang: str) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    il_duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    doc = sy.upload(b"%PDF-1.4 desalination", "study.pdf")
    pid, _ = sy.submit(
        ["IL", "US"],
        "water",
        AR_TITLE,
        "محطة تحلية على الساحل.",
        "ar",
        partners=["شركة المياه"],
        value=(12_000_000, "USD"),
        documents=[doc],
    )
    hidden, _ = sy.submit(["US"], "trade", "For the US only", "Private.", "en")
    il.express_interest(pid, "interested", "מעוניינים.", "he")

    listing = page(http, il, "/commerce", lang)
    assert f'data-proposal="{pid}"' in listing and f'data-proposal="{hidden}"' not in listing
    assert f'<bdi lang="ar" dir="rtl">{AR_TITLE}</bdi>' in listing
    assert i18n.gettext(lang, "Water") in listing
    assert 'id="commerce-new-form"' in listing
    assert f'data-proposal="{pid}"' not in page(http, il, "/commerce?stage=declined", lang)
    assert f'data-proposal="{hidden}"' in page(http, us, "/commerce", lang)

    own = page(http, sy, f"/commerce/p/{pid}", lang)
    assert 'id="commerce-stage-form"' in own  # the proposer moves the stage
    assert 'id="commerce-interest-form"' not in own  # but states no interest in its own
    assert 'id="commerce-revise-form"' in own and f'value="{doc["sha256"]}"' in own
    assert f"/api/v1/commerce/proposals/{pid}/documents/{doc['sha256']}" in own
    assert '<bdi lang="he" dir="rtl">מעוניינים.</bdi>' in own
    other = page(http, il, f"/commerce/p/{pid}", lang)
    assert 'id="commerce-interest-form"' in other and 'id="commerce-stage-form"' in other
    assert 'id="commerce-revise-form"' not in other  # only the proposer revises
    duty = page(http, il_duty, f"/commerce/p/{pid}", lang)
    assert 'id="commerce-interest-form"' in duty and 'id="commerce-stage-form"' not in duty
    sup = page(http, us, f"/commerce/p/{pid}", lang)
    assert 'id="commerce-stage-form"' not in sup  # the supervisor oversees

    # Hidden, missing and malformed: the same 404 page.
    page(http, il, f"/commerce/p/{hidden}", lang, 404)
    page(http, il, "/commerce/p/nosuchproposal", lang, 404)
    page(http, il, "/commerce/p/BAD!", lang, 404)
    page(http, il, "/commerce?stage=nope", lang, 400)


def test_a_final_stage_offers_no_forms(member: MakeMember, http: Any) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    pid, _ = sy.submit(["IL", "US"], "energy", "Solar", "A solar farm.", "en")
    il.move(pid, "declined", "Not now.", "en")
    html = page(http, il, f"/commerce/p/{pid}")
    assert "commerce-stage-form" not in html and "commerce-interest-form" not in html
    assert "commerce-revise-form" not in page(http, sy, f"/commerce/p/{pid}")
    assert 'data-stage="declined"' in html


def test_an_auditor_reads_but_is_offered_no_form(member: MakeMember, http: Any) -> None:
    sy = member("SY", "sy-liaison")
    aud = member("IL", "il-aud", Role.AUDITOR)
    pid, _ = sy.submit(["IL", "US"], "energy", "Solar", "A solar farm.", "en")
    assert 'id="commerce-new-form"' not in page(http, aud, "/commerce")
    html = page(http, aud, f"/commerce/p/{pid}")
    assert "commerce-stage-form" not in html and "commerce-interest-form" not in html
