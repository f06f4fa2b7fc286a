"""The notifications subgraph: each person's inbox, preferences and live feed. Thin: authorise (policy.py), call a
handler or the store, map.

Who may do what: every signed-in person their own inbox (and their desks': a role, a role in their region),
preferences and subscription; nobody another's.
"""

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from chassis.graphql import Connection, ServiceContext, ServiceSchema
from contracts.notifications import NotificationSent
from services.notifications import domain, handlers, policy
from services.notifications.handlers import NotificationsService

Info = strawberry.Info[ServiceContext[NotificationsService], None]
NotificationKind = strawberry.enum(domain.Kind, name="NotificationKind")


@strawberry.federation.type(keys=["id"], description="A customer a notification is about (the card is the customer "
                                                      "subgraph's: select its fields, shown as they are to you)")
class Customer:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="A complaint a notification is about (the complaints "
                                                      "subgraph's: select its fields, shown as they are to you)")
class Complaint:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Complaint":
        return cls(id=id)


@strawberry.type(description="Something that happened that the rules say you are to hear of. It names what it is "
                             "about; what you may read of that, you read there")
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    message: str
    at: datetime
    read_at: datetime | None = strawberry.field(description="when you (or your desk) read it; null: unread")
    customer: Customer | None
    complaint: Complaint | None
    complaint_id: strawberry.ID | None = strawberry.field(description="the complaint it is about")
    recipient_id: strawberry.ID = strawberry.field(description="you, or your desk (a role: FINANCE, "
                                                               "REGION_MANAGER:east) where nobody was named")

    @classmethod
    def of(cls, n: domain.Notification) -> "Notification":
        return cls._made(n.id, n.kind, n.message, n.at, n.read_at, n.customer_id, n.complaint_id, n.recipient_id)

    @classmethod
    def sent(cls, e: NotificationSent) -> "Notification":
        return cls._made(e.notification_id, domain.Kind(e.kind), e.message, e.at, None, e.customer_id,
                         e.complaint_id, e.recipient_id)

    @classmethod
    def _made(cls, id: str, kind: domain.Kind, message: str, at: datetime, read_at: datetime | None,
              customer_id: str | None, complaint_id: str | None, recipient_id: str) -> "Notification":
        return cls(id=strawberry.ID(id), kind=kind, message=message, at=at, read_at=read_at,
                   customer=Customer(id=strawberry.ID(customer_id)) if customer_id else None,
                   complaint=Complaint(id=strawberry.ID(complaint_id)) if complaint_id else None,
                   complaint_id=strawberry.ID(complaint_id) if complaint_id else None,
                   recipient_id=strawberry.ID(recipient_id))


@strawberry.type(description="What you do not want to hear of")
class NotificationPreferences:
    muted_kinds: list[NotificationKind]
    muted_customer_ids: list[strawberry.ID]

    @classmethod
    def of(cls, p: domain.Preferences) -> "NotificationPreferences":
        return cls(muted_kinds=sorted(p.muted_kinds), muted_customer_ids=[strawberry.ID(c)
                                                                           for c in sorted(p.muted_customers)])


@strawberry.type
class Query:
    @strawberry.field(description="Your notifications (and your desks'), newest first, with stable cursors")
    async def my_notifications(self, info: Info, unread_only: bool = False, first: int = 20,
                               after: str | None = None) -> Connection[Notification]:
        found, page = await info.context.service.store.page(policy.inbox(info.context.caller),
                                                            unread_only=unread_only, first=first, after=after)
        return Connection.of([Notification.of(n) for n in found], page)

    @strawberry.field(description="How many of your notifications (and your desks') are unread")
    async def unread_notification_count(self, info: Info) -> int:
        return await info.context.service.store.unread(policy.inbox(info.context.caller))

    @strawberry.field(description="What you muted")
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        me = info.context.caller.user_id
        found = await info.context.service.store.preferences_of([me])
        return NotificationPreferences.of(found.get(me, domain.Preferences(me)))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Marks your notifications among `ids` read (others' and unknown ids change "
                                     "nothing); returns how many you have unread now")
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        caller = info.context.caller
        return await info.context.service.run(lambda uow: handlers.mark_read(map(str, ids), caller, uow))

    @strawberry.mutation(description="Mutes kinds and customers; a list left out stays as it is, an empty one "
                                     "unmutes all")
    async def set_notification_preferences(self, info: Info, muted_kinds: list[NotificationKind] | None = None,
                                           muted_customer_ids: list[strawberry.ID] | None = None
                                           ) -> NotificationPreferences:
        caller = info.context.caller
        customers = None if muted_customer_ids is None else [str(c) for c in muted_customer_ids]
        saved = await info.context.service.run(
            lambda uow: handlers.set_preferences(caller, muted_kinds, customers, uow))
        return NotificationPreferences.of(saved)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Your notifications (and your desks') as they are stored, from now on. "
                                         "Over graphql-transport-ws, signed in with the connection's first message "
                                         "({\"Authorization\": \"Bearer …\"}). Ends with an error if you fall far "
                                         "behind: subscribe again and read `myNotifications` for what you missed")
    async def notifications(self, info: Info) -> AsyncGenerator[Notification, None]:
        caller = info.context.caller
        service = info.context.service
        async with service.live.follow(policy.inbox(caller)) as items:
            async for event in items:
                yield Notification.sent(event)


schema = ServiceSchema(query=Query, mutation=Mutation, subscription=Subscription, types=[Customer, Complaint])
