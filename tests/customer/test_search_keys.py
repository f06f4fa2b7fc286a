"""CUS-10 text search through the search keys: the same cards, order and counts as reading the cards would give,
for every kind of caller and filter; the keys follow every save of a card; an archive from before them is indexed
at start."""

import itertools
from datetime import timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.ownership import OwnershipChanged
from services.customer import store
from services.customer.identity import search_key
from tests.customer.conftest import CustomerHarness
from tests.customer.test_access import ADMIN, ALICE, BOB, ownership_changed, register_as
from tests.support import START, token

SEARCH = """query($f: CustomerFilter!, $first: Int!, $after: String) { customers(filter: $f, first: $first,
  after: $after) { totalCount pageInfo { endCursor hasNextPage } edges { node { id name code } } } }"""
VERSION = """query($id: ID!) { customer(id: $id) { version } }"""
END_TRADING = """mutation($id: ID!, $v: Int!) {
  endTrading(id: $id, expectedVersion: $v, input: {reason: TERMINATION, note: "长期拖欠"}) { lifecycle } }"""
MANAGER = token("SALES_MANAGER", user="head")
EAST_MANAGER = token("REGION_MANAGER", user="rm-east", region="east")
NAMES = ["苏州轴承贸易有限公司", "苏州精密机械", "蘇州ＡＢＣ电子", "苏南物流", "杭州西湖电子", "Suzhou Trading",
         "suzhou parts", "苏州轴承二厂", "C000 测试", "上海东方"]


async def archive_of_many(archive: CustomerHarness) -> list[dict[str, Any]]:
    """Cards of two owners in two regions, some in the pool, one archived; as the store holds them."""
    owners = itertools.cycle([ALICE, BOB, ADMIN])
    regions = itertools.cycle(["east", "east", "west"])
    made = [await register_as(archive, next(owners), name, region=next(regions)) for name in NAMES]
    for card in made[2::3]:  # back in the pool
        await archive.service.deliver(Envelope[OwnershipChanged].model_validate(
            ownership_changed(card["id"], None, "alice", START + timedelta(minutes=1), reason="NO_DEAL")))
    version = (await archive.gql.data(VERSION, {"id": made[1]["id"]}, as_token=ADMIN))["customer"]["version"]
    await archive.gql.data(END_TRADING, {"id": made[1]["id"], "v": version}, as_token=MANAGER)  # CUS-8: archived
    return [d async for d in archive.service.store.customers.find({})]


def expected(cards: list[dict[str, Any]], text: str, case: Any, **filters: str) -> list[str]:
    key = search_key(text)
    found = [c for c in cards if (c["name_key"].startswith(key) or c["code_key"].startswith(key))
             and case(c) and c["lifecycle"] != "TERMINATED" and all(c[f] == v for f, v in filters.items())]
    return [c["_id"] for c in sorted(found, key=lambda c: (c["name_key"], c["_id"]))]


async def paged(archive: CustomerHarness, bearer: str, text: str, **filters: str) -> tuple[list[str], int]:
    ids, after, totals = [], None, set()
    while True:
        page = (await archive.gql.data(SEARCH, {"f": {"text": text, **filters}, "first": 2, "after": after},
                                       as_token=bearer))["customers"]
        ids += [e["node"]["id"] for e in page["edges"]]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return ids, totals.pop() if len(totals) == 1 else -1
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("read_up_to", [500, 1], ids=["counted-by-reading", "counted-by-the-store"])
async def test_cus_10_a_text_search_by_the_keys_finds_what_the_cards_would_in_their_order_and_count(
        archive: CustomerHarness, monkeypatch: pytest.MonkeyPatch, read_up_to: int) -> None:
    monkeypatch.setattr(store, "COUNT_BY_READING", read_up_to)  # both ways of counting give the same
    cards = await archive_of_many(archive)
    code = cards[0]["code"][:4]
    cases = {ALICE: lambda c: c.get("owner_id") == "alice" or c.get("in_pool"),
             EAST_MANAGER: lambda c: c["region"] == "east", ADMIN: lambda c: True}
    for bearer, case in cases.items():
        for text in ("苏", "蘇州", "苏州轴承", "SUZHOU", "ｓｕｚ", "suzho", "suzhou trading", code, cards[0]["code"],
                     "无此名"):
            want = expected(cards, text, case)
            assert await paged(archive, bearer, text) == (want, len(want)), (text, bearer[-8:])
        want = expected(cards, "苏", case, region="west")
        assert await paged(archive, bearer, "苏", region="west") == (want, len(want))
    assert len(expected(cards, "苏", cases[ADMIN])) > 2  # more than a page of two: the cursors are exercised


async def test_cus_10_the_keys_follow_renames_owners_and_the_archive(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "旧名称贸易")
    assert (await paged(archive, ALICE, "旧名"))[0] == [card["id"]]
    await archive.gql.data("""mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 1,
      input: {name: "新名称贸易"}) { version } }""", {"id": card["id"]}, as_token=ALICE)
    assert (await paged(archive, ALICE, "旧名"))[0] == [] and (await paged(archive, ALICE, "新名"))[0] == [card["id"]]
    await archive.service.deliver(Envelope[OwnershipChanged].model_validate(
        ownership_changed(card["id"], "bob", "alice", START + timedelta(minutes=1))))
    assert (await paged(archive, ALICE, "新名"))[0] == [] and (await paged(archive, BOB, "新名"))[0] == [card["id"]]


async def test_cus_10_an_archive_from_before_the_keys_is_indexed_when_the_service_starts(
        archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "老档案客户")
    store = archive.service.store
    await store.search_keys.delete_many({})
    await store._database.db["counters"].delete_one({"_id": "search_keys"})
    assert (await paged(archive, ALICE, "老档"))[0] == []
    await store.ensure_indexes()  # what a start does
    assert (await paged(archive, ALICE, "老档"))[0] == [card["id"]]
