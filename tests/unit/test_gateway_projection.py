"""The gateway's projection answers a merged tree exactly as graphql-core would, or gives the tree back to it."""

import pytest
from graphql import GraphQLError, build_schema, get_operation_ast, parse

from gateway.execute import Outcome, shape
from gateway.projection import Unfit, compile_projection, project

SCHEMA = build_schema("""
  scalar Fen
  enum Level { A B }
  type Query { card(id: ID!): Card! cards: [Card!] maybe: Card }
  type Card { id: ID! name: String level: Level count: Int! share: Float flag: Boolean limit: Fen tags: [String!]! }
""")
DOCUMENT = parse("""{ card(id: "1") { id label: name level ...More } cards { id tags } maybe { id __typename } }
  fragment More on Card { count share flag limit }""")


def answered(data: dict) -> dict:
    projection = compile_projection(SCHEMA, DOCUMENT, get_operation_ast(DOCUMENT))
    assert projection is not None
    return {"data": project(projection, data)}


def by_graphql_core(data: dict) -> dict:
    return shape(SCHEMA, DOCUMENT, None, Outcome(data=data), {})


def test_a_plain_tree_is_answered_as_graphql_core_answers_it_in_the_documents_order_and_aliases() -> None:
    card = {"limit": 2**40, "flag": True, "share": 0.5, "count": 3, "level": "B", "label": "Acme", "id": "1",
            "extra": "asked by the gateway, not by the client"}
    data = {"maybe": None, "cards": [{"id": "2", "tags": []}, {"id": "3", "tags": ["x"]}], "card": card}
    assert answered(data) == by_graphql_core(data)
    assert list(answered(data)["data"]) == ["card", "cards", "maybe"]
    assert list(answered(data)["data"]["card"]) == ["id", "label", "level", "count", "share", "flag", "limit"]


@pytest.mark.parametrize("card", [
    {"id": "1", "count": None},  # null where the schema says non-null: graphql-core nulls the parent
    {"id": "1", "count": True},  # not yet serialized: graphql-core would make it 1
    {"id": 1, "count": 1},  # an ID as a number: graphql-core would make it "1"
    {"id": "1", "count": 2**31},  # beyond Int: an error
    {"id": "1", "count": 1, "level": "C"},  # not a value of the enum: an error
    {"id": "1", "count": 1, "share": 1},  # graphql-core would make it 1.0
    {"id": "1", "count": 1, "limit": GraphQLError("credit is down")},  # an error placed in the tree
])
def test_a_tree_the_projection_cannot_answer_exactly_goes_to_graphql_core(card: dict) -> None:
    with pytest.raises(Unfit):
        answered({"card": card, "cards": None, "maybe": None})


@pytest.mark.parametrize("document", [
    '{ card(id: "1") { id @include(if: true) } }',
    '{ __type(name: "Card") { name } }',
])
def test_directives_and_introspection_are_left_to_graphql_core(document: str) -> None:
    parsed = parse(document)
    assert compile_projection(SCHEMA, parsed, get_operation_ast(parsed)) is None
