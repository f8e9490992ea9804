"""HTTP: JSON API and the log's endpoints."""
