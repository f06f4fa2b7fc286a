"""Reconciliation for finance: what credit received from one sending system on one day (and for one customer),
so a clerk can hold it against that system's own totals; and the customers whose ledger no longer matches the
events credit accepted for them.

Counted: each invoice, payment and note credit applied, by the day of its event's `time` in the company's
calendar; a copy dropped (the same event id sent again over HTTP, or the same document under another id, whatever
the transport); each event refused at the HTTP intake or dead-lettered, with its reason. A copy with the same id
sent again over AMQP is dropped by the consumer's inbox and not counted: it cannot be told from the broker's own
redelivery.

Plain Python: no I/O, no framework.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from chassis.clock import business_date
from contracts.sales import InvoiceIssued, NoteDishonoured, NoteReceived, NoteSettled, PaymentReceived
from services.credit.ledger import InvoiceSource


def day_of(time: object, fallback: datetime) -> str:
    """The company's calendar day of an event's `time` as it was written (of `fallback` where that does not parse
    as a time with its offset)."""
    try:
        at = datetime.fromisoformat(time) if isinstance(time, str) else fallback
    except ValueError:
        at = fallback
    return business_date(at if at.tzinfo is not None else fallback).isoformat()


@dataclass(frozen=True)
class Receipt:
    """A finance event credit's consumer took: applied, or a document it knew already (a copy)."""

    type: str
    amount_fen: int | None
    applied: bool


@dataclass(frozen=True)
class Tally:
    count: int = 0
    sum_fen: int = 0


@dataclass(frozen=True)
class Rejected:
    event_id: str | None
    type: str | None
    reason: str
    via: str  # HTTP: refused at the intake; AMQP: dead-lettered by the consumer
    at: datetime


@dataclass(frozen=True)
class Reconciliation:
    source: str
    day: str
    customer_id: str | None
    invoices: Tally
    payments: Tally
    notes: Tally
    notes_settled: int
    notes_dishonoured: int
    duplicates_dropped: int
    rejected: tuple[Rejected, ...]


def reconcile(source: str, day: str, customer_id: str | None, receipts: Iterable[Receipt], http_copies: int,
              rejected: Iterable[Rejected]) -> Reconciliation:
    receipts = list(receipts)

    def tally(event_type: str) -> Tally:
        applied = [r.amount_fen or 0 for r in receipts if r.applied and r.type == event_type]
        return Tally(len(applied), sum(applied))

    return Reconciliation(
        source, day, customer_id, tally(InvoiceIssued.type), tally(PaymentReceived.type), tally(NoteReceived.type),
        tally(NoteSettled.type).count, tally(NoteDishonoured.type).count,
        http_copies + sum(1 for r in receipts if not r.applied), tuple(sorted(rejected, key=lambda r: r.at)))


@dataclass(frozen=True)
class LedgerMismatch:
    """A customer whose ledger holds other invoice or payment totals than the events credit accepted for it."""

    customer_id: str
    ledger_invoiced_fen: int
    received_invoiced_fen: int
    ledger_paid_fen: int
    received_paid_fen: int


def ledger_mismatch(customer_id: str, ledger_invoices: Iterable[tuple[InvoiceSource, int]],
                    ledger_payments: Iterable[int], receipts: Iterable[Receipt]) -> LedgerMismatch | None:
    """None when the ledger's invoices (a dishonoured note owed again is not an invoice) and payments add up to
    the invoices and payments received."""
    receipts = list(receipts)
    found = LedgerMismatch(
        customer_id, sum(amount for source, amount in ledger_invoices if source is InvoiceSource.INVOICE),
        sum(r.amount_fen or 0 for r in receipts if r.applied and r.type == InvoiceIssued.type),
        sum(ledger_payments), sum(r.amount_fen or 0 for r in receipts if r.applied and r.type == PaymentReceived.type))
    matches = (found.ledger_invoiced_fen == found.received_invoiced_fen
               and found.ledger_paid_fen == found.received_paid_fen)
    return None if matches else found
