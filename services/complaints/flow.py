"""The complaint flow (CMP-3) as a table: every move is one of its rows.

received → acknowledged → investigating → resolution proposed → resolved → closed (+ reopened); or, solved on
the spot by the first responder (CMP-2), received → closed.
"""

from enum import StrEnum


class ComplaintStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    INVESTIGATING = "INVESTIGATING"
    RESOLUTION_PROPOSED = "RESOLUTION_PROPOSED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"


class Action(StrEnum):
    FILE = "FILE"
    RECORD_FIRST_RESPONSE = "RECORD_FIRST_RESPONSE"
    HAND_OVER = "HAND_OVER"
    ACKNOWLEDGE = "ACKNOWLEDGE"
    START_INVESTIGATION = "START_INVESTIGATION"
    RECORD_FINDING = "RECORD_FINDING"
    PROPOSE_RESOLUTION = "PROPOSE_RESOLUTION"
    RESOLVE = "RESOLVE"
    CLOSE = "CLOSE"
    REOPEN = "REOPEN"
    EXTEND_DEADLINE = "EXTEND_DEADLINE"
    ESCALATE = "ESCALATE"
    SOLVE_ON_THE_SPOT = "SOLVE_ON_THE_SPOT"
    OPEN_CLAIM = "OPEN_CLAIM"
    WITHDRAW_CLAIM = "WITHDRAW_CLAIM"
    RECORD_CLAIM_RECOVERY = "RECORD_CLAIM_RECOVERY"
    WRITE_OFF_CLAIM = "WRITE_OFF_CLAIM"


S, A = ComplaintStatus, Action
# A revised proposal replaces the last one; a complaint the finding settles without a remedy (the
# customer was responsible, say) may close straight from investigation.
FLOW: dict[ComplaintStatus, dict[Action, ComplaintStatus]] = {
    S.RECEIVED: {A.ACKNOWLEDGE: S.ACKNOWLEDGED, A.SOLVE_ON_THE_SPOT: S.CLOSED},
    S.ACKNOWLEDGED: {A.START_INVESTIGATION: S.INVESTIGATING},
    S.INVESTIGATING: {A.PROPOSE_RESOLUTION: S.RESOLUTION_PROPOSED, A.CLOSE: S.CLOSED},
    S.RESOLUTION_PROPOSED: {A.PROPOSE_RESOLUTION: S.RESOLUTION_PROPOSED, A.RESOLVE: S.RESOLVED},
    S.RESOLVED: {A.CLOSE: S.CLOSED, A.REOPEN: S.REOPENED},
    S.CLOSED: {A.REOPEN: S.REOPENED},
    S.REOPENED: {A.START_INVESTIGATION: S.INVESTIGATING},
}
UNRESOLVED = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING, S.REOPENED})
# Steps that keep the status, and the statuses they are allowed in.
IN_PLACE: dict[Action, frozenset[ComplaintStatus]] = {
    A.RECORD_FIRST_RESPONSE: UNRESOLVED,
    A.RECORD_FINDING: frozenset({S.INVESTIGATING}),
    A.EXTEND_DEADLINE: UNRESOLVED,
    A.HAND_OVER: frozenset(FLOW) - {S.CLOSED},
}
