"""Schema-generated documents against the whole system through the gateway, as the probe of issue 11 sent
them: valid queries and mutations from the composed SDL with arbitrary arguments, and invalid ones. Whatever
comes in, the answer is no 5xx, only codes from `chassis.errors.CODES`, and nothing of our insides.

The documents are drawn once, deterministically (`derandomize`), so a failure names a document that the
next run draws again."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import graphql
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis_graphql import Mode, from_schema, nodes

from chassis.errors import CODES
from chassis.scalars import MAX_FEN
from tests.federation import Federation, federation
from tests.support import token

ADMIN = token("ADMIN", user="admin", region=None)
SALES = token("SALES", user="rep", region="east")
DRAWN = {Mode.POSITIVE: 8, Mode.NEGATIVE: 2}  # documents per root field (67 of them: 660 documents in all)
# What a message must never show: a stack trace, a Python or driver exception, a module, an object address.
INSIDES = re.compile(r"Traceback|File \"|\.py\b|\b\w+(Error|Exception)\b|pymongo|bson|aio_pika|aiormq|strawberry"
                     r"|graphql\.|0x[0-9a-f]{6,}|services\.|chassis\.|gateway\.", re.IGNORECASE)
# Custom scalars drawn around their edges: offsets present and missing, absurd years, money past 2^53.
SCALARS = {
    "DateTime": st.one_of(st.datetimes(timezones=st.just(None) | st.timezones()).map(lambda t: t.isoformat()),
                          st.text(max_size=30)).map(nodes.String),
    "Date": st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12)).map(nodes.String),
    "Fen": st.one_of(st.integers(0, MAX_FEN), st.integers(-2**70, 2**70)).map(nodes.Int),
    "JSON": st.one_of(st.none(), st.integers(), st.text(max_size=20)).map(nodes.String),
}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crm(mongo_url: str, amqp_url: str) -> AsyncIterator[Federation]:
    async with federation(mongo_url, amqp_url, uuid.uuid4().hex[:10], default_token=ADMIN) as running:
        yield running


def drawn(sdl: str, mode: Mode, count: int) -> list[str]:
    """`count` documents for each root field, so that every one is reached; the same every run."""
    schema = graphql.build_schema(sdl)
    roots = [name for root in (schema.query_type, schema.mutation_type) if root for name in root.fields]
    documents: list[str] = []
    for root in roots:
        @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), deadline=None)
        @given(from_schema(schema, fields=[root], custom_scalars=SCALARS, mode=mode))
        def collect(document: str) -> None:
            documents.append(document)

        try:
            collect()
        except InvalidArgument:  # the generator finds nothing in this field's arguments to make invalid
            assert mode is Mode.NEGATIVE
    return documents


def faults(status: int, answer: dict[str, Any]) -> list[str]:
    found = [f"HTTP {status}"] if status >= 500 else []
    for error in answer.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in CODES or code == "INTERNAL":
            found.append(f"code {code!r}: {error.get('message')!r}")
        if INSIDES.search(error.get("message", "")):
            found.append(f"insides shown: {error['message']!r}")
    return found


@pytest.mark.parametrize("mode", list(DRAWN), ids=lambda mode: mode.name.lower())
async def test_generated_documents_get_only_documented_codes_and_no_insides(crm: Federation, mode: Mode
                                                                            ) -> None:
    sdl = (await crm.gateway.client.get("/schema.graphql")).text
    wrong: list[str] = []
    for document in drawn(sdl, mode, DRAWN[mode]):
        for bearer in (ADMIN, SALES):
            response = await crm.gateway.client.post(
                "/graphql", json={"query": document}, headers={"authorization": f"Bearer {bearer}"})
            wrong += [f"{problem}\n    in {document}" for problem in faults(response.status_code, response.json())]
    assert not wrong, f"{len(wrong)} faults, the first ones:\n" + "\n".join(wrong[:10])
