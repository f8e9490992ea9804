"""Operations (docs/operations.md): health and readiness probes, Prometheus metrics, and
structured logs without secrets or what people wrote.

`metrics` imports nothing of fusioncell (the ledger and the live stream count through it);
`api` (the routes), `requests` (the middleware), `probe` and `logs` are imported by the
app and the CLI."""
