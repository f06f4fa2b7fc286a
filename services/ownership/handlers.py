"""Use cases of ownership: one function per command or consumed event.

Every use case first lets time act (`_lapsed`): a claim that ran out goes back to the pool at the
instant it ran out, whether the sweep or a command is first to look.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from chassis.auth import Principal, Role
from chassis.directory import Department
from chassis.errors import Conflict, Forbidden, NotFound, RuleViolation
from chassis.service import Service
from chassis.store import UnitOfWork
from contracts.credit import CreditReceivablesChanged
from contracts.customer import CustomerLevelChanged, CustomerRegistered, CustomerTerminated, CustomerUpdated
from contracts.sales import InvoiceIssued, PaymentReceived
from services.ownership import policy
from services.ownership.domain import (
    Absence,
    Candidate,
    Change,
    Ownership,
    PoolReason,
    Report,
    Salesperson,
    refuse_over_daily_claims,
    suggest_assignees,
)
from services.ownership.settings import OwnershipSettings
from services.ownership.staff import StaffMember
from services.ownership.store import OwnershipStore

Uow = UnitOfWork[OwnershipStore, OwnershipSettings]
OwnershipService = Service[OwnershipStore, OwnershipSettings]


@dataclass(frozen=True)
class ReportFields:
    """OWN-6: situation, contacts, how far talks went."""

    situation: str
    contacts: str
    progress: str

    def filed(self, by: str, now: datetime) -> Report:
        return Report.filed(situation=self.situation, contacts=self.contacts, progress=self.progress, by=by, now=now)


# -- consumed events ---------------------------------------------------------------------------------


async def on_customer_registered(event: CustomerRegistered, uow: Uow) -> None:
    """OWN-1: the registering salesperson owns the customer by first contact; others' go to the pool. A
    salesperson nobody entered in the roster yet is enrolled from their token's claims the event carries."""
    if await uow.store.find(event.customer_id) is not None:
        return  # heard of already
    seller = await enrolled(event.registered_by, event.registered_by_name, event.registered_by_roles,
                            event.registered_by_region, uow)
    ownership = Ownership.registered(event.customer_id, region=event.region, registered_by=event.registered_by,
                                     registered_at=event.registered_at,
                                     by_salesperson=seller is not None and seller.active)
    await _save(ownership, lapsed(ownership, uow.now()), uow)  # heard of late: maybe lapsed already


async def on_payment_received(event: PaymentReceived, uow: Uow) -> None:
    """OWN-2: first deal, once finance confirms receipt. Before the registration: NotFound, retried."""
    ownership = await uow.store.get(event.customer_id)
    changes = lapsed(ownership, event.received_at)  # a claim that had run out before the payment came
    if change := ownership.record_payment(event.salesperson_id, event.received_at):
        changes.append(change)
    await _save(ownership, [*changes, *lapsed(ownership, uow.now())], uow)


async def on_invoice_issued(event: InvoiceIssued, uow: Uow) -> None:
    """OWN-3: the last sale restarts the 3-month clock."""
    ownership = await uow.store.get(event.customer_id)
    changes = lapsed(ownership, event.issued_at)
    ownership.record_sale(event.issued_at)
    await _save(ownership, [*changes, *lapsed(ownership, uow.now())], uow)


async def on_customer_updated(event: CustomerUpdated, uow: Uow) -> None:
    """The customer's region decides who may assign it (OWN-9) and where it shows in the pool."""
    ownership = await uow.store.get(event.customer_id)
    if event.version > ownership.card_version:  # an older update arriving late is ignored
        ownership.relocate(event.region, uow.settings.pool_rules)
        ownership.card_version = event.version
        await _save(ownership, lapsed(ownership, uow.now()), uow)


async def on_customer_level_changed(event: CustomerLevelChanged, uow: Uow) -> None:
    """A customer level may keep other recall periods (OWNERSHIP_RECALL_MONTHS); a claim that ran out before the
    change went back to the pool first."""
    ownership = await uow.store.get(event.customer_id)
    changes = lapsed(ownership, event.changed_at)
    ownership.regrade(event.new_level, event.changed_at, uow.settings.pool_rules)
    await _save(ownership, [*changes, *lapsed(ownership, uow.now())], uow)


async def on_customer_terminated(event: CustomerTerminated, uow: Uow) -> None:
    """CUS-8: an archived customer leaves the pool; its history stays."""
    ownership = await uow.store.get(event.customer_id)
    if not ownership.terminated:
        changes = lapsed(ownership, event.terminated_at)
        ownership.terminate()
        await _save(ownership, changes, uow)


async def on_receivables_changed(event: CreditReceivablesChanged, uow: Uow) -> None:
    """OWN-7 / OWN-8: a handover states what each customer owes as credit's ledger says it; an older figure
    arriving late changes nothing."""
    known = await uow.store.receivables_seq(event.customer_id)
    if known is None or known < event.seq:
        uow.store.record_receivables(event.customer_id, event.receivables_fen, event.seq, known, uow)
    await uow.commit()


SUBSCRIPTIONS = {
    CustomerRegistered: on_customer_registered,
    PaymentReceived: on_payment_received,
    InvoiceIssued: on_invoice_issued,
    CustomerUpdated: on_customer_updated,
    CustomerLevelChanged: on_customer_level_changed,
    CustomerTerminated: on_customer_terminated,
    CreditReceivablesChanged: on_receivables_changed,
}


# -- time: OWN-1, OWN-3, OWN-6 -------------------------------------------------------------------------


async def lapse_if_due(customer_id: str, uow: Uow) -> bool:
    """The sweep's step for one customer; True if it went back to the pool."""
    ownership = await uow.store.get(customer_id)
    changes = lapsed(ownership, uow.now())
    if changes:
        await _save(ownership, changes, uow)
    return bool(changes)


async def warn_of_recall(customer_id: str, uow: Uow) -> bool:
    """The recall-warning sweep's step for one customer; True if its owner was warned."""
    ownership = await uow.store.get(customer_id)
    warned = ownership.warn_of_recall(uow.now(), uow.settings.pool_rules)
    if warned:
        await _save(ownership, [], uow)
    return warned


# -- the pool: OWN-4, OWN-5, OWN-6, OWN-9 -----------------------------------------------------------------


async def claim_customer(customer_id: str, claimant: Principal, uow: Uow) -> Ownership:
    """OWN-5: exactly one of many concurrent claims wins (versioned save); the others are told who won."""
    policy.require_salesperson(claimant)
    rules = uow.settings.pool_rules
    ownership = await uow.store.get(customer_id)
    seller = await enrolled(claimant.user_id, claimant.name, sorted(claimant.roles), claimant.region, uow)
    require_active(seller, claimant.user_id, "only active salespeople claim pool customers")
    now = uow.now()
    changes = lapsed(ownership, now)
    refuse_over_daily_claims(claimant.user_id, await uow.store.claimed_on(claimant.user_id, now), rules)
    changes.append(ownership.claim(claimant.user_id, seller.region, await uow.store.load_of(claimant.user_id), rules,
                                   now))
    stage(ownership, changes, uow)
    uow.store.refuse_over_cap_at_commit(claimant.user_id, 1, rules, uow)
    uow.store.record_claim(claimant.user_id, customer_id, now, rules, uow)
    try:
        await uow.commit()
    except Conflict:
        current = await uow.store.get(customer_id)
        lapsed(current, now)
        if current.owner_id is None:
            raise Conflict("the customer changed while you claimed it; look again and retry") from None
        expires = current.expires_at
        raise RuleViolation(
            "OWN-5", f"someone claimed it first: {current.owner_id} owns it on the basis {current.basis}"
            + (f" until {expires.date().isoformat()}" if expires else ""),
            ownerId=current.owner_id, basis=current.basis.value if current.basis else None,
            expiresAt=expires.isoformat() if expires else None) from None
    return ownership


async def release_customer(customer_id: str, report: ReportFields, pool: str | None, by: Principal, uow: Uow
                           ) -> Ownership:
    """OWN-6: back to the pool by hand with the report, into the pool of its region chosen (default: the region's
    own); a salesperson releases only their own."""
    ownership = await uow.store.get(customer_id)
    now = uow.now()
    changes = lapsed(ownership, now)
    policy.require_may_release(by, ownership)
    changes.append(ownership.release(report.filed(by.user_id, now), pool, uow.settings.pool_rules, by=by.user_id,
                                     now=now))
    await _save(ownership, changes, uow)
    return ownership


async def protect_customer(customer_id: str, reason: str, by: Principal, uow: Uow) -> Ownership:
    """The owner keeps a customer out of automatic recall (OWN-1 / OWN-3), within their allowance."""
    policy.require_salesperson(by)
    ownership = await uow.store.get(customer_id)
    now = uow.now()
    changes = lapsed(ownership, now)  # a claim that already ran out cannot be protected any more
    protected = await uow.store.protected_by(by.user_id)
    ownership.protect(reason, len(protected), uow.settings.pool_rules, by=by.user_id, now=now)
    await _save(ownership, changes, uow)
    return ownership


async def lift_protection(customer_id: str, by: Principal, uow: Uow) -> Ownership:
    ownership = await uow.store.get(customer_id)
    policy.require_may_lift_protection(by, ownership)
    ownership.lift_protection(uow.now())
    await _save(ownership, [], uow)
    return ownership


async def mark_problem_customer(customer_id: str, reason: str, by: Principal, uow: Uow) -> Ownership:
    """OWN-5: a manager puts a problem customer (问题客户) into the pool, saying why."""
    ownership = await uow.store.get(customer_id)
    now = uow.now()
    changes = lapsed(ownership, now)
    policy.require_may_mark_problem(by, ownership)
    changes.append(ownership.mark_problem(reason, by=by.user_id, now=now))
    await _save(ownership, changes, uow)
    return ownership


async def file_return_report(customer_id: str, report: ReportFields, caller: Principal, uow: Uow
                             ) -> Ownership:
    """OWN-6: the owner's report ahead of a return, or the one missing after an automatic return."""
    policy.require_salesperson(caller)
    by = caller.user_id
    ownership = await uow.store.get(customer_id)
    now = uow.now()
    filed = report.filed(by, now)
    if ownership.owner_id == by:
        ownership.file_report(filed)  # it goes with the customer if time returns it
        await _save(ownership, lapsed(ownership, now), uow)
        return ownership
    missing = await uow.store.missing_report(customer_id, by)
    if missing is None:
        raise RuleViolation("OWN-6", "you do not own this customer and no report of yours is missing for it")
    ownership.attach_late_report(missing.lapsed_at, filed)
    uow.store.clear_missing_report(missing, uow)
    await _save(ownership, lapsed(ownership, now), uow)
    return ownership


async def assign_customer(customer_id: str, salesperson_id: str, manager: Principal, uow: Uow) -> Ownership:
    """OWN-9: the regional manager assigns an unowned customer to a salesperson of the region."""
    return await _hand_out(customer_id, salesperson_id, manager, uow, referral=False, note=None)


async def refer_customer(customer_id: str, salesperson_id: str, manager: Principal, note: str | None,
                         uow: Uow) -> Ownership:
    """OWN-4 (有情客户): management hands a customer it brought to a salesperson, marked as a referral."""
    return await _hand_out(customer_id, salesperson_id, manager, uow, referral=True,
                           note=(note or "").strip() or None)


async def _hand_out(customer_id: str, salesperson_id: str, manager: Principal, uow: Uow, *, referral: bool,
                    note: str | None) -> Ownership:
    rules = uow.settings.pool_rules
    ownership = await uow.store.get(customer_id)
    seller = await active_salesperson(salesperson_id, uow, "customers go to active salespeople")
    policy.require_may_assign(manager, ownership, seller, referral=referral)
    now = uow.now()
    changes = lapsed(ownership, now)
    load = await uow.store.load_of(salesperson_id)
    if referral:
        changes.append(ownership.refer(salesperson_id, load, rules, by=manager.user_id, note=note, now=now))
    else:
        changes.append(ownership.assign(salesperson_id, load, rules, by=manager.user_id, now=now))
    stage(ownership, changes, uow)
    uow.store.refuse_over_cap_at_commit(salesperson_id, 1, rules, uow)
    await uow.commit()
    return ownership


async def assignment_candidates(customer_id: str, region_hint: str | None, store: OwnershipStore,
                                settings: OwnershipSettings, now: datetime) -> list[Candidate]:
    """OWN-9: who should get this customer: lowest load relative to capacity in its region first."""
    rules = settings.pool_rules
    ownership = await store.get(customer_id)
    region = ownership.region or region_hint
    people = await store.salespeople_in(region)
    owned = await store.loads([s.id for s in people])
    cooling = frozenset(s.id for s in people
                        if (until := ownership.cooldown_until(s.id, rules)) is not None and now < until)
    return suggest_assignees(people, owned, region=region, rules=rules, now=now,
                             excluded=cooling | ({ownership.owner_id} if ownership.owner_id else set()))


# -- salespeople -------------------------------------------------------------------------------------


async def save_salesperson(salesperson: Salesperson, by: Principal, uow: Uow, *,
                           keep_active: bool = False) -> Salesperson:
    """ADMIN anywhere, a regional manager in their region: add or change a salesperson's record.
    `keep_active`: an edit that does not say leaves a departed salesperson departed (OWN-7)."""
    existing = await uow.store.find_salesperson(salesperson.id)
    if existing:  # their absences are recorded on their own (record_absence)
        salesperson = replace(salesperson, absences=existing.absences)
    if keep_active and existing:
        salesperson = replace(salesperson, active=existing.active)
    policy.require_may_keep_roster(by, salesperson.region, *([existing.region] if existing else []))
    salesperson.validate()
    salesperson.version = existing.version if existing else 0
    uow.store.save_salesperson(salesperson, uow)
    await uow.commit()
    return salesperson


async def record_absence(salesperson_id: str, absence: Absence, by: Principal, uow: Uow) -> Salesperson:
    """OWN-9: while away, a salesperson is not suggested for assignment; ADMIN, or the regional manager of their
    region, records it."""
    salesperson = await uow.store.find_salesperson(salesperson_id)
    if salesperson is None:
        raise NotFound(f"no salesperson {salesperson_id}", id=salesperson_id)
    policy.require_may_keep_roster(by, salesperson.region)
    salesperson.away(absence, uow.now())
    uow.store.save_salesperson(salesperson, uow)
    await uow.commit()
    return salesperson


async def save_staff_member(member: StaffMember, by: Principal, uow: Uow) -> StaffMember:
    """The staff directory (CMP-4): ADMIN anywhere, a regional manager for the people of their region."""
    existing = await uow.store.find_staff_member(member.id)
    policy.require_may_keep_roster(by, member.region, *([existing.region] if existing else []))
    member.version = existing.version if existing else 0
    member.saved()
    uow.store.save_staff_member(member, uow)
    await uow.commit()
    return member


# -- shared steps ------------------------------------------------------------------------------------


def lapsed(ownership: Ownership, at: datetime) -> list[Change]:
    change = ownership.lapse_if_due(at)
    return [change] if change else []


async def _save(ownership: Ownership, changes: list[Change], uow: Uow) -> None:
    stage(ownership, changes, uow)
    await uow.commit()


def stage(ownership: Ownership, changes: list[Change], uow: Uow) -> None:
    """Save (its `ownership.changed` events go out with it) and flag missing reports (OWN-6)."""
    uow.store.save(ownership, uow)
    for change in changes:
        if returned_without_report(change):
            uow.store.flag_missing_report(ownership.customer_id, change, uow)


def returned_without_report(change: Change) -> bool:
    """OWN-6: returned by the 2-month / 3-month rules, or as a problem customer, and its owner had filed no
    report."""
    return (change.to_owner is None and change.from_owner is not None and change.report is None
            and change.reason in (PoolReason.NO_DEAL, PoolReason.NO_SALE, PoolReason.PROBLEM))


async def active_salesperson(salesperson_id: str, uow: Uow, why: str) -> Salesperson:
    return require_active(await uow.store.find_salesperson(salesperson_id), salesperson_id, why)


def require_active(seller: Salesperson | None, salesperson_id: str, why: str) -> Salesperson:
    if seller is None or not seller.active:
        raise Forbidden(f"{salesperson_id} is not an active salesperson: {why}", salespersonId=salesperson_id)
    return seller


async def enrolled(user_id: str, name: str | None, roles: list[str], region: str | None, uow: Uow
                   ) -> Salesperson | None:
    """The roster's record of a person; a salesperson with a region nobody entered yet is enrolled from their
    token's claims (access.md), so a first contact is never lost (OWN-1), and enters the staff directory as a
    salesperson of the sales department unless someone entered them there already."""
    found = await uow.store.find_salesperson(user_id)
    if found is not None or Role.SALES not in roles or not region:
        return found
    salesperson = Salesperson(id=user_id, name=name or user_id, region=region)
    uow.store.save_salesperson(salesperson, uow)
    if await uow.store.find_staff_member(user_id) is None:
        member = StaffMember(user_id, salesperson.name, tuple(Role(r) for r in roles), region,
                             department=Department.SALES)
        member.saved()
        uow.store.save_staff_member(member, uow)
    return salesperson
