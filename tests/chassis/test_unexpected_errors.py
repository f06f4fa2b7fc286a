"""An unexpected error at `/graphql` (a bug, not a refusal) is logged and answered in the errors' shape, 500
`INTERNAL` naming the request, without internals: the same in every process, whichever way the request is served
(POST past FastAPI's routing, GET through it)."""

import httpx
import pytest

from chassis.settings import Settings
from gateway.app import create_gateway_app
from services.complaints.app import KIT
from tests.support import settings_for


async def answer(app: object, method: str) -> httpx.Response:
    """`app` serving without its lifespan: nothing it needs is wired, so whatever it does first fails."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        if method == "POST":
            return await client.post("/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "req-7"})
        return await client.get("/graphql", params={"query": "{ __typename }"}, headers={"x-request-id": "req-7"})


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_service_answers_a_bug_with_500_internal_naming_the_request(
        method: str, mongo_url: str, unique: str) -> None:
    response = await answer(KIT.create_app(settings_for(mongo_url, None, unique)), method)
    assert response.status_code == 500
    assert response.json() == {"errors": [{"message": "internal error (request req-7)",
                                           "extensions": {"code": "INTERNAL"}}]}
    assert response.headers["x-request-id"] == "req-7"


async def test_the_gateway_answers_a_bug_with_500_internal_naming_the_request() -> None:
    app = create_gateway_app(Settings(crm_env="test", subgraphs="customer=http://customer.invalid/graphql"))
    response = await answer(app, "POST")
    assert response.status_code == 500
    assert response.json() == {"errors": [{"message": "internal error (request req-7)",
                                           "extensions": {"code": "INTERNAL"}}]}
