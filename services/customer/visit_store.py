"""CUS-5 / CUS-6 in MongoDB: the visit log and, per person and customer, when they last visited.

Collections (database `crm_customer`):
- `visits`: CUS-6, one document per logged visit.
- `last_visit`: CUS-5, `_id` = by + NUL + customer id: when that person last visited that customer.
- `visit_reminders`: CUS-5, `_id` = owner:day: the owner was reminded of their overdue visits that company day.
"""

from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from chassis.pagination import MAX_PAGE
from chassis.store import Database, UnitOfWork
from services.customer.visits import Visit, VisitChannel


class VisitRecords:
    """The visit log; part of `CustomerStore` (`store.save_visit(...)`, `store.visits_of(...)`)."""

    def __init__(self, database: Database) -> None:
        self.visits = database.db["visits"]
        self.last_visit = database.db["last_visit"]
        self.visit_reminders = database.db["visit_reminders"]  # CUS-5: one per owner and company day, `owner:day`

    async def ensure_visit_indexes(self) -> None:
        await self.visits.create_index([("by", ASCENDING), ("at", ASCENDING)])
        await self.visits.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
        await self.last_visit.create_index([("by", ASCENDING), ("customer_id", ASCENDING)])
        await self.visit_reminders.create_index([("day", ASCENDING)])

    def save_visit(self, visit: Visit, uow: UnitOfWork) -> None:
        doc = visit_document(visit)

        key = {"_id": f"{visit.by}\u0000{visit.customer_id}"}
        last = key | {"by": visit.by, "customer_id": visit.customer_id, "at": visit.at}

        async def write(session: AsyncClientSession) -> None:
            await self.visits.insert_one(doc, session=session)
            held = await self.last_visit.find_one(key, session=session)
            if held is None:
                await self.last_visit.insert_one(last, session=session)
            elif held["at"] < visit.at:  # a visit logged late does not move the last one back
                await self.last_visit.replace_one(key, last, session=session)

        uow.stage(write)

    async def visits_by(self, user_id: str, start: datetime, end: datetime) -> list[Visit]:
        cursor = self.visits.find({"by": user_id, "at": {"$gte": start, "$lt": end}}).sort("at", ASCENDING)
        return [to_visit(d) async for d in cursor]

    async def visits_of(self, customer_ids: list[str]) -> dict[str, list[Visit]]:
        """Each customer's last `MAX_PAGE` visits, newest first (one query for them all)."""
        found: dict[str, list[Visit]] = {}
        cursor = self.visits.find({"customer_id": {"$in": customer_ids}}).sort("at", DESCENDING)
        async for d in cursor.limit(MAX_PAGE * len(customer_ids)):
            found.setdefault(d["customer_id"], []).append(to_visit(d))
        return found

    async def last_visits(self, user_id: str, customer_ids: list[str]) -> dict[str, datetime]:
        """When `user_id` last visited each of these customers."""
        cursor = self.last_visit.find({"by": user_id, "customer_id": {"$in": customer_ids}})
        return {d["customer_id"]: d["at"] async for d in cursor}

    async def reminded_of_visits(self, day: date) -> set[str]:
        """CUS-5: the owners already reminded of their overdue visits on `day`."""
        return {d["owner_id"] async for d in self.visit_reminders.find({"day": day.isoformat()}, {"owner_id": 1})}

    def record_visit_reminder(self, owner_id: str, day: date, overdue: int, uow: UnitOfWork) -> None:
        """The owner's reminder of `day` is done (even with nothing overdue): a second sweep finds it and stops."""
        uow.insert(self.visit_reminders, [{"_id": f"{owner_id}:{day.isoformat()}", "owner_id": owner_id,
                                           "day": day.isoformat(), "overdue": overdue}])


def visit_document(v: Visit) -> dict[str, Any]:
    return {"_id": v.id, "customer_id": v.customer_id, "by": v.by, "at": v.at, "channel": v.channel.value,
            "progress": v.progress, "achievements": v.achievements, "problems": v.problems,
            "next_steps": v.next_steps, "logged_at": v.logged_at}


def to_visit(d: dict[str, Any]) -> Visit:
    return Visit(d["_id"], d["customer_id"], d["by"], d["at"], VisitChannel(d["channel"]), d["progress"],
                 d.get("achievements"), d.get("problems"), d.get("next_steps"), d["logged_at"])
