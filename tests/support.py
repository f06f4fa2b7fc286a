"""Builders shared by the integration tests: settings, tokens, a GraphQL client, polling."""

import asyncio
import contextlib
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
import httpx
from fastapi import FastAPI

from chassis.auth import mint_token
from chassis.bus import entrance_name
from chassis.rabbit import service_queues
from chassis.settings import DEV_JWT_SECRET, Settings

T = TypeVar("T")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
TEST_RETRY_DELAYS_S = [0.05, 0.1]
# One partition per test copy of a service: each quorum queue costs its declaration (~0.1 s here), and a
# service started for one test gains nothing from four. The bus and chaos tests set their own.
PARTITIONS = 1


def settings_for(mongo_url: str, amqp_url: str | None, instance: str, **overrides: Any) -> Settings:
    defaults: dict[str, Any] = {"crm_env": "test", "retry_delays_s": TEST_RETRY_DELAYS_S, "outbox_poll_s": 0.1,
                                "partitions": PARTITIONS,
                                "queue_expires_s": 300}
    return Settings(mongo_url=mongo_url, amqp_url=amqp_url, instance=instance, **(defaults | overrides))


def token(*roles: str, user: str = "u1", region: str | None = "east") -> str:
    return mint_token(DEV_JWT_SECRET, user, list(roles or ["SALES"]), now=datetime.now(UTC), region=region)


class GraphQL:
    """Posts operations to one app's /graphql the way a frontend does."""

    def __init__(self, client: httpx.AsyncClient, default_token: str | None) -> None:
        self.client = client
        self.default_token = default_token

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *,
                       as_token: str | None | bool = True) -> dict[str, Any]:
        bearer = self.default_token if as_token is True else as_token
        headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The answer's data, asserting there were no errors."""
        answer = await self(query, variables, **kw)
        assert not answer.get("errors"), json.dumps(answer["errors"], ensure_ascii=False, indent=1)
        return answer["data"]


def error_codes(answer: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in answer.get("errors") or []]


@contextlib.asynccontextmanager
async def serving(app: FastAPI, default_token: str | None = None) -> AsyncIterator[GraphQL]:
    """Runs the app's lifespan (store, bus, relay, jobs) and talks to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield GraphQL(client, default_token or token("SALES"))


async def eventually(check: Callable[[], Awaitable[T] | T], timeout_s: float = 10.0) -> T:
    """Polls `check` (plain or async) until it returns a truthy value (no fixed sleeps)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {result!r} after {timeout_s}s")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def listening(amqp_url: str, *routing_keys: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Collects the envelopes published on crm.events with these routing keys, as an outsider would."""
    received: list[dict[str, Any]] = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange("crm.events", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        for key in routing_keys:
            await queue.bind(exchange, key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                received.append(json.loads(message.body))

        await queue.consume(on_message)
        yield received


async def publish_as_outsider(amqp_url: str, envelope: dict[str, Any] | bytes, routing_key: str) -> None:
    """What finance/ERP do: a plain AMQP publish of a CloudEvents JSON body to crm.events."""
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange("crm.events", aio_pika.ExchangeType.TOPIC, durable=True)
        await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                                content_type="application/cloudevents+json"), routing_key)


async def delete_services(amqp_url: str, *services: str, retry_delays_s: list[float] = TEST_RETRY_DELAYS_S) -> None:
    """What test copies of services (`<name>.<instance>`) left on the shared broker: queues and entrances."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for service in services:
            for name in service_queues(service, PARTITIONS, retry_delays_s):
                async with _channel(connection) as channel:
                    await channel.queue_delete(name)
            async with _channel(connection) as channel:
                await channel.exchange_delete(entrance_name(service))


@contextlib.asynccontextmanager
async def _channel(connection: aio_pika.abc.AbstractConnection) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A channel of its own for one cleanup step: one that fails (a queue never declared) closes only it."""
    channel = await connection.channel()
    with contextlib.suppress(Exception):
        yield channel
    with contextlib.suppress(Exception):
        await channel.close()


def staff_changed(user_id: str, *roles: str, region: str | None = "east", manager_id: str | None = None,
                  department: str | None = None, version: int = 1) -> dict[str, Any]:
    """`staff.changed` as ownership publishes it: the staff directory's record of a person."""
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "ownership", "type": "staff.changed",
            "time": START.isoformat(), "subject": None, "datacontenttype": "application/json",
            "data": {"userId": user_id, "name": user_id, "roles": list(roles) if roles or department else ["SALES"],
                     "region": region, "managerId": manager_id, "department": department, "active": True,
                     "version": version}}
