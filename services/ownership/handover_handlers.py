"""Use cases of handovers (OWN-7) and transfers (OWN-8): open, fill in, approve or reject a case."""

import uuid
from collections import Counter

from chassis.auth import Principal
from chassis.errors import Conflict, RuleViolation
from services.ownership import policy
from services.ownership.domain import refuse_over_cap
from services.ownership.handlers import Uow, active_salesperson, lapsed, stage
from services.ownership.handover import CaseKind, CaseReason, HandoverCase, Item


async def start_handover(salesperson_id: str, by: Principal, uow: Uow) -> HandoverCase:
    """OWN-7: a departing salesperson's customers, one item each; their commission is on hold until approval."""
    seller = await uow.store.salesperson(salesperson_id)
    policy.require_may_fill_case(by, salesperson_id, seller.region)
    await _refuse_second_open_case(f"handover:{salesperson_id}", uow)
    case = HandoverCase.handover(str(uuid.uuid4()), salesperson_id, seller.region,
                                 await uow.store.owned_by(salesperson_id), by=by.user_id, now=uow.now())
    await _save(case, uow)
    return case


async def request_transfer(customer_id: str, item: Item, reason: CaseReason, by: Principal,
                           uow: Uow) -> HandoverCase:
    """OWN-8: one customer to another salesperson; incomplete summary or receivables → commission hold."""
    ownership = await uow.store.get(customer_id)
    lapsed(ownership, uow.now())
    if ownership.owner_id is None:
        raise RuleViolation("OWN-8", "the customer is in the pool: claim or assign it instead of a transfer")
    owner = await uow.store.find_salesperson(ownership.owner_id)
    region = ownership.region or (owner.region if owner else None)  # whose regional manager approves
    policy.require_may_fill_case(by, ownership.owner_id, region)
    await active_salesperson(item.successor_id or "", uow, "a transfer goes to an active salesperson")
    await _refuse_second_open_case(f"transfer:{customer_id}", uow)
    ledger = await uow.store.receivables_of([customer_id])
    case = HandoverCase.transfer(str(uuid.uuid4()), ownership.owner_id, region, item, reason,
                                 ledger_fen=ledger[customer_id], by=by.user_id, now=uow.now())
    await _save(case, uow)
    return case


async def record_item(case_id: str, item: Item, by: Principal, uow: Uow) -> HandoverCase:
    """Fill in one customer: successor (or pool, on leaving), summary, receivables position."""
    case = await uow.store.case(case_id)
    policy.require_may_fill_case(by, case.salesperson_id, case.region)
    ownership = await uow.store.get(item.customer_id)
    lapsed(ownership, uow.now())
    if ownership.owner_id != case.salesperson_id:
        raise RuleViolation(case.rule, f"{case.salesperson_id} does not own {item.customer_id}",
                            ownerId=ownership.owner_id)
    if item.successor_id:
        await active_salesperson(item.successor_id, uow, "customers go to active salespeople")
    ledger = await uow.store.receivables_of([item.customer_id])
    case.record(item, ledger_fen=ledger[item.customer_id], now=uow.now())
    await _save(case, uow)
    return case


async def approve_case(case_id: str, manager: Principal, uow: Uow) -> HandoverCase:
    """OWN-7 / OWN-8: the regional manager approves; every customer moves as recorded, the hold lifts."""
    rules = uow.settings.pool_rules
    case = await uow.store.case(case_id)
    policy.require_may_decide_case(manager, case)
    now = uow.now()
    ownerships = await uow.store.get_many([i.customer_id for i in case.items])
    for ownership in ownerships.values():
        if changes := lapsed(ownership, now):  # time acted first: no longer theirs to hand over
            stage(ownership, changes, uow)
    owned_now = set(await uow.store.owned_by(case.salesperson_id))
    owned_now -= {c for c, o in ownerships.items() if o.owner_id != case.salesperson_id}
    if case.kind is CaseKind.TRANSFER:
        if case.items[0].customer_id not in owned_now:
            raise RuleViolation("OWN-8", f"{case.salesperson_id} no longer owns {case.items[0].customer_id}: "
                                "reject this transfer")
        owned_now = {case.items[0].customer_id}
    moves = case.approve(owned_now, by=manager.user_id, now=now)
    owed = await uow.store.receivables_of([m.customer_id for m in moves])  # as of the approval
    incoming = Counter(m.successor_id for m in moves if m.successor_id)
    for successor_id, count in incoming.items():
        await active_salesperson(successor_id, uow, "customers go to active salespeople")
        refuse_over_cap(successor_id, await uow.store.load_of(successor_id), rules, count)
    for move in moves:
        ownership = ownerships[move.customer_id]
        change = ownership.hand_over(move.successor_id, case.basis, summary=move.summary or "",
                                     receivables_fen=owed[move.customer_id], by=manager.user_id, now=now)
        stage(ownership, [change], uow)
    for successor_id, count in incoming.items():  # after the saves: checked again inside the transaction
        uow.store.refuse_over_cap_at_commit(successor_id, count, rules, uow)
    if case.kind is CaseKind.HANDOVER:  # the salesperson has left
        seller = await uow.store.salesperson(case.salesperson_id)
        seller.active = False
        uow.store.save_salesperson(seller, uow)
    await _save(case, uow)
    return case


async def reject_case(case_id: str, note: str, staying: bool, manager: Principal, uow: Uow) -> HandoverCase:
    case = await uow.store.case(case_id)
    policy.require_may_decide_case(manager, case)
    case.reject(note, by=manager.user_id, now=uow.now(), staying=staying)
    await _save(case, uow)
    return case


async def _save(case: HandoverCase, uow: Uow) -> None:
    """Save the case (`ownership.commission_hold_changed` goes out with it when its hold starts or lifts)."""
    uow.store.save_case(case, uow)
    await uow.commit()


async def _refuse_second_open_case(key: str, uow: Uow) -> None:
    if open_case := await uow.store.open_case_for(key):
        raise Conflict(f"case {open_case} for {key.split(':', 1)[1]} is still open", openCase=open_case)
