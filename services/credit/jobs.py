"""Periodic sweeps of credit; safe in every replica at once (a lost race is skipped, not repeated)."""

import logging
from collections.abc import Callable
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from chassis.errors import Conflict
from services.credit.handlers import announce_long_overdue, review_profile
from services.credit.review import ReviewOutcome, ReviewPolicy, quarter_to_review
from services.credit.store import CreditStore, CreditUnitOfWork

log = logging.getLogger("crm.credit.jobs")


async def quarterly_review(store: CreditStore, make_uow: Callable[[], CreditUnitOfWork], now: datetime,
                           policy: ReviewPolicy) -> list[ReviewOutcome]:
    """CRD-8: every profile not yet reviewed for the last completed quarter; returns the reviews made."""
    quarter = quarter_to_review(now)
    done: list[ReviewOutcome] = []
    while customer_ids := await store.due_for_review(str(quarter), quarter.end):
        progress = len(done)
        for customer_id in customer_ids:
            try:
                outcome = await review_profile(customer_id, quarter, policy, make_uow())
            except (Conflict, DuplicateKeyError):
                log.info("review of %s for %s raced another change; the next sweep looks again", customer_id,
                         quarter)
                continue
            if outcome is not None:
                done.append(outcome)
        if len(done) == progress:
            break  # only races left this round
    return done


async def sweep_long_overdue(store: CreditStore, make_uow: Callable[[], CreditUnitOfWork], now: datetime) -> int:
    """CUS-3: announce invoices that passed 30 days overdue (`credit.invoice_overdue`); returns how many
    profiles announced something."""
    announced = 0
    for customer_id in await store.due_for_long_overdue(now):
        try:
            announced += await announce_long_overdue(customer_id, make_uow())
        except Conflict:
            log.info("profile %s changed meanwhile; the next overdue sweep looks again", customer_id)
    return announced
