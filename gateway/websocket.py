"""The gateway's WebSocket face: GraphQL over graphql-transport-ws at `/graphql`, for subscriptions (and any
operation a client prefers to send there).

The client signs in with its first message, `connection_init` with `{"Authorization": "Bearer …"}` (a browser
cannot set headers on a WebSocket); without a valid token the connection is closed (4403) before anything else.
Each subscription goes to the subgraph that owns its root field, on a connection of its own carrying the same
token; each event comes back with the fields other subgraphs own fetched for it, as for a query. The limits of
`/graphql` apply to every operation (documents, cost, the per-person rate), and a connection holds at most
`MAX_OPERATIONS` at once.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from graphql import OperationType
from starlette.websockets import WebSocket, WebSocketDisconnect

from chassis.auth import Principal
from chassis.errors import Unauthenticated
from chassis.graphql import connection_authorization
from chassis.ratelimit import RateLimiter
from gateway.pipeline import Gateway, request_error
from gateway.sockets import PROTOCOL
from gateway.subgraphs import SubgraphError

log = logging.getLogger("gateway")

INIT_WITHIN_S = 10.0
MAX_OPERATIONS = 20


class _Closed(Exception):
    """The connection ends with this code and reason (graphql-transport-ws's own codes)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Connection:
    def __init__(self, websocket: WebSocket, gateway: Gateway, verify: Callable[[str | None], Awaitable[Principal]],
                 limiter: RateLimiter | None, max_message_bytes: int) -> None:
        self.websocket, self.gateway, self.verify = websocket, gateway, verify
        self.limiter, self.max_message_bytes = limiter, max_message_bytes
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._sending = asyncio.Lock()
        self.connection_params: dict[str, Any] = {}
        self.authorization = ""
        self.caller: Principal | None = None

    async def serve(self) -> None:
        if PROTOCOL not in self.websocket.scope.get("subprotocols", ()):
            await self.websocket.close(4406, "Subprotocol not acceptable: graphql-transport-ws")
            return
        await self.websocket.accept(subprotocol=PROTOCOL)
        expiry: asyncio.Task[None] | None = None
        try:
            await self._sign_in()
            if self.caller.expires_at is not None:
                expiry = asyncio.create_task(self._close_at(self.caller.expires_at))
            while True:
                await self._handle(await self._receive())
        except _Closed as e:
            with contextlib.suppress(Exception):
                await self.websocket.close(e.code, e.reason)
        except WebSocketDisconnect:
            pass
        finally:
            if expiry is not None:
                expiry.cancel()
            for task in self.operations.values():
                task.cancel()
            await asyncio.gather(*self.operations.values(), return_exceptions=True)

    async def _close_at(self, expires_at: datetime) -> None:
        """A connection lives no longer than its token: the client connects again with a fresh one."""
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        log.info("subscription connection of %s closed: its token expired", self.caller.user_id)
        with contextlib.suppress(Exception):
            await self.websocket.close(4403, "Forbidden: the token expired")

    async def _sign_in(self) -> None:
        try:
            async with asyncio.timeout(INIT_WITHIN_S):
                message = await self._receive()
        except TimeoutError:
            raise _Closed(4408, "Connection initialisation timeout") from None
        if message.get("type") != "connection_init":
            raise _Closed(4401, "Unauthorized")
        payload = message.get("payload")
        self.connection_params = payload if isinstance(payload, dict) else {}
        self.authorization = connection_authorization(self.connection_params) or ""
        try:
            self.caller = await self.verify(self.authorization)
        except Unauthenticated as e:
            log.info("subscription connection refused: %s", e.message)
            raise _Closed(4403, "Forbidden") from e
        await self._send({"type": "connection_ack"})

    async def _receive(self) -> dict[str, Any]:
        text = await self.websocket.receive_text()
        if len(text) > self.max_message_bytes:
            raise _Closed(4400, f"message larger than {self.max_message_bytes} bytes")
        try:
            message = json.loads(text)
        except ValueError:
            raise _Closed(4400, "message is not JSON") from None
        if not isinstance(message, dict):
            raise _Closed(4400, "message is not a JSON object")
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._sending:
            await self.websocket.send_text(json.dumps(message, ensure_ascii=False))

    async def _handle(self, message: dict[str, Any]) -> None:
        match message.get("type"):
            case "ping":
                await self._send({"type": "pong"})
            case "pong":
                pass
            case "subscribe":
                await self._subscribe(message)
            case "complete":
                task = self.operations.pop(str(message.get("id")), None)
                if task is not None:
                    task.cancel()
            case "connection_init":
                raise _Closed(4429, "Too many initialisation requests")
            case other:
                raise _Closed(4400, f"unknown message type {str(other)[:50]!r}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        operation_id, payload = message.get("id"), message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or len(operation_id) > 100 \
                or not isinstance(payload, dict):
            raise _Closed(4400, "subscribe needs a string `id` and a `payload` object")
        if operation_id in self.operations:
            raise _Closed(4409, f"Subscriber for {operation_id[:100]} already exists")
        refusal = self._refusal(payload)
        if refusal is not None:
            await self._send({"id": operation_id, "type": "error", "payload": [refusal]})
            return
        task = asyncio.create_task(self._run(operation_id, payload))
        self.operations[operation_id] = task
        task.add_done_callback(lambda _: self._forget(operation_id, task))

    def _refusal(self, payload: dict[str, Any]) -> dict | None:
        if len(self.operations) >= MAX_OPERATIONS:
            return request_error(f"at most {MAX_OPERATIONS} operations at once on one connection", "LIMIT",
                                 limit="operations")
        if self.limiter is not None and (wait_s := self.limiter.wait_s(self.caller.user_id)):
            return request_error(f"too many requests; try again in {wait_s:.1f} s", "LIMIT", limit="rate")
        query, variables = payload.get("query"), payload.get("variables")
        if not isinstance(query, str) or not query.strip():
            return request_error("send a GraphQL document in `query`", "BAD_REQUEST")
        if not isinstance(variables, dict | None) or not isinstance(payload.get("operationName"), str | None):
            return request_error("`variables` must be an object and `operationName` a string", "BAD_REQUEST")
        return None

    async def _run(self, operation_id: str, payload: dict[str, Any]) -> None:
        prepared = self.gateway.prepare(payload["query"], payload.get("operationName"))
        headers = {"authorization": self.authorization, "x-request-id": uuid.uuid4().hex}
        variables = payload.get("variables")
        try:
            if prepared.errors:
                await self._send({"id": operation_id, "type": "error", "payload": prepared.errors})
                return
            if prepared.operation.operation != OperationType.SUBSCRIPTION:
                body = await self.gateway.execute(prepared, variables, headers)
                await self._send({"id": operation_id, "type": "next", "payload": body})
            else:
                async for body in self.gateway.subscribe(prepared, variables, headers, self.connection_params):
                    await self._send({"id": operation_id, "type": "next", "payload": body})
        except SubgraphError as e:
            log.warning("subscription %s: %s", operation_id[:100], e.message)
            await self._send({"id": operation_id, "type": "error",
                              "payload": [request_error(e.message, e.code)]})
            return
        await self._send({"id": operation_id, "type": "complete"})

    def _forget(self, operation_id: str, task: asyncio.Task[None]) -> None:
        if self.operations.get(operation_id) is task:
            del self.operations[operation_id]
        if not task.cancelled() and (error := task.exception()) is not None and not isinstance(
                error, WebSocketDisconnect):
            log.error("subscription %s failed", operation_id[:100], exc_info=error)
