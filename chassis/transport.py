"""What reaches `/graphql` of any process (gateway or subgraph) before GraphQL does: a body of bounded size
that is UTF-8 JSON, an object, not nested deeper than `MAX_NESTING`, holding no lone surrogates, with a
string `query`, a short string `operationName` and an object (or no) `variables`; anything else is a 400
with the GraphQL error shape (`BAD_REQUEST`). And a deadline: work on a request still running after it is
cancelled (its subgraph fetches and store queries with it) and the caller told so (`LIMIT`); an unexpected
error is logged and answered 500 (`INTERNAL`, naming the request), whichever way the request was served."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger("crm.transport")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_NESTING = 32
MAX_OPERATION_NAME = 200


class RequestGuard:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *, max_body_bytes: int,
                 deadline_s: float) -> None:
        self.app, self.max_body_bytes, self.deadline_s = app, max_body_bytes, deadline_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/graphql"):
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > self.max_body_bytes:
                    await _refuse(send, 413, f"the body is larger than {self.max_body_bytes} bytes")
                    return
                if not message.get("more_body"):
                    break
            payload, problem = graphql_payload(body)
            scope.setdefault("state", {})["payload"] = payload  # read once: what follows need not parse it again
        else:
            problem = query_string_problem(scope.get("query_string", b""))
        if problem:
            await _refuse(send, 400, problem)
            return
        await self._within_deadline(scope, _replay(body, receive) if scope["method"] == "POST" else receive, send)

    async def _within_deadline(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.deadline_s):
                await self.app(scope, receive, watched)
        except TimeoutError:
            log.warning("%s %s cut off after %ss", scope["method"], scope["path"], self.deadline_s)
            if not started:
                await _refuse(send, 504, f"the request took longer than {self.deadline_s} s and was stopped",
                              code="LIMIT")
        except Exception:  # a bug: logged, and answered in the errors' shape without internals
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("request_id=%s %s %s failed", request_id, scope["method"], scope["path"])
            if not started:
                await _refuse(send, 500, f"internal error (request {request_id})", code="INTERNAL")


def graphql_payload(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A POST body as a GraphQL request, or why it is not one we read."""
    payload, problem = read_json(body)
    if problem is not None:
        return None, problem
    if not isinstance(payload, dict):
        return None, "the body must be a JSON object with `query`"
    return payload, _payload_problem(payload)


def read_json(body: bytes) -> tuple[Any, str | None]:
    """A JSON body as every HTTP endpoint reads it (UTF-8, no NaN, bounded nesting, no lone surrogates), or why
    it is not one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    try:
        payload = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None, "the body is not JSON (or nests too deep)"
    return payload, _value_problem(payload)


def query_string_problem(query_string: bytes) -> str | None:
    params = {k: v[-1] for k, v in parse_qs(query_string.decode("latin-1")).items()}
    if "variables" in params:
        try:
            params["variables"] = json.loads(params["variables"], parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return "`variables` is not JSON"
    return _payload_problem(params) if params else None


def _payload_problem(payload: dict[str, Any]) -> str | None:
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if query is not None and not isinstance(query, str):
        return "`query` must be a string"
    if name is not None and (not isinstance(name, str) or len(name) > MAX_OPERATION_NAME):
        return f"`operationName` must be a string of at most {MAX_OPERATION_NAME} characters"
    if variables is not None and not isinstance(variables, dict):
        return "`variables` must be an object"
    return _value_problem(payload)


def _value_problem(value: Any) -> str | None:
    """Nesting and lone surrogates, without recursion (the input decides how deep this goes)."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"the request nests deeper than {MAX_NESTING} levels"
        if isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return "the request holds a lone UTF-16 surrogate"
        elif isinstance(current, dict):
            pending.extend((item, depth + 1) for pair in current.items() for item in pair)
        elif isinstance(current, list):
            pending.extend((item, depth + 1) for item in current)
    return None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # a disconnect, if the client goes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, status: int, message: str, *, code: str = "BAD_REQUEST") -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
