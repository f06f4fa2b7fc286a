"""The ownership service process: wiring only."""

from chassis.app import Kit
from services.ownership.events import to_contract
from services.ownership.handlers import SUBSCRIPTIONS
from services.ownership.jobs import JOBS
from services.ownership.schema import schema
from services.ownership.settings import OwnershipSettings
from services.ownership.store import OwnershipStore

KIT = Kit("ownership", OwnershipSettings, OwnershipStore, schema, SUBSCRIPTIONS, to_contract, JOBS)

create_app = KIT.create_app
