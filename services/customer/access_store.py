"""CUS-9 in MongoDB: the access log, one document per confidential read by someone who is not the owner,
from every service (each reports its reads as `access.recorded`; the archive keeps them).

Collection (database `crm_customer`): `access_log`, `_id` = the reporting event's id + the entry's index.
"""

from typing import Any

from pymongo import ASCENDING, DESCENDING

from chassis.pagination import Slice, page_of
from chassis.store import Database, UnitOfWork
from contracts.access import AccessRecorded


class AccessLog:
    """The access log; part of `CustomerStore` (`store.record_access(...)`, `store.access_log_page(...)`)."""

    def __init__(self, database: Database) -> None:
        self.access_log = database.db["access_log"]

    async def ensure_access_indexes(self) -> None:
        await self.access_log.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
        await self.access_log.create_index([("user_id", ASCENDING), ("at", DESCENDING)])
        await self.access_log.create_index([("at", DESCENDING)])

    def record_access(self, event_id: str, reads: AccessRecorded, uow: UnitOfWork[Any, Any]) -> None:
        docs = [{"_id": f"{event_id}:{i}", "customer_id": e.customer_id, "user_id": e.user_id, "roles": e.roles,
                 "owner_id": e.owner_id, "at": reads.at, "service": reads.service, "what": e.what,
                 "operation": e.operation, "fields": e.fields} for i, e in enumerate(reads.entries)]
        uow.insert(self.access_log, docs)

    async def access_log_page(self, customer_id: str | None, user_id: str | None, first: int, after: str | None
                              ) -> Slice:
        """Newest first, by `at` then `_id`."""
        query: dict[str, Any] = {}
        if customer_id:
            query["customer_id"] = customer_id
        if user_id:
            query["user_id"] = user_id
        return await page_of(self.access_log, query, by="at", first=first, after=after, descending=True)
