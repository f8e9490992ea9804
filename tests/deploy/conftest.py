"""The real receivers of tests/notify (SMTP, webhooks) for the deployment tests."""

from tests.notify.conftest import hooks, smtp

__all__ = ["hooks", "smtp"]
