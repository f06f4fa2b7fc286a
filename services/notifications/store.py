"""The notifications repository: inboxes and preferences. The only module that speaks MongoDB."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from chassis.pagination import Slice, page_of
from chassis.store import Database, UnitOfWork
from services.notifications.domain import Kind, Notification, Preferences


class NotificationStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        self.notifications = database.db["notifications"]
        self.preferences = database.db["preferences"]  # _id: the person

    async def ensure_indexes(self) -> None:
        await self.notifications.create_index([("recipient_id", ASCENDING), ("at", DESCENDING)])

    async def known(self, ids: list[str]) -> set[str]:
        return {d["_id"] async for d in self.notifications.find({"_id": {"$in": ids}}, {"_id": 1})}

    def add(self, notifications: list[Notification], uow: UnitOfWork[Any, Any]) -> None:
        if notifications:
            uow.insert(self.notifications, [_document(n) for n in notifications])

    async def page(self, recipients: list[str], *, unread_only: bool, first: int, after: str | None
                   ) -> tuple[list[Notification], Slice]:
        """Newest first."""
        found = await page_of(self.notifications, _inbox(recipients, unread_only), by="at", first=first,
                              after=after, descending=True)
        return [_notification(d) for d in found.documents], found

    async def unread(self, recipients: list[str]) -> int:
        return await self.notifications.count_documents(_inbox(recipients, unread_only=True))

    async def mark_read(self, recipients: list[str], ids: list[str], at: datetime, uow: UnitOfWork[Any, Any]
                        ) -> None:
        """Only the recipients' own, and only once (the first reading's time stays). Whole documents replaced: the
        embedded store writes a datetime `$set` as a string."""
        unread = await self.notifications.find({"_id": {"$in": ids}} | _inbox(recipients, unread_only=True)) \
            .to_list(None)

        async def write(session: Any) -> None:
            for document in unread:
                await self.notifications.replace_one({"_id": document["_id"], "read_at": {"$exists": False}},
                                                     document | {"read_at": at}, session=session)

        if unread:
            uow.stage(write)

    async def purge(self, read_before: datetime) -> int:
        async with self._database.alone():
            deleted = await self.notifications.delete_many({"read_at": {"$lt": read_before}})
        return deleted.deleted_count

    async def preferences_of(self, people: list[str]) -> dict[str, Preferences]:
        return {d["_id"]: _preferences(d) async for d in self.preferences.find({"_id": {"$in": people}})}

    def save_preferences(self, preferences: Preferences, uow: UnitOfWork[Any, Any]) -> None:
        uow.save_versioned(self.preferences, {
            "_id": preferences.person_id, "muted_kinds": sorted(preferences.muted_kinds),
            "muted_customers": sorted(preferences.muted_customers), "version": preferences.version + 1,
        }, preferences.version)


def _inbox(recipients: list[str], unread_only: bool) -> dict[str, Any]:
    return {"recipient_id": {"$in": recipients}} | ({"read_at": {"$exists": False}} if unread_only else {})


def _document(n: Notification) -> dict[str, Any]:
    return {"_id": n.id, "recipient_id": n.recipient_id, "kind": n.kind.value, "message": n.message, "at": n.at,
            "cause": n.cause, "customer_id": n.customer_id, "complaint_id": n.complaint_id}  # unread: no read_at


def _notification(d: dict[str, Any]) -> Notification:
    return Notification(d["recipient_id"], Kind(d["kind"]), d["message"], d["at"], d["cause"], d.get("customer_id"),
                        d.get("complaint_id"), d.get("read_at"))


def _preferences(d: dict[str, Any]) -> Preferences:
    return Preferences(d["_id"], frozenset(map(Kind, d.get("muted_kinds", ()))),
                       frozenset(d.get("muted_customers", ())), d["version"])
