"""客户投诉管理: rules CMP-1 … CMP-7 on the complaint itself.

Pure unit tests of services/complaints/: no I/O, time is passed in as datetimes (Shanghai local
time where the working day matters).
"""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from chassis.directory import Department, StaffRecord
from chassis.errors import Invalid, RuleViolation
from services.complaints.analysis import percentile, summarise
from services.complaints.calendar import WorkingCalendar
from services.complaints.claims import ClaimStatus
from services.complaints.deadlines import DeadlineKind, DeadlinePolicy
from services.complaints.domain import (
    Complaint,
    ComplaintKind,
    DeadlineNear,
    EscalationLine,
    KnownCustomer,
    Severity,
    department_handler,
)
from services.complaints.findings import Meeting, Party, Remedy, Responsibility
from services.complaints.flow import FLOW, Action, ComplaintStatus
from services.complaints.settings import ComplaintsSettings

# -- builders ------------------------------------------------------------------------------------

SHANGHAI = timezone(timedelta(hours=8))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in the company's time zone (working days begin and end there)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


MONDAY = local(2026, 3, 2, 10)
FRIDAY_EVENING = local(2026, 3, 6, 19)
END_OF_MONDAY = local(2026, 3, 10)  # midnight after Monday 9 March
POLICY = DeadlinePolicy()
MANAGERS = {"alice": "boss-of-alice", "bob": "boss-of-bob"}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def escalation_line_of(complaint: Complaint) -> EscalationLine:
    """What the staff directory says for the complaint's current handler (only managers on record here)."""
    return EscalationLine(MANAGERS.get(complaint.handler_id))


def a_complaint(*, at: datetime = MONDAY, by: str = "alice", policy: DeadlinePolicy = POLICY, **overrides
                ) -> Complaint:
    told = {"reason": "待检验", "plan": "取样送检", "expected_resolution_at": at + days(7)}  # CMP-2, as filed
    fields = {"kind": ComplaintKind.PRODUCT_QUALITY, "description": "第三批货有裂纹", "severity": Severity.MEDIUM,
              "product": "轴承 6204", **told, **overrides}
    return Complaint.file(id="cmp-1", reference="CP000001", customer=KnownCustomer("cust-1", "C000001", "华东"),
                          by=by, now=at, policy=policy, **fields)


def investigating(*, at: datetime = MONDAY, **overrides) -> Complaint:
    complaint = a_complaint(at=at, **overrides)
    complaint.acknowledge(by="alice", now=at + hours(1))
    complaint.start_investigation(by="alice", now=at + hours(2))
    return complaint


def a_meeting(*parties: Party, at: datetime = MONDAY) -> Meeting:
    return Meeting(at, parties or (Party.CUSTOMER, Party.PROCESSING_PLANT), "三方会谈纪要")


def found(responsibility: Responsibility = Responsibility.COMPANY, *, at: datetime = MONDAY, **finding) -> Complaint:
    complaint = investigating(at=at)
    if responsibility is not Responsibility.COMPANY:
        finding.setdefault("meeting", a_meeting(at=at + hours(2)))
    complaint.record_finding(responsibility, "装运前质检漏检", by="alice", now=at + hours(3), **finding)
    return complaint


def proposed(*, at: datetime = MONDAY, remedy: Remedy = Remedy.REPLACEMENT, **proposal) -> Complaint:
    complaint = found(at=at)
    complaint.propose_resolution(remedy, by="alice", now=at + hours(4), **proposal)
    return complaint


def resolved(*, at: datetime = MONDAY) -> Complaint:
    complaint = proposed(at=at)
    complaint.resolve(by="alice", now=at + hours(5))
    return complaint


def closed(*, at: datetime = MONDAY) -> Complaint:
    complaint = resolved(at=at)
    complaint.close(by="alice", now=at + hours(6))
    return complaint


def refused_rule(excinfo: pytest.ExceptionInfo) -> object:
    return excinfo.value.extensions["rule"]


def invalid_field(excinfo: pytest.ExceptionInfo) -> object:
    return excinfo.value.extensions["field"]


# -- CMP-1: kinds ---------------------------------------------------------------------------------


def test_cmp_1_the_four_kinds_of_complaint():
    assert {k.value for k in ComplaintKind} == {"PRODUCT_QUALITY", "PURCHASE_CONTRACT", "TRANSPORT", "SERVICE"}


@pytest.mark.parametrize("kind", list(ComplaintKind))
def test_cmp_1_a_complaint_keeps_its_kind_and_severity(kind):
    complaint = a_complaint(kind=kind, severity=Severity.HIGH)

    assert complaint.kind is kind and complaint.severity is Severity.HIGH


def test_cmp_1_a_complaint_without_description_is_refused():
    with pytest.raises(Invalid) as refused:
        a_complaint(description="   ")

    assert invalid_field(refused) == "description"


# -- CMP-2: first responder ------------------------------------------------------------------------


def test_cmp_2_whoever_files_it_is_first_responder_and_handler():
    complaint = a_complaint(by="carol-in-finance")

    assert complaint.first_responder_id == "carol-in-finance" and complaint.handler_id == "carol-in-finance"
    assert complaint.steps[0].action is Action.FILE and complaint.steps[0].by == "carol-in-finance"


def test_cmp_2_the_first_responder_may_move_it_forward_without_a_handling_role():
    from chassis.auth import Principal, Role
    from chassis.errors import Forbidden
    from services.complaints import policy

    def who(user: str, *roles: Role) -> Principal:
        return Principal(user, user, frozenset(roles), "east")

    complaint = a_complaint(by="alice")
    policy.require_may_respond(who("alice", Role.SALES), complaint)
    policy.require_may_handle(who("alice", Role.SALES), complaint)  # the first handler is the first responder
    policy.require_may_handle(who("someone", Role.SERVICE), complaint)
    policy.require_may_handle(who("someone", Role.GENERAL_MANAGER), complaint)
    for outsider in (who("bob", Role.SALES), who("bob", Role.FINANCE), who("rm", Role.REGION_MANAGER)):
        with pytest.raises(Forbidden):
            policy.require_may_handle(outsider, complaint)
    with pytest.raises(Forbidden, match="MONEY"):
        policy.require_may_propose(who("alice", Role.SALES), complaint, Remedy.MONEY)


def staff(id: str, department: Department = Department.QUALITY, manager_id: str | None = None) -> StaffRecord:
    return StaffRecord(id, id, (), None, manager_id, str(department), True)


def test_cmp_2_handing_over_to_a_department_keeps_the_first_responder_on_record():
    complaint = a_complaint(by="alice")
    complaint.hand_over(Department.QUALITY, staff("qa-1"), "质量问题转质量部", by="alice", now=MONDAY + hours(1))

    assert complaint.first_responder_id == "alice" and complaint.handler_id == "qa-1"
    assert complaint.department is Department.QUALITY
    assert complaint.steps[-1].action is Action.HAND_OVER and "alice → qa-1 (QUALITY)" in complaint.steps[-1].note


def test_cmp_2_a_department_takes_it_through_the_person_named_there_else_its_head():
    quality = [staff("qa-1", manager_id="qa-head"), staff("qa-head", manager_id="gm"), staff("qa-2", manager_id="qa-1")]

    assert department_handler(Department.QUALITY, quality, None).id == "qa-head"  # managed from outside it
    assert department_handler(Department.QUALITY, quality, "qa-2").id == "qa-2"
    with pytest.raises(Invalid) as named:
        department_handler(Department.QUALITY, quality, "bob")  # not of the department
    assert named.value.extensions["field"] == "handlerId"
    with pytest.raises(RuleViolation) as nobody:
        department_handler(Department.LOGISTICS, [], None)  # never to nobody
    assert nobody.value.extensions["rule"] == "CMP-2"


def test_cmp_2_not_solved_on_the_spot_the_customer_is_told_reason_plan_and_date():
    promised = MONDAY + days(5)
    complaint = a_complaint(reason="需要检测批次", plan="取样送检, 三天内回复", expected_resolution_at=promised)

    assert complaint.first_response.reason == "需要检测批次" and complaint.first_response.plan.startswith("取样")
    assert complaint.promised_at == promised  # the customer-facing promise
    assert complaint.steps[-1].promised_at == promised
    assert not complaint.awaiting_first_response


@pytest.mark.parametrize(("given", "missing"), [
    ({"reason": "需要检测"}, ["plan", "expectedResolutionAt"]),
    ({"reason": "需要检测", "plan": "送检"}, ["expectedResolutionAt"]),
    ({"plan": "送检", "expected_resolution_at": MONDAY + days(3)}, ["reason"]),
    ({"reason": " ", "plan": "送检", "expected_resolution_at": MONDAY + days(3)}, ["reason"]),
])
def test_cmp_2_reason_plan_and_expected_date_are_recorded_together(given, missing):
    with pytest.raises(RuleViolation) as refused:
        a_complaint(**({"reason": None, "plan": None, "expected_resolution_at": None} | given))

    assert refused_rule(refused) == "CMP-2" and refused.value.extensions["missing"] == missing


def test_cmp_2_an_expected_resolution_date_in_the_past_is_refused():
    with pytest.raises(Invalid) as refused:
        a_complaint(reason="r", plan="p", expected_resolution_at=MONDAY - hours(1))

    assert invalid_field(refused) == "expectedResolutionAt"


def test_cmp_2_a_complaint_awaits_its_first_response_until_told_or_resolved():
    complaint = a_complaint(reason=None, plan=None, expected_resolution_at=None)
    assert complaint.awaiting_first_response

    complaint.record_first_response("需要检测", "送检", MONDAY + days(3), by="alice", now=MONDAY + hours(1))
    assert not complaint.awaiting_first_response
    assert not resolved().awaiting_first_response  # solved: nothing left to tell


def test_cmp_2_no_acknowledgement_before_the_customer_is_told_reason_plan_and_date():
    complaint = a_complaint(reason=None, plan=None, expected_resolution_at=None)
    with pytest.raises(RuleViolation) as refused:
        complaint.acknowledge(by="alice", now=MONDAY + hours(1))
    assert refused_rule(refused) == "CMP-2" and complaint.status is ComplaintStatus.RECEIVED
    complaint.record_first_response("需要检测", "送检", MONDAY + days(3), by="alice", now=MONDAY + hours(1))
    complaint.acknowledge(by="alice", now=MONDAY + hours(2))
    assert complaint.status is ComplaintStatus.ACKNOWLEDGED


def test_cmp_2_solved_on_the_spot_closes_at_once_with_its_finding_and_nothing_left_to_tell():
    complaint = a_complaint(reason=None, plan=None, expected_resolution_at=None)
    complaint.solve_on_the_spot(Responsibility.CUSTOMER, "客户误读了说明书, 当场演示", by="alice",
                                now=MONDAY + hours(1))
    assert complaint.status is ComplaintStatus.CLOSED and not complaint.awaiting_first_response
    assert complaint.finding.responsibility is Responsibility.CUSTOMER
    assert complaint.finding.meeting.parties == (Party.CUSTOMER, Party.COMPANY)  # the conversation itself
    assert complaint.resolved_at == complaint.closed_at == complaint.acknowledged_at == MONDAY + hours(1)
    assert [type(e).__name__ for e in complaint.events][-1] == "Resolved"
    with pytest.raises(Invalid) as refused:
        a_complaint().solve_on_the_spot(Responsibility.SUPPLIER, "x", by="alice", now=MONDAY + hours(1))
    assert invalid_field(refused) == "responsibility"


# -- CMP-3: the flow ------------------------------------------------------------------------------


def test_cmp_3_the_whole_flow_records_who_when_and_what_at_every_step():
    complaint = closed()

    assert [(s.action, s.status) for s in complaint.steps] == [
        (Action.FILE, ComplaintStatus.RECEIVED),
        (Action.RECORD_FIRST_RESPONSE, ComplaintStatus.RECEIVED),  # told the customer as it was filed
        (Action.ACKNOWLEDGE, ComplaintStatus.ACKNOWLEDGED),
        (Action.START_INVESTIGATION, ComplaintStatus.INVESTIGATING),
        (Action.RECORD_FINDING, ComplaintStatus.INVESTIGATING),
        (Action.PROPOSE_RESOLUTION, ComplaintStatus.RESOLUTION_PROPOSED),
        (Action.RESOLVE, ComplaintStatus.RESOLVED),
        (Action.CLOSE, ComplaintStatus.CLOSED),
    ]
    assert [s.at for s in complaint.steps] == [MONDAY] + [MONDAY + hours(n) for n in range(7)]
    assert all(s.by == "alice" for s in complaint.steps)
    assert complaint.steps[4].note == "COMPANY: 装运前质检漏检"


S, A = ComplaintStatus, Action
# CMP-3 written out here, not read from the code: received → acknowledged → investigating → resolution
# proposed → resolved → closed (+ reopened); a revised proposal replaces the last; a finding that settles it
# without a remedy closes it from investigation; a finding may be recorded while investigating only; CMP-2:
# solved on the spot, received → closed.
PINNED: dict[ComplaintStatus, dict[Action, ComplaintStatus]] = {
    S.RECEIVED: {A.ACKNOWLEDGE: S.ACKNOWLEDGED, A.SOLVE_ON_THE_SPOT: S.CLOSED},
    S.ACKNOWLEDGED: {A.START_INVESTIGATION: S.INVESTIGATING},
    S.INVESTIGATING: {A.RECORD_FINDING: S.INVESTIGATING, A.PROPOSE_RESOLUTION: S.RESOLUTION_PROPOSED,
                      A.CLOSE: S.CLOSED},
    S.RESOLUTION_PROPOSED: {A.PROPOSE_RESOLUTION: S.RESOLUTION_PROPOSED, A.RESOLVE: S.RESOLVED},
    S.RESOLVED: {A.CLOSE: S.CLOSED, A.REOPEN: S.REOPENED},
    S.CLOSED: {A.REOPEN: S.REOPENED},
    S.REOPENED: {A.START_INVESTIGATION: S.INVESTIGATING},
}
MOVES = (A.ACKNOWLEDGE, A.START_INVESTIGATION, A.RECORD_FINDING, A.PROPOSE_RESOLUTION, A.RESOLVE, A.CLOSE,
         A.REOPEN, A.SOLVE_ON_THE_SPOT)
ILLEGAL = [(status, action) for status in ComplaintStatus for action in MOVES if action not in PINNED[status]]
LEGAL = [(status, action) for status in ComplaintStatus for action in MOVES if action in PINNED[status]]


def attempt(complaint: Complaint, action: Action) -> None:
    at = MONDAY + hours(9)
    match action:
        case A.ACKNOWLEDGE:
            complaint.acknowledge(by="alice", now=at)
        case A.START_INVESTIGATION:
            complaint.start_investigation(by="alice", now=at)
        case A.RECORD_FINDING:
            complaint.record_finding(Responsibility.COMPANY, "x", by="alice", now=at)
        case A.PROPOSE_RESOLUTION:
            complaint.propose_resolution(Remedy.APOLOGY, by="alice", now=at)
        case A.RESOLVE:
            complaint.resolve(by="alice", now=at)
        case A.CLOSE:
            complaint.close(by="alice", now=at)
        case A.REOPEN:
            complaint.reopen("again", by="alice", now=at, policy=POLICY)
        case A.SOLVE_ON_THE_SPOT:
            complaint.solve_on_the_spot(Responsibility.COMPANY, "当场换货", by="alice", now=at)


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_cmp_3_every_move_the_flow_allows_lands_where_the_flow_says(status, action):
    complaint = found()  # has a finding, so only the flow decides
    complaint.status = status
    attempt(complaint, action)
    assert complaint.status is PINNED[status][action]
    assert complaint.steps[-1].action is action


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_cmp_3_a_step_the_flow_does_not_allow_is_refused_naming_the_allowed_ones(status, action):
    complaint = found()  # has a finding, so only the flow can refuse
    complaint.status = status
    steps_before = list(complaint.steps)

    with pytest.raises(RuleViolation) as refused:
        attempt(complaint, action)

    assert refused_rule(refused) == "CMP-3"
    assert refused.value.extensions["status"] == status.value
    assert refused.value.extensions["allowed"] == [a.value for a in complaint.allowed_actions()]
    for allowed in FLOW[status]:
        assert allowed.value in refused.value.message
    assert complaint.status is status and complaint.steps == steps_before  # nothing changed


def test_cmp_3_resolving_a_received_complaint_names_acknowledge_as_the_way_on():
    with pytest.raises(RuleViolation) as refused:
        a_complaint().resolve(by="alice", now=MONDAY + hours(1))

    assert "allowed now: ACKNOWLEDGE → ACKNOWLEDGED, SOLVE_ON_THE_SPOT → CLOSED" in refused.value.message
    assert refused.value.extensions["allowedStatuses"] == ["ACKNOWLEDGED", "CLOSED"]


def test_cmp_3_no_concession_while_investigating_before_the_cause_is_known():
    complaint = investigating()

    with pytest.raises(RuleViolation) as refused:
        complaint.propose_resolution(Remedy.MONEY, amount_fen=50_000, by="alice", now=MONDAY + hours(3))

    assert refused_rule(refused) == "CMP-3" and "cause is known" in refused.value.message
    assert complaint.status is ComplaintStatus.INVESTIGATING and complaint.resolutions == []


def test_cmp_3_once_the_cause_is_known_a_concession_may_be_proposed():
    complaint = found()
    complaint.propose_resolution(Remedy.REPLACEMENT, by="alice", now=MONDAY + hours(4))

    assert complaint.status is ComplaintStatus.RESOLUTION_PROPOSED


def test_cmp_3_the_customer_facing_promise_is_kept_on_every_step():
    first_promise, second_promise = MONDAY + days(5), MONDAY + days(7)
    complaint = investigating(reason="送检", plan="三天出结果", expected_resolution_at=first_promise)
    complaint.record_finding(Responsibility.COMPANY, "漏检", by="alice", now=MONDAY + hours(3))
    complaint.propose_resolution(Remedy.REPLACEMENT, promised_at=second_promise, by="bob", now=MONDAY + hours(4))

    assert [s.action for s in complaint.steps][:2] == [Action.FILE, Action.RECORD_FIRST_RESPONSE]
    assert [s.promised_at for s in complaint.steps] == [None] + [first_promise] * 4 + [second_promise]
    assert complaint.promised_at == second_promise


def test_cmp_3_a_revised_proposal_replaces_the_last_and_both_are_kept():
    complaint = proposed(remedy=Remedy.APOLOGY)
    complaint.propose_resolution(Remedy.MONEY, amount_fen=20_000, no_replacement_available=True, by="alice",
                                 now=MONDAY + hours(5))

    assert complaint.resolution.remedy is Remedy.MONEY
    assert [r.remedy for r in complaint.resolutions] == [Remedy.APOLOGY, Remedy.MONEY]


def test_cmp_3_reopened_goes_back_into_investigation_and_needs_a_new_finding():
    complaint = closed()
    complaint.reopen("换货后仍有裂纹", by="bob", now=MONDAY + days(3), policy=POLICY)

    assert complaint.status is ComplaintStatus.REOPENED and complaint.round == 2
    assert complaint.closed_at is None and complaint.resolved_at is None
    assert complaint.allowed_actions()[0] is Action.START_INVESTIGATION
    complaint.start_investigation(by="bob", now=MONDAY + days(3) + hours(1))
    with pytest.raises(RuleViolation) as refused:
        complaint.propose_resolution(Remedy.APOLOGY, by="bob", now=MONDAY + days(3) + hours(2))
    assert refused_rule(refused) == "CMP-3"  # the first round's finding no longer settles it
    assert complaint.responsibility is Responsibility.COMPANY  # but it stays on record


def test_cmp_3_reopening_needs_a_reason():
    with pytest.raises(Invalid) as refused:
        closed().reopen("  ", by="bob", now=MONDAY + days(3), policy=POLICY)

    assert invalid_field(refused) == "reason"


# -- CMP-4: deadlines ------------------------------------------------------------------------------


def test_cmp_4_filed_friday_evening_must_be_acknowledged_by_the_end_of_monday():
    complaint = a_complaint(at=FRIDAY_EVENING)

    assert complaint.deadline(DeadlineKind.ACKNOWLEDGE).due_at == END_OF_MONDAY
    assert complaint.due_at == END_OF_MONDAY


@pytest.mark.parametrize(("filed", "due"), [
    (local(2026, 3, 2, 9), local(2026, 3, 4)),  # Monday morning → end of Tuesday
    (local(2026, 3, 6, 8), local(2026, 3, 10)),  # Friday morning → end of Monday
    (local(2026, 3, 7, 12), local(2026, 3, 10)),  # Saturday → end of Monday
    (local(2026, 3, 8, 23, 59), local(2026, 3, 10)),  # Sunday just before midnight → end of Monday
    (local(2026, 3, 5, 23, 30), local(2026, 3, 7)),  # Thursday late → end of Friday
])
def test_cmp_4_acknowledge_within_one_working_day_weekends_skipped(filed, due):
    assert a_complaint(at=filed).deadline(DeadlineKind.ACKNOWLEDGE).due_at == due


def test_cmp_4_public_holidays_are_not_working_days():
    national_day = DeadlinePolicy(WorkingCalendar(SHANGHAI, frozenset({date(2026, 3, 9), date(2026, 3, 10)})))

    complaint = a_complaint(at=FRIDAY_EVENING, policy=national_day)

    assert complaint.deadline(DeadlineKind.ACKNOWLEDGE).due_at == local(2026, 3, 12)  # end of Wednesday


@pytest.mark.parametrize(("severity", "due"), [
    (Severity.CRITICAL, local(2026, 3, 4)),  # 1 working day
    (Severity.HIGH, local(2026, 3, 6)),  # 3
    (Severity.MEDIUM, local(2026, 3, 10)),  # 5: Tue … Mon
    (Severity.LOW, local(2026, 3, 17)),  # 10
])
def test_cmp_4_a_resolution_is_due_within_the_working_days_of_its_severity(severity, due):
    complaint = a_complaint(at=local(2026, 3, 2, 9), severity=severity)

    assert complaint.deadline(DeadlineKind.RESOLUTION).due_at == due


def test_cmp_4_resolution_deadlines_by_severity_are_configuration(monkeypatch):
    monkeypatch.setenv("COMPLAINTS_RESOLUTION_WORKING_DAYS", '{"CRITICAL": 2}')
    monkeypatch.setenv("COMPLAINTS_HOLIDAYS", '["2026-03-03"]')
    policy = ComplaintsSettings().deadline_policy

    complaint = a_complaint(at=local(2026, 3, 2, 9), severity=Severity.CRITICAL, policy=policy)

    assert complaint.deadline(DeadlineKind.RESOLUTION).due_at == local(2026, 3, 6)  # Wed, Thu (Tue is a holiday)
    assert policy.resolution_working_days[Severity.LOW] == 10  # the others keep their defaults


def test_cmp_4_a_deadline_of_less_than_a_working_day_is_not_configurable():
    with pytest.raises(ValueError, match="at least 1 working day"):
        ComplaintsSettings(resolution_working_days={"HIGH": 0})


def test_cmp_4_not_acknowledged_by_monday_end_of_day_escalates_to_the_handlers_manager():
    complaint = a_complaint(at=FRIDAY_EVENING, by="alice")

    assert complaint.escalate_overdue(END_OF_MONDAY - timedelta(seconds=1), escalation_line_of(complaint)) == []
    missed = complaint.escalate_overdue(END_OF_MONDAY, escalation_line_of(complaint))

    assert [(d.kind, d.escalated_to, d.escalated_at) for d in missed] == [
        (DeadlineKind.ACKNOWLEDGE, "boss-of-alice", END_OF_MONDAY)]
    assert complaint.escalated_to == ["boss-of-alice"]
    assert complaint.steps[-1].action is Action.ESCALATE and complaint.steps[-1].by == "system"


def test_cmp_4_a_missed_deadline_escalates_once():
    complaint = a_complaint(at=FRIDAY_EVENING)
    complaint.escalate_overdue(END_OF_MONDAY, escalation_line_of(complaint))

    assert complaint.escalate_overdue(END_OF_MONDAY + hours(1), escalation_line_of(complaint)) == []
    assert complaint.escalate_overdue(END_OF_MONDAY + days(1), escalation_line_of(complaint)) == []
    again = complaint.deadline(DeadlineKind.ACKNOWLEDGE).again_at  # then one level up, 2 working days on:
    assert complaint.next_escalation_at == again == local(2026, 3, 13)  # the end of Thursday


def test_cmp_4_still_missed_it_goes_one_level_higher_every_two_working_days_up_to_the_general_manager():
    complaint = a_complaint(at=FRIDAY_EVENING, by="alice")  # the customer is in 华东
    line = EscalationLine("boss-of-alice", ("rm-east",), ("sm-1",), ("gm-1",))
    reached, at = [], END_OF_MONDAY
    while at is not None:
        missed = complaint.escalate_overdue(at, line)
        reached += [(d.escalated_to, d.level) for d in missed if d.kind is DeadlineKind.ACKNOWLEDGE]
        at = complaint.next_escalation_at
    assert reached == [("boss-of-alice", 1), ("rm-east", 2), ("sm-1", 3), ("gm-1", 4)]
    assert complaint.deadline(DeadlineKind.ACKNOWLEDGE).again_at is None  # nobody above the general manager
    boss = EscalationLine("boss-of-alice", managers={"boss-of-alice": "director-7"})
    assert boss.above("boss-of-alice", "华东") == "director-7"  # their own manager first
    assert EscalationLine().above("SALES_MANAGER", None) == "GENERAL_MANAGER"  # never nobody: the rank itself


def test_cmp_4_acknowledged_in_time_nothing_escalates_until_the_resolution_deadline():
    complaint = a_complaint(at=FRIDAY_EVENING)
    complaint.acknowledge(by="alice", now=local(2026, 3, 9, 9))

    assert complaint.escalate_overdue(END_OF_MONDAY + days(1), escalation_line_of(complaint)) == []
    resolution_due = complaint.deadline(DeadlineKind.RESOLUTION).due_at
    assert [d.kind for d in complaint.escalate_overdue(resolution_due, escalation_line_of(complaint))] == [DeadlineKind.RESOLUTION]


def test_cmp_4_proposing_a_resolution_in_time_meets_the_deadline():
    complaint = proposed()

    assert complaint.due_at is None and complaint.next_escalation_at is None
    assert complaint.escalate_overdue(MONDAY + days(60), escalation_line_of(complaint)) == []


def test_cmp_4_escalation_goes_to_the_manager_of_whoever_handles_it_now():
    complaint = a_complaint(at=FRIDAY_EVENING, by="alice")
    complaint.hand_over(Department.SALES, staff("bob", Department.SALES), "转交", by="alice",
                        now=FRIDAY_EVENING + hours(1))

    assert complaint.escalate_overdue(END_OF_MONDAY, escalation_line_of(complaint))[0].escalated_to == "boss-of-bob"


def test_cmp_4_with_no_manager_on_record_a_regional_manager_of_the_region_then_a_sales_manager():
    assert EscalationLine(None, ("rm-a", "rm-b"), ("sm-1",)).escalation_to("east") == "rm-a"
    assert EscalationLine(None, (), ("sm-1",)).escalation_to("east") == "sm-1"
    assert EscalationLine("boss", ("rm-a",), ("sm-1",)).escalation_to("east") == "boss"


def test_cmp_4_escalation_goes_to_nobody_never_the_regional_then_the_sales_managers_stand_in():
    complaint = a_complaint(at=FRIDAY_EVENING, by="nobody-knows")  # the customer is in 华东
    missed = complaint.escalate_overdue(END_OF_MONDAY, escalation_line_of(complaint))
    assert missed[0].escalated_to == "REGION_MANAGER:华东" and "REGION_MANAGER:华东" in complaint.steps[-1].note
    assert complaint.escalated_to == ["REGION_MANAGER:华东"]

    nowhere = Complaint.file(id="cmp-2", reference="CP000002", customer=KnownCustomer("cust-2", "C000002", None),
                             by="nobody-knows", now=FRIDAY_EVENING, policy=POLICY,
                             kind=ComplaintKind.SERVICE, description="没人回电话")
    assert nowhere.escalate_overdue(END_OF_MONDAY, escalation_line_of(nowhere))[0].escalated_to == "SALES_MANAGER"


def test_cmp_4_extending_the_deadline_needs_the_customers_acknowledgement():
    complaint = investigating()
    due = complaint.deadline(DeadlineKind.RESOLUTION).due_at

    with pytest.raises(RuleViolation) as refused:
        complaint.extend_deadline(due + days(7), "  ", by="alice", now=MONDAY + hours(3))

    assert refused_rule(refused) == "CMP-4"
    assert complaint.deadline(DeadlineKind.RESOLUTION).due_at == due


def test_cmp_4_an_extension_with_the_customers_acknowledgement_moves_the_deadline_and_is_recorded():
    complaint = investigating()
    old_due = complaint.deadline(DeadlineKind.RESOLUTION).due_at
    complaint.extend_deadline(old_due + days(7), "王经理电话同意延期, 录音 0309-1", by="alice",
                              now=MONDAY + hours(3))

    current = complaint.deadline(DeadlineKind.RESOLUTION)
    assert current.due_at == old_due + days(7) and current.customer_acknowledgement.startswith("王经理")
    assert complaint.due_at == old_due + days(7)
    assert complaint.steps[-1].action is Action.EXTEND_DEADLINE and "王经理" in complaint.steps[-1].note
    assert [d.superseded_at for d in complaint.deadlines if d.kind is DeadlineKind.RESOLUTION] == [
        MONDAY + hours(3), None]


def test_cmp_4_an_extension_must_be_later_than_the_current_deadline():
    complaint = investigating()
    due = complaint.deadline(DeadlineKind.RESOLUTION).due_at

    with pytest.raises(Invalid) as refused:
        complaint.extend_deadline(due - hours(1), "同意", by="alice", now=MONDAY + hours(3))

    assert invalid_field(refused) == "newDueAt"


def test_cmp_4_an_extended_deadline_missed_again_escalates_again_once():
    complaint = investigating()
    first_due = complaint.deadline(DeadlineKind.RESOLUTION).due_at
    assert len(complaint.escalate_overdue(first_due, escalation_line_of(complaint))) == 1
    complaint.extend_deadline(first_due + days(3), "客户同意延期", by="alice", now=first_due + hours(1))

    assert complaint.escalate_overdue(first_due + days(2), escalation_line_of(complaint)) == []
    assert len(complaint.escalate_overdue(first_due + days(3), escalation_line_of(complaint))) == 1
    assert complaint.escalate_overdue(first_due + days(4), escalation_line_of(complaint)) == []


def test_cmp_4_reopening_starts_a_new_resolution_deadline():
    complaint = closed()
    complaint.reopen("仍有问题", by="bob", now=local(2026, 3, 13, 10), policy=POLICY)

    assert complaint.due_at == local(2026, 3, 21)  # 5 working days from Friday 13th: Mon … Fri


# -- CMP-5: responsibility --------------------------------------------------------------------------


def test_cmp_5_the_company_at_fault_needs_no_meeting():
    complaint = found(Responsibility.COMPANY)

    assert complaint.finding.responsibility is Responsibility.COMPANY and complaint.finding.meeting is None


@pytest.mark.parametrize("responsibility", [Responsibility.CUSTOMER, Responsibility.CARRIER,
                                            Responsibility.UNDETERMINED])
def test_cmp_5_a_disputed_finding_needs_the_parties_recorded_as_having_met(responsibility):
    complaint = investigating()

    with pytest.raises(RuleViolation) as refused:
        complaint.record_finding(responsibility, "客户储存不当", by="alice", now=MONDAY + hours(3))
    assert refused_rule(refused) == "CMP-5"

    meeting = a_meeting(Party.CUSTOMER, Party.PROCESSING_PLANT, at=MONDAY + hours(2))
    complaint.record_finding(responsibility, "客户储存不当", by="alice", now=MONDAY + hours(3), meeting=meeting)
    assert complaint.finding.meeting.parties == (Party.CUSTOMER, Party.PROCESSING_PLANT)


def test_cmp_5_a_meeting_without_the_customer_does_not_settle_a_dispute():
    complaint = investigating()

    with pytest.raises(RuleViolation) as refused:
        complaint.record_finding(Responsibility.CARRIER, "运输途中受潮", by="alice", now=MONDAY + hours(3),
                                 meeting=a_meeting(Party.COMPANY, Party.CARRIER))

    assert refused_rule(refused) == "CMP-5"


def test_cmp_5_a_meeting_is_recorded_once_it_was_held():
    complaint = investigating()

    with pytest.raises(Invalid) as refused:
        complaint.record_finding(Responsibility.CUSTOMER, "x", by="alice", now=MONDAY + hours(3),
                                 meeting=a_meeting(at=MONDAY + days(1)))

    assert invalid_field(refused) == "meeting.heldAt"


def test_cmp_5_closing_without_a_finding_is_refused():
    complaint = investigating()

    with pytest.raises(RuleViolation) as refused:
        complaint.close(by="alice", now=MONDAY + hours(3))

    assert refused_rule(refused) == "CMP-5" and complaint.status is ComplaintStatus.INVESTIGATING


def test_cmp_5_a_finding_that_settles_it_without_a_remedy_may_close_from_investigation():
    complaint = found(Responsibility.CUSTOMER)
    complaint.close(by="alice", now=MONDAY + hours(4))

    assert complaint.status is ComplaintStatus.CLOSED and complaint.due_at is None
    assert complaint.resolved_at == MONDAY + hours(4) and complaint.time_to_resolve == hours(4)  # CMP-7


def test_cmp_5_findings_are_recorded_during_investigation_only():
    with pytest.raises(RuleViolation) as refused:
        a_complaint().record_finding(Responsibility.COMPANY, "x", by="alice", now=MONDAY + hours(1))

    assert refused_rule(refused) == "CMP-3" and refused.value.extensions["allowed"][0] == "ACKNOWLEDGE"


# -- CMP-6: remedies and claims -----------------------------------------------------------------------


@pytest.mark.parametrize("remedy", [Remedy.APOLOGY, Remedy.REPLACEMENT])
def test_cmp_6_apology_or_replacement_carry_no_amount(remedy):
    complaint = found()

    with pytest.raises(Invalid) as refused:
        complaint.propose_resolution(remedy, amount_fen=100, by="alice", now=MONDAY + hours(4))
    assert invalid_field(refused) == "amountFen"

    complaint.propose_resolution(remedy, by="alice", now=MONDAY + hours(4))
    assert complaint.resolution.remedy is remedy and complaint.resolution.amount_fen is None


def test_cmp_6_money_is_recorded_with_its_amount_in_fen():
    complaint = proposed(remedy=Remedy.MONEY, amount_fen=1_234_567_89, no_replacement_available=True)

    assert complaint.resolution.amount_fen == 123_456_789
    assert "MONEY 123456789 fen" in complaint.steps[-1].note


@pytest.mark.parametrize("amount", [None, 0, -5])
def test_cmp_6_money_without_a_positive_amount_is_refused(amount):
    with pytest.raises(Invalid) as refused:
        found().propose_resolution(Remedy.MONEY, amount_fen=amount, no_replacement_available=True, by="alice",
                                   now=MONDAY + hours(4))

    assert invalid_field(refused) == "amountFen"


@pytest.mark.parametrize("responsibility", [Responsibility.CUSTOMER, Responsibility.CARRIER,
                                            Responsibility.UNDETERMINED])
def test_cmp_6_no_remedy_when_the_company_is_not_at_fault(responsibility):
    complaint = found(responsibility)
    with pytest.raises(RuleViolation) as refused:
        complaint.propose_resolution(Remedy.APOLOGY, by="alice", now=MONDAY + hours(4))
    assert refused_rule(refused) == "CMP-6" and complaint.resolution is None
    complaint.close(by="alice", now=MONDAY + hours(4))  # the finding settles it


def test_cmp_6_money_only_when_no_replacement_is_available():
    complaint = found()
    with pytest.raises(RuleViolation) as refused:
        complaint.propose_resolution(Remedy.MONEY, amount_fen=50_000, by="alice", now=MONDAY + hours(4))
    assert refused_rule(refused) == "CMP-6"
    complaint.propose_resolution(Remedy.MONEY, amount_fen=50_000, no_replacement_available=True, by="alice",
                                 now=MONDAY + hours(4))
    assert complaint.resolution.no_replacement_available


def test_cmp_6_a_replacement_and_an_apology_together():
    complaint = proposed(remedy=Remedy.REPLACEMENT, with_apology=True)
    assert (complaint.resolution.remedy, complaint.resolution.with_apology) == (Remedy.REPLACEMENT, True)
    assert "REPLACEMENT with an apology" in complaint.steps[-1].note
    with pytest.raises(Invalid) as refused:
        found().propose_resolution(Remedy.APOLOGY, with_apology=True, by="alice", now=MONDAY + hours(4))
    assert invalid_field(refused) == "withApology"


def test_cmp_6_a_supplier_at_fault_is_still_ours_to_remedy_towards_the_customer():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)
    complaint.propose_resolution(Remedy.REPLACEMENT, by="alice", now=MONDAY + hours(4))
    assert complaint.resolution.remedy is Remedy.REPLACEMENT


def test_cmp_6_a_supplier_at_fault_gets_a_claim_opened():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)

    claim = complaint.claim
    assert (claim.supplier, claim.claimed_fen, claim.status, claim.outstanding_fen) == (
        "宁波轴承厂", 800_000, ClaimStatus.OPEN, 800_000)
    assert complaint.steps[-1].action is Action.OPEN_CLAIM


@pytest.mark.parametrize(("finding", "field"), [
    ({"claimed_fen": 800_000}, "supplier"),
    ({"supplier": "宁波轴承厂"}, "claimAmountFen"),
    ({"supplier": "宁波轴承厂", "claimed_fen": 0}, "claimAmountFen"),
])
def test_cmp_6_a_supplier_finding_names_the_supplier_and_the_amount_claimed(finding, field):
    with pytest.raises(Invalid) as refused:
        found(Responsibility.SUPPLIER, **finding)

    assert invalid_field(refused) == field


def test_cmp_6_the_claim_is_tracked_to_recovery():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)
    complaint.record_claim_recovery(300_000, "第一笔", by="finance-1", now=MONDAY + days(10))
    assert (complaint.claim.status, complaint.claim.recovered_fen) == (ClaimStatus.PARTIALLY_RECOVERED, 300_000)

    complaint.record_claim_recovery(500_000, None, by="finance-1", now=MONDAY + days(20))

    assert (complaint.claim.status, complaint.claim.recovered_fen, complaint.claim.outstanding_fen) == (
        ClaimStatus.RECOVERED, 800_000, 0)
    assert complaint.claim.closed_at == MONDAY + days(20)
    with pytest.raises(RuleViolation) as refused:
        complaint.record_claim_recovery(1, None, by="finance-1", now=MONDAY + days(21))
    assert refused_rule(refused) == "CMP-6"


def test_cmp_6_recovering_more_than_is_outstanding_is_refused():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)

    with pytest.raises(Invalid) as refused:
        complaint.record_claim_recovery(800_001, None, by="finance-1", now=MONDAY + days(10))

    assert invalid_field(refused) == "amountFen" and complaint.claim.recoveries == []


def test_cmp_6_what_the_supplier_will_not_pay_is_written_off_with_a_reason():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)
    complaint.record_claim_recovery(300_000, None, by="finance-1", now=MONDAY + days(10))
    complaint.write_off_claim("供应商破产", by="gm", now=MONDAY + days(90))

    assert complaint.claim.status is ClaimStatus.WRITTEN_OFF and complaint.claim.outstanding_fen == 0
    assert "500000 fen written off" in complaint.steps[-1].note


def test_cmp_6_a_revised_finding_withdraws_a_claim_nothing_was_recovered_on():
    complaint = found(Responsibility.SUPPLIER, supplier="宁波轴承厂", claimed_fen=800_000)
    complaint.record_finding(Responsibility.COMPANY, "复查: 我方仓储问题", by="alice", now=MONDAY + hours(5))

    assert complaint.claim.status is ClaimStatus.WITHDRAWN
    assert complaint.steps[-1].action is Action.WITHDRAW_CLAIM


def test_cmp_6_no_claim_without_a_supplier_at_fault():
    complaint = found(Responsibility.COMPANY)

    with pytest.raises(RuleViolation) as refused:
        complaint.record_claim_recovery(100, None, by="finance-1", now=MONDAY + days(1))

    assert refused_rule(refused) == "CMP-6" and complaint.claim is None


# -- CMP-7: archive and analysis ---------------------------------------------------------------------


def test_cmp_7_time_to_acknowledge_and_to_resolve_run_from_filing():
    complaint = resolved()

    assert complaint.time_to_acknowledge == hours(1) and complaint.time_to_resolve == hours(5)


def test_cmp_7_a_complaint_counts_in_the_month_it_was_filed_in_local_time():
    late_on_march_31_utc = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)  # 1 April, 04:00 in Shanghai

    assert a_complaint(at=late_on_march_31_utc).month == "2026-04"


def test_cmp_7_median_and_p90_interpolate_between_ranks():
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)
    assert percentile([7], 0.9) == 7 and percentile([], 0.5) is None
    summary = summarise([3600.0, 7200.0, 36000.0])
    assert (summary.count, summary.median_s) == (3, 7200.0)


def test_cmp_4_the_handler_is_reminded_once_a_day_before_each_deadline_and_never_of_a_missed_one() -> None:
    complaint = a_complaint(at=FRIDAY_EVENING)  # to acknowledge by the end of Monday
    assert complaint.next_to_remind == END_OF_MONDAY
    assert not complaint.remind_of_deadlines(END_OF_MONDAY - hours(24) - timedelta(minutes=1), POLICY)
    assert complaint.remind_of_deadlines(END_OF_MONDAY - hours(24), POLICY)
    [near] = [e for e in complaint.events if isinstance(e, DeadlineNear)]
    assert (near.handler_id, near.deadline, near.due_at) == ("alice", DeadlineKind.ACKNOWLEDGE, END_OF_MONDAY)
    assert not complaint.remind_of_deadlines(END_OF_MONDAY - hours(1), POLICY)  # once
    complaint.acknowledge(by="alice", now=END_OF_MONDAY - hours(1))
    resolution = complaint.deadline(DeadlineKind.RESOLUTION)
    assert complaint.next_to_remind == resolution.due_at  # the next deadline gets its own reminder
    complaint.events.clear()
    assert complaint.remind_of_deadlines(resolution.due_at + hours(1), POLICY)  # the sweep came too late
    assert not [e for e in complaint.events if isinstance(e, DeadlineNear)]  # the escalation tells it now
    assert complaint.next_to_remind is None
    assert not a_complaint().remind_of_deadlines(MONDAY + days(3), replace(POLICY, remind_hours_before=0))
