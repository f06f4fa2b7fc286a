"""The customer subgraph's types: enums, the parts of a card, visits, pages, inputs (`schema.py` has the roots).

The Customer type itself, with CUS-9 need-to-know, is in schema_cards.py; the result types of the visit plan
and reports in schema_visits.py, of the sales analyses in schema_analysis.py.
"""

from datetime import date, datetime
from enum import StrEnum

import strawberry
from strawberry.scalars import JSON

from chassis.scalars import Fen
from services.customer import analysis, domain, policy, timeline, visits

CustomerKind = strawberry.enum(domain.CustomerKind)
CustomerNature = strawberry.enum(domain.CustomerNature)
Lifecycle = strawberry.enum(domain.Lifecycle)
CustomerLevel = strawberry.enum(domain.CustomerLevel)
MarketPosition = strawberry.enum(domain.MarketPosition)
CompanyType = strawberry.enum(domain.CompanyType)
QualificationKind = strawberry.enum(domain.QualificationKind)
EndOfTrading = strawberry.enum(domain.EndOfTrading)
CardAccess = strawberry.enum(policy.CardAccess)
ProspectGrade = strawberry.enum(visits.ProspectGrade, description="CUS-4 准客户 grade: A buys this month … D within a year")
VisitChannel = strawberry.enum(visits.VisitChannel)
PlanRole = strawberry.enum(visits.PlanRole, name="VisitPlanRole")
PlanStatus = strawberry.enum(visits.PlanStatus, name="VisitPlanStatus")
ReportPeriod = strawberry.enum(visits.ReportPeriod, name="VisitReportPeriod")
AbcClass = strawberry.enum(analysis.AbcClass, name="CustomerAbcClass")


@strawberry.enum(description="CUS-11: what the sales share is split by")
class ShareDimension(StrEnum):
    LEVEL = "LEVEL"
    REGION = "REGION"
    PRODUCT_LINE = "PRODUCT_LINE"


@strawberry.type
class Contact:
    name: str
    title: str | None
    phone: str | None
    email: str | None


@strawberry.type
class Qualification:
    kind: QualificationKind
    number: str
    expires_on: date | None


@strawberry.type(description="CUS-1 公司类顾客档案卡: the company part of a card")
class CompanyCard:
    legal_representative: str | None
    general_manager: str | None
    purchasing_lead: str | None
    company_type: CompanyType | None
    registered_capital_fen: Fen | None
    business_scope: str | None
    export_sales: bool | None
    business_scale: str | None
    founded_on: date | None
    relationship_since: date | None
    payment_terms: str | None
    payment_method: str | None
    qualifications: list[Qualification]

    @classmethod
    def from_domain(cls, c: domain.CompanyCard | None) -> "CompanyCard | None":
        if c is None:
            return None
        return cls(**vars(c) | {"qualifications": [Qualification(**vars(q)) for q in c.qualifications]})


@strawberry.type(description="CUS-1 个人或家庭档案卡: the person/household part of a card")
class PersonCard:
    gender: str | None
    education: str | None
    age_band: str | None
    interests: str | None
    occupation: str | None
    average_income_fen: Fen | None
    preferred_payment_method: str | None
    notes: str | None

    @classmethod
    def from_domain(cls, p: domain.PersonCard | None) -> "PersonCard | None":
        return cls(**vars(p)) if p else None


SurveyStatus = strawberry.enum(domain.SurveyStatus)


@strawberry.type
class SurveyDecision:
    by: str
    at: datetime
    approve: bool
    comment: str | None


@strawberry.type(description="CUS-8 交易开始调查书: written by the person responsible, approved by the unit head, "
                             "then by the general manager; trading opens with the final approval")
class TradingSurvey:
    summary: str
    written_by: str
    written_at: datetime
    status: SurveyStatus
    decisions: list[SurveyDecision]

    @classmethod
    def from_domain(cls, s: domain.TradingSurvey) -> "TradingSurvey":
        return cls(summary=s.summary, written_by=s.written_by, written_at=s.written_at, status=s.status,
                   decisions=[SurveyDecision(**vars(d)) for d in s.decisions])


@strawberry.type
class Termination:
    reason: EndOfTrading
    note: str
    by: str
    at: datetime


@strawberry.type
class FieldChange:
    field: str
    old: JSON | None
    new: JSON | None


@strawberry.type(description="CUS-7: one version of a card: who, when, which fields, old → new")
class Revision:
    version: int
    action: str
    by: str
    at: datetime
    changes: list[FieldChange]


Dealing = strawberry.enum(timeline.Dealing, description="what another service told of the customer")


@strawberry.type(description="A dealing with the customer another service told of (a complaint filed, resolved, "
                             "reopened): kinds and outcomes, not the complaint's own text")
class TimelineEntry:
    dealing: Dealing
    at: datetime
    complaint_id: strawberry.ID
    summary: str

    @classmethod
    def from_domain(cls, e: timeline.TimelineEntry) -> "TimelineEntry":
        return cls(dealing=e.dealing, at=e.at, complaint_id=strawberry.ID(e.complaint_id), summary=e.summary)


@strawberry.type(description="CUS-6 回访记录: one visit: who, when, how, and what came of it")
class Visit:
    id: strawberry.ID
    customer_id: strawberry.ID
    by: str
    visited_at: datetime
    channel: VisitChannel
    progress: str
    achievements: str | None
    problems: str | None = strawberry.field(description="what is still unresolved")
    next_steps: str | None
    logged_at: datetime

    @classmethod
    def from_domain(cls, v: visits.Visit) -> "Visit":
        return cls(id=strawberry.ID(v.id), customer_id=strawberry.ID(v.customer_id), by=v.by, visited_at=v.at,
                   channel=v.channel, progress=v.progress, achievements=v.achievements, problems=v.problems,
                   next_steps=v.next_steps, logged_at=v.logged_at)


@strawberry.type(description="The caller, as the token says")
class Viewer:
    id: strawberry.ID
    name: str
    roles: list[str]
    region: str | None


@strawberry.input(description="CUS-10: every given condition must hold; TERMINATED cards only when asked for")
class CustomerFilter:
    text: str | None = strawberry.field(default=None, description="prefix of the name or the code, any case")
    region: str | None = None
    level: CustomerLevel | None = None
    nature: CustomerNature | None = None
    lifecycle: Lifecycle | None = None
    needs_review: bool | None = strawberry.field(default=None, description="CUS-7: stale cards (or fresh ones)")
    sold_before_trading_open: bool | None = strawberry.field(
        default=None, description="CUS-8: cards ERP invoiced before their start-of-trading survey was approved")


@strawberry.input
class ContactInput:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None


@strawberry.input
class QualificationInput:
    kind: QualificationKind
    number: str
    expires_on: date | None = None


@strawberry.input
class CompanyCardInput:
    legal_representative: str | None = None
    general_manager: str | None = None
    purchasing_lead: str | None = None
    company_type: CompanyType | None = None
    registered_capital_fen: Fen | None = None
    business_scope: str | None = None
    export_sales: bool | None = None
    business_scale: str | None = None
    founded_on: date | None = None
    relationship_since: date | None = None
    payment_terms: str | None = None
    payment_method: str | None = None
    qualifications: list[QualificationInput] = strawberry.field(default_factory=list)


@strawberry.input
class PersonCardInput:
    gender: str | None = None
    education: str | None = None
    age_band: str | None = None
    interests: str | None = None
    occupation: str | None = None
    average_income_fen: Fen | None = None
    preferred_payment_method: str | None = None
    notes: str | None = None


@strawberry.input
class RegisterCustomerInput:
    name: str
    kind: CustomerKind
    nature: CustomerNature
    region: str | None = None
    phone: str | None = None
    credit_code: str | None = strawberry.field(default=None, description="unified social credit code")
    address: str | None = None
    market_position: MarketPosition | None = None
    contacts: list[ContactInput] = strawberry.field(default_factory=list)
    company: CompanyCardInput | None = None
    person: PersonCardInput | None = None


@strawberry.input(description="Only the fields given change; a field given as null is cleared")
class UpdateCustomerInput:
    name: str | None = strawberry.UNSET
    nature: CustomerNature | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    credit_code: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    market_position: MarketPosition | None = strawberry.UNSET
    contacts: list[ContactInput] | None = strawberry.UNSET
    company: CompanyCardInput | None = strawberry.UNSET
    person: PersonCardInput | None = strawberry.UNSET


@strawberry.input(description="CUS-8: how trading ends")
class EndTradingInput:
    reason: EndOfTrading
    note: str


@strawberry.input(description="CUS-6: a visit, logged after it happened")
class LogVisitInput:
    customer_id: strawberry.ID
    channel: VisitChannel
    progress: str
    visited_at: datetime | None = strawberry.field(default=None, description="when; now unless given")
    achievements: str | None = None
    problems: str | None = None
    next_steps: str | None = None
