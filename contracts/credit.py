"""Events the credit service publishes."""

from pydantic import AwareDatetime

from contracts.envelope import Event


class CreditAlertRaised(Event):
    """CRD-3: exposure crossed 80 / 90 / 100 % of the limit going up."""

    type = "credit.alert_raised"
    customer_id: str
    level: int
    exposure_fen: int
    limit_fen: int
    recipients: list[str]
    raised_at: AwareDatetime


class CreditLimitChanged(Event):
    """CRD-7: the final approval changed rating, limit or term."""

    type = "credit.limit_changed"
    customer_id: str
    rating: str | None
    limit_fen: int
    term_days: int
    request_id: str
    changed_at: AwareDatetime


class CreditHoldChanged(Event):
    """CRD-10: a customer was put on or taken off credit hold."""

    type = "credit.hold_changed"
    customer_id: str
    on_hold: bool
    reason: str
    changed_at: AwareDatetime
