"""Notifications in a server process: the pages' live feed, and the notifier (which acts
only while this process holds its lock). Started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from fusioncell.cell import Cell
from fusioncell.notify.feed import Feed
from fusioncell.notify.worker import Notifier


class Notifications:
    def __init__(self, feed: Feed, notifier: Notifier | None) -> None:
        self.feed = feed
        self.notifier = notifier

    @classmethod
    async def start(cls, app: FastAPI, cell: Cell) -> Notifications:
        feed = Feed(cell, cell.settings.notify_poll)
        await feed.start()
        app.state.notify_feed = feed
        # Every server process starts one; only the holder of the "notify" lock acts.
        notifier = Notifier(cell) if cell.settings.notify_worker else None
        if notifier is not None:
            notifier.start()
        return cls(feed, notifier)

    async def stop(self) -> None:
        await self.feed.stop()
        if self.notifier is not None:
            await asyncio.to_thread(self.notifier.stop)
