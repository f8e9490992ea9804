"""A party released to by a widening reads what it may read in the log, nothing earlier.

Found by the authorization fuzz (tests/proof/test_authz_fuzz.py): the report's head, its
body and its page showed a party added by a widening the earlier versions' texts and the
assessments made before, which are entries whose visibility leaves that party out.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.intel.conftest import MakeMember, at, issue

ALL = ["IL", "SY", "US"]


def test_a_party_released_to_later_reads_only_entries_it_may_read(
    member: MakeMember, http: TestClient
) -> None:
    il, sy, us = member("IL", "il-liaison"), member("SY", "sy-liaison"), member("US", "us-duty")
    shot = il.upload(b"%PDF-1.4 first version only\n", "first.pdf")
    issue(
        il,
        "convoy-030",
        ["IL", "US"],
        title="First title",
        summary="First summary",
        body="First body",
        attachments=[shot],
    )
    us.assess("convoy-030", "corroborated", "B3", "Seen from the air too", "en")
    il.correct(
        "convoy-030",
        title="Second title",
        summary="Second summary",
        body="Second body",
        lang="en",
        window=(at(-6), at(-1)),
        grading="B1",
    )
    il.widen("convoy-030", ALL)
    sy.assess("convoy-030", "disputed", "C3", "Not what we saw", "en")

    # IL (released to from the start) and the supervisor read everything.
    for reader in (il, us):
        assert [v["title"] for v in reader.body("convoy-030")["versions"]] == [
            "First title",
            "Second title",
        ]
        assert len(reader.report("convoy-030")["assessments"]) == 2
    # SY reads the version the widening carried, and what was written after it.
    head = sy.report("convoy-030")
    assert [v["title"] for v in head["versions"]] == ["Second title"]
    assert [a["text"] for a in head["assessments"]] == ["Not what we saw"]
    assert [v["body"] for v in sy.body("convoy-030")["versions"]] == ["Second body"]
    (listed,) = [r for r in sy.reports() if r["id"] == "convoy-030"]
    assert listed["assessments"] == {"disputed": 1}  # no count of what it may not read
    page = http.get("/intel/r/convoy-030", headers=sy.headers)
    assert page.status_code == 200
    for hidden in ("First", "Seen from the air"):
        assert hidden not in page.text
    # A file of a version SY may not read is as missing as one never attached.
    r = http.get(f"/api/v1/intel/reports/convoy-030/files/{shot['sha256']}", headers=sy.headers)
    assert r.status_code == 404
    assert il.file("convoy-030", shot["sha256"]).startswith(b"%PDF")
