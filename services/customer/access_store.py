"""CUS-9 in MongoDB: the owner each card was last announced to have, and the access log.

Collections (database `crm_customer`):
- `owners`: `_id` = customer id: the owner `ownership.changed` last announced (kept apart from the card
  so an ownership change neither bumps the card's version nor races a person's edit).
- `access_log`: one document per full-card read by someone who is not the card's owner.
"""

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from chassis.pagination import page_of
from chassis.store import Database, UnitOfWork
from services.customer.access import Ownership


class AccessRecords:
    """Owners and the access log; part of `CustomerStore` (`store.ownerships(...)`, `store.log_access(...)`)."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.owners = database.db["owners"]
        self.access_log = database.db["access_log"]

    async def ensure_access_indexes(self) -> None:
        await self.owners.create_index([("owner_id", ASCENDING)])
        await self.access_log.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
        await self.access_log.create_index([("user_id", ASCENDING), ("at", DESCENDING)])
        await self.access_log.create_index([("at", DESCENDING)])

    async def ownerships(self, customer_ids: list[str]) -> dict[str, Ownership]:
        """The announced owners of these customers (absent: ownership has not spoken yet)."""
        return {d["_id"]: _ownership(d) async for d in self.owners.find({"_id": {"$in": customer_ids}})}

    async def owned_by(self, user_id: str) -> list[str]:
        """Customers announced as owned by `user_id` (registrations not yet announced are not listed)."""
        return [d["_id"] async for d in self.owners.find({"owner_id": user_id}, {"_id": 1})]

    def save_ownership(self, customer_id: str, ownership: Ownership, uow: UnitOfWork) -> None:
        """Stage the announced owner; an older announcement arriving late never overrides a newer one."""
        doc = {"_id": customer_id, "owner_id": ownership.owner_id, "changed_at": ownership.changed_at}

        async def write(session: AsyncClientSession) -> None:
            held = await self.owners.find_one({"_id": customer_id}, session=session)
            if held is None:
                await self.owners.insert_one(doc, session=session)
            elif held.get("changed_at") is None or ownership.changed_at >= held["changed_at"]:
                await self.owners.replace_one({"_id": customer_id}, doc, session=session)

        uow.stage(write)

    async def log_access(self, entries: list[dict[str, Any]]) -> None:
        """Its own small insert, outside any transaction (hence the write lock)."""
        if not entries:
            return
        async with self._database.write_lock:
            await self.access_log.insert_many([dict(e) for e in entries])

    async def access_log_page(self, customer_id: str | None, user_id: str | None, first: int, after: str | None
                              ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Newest first, by `at` then `_id`."""
        query: dict[str, Any] = {}
        if customer_id:
            query["customer_id"] = customer_id
        if user_id:
            query["user_id"] = user_id
        found = await page_of(self.access_log, query, by="at", first=first, after=after, descending=True)
        return found.documents, found.end_cursor, found.has_next_page


def _ownership(d: dict[str, Any]) -> Ownership:
    return Ownership(d.get("owner_id"), announced=True, changed_at=d.get("changed_at"))
