"""Notifications from Python: a member's web notifications, channels and webhook; a party
admin's webhooks and deliveries (docs/notifications.md, "API"). Nothing here is signed:
notifications are not entries of the log."""

from __future__ import annotations

from typing import Any

import httpx

from fusioncell.client import ClientError


class NotifyClient:
    def __init__(
        self,
        base_url: str = "",
        token: str = "",
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _json(self, r: httpx.Response) -> Any:
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            raise ClientError(r.status_code, str(detail))
        return None if r.status_code == 204 else r.json()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        return self._json(self.http.request(method, path, headers=self.headers, **kw))

    # ---- the member's notifications -------------------------------------------------------

    def notifications(
        self, *, after: int | None = None, limit: int = 50, lang: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        if lang is not None:
            params["lang"] = lang
        out: dict[str, Any] = self._call("GET", "/api/v1/notifications", params=params)
        return out

    def mark_read(self, *, upto: int | None = None, one: int | None = None) -> dict[str, Any]:
        body = {"upto": upto} if one is None else {"id": one}
        out: dict[str, Any] = self._call("POST", "/api/v1/notifications/read", json=body)
        return out

    # ---- channels and webhook ---------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = self._call("GET", "/api/v1/notify/settings")
        return out

    def set_settings(self, **changes: Any) -> dict[str, Any]:
        """email=..., channels={"IMMEDIATE": ["web", "email"]}: what is left out stays."""
        out: dict[str, Any] = self._call("PUT", "/api/v1/notify/settings", json=changes)
        return out

    def set_webhook(self, url: str) -> tuple[dict[str, Any], str]:
        """The member's webhook; returns it and its secret (shown this once)."""
        r = self._call("PUT", "/api/v1/notify/webhook", json={"url": url})
        return r["webhook"], r["secret"]

    def delete_webhook(self) -> None:
        self._call("DELETE", "/api/v1/notify/webhook")

    # ---- a party admin -------------------------------------------------------------------------

    def party_webhooks(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._call("GET", "/api/v1/notify/party/webhooks")["webhooks"]
        return out

    def add_party_webhook(
        self, url: str, label: str | None = None, urgencies: list[str] | None = None
    ) -> tuple[dict[str, Any], str]:
        body = {"url": url, "label": label, "urgencies": urgencies}
        r = self._call("POST", "/api/v1/notify/party/webhooks", json=body)
        return r["webhook"], r["secret"]

    def delete_party_webhook(self, hook: str) -> None:
        self._call("DELETE", f"/api/v1/notify/party/webhooks/{hook}")

    def deliveries(self, state: str | None = None) -> list[dict[str, Any]]:
        params = {"state": state} if state else None
        r = self._call("GET", "/api/v1/notify/party/deliveries", params=params)
        out: list[dict[str, Any]] = r["deliveries"]
        return out

    def retry(self, delivery: int) -> int:
        return int(
            self._call("POST", f"/api/v1/notify/party/deliveries/{delivery}/retry")["retried"]
        )
