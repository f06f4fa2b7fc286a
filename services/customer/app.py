"""The customer service process: wiring only."""

from chassis.app import Kit
from services.customer.events import to_contract
from services.customer.handlers import SUBSCRIPTIONS
from services.customer.jobs import JOBS
from services.customer.schema import schema
from services.customer.settings import CustomerSettings
from services.customer.store import CustomerStore

KIT = Kit("customer", CustomerSettings, CustomerStore, schema, SUBSCRIPTIONS, to_contract, JOBS)

create_app = KIT.create_app
