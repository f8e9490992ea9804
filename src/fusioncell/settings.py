"""Settings from the environment (FUSIONCELL_*) and the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FUSIONCELL_", extra="ignore")

    data: Path = Path("fusioncell-data")
    database_url: str | None = None  # default: SQLite file inside the data directory
    max_body_bytes: int = 2 * 1024 * 1024  # the largest request body accepted

    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data / 'fusioncell.db').resolve()}"
