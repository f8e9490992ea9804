"""The live stream: entries pushed to members over a WebSocket as they are appended
(docs/live.md). `Hub` (one per app, `app.state.hub`), the `/api/v1/stream` router, and a
client (`fusioncell.live.client`)."""

from fusioncell.live.hub import DeliveryHook, Frame, Hub
from fusioncell.live.stream import router

__all__ = ["DeliveryHook", "Frame", "Hub", "router"]
