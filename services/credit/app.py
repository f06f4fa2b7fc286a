"""The credit service process: wiring only."""

from chassis.app import Kit
from services.credit.events import to_contract
from services.credit.handlers import SUBJECTS, SUBSCRIPTIONS
from services.credit.intake import router
from services.credit.jobs import JOBS
from services.credit.schema import schema
from services.credit.settings import CreditSettings
from services.credit.store import CreditStore

KIT = Kit("credit", CreditSettings, CreditStore, schema, SUBSCRIPTIONS, to_contract, JOBS, subjects=SUBJECTS,
          routes=router)

create_app = KIT.create_app
