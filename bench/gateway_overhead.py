"""What the gateway costs: latency through it minus latency straight to the subgraph, and throughput.

Starts the test subgraphs (tests/gateway/crm_subgraphs.py) in one process and the gateway in another,
both under uvicorn on free localhost ports, then sends the same customer-list query to the customer
subgraph directly and through the gateway, at 1 and at 32 concurrent clients. Prints median and p99
latency of each (direct and through alternate in short rounds, so that both see the same
background load), the gateway's overhead (through minus direct), requests/s through the gateway and the
gateway process's CPU per request (what of the overhead is its work rather than the extra hops).
A federated query (customers with their credit, one `_entities` fetch) is measured too, for scale.

    .venv/bin/python bench/gateway_overhead.py            # about 30 s; stops by itself within a minute

Client, gateway and subgraphs share this machine's cores: compare runs on one machine, not across.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "gateway")]

import httpx
from proc import cpu_s

CUSTOMER_LIST = (
    "{ customers(first: 6) { totalCount edges { node { id code name kind level region tags } } } }"
)
WITH_CREDIT = "{ customers(first: 6) { edges { node { id name credit { rating limitFen } } } } }"
PHASE_S = 4.0  # per target and concurrency, in ROUNDS alternating rounds; all in all well under a minute
ROUNDS = 4  # each round ends when its slowest request does: few rounds keep the run bounded
WARM_UP = 30
DEADLINE_S = 58.0


def serve_subgraphs(ports: list[int]) -> None:
    import uvicorn
    from crm_subgraphs import subgraph_apps
    from crm_world import a_world

    apps = subgraph_apps(a_world())
    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        for app, port in zip(apps.values(), ports, strict=True)
    ]

    async def serve_all() -> None:
        await asyncio.wait_for(asyncio.gather(*(s.serve() for s in servers)), DEADLINE_S)

    as_uvicorn_runs(serve_all(), servers[0].config)


def serve_gateway(port: int, subgraphs: str) -> None:
    import uvicorn

    from chassis.settings import Settings
    from gateway.app import create_gateway_app

    app = create_gateway_app(Settings(crm_env="test", subgraphs=subgraphs))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    as_uvicorn_runs(asyncio.wait_for(server.serve(), DEADLINE_S), server.config)


def as_uvicorn_runs(main: Coroutine[Any, Any, None], config: Any) -> None:
    """On the event loop `crm serve` gets from uvicorn (uvloop where installed), as production runs."""
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main)


class Load:
    """`concurrency` clients on one target, sending the same query back to back, for a while at a time."""

    def __init__(self, url: str, query: str, headers: dict | list[dict], concurrency: int,
                 server_pid: int | None = None) -> None:
        """`headers`: every client's, or a list, client i sending the i-th (modulo its length): different
        tokens are different callers. `server_pid`: the process serving `url`, whose CPU per request is then
        measured too."""
        self.url, self.query, self.concurrency = url, query, concurrency
        self.callers = headers if isinstance(headers, list) else [headers]
        self.server_pid, self.server_cpu_s = server_pid, 0.0
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = httpx.AsyncClient(limits=limits, timeout=10)
        self.latencies_ms: list[float] = []
        self.failures: Counter[str] = Counter()
        self.busy_s = 0.0

    async def warm_up(self) -> None:
        for n in range(WARM_UP):
            headers = self.callers[n % len(self.callers)]
            (await self.client.post(self.url, json={"query": self.query}, headers=headers)).raise_for_status()

    async def run_for(self, seconds: float) -> None:
        stop_at = time.perf_counter() + seconds

        async def one_client(headers: dict) -> None:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    response = await self.client.post(self.url, json={"query": self.query}, headers=headers)
                except httpx.TransportError as e:  # counted and shown: a benchmark reports, it does not die
                    self.failures[type(e).__name__] += 1
                    continue
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or "errors" in response.json():
                    self.failures[f"HTTP {response.status_code}: {response.text[:120]}"] += 1

        began, cpu = time.perf_counter(), cpu_s(self.server_pid) if self.server_pid else 0.0
        await asyncio.gather(*(one_client(self.callers[n % len(self.callers)]) for n in range(self.concurrency)))
        self.busy_s += time.perf_counter() - began
        if self.server_pid:
            self.server_cpu_s += cpu_s(self.server_pid) - cpu

    @property
    def server_cpu_ms(self) -> float:
        """The serving process's CPU per request answered (ms)."""
        return self.server_cpu_s * 1000 / len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.busy_s


async def compare(direct: Load, through: Load) -> None:
    """Alternate short rounds, so both targets see the same background load on a shared machine."""
    for load in (direct, through):
        await load.warm_up()
    for _ in range(ROUNDS):
        for load in (direct, through):
            await load.run_for(PHASE_S / ROUNDS)
    for load in (direct, through):
        await load.client.aclose()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def wait_until_up(url: str, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=1) as client:
        while True:
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.1)


async def run() -> None:
    from crm_serving import free_port

    from chassis.auth import mint_token
    from chassis.settings import Settings

    started = time.monotonic()
    names = ["customer", "credit", "ownership"]
    ports = [free_port() for _ in names]
    gateway_port = free_port()
    subgraphs = ",".join(f"{n}=http://127.0.0.1:{p}/graphql" for n, p in zip(names, ports, strict=True))
    children = [
        subprocess.Popen([sys.executable, __file__, "serve-subgraphs", *map(str, ports)], cwd=ROOT),
        subprocess.Popen([sys.executable, __file__, "serve-gateway", str(gateway_port), subgraphs], cwd=ROOT),
    ]
    try:
        gateway = f"http://127.0.0.1:{gateway_port}"
        await wait_until_up(f"{gateway}/healthz", time.monotonic() + 20)  # healthy = composed
        token = mint_token(Settings().jwt_secret, "bench", ["SALES"], now=datetime.now(UTC))
        headers = {"authorization": f"Bearer {token}"}
        direct_url, gateway_url = f"http://127.0.0.1:{ports[0]}/graphql", f"{gateway}/graphql"
        print(f"customer-list query: {CUSTOMER_LIST}")
        print(
            f"{'clients':>7} {'direct p50':>11} {'direct p99':>11} {'gateway p50':>12} {'gateway p99':>12} "
            f"{'overhead p50':>13} {'overhead p99':>13} {'gateway req/s':>14} {'gateway CPU ms/req':>19}"
        )
        for concurrency in (1, 32):
            direct = Load(direct_url, CUSTOMER_LIST, headers, concurrency)
            through = Load(gateway_url, CUSTOMER_LIST, headers, concurrency, server_pid=children[1].pid)
            await compare(direct, through)
            d50, d99 = statistics.median(direct.latencies_ms), p99(direct.latencies_ms)
            g50, g99, rate = statistics.median(through.latencies_ms), p99(through.latencies_ms), through.rate
            print(
                f"{concurrency:>7} {d50:>9.2f}ms {d99:>9.2f}ms {g50:>10.2f}ms {g99:>10.2f}ms "
                f"{g50 - d50:>11.2f}ms {g99 - d99:>11.2f}ms {rate:>14.0f} {through.server_cpu_ms:>19.2f}"
            )
            if concurrency == 1:
                print(f"table: overhead\t{g50 - d50:.2f} ms")
            for load in (direct, through):
                if load.failures:
                    print(f"        failed requests to {load.url}: {dict(load.failures)}")
        federated = Load(gateway_url, WITH_CREDIT, headers, 1)
        await federated.warm_up()
        await federated.run_for(PHASE_S / 2)
        await federated.client.aclose()
        f50, f99 = statistics.median(federated.latencies_ms), p99(federated.latencies_ms)
        print(
            f"\nfederated query (customers + credit via _entities), 1 client through the gateway: "
            f"p50 {f50:.2f} ms, p99 {f99:.2f} ms, {federated.rate:.0f} req/s"
        )
        print(
            f"(ran {time.monotonic() - started:.0f} s; {os.cpu_count()} CPUs shared by client, gateway and "
            "subgraphs)"
        )
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve-subgraphs"]:
        serve_subgraphs([int(p) for p in sys.argv[2:]])
    elif sys.argv[1:2] == ["serve-gateway"]:
        serve_gateway(int(sys.argv[2]), sys.argv[3])
    else:
        try:
            asyncio.run(asyncio.wait_for(run(), DEADLINE_S))
        except TimeoutError:
            sys.exit(
                f"stopped at the {DEADLINE_S:.0f} s limit (a busy machine?); the rows above are complete"
            )
