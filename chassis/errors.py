"""Refusals every service speaks; GraphQL shows each as `extensions.code`.

graphql-core copies `extensions` from the original exception, so raising one of these in a
resolver is all a schema needs to do.
"""


class CrmError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, object] = {"code": self.code, **details}


class NotFound(CrmError):
    code = "NOT_FOUND"


class Forbidden(CrmError):
    code = "FORBIDDEN"


class Unauthenticated(CrmError):
    code = "UNAUTHENTICATED"


class Conflict(CrmError):
    """Someone saved the same aggregate first: load it again and reapply (the command runner does)."""

    code = "CONFLICT"


class VersionMismatch(Conflict):
    """The caller decided on a version that is no longer current: only the caller can decide again."""


class Invalid(CrmError):
    """Input the caller must correct; `field` names which."""

    code = "VALIDATION"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class RuleViolation(CrmError):
    """A domain rule refuses the action; `rule` names it (e.g. CUS-12)."""

    code = "RULE_VIOLATION"

    def __init__(self, rule: str, message: str, **details: object) -> None:
        super().__init__(f"{rule}: {message}", rule=rule, **details)


# Every `extensions.code` a client can meet, at the gateway or a subgraph; the README lists the same.
CODES = {
    "UNAUTHENTICATED": "no token, or one that is expired, forged or has claims of the wrong type",
    "FORBIDDEN": "signed in, but access.md does not let this caller see or do it",
    "NOT_FOUND": "no such customer, complaint, request … (or one the caller may not know exists)",
    "VALIDATION": "business input to correct; `field` names which (a variable's path inside its input)",
    "RULE_VIOLATION": "a domain rule refuses the action; `rule` names it (e.g. CRD-3)",
    "CONFLICT": "someone changed the record first: reload and decide again",
    "LIMIT": "a document, cost, rate or deadline limit; `limit` names which, with the measures",
    "GRAPHQL_PARSE_FAILED": "the document is not GraphQL",
    "GRAPHQL_VALIDATION_FAILED": "the document does not fit the schema",
    "BAD_REQUEST": "the HTTP body is not a GraphQL request (JSON object, UTF-8, nesting, size)",
    "QUERY_PLANNING_FAILED": "the gateway could not plan the document over the subgraphs",
    "SUBGRAPH_UNAVAILABLE": "a subgraph did not answer; `subgraph` names it",
    "SUBGRAPH_TIMEOUT": "a subgraph answered too late; `subgraph` names it",
    "INTERNAL": "a fault of ours, logged with the request id; the message says nothing more",
}
