"""What a hostile document costs the system that refuses it, and what the others notice meanwhile.

    .venv/bin/python bench/hostile_refusals.py            # about 20 s; needs nothing running

Starts `crm dev` (every service and the gateway in one process, embedded Mongo, demo data) on a free
port and sends, over real HTTP, to the gateway and straight to the customer subgraph: a plain query,
3,000 repeated fields, a nested fan-out (a salesperson's customers' owners' customers), 100 aliases
of `customers(first: 100)`, and a body nested 1,200 levels. Prints the median latency of each answer
and its code; then `/healthz` latency alone and while 8 clients keep sending the 3,000-field document.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chassis.auth import mint_token
from chassis.embedded import free_port
from chassis.settings import DEV_JWT_SECRET

TOKEN = mint_token(DEV_JWT_SECRET, "bench", ["SALES"], now=datetime.now(UTC), region="east")
DOCUMENTS = {
    "plain query": {"query": "{ customers(first: 5) { edges { node { id name } } } }"},
    "3,000 repeated fields": {"query": "{ " + " ".join(["me { id }"] * 3000) + " }"},
    "nested fan-out": {"query": '{ salesperson(id: "bench") { customers { ownership { owner { customers { id } } } } } }'},
    "100 × customers(first: 100)": {"query": "{ " + " ".join(
        f"a{i}: customers(first: 100) {{ edges {{ node {{ id }} }} }}" for i in range(100)) + " }"},
}
NESTED = b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 1200 + b"]" * 1200 + b"}}"
TIMES = 20
DEADLINE_S = 90


async def timed(client: httpx.AsyncClient, path: str, body: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    response = await client.post(path, content=body, headers={"content-type": "application/json",
                                                               "authorization": f"Bearer {TOKEN}"})
    errors = response.json().get("errors") or []
    code = errors[0]["extensions"]["code"] if errors else "answered"
    return time.perf_counter() - started, f"{response.status_code} {code}"


async def measure(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        print(f"{'document':<30} {'where':<10} {'median ms':>9}  answer")
        bodies = {name: json.dumps(document).encode() for name, document in DOCUMENTS.items()}
        for name, body in [*bodies.items(), ("body nested 1,200 levels", NESTED)]:
            for where, path in (("gateway", "/graphql"), ("customer", "/subgraphs/customer/graphql")):
                runs = [await timed(client, path, body) for _ in range(TIMES)]
                median = statistics.median(seconds for seconds, _ in runs) * 1000
                print(f"{name:<30} {where:<10} {median:>9.1f}  {runs[-1][1]}")

        async def health() -> float:
            started = time.perf_counter()
            (await client.get("/healthz")).raise_for_status()
            return time.perf_counter() - started

        alone = statistics.median([await health() for _ in range(TIMES)]) * 1000
        stop = asyncio.Event()

        async def attacker() -> None:
            while not stop.is_set():
                await timed(client, "/subgraphs/customer/graphql", bodies["3,000 repeated fields"])

        attackers = [asyncio.create_task(attacker()) for _ in range(8)]
        await asyncio.sleep(0.5)
        loaded = statistics.median([await health() for _ in range(TIMES)]) * 1000
        stop.set()
        await asyncio.gather(*attackers)
        print(f"/healthz median: {alone:.1f} ms alone, {loaded:.1f} ms while 8 clients send 3,000-field documents")


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URL", "AMQP_URL")}
        server = subprocess.Popen([sys.executable, "-m", "crm.cli", "dev", "--port", str(port), "--data-dir", data],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            asyncio.run(asyncio.wait_for(measure(base), DEADLINE_S))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
