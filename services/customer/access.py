"""CUS-9 need-to-know: who owns a card, and what of it a caller sees.

Plain Python: no I/O, no framework.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.customer.domain import Customer


class CardAccess(StrEnum):
    """What of a card a caller sees."""

    FULL = "FULL"  # the whole card, its contacts and its history
    PUBLIC = "PUBLIC"  # name, code, kind, nature, region, level, lifecycle


# Roles that see every card (finance, the managers, the archive's owner 信息部).
SEES_ALL = frozenset({"FINANCE", "SALES_MANAGER", "GENERAL_MANAGER", "ADMIN"})
# Roles that see the full cards of their own region.
SEES_REGION = frozenset({"REGION_ASSISTANT", "REGION_MANAGER"})


@dataclass(frozen=True)
class Ownership:
    """Who owns a customer, as the customer archive knows it (CUS-9).

    Until the ownership service has announced anything (`ownership.changed`), the salesperson who
    registered the card counts as its owner: the card is theirs the moment they register it.
    `announced` tells the two apart; after an announcement `owner_id` None means the pool.
    """

    owner_id: str | None
    announced: bool = False
    changed_at: datetime | None = None


def owner_of(customer: Customer, announced: Ownership | None) -> str | None:
    """CUS-9: the announced owner, else the registering salesperson."""
    return announced.owner_id if announced is not None else customer.registered_by


def card_access(*, user_id: str, roles: frozenset[str] | set[str], region: str | None, owner_id: str | None,
                customer_region: str | None) -> CardAccess:
    """CUS-9: owner, regional roles in region, finance / managers / admin see the full card; everyone
    else (other salespeople, SERVICE, regional roles elsewhere) sees the public part."""
    roles = {str(r) for r in roles}
    if roles & SEES_ALL:
        return CardAccess.FULL
    if "SALES" in roles and owner_id is not None and owner_id == user_id:
        return CardAccess.FULL
    if roles & SEES_REGION and region is not None and region == customer_region:
        return CardAccess.FULL
    return CardAccess.PUBLIC


def access_is_logged(access: CardAccess, *, user_id: str, owner_id: str | None) -> bool:
    """CUS-9: every read of a full card by someone who is not its owner is logged."""
    return access is CardAccess.FULL and user_id != owner_id
