"""Every query of the suite gets, through the gateway, the very JSON one monolithic server gives."""

import pytest
from crm_federation import Federation
from graphql import get_introspection_query

CUSTOMER_CARD = """
  fragment CreditBits on CreditProfile { rating limitFen exposureFen utilization alerts { level at } }
  fragment CustomerCard on Customer {
    id name kind level
    credit { ...CreditBits reviewer { id name } }
    ownership { ownerId inPool owner { name region } }
  }
"""

SUITE: dict[str, tuple[str, dict | None]] = {
    "one customer's own fields, enums and a null phone": (
        '{ customer(id: "c2") { id code name kind level region phone tags contacts { name phone } } }',
        None,
    ),
    "a list of customers with fields of another subgraph and Fen beyond 32 bits": (
        "{ customers { totalCount edges { cursor node { id name credit { rating limitFen exposureFen } } } "
        "pageInfo { endCursor hasNextPage } } }",
        None,
    ),
    "aliases on root fields and on entity fields from another subgraph": (
        '{ first: customer(id: "c1") { label: name risk: credit { grade: rating max: limitFen } '
        "again: credit { limitFen } } "
        'second: customer(id: "c4") { label: name risk: credit { grade: rating } } }',
        None,
    ),
    "named fragments on entities spanning three subgraphs": (
        CUSTOMER_CARD + '{ customer(id: "c1") { ...CustomerCard } }',
        None,
    ),
    "inline fragments, with and without a type condition": (
        '{ customer(id: "c2") { ... on Customer { name credit { rating } } ... { ownership { since } } } }',
        None,
    ),
    "variables: an input object with a list of enums, an Int and a String": (
        "query Page($filter: CustomerFilter, $first: Int!, $after: String) { customers(filter: $filter, "
        "first: $first, after: $after) { totalCount edges { node { name kind credit { rating } } } "
        "pageInfo { endCursor hasNextPage } } }",
        {"filter": {"kinds": ["COMPANY"]}, "first": 2, "after": "c1"},
    ),
    "@include and @skip on entity fields and fragments, from variables": (
        "query Flags($withCredit: Boolean!, $hideOwner: Boolean!) { "
        "customers(first: 3) { edges { node { name "
        "credit @include(if: $withCredit) { rating } ... @skip(if: $hideOwner) { ownership { ownerId } } "
        "ownership @include(if: false) { since } } } } }",
        {"withCredit": True, "hideOwner": True},
    ),
    "an entity chain two levels deep: customer → credit → reviewer's name": (
        "{ customers { edges { node { name credit { reviewer { name region customers { id } } } } } } }",
        None,
    ),
    "a root field of ownership with the shareable connection types": (
        "{ pool(first: 5) { totalCount pageInfo { hasNextPage } edges { node { id name credit { rating } "
        "ownership { inPool since } } } } }",
        None,
    ),
    "@requires: creditSummary needs the customer's name, reached from customer and from ownership": (
        '{ customer(id: "c1") { creditSummary } pool { edges { node { creditSummary } } } }',
        None,
    ),
    "a union with inline fragments and __typename everywhere": (
        "{ __typename parties { __typename ... on Customer { name credit { rating } } "
        "... on Salesperson { name customers { name } } } }",
        None,
    ),
    "an interface field resolved in its subgraph, with an entity field behind it": (
        '{ node(id: "c4") { __typename id ... on Customer { name credit { limitFen } } } }',
        None,
    ),
    "nested lists of entities: salespeople → customers → credit alerts": (
        "{ salespeople { name customers { name tags credit { alerts { level } } } } }",
        None,
    ),
    "nulls: an unknown customer, a customer without credit, a missing referrer, null list items": (
        '{ nobody: customer(id: "zz") { name } '
        'c6: customer(id: "c6") { credit { rating } referrer { name } } '
        'customersByIds(ids: ["c2", "nope", "c5"]) { name referrer { name credit { rating } } } }',
        None,
    ),
    "a root field of credit whose Customer is filled by customer and ownership": (
        'query Check($amount: Fen!) { creditCheck(customerId: "c2", amountFen: $amount) { allowed '
        "reasons { code detail } customer { name ownership { owner { name } } } } }",
        {"amount": 9_000_000_000},
    ),
    "root fields of all three subgraphs in one operation": (
        '{ customer(id: "c3") { name } creditCheck(customerId: "c1", amountFen: 1) { allowed } '
        'salesperson(id: "s2") { name } }',
        None,
    ),
    "one response key merged from a field and a fragment with different sub-fields": (
        'query { customer(id: "c1") { credit { rating } ...More } } '
        "fragment More on Customer { credit { limitFen "
        "reviewer { name } } name }",
        None,
    ),
    "introspection of the composed schema": (
        '{ __type(name: "Customer") { name kind description interfaces { name } fields { name '
        "args { name } type { kind name ofType { kind name ofType { name } } } } } }",
        None,
    ),
    "default variable values and a self-referencing entity": (
        'query Referrals($id: ID! = "c4") { customer(id: $id) { name referrer { name credit { rating } '
        "referrer { name } } } }",
        None,
    ),
    "the caller, from the forwarded token": ("{ me { id name roles } }", None),
    "the chosen operation of a document with several": (
        'query A { customer(id: "c1") { name } } query B { customer(id: "c2") { credit { rating } } }',
        "B",
    ),
    "a fragment on an interface spread into an object, with an entity field inside": (
        '{ customer(id: "c1") { ...N } } fragment N on Node { id ... on Customer { credit { rating } } }',
        None,
    ),
    "a named fragment on a union": (
        "{ parties { ...P } } fragment P on Party { ... on Salesperson { region } ... on Customer { code } }",
        None,
    ),
    "one fragment used on Customers returned by two different subgraphs": (
        'fragment F on Customer { name ownership { since } } { customer(id: "c2") { ...F } '
        'creditCheck(customerId: "c2", amountFen: 5) { customer { ...F } } }',
        None,
    ),
    "an entity chain three levels deep: salesperson → credit → reviewer → their customers' codes": (
        '{ salesperson(id: "s1") { customers { credit { reviewer { name customers { name code } } } } } }',
        None,
    ),
    "@include and @skip on root fields, with a variable's default": (
        'query($x: Boolean = false) { customer(id: "c1") @include(if: $x) { name } '
        'salesperson(id: "s1") @skip(if: $x) { name } }',
        None,
    ),
    "an empty list: no entity fetch, the same empty answer": (
        '{ customers(filter: {region: "nowhere"}) { totalCount edges { node { credit { rating } } } } }',
        None,
    ),
}


@pytest.mark.parametrize("name", list(SUITE))
async def test_gateway_answers_like_one_server(federation: Federation, name: str) -> None:
    query, variables = SUITE[name]
    operation_name = variables if isinstance(variables, str) else None
    variables = None if isinstance(variables, str) else variables
    through_gateway = await federation.ask(query, variables, operation_name=operation_name)
    from_monolith = await federation.ask_monolith(query, variables, operation_name=operation_name)
    assert "errors" not in from_monolith, from_monolith  # the suite is about answers; errors are tested apart
    assert through_gateway == from_monolith


async def test_mutation_then_fields_of_other_subgraphs_like_one_server(federation: Federation) -> None:
    mutation = (
        "mutation Register($input: RegisterCustomerInput!) { registerCustomer(input: $input) { id code name "
        "tags credit { rating } ownership { ownerId } creditSummary } }"
    )
    variables = {"input": {"name": "New Harbour", "kind": "COMPANY", "region": "south", "tags": ["port"]}}
    through_gateway = await federation.ask(mutation, variables)
    assert through_gateway == await federation.ask_monolith(mutation, variables)
    assert through_gateway["data"]["registerCustomer"]["creditSummary"] == "New Harbour: unrated"


async def test_full_introspection_of_the_composed_schema_equals_the_monoliths(federation: Federation) -> None:
    query = get_introspection_query(descriptions=True)
    through_gateway = (await federation.ask(query))["data"]["__schema"]
    from_monolith = (await federation.ask_monolith(query))["data"]["__schema"]
    assert {t["name"]: t for t in through_gateway["types"]} == {t["name"]: t for t in from_monolith["types"]}
    assert through_gateway["directives"] == from_monolith["directives"]


# What only graphql-core shapes: conditions on variables, abstract types, introspection.
SHAPED_BY_GRAPHQL_CORE = {
    "@include and @skip on entity fields and fragments, from variables",
    "a union with inline fragments and __typename everywhere",
    "an interface field resolved in its subgraph, with an entity field behind it",
    "introspection of the composed schema",
    "a fragment on an interface spread into an object, with an entity field inside",
    "a named fragment on a union",
    "@include and @skip on root fields, with a variable's default",
}


def test_the_suite_answers_plain_documents_by_their_projection_and_the_others_by_graphql_core(
    federation: Federation,
) -> None:
    """The answers above are the same either way; this says which way each took."""
    for name, (query, variables) in SUITE.items():
        prepared = federation.gateway.prepare(query, variables if isinstance(variables, str) else None)
        assert (prepared.projection is None) == (name in SHAPED_BY_GRAPHQL_CORE), name
