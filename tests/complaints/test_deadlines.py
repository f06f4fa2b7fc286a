"""CMP-4: deadlines, the escalation sweep and extensions, with the clock moved by hand."""

import asyncio
from datetime import datetime, timedelta, timezone

from chassis.clock import FixedClock
from services.complaints.app import create_app
from services.complaints.settings import ComplaintsSettings
from tests.complaints.conftest import MANAGER, ComplaintsHarness
from tests.complaints.test_flow import ACKNOWLEDGE, file, investigating, step
from tests.support import delete_services, eventually, listening, serving, settings_for

SHANGHAI = timezone(timedelta(hours=8))
FRIDAY_EVENING = datetime(2026, 3, 6, 19, 0, tzinfo=SHANGHAI)
END_OF_MONDAY = datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)
DEADLINES = """query($id: ID!) { complaint(id: $id) {
  status dueAt overdue escalatedTo acknowledgeDueAt resolutionDueAt
  deadlines { kind dueAt metAt supersededAt escalatedAt escalatedTo customerAcknowledgement setBy }
  steps { action by note } } }"""
EXTEND = """mutation($id: ID!, $due: DateTime!, $ack: String!) {
  extendDeadline(id: $id, newDueAt: $due, customerAcknowledgement: $ack) { dueAt resolutionDueAt } }"""


async def deadlines(desk: ComplaintsHarness, complaint_id: str) -> dict:
    return (await desk.gql.data(DEADLINES, {"id": complaint_id}))["complaint"]


async def test_cmp_4_filed_friday_evening_not_acknowledged_by_monday_end_of_day_is_escalated(
        desk: ComplaintsHarness, amqp_url: str) -> None:
    desk.clock.set(FRIDAY_EVENING)
    complaint = await file(desk)  # by u1, whose manager is MANAGER
    assert datetime.fromisoformat(complaint["dueAt"]) == END_OF_MONDAY

    desk.clock.set(END_OF_MONDAY - timedelta(minutes=1))  # Monday 23:59: still in time
    assert await desk.sweep() == 0
    assert (await deadlines(desk, complaint["id"]))["overdue"] is False

    async with listening(amqp_url, "complaint.escalated") as escalated:
        desk.clock.set(END_OF_MONDAY)
        assert await desk.sweep() == 1
        events = await eventually(lambda: [e for e in escalated if e["data"]["complaintId"] == complaint["id"]])
    data = events[0]["data"]
    assert (data["escalatedTo"], data["deadline"], data["handlerId"]) == (MANAGER, "ACKNOWLEDGE", "u1")
    assert datetime.fromisoformat(data["dueAt"]) == END_OF_MONDAY and "not acknowledged" in data["reason"]
    assert events[0]["subject"] == complaint["customerId"]

    shown = await deadlines(desk, complaint["id"])
    assert shown["overdue"] is True and shown["escalatedTo"] == [MANAGER]
    assert shown["steps"][-1]["action"] == "ESCALATE" and shown["steps"][-1]["by"] == "system"
    desk.clock.advance(timedelta(hours=5))
    assert await desk.sweep() == 0  # once per missed deadline


async def test_cmp_4_acknowledged_in_time_nothing_is_escalated(desk: ComplaintsHarness) -> None:
    desk.clock.set(FRIDAY_EVENING)
    complaint = await file(desk)
    desk.clock.set(datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI))  # Monday morning
    await step(desk, ACKNOWLEDGE, complaint["id"])

    desk.clock.set(END_OF_MONDAY + timedelta(hours=1))
    assert await desk.sweep() == 0
    shown = await deadlines(desk, complaint["id"])
    assert [d["metAt"] is not None for d in shown["deadlines"]] == [True, False]
    assert shown["dueAt"] == shown["resolutionDueAt"]  # next: propose a resolution


async def test_cmp_4_a_missed_resolution_deadline_is_escalated_by_severity(desk: ComplaintsHarness) -> None:
    desk.clock.set(FRIDAY_EVENING)
    complaint = await file(desk, severity="HIGH")
    desk.clock.set(datetime(2026, 3, 9, 9, tzinfo=SHANGHAI))
    await step(desk, ACKNOWLEDGE, complaint["id"])

    resolution_due = datetime(2026, 3, 12, tzinfo=SHANGHAI)  # 3 working days: Mon, Tue, Wed
    assert datetime.fromisoformat((await deadlines(desk, complaint["id"]))["resolutionDueAt"]) == resolution_due
    desk.clock.set(resolution_due)
    assert await desk.sweep() == 1
    escalated = [d for d in (await deadlines(desk, complaint["id"]))["deadlines"] if d["escalatedAt"]]
    assert [(d["kind"], d["escalatedTo"]) for d in escalated] == [("RESOLUTION", MANAGER)]


async def test_cmp_4_extending_the_deadline_needs_the_customers_recorded_acknowledgement(
        desk: ComplaintsHarness) -> None:
    complaint = await investigating(desk)
    due = datetime.fromisoformat((await deadlines(desk, complaint["id"]))["resolutionDueAt"])
    later = (due + timedelta(days=7)).isoformat()

    answer = await desk.gql(EXTEND, {"id": complaint["id"], "due": later, "ack": "  "})
    assert answer["errors"][0]["extensions"] == {"code": "RULE_VIOLATION", "rule": "CMP-4"}

    extended = await step(desk, EXTEND, complaint["id"], due=later, ack="王经理来电同意延期一周 (录音 0302-7)")
    assert extended == {"dueAt": later, "resolutionDueAt": later}
    shown = await deadlines(desk, complaint["id"])
    resolution = [d for d in shown["deadlines"] if d["kind"] == "RESOLUTION"]
    assert [(d["supersededAt"] is not None, d["customerAcknowledgement"], d["setBy"]) for d in resolution] == [
        (True, None, "system"), (False, "王经理来电同意延期一周 (录音 0302-7)", "u1")]

    desk.clock.set(due + timedelta(days=1))
    assert await desk.sweep() == 0  # the old deadline no longer counts
    desk.clock.set(due + timedelta(days=7))
    assert await desk.sweep() == 1  # the new one, missed, escalates


async def test_cmp_4_sweeps_running_at_once_escalate_each_missed_deadline_once(desk: ComplaintsHarness) -> None:
    """As in replicas: every sweep reads the same overdue complaints; the save is conditional on the
    version read, so one escalates and the others get a CONFLICT and publish nothing. (Two replicas
    in one test process would share one nx-27017 database, which cannot interleave transactions.)"""
    desk.clock.set(FRIDAY_EVENING)
    complaints = [await file(desk) for _ in range(3)]
    desk.clock.set(END_OF_MONDAY)

    counts = await asyncio.gather(*[desk.sweep() for _ in range(4)])

    assert sum(counts) == 3
    for complaint in complaints:
        steps = (await deadlines(desk, complaint["id"]))["steps"]
        assert [s["action"] for s in steps].count("ESCALATE") == 1
    assert await desk.outbox.count_documents({"type": "complaint.escalated"}) <= 3  # some may be relayed already


async def test_cmp_4_the_sweep_runs_on_its_own_in_the_service(mongo_url: str, amqp_url: str, unique: str) -> None:
    clock = FixedClock(FRIDAY_EVENING)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=clock,
                     service_settings=ComplaintsSettings(sweep_every_s=0.05))
    try:
        async with serving(app) as gql:
            desk = ComplaintsHarness(gql, clock, app)
            await desk.know_staff("u1", manager_id=MANAGER)
            complaint = await file(desk)
            clock.set(END_OF_MONDAY + timedelta(minutes=1))
            shown = await eventually(lambda: _escalated(desk, complaint["id"]))
    finally:
        await delete_services(amqp_url, f"complaints.{unique}")
    assert shown["escalatedTo"] == [MANAGER]


async def _escalated(desk: ComplaintsHarness, complaint_id: str) -> dict | None:
    shown = await deadlines(desk, complaint_id)
    return shown if shown["escalatedTo"] else None


async def test_cmp_4_still_not_acknowledged_two_working_days_after_the_escalation_it_goes_one_level_higher(
        desk: ComplaintsHarness, amqp_url: str) -> None:
    await desk.know_staff("rm-east", "REGION_MANAGER")
    desk.clock.set(FRIDAY_EVENING)
    complaint = await file(desk)  # by u1, whose manager is MANAGER
    desk.clock.set(END_OF_MONDAY)
    await desk.sweep()
    async with listening(amqp_url, "complaint.escalated") as escalated:
        desk.clock.set(datetime(2026, 3, 12, 23, 59, tzinfo=SHANGHAI))  # Thursday: the 2nd working day after
        await desk.sweep()
        desk.clock.set(datetime(2026, 3, 13, 0, 0, tzinfo=SHANGHAI))
        await desk.sweep()
        higher = await eventually(lambda: [e["data"] for e in escalated if e["data"]["deadline"] == "ACKNOWLEDGE"])
    assert [(e["escalatedTo"], e["level"]) for e in higher] == [("rm-east", 2)]
    shown = await deadlines(desk, complaint["id"])
    assert "rm-east" in shown["escalatedTo"]
    for _ in range(8):  # on up to the sales manager, the general manager, and no further
        desk.clock.advance(timedelta(days=3))
        await desk.sweep()
    assert (await deadlines(desk, complaint["id"]))["escalatedTo"] == ["GENERAL_MANAGER"]  # where both now sit
    assert complaint["id"] not in await desk.service.store.due_for_escalation(desk.clock.now() + timedelta(days=365))


async def test_cmp_4_the_handler_is_reminded_a_day_ahead_once_over_the_bus(desk: ComplaintsHarness,
                                                                          amqp_url: str) -> None:
    desk.clock.set(FRIDAY_EVENING)
    complaint = await file(desk)
    async with listening(amqp_url, "complaint.deadline_near") as near:
        desk.clock.set(END_OF_MONDAY - timedelta(hours=24, minutes=1))
        await desk.sweep()
        desk.clock.set(END_OF_MONDAY - timedelta(hours=24))  # Sunday midnight: a day before
        await desk.sweep()
        desk.clock.advance(timedelta(hours=1))
        await desk.sweep()
        [told] = await eventually(lambda: [e for e in near if e["data"]["complaintId"] == complaint["id"]])
        desk.clock.set(END_OF_MONDAY)
        assert await desk.sweep() == 1  # missed all the same: escalated
    assert (told["data"]["handlerId"], told["data"]["deadline"]) == ("u1", "ACKNOWLEDGE")
    assert datetime.fromisoformat(told["data"]["dueAt"]) == END_OF_MONDAY
    assert len([e for e in near if e["data"]["complaintId"] == complaint["id"]]) == 1
