"""The subgraphs as the gateway sees them: a name, a URL, one pooled HTTP client each."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import httpx
from opentelemetry.trace import SpanKind

from chassis import metrics, tracing
from gateway import jsonio, sockets
from gateway.compose import CompositionError
from gateway.flights import Flights

log = logging.getLogger("gateway")

SDL_QUERY = "query GatewayComposition { _service { sdl } }"


def parse_subgraphs(value: str) -> dict[str, str]:
    """`SUBGRAPHS`: `customer=http://customer:8000/graphql,credit=http://credit:8000/graphql`.

    The order is kept: it orders the composed schema's fields and breaks ties between owners.
    """
    subgraphs: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        name, _, url = (part.strip() for part in entry.partition("="))
        if not name or not url.startswith(("http://", "https://")):
            raise ValueError(f"SUBGRAPHS entry {entry!r} must look like name=http://host:port/graphql")
        if name in subgraphs:
            raise ValueError(f"SUBGRAPHS names subgraph {name!r} twice")
        subgraphs[name] = url
    if not subgraphs:
        raise ValueError("SUBGRAPHS is empty: the gateway needs at least one subgraph (name=url,...)")
    return subgraphs


# A pooled keep-alive connection that the subgraph closed a moment ago fails on first use. A query
# is safe to send once more, on a fresh connection; a mutation is never sent twice.
STALE_CONNECTION = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
)
# Idle pooled connections are dropped before uvicorn's 5 s keep-alive closes them from the other end,
# so that a stale one is the exception the retry above covers, not the rule.
KEEPALIVE_S = 4.0
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


class SubgraphError(Exception):
    """The subgraph gave no GraphQL answer at all: down, timed out, or not speaking GraphQL."""

    def __init__(self, subgraph: str, code: str, message: str) -> None:
        super().__init__(message)
        self.subgraph = subgraph
        self.code = code
        self.message = message


class SubgraphClient:
    """One subgraph's connection pool (aiohttp), or, with `transport`, an httpx client over it: tests and
    `crm dev` serve subgraphs in-process.

    aiohttp because the gateway's own CPU went mostly to httpx at load: its pool polls every pooled
    connection on each request, and its request and response models cost more than the exchange.
    Identical queries in flight at once from one caller share one request (see `post`).
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
    ) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self._flights: Flights[tuple[bytes, str | None], tuple[int, bytes]] = Flights(
            metrics.SHARED_FETCHES.labels(name).inc)
        self._in_process = getattr(transport, "app", None)  # an httpx.ASGITransport's app: its sockets too
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout_s) if transport else None
        self._pool = None if transport else aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=KEEPALIVE_S),
            timeout=aiohttp.ClientTimeout(total=None),  # `_send` bounds the whole exchange
            # One session serves every caller: a cookie one subgraph answer sets must never ride on another's.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def post(
        self, document: str, variables: dict[str, object], headers: dict[str, str], *, read_only: bool = True
    ) -> dict:
        """The subgraph's GraphQL answer, or SubgraphError.

        A query identical (document and variables) to one this caller's credentials already have in flight
        waits for that one's answer instead of asking again: under load many clients send the same
        operation, and the subgraphs would do the same work once for each. Never across callers (the key
        holds the Authorization header), never for a mutation. Each caller parses the answer itself, so
        no two requests share the objects they merge into.
        """
        body = jsonio.dumps({"query": document, "variables": variables})
        if not read_only:
            return self._answer(*await self._send(body, headers, read_only=False))
        status, content = await self._flights.share((body, headers.get("authorization")),
                                                    lambda: self._send(body, headers))
        return self._answer(status, content)

    async def subscribe(self, document: str, variables: dict[str, object], connection_params: dict[str, object]
                        ) -> AsyncIterator[dict]:
        """Each event of a subscription as the subgraph answers it (`{"data"…}` or `{"errors"…}`), on a WebSocket
        of its own; SubgraphError when the connection fails or drops."""
        try:
            async with self._socket() as socket:
                async for payload in sockets.subscribe(socket, connection_params, document, variables):
                    yield payload
        except (sockets.SocketClosed, aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
            raise SubgraphError(self.name, "SUBGRAPH_UNAVAILABLE",
                                f"subgraph {self.name}'s subscription ended ({type(e).__name__}: {e})") from e

    def _socket(self) -> contextlib.AbstractAsyncContextManager[sockets.Socket]:
        if self._in_process is not None:
            return sockets.asgi_socket(self._in_process, urlsplit(self.url).path)
        if self._pool is None:
            raise SubgraphError(self.name, "SUBGRAPH_UNAVAILABLE", f"subgraph {self.name} serves no WebSocket here")
        return sockets.network_socket(self._pool, self.url)

    @property
    def waiting(self) -> int:
        """Callers waiting for the answer of a query in flight; several may wait for one request."""
        return self._flights.waiting

    async def _send(self, body: bytes, headers: dict[str, str], *, read_only: bool = True) -> tuple[int, bytes]:
        started = time.perf_counter()
        with tracing.span(f"fetch {self.name}", kind=SpanKind.CLIENT, attributes={"crm.subgraph": self.name}):
            try:
                answer = await self._send_within_bound(body, headers | tracing.carried(), read_only=read_only)
            except SubgraphError as e:
                metrics.SUBGRAPH_FETCHES.labels(self.name, e.code.removeprefix("SUBGRAPH_").lower()).inc()
                raise
        metrics.SUBGRAPH_FETCHES.labels(self.name, "ok").inc()
        metrics.SUBGRAPH_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        return answer

    async def _send_within_bound(self, body: bytes, headers: dict[str, str], *, read_only: bool
                                 ) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self.timeout_s):
                try:
                    return await self._exchange(body, headers)
                except STALE_CONNECTION:
                    if not read_only:
                        raise
                    return await self._exchange(body, headers)
        except (TimeoutError, httpx.TimeoutException) as e:
            raise SubgraphError(
                self.name,
                "SUBGRAPH_TIMEOUT",
                f"subgraph {self.name} did not answer within {self.timeout_s:g} s",
            ) from e
        except (httpx.HTTPError, aiohttp.ClientError) as e:
            raise SubgraphError(
                self.name, "SUBGRAPH_UNAVAILABLE", f"subgraph {self.name} is unavailable ({type(e).__name__})"
            ) from e

    async def _exchange(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """One POST: the status and the body as sent."""
        if self._pool is None:
            response = await self._http.post(self.url, content=body, headers=headers | JSON_HEADERS)
            return response.status_code, response.content
        async with self._pool.post(self.url, data=body, headers=headers | JSON_HEADERS) as response:
            return response.status, await response.read()

    def _answer(self, status: int, content: bytes) -> dict:
        try:
            body = jsonio.loads(content)
        except ValueError:
            body = None
        # A GraphQL body is an answer whatever the status (some servers send 400 with errors).
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise SubgraphError(
                self.name,
                "SUBGRAPH_UNAVAILABLE",
                f"subgraph {self.name} answered HTTP {status} without a GraphQL body",
            )
        return body

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        if self._http is not None:
            await self._http.aclose()


async def fetch_sdl(
    client: SubgraphClient, headers: dict[str, str], *, first_delay_s: float = 0.2, max_delay_s: float = 5.0
) -> str:
    """The subgraph's SDL through `{ _service { sdl } }`, asking again until it answers.

    Services and the gateway start in any order (compose, Kubernetes): waiting is the normal case.
    A GraphQL answer without SDL is a misconfiguration, and stops start-up.
    """
    delay_s = first_delay_s
    while True:
        try:
            body = await client.post(SDL_QUERY, {}, headers)
            return body["data"]["_service"]["sdl"]
        except SubgraphError as e:
            reason = e.message
        except (KeyError, TypeError) as e:
            # It is up and speaks GraphQL, but is no federation subgraph (or refuses us): waiting won't help.
            errors = str(body.get("errors"))[:500]
            raise CompositionError([f"subgraph {client.name} at {client.url} gave no SDL: {errors}"]) from e
        log.warning(
            "waiting for subgraph %s at %s: %s; asking again in %.1f s",
            client.name,
            client.url,
            reason,
            delay_s,
        )
        await asyncio.sleep(delay_s)
        delay_s = min(delay_s * 2, max_delay_s)


async def fetch_sdls(clients: dict[str, SubgraphClient], headers: dict[str, str]) -> dict[str, str]:
    sdls = await asyncio.gather(*(fetch_sdl(c, headers) for c in clients.values()))
    return dict(zip(clients, sdls, strict=True))
