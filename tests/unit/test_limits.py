"""The document limits' own arithmetic, without a server."""

import pytest
from graphql import GraphQLSyntaxError, parse

from chassis.limits import LimitExceeded, Limits, parse_within

DOCUMENTS = [
    ('{ a(x: "he said \\"hi\\" # not a comment", y: -1.5e3, z: [1, 2, 3]) { b ...F } } # a comment\n'
     "fragment F on T { c @include(if: $v) }"),
    'query Q($a: [Int!]! = [1]) { x(s: """a block "quoted" \\""" text\n over lines""") { ... on T { y } } }',
    "{ " + " ".join(["me { id }"] * 40) + " }",
]


def counted_by_graphql_core(document: str) -> int:
    """The least `max_tokens` graphql-core's parser accepts the document with (it counts comments too)."""
    for tokens in range(1, 1000):
        try:
            parse(document, max_tokens=tokens)
            return tokens
        except GraphQLSyntaxError:
            continue
    raise AssertionError("a test document has too many tokens")


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_token_limit_is_exact_at_its_boundary_whether_counted_before_or_while_parsing(document: str) -> None:
    tokens = counted_by_graphql_core(document)
    assert parse_within(document, Limits(max_tokens=tokens))
    with pytest.raises(LimitExceeded) as refused:
        parse_within(document, Limits(max_tokens=tokens - 1))
    assert refused.value.extensions == {"code": "LIMIT", "limit": "max_tokens"}
