"""The language package's cell, toy engine and members (LanguageClient), for search's
tests of translations."""

from tests.language.conftest import cell, engine, lt, member, settings

__all__ = ["cell", "engine", "lt", "member", "settings"]
