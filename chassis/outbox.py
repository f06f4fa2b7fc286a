"""The outbox relay: publishes committed events, oldest first, and forgets each once confirmed.

Runs in every replica. Two relays may publish the same event; consumers' inboxes make that
harmless. If the broker is down the events wait in the outbox and go out when it returns.
"""

import asyncio
import contextlib
import logging

from chassis.bus import Bus
from chassis.store import Database

log = logging.getLogger("crm.outbox")

BATCH = 100
PUBLISH_TIMEOUT_S = 10.0


class OutboxRelay:
    def __init__(self, database: Database, bus: Bus, *, poll_s: float = 1.0) -> None:
        self._database = database
        self._bus = bus
        self._poll_s = poll_s
        self._failing = False

    async def run(self) -> None:
        while True:
            try:
                await self.relay_pending()
            except Exception:  # the relay must outlive any one failure; the events stay in the outbox
                log.exception("outbox relay pass failed")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancel that stops the relay.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._database.outbox_pending.wait()

    async def relay_pending(self) -> int:
        """Publish what is waiting; returns how many went out."""
        self._database.outbox_pending.clear()
        sent = 0
        while True:
            # Read between commits, never during one: only committed events may leave.
            async with self._database.alone():
                cursor = self._database.outbox.find({}).sort([("created_at", 1), ("position", 1)]).limit(BATCH)
                batch = await cursor.to_list(BATCH)
            for doc in batch:
                try:
                    async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                        await self._bus.publish(doc["body"].encode(), event_type=doc["type"], message_id=doc["_id"],
                                                subject=doc.get("subject"))
                except Exception as e:
                    if not self._failing:
                        log.warning("cannot publish (%s); %s event(s) wait in the outbox", e, len(batch) - sent)
                    self._failing = True
                    return sent
                async with self._database.alone():
                    await self._database.outbox.delete_one({"_id": doc["_id"]})
                sent += 1
            if self._failing and sent:
                log.info("publishing again; outbox draining")
                self._failing = False
            if len(batch) < BATCH:
                return sent
