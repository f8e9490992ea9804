"""Members, tokens, sessions (step 2 completes this package)."""
