"""The checked-in SDL is what the complaints subgraph serves, and it keeps the public contract."""

from pathlib import Path

from services.complaints.schema import schema

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_sdl_matches_the_code() -> None:
    checked_in = (ROOT / "services" / "complaints" / "schema.graphql").read_text()
    assert checked_in == schema.as_str() + "\n", "services/complaints/schema.graphql is stale: run `make schemas`"


def test_complaints_subgraph_keeps_the_public_contract() -> None:
    sdl = schema.as_str()
    for line in ('type Customer @key(fields: "id")', "complaints: [Complaint!]!",
                 "complaint(id: ID!): Complaint",
                 ("complaints(filter: ComplaintFilter = null, first: Int = 20, after: String = null): "
                 "ComplaintConnection!"),
                 "fileComplaint(input: FileComplaintInput!): Complaint!",
                 "acknowledgeComplaint(id: ID!): Complaint!", "startInvestigation(id: ID!): Complaint!",
                 "recordFinding(id: ID!, input: FindingInput!): Complaint!",
                 "proposeResolution(id: ID!, input: ResolutionInput!): Complaint!",
                 "resolveComplaint(id: ID!): Complaint!", "closeComplaint(id: ID!): Complaint!",
                 "reopenComplaint(id: ID!, reason: String!): Complaint!",
                 "extendDeadline(id: ID!, newDueAt: DateTime!, customerAcknowledgement: String!): Complaint!",
                 "customerId: ID!", "kind: ComplaintKind!", "description: String!", "severity: Severity",
                 "firstResponderId: ID!", "dueAt: DateTime", "scalar Fen"):
        assert line in sdl, line


def test_page_info_is_the_shareable_type_the_customer_subgraph_defines() -> None:
    customer_sdl = (ROOT / "services" / "customer" / "schema.graphql").read_text()
    page_info = "type PageInfo @shareable {\n  endCursor: String\n  hasNextPage: Boolean!\n}"
    assert page_info in customer_sdl and page_info in schema.as_str()
