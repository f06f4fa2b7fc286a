"""Periodic sweeps of credit; safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.service import Job
from services.credit.handlers import CreditService, announce_long_overdue, review_profile
from services.credit.review import ReviewOutcome, quarter_to_review


async def quarterly_review(service: CreditService) -> list[ReviewOutcome]:
    """CRD-8: every profile not yet reviewed for the last completed quarter; returns the reviews made."""
    quarter = quarter_to_review(service.clock.now())
    outcomes = await service.sweep("quarterly review", lambda: service.store.due_for_review(str(quarter), quarter.end),
                                   lambda customer_id, uow: review_profile(customer_id, quarter, uow))
    return [o for o in outcomes if o is not None]


async def sweep_long_overdue(service: CreditService) -> int:
    """CUS-3: announce invoices that passed 30 days overdue (`credit.invoice_overdue`); returns how many
    profiles announced something."""
    now = service.clock.now()
    return sum(await service.sweep("overdue sweep", lambda: service.store.due_for_long_overdue(now),
                                   announce_long_overdue))


JOBS: list[Job[Any]] = [
    Job("quarterly-review", lambda settings: settings.review_every_s, quarterly_review),
    Job("overdue-sweep", lambda settings: settings.overdue_every_s, sweep_long_overdue),
]
