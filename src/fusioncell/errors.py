"""Domain errors. Mapped to HTTP answers in one place (fusioncell.api.errors).

A message shown on pages is written `N_("... %(name)s ...")` with its values as keywords:
`N_` marks it for extraction (scripts/i18n) and changes nothing, so the English text stays
the canonical message in the API, the CLI and the logs; the pages translate the fixed
template (`template`) in the reader's language, then fill in `params`."""

from collections.abc import Mapping


def N_(message: str) -> str:  # noqa: N802 - the name gettext's extractors look for
    """Mark a message for translation without translating it (gettext_noop)."""
    return message


class DomainError(Exception):
    """Base of every error a caller can cause; never a 500."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **params: object) -> None:
        text = message % params if params else message
        super().__init__(text)
        self.message = text
        self.template = message
        self.params: Mapping[str, object] = params


class Invalid(DomainError):
    status = 400
    code = "invalid"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class Unsupported(DomainError):
    status = 415
    code = "unsupported_type"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class Unavailable(DomainError):
    """The database cannot be reached or is busy for a moment (a restart, a failover):
    nothing was done, and the same request may be sent again."""

    status = 503
    code = "unavailable"


class InsufficientStorage(DomainError):
    """The disk holding the database or the files is full: nothing was written."""

    status = 507
    code = "insufficient_storage"
