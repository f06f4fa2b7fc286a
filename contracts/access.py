"""Events about who read what (CUS-9): every service reports confidential reads; the customer archive
keeps them as the one access log."""

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from contracts.envelope import Event


class AccessEntry(BaseModel):
    """One read of a customer's confidential data by someone who does not own the customer."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)
    customer_id: str
    user_id: str
    roles: list[str]
    owner_id: str | None
    what: str  # "customer card", "release report", "credit profile", ...
    operation: str  # the GraphQL root field that read it
    fields: list[str]  # the confidential fields the read selected


class AccessRecorded(Event):
    """CUS-9: the confidential reads one request made, written before its answer left."""

    type = "access.recorded"
    service: str
    at: AwareDatetime
    entries: list[AccessEntry]
