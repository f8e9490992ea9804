"""Structured logs: one JSON object per line (docs/operations.md).

Every line has `time`, `level`, `logger` and `message`; a line written while a request is
being answered also has its `request_id`; the request's own line (logger
`fusioncell.request`) adds `method`, `route` (the template, never the path: paths hold
ids and invitation tokens), `status`, `duration_ms`, and `party` and `member` when signed
in. Nothing else of a request is logged: no query string, header, cookie or body.

Secrets and what people wrote stay out by construction (nothing logs them), and two
guards catch mistakes: SQL statements and their parameters are never logged (the
database loggers are held at WARNING and engines hide parameters in errors), and API
tokens and Authorization values are masked in any line that would carry one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

REQUEST_LOGGER = "fusioncell.request"

# The request being answered, for every line logged meanwhile (set by RequestObserver).
request_id: ContextVar[str | None] = ContextVar("fusioncell_request_id", default=None)

# Fields a record may carry (logging's `extra=`) into the JSON object; anything else
# passed as extra is dropped, so a careless `extra={"body": ...}` never reaches a line.
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "party", "member")

# Loggers that would write SQL with its parameters (bodies, hashes) or full URLs (webhook
# addresses with their tokens) at INFO: held at WARNING whatever the root's level.
QUIET = ("sqlalchemy", "alembic", "httpx", "httpcore", "urllib3", "websockets", "multipart")

# API tokens (identity.tokens.PREFIX) and Authorization values, wherever they might show.
_SECRETS = re.compile(r"\bfct_[A-Za-z0-9_\-]+|(?i:\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=\-]+")


def _masked(m: re.Match[str]) -> str:
    found = m.group(0)
    return "fct_…" if found.startswith("fct_") else found.split()[0] + " …"


def mask(text: str) -> str:
    return _SECRETS.sub(_masked, text)


def _time(created: float) -> str:
    t = datetime.fromtimestamp(created, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (newlines in messages and tracebacks are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid is not None:
            out["request_id"] = rid
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exception"] = mask(self.formatException(record.exc_info))
        elif record.exc_text:
            out["exception"] = mask(record.exc_text)
        if record.stack_info:
            out["stack"] = mask(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"), default=str)


_TEXT_FIELDS = ("request_id", "duration_ms", "party", "member")


class TextFormatter(logging.Formatter):
    """For people at a terminal (the demo): the same facts, one readable line, masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # The request line's message has its method, route and status already.
        extra = [f"{n}={getattr(record, n)}" for n in _TEXT_FIELDS if getattr(record, n, None)]
        return mask(f"{line} {' '.join(extra)}" if extra else line)


_HANDLER_NAME = "fusioncell"


def configure(
    fmt: Literal["json", "text"] = "json", level: str = "INFO", stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger through one handler on stderr (or `stream`); idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        if h.get_name() == _HANDLER_NAME:
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own lines go through the root handler, in the same format; its access log
    # (raw paths and query strings) is replaced by the request line above.
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler
