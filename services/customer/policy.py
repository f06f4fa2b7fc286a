"""Who may see and do what in the customer archive (`access.md`): the card (CUS-9), lists, analyses,
the access log, and who may change a card."""

from enum import StrEnum
from typing import Any

from chassis.auth import Principal, Role
from chassis.errors import Forbidden
from chassis.policy import MANAGERS, REGION_ROLES, Scope, acts_in, is_owner, refuse, sees_customer
from services.customer.domain import Customer, SurveyStatus

WHAT = "customer card"
# Who writes to the archive: salespeople and the people above them; FINANCE and SERVICE read.
EDITORS = (Role.SALES, *REGION_ROLES, *MANAGERS, Role.ADMIN)
UNIT_HEADS = (Role.REGION_MANAGER, *MANAGERS)  # CUS-8: who ends trading (in their region)


class CardAccess(StrEnum):
    """What of a card a caller sees."""

    FULL = "FULL"  # the whole card, its contacts, its history, its visits
    PUBLIC = "PUBLIC"  # id, code, name, kind, nature, level, lifecycle, region


def card_access(caller: Principal, card: Customer) -> CardAccess:
    """CUS-9: the owner, region roles of the card's region, managers, FINANCE and ADMIN see the full card;
    other salespeople, SERVICE and region roles elsewhere its public part."""
    full = sees_customer(caller, card.owner_id, card.region, Role.FINANCE, Role.ADMIN)
    return CardAccess.FULL if full else CardAccess.PUBLIC


def is_logged(caller: Principal, card: Customer) -> bool:
    """CUS-9: every read of a full card by someone who is not its owner is logged."""
    return not is_owner(caller, card.owner_id)


def listed(caller: Principal) -> list[dict[str, Any]]:
    """Which cards lists and search show (the public part of any other card is readable by its id): a
    salesperson their own and the pool's, region roles their region's, everyone else all. As cases that never
    overlap, each a plain match on the card's fields: a card is listed if it matches one ([]: none; [{}]: all)."""
    if caller.has_any(*MANAGERS, Role.FINANCE, Role.SERVICE, Role.ADMIN):
        return [{}]
    if caller.has_any(*REGION_ROLES) and caller.region is not None:
        return [{"region": caller.region}]
    if Role.SALES in caller.roles:
        return [{"owner_id": caller.user_id}, {"in_pool": True}]  # a pool card has no owner
    return []


def statistics(caller: Principal) -> Scope:
    """CUS-11's analyses: region roles their region; managers, FINANCE and ADMIN all."""
    return Scope.of_statistics(caller)


def plans_of(caller: Principal, user_id: str) -> Scope:
    """CUS-5 / CUS-6: one's own visit plan and report; managers and ADMIN anyone's; a regional manager someone
    else's only as far as it concerns customers of their region."""
    if user_id == caller.user_id or caller.has_any(*MANAGERS, Role.ADMIN):
        return Scope(everything=True)
    caller.require(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN)
    return Scope(region=caller.region) if caller.region else Scope()


def require_may_register(caller: Principal) -> None:
    caller.require(*EDITORS)


def require_may_edit(caller: Principal, card: Customer) -> None:
    """A card is changed (and visits logged with it) only by an editor who sees all of it."""
    caller.require(*EDITORS)
    if card_access(caller, card) is not CardAccess.FULL:
        raise Forbidden(f"{card.code} is not yours: you see only its public part (CUS-9), so you may not "
                        "change it or log visits with it")


def require_may_decide_survey(caller: Principal, card: Customer) -> None:
    """CUS-8: the unit head (a regional manager in their region, or the sales manager) decides first, the
    general manager (the seed's chairman) last."""
    survey = card.trading_survey
    if survey is not None and survey.status is SurveyStatus.UNIT_HEAD_APPROVED:
        caller.require(Role.GENERAL_MANAGER)
        return
    caller.require(Role.REGION_MANAGER, Role.SALES_MANAGER)
    acts_in(caller, card.region, f"trading with {card.code} is approved by its region's head")


def require_may_end_trading(caller: Principal, card: Customer) -> None:
    """CUS-8: a unit head (in their region) or the archive's owner (ADMIN) ends trading."""
    caller.require(*UNIT_HEADS, Role.ADMIN)
    acts_in(caller, card.region, f"trading with {card.code} is ended by its region's head")


def require_may_read_access_log(caller: Principal) -> None:
    caller.require(Role.ADMIN)


def refuse_card(card: Customer, field: str) -> Forbidden:
    return refuse(f"{field} of {card.code}: it is on the full card (CUS-9)", customerId=card.id)
