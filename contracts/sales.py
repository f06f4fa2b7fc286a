"""What finance and ERP publish to `crm.events` (routing key = type). Amounts in fen, positive."""

from pydantic import AwareDatetime, Field, PositiveInt

from contracts.envelope import Event

Id = Field(min_length=1, max_length=100)


class InvoiceIssued(Event):
    """A sale on credit: the receivable the customer now owes."""

    type = "invoice.issued"
    invoice_id: str = Id
    customer_id: str = Id
    amount_fen: PositiveInt
    currency: str = Field("CNY", pattern="^CNY$")
    issued_at: AwareDatetime
    due_at: AwareDatetime | None = None  # ERP's own; credit holds the invoice due at issue + approved term (CRD-5)
    salesperson_id: str | None = None
    product_line: str | None = Field(None, max_length=100)  # CUS-11: what was sold, for the sales-share analysis


class PaymentReceived(Event):
    """A finance-confirmed receipt; without `invoiceIds` it settles the oldest open invoices first."""

    type = "payment.received"
    payment_id: str = Id
    customer_id: str = Id
    amount_fen: PositiveInt
    currency: str = Field("CNY", pattern="^CNY$")
    received_at: AwareDatetime
    invoice_ids: list[str] | None = None
    salesperson_id: str | None = None


class NoteReceived(Event):
    """A bill of exchange (票据) taken in payment; it counts as exposure until settled."""

    type = "note.received"
    note_id: str = Id
    customer_id: str = Id
    amount_fen: PositiveInt
    currency: str = Field("CNY", pattern="^CNY$")
    matures_at: AwareDatetime


class NoteSettled(Event):
    """Send `customerId` (or the CloudEvents `subject`): the customer's events are then applied one at a time
    with its other events; without it credit finds the note's customer itself, outside that order."""

    type = "note.settled"
    note_id: str = Id
    customer_id: str | None = Field(None, min_length=1, max_length=100)


class NoteDishonoured(Event):
    """As `note.settled`: send `customerId` (or the CloudEvents `subject`)."""

    type = "note.dishonoured"
    note_id: str = Id
    customer_id: str | None = Field(None, min_length=1, max_length=100)
