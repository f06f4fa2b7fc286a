"""Events the customer service publishes."""

from datetime import date

from pydantic import AwareDatetime, Field

from contracts.envelope import Event


class CustomerRegistered(Event):
    type = "customer.registered"
    customer_id: str
    code: str
    name: str
    kind: str
    nature: str
    region: str | None
    registered_by: str
    registered_at: AwareDatetime
    # Who registered it, as their token said: the roster enrols a salesperson from these (OWN-1).
    registered_by_name: str | None = None
    registered_by_roles: list[str] = Field(default_factory=list)
    registered_by_region: str | None = None


class CustomerUpdated(Event):
    type = "customer.updated"
    customer_id: str
    version: int
    changed_fields: list[str]
    updated_by: str
    updated_at: AwareDatetime
    region: str | None
    lifecycle: str
    trading_open: bool = False  # CUS-8: the start-of-trading survey has its final approval


class CustomerLevelChanged(Event):
    type = "customer.level_changed"
    customer_id: str
    old_level: str | None
    new_level: str | None
    changed_at: AwareDatetime


class VisitsOverdue(Event):
    """CUS-5: once a company day, an owner's visits that are overdue in their plan (up to 50 named, all counted)."""

    type = "customer.visits_overdue"
    salesperson_id: str
    customer_ids: list[str]
    count: int
    day: date
    reminded_at: AwareDatetime


class CustomerTerminated(Event):
    """CUS-8: the trading relationship ended; the record stays, archived."""

    type = "customer.terminated"
    customer_id: str
    reason: str
    terminated_by: str
    terminated_at: AwareDatetime
