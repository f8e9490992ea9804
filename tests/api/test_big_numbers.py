"""A number beyond 64 bits in a request is a 400, never a 500.

Found by schemathesis (tests/proof/test_schemathesis.py): log indices and row ids in
queries, paths and bodies had a lower bound only, and a number over 2**63 - 1 reached the
database driver, which cannot bind it (SQLite's OverflowError, psycopg's DataError).
Every integer the OpenAPI document declares is tried, and the pages that take one.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fusioncell.authz import Role
from tests.conftest import Actor

HUGE = 2**64


def _schema(spec: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in ref:
        out: dict[str, Any] = spec["components"]["schemas"][ref["$ref"].split("/")[-1]]
        return out
    return ref


def _is_int(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "integer" for o in options)


def test_huge_numbers_are_refused_as_invalid(http: TestClient, enroll: Any) -> None:
    admin: Actor = enroll("IL", "il-admin", Role.PARTY_ADMIN, admin=True)
    headers = {"Authorization": f"Bearer {admin.token}"}
    spec = http.get("/api/openapi.json").json()
    tried = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            fields = _schema(spec, body["schema"]).get("properties", {}) if body else {}
            big_fields = [k for k, v in fields.items() if _is_int(v)]
            targets: list[Any] = [p for p in params if _is_int(p["schema"])] + big_fields
            for target in targets:
                url, query, json = path, {}, None
                for p in params:
                    if p["in"] == "path":
                        value = HUGE if p is target else ("IL" if p["name"] == "party" else "x1")
                        url = url.replace("{" + p["name"] + "}", str(value))
                    elif p is target:
                        query[p["name"]] = HUGE
                if isinstance(target, str):
                    json = {target: HUGE}
                r = http.request(method, url, params=query, json=json, headers=headers)
                assert r.status_code == 400, f"{method.upper()} {url} {query} {json}: {r.text}"
                tried += 1
    assert tried >= 15
    # Pages (not in the document) that take a number.
    for method, url, form in [
        ("GET", f"/deesc/items/{HUGE}", None),
        ("GET", f"/cell/t/abcdefgh1/m/{HUGE}", None),
        ("GET", f"/disputes/new?about={HUGE}", None),
        ("POST", f"/notifications/party/deliveries/{HUGE}/retry", None),
        ("POST", "/notifications/read", {"upto": str(HUGE)}),
        ("POST", "/notifications/read", {"one": str(HUGE)}),
    ]:
        r = http.request(method, url, data=form, headers=headers, follow_redirects=False)
        assert r.status_code == 400, f"{method} {url} {form}: {r.status_code}"
