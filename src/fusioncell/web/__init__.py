"""Pages: server-rendered HTML in Arabic, Hebrew and English."""
