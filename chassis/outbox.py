"""The outbox relay: publishes committed events, each subject's in commit order, and forgets them once confirmed.

Runs in every replica. Two relays may publish the same event; consumers' inboxes make that
harmless. If the broker is down the events wait in the outbox and go out when it returns.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import SpanKind

from chassis import metrics, tracing
from chassis.bus import Bus
from chassis.stopping import raise_if_cancel_lost
from chassis.store import Database

log = logging.getLogger("crm.outbox")

BATCH = 100
PUBLISH_TIMEOUT_S = 10.0


class OutboxRelay:
    def __init__(self, database: Database, bus: Bus, *, poll_s: float = 1.0, name: str = "") -> None:
        self._database = database
        self._name = name
        self._bus = bus
        self._poll_s = poll_s
        self._failing = False

    async def run(self) -> None:
        while True:
            try:
                await self.relay_pending()
            except Exception:  # the relay must outlive any one failure; the events stay in the outbox
                log.exception("outbox relay pass failed")
            raise_if_cancel_lost("a relay pass")
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
            published, error = await self._publish(batch)
            if published:
                async with self._database.alone():
                    await self._database.outbox.delete_many({"_id": {"$in": published}})
                sent += len(published)
            if error is not None:
                if not self._failing:
                    log.warning("cannot publish (%s); %s event(s) wait in the outbox", error, len(batch) - len(published))
                self._failing = True
                await self._measure_backlog(batch, published)
                return sent
            if self._failing and sent:
                log.info("publishing again; outbox draining")
                self._failing = False
            if len(batch) < BATCH:
                await self._measure_backlog(batch, published)
                return sent

    async def _measure_backlog(self, batch: list[dict[str, Any]], published: list[str]) -> None:
        """What waits after a pass: nothing when it drained the outbox (no extra query), else a count."""
        confirmed = set(published)
        waiting = [doc for doc in batch if doc["_id"] not in confirmed]
        backlog = await self._database.outbox.estimated_document_count() if waiting else 0
        oldest = (datetime.now(UTC) - waiting[0]["created_at"]).total_seconds() if waiting else 0.0
        metrics.OUTBOX_BACKLOG.labels(self._name).set(backlog)
        metrics.OUTBOX_OLDEST_SECONDS.labels(self._name).set(oldest)

    async def _publish(self, batch: list[dict[str, Any]]) -> tuple[list[str], BaseException | None]:
        """Each subject's events in their order, the subjects side by side so that the broker's confirms
        overlap; returns the ids it confirmed, and why the others were not."""
        by_subject: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for doc in batch:
            by_subject[doc.get("subject")].append(doc)
        published: list[str] = []
        traced = tracing.recording()  # untraced, the event carries its trace on by itself: no span needed

        async def in_order(docs: list[dict[str, Any]]) -> None:
            for doc in docs:
                with tracing.span(f"publish {doc['type']}", kind=SpanKind.PRODUCER,
                                  context=tracing.context_from(doc) if traced else None):
                    async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                        await self._bus.publish(doc["body"].encode(), event_type=doc["type"], message_id=doc["_id"],
                                                subject=doc.get("subject"))
                published.append(doc["_id"])

        outcomes = await asyncio.gather(*(in_order(docs) for docs in by_subject.values()), return_exceptions=True)
        return published, next((o for o in outcomes if isinstance(o, BaseException)), None)
