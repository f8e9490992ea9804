"""Search across the record in Arabic, Hebrew and English (docs/search.md)."""
