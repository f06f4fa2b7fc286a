"""Composition: what the gateway serves, and what it refuses to compose rather than answer wrongly."""

from pathlib import Path

import httpx
import pytest
from crm_federation import URLS
from crm_monolith import monolith_app
from crm_subgraphs import SCHEMAS, subgraph_apps
from crm_world import SETTINGS, a_world

from gateway.app import create_gateway_app
from gateway.compose import CompositionError, compose, main

IMPORTS = '["@key", "@shareable", "@external", "@requires", "@override", "@inaccessible"]'


def subgraph(body: str, imports: str = IMPORTS) -> str:
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: {imports})\n{body}'


CUSTOMER = subgraph(
    'type Customer @key(fields: "id") { id: ID! name: String! }\ntype Query { customer(id: ID!): Customer }'
)


def refusal(**sdls: str) -> str:
    with pytest.raises(CompositionError) as refused:
        compose(sdls)
    return str(refused.value)


def test_the_test_subgraphs_compose_into_one_customer_with_the_fields_of_all_three() -> None:
    supergraph = compose({name: schema.as_str() for name, schema in SCHEMAS.items()})
    customer = supergraph.schema.get_type("Customer")
    assert list(customer.fields) == [
        "id",
        "code",
        "name",
        "kind",
        "level",
        "region",
        "phone",
        "tags",
        "contacts",
        "referrer",
        "secret",
        "credit",
        "creditSummary",
        "ownership",
    ]
    assert supergraph.owners[("Customer", "credit")] == ("credit",)
    assert supergraph.owners[("Customer", "id")] == (
        "customer",
        "credit",
        "ownership",
    )  # key fields: shareable
    assert supergraph.owners[("Query", "pool")] == ("ownership",)
    assert supergraph.owners[("CustomerConnection", "totalCount")] == ("customer", "ownership")
    assert [k.resolvable for k in supergraph.keys["Salesperson"]["credit"]] == [False]
    assert "_entities" not in supergraph.schema.query_type.fields


def test_a_field_resolved_by_two_subgraphs_must_be_shareable_in_both() -> None:
    twice = subgraph('type Customer @key(fields: "id") { id: ID! name: String! }')
    assert (
        "Customer.name is resolved by subgraphs customer, credit but is not @shareable in customer, credit"
        in refusal(customer=CUSTOMER, credit=twice)
    )
    shared = CUSTOMER.replace("name: String!", "name: String! @shareable")
    assert compose({"customer": shared, "credit": twice.replace("String!", "String! @shareable")}).owners[
        ("Customer", "name")
    ] == ("customer", "credit")


def test_a_key_naming_a_field_the_type_lacks_is_refused() -> None:
    broken = subgraph('type Customer @key(fields: "uuid") { id: ID! credit: Int }')
    assert "names uuid, which Customer does not have there" in refusal(customer=CUSTOMER, credit=broken)


def test_fields_whose_owner_no_other_subgraph_can_reach_by_key_are_refused() -> None:
    unreachable = subgraph('type Customer @key(fields: "id", resolvable: false) { id: ID! credit: Int }')
    assert "subgraph customer can return Customer but cannot give credit a key it resolves" in refusal(
        customer=CUSTOMER, credit=unreachable
    )


@pytest.mark.parametrize(
    ("sdl", "reason"),
    [
        (
            subgraph(
                'type T @key(fields: "id") @interfaceObject { id: ID! } type Query { t: T }',
                '["@key", "@interfaceObject"]',
            ),
            "entity interfaces (@interfaceObject) are not supported",
        ),
        (
            subgraph("type Query { secret: String @authenticated }", '["@authenticated"]'),
            "@authenticated is enforced by routers, not this gateway",
        ),
        (
            subgraph("directive @lowercase on FIELD_DEFINITION\ntype Query { shout: String @lowercase }"),
            "defines directive @lowercase",
        ),
        (
            subgraph("type Query { shout: String @lowercase }"),
            "@lowercase on Query.shout is not a federation directive",
        ),
        (
            subgraph(
                'type Customer @key(fields: "id") { id: ID! name: String! @override(from: "customer", '
                'label: "percent(5)") }'
            ),
            "progressive override is not supported",
        ),
        (
            'type Customer @key(fields: "id") { id: ID! credit: Int }',
            "only Federation 2 subgraphs are supported",
        ),
        (
            subgraph('interface Named @key(fields: "id") { id: ID! } type Query { n: Named }'),
            "entity interfaces are not supported",
        ),
    ],
    ids=[
        "interfaceObject",
        "authenticated",
        "custom directive definition",
        "custom directive",
        "progressive override",
        "federation 1",
        "entity interface",
    ],
)
def test_what_the_gateway_cannot_serve_is_refused_with_the_reason(sdl: str, reason: str) -> None:
    assert reason in refusal(customer=CUSTOMER, other=sdl)


def test_value_types_and_enums_shared_by_subgraphs_must_be_identical() -> None:
    page = "type PageInfo @shareable { hasNextPage: Boolean! }\nenum Kind { A B }\n"
    a = subgraph(page + "type Query { a: PageInfo k: Kind }")
    b = subgraph(
        page.replace("Boolean! }", "Boolean! endCursor: String }").replace("A B", "A B C")
        + "type Query { b: PageInfo }"
    )
    refused = refusal(a=a, b=b)
    assert "value type PageInfo has different fields in subgraphs a, b" in refused
    assert "Kind differs between subgraphs a and b" in refused


def test_override_moves_a_field_to_the_overriding_subgraph() -> None:
    moved = subgraph('type Customer @key(fields: "id") { id: ID! name: String! @override(from: "customer") }')
    supergraph = compose({"customer": CUSTOMER, "names": moved})
    assert supergraph.owners[("Customer", "name")] == ("names",)
    assert not supergraph.resolves("customer", "Customer", "name")


def test_inaccessible_fields_are_hidden_from_clients() -> None:
    hidden = subgraph('type Customer @key(fields: "id") { id: ID! score: Int @inaccessible }')
    supergraph = compose({"customer": CUSTOMER, "scores": hidden})
    assert "score" not in supergraph.schema.get_type("Customer").fields
    assert "score" not in supergraph.sdl


def test_renamed_and_namespaced_federation_directives_are_understood() -> None:
    renamed = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
        'import: [{name: "@key", as: "@primaryKey"}])\n'
        'type Customer @primaryKey(fields: "id") { id: ID! name: String! @federation__shareable }'
    )
    supergraph = compose({"customer": CUSTOMER.replace("String!", "String! @shareable"), "renamed": renamed})
    assert supergraph.owners[("Customer", "name")] == ("customer", "renamed")
    assert supergraph.keys["Customer"]["renamed"][0].fields == "id"


def test_the_compose_command_prints_the_sdl_or_the_reasons(tmp_path, capsys) -> None:
    (tmp_path / "customer.graphql").write_text(CUSTOMER)
    (tmp_path / "credit.graphql").write_text(
        subgraph('type Customer @key(fields: "id") { id: ID! name: String! }')
    )
    assert main([f"customer={tmp_path / 'customer.graphql'}"]) == 0
    assert "type Customer {\n  id: ID!\n  name: String!\n}" in capsys.readouterr().out
    assert main([f"customer={tmp_path / 'customer.graphql'}", f"credit={tmp_path / 'credit.graphql'}"]) == 1
    assert "not @shareable" in capsys.readouterr().err


async def test_checked_in_sdl_files_compose_without_asking_the_subgraphs() -> None:
    apps = subgraph_apps(a_world())
    gateway = create_gateway_app(
        SETTINGS,
        URLS,
        sdls={n: s.as_str() for n, s in SCHEMAS.items()},
        transports={n: httpx.ASGITransport(app=a) for n, a in apps.items()},
    )
    async with gateway.router.lifespan_context(gateway):
        assert "scalar Fen" in gateway.state.gateway.supergraph.sdl
    assert all(app.requests == [] for app in apps.values())


async def test_a_server_without_federation_stops_start_up_instead_of_being_waited_for() -> None:
    not_a_subgraph = httpx.ASGITransport(app=monolith_app(a_world()))  # GraphQL, but no `_service`
    gateway = create_gateway_app(
        SETTINGS, {"monolith": "http://monolith/graphql"}, transports={"monolith": not_a_subgraph}
    )
    with pytest.raises(CompositionError, match="subgraph monolith at http://monolith/graphql gave no SDL"):
        async with gateway.router.lifespan_context(gateway):
            pass


def test_the_services_checked_in_sdls_compose_with_customer_joined_across_them() -> None:
    services = Path(__file__).resolve().parents[2] / "services"
    sdls = {p.parent.name: p.read_text() for p in sorted(services.glob("*/schema.graphql"))}
    ordered = {"customer": sdls.pop("customer")} | sdls  # the owner of Customer first, as in SUBGRAPHS
    supergraph = compose(ordered)
    customer = supergraph.schema.get_type("Customer")
    for service, field_name in [
        ("credit", "credit"),
        ("ownership", "ownership"),
        ("complaints", "complaints"),
    ]:
        if service in sdls:
            assert supergraph.owners[("Customer", field_name)] == (service,)
    assert "Fen" in supergraph.schema.type_map and "contacts" in customer.fields
