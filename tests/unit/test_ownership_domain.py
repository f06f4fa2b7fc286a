"""客户归属 / 客户池: ownership rules OWN-1 … OWN-10.

Pure unit tests of services/ownership/domain.py and handover.py: no I/O, time passed in as datetimes.
"""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import Role
from chassis.clock import add_months
from chassis.errors import Invalid, RuleViolation
from services.ownership.domain import (
    Absence,
    Basis,
    Load,
    Ownership,
    PoolReason,
    PoolRules,
    RecallPeriods,
    RecallWarning,
    Report,
    Salesperson,
    suggest_assignees,
)
from services.ownership.handover import AwaitingApproval, CaseKind, CaseReason, CaseStatus, HandoverCase, Item
from services.ownership.staff import StaffMember

# -- builders ------------------------------------------------------------------------------------

T0 = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)  # registration (mid-month: no month-end clamping)
RULES = PoolRules(max_customers=200, cooldown_days=30)
NOBODY = Load(0)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def months(n: int, after: datetime = T0) -> datetime:
    return add_months(after, n)


def registered_by_salesperson(who: str = "alice", at: datetime = T0) -> Ownership:
    return Ownership.registered("cust-1", region="east", registered_by=who, registered_at=at, by_salesperson=True)


def registered_by_assistant(at: datetime = T0) -> Ownership:
    return Ownership.registered("cust-1", region="east", registered_by="assistant", registered_at=at,
                                by_salesperson=False)


def in_pool_after_lapse(owner: str = "alice") -> Ownership:
    """Registered by `owner` at T0, never bought, back in the pool 2 months later (OWN-1)."""
    ownership = registered_by_salesperson(owner)
    assert ownership.lapse_if_due(months(2)) is not None
    return ownership


def a_report(by: str = "alice", at: datetime = T0) -> Report:
    return Report.filed(situation="busy season, no budget", contacts="王经理 13800138000",
                        progress="quoted twice", by=by, now=at)


def a_salesperson(id: str, region: str = "east", capacity: float = 1.0, active: bool = True) -> Salesperson:
    return Salesperson(id=id, name=id.title(), region=region, capacity_weight=capacity, active=active)


# -- OWN-1 first contact ------------------------------------------------------------------------------


def test_own_1_the_registering_salesperson_owns_by_first_contact_for_two_months() -> None:
    ownership = registered_by_salesperson("alice")
    assert (ownership.owner_id, ownership.basis, ownership.since) == ("alice", Basis.FIRST_CONTACT, T0)
    assert ownership.expires_at == months(2)
    assert not ownership.in_pool


def test_own_1_a_customer_registered_by_someone_who_does_not_sell_is_unowned_in_the_pool() -> None:
    ownership = registered_by_assistant()
    assert ownership.in_pool and ownership.pool_reason is PoolReason.UNOWNED
    assert ownership.basis is None and ownership.history == [] and ownership.expires_at is None


def test_own_1_no_deal_within_two_months_returns_the_customer_to_the_pool() -> None:
    ownership = registered_by_salesperson("alice")
    assert ownership.lapse_if_due(months(2) - timedelta(seconds=1)) is None
    change = ownership.lapse_if_due(months(2) + days(3))
    assert ownership.in_pool and ownership.pool_reason is PoolReason.NO_DEAL
    assert (change.from_owner, change.to_owner, change.basis, change.by) == ("alice", None, Basis.LAPSE, "system")
    assert change.at == months(2)  # it lapsed when the two months ran out, not when a sweep noticed
    assert ownership.since == months(2)


def test_own_1_a_deal_within_two_months_keeps_the_first_contact_owner() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.record_payment("alice", T0 + days(40))
    assert ownership.lapse_if_due(months(2) + days(1)) is None
    assert ownership.owner_id == "alice"


# -- OWN-2 first deal -----------------------------------------------------------------------------------


def test_own_2_the_first_deal_by_another_salesperson_after_a_lapse_makes_them_the_owner() -> None:
    ownership = in_pool_after_lapse("alice")
    change = ownership.record_payment("bob", months(2) + days(5))
    assert (ownership.owner_id, ownership.basis) == ("bob", Basis.FIRST_DEAL)
    assert (change.from_owner, change.to_owner) == (None, "bob")


def test_own_2_a_live_first_contact_claim_of_someone_else_is_never_overridden() -> None:
    ownership = registered_by_salesperson("alice")
    assert ownership.record_payment("bob", T0 + days(30)) is None
    assert (ownership.owner_id, ownership.basis) == ("alice", Basis.FIRST_CONTACT)
    assert ownership.first_deal_at == T0 + days(30)  # the customer has bought: OWN-3's clock runs now
    assert ownership.expires_at == months(3, T0 + days(30))


def test_own_2_a_claim_that_had_run_out_when_the_payment_came_is_overridden() -> None:
    ownership = registered_by_salesperson("alice")  # not yet swept
    change = ownership.record_payment("bob", months(2) + days(1))
    assert (ownership.owner_id, ownership.basis, change.from_owner) == ("bob", Basis.FIRST_DEAL, "alice")


def test_own_2_the_first_contact_owner_closing_the_deal_holds_it_by_first_deal() -> None:
    ownership = registered_by_salesperson("alice")
    change = ownership.record_payment("alice", T0 + days(10))
    assert (ownership.owner_id, ownership.basis) == ("alice", Basis.FIRST_DEAL)
    assert (change.from_owner, change.to_owner, change.basis) == ("alice", "alice", Basis.FIRST_DEAL)


def test_own_2_only_the_first_deal_decides_ownership() -> None:
    ownership = in_pool_after_lapse("alice")
    ownership.record_payment("carol", months(2) + days(1))
    assert ownership.record_payment("bob", months(2) + days(2)) is None
    assert (ownership.owner_id, ownership.basis) == ("carol", Basis.FIRST_DEAL)


def test_own_2_a_payment_naming_no_salesperson_leaves_the_first_deal_to_be_won() -> None:
    ownership = in_pool_after_lapse("alice")
    assert ownership.record_payment(None, months(2) + days(1)) is None  # finance could not attribute it
    assert ownership.in_pool and ownership.first_deal_at is None
    change = ownership.record_payment("bob", months(2) + days(2))
    assert (ownership.owner_id, ownership.basis, change.to_owner) == ("bob", Basis.FIRST_DEAL, "bob")


def test_own_2_a_payment_naming_no_salesperson_is_the_live_owners_deal() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.record_payment(None, T0 + days(10))
    assert (ownership.owner_id, ownership.basis, ownership.first_deal_at) == ("alice", Basis.FIRST_DEAL,
                                                                               T0 + days(10))


# -- OWN-3 three months without sales ----------------------------------------------------------------------


def test_own_3_bought_then_three_months_without_a_sale_returns_to_the_pool() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.record_payment("alice", T0 + days(10))
    ownership.record_sale(T0 + days(20))
    last_sale = T0 + days(20)
    assert ownership.expires_at == months(3, last_sale)
    assert ownership.lapse_if_due(months(3, last_sale) - timedelta(seconds=1)) is None
    change = ownership.lapse_if_due(months(3, last_sale))
    assert change.reason is PoolReason.NO_SALE and ownership.in_pool


def test_own_3_each_sale_restarts_the_three_months() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.record_sale(T0 + days(5))
    ownership.record_sale(T0 + days(80))
    ownership.record_sale(T0 + days(50))  # late news of an older sale changes nothing
    assert ownership.expires_at == months(3, T0 + days(80))


def test_own_3_a_new_owner_of_a_customer_who_bought_long_ago_gets_three_months_from_taking_it() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.record_sale(T0 + days(1))
    ownership.lapse_if_due(T0 + days(200))
    ownership.claim("bob", "east", NOBODY, RULES, T0 + days(200))
    assert ownership.expires_at == months(3, T0 + days(200))


# -- OWN-4 referral -------------------------------------------------------------------------------------------


def test_own_4_a_customer_brought_by_management_is_owned_by_the_salesperson_as_a_referral() -> None:
    ownership = registered_by_assistant()
    change = ownership.refer("bob", NOBODY, RULES, by="manager-1", note="the GM's old classmate", now=T0 + days(1))
    assert (ownership.owner_id, ownership.basis) == ("bob", Basis.REFERRAL)
    assert (change.by, change.note) == ("manager-1", "the GM's old classmate")


def test_own_4_a_referral_does_not_take_a_customer_someone_owns() -> None:
    ownership = registered_by_salesperson("alice")
    with pytest.raises(RuleViolation) as refused:
        ownership.refer("bob", NOBODY, RULES, by="manager-1", note=None, now=T0)
    assert refused.value.extensions["rule"] == "OWN-4"


# -- OWN-5 the pool ---------------------------------------------------------------------------------------------


def test_own_5_any_salesperson_may_claim_a_pool_customer() -> None:
    ownership = registered_by_assistant()
    change = ownership.claim("bob", "east", NOBODY, RULES, T0 + days(1))
    assert (ownership.owner_id, ownership.basis, change.by) == ("bob", Basis.CLAIM, "bob")
    assert ownership.expires_at == months(2, T0 + days(1))  # never bought: two months to close a deal


def test_own_5_claiming_an_owned_customer_names_the_owners_basis_and_expiry() -> None:
    ownership = registered_by_salesperson("alice")
    with pytest.raises(RuleViolation) as refused:
        ownership.claim("bob", "east", NOBODY, RULES, T0 + days(1))
    details = refused.value.extensions
    assert details["rule"] == "OWN-5" and details["basis"] == "FIRST_CONTACT" and details["ownerId"] == "alice"
    assert details["expiresAt"] == months(2).isoformat()
    assert "FIRST_CONTACT" in refused.value.message and months(2).date().isoformat() in refused.value.message


def test_own_5_a_salesperson_at_the_cap_is_refused_with_the_limit_and_when_it_lifts() -> None:
    ownership = registered_by_assistant()
    next_lapse = T0 + days(17)
    with pytest.raises(RuleViolation) as refused:
        ownership.claim("bob", "east", Load(2, next_lapse), PoolRules(max_customers=2), T0)
    details = refused.value.extensions
    assert (details["rule"], details["limit"], details["owned"]) == ("OWN-5", 2, 2)
    assert details["liftsAt"] == next_lapse.isoformat()
    assert ownership.in_pool


def test_own_5_the_previous_owner_waits_out_the_cooldown_before_claiming_again() -> None:
    ownership = in_pool_after_lapse("alice")  # lapsed at months(2)
    lifts = months(2) + days(30)
    with pytest.raises(RuleViolation) as refused:
        ownership.claim("alice", "east", NOBODY, RULES, lifts - timedelta(minutes=1))
    assert refused.value.extensions["liftsAt"] == lifts.isoformat()
    assert refused.value.extensions["cooldownDays"] == 30
    ownership.claim("alice", "east", NOBODY, RULES, lifts)
    assert ownership.owner_id == "alice"


def test_own_5_the_cooldown_is_configuration() -> None:
    ownership = in_pool_after_lapse("alice")
    ownership.claim("alice", "east", NOBODY, PoolRules(cooldown_days=7), months(2) + days(7))
    assert ownership.owner_id == "alice"


def test_own_5_an_archived_customer_cannot_be_claimed() -> None:
    ownership = registered_by_assistant()
    ownership.terminate()
    with pytest.raises(RuleViolation):
        ownership.claim("bob", "east", NOBODY, RULES, T0)
    assert ownership.available_at() is None


# -- OWN-6 reports -----------------------------------------------------------------------------------------------


def test_own_6_a_release_needs_situation_contacts_and_progress() -> None:
    with pytest.raises(Invalid) as refused:
        Report.filed(situation="x", contacts=" ", progress="y", by="alice", now=T0)
    assert refused.value.extensions["field"] == "report.contacts"


def test_own_6_release_by_hand_goes_to_the_pool_with_the_report_and_starts_the_cooldown() -> None:
    ownership = registered_by_salesperson("alice")
    change = ownership.release(a_report(at=T0 + days(3)), None, RULES, by="alice", now=T0 + days(3))
    assert ownership.in_pool and ownership.pool_reason is PoolReason.RELEASED
    assert change.report.progress == "quoted twice"
    assert ownership.cooldown_until("alice", RULES) == T0 + days(33)


def test_own_6_a_report_filed_ahead_goes_with_the_automatic_return() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.file_report(a_report(at=T0 + days(50)))
    change = ownership.lapse_if_due(months(2))
    assert change.report is not None and change.report.situation == "busy season, no budget"


def test_own_6_an_automatic_return_without_a_report_carries_none() -> None:
    change = registered_by_salesperson("alice").lapse_if_due(months(2))
    assert change.report is None


def test_own_6_a_late_report_completes_the_return_it_was_missing_from() -> None:
    ownership = in_pool_after_lapse("alice")
    ownership.attach_late_report(months(2), a_report(at=months(2) + days(1)))
    assert ownership.history[-1].report is not None
    with pytest.raises(RuleViolation):
        ownership.attach_late_report(months(2), a_report(by="bob"))


def test_own_6_only_the_owner_files_a_report_ahead() -> None:
    with pytest.raises(RuleViolation):
        registered_by_salesperson("alice").file_report(a_report(by="bob"))


# -- OWN-7 handover, OWN-8 transfer -------------------------------------------------------------------------------


def a_handover(*customers: str) -> HandoverCase:
    return HandoverCase.handover("case-1", "alice", "east", list(customers), by="manager", now=T0)


def test_own_7_commission_is_on_hold_until_the_handover_is_approved() -> None:
    case = a_handover("c1", "c2")
    assert case.commission_on_hold and case.incomplete() == ["c1", "c2"]
    case.record(Item("c1", successor_id="bob", summary="orders monthly", receivables_fen=120_000_00), ledger_fen=120_000_00, now=T0)
    case.record(Item("c2", to_pool=True, summary="never bought", receivables_fen=0), ledger_fen=0, now=T0)
    assert case.commission_on_hold  # complete, but not yet approved
    moves = case.approve({"c1", "c2"}, by="manager", now=T0 + days(1))
    assert [m.customer_id for m in moves] == ["c1", "c2"]
    assert not case.commission_on_hold and case.status is CaseStatus.APPROVED


def test_own_7_approval_refuses_until_every_customer_is_handed_over_cleanly() -> None:
    case = a_handover("c1", "c2")
    case.record(Item("c1", successor_id="bob"), ledger_fen=0, now=T0)  # the summary missing
    with pytest.raises(RuleViolation) as refused:
        case.approve({"c1", "c2"}, by="manager", now=T0)
    assert refused.value.extensions["rule"] == "OWN-7"
    assert refused.value.extensions["missing"] == ["c1", "c2"]


def test_own_7_the_receivables_handed_over_are_credits_and_a_typed_figure_must_agree() -> None:
    case = a_handover("c1")
    with pytest.raises(RuleViolation) as refused:
        case.record(Item("c1", successor_id="bob", summary="s", receivables_fen=1_00), ledger_fen=5_000_00, now=T0)
    assert refused.value.extensions["ledgerReceivablesFen"] == 5_000_00
    case.record(Item("c1", successor_id="bob", summary="s"), ledger_fen=5_000_00, now=T0)
    assert case.items[0].receivables_fen == 5_000_00 and case.items[0].complete


def test_own_7_a_customer_gained_after_the_handover_started_must_be_handed_over_too() -> None:
    case = a_handover("c1")
    case.record(Item("c1", to_pool=True, summary="s", receivables_fen=0), ledger_fen=0, now=T0)
    with pytest.raises(RuleViolation) as refused:
        case.approve({"c1", "c9"}, by="manager", now=T0)
    assert refused.value.extensions["missing"] == ["c9"]


def test_own_7_the_handover_moves_the_customer_with_its_summary_and_receivables() -> None:
    ownership = registered_by_salesperson("alice")
    change = ownership.hand_over("bob", Basis.HANDOVER, summary="orders monthly", receivables_fen=5_000_00,
                                 by="manager", now=T0 + days(5))
    assert (ownership.owner_id, ownership.basis) == ("bob", Basis.HANDOVER)
    assert (change.note, change.receivables_fen, change.by) == ("orders monthly", 5_000_00, "manager")
    ownership.hand_over(None, Basis.HANDOVER, summary="bob left too", receivables_fen=0, by="manager",
                        now=T0 + days(6))
    assert ownership.in_pool and ownership.pool_reason is PoolReason.HANDED_BACK


def test_own_8_an_incomplete_transfer_holds_the_commission_until_completed() -> None:
    case = HandoverCase.transfer("case-2", "alice", "east", Item("c1", successor_id="bob"), CaseReason.JOB_CHANGE,
                                 ledger_fen=0, by="alice", now=T0)
    assert case.commission_on_hold and case.incomplete() == ["c1"]
    case.record(Item("c1", summary="customer asked for a Mandarin speaker", receivables_fen=0), ledger_fen=0, now=T0)
    assert not case.commission_on_hold and case.items[0].successor_id == "bob"
    case.approve({"c1"}, by="manager", now=T0)
    assert case.basis is Basis.TRANSFER


def test_own_8_a_transfer_names_another_salesperson() -> None:
    with pytest.raises(Invalid):
        HandoverCase.transfer("case-3", "alice", "east", Item("c1", successor_id="alice"),
                              CaseReason.CUSTOMER_REQUEST, ledger_fen=0, by="alice", now=T0)
    with pytest.raises(Invalid):
        HandoverCase.transfer("case-3", "alice", "east", Item("c1", to_pool=True), CaseReason.JOB_CHANGE,
                              ledger_fen=0, by="alice", now=T0)


def test_own_8_receivables_cannot_be_negative_and_a_decided_case_is_closed() -> None:
    case = a_handover("c1")
    with pytest.raises(Invalid):
        case.record(Item("c1", to_pool=True, summary="s", receivables_fen=-1), ledger_fen=0, now=T0)
    case.reject("redo with the real receivables", by="manager", now=T0)
    assert case.commission_on_hold  # OWN-7: nothing was handed over: still to be done
    with pytest.raises(RuleViolation):
        case.record(Item("c1", to_pool=True, summary="s", receivables_fen=0), ledger_fen=0, now=T0)


# -- OWN-9 assignment ----------------------------------------------------------------------------------------------


def test_own_9_the_suggestion_is_the_lowest_load_relative_to_capacity_in_the_region() -> None:
    people = [a_salesperson("ann", capacity=1.0), a_salesperson("ben", capacity=2.0),
              a_salesperson("cat", capacity=1.0), a_salesperson("dan", region="west"),
              a_salesperson("eve", active=False)]
    owned = {"ann": 3, "ben": 5, "cat": 2, "dan": 0, "eve": 0}
    ranked = suggest_assignees(people, owned, region="east", rules=RULES, now=T0)
    assert [(c.salesperson.id, c.load_ratio) for c in ranked] == [("cat", 2.0), ("ben", 2.5), ("ann", 3.0)]


def test_own_9_nobody_at_the_cap_or_excluded_is_suggested() -> None:
    people = [a_salesperson("ann"), a_salesperson("ben"), a_salesperson("cat")]
    ranked = suggest_assignees(people, {"ann": 2, "ben": 0}, region="east", rules=PoolRules(max_customers=2), now=T0,
                               excluded=frozenset({"ben"}))
    assert [c.salesperson.id for c in ranked] == ["cat"]


def test_own_9_assignment_takes_only_unowned_customers() -> None:
    ownership = registered_by_assistant()
    ownership.assign("bob", NOBODY, RULES, by="manager", now=T0)
    assert (ownership.owner_id, ownership.basis) == ("bob", Basis.ASSIGNMENT)
    with pytest.raises(RuleViolation) as refused:
        ownership.assign("cat", NOBODY, RULES, by="manager", now=T0)
    assert refused.value.extensions["rule"] == "OWN-9"


def test_own_9_a_salesperson_needs_a_positive_capacity() -> None:
    with pytest.raises(Invalid) as refused:
        a_salesperson("ann", capacity=0).validate()
    assert refused.value.extensions["field"] == "capacityWeight"


# -- OWN-10 history -------------------------------------------------------------------------------------------------


def test_own_10_every_change_of_owner_is_kept_from_to_basis_when_by() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.lapse_if_due(months(2))
    ownership.claim("bob", "east", NOBODY, RULES, months(2) + days(1))
    ownership.release(a_report("bob"), None, RULES, by="bob", now=months(2) + days(9))
    ownership.assign("cat", NOBODY, RULES, by="manager", now=months(2) + days(10))
    ownership.record_payment("cat", months(2) + days(12))
    assert [(c.from_owner, c.to_owner, c.basis, c.by) for c in ownership.history] == [
        (None, "alice", Basis.FIRST_CONTACT, "alice"),
        ("alice", None, Basis.LAPSE, "system"),
        (None, "bob", Basis.CLAIM, "bob"),
        ("bob", None, Basis.LAPSE, "bob"),
        (None, "cat", Basis.ASSIGNMENT, "manager"),
        ("cat", "cat", Basis.FIRST_DEAL, "system"),
    ]
    assert [c.at for c in ownership.history] == [T0, months(2), months(2) + days(1), months(2) + days(9),
                                                 months(2) + days(10), months(2) + days(12)]


# -- the staff directory (CMP-4's escalations follow it) -----------------------------------------------------


def test_cmp_4_a_staff_record_names_a_role_and_nobody_manages_themself() -> None:
    with pytest.raises(Invalid) as refused:
        StaffMember("rm-1", "东区经理", (Role.REGION_MANAGER,), "east", manager_id="rm-1").saved()
    assert refused.value.extensions["field"] == "managerId"
    with pytest.raises(Invalid):
        StaffMember("rm-1", "东区经理", ()).saved()
    member = StaffMember("rep-1", "王", (Role.SALES,), "east", manager_id="rm-1")
    member.saved()
    assert [e.member for e in member.events] == [member]


# -- protected customers (issue 16): out of automatic recall, within an allowance --------------------------


def test_a_protected_customer_is_never_recalled_and_runs_out_at_the_lift_not_in_the_past() -> None:
    ownership = registered_by_salesperson("alice")  # OWN-1: back to the pool 2 months after registration
    ownership.protect("大单谈判中, 年底签约", protected_already=4, rules=RULES, by="alice", now=T0 + days(10))
    assert ownership.expires_at is None
    assert ownership.lapse_if_due(months(6)) is None  # long past the 2 months: still alice's

    ownership.lift_protection(months(6))
    assert ownership.expires_at == months(6)  # not backdated to months(2)
    change = ownership.lapse_if_due(months(6))
    assert change is not None and change.at == months(6) and ownership.protection is None


def test_an_owner_protects_at_most_five_of_their_customers_and_only_their_own() -> None:
    ownership = registered_by_salesperson("alice")
    with pytest.raises(RuleViolation) as over:
        ownership.protect("重点客户", protected_already=5, rules=RULES, by="alice", now=T0)
    assert over.value.extensions["limit"] == 5
    with pytest.raises(RuleViolation):
        ownership.protect("重点客户", protected_already=0, rules=RULES, by="bob", now=T0)
    with pytest.raises(Invalid):
        ownership.protect("  ", protected_already=0, rules=RULES, by="alice", now=T0)


def test_a_protection_ends_with_its_owner() -> None:
    ownership = registered_by_salesperson("alice")
    ownership.protect("重点客户", protected_already=0, rules=RULES, by="alice", now=T0)
    ownership.release(a_report(), None, RULES, by="alice", now=T0 + days(1))
    assert ownership.protection is None and ownership.protection_lifted_at is None


# -- recall warnings (issue 16): the owner is told N days before the claim runs out -------------------------


def test_the_owner_is_warned_seven_days_before_recall_once_per_expiry() -> None:
    ownership = registered_by_salesperson("alice")  # runs out at months(2)
    expires = months(2)
    assert not ownership.warn_of_recall(expires - days(8), RULES)
    assert ownership.warn_of_recall(expires - days(7), RULES)
    [warning] = [e for e in ownership.events if isinstance(e, RecallWarning)]
    assert (warning.owner_id, warning.expires_at, warning.at) == ("alice", expires, expires - days(7))
    assert not ownership.warn_of_recall(expires - days(1), RULES)  # once

    ownership.record_payment("alice", expires - days(1))  # OWN-2: a first deal moves the expiry (OWN-3)
    assert ownership.expires_at == add_months(expires - days(1), 3)
    assert ownership.warn_of_recall(ownership.expires_at - days(3), RULES)  # warned again, of the new expiry
    assert not ownership.warn_of_recall(ownership.expires_at + days(1), RULES)  # past it: the sweep recalls


def test_own_9_a_salesperson_away_now_is_not_suggested_and_ended_absences_are_forgotten() -> None:
    ann, ben = a_salesperson("ann"), a_salesperson("ben")
    ann.away(Absence(T0 - days(30), T0 - days(20), "年假"), T0 - days(31))
    ann.away(Absence(T0, T0 + days(7), "培训"), T0)
    assert [a.reason for a in ann.absences] == ["培训"]  # the one over by now is gone
    ranked = suggest_assignees([ann, ben], {}, region="east", rules=RULES, now=T0 + days(1))
    assert [c.salesperson.id for c in ranked] == ["ben"]
    assert [c.salesperson.id for c in suggest_assignees([ann, ben], {}, region="east", rules=RULES,
                                                        now=T0 + days(7))] == ["ann", "ben"]
    with pytest.raises(Invalid):
        ann.away(Absence(T0 + days(2), T0 + days(1), "年假"), T0)


# -- beyond the seeds (issue 16): recall periods per level, several pools ------------------------------------

LEVELLED = PoolRules(recall_periods={"VIP": RecallPeriods(no_deal_months=4, no_sale_months=6)},
                     more_pools={"east": ("east-key-accounts",)})


def test_recall_periods_per_level_apply_from_the_level_change_and_a_late_older_change_is_ignored() -> None:
    ownership = registered_by_salesperson()
    ownership.regrade("VIP", T0 + days(1), LEVELLED)
    assert ownership.expires_at == months(4)  # OWN-1's period for a VIP
    ownership.record_payment("alice", T0 + days(10))
    assert ownership.expires_at == months(6, after=T0 + days(10))  # OWN-3's
    ownership.regrade("C", T0 + days(1), LEVELLED)  # older than the VIP change: changes nothing
    assert (ownership.level, ownership.expires_at) == ("VIP", months(6, after=T0 + days(10)))
    ownership.regrade("C", months(5), LEVELLED)  # shorter now, and over: a week's grace from the change
    assert ownership.expires_at == months(5) + days(LEVELLED.recall_warning_days)


def test_several_pools_lapses_go_home_releases_choose_within_the_region_claims_stay_in_it() -> None:
    lapsed = in_pool_after_lapse()
    assert (lapsed.pool, lapsed.current_pool) == ("east", "east")
    released = registered_by_salesperson()
    released.release(a_report(), "east-key-accounts", LEVELLED, by="alice", now=T0 + days(1))
    assert released.current_pool == "east-key-accounts"
    with pytest.raises(Invalid) as refused:
        registered_by_salesperson().release(a_report(), "west", LEVELLED, by="alice", now=T0 + days(1))
    assert refused.value.extensions["field"] == "pool"
    with pytest.raises(RuleViolation) as elsewhere:
        released.claim("bob", "west", NOBODY, LEVELLED, T0 + days(2))
    assert elsewhere.value.extensions["pool"] == "east-key-accounts"
    assert released.claim("bob", "east", NOBODY, LEVELLED, T0 + days(2)).to_owner == "bob"
    assert released.pool is None and LEVELLED.pools_of(None) == ("shared",)



def test_own_7_own_8_a_case_tells_its_approvers_once_each_time_it_becomes_ready() -> None:
    case = a_handover("c1", "c2")
    case.record(Item("c1", successor_id="bob", summary="s"), ledger_fen=0, now=T0)
    assert not [e for e in case.events if isinstance(e, AwaitingApproval)]
    case.record(Item("c2", to_pool=True, summary="s"), ledger_fen=0, now=T0 + days(1))
    case.record(Item("c2", successor_id="bob", summary="s2"), ledger_fen=0, now=T0 + days(2))  # still ready
    [ready] = [e for e in case.events if isinstance(e, AwaitingApproval)]
    assert (ready.case_id, ready.region, ready.customer_ids, ready.at) == ("case-1", "east", ("c1", "c2"),
                                                                           T0 + days(1))
    complete = HandoverCase.transfer("case-9", "alice", "east", Item("c1", successor_id="bob", summary="s"),
                                     CaseReason.JOB_CHANGE, ledger_fen=0, by="alice", now=T0)
    assert [e.kind for e in complete.events if isinstance(e, AwaitingApproval)] == [CaseKind.TRANSFER]
