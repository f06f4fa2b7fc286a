"""The subgraphs as the gateway sees them: a name, a URL, one pooled HTTP client each."""

import asyncio
import logging

import httpx

from gateway.compose import CompositionError

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
STALE_CONNECTION = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class SubgraphError(Exception):
    """The subgraph gave no GraphQL answer at all: down, timed out, or not speaking GraphQL."""

    def __init__(self, subgraph: str, code: str, message: str) -> None:
        super().__init__(message)
        self.subgraph = subgraph
        self.code = code
        self.message = message


class SubgraphClient:
    """One subgraph's connection pool. `transport` lets tests serve the subgraph in-process."""

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
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def post(
        self, document: str, variables: dict[str, object], headers: dict[str, str], *, read_only: bool = True
    ) -> dict:
        payload = {"query": document, "variables": variables}
        try:
            # httpx bounds each phase (connect, read, ...); this bounds the whole exchange.
            async with asyncio.timeout(self.timeout_s):
                try:
                    response = await self._http.post(self.url, json=payload, headers=headers)
                except STALE_CONNECTION:
                    if not read_only:
                        raise
                    response = await self._http.post(self.url, json=payload, headers=headers)
        except (TimeoutError, httpx.TimeoutException) as e:
            raise SubgraphError(
                self.name,
                "SUBGRAPH_TIMEOUT",
                f"subgraph {self.name} did not answer within {self.timeout_s:g} s",
            ) from e
        except httpx.HTTPError as e:
            raise SubgraphError(
                self.name, "SUBGRAPH_UNAVAILABLE", f"subgraph {self.name} is unavailable ({type(e).__name__})"
            ) from e
        try:
            body = response.json()
        except ValueError:
            body = None
        # A GraphQL body is an answer whatever the status (some servers send 400 with errors).
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise SubgraphError(
                self.name,
                "SUBGRAPH_UNAVAILABLE",
                f"subgraph {self.name} answered HTTP {response.status_code} without a GraphQL body",
            )
        return body

    async def aclose(self) -> None:
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
