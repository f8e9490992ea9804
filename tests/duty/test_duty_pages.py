"""The duty pages rendered by the app (no browser): who is on duty on the home page and on
/duty in every language, the fallback when no roster covers now, what each reader may see
and do, and bad queries answered with a page, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock
from fusioncell.web import i18n
from tests.duty.conftest import MakeMember, at
from tests.web.marks import check_marks


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_home_and_duty_pages_show_who_is_on_duty(
    cell: Cell, clock: FrozenClock, member: MakeMember, http: Any, lang: str
) -> None:
    admin = member("SY", "sy-admin", Role.PARTY_ADMIN)
    duty = member("SY", "sy-duty")
    il = member("IL", "il-duty")
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    no_roster = i18n.gettext(lang, "No roster covers now")
    home = page(http, il, "/", lang)
    # no roster yet: said plainly, with the duty officers by role
    assert home.count(no_roster) == 3 and 'dir="ltr">sy-duty</span>' in home
    admin.publish(at(0), at(16), [{"member": "sy-duty", "start": at(0), "end": at(8)}])
    admin.publish(at(8), at(16), [{"member": "sy-admin", "start": at(8), "end": at(16)}])
    home = page(http, il, "/", lang)
    assert home.count(no_roster) == 2
    assert '<strong class="member" dir="ltr">sy-duty</strong>' in home
    assert 'data-change-at="2026-11-26T17:00:00.000Z"' in home  # the hand-over
    # Damascus (UTC+3) and the reader's Jerusalem (UTC+2): both times are shown
    assert '<time datetime="2026-11-26T17:00:00Z" title="2026-11-26 17:00:00 UTC">' in home
    assert i18n.translate(lang, "yours: %(time)s", {"time": "X"}).split("X")[0] in home

    own = page(http, duty, "/duty", lang)
    assert 'id="duty-note-form"' in own  # the holder writes the hand-over note
    assert 'id="duty-publish"' not in own  # only the admin publishes
    assert 'data-duty="take"' not in own  # holding it already
    assert 'data-shift="' in own and "sy-admin" in own
    admin_page = page(http, admin, "/duty", lang)
    assert 'id="duty-publish"' in admin_page and 'id="duty-take-form"' in admin_page
    assert 'id="duty-note-form"' in admin_page  # the next holder
    other = page(http, il, "/duty?party=SY", lang)  # another party's roster: read only
    assert "sy-duty" in other and 'data-duty="swap"' not in other and "duty-take" not in other
    duty.handover("الوضع هادئ", "ar")
    assert "الوضع هادئ" not in page(http, il, "/duty?party=SY", lang)
    assert "الوضع هادئ" in page(http, us, "/duty?party=SY", lang)
    assert "الوضع هادئ" in page(http, duty, "/duty", lang)
    # the note is marked for translation, and its readers get it translated
    check_marks(http, us, page(http, us, "/duty?party=SY", lang), to=lang)
    clock.advance(timedelta(hours=16))
    assert page(http, il, "/", lang).count(no_roster) == 3
    assert page(http, il, "/duty/board", lang).count(no_roster) == 3


def test_bad_queries_get_a_clear_page(cell: Cell, member: MakeMember, http: Any) -> None:
    who = member("IL", "il-duty")
    assert "no such party" in page(http, who, "/duty?party=XX", status=404)
    assert "no such party" in page(http, who, "/duty?party=%3Cscript%3E", status=404)
    assert "YYYY-MM-DD" in page(http, who, "/duty?from=yesterday", status=400)
    page(http, who, "/duty?days=0", status=400)
    page(http, who, "/duty?days=99", status=400)
    page(http, who, "/duty?from=2026-11-01&days=31")
    assert http.get("/duty", follow_redirects=False).status_code in (303, 401)
