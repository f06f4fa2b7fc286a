"""The staff directory: who holds which role where, and who manages whom. Ownership keeps it beside its
roster of salespeople (the company's people are its business); it is told to the others as `staff.changed`,
so that an overdue complaint goes to the handler's manager, else to the regional manager of the customer's
region, else to the sales manager (CMP-4).

Plain Python: no I/O, no framework.
"""

from dataclasses import dataclass, field

from chassis.auth import Role
from chassis.errors import Invalid


@dataclass(frozen=True)
class StaffSaved:
    member: "StaffMember"


@dataclass
class StaffMember:
    id: str
    name: str
    roles: tuple[Role, ...]
    region: str | None = None
    manager_id: str | None = None
    active: bool = True
    version: int = 0
    events: list[StaffSaved] = field(default_factory=list, repr=False, compare=False)  # new, not stored

    def saved(self) -> None:
        """Checked, and told to the others."""
        if not self.id.strip():
            raise Invalid("id", "must not be empty")
        if not self.name.strip():
            raise Invalid("name", "must not be empty")
        if not self.roles:
            raise Invalid("roles", "name at least one role")
        if self.manager_id == self.id:
            raise Invalid("managerId", "nobody manages themself")
        self.events.append(StaffSaved(self))
