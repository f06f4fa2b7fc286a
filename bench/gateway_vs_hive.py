"""Our gateway beside Hive Gateway (The Guild's), in front of the same four subgraphs holding the same data.

    .venv/bin/python bench/gateway_vs_hive.py    # about a minute; the first run also installs Hive (~1 min)

Installs @graphql-hive/gateway and The Guild's composer with npm into ~/.cache/crm-bench/hive (not the
repo), seeds `crm dev`'s demo data into an embedded Mongo, starts the four services as `crm serve <name>`
(one process each, as in production), our gateway (`crm serve gateway`, which composes from the
subgraphs) and Hive (serving a supergraph The Guild's composer made from the checked-in
services/*/schema.graphql). Then, for `me` and for a customer list that reaches all four subgraphs,
at 1 and 32 clients (32 with one token, then 32 each with a token of its own: different callers, whose
identical requests neither gateway shares), it alternates short rounds between the two gateways
(gateway_overhead.py's `Load` and `compare`) and prints req/s, p50 and p99 of each, ours/Hive, and the
CPU each gateway process spent per request (at 32 clients the subgraphs saturate the cores: what a gateway
spends, they lack; with 32 tokens both gateways send the subgraphs the same requests, and the subgraphs and
their store set the pace). Without node ≥ 20 and npm it says so and exits 0. Every process it started is
stopped at the end, also on errors.

Client, gateways and subgraphs share this machine's cores: compare runs on one machine, not across.
"""

import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from gateway_overhead import ROOT, Load, compare, p99, wait_until_up  # also puts the repo on sys.path

from chassis.app import make_bus
from chassis.auth import Role, mint_token
from chassis.embedded import EmbeddedMongo, free_port
from chassis.settings import Settings
from crm.seed import SALESPEOPLE, seed_once
from crm.services import SERVICES, app_factory

HIVE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crm-bench" / "hive"
# Pinned, so that two runs compare the same Hive; the composer is The Guild's, as inside Hive Gateway.
HIVE_PACKAGES = {"@graphql-hive/gateway": "2.15.1", "@theguild/federation-composition": "0.27.0",
                 "graphql": "16.15.0"}

ME = "{ me { id name roles region } }"
CUSTOMERS = (  # customer's list, each customer's credit, ownership and complaints: three `_entities` fetches
    "{ customers(first: 10) { totalCount edges { node { id name level region"
    " credit { limitFen exposureFen utilization status } ownership { ownerId inPool expiresAt }"
    " complaints { reference status severity } } } } }"
)
QUERIES = {"me": ME, "customers, 4 subgraphs": CUSTOMERS}
START_TIMEOUT_S = 30.0
BUDGET_S = 150.0  # everything after the install; measuring itself takes about 40 s

# Composes the supergraph Hive serves, from our checked-in SDL and the subgraphs' URLs of this run.
COMPOSE_JS = """\
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const [subgraphs, out] = [JSON.parse(process.argv[2]), process.argv[3]];
const result = composeServices(subgraphs.map(({ name, url, path }) =>
  ({ name, url, typeDefs: parse(readFileSync(path, "utf8")) })));
if (result.errors) {
  console.error(result.errors.map((e) => e.message).join("\\n"));
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
"""

GATEWAY_CONFIG_JS = """\
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  // Our subgraphs want a caller on every root field and on _entities: pass the client's token on,
  // as our gateway does.
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") ?? "" }),
  },
});
"""


def why_no_node() -> str | None:
    if not (shutil.which("node") and shutil.which("npm")):
        return "node and npm are not both on PATH"
    major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"], capture_output=True,
                           text=True, check=False).stdout.strip()
    if not major.isdigit() or int(major) < 20:
        return f"Hive Gateway needs node ≥ 20, this is node {major or '?'}"
    return None


def install_hive() -> None:
    """Once, and again only when the pins above change."""
    HIVE_DIR.mkdir(parents=True, exist_ok=True)
    if any(installed_version(package) != version for package, version in HIVE_PACKAGES.items()):
        specs = [f"{package}@{version}" for package, version in HIVE_PACKAGES.items()]
        print(f"installing {' '.join(specs)} into {HIVE_DIR} (about a minute)", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(HIVE_DIR), "--save-exact", "--no-audit",
                        "--no-fund", "--loglevel=error", *specs], check=True, stdout=subprocess.DEVNULL)
    (HIVE_DIR / "compose.mjs").write_text(COMPOSE_JS)
    (HIVE_DIR / "gateway.config.mjs").write_text(GATEWAY_CONFIG_JS)


def installed_version(package: str) -> str | None:
    with contextlib.suppress(FileNotFoundError):
        return json.loads((HIVE_DIR / "node_modules" / package / "package.json").read_text())["version"]
    return None


async def seed(mongo_url: str) -> None:
    """`crm dev`'s demo data, through the services' own use cases on one in-process bus, as `crm dev` does;
    done before the service processes start, so that both gateways read data that no longer changes."""
    settings = Settings(crm_env="test", mongo_url=mongo_url, amqp_url=None, outbox_poll_s=0.1)
    bus = make_bus(settings)
    apps = {name: app_factory(name)(settings, bus=bus) for name in SERVICES}
    await bus.start()
    try:
        async with contextlib.AsyncExitStack() as running:
            for app in apps.values():
                await running.enter_async_context(app.router.lifespan_context(app))
            await seed_once({name: app.state.crm["service"] for name, app in apps.items()}, bus)
            # The seed's invoices and what they set off are still travelling: wait until a few outbox polls
            # in a row find every service's queue empty.
            quiet = 0
            while quiet < 5:
                await asyncio.sleep(settings.outbox_poll_s)
                quiet = 0 if any(bus.pending(name) for name in SERVICES) else quiet + 1
    finally:
        await bus.close()


class Children:
    """The processes this bench starts, each in a session of its own so that stopping it stops whatever it
    forked too; their output goes to a log shown when one fails to come up."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        with open(self.logs / f"{name}.log", "wb") as log:
            self.started[name] = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True)

    async def wait_until_up(self, name: str, url: str) -> None:
        try:
            await wait_until_up(url, time.monotonic() + START_TIMEOUT_S)
        except RuntimeError as e:
            log = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError(f"{name} did not come up at {url}:\n" + "\n".join(log)) from e

    def stop_all(self) -> None:
        for child in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.started.values():
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()


async def same_answers(ours: str, hive: str, headers: dict) -> None:
    """Both gateways must answer alike, or the figures compare different work."""
    async with httpx.AsyncClient(timeout=10) as client:
        for name, query in QUERIES.items():
            answers = [(await client.post(url, json={"query": query}, headers=headers)).json()
                       for url in (ours, hive)]
            if answers[0] != answers[1] or "errors" in answers[0]:
                print(f"warning: {name}: ours {json.dumps(answers[0])[:300]}\n"
                      f"                  Hive {json.dumps(answers[1])[:300]}")
            else:
                size = len(json.dumps(answers[0], ensure_ascii=False))
                print(f"{name}: both gateways give the same answer, {size} characters")


async def start_ours(children: Children, mongo_url: str) -> tuple[str, dict[str, str]]:
    """The four services, each its own process, and our gateway in front of them (started, not yet composed:
    wait for its /healthz); returns the gateway's /graphql URL and the subgraphs'."""
    # No broker: the data is seeded already and reads publish nothing (an empty AMQP_URL: the in-process bus).
    env = {"CRM_ENV": "test", "MONGO_URL": mongo_url, "AMQP_URL": "", "LOG_LEVEL": "WARNING"}
    ports = {name: free_port() for name in SERVICES}
    for name, port in ports.items():
        children.start(name, [sys.executable, "-m", "crm.cli", "serve", name, "--host", "127.0.0.1",
                              "--port", str(port)], env)
    for name, port in ports.items():
        await children.wait_until_up(name, f"http://127.0.0.1:{port}/readyz")
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    ours = free_port()
    children.start("gateway", [sys.executable, "-m", "crm.cli", "serve", "gateway", "--host", "127.0.0.1",
                               "--port", str(ours)],
                   {**env, "SUBGRAPHS": ",".join(f"{name}={url}" for name, url in urls.items())})
    return f"http://127.0.0.1:{ours}", urls


async def start(children: Children, mongo_url: str) -> tuple[str, str]:
    """The four services, then our gateway and Hive in front of them; returns the gateways' /graphql URLs."""
    ours, urls = await start_ours(children, mongo_url)
    hive = free_port()
    subgraphs = [{"name": name, "url": url, "path": str(ROOT / "services" / name / "schema.graphql")}
                 for name, url in urls.items()]
    composer = await asyncio.create_subprocess_exec("node", "compose.mjs", json.dumps(subgraphs),
                                                    "supergraph.graphql", cwd=HIVE_DIR)
    if await composer.wait():
        raise RuntimeError("The Guild's composer refused the checked-in SDL (its errors above)")
    # NODE_ENV=production as Hive is deployed (graphql-js skips its development checks), which would also
    # fork a worker per CPU: --fork 1 keeps it one process, as ours is one uvicorn process.
    children.start("hive", [str(HIVE_DIR / "node_modules" / ".bin" / "hive-gateway"), "supergraph",
                            "supergraph.graphql", "--config-path", "gateway.config.mjs",
                            "--host", "127.0.0.1", "--port", str(hive), "--fork", "1"],
                   {"NODE_ENV": "production"}, cwd=HIVE_DIR)
    await children.wait_until_up("gateway", f"{ours}/healthz")  # healthy = composed
    await children.wait_until_up("hive", f"http://127.0.0.1:{hive}/readiness")
    return f"{ours}/graphql", f"http://127.0.0.1:{hive}/graphql"


async def run(children: Children, mongo_url: str) -> None:
    started = time.monotonic()
    ours, hive = await start(children, mongo_url)
    headers = seller_headers()
    await same_answers(ours, hive, headers)

    print(f"\nours: crm gateway (python, 1 process); Hive Gateway {HIVE_PACKAGES['@graphql-hive/gateway']} "
          f"(node {node_version()}, 1 process)")
    print(f"{'query':<22} {'clients':>7} | {'ours req/s':>10} {'p50 ms':>8} {'p99 ms':>8} | "
          f"{'Hive req/s':>10} {'p50 ms':>8} {'p99 ms':>8} | {'ours/Hive req/s':>15} {'p50':>5} {'p99':>5} | "
          f"{'CPU ms/req ours':>15} {'Hive':>5}")
    # 32 clients: first with the one token `crm dev` prints, as an account open on many devices (identical
    # queries meet in flight: both gateways share them, ours whole operations too); then each with a token of
    # its own, as 32 people (nothing is shared between callers).
    own_tokens = [seller_headers(age_s=n) for n in range(32)]
    cases = (("1", 1, headers), ("32", 32, headers), ("32 own", 32, own_tokens))
    ratios: dict[str, list[str]] = {}
    for name, query in QUERIES.items():
        for clients, concurrency, callers in cases:
            loads = [Load(url, query, callers, concurrency, children.started[name].pid)
                     for url, name in ((ours, "gateway"), (hive, "hive"))]
            await compare(*loads)  # alternating rounds: both see the same background load
            (r1, a1, b1), (r2, a2, b2) = [
                (load.rate, statistics.median(load.latencies_ms), p99(load.latencies_ms)) for load in loads]
            print(f"{name:<22} {clients:>7} | {r1:>10.0f} {a1:>8.1f} {b1:>8.1f} | "
                  f"{r2:>10.0f} {a2:>8.1f} {b2:>8.1f} | {r1 / r2:>15.2f} {a1 / a2:>5.2f} {b1 / b2:>5.2f} | "
                  f"{loads[0].server_cpu_ms:>15.2f} {loads[1].server_cpu_ms:>5.2f}")
            ratios.setdefault(name, []).append(f"{r1 / r2:.2f}x at {clients}")
            for load in loads:
                if load.failures:
                    print(f"        failed requests to {load.url}: {dict(load.failures)}")
    print("ours/Hive above 1 in req/s, below 1 in p50/p99: ours is faster; 32 own: each client its own token")
    for row, name in zip(("hive-me", "hive-list"), QUERIES, strict=True):
        print(f"table: {row}\t{', '.join(ratios[name])}")
    print(f"(ran {time.monotonic() - started:.0f} s; {os.cpu_count()} CPUs shared by the client, both "
          "gateways and the subgraphs)")


def seller_headers(age_s: int = 0) -> dict[str, str]:
    """The demo key account's owner, whose token `crm dev` prints: reading one's own customers is not
    access-logged, so the subgraphs only read. Tokens of different ages are different callers to the gateway
    (it shares identical queries in flight only within one caller's token)."""
    seller = SALESPEOPLE[0]
    token = mint_token(Settings().jwt_secret, seller.id, [Role.SALES], now=datetime.now(UTC) - timedelta(seconds=age_s),
                       name=seller.name, region=seller.region)
    return {"authorization": f"Bearer {token}"}


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> int:
    if reason := why_no_node():
        print(f"skipped: {reason} (Hive Gateway runs on node)")
        return 0
    install_hive()
    with tempfile.TemporaryDirectory(prefix="crm-bench-hive-") as tmp:
        mongo = EmbeddedMongo(Path(tmp) / "mongo").start()
        children = Children(Path(tmp))
        try:
            asyncio.run(seed(mongo.url))
            asyncio.run(asyncio.wait_for(run(children, mongo.url), BUDGET_S))
        finally:
            children.stop_all()
            mongo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
