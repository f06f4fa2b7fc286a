"""The checked-in SDL is what the credit subgraph serves; the public contract's names are in it."""

from pathlib import Path

from services.credit.schema import schema

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = ".venv/bin/python -c 'from services.credit.schema import schema; print(schema.as_str())' " \
             "> services/credit/schema.graphql"


def test_checked_in_sdl_matches_the_code() -> None:
    checked_in = (ROOT / "services" / "credit" / "schema.graphql").read_text()
    assert checked_in == schema.as_str() + "\n", f"services/credit/schema.graphql is stale: `make schemas` or {REGENERATE}"


def test_credit_subgraph_keeps_the_public_contract() -> None:
    sdl = schema.as_str()
    for line in ('type Customer @key(fields: "id")', "credit: CreditProfile",
                 "creditCheck(customerId: ID!, amountFen: Fen!): CreditDecision!",
                 "requestCreditChange(input: CreditChangeInput!): CreditRequest!",
                 "decideCreditRequest(id: ID!, approve: Boolean!, comment: String = null",
                 "scalar Fen", "limitFen: Fen!", "exposureFen: Fen!", "utilization: Float", "onHold: Boolean!"):
        assert line in sdl, line
    assert "me: Viewer" not in sdl and "name: String!\n  code" not in sdl  # customer owns those
