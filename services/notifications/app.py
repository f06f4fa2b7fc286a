"""The notifications service process: wiring only."""

from chassis.app import Kit
from contracts.notifications import NotificationSent
from services.notifications.events import to_contract
from services.notifications.handlers import SUBSCRIPTIONS
from services.notifications.jobs import JOBS
from services.notifications.schema import schema
from services.notifications.settings import NotificationsSettings
from services.notifications.store import NotificationStore

KIT = Kit("notifications", NotificationsSettings, NotificationStore, schema, SUBSCRIPTIONS, to_contract, JOBS,
          live={NotificationSent: lambda sent: sent.recipient_id})

create_app = KIT.create_app
