"""The federation under test: three real Strawberry subgraphs behind the real gateway app.

Subgraphs are served in-process over HTTP (httpx.ASGITransport): the gateway speaks to them exactly
as in production (POST /graphql, `_service`, `_entities`), minus the sockets. The monolith serves
the same world as one schema, for comparing answers.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from crm_monolith import monolith_app
from crm_serving import Recorded
from crm_subgraphs import subgraph_apps
from crm_world import SETTINGS, a_world

from chassis.auth import mint_token
from chassis.limits import Limits
from chassis.settings import Settings
from gateway.app import create_gateway_app

URLS = {
    "customer": "http://customer/graphql",
    "credit": "http://credit/graphql",
    "ownership": "http://ownership/graphql",
}


def a_token(user: str = "u1", roles: tuple[str, ...] = ("SALES",), secret: str = SETTINGS.jwt_secret) -> str:
    return mint_token(secret, user, list(roles), now=datetime.now(UTC), region="east")


class Switchable(httpx.AsyncBaseTransport):
    """A subgraph's line that a test can cut (refused), break (HTTP 502) or let go stale (reset once)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.state = "up"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.state == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.state == "stale":  # a keep-alive connection the server closed: fails once
            self.state = "up"
            raise httpx.ReadError("connection reset by peer", request=request)
        if self.state == "broken":
            return httpx.Response(502, text="Bad Gateway")
        return await self.inner.handle_async_request(request)


@dataclass
class Federation:
    client: httpx.AsyncClient  # to the gateway
    monolith: httpx.AsyncClient
    subgraphs: dict[str, Recorded]
    lines: dict[str, Switchable]
    app: object

    @property
    def gateway(self):
        return self.app.state.gateway

    async def ask(
        self,
        query: str,
        variables: dict | None = None,
        *,
        token: str | None = "default",
        headers: dict | None = None,
        operation_name: str | None = None,
    ) -> dict:
        return (
            await self.post(query, variables, token=token, headers=headers, operation_name=operation_name)
        ).json()

    async def post(
        self,
        query: str,
        variables: dict | None = None,
        *,
        token: str | None = "default",
        headers: dict | None = None,
        operation_name: str | None = None,
    ) -> httpx.Response:
        return await self.client.post(
            "/graphql", json=_body(query, variables, operation_name), headers=_headers(token, headers)
        )

    async def ask_monolith(
        self, query: str, variables: dict | None = None, operation_name: str | None = None
    ) -> dict:
        response = await self.monolith.post(
            "/graphql", json=_body(query, variables, operation_name), headers=_headers("default", None)
        )
        return response.json()

    def operations(self, subgraph: str) -> list[dict]:
        return self.subgraphs[subgraph].operations

    def request_counts(self) -> dict[str, int]:
        return {name: len(r.operations) for name, r in self.subgraphs.items()}

    def forget_requests(self) -> None:
        for recorded in self.subgraphs.values():
            recorded.requests.clear()


def _body(query: str, variables: dict | None, operation_name: str | None) -> dict:
    return {"query": query, "variables": variables, "operationName": operation_name}


def _headers(token: str | None, headers: dict | None) -> dict:
    token = a_token() if token == "default" else token
    return ({"authorization": f"Bearer {token}"} if token else {}) | (headers or {})


@asynccontextmanager
async def a_federation(
    *, settings: Settings = SETTINGS, limits: Limits | None = None, subgraph_timeout_s: float | dict = 2.0
) -> AsyncIterator[Federation]:
    """A fresh world behind the gateway, and the same world behind the monolith."""
    recorded = subgraph_apps(a_world())
    lines = {name: Switchable(httpx.ASGITransport(app=app)) for name, app in recorded.items()}
    app = create_gateway_app(
        settings, URLS, transports=lines, limits=limits, subgraph_timeout_s=subgraph_timeout_s
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=monolith_app(a_world())), base_url="http://monolith"
        ) as monolith,
    ):
        federation = Federation(client, monolith, recorded, lines, app)
        federation.forget_requests()
        yield federation
