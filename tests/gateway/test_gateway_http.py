"""The gateway's HTTP face: start-up over real sockets, GraphiQL, GET, the composed SDL, health."""

import asyncio

import httpx
import pytest
from crm_federation import Federation, a_token
from crm_serving import ServerThread, free_port
from crm_subgraphs import subgraph_apps
from crm_world import a_world

from chassis.settings import Settings
from gateway.app import create_gateway_app
from gateway.subgraphs import parse_subgraphs


async def test_start_up_waits_for_late_subgraphs_then_serves_over_real_http() -> None:
    apps = subgraph_apps(a_world())
    servers = {name: ServerThread(app, free_port()) for name, app in apps.items()}
    # Configured the production way: SUBGRAPHS in the settings, real URLs, no injected transport.
    settings = Settings(
        crm_env="test", subgraphs=",".join(f"{n}={s.url}/graphql" for n, s in servers.items())
    )
    gateway = create_gateway_app(settings)

    async def start_late() -> None:
        await asyncio.sleep(0.5)  # the gateway is already asking, and being refused
        for server in servers.values():
            await asyncio.to_thread(server.start)

    late = asyncio.create_task(start_late())
    try:
        async with gateway.router.lifespan_context(gateway):
            await late
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gateway), base_url="http://gw"
            ) as client:
                response = await client.post(
                    "/graphql",
                    json={"query": '{ customer(id: "c1") { name credit { rating } } }'},
                    headers={"authorization": f"Bearer {a_token()}"},
                )
        assert response.json() == {"data": {"customer": {"name": "Acme Trading", "credit": {"rating": "A"}}}}
        assert all(any("_service" in r["query"] for r in app.requests) for app in apps.values())
    finally:
        late.cancel()
        for server in servers.values():
            if server.thread.is_alive():
                server.stop()


async def test_a_browser_gets_graphiql(federation: Federation) -> None:
    response = await federation.client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_query_over_get_is_answered_and_a_mutation_over_get_is_refused(
    federation: Federation,
) -> None:
    headers = {"authorization": f"Bearer {a_token()}"}
    query = await federation.client.get(
        "/graphql",
        params={"query": "query($id: ID!) { customer(id: $id) { name } }", "variables": '{"id": "c2"}'},
        headers=headers,
    )
    assert query.json() == {"data": {"customer": {"name": "Blue River Foods"}}}
    mutation = await federation.client.get(
        "/graphql",
        headers=headers,
        params={"query": 'mutation { registerCustomer(input: {name: "X", kind: COMPANY}) { id } }'},
    )
    assert mutation.status_code == 405
    assert federation.request_counts()["customer"] == 1


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"query": 42}', b'{"query": "{ me { id } }", "variables": [1]}']
)
async def test_a_body_that_is_not_a_graphql_request_is_a_bad_request(
    federation: Federation, body: bytes
) -> None:
    response = await federation.client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {a_token()}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_schema_graphql_is_the_composed_sdl_without_federation_machinery(
    federation: Federation,
) -> None:
    response = await federation.client.get("/schema.graphql")
    sdl = response.text
    assert response.status_code == 200
    assert "scalar Fen" in sdl
    assert "creditSummary: String!" in sdl and "ownership: Ownership" in sdl  # Customer, joined
    for machinery in (
        "_entities",
        "_service",
        "_Any",
        "_Entity",
        "_Service",
        "@key",
        "@link",
        "@external",
        "@requires",
        "@shareable",
        "FieldSet",
    ):
        assert machinery not in sdl


async def test_healthz_names_the_composed_subgraphs(federation: Federation) -> None:
    response = await federation.client.get("/healthz")
    assert response.json() == {"status": "ok", "subgraphs": ["customer", "credit", "ownership"]}


def test_subgraphs_setting_is_read_in_order() -> None:
    assert list(parse_subgraphs(" customer=http://c:1/graphql , credit=https://k:2/graphql,")) == [
        "customer",
        "credit",
    ]


@pytest.mark.parametrize("value", ["", "customer", "customer=c:1/graphql", "a=http://x,a=http://y"])
def test_a_malformed_subgraphs_setting_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="SUBGRAPHS"):
        parse_subgraphs(value)
