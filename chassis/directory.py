"""The staff directory as the services hear it: who holds which role where, who manages whom, who works in
which department.

Ownership keeps the directory (services/ownership/staff.py) and tells every change as `staff.changed`; the
services that must name people keep this copy in their own `staff` collection and ask it: complaints whom
a hand-over (CMP-2) or an escalation (CMP-4) goes to, credit whom an alert is for (CRD-3), customer whose
visit plan is whose (CUS-5).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING

from chassis.auth import Role
from chassis.store import Database, UnitOfWork
from contracts.ownership import StaffChanged


class Department(StrEnum):
    """The company's departments a complaint can be handed to (CMP-2) or an alert go to (CRD-3)."""

    SALES = "SALES"  # 销售部
    SERVICE = "SERVICE"  # 客户服务中心 / 公关部
    QUALITY = "QUALITY"  # 质量部: product quality complaints
    LOGISTICS = "LOGISTICS"  # 储运部: transport complaints
    FINANCE = "FINANCE"  # 财务部 / 商务部: contracts, invoices, claims
    PRODUCTION = "PRODUCTION"  # 生产部 / 加工厂
    PURCHASING = "PURCHASING"  # 采购部: a supplier's fault
    PRODUCT_CENTRE = "PRODUCT_CENTRE"  # 产品中心: told of credit alerts from 90 % (CRD-3)


@dataclass(frozen=True)
class StaffRecord:
    id: str
    name: str
    roles: tuple[str, ...]
    region: str | None
    manager_id: str | None
    department: str | None
    active: bool


class StaffDirectory:
    """A service's copy of the directory, one document per person with ownership's `version` of it."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.staff = database.db["staff"]

    async def ensure_indexes(self) -> None:
        for name in ("department", "manager_id"):  # not `roles`: the stand-in mis-matches arrays via an index
            await self.staff.create_index([(name, ASCENDING)])

    async def heard(self, event: StaffChanged, uow: UnitOfWork) -> None:
        """A person's record as ownership tells it; an older record arriving late changes nothing."""
        known = await self.version(event.user_id)
        if known is None or known < event.version:
            person = {"_id": event.user_id, "name": event.name, "roles": event.roles, "region": event.region,
                      "manager_id": event.manager_id, "department": event.department, "active": event.active,
                      "version": event.version}
            uow.save_versioned(self.staff, person, known or 0)

    async def version(self, user_id: str) -> int | None:
        known = await self.staff.find_one({"_id": user_id}, {"version": 1})
        return known["version"] if known else None

    async def person(self, user_id: str) -> StaffRecord | None:
        found = await self._database.find_by_id(self.staff, user_id)
        return None if found is None else _record(found)

    async def manager_of(self, user_id: str) -> str | None:
        """The person's manager, unless the directory says the manager has left."""
        person = await self.person(user_id)
        if person is None or person.manager_id is None:
            return None
        manager = await self.person(person.manager_id)
        return None if manager and not manager.active else person.manager_id

    async def any_of(self, roles: list[Role], departments: list[Department]) -> list[StaffRecord]:
        """Who holds any of `roles` or works in any of `departments` now, in one query."""
        wanted = [{"roles": {"$in": [str(r) for r in roles]}}, {"department": {"$in": [str(d) for d in departments]}}]
        found = self.staff.find({"$or": wanted, "active": True}).sort("_id", ASCENDING)
        return [_record(d) async for d in found]

    async def in_department(self, department: Department | str) -> list[StaffRecord]:
        """The department's people now, by id."""
        found = self.staff.find({"department": str(department), "active": True}).sort("_id", ASCENDING)
        return [_record(d) async for d in found]

    async def managed_by(self, manager_id: str) -> tuple[str, ...]:
        """The people whose manager is `manager_id` (a team lead's team), by id."""
        return await self._ids({"manager_id": manager_id})

    async def _ids(self, query: dict[str, Any]) -> tuple[str, ...]:
        found = self.staff.find(query | {"active": True}, {"_id": 1}).sort("_id", ASCENDING)
        return tuple([d["_id"] async for d in found])


def holding(staff: list[StaffRecord], role: Role | str, region: str | None = None) -> tuple[str, ...]:
    """Of these people, who holds `role` (in `region`, if one is named), by id."""
    return tuple(p.id for p in staff if str(role) in p.roles and region in (None, p.region))


def head_of(members: list[StaffRecord]) -> StaffRecord | None:
    """A department's head: the member whose manager is not in the department (the first such, by id)."""
    inside = {m.id for m in members}
    return next((m for m in members if m.manager_id not in inside), None)


async def on_staff_changed(event: StaffChanged, uow: UnitOfWork[Any, Any]) -> None:
    """Every directory consumer's handler of `staff.changed` (its store keeps the copy as `directory`)."""
    await uow.store.directory.heard(event, uow)
    await uow.commit()


def _record(d: dict[str, Any]) -> StaffRecord:
    return StaffRecord(d["_id"], d["name"], tuple(d.get("roles") or ()), d.get("region"), d.get("manager_id"),
                       d.get("department"), d.get("active", True))
