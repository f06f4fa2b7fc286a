"""The ownership subgraph keeps the public contract (drift of the checked-in SDL: tests/unit/test_schema_files.py)."""

from services.ownership.schema import schema


def test_ownership_subgraph_keeps_the_public_contract() -> None:
    sdl = schema.as_str()
    for line in ('type Customer @key(fields: "id")',
                 "pool(filter: PoolFilter = null, first: Int = 20, after: String = null): CustomerConnection!",
                 "claimCustomer(customerId: ID!): Ownership!",
                 "releaseCustomer(customerId: ID!, report: ReleaseReportInput!, pool: String = null): Ownership!",
                 "assignCustomer(customerId: ID!, salespersonId: ID!): Ownership!",
                 "ownership: Ownership", "ownerId: ID", "expiresAt: DateTime", "inPool: Boolean!"):
        assert line in sdl, line


def test_the_connection_types_are_shareable_and_the_same_as_the_customer_subgraphs() -> None:
    from services.customer.schema import schema as customer_schema

    def block(sdl: str, name: str) -> str:
        start = sdl.index(f"type {name} ")
        return sdl[start:sdl.index("}", start) + 1]

    for name in ("CustomerConnection", "CustomerEdge", "PageInfo"):
        assert block(schema.as_str(), name) == block(customer_schema.as_str(), name)
        assert "@shareable" in block(schema.as_str(), name)
