"""Events the ownership service publishes."""

from pydantic import AwareDatetime

from contracts.envelope import Event


class OwnershipChanged(Event):
    """OWN-10: a customer changed hands (or went to / left the pool: owner None)."""

    type = "ownership.changed"
    customer_id: str
    previous_owner_id: str | None
    owner_id: str | None
    basis: str
    region: str | None = None
    changed_by: str | None = None
    changed_at: AwareDatetime
