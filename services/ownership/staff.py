"""The staff directory: who holds which role where, and who manages whom. Ownership keeps it beside its
roster of salespeople (the company's people are its business); it is told to the others as `staff.changed`
(chassis/directory.py keeps their copies), so that a complaint is handed to a department's people (CMP-2), an
overdue one goes to the handler's manager, else to the regional manager of the customer's region, else to
the sales manager (CMP-4), a credit alert names people (CRD-3) and a visit plan is a person's (CUS-5).

Plain Python: no I/O, no framework.
"""

from dataclasses import dataclass, field

from chassis.auth import Role
from chassis.directory import Department
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
    department: Department | None = None
    active: bool = True
    version: int = 0
    events: list[StaffSaved] = field(default_factory=list, repr=False, compare=False)  # new, not stored

    def saved(self) -> None:
        """Checked, and told to the others."""
        if not self.id.strip():
            raise Invalid("id", "must not be empty")
        if not self.name.strip():
            raise Invalid("name", "must not be empty")
        if not self.roles and self.department is None:
            raise Invalid("roles", "name at least one role, or the person's department")
        if self.manager_id == self.id:
            raise Invalid("managerId", "nobody manages themself")
        self.events.append(StaffSaved(self))
