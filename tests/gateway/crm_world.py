"""A small CRM world for the gateway tests: one set of data and rules, served two ways.

`crm_subgraphs` splits it into three Federation 2 subgraphs (customer, credit, ownership) and
`crm_monolith` serves it as one plain Strawberry schema. Both read the same records through the
functions below, so any difference between their answers is the gateway's doing.

Customers in region "faults" misbehave on purpose (`secret`, `credit`, `creditSummary` raise);
`customers` lists them only when asked for that region, so the other queries stay clean.
"""

import enum
from dataclasses import dataclass, field
from typing import NewType

import strawberry
from strawberry.schema.config import StrawberryConfig

from chassis.auth import Principal, TokenVerifier
from chassis.errors import Forbidden, RuleViolation
from chassis.settings import Settings

SETTINGS = Settings(crm_env="test")
FAULTS = "faults"

Fen = NewType("Fen", int)
# Every schema (subgraphs and monolith) maps Fen the same way: a 64-bit integer, as the contract says.
CONFIG = StrawberryConfig(
    scalar_map={
        Fen: strawberry.scalar(
            name="Fen",
            serialize=int,
            parse_value=int,
            description="An exact amount of money in fen: a 64-bit integer, a JSON number on the wire.",
        )
    }
)


@strawberry.enum
class CustomerKind(enum.Enum):
    COMPANY = "COMPANY"
    INDIVIDUAL = "INDIVIDUAL"


@strawberry.enum
class CustomerLevel(enum.Enum):
    VIP = "VIP"
    A = "A"
    B = "B"


@strawberry.enum
class CreditRating(enum.Enum):
    A = "A"
    B = "B"
    C = "C"


@dataclass
class CustomerRecord:
    id: str
    code: str
    name: str
    kind: CustomerKind
    region: str | None
    level: CustomerLevel | None = None
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    contacts: list[tuple[str, str | None]] = field(default_factory=list)
    referrer_id: str | None = None


@dataclass
class CreditRecord:
    rating: CreditRating
    limit_fen: int
    exposure_fen: int
    alerts: list[tuple[int, str]] = field(default_factory=list)
    reviewer_id: str | None = None


@dataclass
class OwnershipRecord:
    owner_id: str | None
    since: str | None


@dataclass
class SalespersonRecord:
    id: str
    name: str
    region: str


@dataclass
class World:
    customers: dict[str, CustomerRecord]
    credits: dict[str, CreditRecord]
    ownerships: dict[str, OwnershipRecord]
    salespeople: dict[str, SalespersonRecord]

    def register(self, name: str, kind: CustomerKind, region: str | None, tags: list[str]) -> CustomerRecord:
        number = len(self.customers) + 1
        record = CustomerRecord(f"n{number}", f"C-{number:04d}", name, kind, region, tags=tags)
        self.customers[record.id] = record
        return record

    def listed(
        self, region: str | None, kinds: list[CustomerKind] | None, text: str | None
    ) -> list[CustomerRecord]:
        return [
            c
            for c in self.customers.values()
            if (c.region == region if region else c.region != FAULTS)
            and (not kinds or c.kind in kinds)
            and (not text or text.lower() in c.name.lower())
        ]

    def pool(self) -> list[CustomerRecord]:
        return [self.customers[i] for i, o in self.ownerships.items() if o.owner_id is None]


def a_world() -> World:
    customers = [
        CustomerRecord(
            "c1",
            "C-0001",
            "Acme Trading",
            CustomerKind.COMPANY,
            "east",
            CustomerLevel.VIP,
            "021-1111",
            ["steel", "export"],
            [("Wang Li", "139-1"), ("Zhao Min", None)],
        ),
        CustomerRecord(
            "c2",
            "C-0002",
            "Blue River Foods",
            CustomerKind.COMPANY,
            "east",
            CustomerLevel.A,
            None,
            ["food"],
            [("Chen Jie", "139-2")],
            referrer_id="c1",
        ),
        CustomerRecord("c3", "C-0003", "Li Wei", CustomerKind.INDIVIDUAL, "north", None, "138-3", []),
        CustomerRecord(
            "c4",
            "C-0004",
            "Cathay Steel",
            CustomerKind.COMPANY,
            "north",
            CustomerLevel.B,
            "010-4444",
            ["steel"],
            referrer_id="c3",
        ),
        CustomerRecord(
            "c5", "C-0005", "Dragon Logistics", CustomerKind.COMPANY, None, None, None, ["transport"]
        ),
        CustomerRecord("c6", "C-0006", "Ma Lan", CustomerKind.INDIVIDUAL, "east", None, None, []),
        CustomerRecord("f1", "F-0001", "Faulty Credit", CustomerKind.COMPANY, FAULTS),
        CustomerRecord("f2", "F-0002", "Faulty Summary", CustomerKind.COMPANY, FAULTS),
    ]
    credits = {
        "c1": CreditRecord(
            CreditRating.A, 5_000_000_000, 1_250_000_000, [(50, "2026-03-01"), (80, "2026-04-02")], "s1"
        ),
        "c2": CreditRecord(CreditRating.B, 200_000_00, 150_000_00, [(50, "2026-02-11")], "s2"),
        "c3": CreditRecord(CreditRating.C, 0, 0),
        "c4": CreditRecord(
            CreditRating.A, 9_007_199_254_740_991, 1, [], "s1"
        ),  # 2^53-1: beyond Int, exact in JSON
        "c5": CreditRecord(CreditRating.B, 1_000_00, 0, [], "s3"),
        "f1": CreditRecord(CreditRating.C, 1, 1),
        "f2": CreditRecord(CreditRating.C, 1, 1),
    }  # c6 has no credit profile: `credit` is null
    ownerships = {
        "c1": OwnershipRecord("s1", "2025-01-10"),
        "c2": OwnershipRecord("s2", "2025-06-01"),
        "c3": OwnershipRecord(None, None),
        "c4": OwnershipRecord("s1", "2024-11-30"),
        "c5": OwnershipRecord(None, "2023-01-01"),
        "c6": OwnershipRecord("s3", "2026-01-05"),
    }
    salespeople = {
        "s1": SalespersonRecord("s1", "Sun Hao", "east"),
        "s2": SalespersonRecord("s2", "Qian Yu", "east"),
        "s3": SalespersonRecord("s3", "Zhou Fang", "north"),
    }
    return World({c.id: c for c in customers}, credits, ownerships, salespeople)


# --- the rules both servings share ----------------------------------------------------------------


def world_of(info) -> World:
    return info.context["world"]


def viewer_of(info) -> Principal:
    return TokenVerifier(SETTINGS).from_header(info.context["request"].headers.get("authorization"))


def secret_of(customer: CustomerRecord) -> str:
    if customer.region == FAULTS:
        raise Forbidden(f"the secret of {customer.id} is not yours to see")
    return f"secret-{customer.id}"


def credit_of(world: World, customer_id: str) -> CreditRecord | None:
    if customer_id == "f1":
        raise Forbidden("credit of f1 is restricted")
    return world.credits.get(customer_id)


def credit_summary(world: World, customer_id: str, name: str) -> str:
    """A field that needs a field of another subgraph: federation's @requires."""
    if customer_id == "f2":
        raise RuleViolation("CRD-0", "no summary for f2")
    credit = world.credits.get(customer_id)
    return f"{name}: {credit.rating.value if credit else 'unrated'}"


def credit_decision(world: World, customer_id: str, amount_fen: int) -> tuple[bool, list[tuple[str, str]]]:
    credit = world.credits.get(customer_id)
    if credit is None:
        return False, [("NO_PROFILE", f"{customer_id} has no credit profile")]
    headroom_fen = credit.limit_fen - credit.exposure_fen
    if amount_fen > headroom_fen:
        return False, [("OVER_LIMIT", f"{amount_fen} > {headroom_fen}")]
    return True, []
