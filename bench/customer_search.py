"""Prefix search of the customer archive at 100,000 cards: `customers(filter: {text})` through `crm serve customer`.

    .venv/bin/python bench/customer_search.py [cards]     # from the repo root; 100,000 by default

Starts an embedded Mongo stand-in (nx-27017) and fills it straight from the service's own code (`Customer.register`,
`to_document`, `search_key_documents`: the documents a registration saves), then starts `crm serve customer` on it
(in-process bus: no broker needed) and asks, at 1 client, searches of every selectivity: one character (a tenth of
the archive matches), two, four, a whole name, a code prefix; as a salesperson (their own and the pool's: two key
lookups) and as a manager (everything). Then the same texts with a filter the keys do not hold, which reads the
cards as every search did before the keys: the figure they replaced. Prints p50 / p99 of each and the table row.
"""

import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chassis.embedded import EmbeddedMongo, free_port
from chassis.store import connect
from services.customer.domain import Customer, CustomerKind, CustomerNature
from services.customer.store import SEARCH_KEYS_VERSION, search_key_documents, search_signature, to_document

CARDS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CITIES = "苏杭沪京深广成武西南"  # first characters: each a tenth of the archive
SECOND = "州海京安都汉宁圳"
WORDS = ["轴承", "机电", "贸易", "电子", "物流", "精密", "化工", "建材", "五金", "纺织"]
REQUESTS = 60  # per text and caller (after 5 warm-up requests)
SCAN_REQUESTS = 5  # the old way is slow: a few suffice
SEARCH = """query($text: String!, $first: Int!) { customers(filter: {text: $text}, first: $first) {
  edges { node { id name code } } pageInfo { hasNextPage endCursor } } }"""
NEXT = """query($text: String!, $after: String!) { customers(filter: {text: $text}, first: 20, after: $after) {
  edges { node { id name code } } } }"""
COUNTED = """query($text: String!, $first: Int!) { customers(filter: {text: $text}, first: $first) {
  totalCount edges { node { id name code } } } }"""
SCAN = """query($text: String!, $first: Int!) { customers(filter: {text: $text, soldBeforeTradingOpen: false},
  first: $first) { edges { node { id name code } } } }"""


def names(rnd: random.Random) -> str:
    return rnd.choice(CITIES) + rnd.choice(SECOND) + "".join(rnd.choice(WORDS) for _ in range(2)) + "有限公司"


async def fill(url: str, instance: str) -> float:
    """The archive, as registrations would have saved it: cards and their search keys."""
    started = time.perf_counter()
    client = connect(url)
    db = client[f"crm_customer_{instance}"]
    rnd, now = random.Random(14), datetime.now(UTC)
    owners = [f"rep-{i}" for i in range(200)]
    try:
        for start in range(0, CARDS, 2_000):
            docs, keys = [], []
            for i in range(start, min(start + 2_000, CARDS)):
                customer = Customer.register(id=str(uuid.uuid4()), code=f"C{i + 1:06d}", by=rnd.choice(owners),
                                             now=now, name=names(rnd), kind=CustomerKind.COMPANY,
                                             nature=CustomerNature.ORDINARY_COMPANY,
                                             region=("east", "north", "south", "west")[i % 4])
                customer.version = 1
                doc = to_document(customer)
                doc["indexed_as"] = search_signature(doc)  # as the store saves it with its keys
                docs.append(doc)
                keys += search_key_documents(doc)
            await db["customers"].insert_many(docs, ordered=False)
            for at in range(0, len(keys), 10_000):
                await db["search_keys"].insert_many(keys[at:at + 10_000], ordered=False)
            print(f"  {start + len(docs):,} cards", end="\r", flush=True)
        await db["counters"].update_one({"_id": "customer_code"}, {"$set": {"n": CARDS}}, upsert=True)
        await db["counters"].update_one({"_id": "search_keys"}, {"$set": {"version": SEARCH_KEYS_VERSION}},
                                        upsert=True)
    finally:
        await client.close()
    return time.perf_counter() - started


def token(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "crm.cli", "token", *args], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout.strip()


async def timed(client: httpx.AsyncClient, base: str, bearer: str, query: str, text: str, n: int
                ) -> tuple[list[float], int | None]:
    """Latencies of `n` searches (after 5 to warm up), and the count the last one gave (None: not asked)."""
    latencies, total = [], None
    for i in range(n + 5):
        started = time.perf_counter()
        response = await client.post(f"{base}/graphql", json={"query": query, "variables": {"text": text,
                                                                                           "first": 20}},
                                     headers={"authorization": f"Bearer {bearer}"})
        elapsed = (time.perf_counter() - started) * 1000
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"{text!r}: {body['errors']}")
        total = body["data"]["customers"].get("totalCount")
        if i >= 5:
            latencies.append(elapsed)
    return latencies, total


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


async def measure(base: str) -> None:
    texts = ["苏", "苏州", "苏州轴承", "杭海电子物流有限公司", "C0123", "c09"]
    callers = {"salesperson": token("--role", "SALES", "--user", "rep-7", "--region", "east"),
               "manager": token("--role", "SALES_MANAGER", "--user", "boss")}
    pages: list[float] = []
    counted: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        print(f"{'text':<22}{'caller':<13}{'matches':>9}{'page p50':>10}{'p99 ms':>8}{'+count p50':>12}{'p99 ms':>8}")
        for text in texts:
            for who, bearer in callers.items():
                page, _ = await timed(client, base, bearer, SEARCH, text, REQUESTS)
                with_count, total = await timed(client, base, bearer, COUNTED, text, REQUESTS // 3)
                pages += page
                counted += with_count
                print(f"{text:<22}{who:<13}{total:>9,}{statistics.median(page):>10.1f}{p99(page):>8.1f}"
                      f"{statistics.median(with_count):>12.1f}{p99(with_count):>8.1f}")
        after = (await client.post(f"{base}/graphql", json={"query": SEARCH, "variables": {"text": "苏", "first": 20}},
                                   headers={"authorization": f"Bearer {callers['manager']}"})).json()[
            "data"]["customers"]["pageInfo"]["endCursor"]
        nexts = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            await client.post(f"{base}/graphql", json={"query": NEXT, "variables": {"text": "苏", "after": after}},
                              headers={"authorization": f"Bearer {callers['manager']}"})
            nexts.append((time.perf_counter() - started) * 1000)
        pages += nexts
        print(f"{'苏 (the next page)':<22}{'manager':<13}{'':>9}{statistics.median(nexts):>10.1f}{p99(nexts):>8.1f}")
        scans: list[float] = []
        for text in ("苏州", "C0123"):
            latencies, _ = await timed(client, base, callers["manager"], SCAN, text, SCAN_REQUESTS)
            scans += latencies
            print(f"{text + ' (cards read)':<22}{'manager':<13}{'':>9}{statistics.median(latencies):>10.1f}"
                  f"{p99(latencies):>8.1f}")
    print(f"\n  a page by the keys: p50 {statistics.median(pages):.1f} ms, p99 {p99(pages):.1f} ms over {len(pages)} "
          f"searches; with totalCount: p50 {statistics.median(counted):.1f} ms, p99 {p99(counted):.1f} ms; "
          f"reading the cards: p50 {statistics.median(scans):.0f} ms")
    print(f"table: search\tp50 {statistics.median(pages):.1f} ms, p99 {p99(pages):.1f} ms at {CARDS:,} cards "
          f"(with totalCount p99 {p99(counted):.0f} ms; reading the cards p50 {statistics.median(scans):.0f} ms)")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="crm-search-"))
    mongo = EmbeddedMongo(tmp / "mongo").start()
    server = None
    try:
        instance, port = f"bench{uuid.uuid4().hex[:6]}", free_port()
        print(f"filling {CARDS:,} cards …", flush=True)
        print(f"  filled in {asyncio.run(fill(mongo.url, instance)):.0f} s          ")
        env = dict(os.environ, MONGO_URL=mongo.url, AMQP_URL="", CRM_INSTANCE=instance, PORT=str(port),
                   LOG_LEVEL="WARNING")
        log = (tmp / "serve.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "crm.cli", "serve", "customer"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{base}/readyz").status_code == 200:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "serve.log").read_text(errors="replace")[-2000:])
                time.sleep(0.2)
        asyncio.run(measure(base))
        return 0
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=10)
        mongo.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
