"""Settings from the environment (FUSIONCELL_*) and the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FUSIONCELL_", extra="ignore")

    data: Path = Path("fusioncell-data")
    database_url: str | None = None  # default: SQLite file inside the data directory
    max_body_bytes: int = 2 * 1024 * 1024  # the largest request body accepted
    require_totp: bool = True  # the demo switches it off, and says so on the sign-in page
    session_lifetime: timedelta = timedelta(hours=12)
    session_idle: timedelta = timedelta(hours=1)
    secure_cookies: bool = True  # browsers accept Secure cookies from http://127.0.0.1 too
    hsts: bool = False  # set when served over HTTPS
    # The reverse proxies whose X-Forwarded-For / -Proto are believed (comma-separated
    # addresses, or "*"): the client address they give is what sign-in's rate limit counts.
    # A proxy must SET X-Forwarded-For to the peer's address, not append to it (docs/deploy.md).
    forwarded_allow_ips: str = "127.0.0.1"
    demo_auto_approve: bool = False  # the demo registers new devices with the root key
    # Run the deadline engine (docs/deadlines.md) in this process while it holds the lock.
    deadline_engine: bool = True
    # The live stream (/api/v1/stream, docs/live.md).
    stream_heartbeat: float = 15.0  # seconds between heartbeat frames
    stream_send_timeout: float = 10.0  # a frame not taken by then cuts a slow client off
    stream_cache: int = 4096  # recent entries kept encoded; a client further behind is cut off
    stream_poll: float = 1.0  # seconds between reads of the log head (0: never, NOTIFY only)
    # Attachments: the largest file, kept under max_body_bytes (an upload is one request),
    # and the types accepted, as detected from the bytes (never as the sender claims).
    max_attachment_bytes: int = 1_500_000
    attachment_types: list[str] = [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "text/plain",
        "application/json",
    ]
    # Notifications (docs/notifications.md). The notifier runs in this process while it
    # holds its lock; false turns it off here (the pages still show what others enqueued).
    notify_worker: bool = True
    notify_base_url: str = "http://127.0.0.1:8000"  # links in mail and webhooks
    notify_include_text: bool = False  # mail and webhooks carry what people wrote: off
    notify_poll: float = 1.0  # seconds: how soon another process's appends are noticed
    notify_gather: float = 0.2  # seconds a woken notifier lets further appends gather
    notify_retry: list[float] = [5, 30, 120, 600, 1800]  # back-off, then "failed"
    notify_threads: int = 8  # deliveries at once
    webhook_timeout: float = 5.0
    webhook_allowed: list[str] = []  # URL prefixes webhooks may go to; none: no webhooks
    # The operator's SMTP relay; no host: no e-mail. The password is never logged or shown.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "fusioncell@localhost"
    smtp_timeout: float = 10.0
    # Machine translation (docs/translation.md): none (the default), a LibreTranslate-
    # compatible server at translate_url, or Argos Translate models installed from files
    # into translate_model_dir (default: <data>/argos-models). The API key is never shown.
    translate_engine: Literal["none", "libretranslate", "argos"] = "none"
    translate_url: str | None = None
    translate_api_key: SecretStr | None = None
    translate_model_dir: Path | None = None
    translate_timeout: float = 10.0  # seconds; a slower answer is "translation unavailable"

    # Operations (docs/operations.md): logs as one JSON object per line ("text": for a
    # person at a terminal), and who may read GET /metrics: a caller on this machine not
    # relayed by a proxy (unless metrics_loopback is off), or one sending the token as
    # `Authorization: Bearer`. The token is never logged or shown.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_token: SecretStr | None = None
    metrics_loopback: bool = True

    @classmethod
    def for_data(cls, data: Path) -> Settings:
        """Settings of the cell in `data`: its settings.toml, then FUSIONCELL_* variables."""
        import os
        import tomllib

        values: dict[str, object] = {}
        f = data / "settings.toml"
        if f.exists():
            with f.open("rb") as fh:
                values = tomllib.load(fh)
        values = {k: v for k, v in values.items() if f"FUSIONCELL_{k.upper()}" not in os.environ}
        return cls(**values, data=data)  # type: ignore[arg-type]

    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data / 'fusioncell.db').resolve()}"
