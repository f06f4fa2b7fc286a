"""Serving test schemas over HTTP as the services serve theirs: in-process (ASGI) or on a real port."""

import asyncio
import json
import socket
import threading
import time

import uvicorn
from crm_world import World
from strawberry.asgi import GraphQL


class WorldApp(GraphQL):
    """A schema served over HTTP as the services serve theirs, reading one World."""

    def __init__(self, schema, world: World) -> None:
        super().__init__(schema, graphql_ide=None)
        self.world = world

    async def get_context(self, request, response) -> dict:
        return {"world": self.world, "request": request}


class Recorded:
    """ASGI wrapper that records each request (headers and JSON body) and can be slowed down."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[dict] = []
        self.delay_s = 0.0
        self.barrier: asyncio.Barrier | None = None  # requests wait here for their peers (concurrency tests)
        self.gate: asyncio.Event | None = None  # requests wait here until the test opens it

    @property
    def operations(self) -> list[dict]:
        """Requests made while serving clients, not the gateway's start-up SDL question."""
        return [r for r in self.requests if "_service" not in r["query"]]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.requests.append(
            {"headers": {k.decode(): v.decode() for k, v in scope["headers"]}, **json.loads(body)}
        )
        if self.barrier is not None:
            await asyncio.wait_for(self.barrier.wait(), 2)
        if self.gate is not None:
            await asyncio.wait_for(self.gate.wait(), 10)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)

        async def replay() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """An ASGI app served by uvicorn on a real localhost port, in a thread of its own."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
