"""What the customer archive tells the world: each domain event of a card as its published contract."""

from contracts.customer import CustomerLevelChanged, CustomerRegistered, CustomerTerminated, CustomerUpdated
from contracts.envelope import Event
from services.customer.domain import CustomerEvent, LevelChanged, Registered, Terminated, Updated


def to_contract(event: CustomerEvent) -> Event:
    match event:
        case Registered():  # CUS-1; OWN-1 downstream
            return CustomerRegistered(
                customer_id=event.customer_id, code=event.code, name=event.name, kind=event.kind.value,
                nature=event.nature.value, region=event.region, registered_by=event.by.id, registered_at=event.at,
                registered_by_name=event.by.name, registered_by_roles=list(event.by.roles),
                registered_by_region=event.by.region)
        case Updated():  # CUS-7
            return CustomerUpdated(customer_id=event.customer_id, version=event.version,
                                   changed_fields=list(event.fields), updated_by=event.by, updated_at=event.at,
                                   region=event.region, lifecycle=event.lifecycle.value,
                                   trading_open=event.trading_open)
        case LevelChanged():  # CUS-3
            return CustomerLevelChanged(customer_id=event.customer_id,
                                        old_level=event.old.value if event.old else None,
                                        new_level=event.new.value if event.new else None, changed_at=event.at)
        case Terminated():  # CUS-8
            return CustomerTerminated(customer_id=event.customer_id, reason=event.reason.value,
                                      terminated_by=event.by, terminated_at=event.at)
    raise TypeError(f"the customer archive does not publish {type(event).__name__}")
