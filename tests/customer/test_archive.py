"""The customer archive through its GraphQL subgraph, on real Mongo wire protocol and RabbitMQ."""

import asyncio
from datetime import timedelta

from services.customer.identity import credit_code_check_char
from tests.customer.conftest import CustomerHarness
from tests.support import error_codes, eventually, listening, token

REGISTER = """
mutation($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { id code name kind nature lifecycle region version phone creditCode
    contacts { name title phone } company { companyType registeredCapitalFen qualifications { kind number } } }
}"""
UPDATE = """
mutation($id: ID!, $v: Int!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) { id name phone version region }
}"""
HISTORY = """query($id: ID!) { customer(id: $id) { version history { version action by changes { field old new } } } }"""
SEARCH = """
query($filter: CustomerFilter, $first: Int, $after: String) {
  customers(filter: $filter, first: $first, after: $after) {
    edges { node { id name code } cursor } pageInfo { endCursor hasNextPage } totalCount
  }
}"""

# Valid unified social credit codes (GB 32100-2015 check character).
CREDIT_CODE = "91350100M000100Y43"


def a_credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def a_company(name: str = "上海东方贸易有限公司", **fields: object) -> dict[str, object]:
    return {"name": name, "kind": "COMPANY", "nature": "ORDINARY_COMPANY", "region": "east", **fields}


async def register(archive: CustomerHarness, **fields: object) -> dict[str, object]:
    data = await archive.gql.data(REGISTER, {"input": a_company(**fields)})
    return data["registerCustomer"]


async def test_cus_1_company_card_with_contacts_and_qualifications(archive: CustomerHarness) -> None:
    customer = await register(archive, phone="021-5555 0100", creditCode=CREDIT_CODE,
                              contacts=[{"name": "王经理", "title": "采购", "phone": "13800138000"}],
                              company={"companyType": "PRIVATE", "registeredCapitalFen": 5_000_000_000_00,
                                       "qualifications": [{"kind": "BUSINESS_LICENCE", "number": "BL-1",
                                                           "expiresOn": "2030-01-01"}]})
    assert customer["code"].startswith("C") and customer["version"] == 1
    assert customer["lifecycle"] == "POTENTIAL"  # CUS-2: never traded
    assert customer["contacts"] == [{"name": "王经理", "title": "采购", "phone": "13800138000"}]
    assert customer["company"]["registeredCapitalFen"] == 500_000_000_000  # beyond GraphQL's 32-bit Int
    assert customer["company"]["qualifications"] == [{"kind": "BUSINESS_LICENCE", "number": "BL-1"}]


async def test_cus_1_person_card_refuses_a_company_part(archive: CustomerHarness) -> None:
    answer = await archive.gql(REGISTER, {"input": {"name": "李四", "kind": "INDIVIDUAL", "nature": "INDIVIDUAL",
                                                    "company": {"companyType": "PRIVATE"}}})
    assert error_codes(answer) == ["VALIDATION"]
    assert answer["errors"][0]["extensions"]["field"] == "company"


async def test_cus_2_classification_filters(archive: CustomerHarness) -> None:
    await register(archive, name="市政府采购中心", nature="GOVERNMENT")
    await register(archive, name="律师事务所", nature="SERVICE_PROVIDER", region="west")
    data = await archive.gql.data(SEARCH, {"filter": {"nature": "GOVERNMENT"}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["市政府采购中心"]
    data = await archive.gql.data(SEARCH, {"filter": {"region": "west", "lifecycle": "POTENTIAL"}})
    assert [e["node"]["name"] for e in data["customers"]["edges"]] == ["律师事务所"]


async def test_cus_7_every_change_is_kept_who_when_old_new(archive: CustomerHarness) -> None:
    customer = await register(archive, phone="021-5555 0100")
    archive.clock.advance(timedelta(hours=2))
    editor = token("SALES_MANAGER", user="manager-9")
    await archive.gql.data(UPDATE, {"id": customer["id"], "v": 1, "input": {"phone": "021-5555 0199",
                                                                            "region": "north"}}, as_token=editor)
    history = (await archive.gql.data(HISTORY, {"id": customer["id"]}))["customer"]["history"]
    assert [(h["version"], h["action"], h["by"]) for h in history] == [(1, "REGISTERED", "u1"),
                                                                      (2, "UPDATED", "manager-9")]
    assert {(c["field"], c["old"], c["new"]) for c in history[1]["changes"]} == {
        ("phone", "021-5555 0100", "021-5555 0199"), ("region", "east", "north")}


async def test_cus_7_card_untouched_for_12_months_needs_review(archive: CustomerHarness) -> None:
    customer = await register(archive)
    query = """query($id: ID!) { customer(id: $id) { needsReview } }"""
    archive.clock.advance(timedelta(days=364))
    assert (await archive.gql.data(query, {"id": customer["id"]}))["customer"]["needsReview"] is False
    archive.clock.advance(timedelta(days=2))
    assert (await archive.gql.data(query, {"id": customer["id"]}))["customer"]["needsReview"] is True


async def test_cus_10_prefix_search_by_name_or_code_any_case_chinese_too(archive: CustomerHarness) -> None:
    acme = await register(archive, name="Acme Trading")
    await register(archive, name="acorn Foods")
    await register(archive, name="上海东方贸易有限公司")
    await register(archive, name="北京上海路商店")

    async def names(text: str) -> list[str]:
        data = await archive.gql.data(SEARCH, {"filter": {"text": text}})
        return [e["node"]["name"] for e in data["customers"]["edges"]]

    assert await names("AC") == ["Acme Trading", "acorn Foods"]
    assert await names("上海") == ["上海东方贸易有限公司"]  # a prefix, not a substring
    assert await names(acme["code"].lower()) == ["Acme Trading"]
    assert await names("x(") == []  # regex characters are plain text


async def test_cus_10_cursor_pagination_is_stable_while_cards_are_added(archive: CustomerHarness) -> None:
    for name in ["b", "d", "f", "h", "j"]:
        await register(archive, name=name)
    first = (await archive.gql.data(SEARCH, {"first": 2}))["customers"]
    assert [e["node"]["name"] for e in first["edges"]] == ["b", "d"] and first["totalCount"] == 5
    await register(archive, name="a")  # lands before the cursor: the next page neither repeats nor skips
    await register(archive, name="e")
    second = (await archive.gql.data(SEARCH, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["customers"]
    assert [e["node"]["name"] for e in second["edges"]] == ["e", "f"]
    rest = (await archive.gql.data(SEARCH, {"first": 10, "after": second["pageInfo"]["endCursor"]}))["customers"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["h", "j"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_cus_10_a_cursor_that_was_not_handed_out_is_a_validation_error(archive: CustomerHarness) -> None:
    answer = await archive.gql(SEARCH, {"after": "not-a-cursor"})
    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "after"


async def test_cus_12_same_credit_code_is_refused_naming_the_existing_customer(archive: CustomerHarness) -> None:
    first = await register(archive, creditCode=CREDIT_CODE)
    answer = await archive.gql(REGISTER, {"input": a_company("另一个名字", creditCode=CREDIT_CODE.lower())})
    assert error_codes(answer) == ["RULE_VIOLATION"]
    assert answer["errors"][0]["extensions"]["existingCustomerId"] == first["id"]
    assert "CUS-12" in answer["errors"][0]["message"]


async def test_cus_12_same_normalised_name_and_phone_is_refused(archive: CustomerHarness) -> None:
    first = await register(archive, name="ＡＢＣ Trading 有限公司", phone="+86 138-0013-8000")
    answer = await archive.gql(REGISTER, {"input": a_company("abc trading有限公司", phone="13800138000")})
    assert answer["errors"][0]["extensions"]["existingCustomerId"] == first["id"]
    # Same name, other phone: a different company (branches exist).
    await register(archive, name="abc trading有限公司", phone="13900139000")


async def test_cus_12_concurrent_registrations_sharing_name_and_phone_but_not_the_code_one_wins_and_is_named(
        archive: CustomerHarness) -> None:
    """The race the look-up before the commit cannot see: the store's unique keys decide, and the refusal names
    the key that collided (here the second of each card's keys) and whose it is."""
    answers = await asyncio.gather(*[archive.gql(REGISTER, {"input": a_company(
        "东方贸易", phone="13800138000", creditCode=a_credit_code(f"91310115MA1H7X{i:03d}"))}) for i in range(5)])
    (winner,) = [a["data"]["registerCustomer"]["id"] for a in answers if not error_codes(a)]
    refusals = [a["errors"][0] for a in answers if error_codes(a)]
    assert [(r["extensions"]["existingCustomerId"], "same name and phone" in r["message"]) for r in refusals] == [
        (winner, True)] * 4


async def test_cus_12_concurrent_duplicate_registrations_one_wins(archive: CustomerHarness) -> None:
    answers = await asyncio.gather(*[
        archive.gql(REGISTER, {"input": a_company(f"分身{i}", creditCode=CREDIT_CODE)}) for i in range(5)])
    assert sorted(error_codes(a) == [] for a in answers) == [False] * 4 + [True]


async def test_cus_12_an_update_cannot_make_a_duplicate(archive: CustomerHarness) -> None:
    await register(archive, creditCode=CREDIT_CODE)
    other = await register(archive, name="另一家")
    answer = await archive.gql(UPDATE, {"id": other["id"], "v": 1, "input": {"creditCode": CREDIT_CODE}})
    assert error_codes(answer) == ["RULE_VIOLATION"]


async def test_concurrent_updates_with_the_same_expected_version_exactly_one_succeeds(
        archive: CustomerHarness) -> None:
    customer = await register(archive)
    answers = await asyncio.gather(*[
        archive.gql(UPDATE, {"id": customer["id"], "v": 1, "input": {"phone": f"1380013800{i}"}})
        for i in range(8)])
    codes = sorted(str(error_codes(a)) for a in answers)
    assert codes == ["['CONFLICT']"] * 7 + ["[]"]
    history = (await archive.gql.data(HISTORY, {"id": customer["id"]}))["customer"]
    assert history["version"] == 2 and len(history["history"]) == 2


async def test_stale_expected_version_is_a_conflict(archive: CustomerHarness) -> None:
    customer = await register(archive)
    await archive.gql.data(UPDATE, {"id": customer["id"], "v": 1, "input": {"name": "新名字"}})
    answer = await archive.gql(UPDATE, {"id": customer["id"], "v": 1, "input": {"name": "又一个名字"}})
    assert error_codes(answer) == ["CONFLICT"]
    assert answer["errors"][0]["extensions"]["currentVersion"] == 2


async def test_unknown_id_is_not_found_on_update_and_null_on_read(archive: CustomerHarness) -> None:
    answer = await archive.gql(UPDATE, {"id": "nobody", "v": 1, "input": {"name": "x"}})
    assert error_codes(answer) == ["NOT_FOUND"]
    assert (await archive.gql.data("""{ customer(id: "nobody") { id } }"""))["customer"] is None


async def test_no_or_invalid_token_is_unauthenticated(archive: CustomerHarness) -> None:
    assert error_codes(await archive.gql("{ customers { totalCount } }", as_token=None)) == ["UNAUTHENTICATED"]
    assert error_codes(await archive.gql("{ customers { totalCount } }", as_token="garbage")) == ["UNAUTHENTICATED"]


async def test_a_role_that_may_not_edit_is_forbidden(archive: CustomerHarness) -> None:
    answer = await archive.gql(REGISTER, {"input": a_company()}, as_token=token("FINANCE"))
    assert error_codes(answer) == ["FORBIDDEN"]


async def test_invalid_input_names_the_field(archive: CustomerHarness) -> None:
    answer = await archive.gql(REGISTER, {"input": a_company(creditCode="123")})
    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "creditCode"
    answer = await archive.gql(REGISTER, {"input": a_company(name="   ")})
    assert answer["errors"][0]["extensions"]["field"] == "name"
    answer = await archive.gql(REGISTER, {"input": {"name": "x", "kind": "ROBOT", "nature": "GOVERNMENT"}})
    assert error_codes(answer) == ["VALIDATION"] and "kind" in answer["errors"][0]["message"]


async def test_registration_and_update_are_published_after_commit(archive: CustomerHarness, amqp_url: str) -> None:
    async with listening(amqp_url, "customer.*") as received:
        customer = await register(archive, name="事件公司")
        await archive.gql.data(UPDATE, {"id": customer["id"], "v": 1, "input": {"region": "south"}})

        async def both() -> list[str]:
            mine = [e for e in received if e["subject"] == customer["id"]]
            return [e["type"] for e in mine] if len(mine) == 2 else []

        assert await eventually(both) == ["customer.registered", "customer.updated"]
    registered = next(e for e in received if e["type"] == "customer.registered")
    assert registered["specversion"] == "1.0" and registered["data"]["registeredBy"] == "u1"


SUBMIT_SURVEY = """mutation($id: ID!, $v: Int!) {
  submitTradingSurvey(id: $id, expectedVersion: $v, survey: "资信良好, 年采购约 200 万") { version }
}"""
DECIDE_SURVEY = """mutation($id: ID!, $v: Int!) {
  decideTradingSurvey(id: $id, expectedVersion: $v, approve: true) { version tradingSurvey { status writtenBy
    decisions { by approve } } }
}"""
END_TRADING = """mutation($id: ID!, $v: Int!) {
  endTrading(id: $id, expectedVersion: $v, input: {reason: TERMINATION, note: "长期拖欠"}) { version lifecycle }
}"""


async def test_cus_8_trading_opens_once_the_unit_head_then_the_general_manager_approve_the_survey(
        archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive)  # by the salesperson u1, who writes the survey
    assert (await archive.gql.data(SUBMIT_SURVEY, {"id": customer["id"], "v": 1}))["submitTradingSurvey"] == {
        "version": 2}
    assert error_codes(await archive.gql(DECIDE_SURVEY, {"id": customer["id"], "v": 2})) == ["FORBIDDEN"]
    gm = token("GENERAL_MANAGER", user="gm", region=None)
    assert error_codes(await archive.gql(DECIDE_SURVEY, {"id": customer["id"], "v": 2}, as_token=gm)) == [
        "FORBIDDEN"]  # the unit head first
    head = token("REGION_MANAGER", user="head-east")
    first = (await archive.gql.data(DECIDE_SURVEY, {"id": customer["id"], "v": 2}, as_token=head))
    assert first["decideTradingSurvey"]["tradingSurvey"]["status"] == "UNIT_HEAD_APPROVED"
    async with listening(amqp_url, "customer.updated") as updated:
        final = (await archive.gql.data(DECIDE_SURVEY, {"id": customer["id"], "v": 3}, as_token=gm))
        assert final["decideTradingSurvey"] == {"version": 4, "tradingSurvey": {
            "status": "APPROVED", "writtenBy": "u1",
            "decisions": [{"by": "head-east", "approve": True}, {"by": "gm", "approve": True}]}}
        told = await eventually(lambda: [e for e in updated if e["subject"] == customer["id"]])
    assert told[-1]["data"]["tradingOpen"] is True  # credit hears that credit may be requested now


async def test_cus_8_ending_trade_archives_the_card_never_deletes_it(archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive, name="要终止的客户")
    head = token("SALES_MANAGER", user="head")
    async with listening(amqp_url, "customer.terminated") as terminated:
        ended = (await archive.gql.data(END_TRADING, {"id": customer["id"], "v": 1}, as_token=head))["endTrading"]
        assert ended == {"version": 2, "lifecycle": "TERMINATED"}
        await eventually(lambda: [e for e in terminated if e["subject"] == customer["id"]])
    listed = await archive.gql.data(SEARCH, {"filter": {"text": "要终止"}})
    assert listed["customers"]["totalCount"] == 0  # out of the active list
    archived = await archive.gql.data(SEARCH, {"filter": {"text": "要终止", "lifecycle": "TERMINATED"}})
    assert archived["customers"]["totalCount"] == 1
    history = (await archive.gql.data(HISTORY, {"id": customer["id"]}))["customer"]["history"]
    assert [h["action"] for h in history] == ["REGISTERED", "TERMINATED"]
    answer = await archive.gql(UPDATE, {"id": customer["id"], "v": 2, "input": {"name": "复活"}})
    assert error_codes(answer) == ["RULE_VIOLATION"] and "CUS-8" in answer["errors"][0]["message"]


async def test_cus_7_stale_cards_can_be_listed_with_the_needs_review_filter(archive: CustomerHarness) -> None:
    old = await register(archive, name="旧卡")
    archive.clock.advance(timedelta(days=200))
    await register(archive, name="新卡")
    archive.clock.advance(timedelta(days=200))  # the first is 400 days old, the second 200
    # a card saved before `review_due_at` was stored is judged by `updatedAt` alike
    await archive.service.store.customers.update_one({"_id": old["id"]}, {"$unset": {"review_due_at": ""}})
    await register(archive, name="没存到期日的新卡")
    await archive.service.store.customers.update_one({"name": "没存到期日的新卡"}, {"$unset": {"review_due_at": ""}})

    async def names(needs_review: bool) -> list[str]:
        data = await archive.gql.data(SEARCH, {"filter": {"needsReview": needs_review}})
        return [e["node"]["name"] for e in data["customers"]["edges"]]

    assert await names(True) == ["旧卡"]
    assert sorted(await names(False)) == sorted(["新卡", "没存到期日的新卡"])
    archive.clock.advance(timedelta(days=200))  # now the second is 400 days old too
    assert sorted(await names(True)) == sorted(["旧卡", "新卡"])
