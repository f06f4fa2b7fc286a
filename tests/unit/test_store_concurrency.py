"""Commits run one at a time only on a store that cannot keep concurrent transactions apart, as it says itself."""

import pytest

from chassis.store import interleaves_transactions


@pytest.mark.parametrize(("hello", "interleaves"), [
    ({"isWritablePrimary": True, "setName": "rs0"}, True),  # a replica set member: MongoDB's transactions
    ({"isWritablePrimary": True, "msg": "isdbgrid"}, True),  # mongos in front of shards
    ({"isWritablePrimary": True, "logicalSessionTimeoutMinutes": 30, "maxWireVersion": 25}, False),  # nx-27017
])
def test_commits_interleave_only_where_the_server_is_a_replica_set_or_mongos(hello: dict, interleaves: bool) -> None:
    assert interleaves_transactions(hello) is interleaves
