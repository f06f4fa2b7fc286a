"""客户档案: the customer card, its classification, its history and its trading lifecycle.

Plain Python: no I/O, no framework; time comes in as `now`.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chassis.clock import add_months
from chassis.errors import Invalid, RuleViolation
from services.customer.identity import PHONE, is_valid_credit_code, normalised_name, normalised_phone
from services.customer.level import CustomerLevel, LevelPolicy, TradingRecord, level_for
from services.customer.visits import ProspectGrade


class CustomerKind(StrEnum):
    COMPANY = "COMPANY"  # 公司类顾客档案卡
    INDIVIDUAL = "INDIVIDUAL"  # 个人或家庭档案卡


class CustomerNature(StrEnum):
    """CUS-2 性质."""

    GOVERNMENT = "GOVERNMENT"
    SPECIAL_COMPANY = "SPECIAL_COMPANY"
    ORDINARY_COMPANY = "ORDINARY_COMPANY"
    INDIVIDUAL = "INDIVIDUAL"
    PARTNER = "PARTNER"
    SERVICE_PROVIDER = "SERVICE_PROVIDER"  # lawyers, auditors, banks, insurers, advertising, PR


class Lifecycle(StrEnum):
    """CUS-2, by trading history."""

    POTENTIAL = "POTENTIAL"  # 潜在: never traded
    NEW = "NEW"  # 新: first deal within 12 months
    ESTABLISHED = "ESTABLISHED"  # 老: trading longer
    DORMANT = "DORMANT"  # no sale for 3 months
    TERMINATED = "TERMINATED"  # 终止


class MarketPosition(StrEnum):
    KEY = "KEY"  # 主力
    GENERAL = "GENERAL"  # 一般
    OCCASIONAL = "OCCASIONAL"  # 零散


class CompanyType(StrEnum):
    STATE_OWNED = "STATE_OWNED"  # 国营
    FOREIGN = "FOREIGN"  # 外资
    JOINT_VENTURE = "JOINT_VENTURE"  # 合资
    PRIVATE = "PRIVATE"  # 私营
    INDIVIDUAL_BUSINESS = "INDIVIDUAL_BUSINESS"  # 个体


class QualificationKind(StrEnum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    TAX_REGISTRATION = "TAX_REGISTRATION"
    OTHER = "OTHER"


class EndOfTrading(StrEnum):
    """CUS-8: how a trading relationship ends."""

    DISSOLUTION = "DISSOLUTION"
    TERMINATION = "TERMINATION"


@dataclass(frozen=True)
class Contact:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Qualification:
    kind: QualificationKind
    number: str
    expires_on: date | None = None


@dataclass(frozen=True)
class CompanyCard:
    """CUS-1 公司类顾客档案卡 (name, phone and contacts live on the customer)."""

    legal_representative: str | None = None
    general_manager: str | None = None
    purchasing_lead: str | None = None
    company_type: CompanyType | None = None
    registered_capital_fen: int | None = None  # paid-in
    business_scope: str | None = None
    export_sales: bool | None = None  # domestic (False) or export (True)
    business_scale: str | None = None
    founded_on: date | None = None
    relationship_since: date | None = None
    payment_terms: str | None = None
    payment_method: str | None = None
    qualifications: tuple[Qualification, ...] = ()


@dataclass(frozen=True)
class PersonCard:
    """CUS-1 个人或家庭档案卡."""

    gender: str | None = None
    education: str | None = None
    age_band: str | None = None
    interests: str | None = None
    occupation: str | None = None
    average_income_fen: int | None = None
    preferred_payment_method: str | None = None
    notes: str | None = None


class SurveyStatus(StrEnum):
    """CUS-8: the responsible person writes it, the unit head approves, the chairman (general manager) gives
    the final approval; then trading opens. A rejected survey is written again."""

    SUBMITTED = "SUBMITTED"  # waiting for the unit head
    UNIT_HEAD_APPROVED = "UNIT_HEAD_APPROVED"  # waiting for the general manager
    APPROVED = "APPROVED"  # trading is open
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class SurveyDecision:
    by: str
    at: datetime
    approve: bool
    comment: str | None = None


@dataclass(frozen=True)
class TradingSurvey:
    """CUS-8 交易开始调查书 and who decided on it."""

    summary: str
    written_by: str
    written_at: datetime
    status: SurveyStatus = SurveyStatus.SUBMITTED
    decisions: tuple[SurveyDecision, ...] = ()


@dataclass(frozen=True)
class Termination:
    reason: EndOfTrading
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class FieldChange:
    """CUS-7: which field, old → new (values as shown to people: str, int, list...)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Revision:
    """CUS-7: one version of the card: who, when, what changed."""

    customer_id: str
    version: int
    action: str
    by: str
    at: datetime
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Registrant:
    """Who registered a card, as their token said (OWN-1: a salesperson with a region owns it from then)."""

    id: str
    name: str | None = None
    roles: tuple[str, ...] = ()
    region: str | None = None


# -- what a change of the card tells the world (`events.py` turns them into contracts) -------------


@dataclass(frozen=True)
class Registered:
    customer_id: str
    code: str
    name: str
    kind: CustomerKind
    nature: CustomerNature
    region: str | None
    by: Registrant
    at: datetime


@dataclass(frozen=True)
class Updated:
    """Fields of the card changed (by a person, or by time: the lifecycle)."""

    customer_id: str
    version: int
    fields: tuple[str, ...]
    by: str
    at: datetime
    region: str | None
    lifecycle: Lifecycle
    trading_open: bool = False


@dataclass(frozen=True)
class LevelChanged:
    customer_id: str
    old: CustomerLevel | None
    new: CustomerLevel | None
    at: datetime


@dataclass(frozen=True)
class Terminated:
    customer_id: str
    reason: EndOfTrading
    by: str
    at: datetime


CustomerEvent = Registered | Updated | LevelChanged | Terminated


# The fields of a card a person edits; everything else the system keeps.
CARD_FIELDS = (
    "name", "nature", "region", "phone", "address", "credit_code", "market_position", "contacts", "company", "person",
)


@dataclass
class Customer:
    id: str
    code: str
    name: str
    kind: CustomerKind
    nature: CustomerNature
    registered_by: str
    registered_at: datetime
    updated_by: str
    updated_at: datetime
    region: str | None = None
    phone: str | None = None
    address: str | None = None
    credit_code: str | None = None
    market_position: MarketPosition | None = None
    contacts: tuple[Contact, ...] = ()
    company: CompanyCard | None = None
    person: PersonCard | None = None
    level: CustomerLevel | None = None
    lifecycle: Lifecycle = Lifecycle.POTENTIAL
    first_sale_at: datetime | None = None
    last_sale_at: datetime | None = None
    sold_before_trading_open_at: datetime | None = None  # CUS-8: the first invoice ERP issued before approval
    trading_survey: TradingSurvey | None = None
    termination: Termination | None = None
    prospect_grade: ProspectGrade | None = None  # CUS-4, while the customer has not bought
    prospect_graded_at: datetime | None = None
    level_due_at: datetime | None = None  # CUS-3: when time alone may next change the level
    # CUS-9: who owns it, as ownership last announced; until then the person who registered it.
    owner_id: str | None = None
    owner_announced_at: datetime | None = None
    owner_version: int = 0  # announcements are saved apart from the card's own `version`
    indexed_as: str | None = field(default=None, repr=False, compare=False)  # the store's: what its search keys say
    version: int = 0
    revisions: list[Revision] = field(default_factory=list, repr=False)  # new since load, saved with it
    events: list[CustomerEvent] = field(default_factory=list, repr=False, compare=False)  # new, not stored

    # -- registration and edits ------------------------------------------------------------

    @classmethod
    def register(cls, *, id: str, code: str, by: Registrant | str, now: datetime, **card: Any) -> "Customer":
        registrant = Registrant(by) if isinstance(by, str) else by
        customer = cls(id=id, code=code, registered_by=registrant.id, registered_at=now, updated_by=registrant.id,
                       updated_at=now, owner_id=registrant.id, **card)
        customer.validate(now)
        customer._record("REGISTERED", registrant.id, now, [
            FieldChange(name, None, _shown(getattr(customer, name))) for name in ("kind", *CARD_FIELDS)
            if getattr(customer, name) not in (None, ())
        ])
        customer.events.append(Registered(id, code, customer.name, customer.kind, customer.nature, customer.region,
                                          registrant, now))
        return customer

    @property
    def in_pool(self) -> bool:
        """Ownership announced nobody owns it (客户池)."""
        return self.owner_announced_at is not None and self.owner_id is None

    def announce_owner(self, owner_id: str | None, at: datetime) -> bool:
        """CUS-9: the owner ownership announced (None: the pool); an older announcement arriving late is ignored."""
        if self.owner_announced_at is not None and at < self.owner_announced_at:
            return False
        self.owner_id, self.owner_announced_at = owner_id, at
        return True

    def update(self, changes: dict[str, Any], *, by: str, now: datetime) -> list[FieldChange]:
        """CUS-7: apply edits to the card; every changed field is recorded old → new."""
        self._refuse_if_archived()
        unknown = set(changes) - set(CARD_FIELDS)
        if unknown:
            raise Invalid(min(unknown), "is not a field of the card")
        replace(self, **changes).validate(now)  # a refused edit leaves the card as it was
        before = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        diff = [FieldChange(n, _shown(before[n]), _shown(v)) for n, v in changes.items() if before[n] != v]
        if diff:
            self.updated_by, self.updated_at = by, now
            self._record("UPDATED", by, now, diff)
            self._updated(tuple(_camel(c.field) for c in diff), by, now)
        return diff

    def validate(self, now: datetime) -> None:
        if not self.name or not self.name.strip():
            raise Invalid("name", "must not be empty")
        if len(self.name) > 200:
            raise Invalid("name", "is longer than 200 characters")
        if self.phone is not None and not PHONE.fullmatch(self.phone):
            raise Invalid("phone", "must be 5–20 digits, spaces, '+', '-' or parentheses")
        if self.credit_code is not None and not is_valid_credit_code(self.credit_code):
            raise Invalid("creditCode", "is not a valid unified social credit code (18 characters, checksum)")
        if self.kind is CustomerKind.COMPANY and self.person is not None:
            raise Invalid("person", "a company card has no person/household part")
        if self.kind is CustomerKind.INDIVIDUAL and self.company is not None:
            raise Invalid("company", "a person/household card has no company part")
        for i, contact in enumerate(self.contacts):
            if not contact.name.strip():
                raise Invalid(f"contacts[{i}].name", "must not be empty")
            if contact.phone is not None and not PHONE.fullmatch(contact.phone):
                raise Invalid(f"contacts[{i}].phone", "must be 5–20 digits, spaces, '+', '-' or parentheses")
        if self.company:
            self._validate_company(self.company, now.date())
        if self.person and (self.person.average_income_fen or 0) < 0:
            raise Invalid("person.averageIncomeFen", "must not be negative")

    @staticmethod
    def _validate_company(company: CompanyCard, today: date) -> None:
        if (company.registered_capital_fen or 0) < 0:
            raise Invalid("company.registeredCapitalFen", "must not be negative")
        if company.founded_on is not None and company.founded_on > today:
            raise Invalid("company.foundedOn", "is in the future")
        if company.relationship_since is not None:
            if company.relationship_since > today:
                raise Invalid("company.relationshipSince", "is in the future")
            if company.founded_on is not None and company.relationship_since < company.founded_on:
                raise Invalid("company.relationshipSince", "is before the company was founded")
        for i, qualification in enumerate(company.qualifications):
            if not qualification.number.strip():
                raise Invalid(f"company.qualifications[{i}].number", "must not be empty")

    # -- CUS-8: start and end of trading ------------------------------------------------------

    @property
    def trading_open(self) -> bool:
        """CUS-8: the start-of-trading survey has its final approval."""
        return self.trading_survey is not None and self.trading_survey.status is SurveyStatus.APPROVED

    @property
    def trading_opened_at(self) -> datetime | None:
        """CUS-8: when the survey had its final approval."""
        survey = self.trading_survey
        return survey.decisions[-1].at if survey is not None and survey.status is SurveyStatus.APPROVED else None

    def submit_trading_survey(self, summary: str, *, by: str, now: datetime) -> None:
        """CUS-8: the person responsible for the customer writes the start-of-trading survey (again, after a
        rejection); the unit head approves it next."""
        self._refuse_if_archived()
        survey = self.trading_survey
        if survey is not None and survey.status is not SurveyStatus.REJECTED:
            raise RuleViolation("CUS-8", f"the start-of-trading survey of {self.code} is {survey.status.value}",
                                status=survey.status.value)
        if not summary.strip():
            raise Invalid("survey", "must not be empty")
        self.trading_survey = TradingSurvey(summary.strip(), by, now)
        self._record("TRADING_SURVEY_SUBMITTED", by, now, [FieldChange("tradingSurvey", None, summary.strip())])
        self._updated(("tradingSurvey",), by, now)

    def decide_trading_survey(self, approve: bool, comment: str | None, *, by: str, now: datetime) -> None:
        """CUS-8: the unit head, then the general manager (the seed's chairman); whoever wrote it approves
        nothing of it. The final approval opens trading; a rejection sends it back to be written again."""
        self._refuse_if_archived()
        survey = self.trading_survey
        if survey is None or survey.status not in (SurveyStatus.SUBMITTED, SurveyStatus.UNIT_HEAD_APPROVED):
            raise RuleViolation("CUS-8", f"no start-of-trading survey of {self.code} waits for a decision",
                                status=survey.status.value if survey else None)
        if by == survey.written_by:
            raise RuleViolation("CUS-8", "whoever wrote the start-of-trading survey does not approve it")
        if not approve and not (comment or "").strip():
            raise Invalid("comment", "say why the survey is rejected")
        status = SurveyStatus.REJECTED if not approve else (
            SurveyStatus.UNIT_HEAD_APPROVED if survey.status is SurveyStatus.SUBMITTED else SurveyStatus.APPROVED)
        decision = SurveyDecision(by, now, approve, (comment or "").strip() or None)
        self.trading_survey = replace(survey, status=status, decisions=(*survey.decisions, decision))
        self._record(f"TRADING_SURVEY_{status.value}", by, now,
                     [FieldChange("tradingSurvey", survey.status.value, status.value)])
        self._updated(("tradingSurvey",), by, now)

    def end_trading(self, reason: EndOfTrading, note: str, *, by: str, now: datetime) -> None:
        """CUS-8: the customer leaves the active list; the record is archived, never deleted."""
        self._refuse_if_archived()
        self.termination = Termination(reason, note, by, now)
        old = self.lifecycle
        self.lifecycle = Lifecycle.TERMINATED
        self._record("TERMINATED", by, now, [FieldChange("lifecycle", old.value, self.lifecycle.value)])
        self.events.append(Terminated(self.id, reason, by, now))

    def _refuse_if_archived(self) -> None:
        if self.termination is not None:
            raise RuleViolation("CUS-8", f"{self.code} is archived (trading ended); its record is read-only")

    # -- CUS-4: prospect grade ------------------------------------------------------------------

    def grade_prospect(self, grade: ProspectGrade, *, by: str, now: datetime) -> bool:
        """CUS-4: the salesperson grades a customer who has not bought yet (A buys this month ... D within
        a year); the grade sets the visit cadence. True if it changed."""
        self._refuse_if_archived()
        if self.first_sale_at is not None:
            raise RuleViolation("CUS-4", f"{self.code} has bought already: it is planned by its level, not a "
                                         "prospect grade")
        if grade is self.prospect_grade:
            return False
        old, self.prospect_grade, self.prospect_graded_at = self.prospect_grade, grade, now
        self.updated_by, self.updated_at = by, now
        self._record("PROSPECT_GRADED", by, now, [FieldChange("prospectGrade", old.value if old else None,
                                                              grade.value)])
        self._updated(("prospectGrade",), by, now)
        return True

    # -- CUS-3: level ---------------------------------------------------------------------------

    def reassess_level(self, record: TradingRecord, policy: LevelPolicy, now: datetime
                       ) -> tuple[CustomerLevel | None, CustomerLevel | None] | None:
        """CUS-3: the level the trailing window implies; (old, new) if it changed, else None."""
        new = level_for(record, policy, first_sale_at=self.first_sale_at, now=now)
        self.level_due_at = record.level_due_at(policy, first_sale_at=self.first_sale_at, now=now)
        if new is self.level:
            return None
        old, self.level = self.level, new
        change = FieldChange("level", old.value if old else None, new.value if new else None)
        pending = self.revisions[-1] if self.revisions else None
        if pending and pending.by == "system" and pending.at == now:  # the same event moved the lifecycle too:
            self.revisions[-1] = replace(pending, changes=(*pending.changes, change))  # one version, both fields
        else:
            self._record("LEVEL", "system", now, [change])
        self.events.append(LevelChanged(self.id, old, new, now))
        return old, new

    # -- CUS-2: lifecycle from trading history -------------------------------------------------

    def record_sale(self, at: datetime, *, now: datetime) -> None:
        """An invoice was issued: keep first and last sale, then the lifecycle they imply. CUS-8: ERP's invoice is
        a fact and is kept, but one issued before the start-of-trading survey's final approval is flagged, for
        finance and the managers to follow up."""
        opened, earliest = self.trading_opened_at, self.sold_before_trading_open_at
        if opened is None or at < opened:
            self.sold_before_trading_open_at = at if earliest is None else min(earliest, at)
        self.first_sale_at = at if self.first_sale_at is None else min(self.first_sale_at, at)
        self.last_sale_at = at if self.last_sale_at is None else max(self.last_sale_at, at)
        self.refresh_lifecycle(now)

    def refresh_lifecycle(self, now: datetime) -> bool:
        """Move to the lifecycle the trading history implies now; True if it changed."""
        new = lifecycle_at(self.first_sale_at, self.last_sale_at, self.termination is not None, now)
        if new is self.lifecycle:
            return False
        old, self.lifecycle = self.lifecycle, new
        self._record("LIFECYCLE", "system", now, [FieldChange("lifecycle", old.value, new.value)])
        self._updated(("lifecycle",), "system", now)
        return True

    def lifecycle_due_at(self) -> datetime | None:
        """When time alone will next change the lifecycle (the sweep looks for these)."""
        if self.termination is not None or self.last_sale_at is None or self.first_sale_at is None:
            return None
        if self.lifecycle is Lifecycle.DORMANT:
            return None
        dormant_at = add_months(self.last_sale_at, DORMANT_AFTER_MONTHS)
        if self.lifecycle is Lifecycle.NEW:
            return min(dormant_at, add_months(self.first_sale_at, NEW_FOR_MONTHS))
        return dormant_at

    # -- CUS-7 ---------------------------------------------------------------------------------

    def needs_review(self, now: datetime) -> bool:
        """CUS-7: a card untouched for 12 months is marked for review."""
        due = self.review_due_at()
        return due is not None and due <= now

    def review_due_at(self) -> datetime | None:
        """CUS-7: when the card becomes stale (stored, so the archive can be filtered by it)."""
        return None if self.termination is not None else add_months(self.updated_at, STALE_AFTER_MONTHS)

    def dedupe_keys(self) -> list[str]:
        """CUS-12: what makes two registrations the same company."""
        keys = []
        if self.credit_code:
            keys.append(f"credit:{self.credit_code.upper()}")
        if self.phone:
            keys.append(f"name+phone:{normalised_name(self.name)}|{normalised_phone(self.phone)}")
        return keys

    def _record(self, action: str, by: str, now: datetime, changes: list[FieldChange]) -> None:
        version = self.version + len(self.revisions) + 1
        self.revisions.append(Revision(self.id, version, action, by, now, tuple(changes)))

    def _updated(self, changed: tuple[str, ...], by: str, now: datetime) -> None:
        """Tell the world, at the version the last revision makes."""
        version = self.revisions[-1].version if self.revisions else self.version
        self.events.append(Updated(self.id, version, changed, by, now, self.region, self.lifecycle,
                                   self.trading_open))



NEW_FOR_MONTHS = 12
DORMANT_AFTER_MONTHS = 3
STALE_AFTER_MONTHS = 12


def lifecycle_at(first_sale_at: datetime | None, last_sale_at: datetime | None, terminated: bool, now: datetime
                 ) -> Lifecycle:
    """CUS-2: potential (never traded), new (first deal within 12 months), established (longer),
    dormant (no sale for 3 months), terminated."""
    if terminated:
        return Lifecycle.TERMINATED
    if last_sale_at is None or first_sale_at is None:
        return Lifecycle.POTENTIAL
    if add_months(last_sale_at, DORMANT_AFTER_MONTHS) <= now:
        return Lifecycle.DORMANT
    if now < add_months(first_sale_at, NEW_FOR_MONTHS):
        return Lifecycle.NEW
    return Lifecycle.ESTABLISHED


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _shown(value: Any) -> Any:
    """A value as the history shows it: enums by name, cards as dicts, tuples as lists."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_shown(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _shown(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) not in (None, ())}
    return value
