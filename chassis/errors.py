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
