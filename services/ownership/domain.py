"""客户归属 / 客户池: who owns each customer, the pool of unowned ones, and the rules that move them.

Plain Python: no I/O, no framework; time comes in as `now`.

The clock of an owner's claim (OWN-1, OWN-3): while the customer has never bought, whoever owns it
has 2 months from taking it to close a deal; once it has bought, 3 months from the later of the
last sale and taking it (a customer level may be given other periods: `RecallPeriods`). A claim that ran
out puts the customer back in the pool at the instant it ran out (`expires_at`), whether a sweep or a
command notices it first.

Pools (客户池): one per region, named as the region (`SHARED_POOL` for customers with none), and more where
configured. A customer goes back automatically to its region's own pool; a salesperson releasing one chooses
among its region's pools; a salesperson claims from the pools of their own region (and the shared one).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.clock import add_months
from chassis.errors import Invalid, RuleViolation

FIRST_CONTACT_MONTHS = 2  # OWN-1: no deal within 2 months → back to the pool
NO_SALE_MONTHS = 3  # OWN-3: bought before, no sale for 3 consecutive months → back to the pool
SYSTEM = "system"
SHARED_POOL = "shared"  # the pool of customers no region holds: every salesperson may claim from it


class Basis(StrEnum):
    """OWN-10: why the current owner owns the customer; LAPSE: it went back to the pool."""

    FIRST_CONTACT = "FIRST_CONTACT"  # 首问负责, OWN-1
    FIRST_DEAL = "FIRST_DEAL"  # 首单成交, OWN-2
    REFERRAL = "REFERRAL"  # 有情客户, OWN-4
    ASSIGNMENT = "ASSIGNMENT"  # 分配, OWN-9
    TRANSFER = "TRANSFER"  # 交转客户, OWN-8
    HANDOVER = "HANDOVER"  # 离职交接, OWN-7
    CLAIM = "CLAIM"  # from the pool, OWN-5
    LAPSE = "LAPSE"  # back to the pool


class PoolReason(StrEnum):
    """Why a customer is in the pool (客户池, OWN-5)."""

    UNOWNED = "UNOWNED"  # 无主客户: registered by someone who does not sell, never owned
    NO_DEAL = "NO_DEAL"  # OWN-1: no deal within 2 months
    NO_SALE = "NO_SALE"  # OWN-3: 3 months without a sale
    RELEASED = "RELEASED"  # OWN-6: given back by hand, with a report
    HANDED_BACK = "HANDED_BACK"  # OWN-7: a departing salesperson's customer handed to the pool
    PROBLEM = "PROBLEM"  # OWN-5 问题客户: a manager put it there, saying why


@dataclass(frozen=True)
class RecallPeriods:
    """How long an owner keeps a customer without a deal (OWN-1) and, once it bought, without a sale (OWN-3)."""

    no_deal_months: int = FIRST_CONTACT_MONTHS
    no_sale_months: int = NO_SALE_MONTHS


@dataclass(frozen=True)
class PoolRules:
    """OWN-5, configurable: how many customers one salesperson may own; the previous owner's cooldown; how many
    pool customers one salesperson may claim in a day (so one person cannot empty the pool at once); recall
    periods by customer level; the pools of each region beyond its own."""

    max_customers: int = 200
    cooldown_days: int = 30
    claims_per_day: int = 10
    protected_per_salesperson: int = 5
    recall_warning_days: int = 7
    recall_periods: Mapping[str, RecallPeriods] = field(default_factory=dict)  # customer level → its periods
    more_pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # region → its pools beyond its own

    def periods_for(self, level: str | None) -> RecallPeriods:
        return self.recall_periods.get(level or "", RecallPeriods())

    def pools_of(self, region: str | None) -> tuple[str, ...]:
        """A region's pools, its own first."""
        own = home_pool(region)
        return (own, *(p for p in self.more_pools.get(own, ()) if p != own))


def home_pool(region: str | None) -> str:
    """Where a customer of `region` goes back to on its own."""
    return region or SHARED_POOL


@dataclass(frozen=True)
class Report:
    """OWN-6 (定期清理): before a customer goes back, the owner says how things stand."""

    situation: str
    contacts: str
    progress: str
    by: str
    at: datetime

    @classmethod
    def filed(cls, *, situation: str, contacts: str, progress: str, by: str, now: datetime) -> "Report":
        for name, text in (("situation", situation), ("contacts", contacts), ("progress", progress)):
            if not text or not text.strip():
                raise Invalid(f"report.{name}", "must not be empty (OWN-6: situation, contacts, how far talks went)")
        return cls(situation.strip(), contacts.strip(), progress.strip(), by, now)


@dataclass(frozen=True)
class Protection:
    """A customer its owner keeps out of automatic recall (OWN-1 / OWN-3), saying why; managers see and lift it."""

    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Change:
    """OWN-10: one change of owner (or of the basis the owner holds it on): from, to, basis, when, by."""

    from_owner: str | None
    to_owner: str | None
    basis: Basis
    at: datetime
    by: str
    reason: PoolReason | None = None  # when it went to the pool
    report: Report | None = None  # OWN-6, when it went to the pool
    note: str | None = None  # OWN-4 referral note, OWN-7/8 summary, OWN-5 why it is a problem customer
    receivables_fen: int | None = None  # OWN-7/8: the receivables position handed over


@dataclass(frozen=True)
class OwnerChanged:
    """OWN-10: what the world hears of a change: the change, the customer's region, and until when the new
    owner's claim runs (OWN-1 / OWN-3; None in the pool)."""

    customer_id: str
    change: Change
    region: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class RecallWarning:
    """Its owner is told the customer goes back to the pool on `expires_at` unless a deal or a sale comes first."""

    customer_id: str
    owner_id: str
    expires_at: datetime
    at: datetime
    region: str | None


@dataclass(frozen=True)
class Load:
    """How many customers a salesperson owns, and when the first of them is due back in the pool."""

    owned: int
    next_lapse_at: datetime | None = None


@dataclass
class Ownership:
    """The owner of one customer, or its place in the pool, with every change (OWN-10)."""

    customer_id: str
    since: datetime  # since the current owner holds it on its basis, or since it is in the pool
    region: str | None = None
    card_version: int = 0  # the customer card's version the region was taken from
    pool: str | None = None  # the pool it is in (None while owned; None in the pool: its region's own)
    level: str | None = None  # the customer's level (CUS-3), which may keep other recall periods
    level_changed_at: datetime | None = None
    periods: RecallPeriods = RecallPeriods()
    regraded_at: datetime | None = None  # a level's shorter periods recall it no earlier than this
    owner_id: str | None = None
    basis: Basis | None = None  # None: in the pool and never owned
    pool_reason: PoolReason | None = PoolReason.UNOWNED
    first_deal_at: datetime | None = None
    last_sale_at: datetime | None = None
    terminated: bool = False  # CUS-8: archived customers leave the pool
    pending_report: Report | None = None  # OWN-6: filed ahead of a return
    protection: Protection | None = None  # kept out of automatic recall by its owner
    protection_lifted_at: datetime | None = None  # a claim that ran out while protected runs out at the lift
    warned_for: datetime | None = None  # the expiry its owner was last warned of
    history: list[Change] = field(default_factory=list)
    version: int = 0
    events: list[OwnerChanged | RecallWarning] = field(default_factory=list, repr=False, compare=False)  # new

    # -- how it starts: OWN-1 ---------------------------------------------------------------------

    @classmethod
    def registered(cls, customer_id: str, *, region: str | None, registered_by: str, registered_at: datetime,
                   by_salesperson: bool) -> "Ownership":
        """OWN-1: the salesperson who first registers a customer owns it; anyone else's goes to the pool."""
        ownership = cls(customer_id=customer_id, since=registered_at, region=region)
        if by_salesperson:
            ownership._to_owner(registered_by, Basis.FIRST_CONTACT, by=registered_by, at=registered_at)
        return ownership

    # -- questions ----------------------------------------------------------------------------------

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def has_bought(self) -> bool:
        return self.first_deal_at is not None or self.last_sale_at is not None

    @property
    def expires_at(self) -> datetime | None:
        """When the current claim runs out (OWN-1: 2 months without a deal; OWN-3: 3 without a sale); never while
        its owner protects it, and not before the protection was lifted."""
        if self.owner_id is None or self.terminated or self.protection is not None:
            return None
        if not self.has_bought:
            runs_out = add_months(self.since, self.periods.no_deal_months)
        else:
            active = max(t for t in (self.since, self.first_deal_at, self.last_sale_at) if t is not None)
            runs_out = add_months(active, self.periods.no_sale_months)
        return max(t for t in (runs_out, self.protection_lifted_at, self.regraded_at) if t is not None)

    @property
    def current_pool(self) -> str:
        """The pool it is in, or the one it goes back to when its claim runs out."""
        return (self.pool if self.owner_id is None and self.pool else None) or home_pool(self.region)

    def is_live(self, at: datetime) -> bool:
        """An owner's claim that has not run out at `at`."""
        expires = self.expires_at
        return self.owner_id is not None and (expires is None or at < expires)

    def available_at(self) -> datetime | None:
        """Since when it is in the pool (or will be, when the claim runs out); None: never (archived)."""
        if self.terminated:
            return None
        return self.since if self.owner_id is None else self.expires_at

    def lapse_reason(self) -> PoolReason:
        return PoolReason.NO_SALE if self.has_bought else PoolReason.NO_DEAL

    def cooldown_until(self, salesperson_id: str, rules: PoolRules) -> datetime | None:
        """OWN-5: a previous owner may not re-claim for `cooldown_days` after losing the customer."""
        lost = [c.at for c in self.history if c.from_owner == salesperson_id and c.to_owner != salesperson_id]
        return max(lost) + timedelta(days=rules.cooldown_days) if lost else None

    # -- time: OWN-1, OWN-3, OWN-6 ------------------------------------------------------------------

    def warn_of_recall(self, now: datetime, rules: PoolRules) -> bool:
        """`recall_warning_days` before the claim runs out, its owner is told, once for each expiry (a deal or a
        sale that moves the expiry earns a new warning before the new one)."""
        expires = self.expires_at
        if (expires is None or self.owner_id is None or self.warned_for == expires
                or not expires - timedelta(days=rules.recall_warning_days) <= now < expires):
            return False
        self.warned_for = expires
        self.events.append(RecallWarning(self.customer_id, self.owner_id, expires, now, self.region))
        return True

    def lapse_if_due(self, now: datetime) -> Change | None:
        """OWN-1 / OWN-3: a claim that ran out returns the customer to the pool, at the instant it ran out.
        The owner's report filed ahead goes with it (OWN-6); `Change.report` None means none was filed."""
        expires = self.expires_at
        if expires is None or now < expires:
            return None
        report, self.pending_report = self.pending_report, None
        return self._to_pool(self.lapse_reason(), by=SYSTEM, at=expires, report=report)

    # -- events from outside: OWN-2, OWN-3 --------------------------------------------------------

    def record_payment(self, salesperson_id: str | None, received_at: datetime) -> Change | None:
        """OWN-2: the salesperson who first closes a deal owns the customer once finance confirms the
        payment; this overrides a claim that had run out at that time, never a live one. A payment that
        names no salesperson is the live owner's deal; with no live owner either, nobody closed it that we
        know of, and the first deal is still to be won."""
        live = self.is_live(received_at)  # judged before the deal restarts the clock
        closer = salesperson_id or (self.owner_id if live else None)
        if closer is None:
            return None
        first = self.first_deal_at is None
        self.first_deal_at = received_at if first else min(self.first_deal_at, received_at)
        if not first or self.terminated:
            return None
        if live and self.owner_id != closer:
            return None  # OWN-2: a live claim of someone else is never overridden
        return self._to_owner(closer, Basis.FIRST_DEAL, by=SYSTEM, at=received_at)

    def record_sale(self, issued_at: datetime) -> None:
        """OWN-3: the last sale restarts the 3-month clock."""
        self.last_sale_at = issued_at if self.last_sale_at is None else max(self.last_sale_at, issued_at)

    def regrade(self, level: str | None, at: datetime, rules: PoolRules) -> None:
        """The customer's level changed (CUS-3): its claim keeps the periods of the new level from now on. One
        made shorter never runs out in the past: at the earliest `recall_warning_days` after the change, so that
        its owner is warned first. An older change told late is ignored."""
        if self.level_changed_at is not None and at <= self.level_changed_at:
            return
        before = self.expires_at
        self.level, self.level_changed_at, self.periods = level, at, rules.periods_for(level)
        after = self.expires_at
        if before is not None and after is not None and after < before:
            self.regraded_at = max(after, at + timedelta(days=rules.recall_warning_days))

    def relocate(self, region: str | None, rules: PoolRules) -> None:
        """The customer moved to another region: a pool customer in a pool the new region does not have goes to
        the new region's own."""
        self.region = region
        if self.owner_id is None and self.pool is not None and self.pool not in rules.pools_of(region):
            self.pool = home_pool(region)

    def terminate(self) -> None:
        """CUS-8: an archived customer leaves the pool and its claim stops running; history stays."""
        self.terminated = True

    # -- commands: OWN-4, OWN-5, OWN-6, OWN-9 -------------------------------------------------------

    def claim(self, salesperson_id: str, salesperson_region: str | None, load: Load, rules: PoolRules,
              now: datetime) -> Change:
        """OWN-5: a salesperson may claim a customer in their region's pools (or the shared one), within the cap
        and outside their cooldown."""
        self._refuse_unless_in_pool("OWN-5", "only pool customers can be claimed")
        mine = rules.pools_of(salesperson_region)
        if self.current_pool not in (*mine, SHARED_POOL):
            raise RuleViolation("OWN-5", f"it is in the pool {self.current_pool}: you claim from the pools of "
                                f"your region ({', '.join(mine)})", pool=self.current_pool, yourPools=list(mine))
        until = self.cooldown_until(salesperson_id, rules)
        if until is not None and now < until:
            raise RuleViolation(
                "OWN-5", f"you owned this customer until recently: a previous owner may re-claim it only after "
                f"a cooldown of {rules.cooldown_days} days, which lifts on {until.date().isoformat()}",
                limit=rules.cooldown_days, cooldownDays=rules.cooldown_days, liftsAt=until.isoformat())
        refuse_over_cap(salesperson_id, load, rules)
        return self._to_owner(salesperson_id, Basis.CLAIM, by=salesperson_id, at=now)

    def assign(self, salesperson_id: str, load: Load, rules: PoolRules, *, by: str, now: datetime) -> Change:
        """OWN-9: the regional manager assigns an unowned customer."""
        self._refuse_unless_in_pool("OWN-9", "only unowned customers are assigned; move an owned one by transfer")
        refuse_over_cap(salesperson_id, load, rules)
        return self._to_owner(salesperson_id, Basis.ASSIGNMENT, by=by, at=now)

    def refer(self, salesperson_id: str, load: Load, rules: PoolRules, *, by: str, note: str | None,
              now: datetime) -> Change:
        """OWN-4 (有情客户): a customer brought by management, handed to a salesperson, marked as a referral."""
        self._refuse_unless_in_pool("OWN-4", "a referral hands over an unowned customer")
        refuse_over_cap(salesperson_id, load, rules)
        return self._to_owner(salesperson_id, Basis.REFERRAL, by=by, at=now, note=note)

    def protect(self, reason: str, protected_already: int, rules: PoolRules, *, by: str, now: datetime) -> None:
        """Its owner keeps it out of automatic recall, saying why, for at most `protected_per_salesperson` of
        their customers at once."""
        if self.owner_id != by:
            raise RuleViolation("OWN-3", "only its owner protects a customer from recall", ownerId=self.owner_id)
        if not reason.strip():
            raise Invalid("reason", "say why it must not go back to the pool")
        if self.protection is not None:
            raise RuleViolation("OWN-3", "it is protected already", protectedAt=self.protection.at.isoformat())
        if protected_already >= rules.protected_per_salesperson:
            raise RuleViolation("OWN-3", f"you protect {protected_already} customers, the most one may; lift one "
                                "first", limit=rules.protected_per_salesperson)
        self.protection = Protection(reason.strip(), by, now)

    def lift_protection(self, now: datetime) -> None:
        """Automatic recall applies again; a claim that ran out meanwhile runs out now, not in the past."""
        if self.protection is None:
            raise RuleViolation("OWN-3", "it is not protected")
        self.protection, self.protection_lifted_at = None, now

    def file_report(self, report: Report) -> None:
        """OWN-6: the owner files the report ahead of a return; it goes with the customer to the pool."""
        if self.owner_id != report.by:
            raise RuleViolation("OWN-6", "only the current owner files the report for a customer they own",
                                ownerId=self.owner_id)
        self.pending_report = report

    def attach_late_report(self, lapsed_at: datetime, report: Report) -> None:
        """OWN-6: the report that was missing when the customer went back automatically, filed late."""
        for i, change in enumerate(self.history):
            if change.to_owner is None and change.from_owner == report.by and change.at == lapsed_at:
                self.history[i] = replace(change, report=report)
                return
        raise RuleViolation("OWN-6", "no return of this customer from you is waiting for a report")

    def release(self, report: Report, pool: str | None, rules: PoolRules, *, by: str, now: datetime) -> Change:
        """OWN-6: back to the pool by hand, with the report (situation, contacts, progress), into the pool of its
        region the releaser chose (default: the region's own)."""
        if self.owner_id is None:
            raise RuleViolation("OWN-6", "the customer is already in the pool", poolReason=_value(self.pool_reason))
        allowed = rules.pools_of(self.region)
        if pool is not None and pool not in allowed:
            raise Invalid("pool", f"is not a pool of the customer's region; choose one of {', '.join(allowed)}")
        self.pending_report = None
        return self._to_pool(PoolReason.RELEASED, by=by, at=now, report=report, pool=pool)

    def mark_problem(self, reason: str, *, by: str, now: datetime) -> Change:
        """OWN-5: a problem customer (问题客户) goes to the pool, where every salesperson can follow it, with the
        manager's reason; a report its owner filed ahead goes with it (OWN-6), else it is due from them."""
        if not reason.strip():
            raise Invalid("reason", "say why it is a problem customer")
        if self.terminated:
            raise RuleViolation("OWN-5", "an archived customer is in no pool")
        if self.owner_id is None and self.pool_reason is PoolReason.PROBLEM:
            raise RuleViolation("OWN-5", "it is in the pool as a problem customer already",
                                poolReason=PoolReason.PROBLEM.value)
        report, self.pending_report = self.pending_report, None
        return self._to_pool(PoolReason.PROBLEM, by=by, at=now, report=report, note=reason.strip())

    def hand_over(self, successor_id: str | None, basis: Basis, *, summary: str, receivables_fen: int, by: str,
                  now: datetime) -> Change:
        """OWN-7 / OWN-8: to a named successor (or the pool) with a summary and the receivables position."""
        if successor_id is None:  # the summary is the report (OWN-6)
            return self._to_pool(PoolReason.HANDED_BACK, by=by, at=now, report=None, note=summary,
                                 receivables_fen=receivables_fen)
        return self._to_owner(successor_id, basis, by=by, at=now, note=summary, receivables_fen=receivables_fen)

    # -- moves ----------------------------------------------------------------------------------------

    def _refuse_unless_in_pool(self, rule: str, why: str) -> None:
        if self.terminated:
            raise RuleViolation(rule, "the customer is archived (trading ended): it is not in the pool")
        if self.owner_id is not None:
            expires = self.expires_at
            until = f" until {expires.date().isoformat()}" if expires else ""
            raise RuleViolation(
                rule, f"the customer is owned by {self.owner_id} on the basis {self.basis}{until}: {why}",
                ownerId=self.owner_id, basis=_value(self.basis), expiresAt=expires.isoformat() if expires else None)

    def _to_owner(self, owner_id: str, basis: Basis, *, by: str, at: datetime, note: str | None = None,
                  receivables_fen: int | None = None) -> Change:
        change = Change(self.owner_id, owner_id, basis, at, by, note=note, receivables_fen=receivables_fen)
        self.owner_id, self.basis, self.since, self.pool_reason, self.pool = owner_id, basis, at, None, None
        self.pending_report = None
        self.protection = self.protection_lifted_at = self.regraded_at = None
        return self._changed(change)

    def _to_pool(self, reason: PoolReason, *, by: str, at: datetime, report: Report | None,
                 note: str | None = None, receivables_fen: int | None = None, pool: str | None = None) -> Change:
        change = Change(self.owner_id, None, Basis.LAPSE, at, by, reason=reason, report=report, note=note,
                        receivables_fen=receivables_fen)
        self.pool = pool or home_pool(self.region)
        self.owner_id, self.basis, self.since, self.pool_reason = None, Basis.LAPSE, at, reason
        self.protection = self.protection_lifted_at = None
        return self._changed(change)

    def _changed(self, change: Change) -> Change:
        self.history.append(change)
        self.events.append(OwnerChanged(self.customer_id, change, self.region, self.expires_at))
        return change


def refuse_over_cap(salesperson_id: str, load: Load, rules: PoolRules, incoming: int = 1) -> None:
    """OWN-5: a salesperson may own at most `max_customers`; it lifts when one of theirs goes back."""
    if load.owned + incoming <= rules.max_customers:
        return
    lifts = (f"; the first of them is due back in the pool on {load.next_lapse_at.date().isoformat()}"
             if load.next_lapse_at else "")
    raise RuleViolation(
        "OWN-5", f"{salesperson_id} owns {load.owned} customers and the limit is {rules.max_customers}{lifts}",
        limit=rules.max_customers, owned=load.owned,
        liftsAt=load.next_lapse_at.isoformat() if load.next_lapse_at else None)


def refuse_over_daily_claims(salesperson_id: str, claimed_today: int, rules: PoolRules) -> None:
    """OWN-5's daily companion: at most `claims_per_day` pool customers claimed per salesperson per company day."""
    if claimed_today < rules.claims_per_day:
        return
    raise RuleViolation(
        "OWN-5", f"{salesperson_id} claimed {claimed_today} pool customers today and the daily limit is "
        f"{rules.claims_per_day}; claiming opens again tomorrow", dailyLimit=rules.claims_per_day,
        claimedToday=claimed_today)


# -- salespeople and assignment: OWN-9 -----------------------------------------------------------------


@dataclass
class Salesperson:
    """A salesperson as ownership knows them: region and capacity (ability) for assignment, and when they are away."""

    id: str
    name: str
    region: str
    capacity_weight: float = 1.0
    active: bool = True
    version: int = 0
    absences: tuple["Absence", ...] = ()

    def absent_at(self, at: datetime) -> bool:
        return any(a.start <= at < a.end for a in self.absences)

    def away(self, absence: "Absence", now: datetime) -> None:
        """An absence (leave, training, illness) to come or under way; those already over are forgotten."""
        if absence.end <= absence.start:
            raise Invalid("until", "must be after `from`")
        if absence.end - absence.start > timedelta(days=366):
            raise Invalid("until", "an absence is at most a year; make them inactive if they left")
        if absence.end <= now:
            raise Invalid("until", "is in the past")
        if not absence.reason.strip():
            raise Invalid("reason", "say why they are away (leave, training …)")
        self.absences = tuple(sorted([*(a for a in self.absences if a.end > now), absence], key=lambda a: a.start))

    def validate(self) -> None:
        if not self.id.strip():
            raise Invalid("id", "must not be empty")
        if not self.name.strip():
            raise Invalid("name", "must not be empty")
        if not self.region.strip():
            raise Invalid("region", "must not be empty")
        if not 0 < self.capacity_weight <= 100:
            raise Invalid("capacityWeight", "must be above 0 and at most 100")


@dataclass(frozen=True)
class Absence:
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True)
class Candidate:
    salesperson: Salesperson
    owned: int

    @property
    def load_ratio(self) -> float:
        return self.owned / self.salesperson.capacity_weight


def suggest_assignees(salespeople: list[Salesperson], owned: dict[str, int], *, region: str | None,
                      rules: PoolRules, now: datetime, excluded: frozenset[str] = frozenset()) -> list[Candidate]:
    """OWN-9: active salespeople of the region, not away now, below the cap, lowest load relative to capacity
    first."""
    candidates = [Candidate(s, owned.get(s.id, 0)) for s in salespeople
                  if s.active and not s.absent_at(now) and (region is None or s.region == region)
                  and s.id not in excluded and owned.get(s.id, 0) < rules.max_customers]
    return sorted(candidates, key=lambda c: (c.load_ratio, c.owned, c.salesperson.name, c.salesperson.id))


def _value(enum: StrEnum | None) -> str | None:
    return enum.value if enum is not None else None
