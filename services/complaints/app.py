"""The complaints service process: wiring only."""

from chassis.app import Kit
from services.complaints.events import to_contract
from services.complaints.handlers import SUBSCRIPTIONS
from services.complaints.jobs import JOBS
from services.complaints.schema import schema
from services.complaints.settings import ComplaintsSettings
from services.complaints.store import ComplaintStore

KIT = Kit("complaints", ComplaintsSettings, ComplaintStore, schema, SUBSCRIPTIONS, to_contract, JOBS)

create_app = KIT.create_app
