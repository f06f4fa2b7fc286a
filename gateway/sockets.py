"""GraphQL over WebSocket (graphql-transport-ws), the client side: how the gateway forwards a subscription to the
subgraph that owns it, over the network (aiohttp) or to an app in this process (ASGI, as `crm dev` and the tests
serve subgraphs; tests also reach the gateway's own socket this way).

The protocol, in short: `connection_init` (its payload carries `Authorization`) → `connection_ack`; `subscribe`
{id, payload: {query, variables}} → `next`… then `complete`, or `error`; `ping` ↔ `pong` either way.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import aiohttp

PROTOCOL = "graphql-transport-ws"
ACK_WITHIN_S = 10.0


class SocketClosed(Exception):
    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed {code} {reason}".strip())
        self.code, self.reason = code, reason


class Socket(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...

    async def receive(self) -> dict[str, Any]:
        """The next message; SocketClosed once the other side closed."""
        ...


class _Asgi:
    def __init__(self, to_app: asyncio.Queue[dict[str, Any]], from_app: asyncio.Queue[dict[str, Any]]) -> None:
        self._to_app, self._from_app = to_app, from_app

    async def send(self, message: dict[str, Any]) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self) -> dict[str, Any]:
        event = await self._from_app.get()
        if event["type"] == "websocket.close":
            await self._from_app.put(event)  # closed stays closed
            raise SocketClosed(event.get("code", 1000), event.get("reason") or "")
        return json.loads(event.get("text") or event.get("bytes") or "null")


@contextlib.asynccontextmanager
async def asgi_socket(app: Callable[..., Awaitable[None]], path: str, headers: dict[str, str] | None = None
                      ) -> AsyncIterator[Socket]:
    """A WebSocket to an ASGI app in this process."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "subprotocols": [PROTOCOL], "client": ("127.0.0.1", 0),
             "server": ("in-process", 80),
             "headers": [(b"host", b"in-process"), *((k.lower().encode(), v.encode())
                                                     for k, v in (headers or {}).items())]}
    await to_app.put({"type": "websocket.connect"})
    running = asyncio.create_task(app(scope, to_app.get, from_app.put))
    try:
        accepted = await from_app.get()
        if accepted["type"] != "websocket.accept":
            raise SocketClosed(accepted.get("code", 1006), accepted.get("reason") or "refused")
        yield _Asgi(to_app, from_app)
    finally:
        await to_app.put({"type": "websocket.disconnect", "code": 1000})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(running), 5.0)
        running.cancel()
        with contextlib.suppress(BaseException):
            await running


class _Aiohttp:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self._ws.send_str(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message = await self._ws.receive()
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):
            raise SocketClosed(self._ws.close_code or 1006, str(message.extra or ""))
        return json.loads(message.data)


@contextlib.asynccontextmanager
async def network_socket(session: aiohttp.ClientSession, url: str) -> AsyncIterator[Socket]:
    """A WebSocket to `url` (http(s):// becomes ws(s)://)."""
    async with session.ws_connect(url.replace("http", "ws", 1), protocols=(PROTOCOL,), heartbeat=30.0) as ws:
        yield _Aiohttp(ws)


async def subscribe(socket: Socket, connection_params: dict[str, Any], document: str, variables: dict[str, Any]
                    ) -> AsyncIterator[dict[str, Any]]:
    """One subscription on a fresh connection: each `next` payload, an `error` as `{"errors": [...]}` (then the
    end), until the server completes it or closes."""
    await socket.send({"type": "connection_init", "payload": connection_params})
    async with asyncio.timeout(ACK_WITHIN_S):
        while (message := await socket.receive()).get("type") != "connection_ack":
            await _answer_ping(socket, message)
    await socket.send({"id": "1", "type": "subscribe", "payload": {"query": document, "variables": variables}})
    while True:
        message = await socket.receive()
        kind = message.get("type")
        if kind == "next":
            yield message.get("payload") or {}
        elif kind == "error":
            yield {"errors": message.get("payload") or []}
            return
        elif kind == "complete":
            return
        else:
            await _answer_ping(socket, message)


async def _answer_ping(socket: Socket, message: dict[str, Any]) -> None:
    if message.get("type") == "ping":
        await socket.send({"type": "pong"})
