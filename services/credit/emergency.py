"""CRD-10 紧急报告: sudden changes in a customer's credit standing, the hold, the countermeasures."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EmergencyKind(StrEnum):
    """CRD-10 紧急报告: a sudden change in the customer's credit standing."""

    DISHONOURED_NOTE = "DISHONOURED_NOTE"  # 票据被拒付
    BANKRUPTCY_RUMOUR = "BANKRUPTCY_RUMOUR"
    FROZEN_ACCOUNT = "FROZEN_ACCOUNT"  # 银行账户被冻结
    OTHER = "OTHER"


class Countermeasure(StrEnum):
    """CRD-10: what a manager may decide for a customer whose credit worsened."""

    GUARANTOR = "GUARANTOR"  # 担保人和连带担保人
    HIGHER_DEPOSIT = "HIGHER_DEPOSIT"  # 增加信用保证金
    NOTARISED_CONTRACT = "NOTARISED_CONTRACT"  # 交易合同取得公证
    REDUCED_SHIPMENTS = "REDUCED_SHIPMENTS"  # 减少供货量
    STOPPED_SHIPMENTS = "STOPPED_SHIPMENTS"  # 发货限制: the hold stays
    THIRD_PARTY_REPAYMENT = "THIRD_PARTY_REPAYMENT"  # 代位偿债
    REPAYMENT_IN_KIND = "REPAYMENT_IN_KIND"  # 代物偿债


class EmergencyStatus(StrEnum):
    OPEN = "OPEN"  # reported, waiting for a manager: on hold
    SHIPMENTS_STOPPED = "SHIPMENTS_STOPPED"  # decided, but shipments stay stopped: still on hold
    RESOLVED = "RESOLVED"  # countermeasures decided: the hold is lifted


@dataclass
class Emergency:
    emergency_id: str
    kind: EmergencyKind
    description: str
    reported_by: str
    reported_at: datetime
    status: EmergencyStatus = EmergencyStatus.OPEN
    countermeasures: tuple[Countermeasure, ...] = ()
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None

    @property
    def holds(self) -> bool:
        return self.status is not EmergencyStatus.RESOLVED


@dataclass(frozen=True)
class HoldChanged:
    customer_id: str
    on_hold: bool
    reason: str
    changed_at: datetime
    emergency_id: str | None = None
    countermeasures: tuple[Countermeasure, ...] = ()
