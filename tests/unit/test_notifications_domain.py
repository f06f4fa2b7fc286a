"""Whom each event tells what (issue 16): the recipients the rules name, the preferences they set, and never a
confidential field."""

from datetime import UTC, date, datetime, timedelta

from contracts.complaints import ComplaintDeadlineNear, ComplaintEscalated
from contracts.credit import CreditAlertRaised
from contracts.customer import VisitsOverdue
from contracts.ownership import CaseAwaitingApproval, OwnershipChanged, RecallWarned
from services.notifications.domain import (
    Kind,
    Preferences,
    for_case_awaiting_approval,
    for_credit_alert,
    for_deadline_near,
    for_escalation,
    for_overdue_visits,
    for_ownership_change,
    for_recall_warning,
    wanted,
)

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def alert(level: int, *recipients: str) -> CreditAlertRaised:
    return CreditAlertRaised(customer_id="c1", level=level, exposure_fen=9_123_456, limit_fen=10_000_000,
                             recipients=list(recipients), raised_at=AT, salesperson_id="rep-1", region="east")


def test_crd_3_every_recipient_the_alert_names_is_told_once_and_no_amount_is_in_the_message() -> None:
    told = for_credit_alert(alert(90, "rep-1", "rm-1", "FINANCE", "rep-1"))
    assert [n.recipient_id for n in told] == ["rep-1", "rm-1", "FINANCE"]  # a desk where nobody was named
    assert {n.message for n in told} == {"Credit use reached 90 % of the limit"}
    assert all("9123456" not in n.message.replace(",", "") and "100000" not in n.message for n in told)
    assert for_credit_alert(alert(100, "rep-1"))[0].message == "Over the credit limit"


def test_the_same_news_twice_is_one_notification_per_recipient() -> None:
    assert [n.id for n in for_credit_alert(alert(80, "rep-1"))] == [n.id for n in for_credit_alert(alert(80, "rep-1"))]
    assert for_credit_alert(alert(80, "rep-1"))[0].id != for_credit_alert(alert(90, "rep-1"))[0].id


def escalated(to: str | None, handler: str | None, level: int = 1) -> ComplaintEscalated:
    return ComplaintEscalated(complaint_id="k1", customer_id="c1", escalated_to=to, reason="not acknowledged by …",
                              escalated_at=AT, deadline="ACKNOWLEDGE", handler_id=handler, level=level)


def test_cmp_4_the_person_it_went_up_to_and_its_handler_are_told_each_in_their_words() -> None:
    to_manager, to_handler = for_escalation(escalated("rm-1", "rep-1", level=2))
    assert (to_manager.recipient_id, to_handler.recipient_id) == ("rm-1", "rep-1")
    assert to_manager.message.startswith("A complaint was escalated to you (level 2)")
    assert to_handler.message.startswith("A complaint you handle was escalated (level 2)")
    assert to_manager.complaint_id == "k1" and to_manager.kind is Kind.COMPLAINT_ESCALATED
    assert [n.recipient_id for n in for_escalation(escalated("rm-1", "rm-1"))] == ["rm-1"]
    assert for_escalation(escalated("rm-1", "rep-1", 1))[0].id != for_escalation(escalated("rm-1", "rep-1", 2))[0].id


def test_own_1_the_owner_hears_of_the_recall_ahead_in_the_companys_calendar() -> None:
    expires = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)  # already 2 May in Shanghai
    [told] = for_recall_warning(RecallWarned(customer_id="c1", owner_id="rep-1", expires_at=expires,
                                             warned_at=expires - timedelta(days=7)))
    assert told.recipient_id == "rep-1" and told.kind is Kind.RECALL_WARNING
    assert told.message == "Goes back to the pool on 2026-05-02 unless there is a deal or a sale first"


def changed(reason: str | None, previous: str | None = "rep-1", in_pool: bool = True) -> OwnershipChanged:
    return OwnershipChanged(customer_id="c1", previous_owner_id=previous, owner_id=None, basis="POOL",
                            changed_at=AT, in_pool=in_pool, reason=reason)


def test_own_3_an_automatic_return_to_the_pool_is_told_to_the_owner_a_release_of_their_own_is_not() -> None:
    [told] = for_ownership_change(changed("NO_SALE"))
    assert told.recipient_id == "rep-1" and told.message == "Went back to the pool: no sale for three months"
    assert for_ownership_change(changed("NO_DEAL"))[0].message == "Went back to the pool: no deal within the claim period"
    assert for_ownership_change(changed("RELEASED")) == []
    assert for_ownership_change(changed("NO_SALE", previous=None)) == []


def test_muted_kinds_and_customers_are_not_delivered_to_whoever_muted_them_only() -> None:
    told = for_credit_alert(alert(80, "rep-1", "rm-1")) + for_recall_warning(RecallWarned(
        customer_id="c2", owner_id="rep-1", expires_at=AT, warned_at=AT))
    preferences = {"rep-1": Preferences("rep-1", muted_customers=frozenset({"c1"})),
                   "rm-1": Preferences("rm-1", muted_kinds=frozenset({Kind.RECALL_WARNING}))}
    assert [(n.recipient_id, n.customer_id) for n in wanted(told, preferences)] == [("rm-1", "c1"), ("rep-1", "c2")]
    assert wanted(told, {}) == told
    kept = Preferences("p", frozenset({Kind.CREDIT_ALERT}), frozenset({"c1"}))
    assert kept.changed(None, []) == Preferences("p", frozenset({Kind.CREDIT_ALERT}), frozenset())


def test_own_7_own_8_a_case_ready_for_approval_goes_to_the_regions_managers_desk() -> None:
    [handover] = for_case_awaiting_approval(CaseAwaitingApproval(
        case_id="k1", kind="HANDOVER", salesperson_id="rep-1", region="east", customer_ids=["c1", "c2"], ready_at=AT))
    assert (handover.recipient_id, handover.kind) == ("REGION_MANAGER:east", Kind.CASE_AWAITING_APPROVAL)
    assert handover.message == "The handover of rep-1's 2 customers waits for your approval"
    assert handover.customer_id is None
    [transfer] = for_case_awaiting_approval(CaseAwaitingApproval(
        case_id="k2", kind="TRANSFER", salesperson_id="rep-1", region=None, customer_ids=["c1"], ready_at=AT))
    assert (transfer.recipient_id, transfer.customer_id) == ("REGION_MANAGER", "c1")


def test_cmp_4_a_deadline_coming_due_is_told_to_its_handler_in_the_companys_time() -> None:
    [told] = for_deadline_near(ComplaintDeadlineNear(
        complaint_id="k1", customer_id="c1", handler_id="rep-1", deadline="RESOLUTION",
        due_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC), reminded_at=AT))
    assert (told.recipient_id, told.kind, told.complaint_id) == ("rep-1", Kind.COMPLAINT_DUE_SOON, "k1")
    assert told.message == "A complaint you handle needs a resolution proposed by 2026-03-10 17:00"


def test_cus_5_overdue_visits_are_one_notification_a_day_linking_the_customer_when_there_is_one() -> None:
    [many] = for_overdue_visits(VisitsOverdue(salesperson_id="rep-1", customer_ids=["c1", "c2"], count=2,
                                              day=date(2026, 3, 10), reminded_at=AT))
    assert (many.recipient_id, many.kind, many.customer_id) == ("rep-1", Kind.VISITS_OVERDUE, None)
    assert many.message == "2 customers are overdue for a visit (see your visit plan)"
    [one] = for_overdue_visits(VisitsOverdue(salesperson_id="rep-1", customer_ids=["c1"], count=1,
                                             day=date(2026, 3, 11), reminded_at=AT))
    assert one.customer_id == "c1" and one.message.startswith("1 customer is overdue") and one.id != many.id
