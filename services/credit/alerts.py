"""CRD-3 utilisation alerts: the levels, who hears of them, and how a person finds their own."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

# Alert recipients that are not a person: a role (everyone holding it), or a role in one region.
FINANCE = "FINANCE"  # 财务部 / 商务部
SALES_MANAGER = "SALES_MANAGER"  # 销售部经理
PRODUCT_CENTRE = "PRODUCT_CENTRE"  # 产品中心 (no role in the system: a consumer of credit.alert_raised)
REGION_MANAGER = "REGION_MANAGER"  # 大区经理, "REGION_MANAGER:<region>" for one region


class AlertLevel(IntEnum):
    """CRD-3: share of the limit (percent) at which people are told."""

    WARNING = 80
    HIGH = 90
    OVER_LIMIT = 100

    def reached(self, exposure_fen: int, limit_fen: int) -> bool:
        """Any exposure of a cash-only customer (limit 0) is over every level: a sale on credit without
        a limit is exactly what people must hear of."""
        return exposure_fen > 0 and exposure_fen * 100 >= self.value * limit_fen


def alert_recipients(level: AlertLevel, salesperson_id: str | None, region: str | None) -> list[str]:
    """CRD-3: at 80 % the salesperson, the regional manager and finance; from 90 % also the sales
    manager and the product centre. A person by user id, a role by name ("REGION_MANAGER:east")."""
    recipients = [salesperson_id] if salesperson_id else []
    recipients += [f"{REGION_MANAGER}:{region}" if region else REGION_MANAGER, FINANCE]
    if level >= AlertLevel.HIGH:
        recipients += [SALES_MANAGER, PRODUCT_CENTRE]
    return recipients


def addressed(recipients: tuple[str, ...], people: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """CRD-3 names people: each role recipient becomes the people the staff directory says hold it (there),
    and stays a role only where the directory names nobody, so an alert never goes to nobody."""
    found = [person for name in recipients for person in (people.get(name) or (name,))]
    return tuple(dict.fromkeys(found))


def role_of(recipient: str) -> tuple[str, str | None]:
    """"REGION_MANAGER:east" → ("REGION_MANAGER", "east"); a person's id or a plain role → (it, None)."""
    role, _, region = recipient.partition(":")
    return role, region or None


@dataclass(frozen=True)
class Alert:
    """CRD-3: exposure crossed `level` % of the limit going up."""

    customer_id: str
    level: AlertLevel
    exposure_fen: int
    limit_fen: int
    recipients: tuple[str, ...]
    raised_at: datetime
    salesperson_id: str | None = None  # whose customer it was, and where, when it was raised
    region: str | None = None
