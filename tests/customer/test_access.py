"""CUS-9 need-to-know, enforced in the customer subgraph: who sees which part of which card, and the access log."""

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta

import pytest

from contracts.envelope import Envelope
from contracts.ownership import OwnershipChanged
from tests.customer.conftest import CustomerHarness
from tests.customer.test_archive import CREDIT_CODE, REGISTER, UPDATE, a_company
from tests.support import START, error_codes, eventually, publish_as_outsider, token

CARD = """query($id: ID!) { customer(id: $id) { id code name kind nature level lifecycle region cardAccess
  phone creditCode address marketPosition contacts { name phone } company { companyType } person { gender }
  registeredBy history { action } } }"""
PUBLIC = {"id", "code", "name", "kind", "nature", "level", "lifecycle", "region", "cardAccess"}
FULL_PART = {"address": "上海市", "marketPosition": "KEY", "contacts": [{"name": "王经理", "phone": "13800138000"}],
             "company": {"companyType": "PRIVATE"}}
ACCESS_LOG = """query($c: ID, $u: ID, $first: Int, $after: String) {
  accessLog(customerId: $c, userId: $u, first: $first, after: $after) {
    edges { node { customerId userId roles at service what operation fields ownerId } }
    pageInfo { endCursor hasNextPage } } }"""

PHONES = itertools.count(100)
ALICE = token("SALES", user="alice", region="east")
BOB = token("SALES", user="bob", region="east")
ADMIN = token("ADMIN", user="admin-1", region=None)


def ownership_changed(customer_id: str, owner: str | None, previous: str | None, at: datetime,
                      **data: object) -> dict[str, object]:
    """What the ownership service puts on the wire (contracts/ownership.py)."""
    return {
        "specversion": "1.0", "id": f"own-{uuid.uuid4()}", "source": "ownership", "type": "ownership.changed",
        "time": at.isoformat(), "subject": customer_id, "datacontenttype": "application/json",
        "data": {"customerId": customer_id, "previousOwnerId": previous, "ownerId": owner,
                 "basis": "CLAIM" if owner else "RETURN", "region": "east", "changedAt": at.isoformat(),
                 "inPool": owner is None, **data},
    }


async def register_as(archive: CustomerHarness, as_token: str, name: str, **fields: object) -> dict[str, object]:
    card = a_company(name, **{"phone": f"021-5555 {next(PHONES):04d}",
                             "contacts": [{"name": "王经理", "phone": "13800138000"}],
                             "company": {"companyType": "PRIVATE"}, "address": "上海市", "marketPosition": "KEY",
                             **fields})
    return (await archive.gql.data(REGISTER, {"input": card}, as_token=as_token))["registerCustomer"]


async def read(archive: CustomerHarness, as_token: str, customer_id: str) -> dict[str, object]:
    """The card as this caller gets it; a field they may not read is null with FORBIDDEN at its path."""
    answer = await archive.gql(CARD, {"id": customer_id}, as_token=as_token)
    card = answer["data"]["customer"]
    refused = {e["path"][-1] for e in answer.get("errors") or [] if e["extensions"]["code"] == "FORBIDDEN"}
    assert all(card[f] is None for f in refused) and len(refused) == len(answer.get("errors") or [])
    return card | {"refused": refused}


async def owner_is(archive: CustomerHarness, customer_id: str, owner: str | None) -> bool:
    card = await archive.service.store.get(customer_id)
    return card.owner_announced_at is not None and card.owner_id == owner


async def logged(archive: CustomerHarness, **where: str) -> list[dict[str, object]]:
    """The access log as the admin reads it (reads reach it over the bus, a moment after their answer)."""
    answer = await archive.gql.data(ACCESS_LOG, where, as_token=ADMIN)
    return [e["node"] for e in answer["accessLog"]["edges"]]


@pytest.fixture
async def three_cards(archive: CustomerHarness, amqp_url: str) -> dict[str, str]:
    """alice's own card, bob's card (alice registered it, ownership gave it to bob), a pool card (east)."""
    owned = await register_as(archive, ALICE, "自己的客户")
    foreign = await register_as(archive, ALICE, "别人的客户")
    pool = await register_as(archive, ALICE, "公海客户", creditCode=CREDIT_CODE)
    await publish_as_outsider(amqp_url, ownership_changed(foreign["id"], "bob", "alice", START), "ownership.changed")
    await publish_as_outsider(amqp_url, ownership_changed(pool["id"], None, "alice", START, reason="NO_DEAL"),
                              "ownership.changed")
    await eventually(lambda: owner_is(archive, foreign["id"], "bob"))
    await eventually(lambda: owner_is(archive, pool["id"], None))
    return {"owned": owned["id"], "foreign": foreign["id"], "pool": pool["id"]}


# role (token) → what it sees of alice's owned card, bob's card and the pool card (all in region east)
MATRIX = {
    "SALES (the owner, alice)": (ALICE, ("FULL", "PUBLIC", "PUBLIC")),
    "SALES (another, carol)": (token("SALES", user="carol", region="east"), ("PUBLIC", "PUBLIC", "PUBLIC")),
    "REGION_ASSISTANT east": (token("REGION_ASSISTANT", user="ra-east", region="east"), ("FULL", "FULL", "FULL")),
    "REGION_MANAGER east": (token("REGION_MANAGER", user="rm-east", region="east"), ("FULL", "FULL", "FULL")),
    "REGION_MANAGER west": (token("REGION_MANAGER", user="rm-west", region="west"), ("PUBLIC", "PUBLIC", "PUBLIC")),
    "FINANCE": (token("FINANCE", user="fin-1", region=None), ("FULL", "FULL", "FULL")),
    "SALES_MANAGER": (token("SALES_MANAGER", user="sm-1", region=None), ("FULL", "FULL", "FULL")),
    "GENERAL_MANAGER": (token("GENERAL_MANAGER", user="gm-1", region=None), ("FULL", "FULL", "FULL")),
    "ADMIN": (ADMIN, ("FULL", "FULL", "FULL")),
    "SERVICE": (token("SERVICE", user="svc-1", region="east"), ("PUBLIC", "PUBLIC", "PUBLIC")),
}


async def test_cus_9_role_matrix_owned_foreign_and_pool_cards(
        archive: CustomerHarness, three_cards: dict[str, str]) -> None:
    seen = {}
    for role, (as_token, _) in MATRIX.items():
        cards = [await read(archive, as_token, three_cards[k]) for k in ("owned", "foreign", "pool")]
        seen[role] = tuple(c["cardAccess"] for c in cards)
        for card in cards:
            assert all(card[f] is not None for f in PUBLIC - {"level"}), (role, card)
            if card["cardAccess"] == "FULL":
                assert {f: card[f] for f in ("address", "marketPosition", "contacts", "company")} == FULL_PART
                assert card["phone"] and card["history"] and card["registeredBy"] == "alice"
                assert card["refused"] == set()
            else:  # the confidential part: null with FORBIDDEN at its path; lists empty
                hidden = {f: card[f] for f in card if f not in PUBLIC | {"refused"}}
                assert hidden == {"phone": None, "creditCode": None, "address": None, "marketPosition": None,
                                  "contacts": [], "company": None, "person": None, "registeredBy": None,
                                  "history": []}, (role, hidden)
                assert card["refused"] == {"phone", "creditCode", "address", "marketPosition", "company", "person",
                                           "registeredBy"}
    assert seen == {role: expected for role, (_, expected) in MATRIX.items()}


async def test_cus_9_lists_show_a_salesperson_their_own_and_the_pool_and_entities_apply_the_same_rule(
        archive: CustomerHarness, three_cards: dict[str, str]) -> None:
    listed = await archive.gql("""{ customers { totalCount edges { node { id cardAccess phone contacts { name } } } } }""",
                               as_token=ALICE)
    by_id = {e["node"]["id"]: e["node"] for e in listed["data"]["customers"]["edges"]}
    assert set(by_id) == {three_cards["owned"], three_cards["pool"]}  # bob's customer is left out, silently
    assert listed["data"]["customers"]["totalCount"] == 2
    assert by_id[three_cards["owned"]]["phone"] and by_id[three_cards["owned"]]["contacts"]
    assert by_id[three_cards["pool"]] | {"id": None} == {"id": None, "cardAccess": "PUBLIC", "phone": None,
                                                         "contacts": []}
    assert [e["path"][-1] for e in listed["errors"]] == ["phone"]  # the pool card's phone, at its own path
    everyone = await archive.gql.data("{ customers { totalCount } }", as_token=ADMIN)
    assert everyone["customers"]["totalCount"] == 3
    west = await archive.gql.data("{ customers { totalCount } }",
                                  as_token=token("REGION_MANAGER", user="rm-west", region="west"))
    assert west["customers"]["totalCount"] == 0  # lists show a region role its own region
    # what the gateway sends when another subgraph (ownership's pool, credit) returns a Customer
    entities = await archive.gql("""query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Customer { id cardAccess phone } } }""",
                                 {"r": [{"__typename": "Customer", "id": three_cards["foreign"]},
                                        {"__typename": "Customer", "id": three_cards["owned"]}]},
                                 as_token=ALICE)
    assert [(e["cardAccess"], e["phone"] is None) for e in entities["data"]["_entities"]] == [("PUBLIC", True),
                                                                                             ("FULL", False)]
    assert [(e["path"], e["extensions"]["code"]) for e in entities["errors"]] == [(["_entities", 0, "phone"],
                                                                                  "FORBIDDEN")]


async def test_cus_9_the_registering_salesperson_sees_the_new_card_before_ownership_speaks(
        archive: CustomerHarness) -> None:
    card = await register_as(archive, BOB, "刚登记的客户")
    assert card["contacts"] == [{"name": "王经理", "title": None, "phone": "13800138000"}]
    assert (await read(archive, BOB, card["id"]))["cardAccess"] == "FULL"
    assert (await read(archive, ALICE, card["id"]))["cardAccess"] == "PUBLIC"


async def test_cus_9_a_foreign_salesperson_may_not_edit_what_they_cannot_see(
        archive: CustomerHarness, three_cards: dict[str, str]) -> None:
    answer = await archive.gql(UPDATE, {"id": three_cards["foreign"], "v": 1, "input": {"phone": "13900000000"}},
                               as_token=ALICE)
    assert error_codes(answer) == ["FORBIDDEN"] and "CUS-9" in answer["errors"][0]["message"]
    updated = await archive.gql.data(UPDATE, {"id": three_cards["foreign"], "v": 1,
                                              "input": {"phone": "13900000000"}}, as_token=BOB)
    assert updated["updateCustomer"]["phone"] == "13900000000"


async def test_cus_9_every_full_card_read_by_a_non_owner_is_logged_for_the_admin(
        archive: CustomerHarness, three_cards: dict[str, str]) -> None:
    finance = token("FINANCE", user="fin-1", region=None)
    await read(archive, ALICE, three_cards["owned"])  # the owner: not logged
    await read(archive, token("SALES", user="carol"), three_cards["owned"])  # public part only: not logged
    await archive.gql.data("""query($id: ID!) { customer(id: $id) { name region } }""",  # nothing confidential
                           {"id": three_cards["owned"]}, as_token=finance)
    archive.clock.advance(timedelta(minutes=5))
    await archive.gql.data("""query($id: ID!) { customer(id: $id) { name phone contacts { name } } }""",
                           {"id": three_cards["owned"]}, as_token=finance)
    archive.clock.advance(timedelta(minutes=5))
    await read(archive, token("REGION_MANAGER", user="rm-east", region="east"), three_cards["owned"])

    log = await eventually(lambda: _at_least(logged(archive, c=three_cards["owned"]), 2))
    assert [(e["userId"], e["operation"], e["ownerId"]) for e in log] == [
        ("rm-east", "customer", "alice"), ("fin-1", "customer", "alice")]  # newest first
    assert log[1]["fields"] == ["contacts", "phone"] and log[1]["roles"] == ["FINANCE"]
    assert (log[1]["service"], log[1]["what"]) == ("customer", "customer card")
    assert log[1]["at"].startswith((START + timedelta(minutes=5)).isoformat()[:16])

    by_user = await logged(archive, u="fin-1")
    assert [e["customerId"] for e in by_user] == [three_cards["owned"]]
    first = (await archive.gql.data(ACCESS_LOG, {"c": three_cards["owned"], "first": 1}, as_token=ADMIN))
    rest = await archive.gql.data(ACCESS_LOG, {"c": three_cards["owned"], "first": 1,
                                               "after": first["accessLog"]["pageInfo"]["endCursor"]}, as_token=ADMIN)
    assert first["accessLog"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["userId"] for e in rest["accessLog"]["edges"]] == ["fin-1"]
    assert error_codes(await archive.gql(ACCESS_LOG, {}, as_token=finance)) == ["FORBIDDEN"]


async def test_cus_9_a_read_that_cannot_be_logged_is_not_answered(
        archive: CustomerHarness, three_cards: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry is written before the answer leaves: if the database refuses it, the confidential data stays
    home (the owner's own reads need no entry and still work)."""
    async def refused(writes: object) -> None:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(archive.service.database, "run_in_transaction", refused)
    answer = await archive.gql(CARD, {"id": three_cards["owned"]}, as_token=ADMIN)
    assert answer["data"] is None and error_codes(answer) == ["INTERNAL"]
    assert "access log" in answer["errors"][0]["message"]
    assert (await read(archive, ALICE, three_cards["owned"]))["phone"]


async def _at_least(entries: object, n: int) -> object:
    found = await entries  # type: ignore[misc]
    return found if len(found) >= n else None


async def test_cus_9_an_older_ownership_announcement_arriving_late_is_ignored(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "换手的客户")
    handle = archive.service.deliver
    newer = Envelope[OwnershipChanged].model_validate(
        ownership_changed(card["id"], "bob", "alice", START + timedelta(hours=1)))
    older = Envelope[OwnershipChanged].model_validate(ownership_changed(card["id"], "alice", None, START))
    await handle(newer)
    await handle(older)
    assert await owner_is(archive, card["id"], "bob")
    assert (await read(archive, BOB, card["id"]))["cardAccess"] == "FULL"
    assert (await read(archive, ALICE, card["id"]))["cardAccess"] == "PUBLIC"


async def test_the_same_ownership_event_twice_changes_nothing_the_second_time(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "两次的客户")
    handle = archive.service.deliver
    envelope = Envelope[OwnershipChanged].model_validate(ownership_changed(card["id"], "bob", "alice", START))
    await handle(envelope)
    before = await archive.service.store.customers.find_one({"_id": card["id"]})
    await handle(envelope)
    await asyncio.gather(handle(envelope), handle(envelope))
    assert await archive.service.store.customers.find_one({"_id": card["id"]}) == before
    assert await owner_is(archive, card["id"], "bob")


async def test_cus_9_a_list_read_logs_one_entry_per_full_card_naming_the_fields_even_through_fragments(
        archive: CustomerHarness, three_cards: dict[str, str]) -> None:
    manager = token("SALES_MANAGER", user="sm-1", region=None)
    await archive.gql.data("""{ customers { edges { node { ...Card } } } }
        fragment Card on Customer { name contacts { name phone } }""", as_token=manager)
    entries = await eventually(lambda: _at_least(logged(archive, u="sm-1"), 3))
    assert sorted((e["customerId"], e["operation"], tuple(e["fields"]), e["ownerId"]) for e in entries) == sorted([
        (three_cards["owned"], "customers", ("contacts",), "alice"),
        (three_cards["foreign"], "customers", ("contacts",), "bob"),
        (three_cards["pool"], "customers", ("contacts",), None)])
