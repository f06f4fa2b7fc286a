"""信用管理: a customer's credit profile and the rules on it.

Plain Python: no I/O, no framework; time comes in as `now`. Money is integer fen.

- CRD-1 the profile: rating, limit, term; a new customer is cash only until a limit is approved.
- CRD-2 exposure (占用额度) = open receivables + unsettled notes (the ledger: `ledger.py`).
- CRD-3 alerts at 80 / 90 / 100 % of the limit, once per upward crossing (`alerts.py`).
- CRD-4 the credit check; CRD-5 overdue and ageing; CRD-9 when the next investigation report is due;
  CRD-10 emergencies and the hold (`emergency.py`); CRD-11 each invoice, payment and note is applied
  once by its own id.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.clock import add_months, business_date
from chassis.errors import Invalid, RuleViolation
from chassis.scalars import fen
from services.credit.alerts import Alert, AlertLevel, alert_recipients
from services.credit.emergency import Countermeasure, Emergency, EmergencyKind, EmergencyStatus, HoldChanged
from services.credit.ledger import (
    Ageing,
    Allocation,
    Invoice,
    InvoiceSource,
    Note,
    NoteStatus,
    Payment,
)


class CreditRating(StrEnum):
    """CRD-1: A large, reputable, strong funds; B average; C small, new or poor reputation."""

    A = "A"
    B = "B"
    C = "C"

    def up(self) -> "CreditRating | None":
        return {CreditRating.C: CreditRating.B, CreditRating.B: CreditRating.A}.get(self)

    def down(self) -> "CreditRating | None":
        return {CreditRating.A: CreditRating.B, CreditRating.B: CreditRating.C}.get(self)


# CRD-8: complaints that make the invoices they name disputed while they are open (a quality or contract
# dispute is a reason to pay late; a transport or service complaint is not).
DISPUTING_KINDS = frozenset({"PRODUCT_QUALITY", "PURCHASE_CONTRACT"})


@dataclass
class Dispute:
    """CRD-8: a complaint about these invoices; while it is open they do not count for a downgrade."""

    complaint_id: str
    kind: str
    invoice_ids: tuple[str, ...]
    opened_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class AcceptedReason:
    """CRD-8: finance accepted why an invoice is paid late; it does not count for a downgrade."""

    invoice_id: str
    reason: str
    accepted_by: str
    accepted_at: datetime


# -- what a change of the profile tells the world (with Alert and HoldChanged) ----------------------


@dataclass(frozen=True)
class TermsChanged:
    customer_id: str
    rating: CreditRating | None
    limit_fen: int
    term_days: int
    request_id: str
    changed_at: datetime


@dataclass(frozen=True)
class InvoiceLongOverdue:
    """CUS-3: an invoice passed 30 days overdue, told when it does and when it is paid (for the level)."""

    customer_id: str
    invoice_id: str
    days_overdue: int
    due_at: datetime
    settled_at: datetime | None  # told again once paid


@dataclass(frozen=True)
class ReceivablesChanged:
    """OWN-7 / OWN-8: what the customer owes now, for the handover of a salesperson's customers. `seq` orders
    them (one more each time), so a late one is recognised."""

    customer_id: str
    receivables_fen: int
    seq: int
    at: datetime


ProfileEvent = Alert | HoldChanged | TermsChanged | InvoiceLongOverdue | ReceivablesChanged


class Standing(StrEnum):
    """How a profile stands, the most serious first."""

    ON_HOLD = "ON_HOLD"  # CRD-10
    OVER_LIMIT = "OVER_LIMIT"  # CRD-3: at or above 100 %
    NEAR_LIMIT = "NEAR_LIMIT"  # CRD-3: at or above 80 %
    CASH_ONLY = "CASH_ONLY"  # CRD-1: no limit approved
    IN_GOOD_STANDING = "IN_GOOD_STANDING"


# -- CRD-4 and CRD-5 answers ------------------------------------------------------------------------


class ReasonCode(StrEnum):
    NO_CREDIT = "NO_CREDIT"
    ON_HOLD = "ON_HOLD"
    OVERDUE = "OVERDUE"
    OVER_LIMIT = "OVER_LIMIT"
    TRADING_ENDED = "TRADING_ENDED"  # CUS-8: the customer is archived


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str
    shortfall_fen: int | None = None  # OVER_LIMIT: by how much
    invoice_ids: tuple[str, ...] = ()  # OVERDUE: which


@dataclass(frozen=True)
class CreditDecision:
    customer_id: str
    amount_fen: int
    allowed: bool
    reasons: tuple[Reason, ...]
    exposure_fen: int
    limit_fen: int

    @property
    def available_fen(self) -> int:
        return max(0, self.limit_fen - self.exposure_fen)


# -- CRD-9 -------------------------------------------------------------------------------------------

# 信用调查报告: A every 6 months, B every 3, C monthly.
INVESTIGATION_EVERY_MONTHS = {CreditRating.A: 6, CreditRating.B: 3, CreditRating.C: 1}


def investigation_due_at(rating: CreditRating | None, last_report_at: datetime | None, rated_at: datetime | None,
                         registered_at: datetime) -> datetime:
    """CRD-9: the next report is due the interval of the rating after the last one (or the rating, or the
    registration). A customer not rated yet is new, and the seed counts new customers as C: monthly."""
    since = last_report_at or rated_at or registered_at
    return add_months(since, INVESTIGATION_EVERY_MONTHS[rating or CreditRating.C])


# -- the aggregate -------------------------------------------------------------------------------------


@dataclass
class CreditProfile:
    """CRD-1 one customer's credit: terms, ledger, alerts, hold. `_id` = the customer's id."""

    customer_id: str
    region: str | None
    registered_by: str
    registered_at: datetime
    rating: CreditRating | None = None
    limit_fen: int = 0  # CRD-1: 0 = cash only
    term_days: int = 0
    rated_at: datetime | None = None
    owner_known: bool = False  # ownership.changed heard at least once
    owner_id: str | None = None
    owner_changed_at: datetime | None = None
    invoices: list[Invoice] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    credit_balance_fen: int = 0
    receivables_told_fen: int = 0  # OWN-7/8: the receivables last published, and how many times
    receivables_told_seq: int = 0
    alerted: set[AlertLevel] = field(default_factory=set)  # CRD-3: levels crossed and not fallen below since
    emergencies: list[Emergency] = field(default_factory=list)
    accepted_reasons: dict[str, AcceptedReason] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)  # by complaint id
    last_investigation_at: datetime | None = None
    last_reviewed_quarter: str | None = None
    open_request_id: str | None = None  # CRD-7: one change request at a time
    trading_ended_at: datetime | None = None  # CUS-8: archived; nothing more on credit
    card_version: int = 0  # the customer card's version the region was taken from
    trading_open: bool = False  # CUS-8: as the card said at that version
    version: int = 0
    events: list[ProfileEvent] = field(default_factory=list, repr=False, compare=False)  # new, not stored

    @classmethod
    def open(cls, customer_id: str, region: str | None, registered_by: str, now: datetime) -> "CreditProfile":
        """CRD-1: a new customer has no rating, no limit and no term: cash only."""
        return cls(customer_id=customer_id, region=region, registered_by=registered_by, registered_at=now)

    # -- what the profile shows ---------------------------------------------------------------------

    @property
    def receivables_fen(self) -> int:
        return sum(i.balance_fen for i in self.invoices if i.is_open)

    @property
    def notes_fen(self) -> int:
        return sum(n.amount_fen for n in self.notes if n.status is NoteStatus.RECEIVED)

    @property
    def exposure_fen(self) -> int:
        """CRD-2 占用额度 = open receivables + unsettled notes."""
        return self.receivables_fen + self.notes_fen

    @property
    def has_credit(self) -> bool:
        return self.limit_fen > 0

    @property
    def utilization(self) -> float | None:
        """Exposure as a share of the limit (a ratio for display; decisions use integer fen)."""
        return round(self.exposure_fen / self.limit_fen, 4) if self.has_credit else None

    @property
    def on_hold(self) -> bool:
        """CRD-10: on hold while an emergency waits for (or kept, by stopping shipments) a decision."""
        return any(e.holds for e in self.emergencies)

    @property
    def standing(self) -> Standing:
        if self.on_hold:
            return Standing.ON_HOLD
        if not self.has_credit:
            return Standing.OVER_LIMIT if self.exposure_fen > 0 else Standing.CASH_ONLY
        if AlertLevel.OVER_LIMIT.reached(self.exposure_fen, self.limit_fen):
            return Standing.OVER_LIMIT
        if AlertLevel.WARNING.reached(self.exposure_fen, self.limit_fen):
            return Standing.NEAR_LIMIT
        return Standing.IN_GOOD_STANDING

    @property
    def salesperson_id(self) -> str | None:
        """CRD-3: the owner once ownership has spoken; before that, the salesperson on the latest
        invoice that names one, else whoever registered the customer."""
        if self.owner_known:
            return self.owner_id
        named = [i for i in self.invoices if i.salesperson_id]
        if named:
            return max(named, key=lambda i: (i.issued_at, i.invoice_id)).salesperson_id
        return self.registered_by

    def open_invoices(self) -> list[Invoice]:
        return sorted((i for i in self.invoices if i.is_open), key=lambda i: (i.issued_at, i.invoice_id))

    def overdue_invoices(self, now: datetime) -> list[Invoice]:
        """CRD-5: open invoices past their due date, most overdue first."""
        return sorted((i for i in self.invoices if i.is_overdue(now)), key=lambda i: (i.due_at, i.invoice_id))

    def ageing(self, now: datetime) -> Ageing:
        return Ageing.of(self.invoices, now)

    def earliest_open_due_at(self) -> datetime | None:
        return min((i.due_at for i in self.invoices if i.is_open), default=None)

    def long_overdue_due_at(self) -> datetime | None:
        """CUS-3: when the next open invoice passes 30 days overdue unannounced (the overdue sweep looks)."""
        return min((i.long_overdue_at() for i in self.invoices if i.is_open and not i.long_overdue_announced),
                   default=None)

    def announce_long_overdue(self, now: datetime) -> bool:
        """CUS-3: every invoice more than 30 days overdue (still, or until it was paid) is told when it passes
        30 days, and told again when it is paid; one paid before it was told is told once, paid."""
        announced = False
        for invoice in self.invoices:
            if not invoice.is_long_overdue(now) or (
                    invoice.long_overdue_announced and (invoice.is_open or invoice.payment_announced)):
                continue
            invoice.long_overdue_announced, invoice.payment_announced = True, not invoice.is_open
            self.events.append(InvoiceLongOverdue(
                self.customer_id, invoice.invoice_id, invoice.days_overdue(min(now, invoice.settled_at or now)),
                invoice.due_at, None if invoice.is_open else invoice.settled_at))
            announced = True
        return announced

    def investigation_due_at(self) -> datetime:
        return investigation_due_at(self.rating, self.last_investigation_at, self.rated_at, self.registered_at)

    def invoice(self, invoice_id: str) -> Invoice | None:
        return next((i for i in self.invoices if i.invoice_id == invoice_id), None)

    def note(self, note_id: str) -> Note | None:
        return next((n for n in self.notes if n.note_id == note_id), None)

    def emergency(self, emergency_id: str) -> Emergency:
        found = next((e for e in self.emergencies if e.emergency_id == emergency_id), None)
        if found is None:
            raise Invalid("emergencyId", f"no emergency {emergency_id} for customer {self.customer_id}")
        return found

    # -- CRD-4 ----------------------------------------------------------------------------------------

    def check(self, amount_fen: int, now: datetime) -> CreditDecision:
        """CRD-4: allowed if exposure + amount ≤ limit, no hold, nothing overdue; else every reason."""
        if amount_fen <= 0:
            raise Invalid("amountFen", "must be a positive amount of fen")
        exposure = self.exposure_fen
        reasons: list[Reason] = []
        if not self.has_credit:
            reasons.append(Reason(ReasonCode.NO_CREDIT, "no credit limit approved: cash only (CRD-1)"))
        elif exposure + amount_fen > self.limit_fen:
            shortfall = exposure + amount_fen - self.limit_fen
            reasons.append(Reason(
                ReasonCode.OVER_LIMIT,
                f"exposure {fen(exposure)} + {fen(amount_fen)} exceeds the limit {fen(self.limit_fen)} "
                f"by {fen(shortfall)}", shortfall_fen=shortfall))
        if self.trading_ended_at is not None:
            reasons.append(Reason(ReasonCode.TRADING_ENDED, "trading with this customer ended "
                                  f"{business_date(self.trading_ended_at).isoformat()} (CUS-8)"))
        if self.on_hold:
            held = [e for e in self.emergencies if e.holds]
            reasons.append(Reason(ReasonCode.ON_HOLD, "credit hold (CRD-10): " + "; ".join(
                f"{e.kind.value} reported {business_date(e.reported_at).isoformat()}" for e in held)))
        overdue = self.overdue_invoices(now)
        if overdue:
            reasons.append(Reason(
                ReasonCode.OVERDUE,
                f"{len(overdue)} invoice(s) overdue, {fen(sum(i.balance_fen for i in overdue))} unpaid: "
                + ", ".join(f"{i.invoice_id} ({i.days_overdue(now)} days)" for i in overdue),
                invoice_ids=tuple(i.invoice_id for i in overdue)))
        return CreditDecision(self.customer_id, amount_fen, not reasons, tuple(reasons), exposure, self.limit_fen)

    # -- CRD-2 and CRD-11: the ledger ------------------------------------------------------------------

    def apply_invoice(self, invoice_id: str, amount_fen: int, issued_at: datetime, salesperson_id: str | None,
                      now: datetime) -> bool:
        """A sale on credit, due on its issue date + the credit term approved when it was issued (CRD-5: not
        the due date ERP prints; a cash-only customer's is due at once). The same invoice again changes
        nothing (CRD-11). Returns whether it changed."""
        known = self.invoice(invoice_id)
        if known is not None:
            if known.amount_fen != amount_fen:
                raise RuleViolation("CRD-11", f"invoice {invoice_id} was recorded with {fen(known.amount_fen)}, "
                                              f"now it says {fen(amount_fen)}", invoiceId=invoice_id)
            return False
        _positive(amount_fen)
        invoice = Invoice(invoice_id, amount_fen, issued_at, issued_at + timedelta(days=self.term_days),
                          salesperson_id)
        self.invoices.append(invoice)
        if self.credit_balance_fen:  # money the customer left with us pays the new invoice first
            used = min(self.credit_balance_fen, amount_fen)
            self.credit_balance_fen -= used
            self._pay(invoice, used, issued_at)
        self._reassess(now)
        return True

    def apply_payment(self, payment_id: str, amount_fen: int, received_at: datetime,
                      invoice_ids: list[str] | None, now: datetime) -> Payment | None:
        """A receipt: to the listed invoices first (in their order), then the oldest open ones; what is
        left is kept as the customer's credit balance. The same payment again changes nothing (CRD-11)."""
        known = next((p for p in self.payments if p.payment_id == payment_id), None)
        if known is not None:
            if known.amount_fen != amount_fen:
                raise RuleViolation("CRD-11", f"payment {payment_id} was recorded with {fen(known.amount_fen)}, "
                                              f"now it says {fen(amount_fen)}", paymentId=payment_id)
            return None
        _positive(amount_fen)
        listed = list(dict.fromkeys(invoice_ids or []))
        unknown = [i for i in listed if self.invoice(i) is None]
        if unknown:
            raise RuleViolation("CRD-11", f"payment {payment_id} names invoices unknown for customer "
                                          f"{self.customer_id}: {', '.join(unknown)}", unknownInvoiceIds=unknown)
        order = [self.invoice(i) for i in listed] + [i for i in self.open_invoices() if i.invoice_id not in listed]
        left, allocations = amount_fen, []
        for invoice in order:
            assert invoice is not None
            share = min(left, invoice.balance_fen)
            if share > 0:
                self._pay(invoice, share, received_at)
                allocations.append(Allocation(invoice.invoice_id, share))
                left -= share
        self.credit_balance_fen += left
        payment = Payment(payment_id, amount_fen, received_at, tuple(allocations), left)
        self.payments.append(payment)
        self._reassess(now)
        return payment

    def receive_note(self, note_id: str, amount_fen: int, matures_at: datetime, now: datetime) -> bool:
        known = self.note(note_id)
        if known is not None:
            if known.amount_fen != amount_fen:
                raise RuleViolation("CRD-11", f"note {note_id} was recorded with {fen(known.amount_fen)}, "
                                              f"now it says {fen(amount_fen)}", noteId=note_id)
            return False
        _positive(amount_fen)
        self.notes.append(Note(note_id, amount_fen, matures_at, received_at=now))
        self._reassess(now)
        return True

    def settle_note(self, note_id: str, now: datetime) -> bool:
        """The note was paid: it no longer counts as exposure."""
        if not self._close_note(note_id, NoteStatus.SETTLED, now):
            return False
        self._reassess(now)
        return True

    def dishonour_note(self, note_id: str, emergency_id: str, now: datetime) -> bool:
        """CRD-10: a dishonoured note (拒付) is owed again, due when the note matured, and it is an
        emergency: the customer goes on credit hold at once."""
        if not self._close_note(note_id, NoteStatus.DISHONOURED, now):
            return False
        note = self.note(note_id)
        assert note is not None
        self.invoices.append(Invoice(f"note:{note_id}", note.amount_fen, note.received_at, note.matures_at,
                                     source=InvoiceSource.DISHONOURED_NOTE))
        self.report_emergency(emergency_id, EmergencyKind.DISHONOURED_NOTE,
                              f"note {note_id} of {fen(note.amount_fen)} was dishonoured", "system", now)
        self._reassess(now)
        return True

    def _close_note(self, note_id: str, status: NoteStatus, now: datetime) -> bool:
        note = self.note(note_id)
        if note is None:
            raise RuleViolation("CRD-11", f"no note {note_id} for customer {self.customer_id}", noteId=note_id)
        if note.status is status:
            return False  # heard before
        if note.status is not NoteStatus.RECEIVED:
            raise RuleViolation("CRD-2", f"note {note_id} is already {note.status.value.lower()}; "
                                         f"it cannot become {status.value.lower()}", noteId=note_id)
        note.status, note.closed_at = status, now
        return True

    def _pay(self, invoice: Invoice, amount_fen: int, at: datetime) -> None:
        invoice.paid_fen += amount_fen
        if not invoice.is_open:
            invoice.settled_at = at

    # -- who, where ------------------------------------------------------------------------------------

    def change_owner(self, owner_id: str | None, changed_at: datetime) -> bool:
        """CRD-3 recipients follow the owner ownership announces; an older announcement is ignored."""
        if self.owner_changed_at is not None and changed_at <= self.owner_changed_at:
            return False
        self.owner_known, self.owner_id, self.owner_changed_at = True, owner_id, changed_at
        return True

    def follow_card(self, region: str | None, trading_open: bool, card_version: int) -> bool:
        """The region of the card at `card_version`, and whether its start-of-trading survey is approved
        (CUS-8); an older update arriving late is ignored. Returns whether the profile took it (and must be
        saved, to remember the version)."""
        if card_version <= self.card_version:
            return False
        self.region, self.trading_open, self.card_version = region, trading_open, card_version
        return True

    def refuse_unless_trading(self) -> None:
        """CUS-8: credit is for customers whose start-of-trading survey has its final approval."""
        if not self.trading_open:
            raise RuleViolation("CUS-8", f"trading with customer {self.customer_id} is not open yet: its "
                                         "start-of-trading survey needs the unit head's and the general manager's "
                                         "approval before credit is requested")

    # -- CRD-7: only a final approval gets here ----------------------------------------------------------

    def change_terms(self, rating: CreditRating | None, limit_fen: int | None, term_days: int | None,
                     request_id: str, now: datetime) -> None:
        """The approved rating, limit and term (None: unchanged)."""
        if rating is not None and rating is not self.rating:
            self.rating, self.rated_at = rating, now
        if limit_fen is not None:
            self.limit_fen = limit_fen
        if term_days is not None:
            self.term_days = term_days
        self.events.append(TermsChanged(self.customer_id, self.rating, self.limit_fen, self.term_days, request_id,
                                        now))
        self._reassess(now)

    # -- CRD-8 / CRD-9 -----------------------------------------------------------------------------------

    def accept_overdue_reason(self, invoice_ids: list[str], reason: str, by: str, now: datetime) -> None:
        """CRD-8: finance accepts why these invoices are late; they no longer count for a downgrade."""
        if not reason.strip():
            raise Invalid("reason", "must not be empty")
        if not invoice_ids:
            raise Invalid("invoiceIds", "name at least one invoice")
        unknown = [i for i in invoice_ids if self.invoice(i) is None]
        if unknown:
            raise Invalid("invoiceIds", f"unknown for this customer: {', '.join(unknown)}")
        for invoice_id in invoice_ids:
            self.accepted_reasons[invoice_id] = AcceptedReason(invoice_id, reason.strip(), by, now)

    def open_dispute(self, complaint_id: str, kind: str, invoice_ids: list[str], at: datetime) -> bool:
        """CRD-8: a quality or contract complaint about invoices holds them out of a downgrade while it is open.
        Other kinds, or none named, hold nothing; the same complaint again changes nothing. Returns whether
        anything changed."""
        if kind not in DISPUTING_KINDS or not invoice_ids or complaint_id in self.disputes:
            return False
        self.disputes[complaint_id] = Dispute(complaint_id, kind, tuple(invoice_ids), at)
        return True

    def reopen_dispute(self, complaint_id: str, at: datetime) -> bool:
        """CRD-8: the complaint was reopened after it was resolved: its invoices are held again."""
        known = self.disputes.get(complaint_id)
        if known is None or known.closed_at is None or known.closed_at > at:
            return False
        known.closed_at = None
        return True

    def close_dispute(self, complaint_id: str, at: datetime) -> bool:
        """CRD-8: the complaint was resolved: its invoices count again."""
        known = self.disputes.get(complaint_id)
        if known is None or known.closed_at is not None or at < known.opened_at:
            return False
        known.closed_at = at
        return True

    def disputed_by(self, invoice_id: str) -> Dispute | None:
        """The open dispute that holds this invoice, if any."""
        return next((d for d in self.disputes.values() if d.closed_at is None and invoice_id in d.invoice_ids),
                    None)

    def record_investigation(self, now: datetime) -> None:
        """CRD-9: a report was filed; the next one is due an interval of the rating later."""
        self.last_investigation_at = now

    # -- CRD-10 ------------------------------------------------------------------------------------------

    def report_emergency(self, emergency_id: str, kind: EmergencyKind, description: str, by: str,
                         now: datetime) -> Emergency:
        """CRD-10: reported at once; the customer is on credit hold until a manager decides."""
        if not description.strip():
            raise Invalid("description", "say what happened")
        was_on_hold = self.on_hold
        emergency = Emergency(emergency_id, kind, description.strip(), by, now)
        self.emergencies.append(emergency)
        if not was_on_hold:
            self.events.append(HoldChanged(self.customer_id, True, f"emergency: {kind.value}: {emergency.description}",
                                           now, emergency_id))
        return emergency

    def decide_countermeasures(self, emergency_id: str, measures: list[Countermeasure], comment: str | None,
                               by: str, now: datetime) -> Emergency:
        """CRD-10: a manager decides; the hold ends unless shipments stay stopped (or another emergency
        still waits)."""
        emergency = self.emergency(emergency_id)
        if emergency.status is EmergencyStatus.RESOLVED:
            raise RuleViolation("CRD-10", f"emergency {emergency_id} was already decided", emergencyId=emergency_id)
        if not measures:
            raise Invalid("measures", "choose at least one countermeasure")
        was_on_hold = self.on_hold
        emergency.countermeasures = tuple(dict.fromkeys(measures))
        emergency.status = (EmergencyStatus.SHIPMENTS_STOPPED if Countermeasure.STOPPED_SHIPMENTS in measures
                            else EmergencyStatus.RESOLVED)
        emergency.decided_by, emergency.decided_at = by, now
        emergency.comment = comment.strip() if comment and comment.strip() else None
        if was_on_hold and not self.on_hold:
            self.events.append(HoldChanged(
                self.customer_id, False, "countermeasures decided: " + ", ".join(m.value for m in
                                                                                emergency.countermeasures),
                now, emergency_id, emergency.countermeasures))
        return emergency

    # -- CRD-3 ---------------------------------------------------------------------------------------------

    def _reassess(self, now: datetime) -> None:
        """CRD-3: an alert for each level crossed going up; falling below a level arms it again. OWN-7/8: the
        receivables are told when they change."""
        if self.receivables_fen != self.receivables_told_fen:
            self.receivables_told_fen, self.receivables_told_seq = self.receivables_fen, self.receivables_told_seq + 1
            self.events.append(ReceivablesChanged(self.customer_id, self.receivables_fen, self.receivables_told_seq,
                                                  now))
        exposure = self.exposure_fen
        for level in AlertLevel:
            if level.reached(exposure, self.limit_fen):
                if level not in self.alerted:
                    self.alerted.add(level)
                    self.events.append(Alert(self.customer_id, level, exposure, self.limit_fen,
                                             tuple(alert_recipients(level, self.salesperson_id, self.region)), now,
                                             self.salesperson_id, self.region))
            else:
                self.alerted.discard(level)


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise Invalid("amountFen", "must be a positive amount of fen")
