"""The OpenAPI document (/api/openapi.json) says what the API really answers.

FastAPI alone documents a 422 validation error that this app never sends (api/errors.py
answers 400, problem+json), none of the errors it does send, and the `Authorization`
header as an ordinary parameter. `install` corrects the generated document once, in one
place, so that a client generated from it, and schemathesis (tests/proof), read the truth:

- every operation may answer 400, 401, 403 and 404 as `application/problem+json`, every
  write also 409, and one that takes a body also 413 (`fusioncell.errors`);
- authentication is a security scheme (bearer token, or the pages' session cookie);
- downloads declare their own media types (`file_responses` below, on the route).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_MEDIA = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error (RFC 9457): `title` is a short code, `detail` says what to fix.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

# Any route: a malformed request, no or a bad credential, a role without the route's
# permission, and (the same answer for a hidden item as for a missing one) not found.
ALWAYS = {
    "400": "The request is malformed or breaks a rule (`detail` says which).",
    "401": "No valid credential: sign in, or send `Authorization: Bearer TOKEN`.",
    "403": "The caller's role or party may not do this.",
    "404": "No such item, or one the caller's party may not read (the same answer).",
}
WRITE = {"409": "The request conflicts with the current state."}
WITH_BODY = {"413": "The request body is larger than the server accepts."}


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


BINARY = {"type": "string", "format": "binary"}


def file_responses(*media_types: str, errors: dict[int, str] | None = None) -> dict[int | str, Any]:
    """`responses=` for a route answering a file (use with `response_class=Response`)."""
    out: dict[int | str, Any] = {
        200: {
            "description": "The file.",
            "content": {
                # A JSON file (STIX) is read as JSON by clients; anything else as bytes.
                m: {"schema": {"type": "object"} if m.endswith("json") else BINARY}
                for m in media_types
            },
        }
    }
    for status, text in (errors or {}).items():
        out[status] = problem_response(text)
    return out


def _is_auth_header(p: dict[str, Any]) -> bool:
    return p.get("in") == "header" and str(p.get("name", "")).lower() == "authorization"


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Correct FastAPI's document in place (see the module's docstring); returns it."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": "fc_session"},
    }
    schema["security"] = [{"bearer": []}, {"session": []}]
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            params = [p for p in op.get("parameters", []) if not _is_auth_header(p)]
            if params:
                op["parameters"] = params
            else:
                op.pop("parameters", None)
            responses = op["responses"]
            responses.pop("422", None)
            errors = dict(ALWAYS)
            if method != "get":
                errors |= WRITE
            if "requestBody" in op:
                errors |= WITH_BODY
            for status, text in errors.items():
                responses.setdefault(status, problem_response(text))
    return schema


def install(app: FastAPI) -> None:
    """Serve the corrected document at the app's `openapi_url`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
