"""Each service's checked-in SDL is what its code serves: frontends generate code from the file,
reviewers see API changes in diffs. Regenerate with `make schemas`."""

import importlib
from pathlib import Path

import pytest

from crm.services import SERVICES
from services.customer.schema import schema as customer_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", list(SERVICES))
def test_checked_in_sdl_matches_the_code(service: str) -> None:
    schema = importlib.import_module(f"services.{service}.schema").schema
    checked_in = (ROOT / "services" / service / "schema.graphql").read_text()
    assert checked_in == schema.as_str() + "\n", f"services/{service}/schema.graphql is stale: run `make schemas`"


def test_customer_subgraph_keeps_the_public_contract() -> None:
    sdl = customer_schema.as_str()
    for line in ('type Customer @key(fields: "id")', "customer(id: ID!): Customer",
                 "customers(filter: CustomerFilter = null, first: Int = 20, after: String = null): "
                 "CustomerConnection!",
                 "registerCustomer(input: RegisterCustomerInput!): Customer!",
                 "updateCustomer(id: ID!, expectedVersion: Int!, input: UpdateCustomerInput!): Customer!",
                 "scalar Fen", "me: Viewer!"):
        assert line in sdl, line


def test_broker_definitions_declare_every_services_queues_and_bindings() -> None:
    """Deployments load deploy/rabbitmq/definitions.json before any service starts publishing."""
    import json

    from crm.broker import DEFINITIONS, topology

    definitions = json.loads(DEFINITIONS.read_text())
    expected = topology()
    for part in ("exchanges", "queues", "bindings"):
        assert expected[part] == definitions[part], f"{part} stale: run `make schemas`"
