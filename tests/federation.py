"""Services as in production (each its own database, RabbitMQ between them) behind the real gateway, in one
process: the gateway speaks to each subgraph over GraphQL-over-HTTP (in-process transports), and a test
can speak to a subgraph directly too, as a client that bypasses the gateway would."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from chassis.clock import FixedClock
from chassis.service import Service
from crm.services import app_factory
from gateway.app import create_gateway_app
from tests.support import START, GraphQL, delete_services, eventually, settings_for, token

ALL = ("customer", "credit", "ownership", "complaints")


@dataclass
class Federation:
    gateway: GraphQL
    subgraphs: dict[str, GraphQL]
    services: dict[str, Service[Any, Any]]
    clock: FixedClock
    gateway_app: Any  # for a WebSocket to the gateway (gateway.sockets.asgi_socket)


@contextlib.asynccontextmanager
async def federation(mongo_url: str, amqp_url: str, unique: str, names: tuple[str, ...] = ALL,
                     default_token: str | None = None, settings: dict[str, Any] | None = None,
                     **service_settings: Any) -> AsyncIterator[Federation]:
    """`settings`: what to set beyond the tests' defaults (every process); `service_settings`: a service's own
    settings by its name (e.g. complaints=ComplaintsSettings(...))."""
    settings = settings_for(mongo_url, amqp_url, unique, **(settings or {}))
    clock = FixedClock(START)
    apps = {name: app_factory(name)(settings, clock=clock, service_settings=service_settings.get(name))
            for name in names}
    bearer = default_token or token("SALES")
    try:
        async with contextlib.AsyncExitStack() as running:
            for app in apps.values():
                await running.enter_async_context(app.router.lifespan_context(app))
            transports = {name: httpx.ASGITransport(app=app) for name, app in apps.items()}
            gateway = create_gateway_app(settings, {name: f"http://{name}/graphql" for name in apps},
                                         transports=transports)
            await running.enter_async_context(gateway.router.lifespan_context(gateway))
            clients = {name: await running.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{name}"))
                for name, transport in {**transports, "gateway": httpx.ASGITransport(app=gateway)}.items()}
            services = {name: app.state.crm["service"] for name, app in apps.items()}
            yield Federation(GraphQL(clients.pop("gateway"), bearer),
                             {name: GraphQL(client, bearer) for name, client in clients.items()}, services, clock,
                             gateway)
            for service in services.values():  # let the relays go idle before the lifespans stop them
                await eventually(lambda s=service: _empty(s.database.outbox), timeout_s=10)
    finally:
        await delete_services(amqp_url, *[f"{name}.{unique}" for name in names])


async def _empty(collection: Any) -> bool:
    return await collection.count_documents({}) == 0


SURVEY = """mutation($id: ID!, $v: Int!) { submitTradingSurvey(id: $id, expectedVersion: $v, survey: "资信良好") {
  version } }"""
DECIDE_SURVEY = """mutation($id: ID!, $v: Int!) { decideTradingSurvey(id: $id, expectedVersion: $v, approve: true) {
  version } }"""


async def open_trading(crm: Federation, customer_id: str, writer: str, region: str = "east") -> None:
    """CUS-8 through the gateway, as people do it: the writer (the owner) submits the start-of-trading survey,
    the region's manager and the general manager approve; returns once credit heard (credit may be requested
    now)."""
    version = (await crm.gateway.data("query($id: ID!) { customer(id: $id) { version } }", {"id": customer_id},
                                      as_token=writer))["customer"]["version"]
    version = (await crm.gateway.data(SURVEY, {"id": customer_id, "v": version}, as_token=writer))[
        "submitTradingSurvey"]["version"]
    for decider in (token("REGION_MANAGER", user=f"rm-{region}", region=region),
                    token("GENERAL_MANAGER", user="gm", region=None)):
        version = (await crm.gateway.data(DECIDE_SURVEY, {"id": customer_id, "v": version}, as_token=decider))[
            "decideTradingSurvey"]["version"]
    await eventually(lambda: credit_heard_trading_open(crm, customer_id))


async def credit_heard_trading_open(crm: Federation, customer_id: str) -> bool:
    return (await crm.services["credit"].store.get(customer_id)).trading_open
