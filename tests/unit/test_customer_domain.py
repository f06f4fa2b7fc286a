"""客户档案: the customer card, its classification, its history and its trading lifecycle.

Pure unit tests of services/customer/domain.py: no I/O, time is passed in as datetimes.
"""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.clock import add_months
from chassis.errors import Invalid, RuleViolation
from services.customer.domain import (
    CompanyCard,
    CompanyType,
    Contact,
    Customer,
    CustomerKind,
    CustomerNature,
    EndOfTrading,
    FieldChange,
    Lifecycle,
    MarketPosition,
    PersonCard,
    Qualification,
    QualificationKind,
    SurveyStatus,
    lifecycle_at,
)
from services.customer.identity import (
    credit_code_check_char,
    is_valid_credit_code,
    normalised_name,
    normalised_phone,
)

# -- builders ------------------------------------------------------------------------------------

T0 = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)  # when the card is registered (mid-month: no clamping)


def months(n: int, after: datetime = T0) -> datetime:
    """The instant `n` calendar months after `after` (T0 unless told)."""
    return add_months(after, n)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def a_contact(**overrides) -> Contact:
    return Contact(**{"name": "王经理", "title": "采购主管", "phone": "138 0013 8000", "email": "wang@example.cn",
                      **overrides})


def a_company(**overrides) -> Customer:
    card = {
        "id": "cust-1", "code": "C000001", "by": "alice", "now": T0,
        "name": "华东机电有限公司", "kind": CustomerKind.COMPANY, "nature": CustomerNature.ORDINARY_COMPANY,
        "region": "华东", "phone": "021-6123 4567", "address": "上海市浦东新区",
        "company": CompanyCard(company_type=CompanyType.PRIVATE, legal_representative="李四"),
        **overrides,
    }
    return Customer.register(**card)


def a_person(**overrides) -> Customer:
    card = {
        "id": "cust-2", "code": "C000002", "by": "alice", "now": T0,
        "name": "张三", "kind": CustomerKind.INDIVIDUAL, "nature": CustomerNature.INDIVIDUAL,
        "phone": "13900139000", "person": PersonCard(gender="M", occupation="教师"),
        **overrides,
    }
    return Customer.register(**card)


def saved(customer: Customer) -> Customer:
    """As the archive hands it back after a save: its version moved on, no unsaved revisions."""
    customer.version += len(customer.revisions)
    customer.revisions = []
    return customer


def a_customer_trading_since(first_sale: datetime, last_sale: datetime | None = None, *,
                             now: datetime | None = None, **overrides) -> Customer:
    customer = a_company(**overrides)
    last_sale = last_sale or first_sale
    customer.record_sale(first_sale, now=now or last_sale)
    if last_sale != first_sale:
        customer.record_sale(last_sale, now=now or last_sale)
    return saved(customer)


def a_valid_credit_code(first17: str = "91310115MA1H7XY2P") -> str:
    return first17 + credit_code_check_char(first17)


def invalid_field(excinfo: pytest.ExceptionInfo) -> object:
    return excinfo.value.extensions["field"]


# -- CUS-1: two kinds of card ---------------------------------------------------------------------


def test_cus_1_company_card_holds_its_company_part_and_contacts():
    customer = a_company(
        company=CompanyCard(
            legal_representative="李四", general_manager="王五", purchasing_lead="赵六",
            company_type=CompanyType.JOINT_VENTURE, registered_capital_fen=500_000_000,
            export_sales=True, payment_terms="月结30天",
            qualifications=(Qualification(QualificationKind.TAX_REGISTRATION, "310115123456789",
                                          datetime(2026, 6, 30).date()),),
        ),
        contacts=(a_contact(), a_contact(name="陈工", phone=None)),
    )

    assert customer.company.company_type is CompanyType.JOINT_VENTURE
    assert [c.name for c in customer.contacts] == ["王经理", "陈工"]
    assert customer.person is None


def test_cus_1_company_card_refuses_a_person_part():
    with pytest.raises(Invalid) as refused:
        a_company(person=PersonCard(gender="F"))

    assert invalid_field(refused) == "person"
    assert refused.value.extensions["code"] == "VALIDATION"


def test_cus_1_person_card_refuses_a_company_part():
    with pytest.raises(Invalid) as refused:
        a_person(company=CompanyCard(company_type=CompanyType.PRIVATE))

    assert invalid_field(refused) == "company"


def test_cus_1_person_card_cannot_gain_a_company_part_by_an_edit():
    customer = saved(a_person())

    with pytest.raises(Invalid) as refused:
        customer.update({"company": CompanyCard(company_type=CompanyType.PRIVATE)}, by="bob", now=months(1))

    assert invalid_field(refused) == "company"
    assert customer.revisions == []


def test_cus_1_contact_phone_is_validated_naming_the_contact():
    with pytest.raises(Invalid) as refused:
        a_company(contacts=(a_contact(phone="call me"),))

    assert invalid_field(refused) == "contacts[0].phone"


def test_cus_1_contact_name_must_not_be_blank_naming_the_contact():
    with pytest.raises(Invalid) as refused:
        a_company(contacts=(a_contact(), a_contact(name="   ")))

    assert invalid_field(refused) == "contacts[1].name"


def test_cus_1_contact_without_phone_is_accepted():
    customer = a_company(contacts=(a_contact(phone=None),))

    assert customer.contacts[0].phone is None


@pytest.mark.parametrize("phone", ["021-6123 4567", "+86 138 0013 8000", "(021) 61234567", "12345"])
def test_cus_1_card_phone_accepts_the_usual_forms(phone):
    assert a_company(phone=phone).phone == phone


@pytest.mark.parametrize("phone", ["1234", "021-6123 4567 ext 8", "+", "1" * 21, "-12345"])
def test_cus_1_card_phone_that_is_not_a_phone_is_refused(phone):
    with pytest.raises(Invalid) as refused:
        a_company(phone=phone)

    assert invalid_field(refused) == "phone"


@pytest.mark.parametrize("name", ["", "   "])
def test_cus_1_name_must_not_be_blank(name):
    with pytest.raises(Invalid) as refused:
        a_company(name=name)

    assert invalid_field(refused) == "name"


def test_cus_1_name_longer_than_200_characters_is_refused():
    assert a_company(name="公" * 200).name == "公" * 200
    with pytest.raises(Invalid) as refused:
        a_company(name="公" * 201)

    assert invalid_field(refused) == "name"


def test_cus_1_negative_registered_capital_is_refused():
    with pytest.raises(Invalid) as refused:
        a_company(company=CompanyCard(registered_capital_fen=-1))

    assert invalid_field(refused) == "company.registeredCapitalFen"


def test_cus_1_invalid_credit_code_is_refused_naming_the_field():
    code = a_valid_credit_code()
    wrong_check = code[:17] + ("0" if code[17] != "0" else "1")

    with pytest.raises(Invalid) as refused:
        a_company(credit_code=wrong_check)

    assert invalid_field(refused) == "creditCode"


# -- CUS-2: lifecycle by trading history ----------------------------------------------------------


def test_cus_2_never_traded_is_potential():
    assert lifecycle_at(None, None, False, months(30)) is Lifecycle.POTENTIAL
    assert a_company().lifecycle is Lifecycle.POTENTIAL


def test_cus_2_first_sale_makes_a_potential_customer_new():
    customer = saved(a_company())

    customer.record_sale(months(1), now=months(1))

    assert customer.lifecycle is Lifecycle.NEW
    assert customer.first_sale_at == customer.last_sale_at == months(1)


def test_cus_2_new_until_12_months_after_first_sale_then_established():
    first, last = T0, months(11)  # still buying every month or so

    assert lifecycle_at(first, last, False, months(12) - days(1)) is Lifecycle.NEW
    assert lifecycle_at(first, last, False, months(12)) is Lifecycle.ESTABLISHED
    assert lifecycle_at(first, months(30), False, months(31)) is Lifecycle.ESTABLISHED


def test_cus_2_no_sale_for_3_months_is_dormant():
    last_sale = months(5)

    assert lifecycle_at(T0, last_sale, False, months(3, after=last_sale)) is Lifecycle.DORMANT


def test_cus_2_not_dormant_a_day_before_3_months_without_a_sale():
    last_sale = months(5)

    assert lifecycle_at(T0, last_sale, False, months(3, after=last_sale) - days(1)) is Lifecycle.NEW
    assert lifecycle_at(T0, last_sale, False,
                        months(3, after=last_sale) - timedelta(microseconds=1)) is Lifecycle.NEW


def test_cus_2_dormancy_counts_calendar_months_from_a_month_end():
    last_sale = datetime(2023, 11, 30, 9, tzinfo=UTC)  # three calendar months later: 29 Feb 2024

    assert lifecycle_at(last_sale, last_sale, False, datetime(2024, 2, 29, 8, 59, tzinfo=UTC)) is Lifecycle.NEW
    assert lifecycle_at(last_sale, last_sale, False, datetime(2024, 2, 29, 9, tzinfo=UTC)) is Lifecycle.DORMANT


def test_cus_2_dormant_wins_over_established():
    last_sale = months(20)

    assert lifecycle_at(T0, last_sale, False, months(3, after=last_sale)) is Lifecycle.DORMANT


@pytest.mark.parametrize("first, last, now", [
    (None, None, T0),  # potential
    (T0, T0, months(1)),  # new
    (T0, months(20), months(21)),  # established
    (T0, T0, months(6)),  # dormant
])
def test_cus_2_terminated_wins_over_any_trading_history(first, last, now):
    assert lifecycle_at(first, last, True, now) is Lifecycle.TERMINATED


def test_cus_2_a_sale_wakes_a_dormant_customer():
    customer = a_customer_trading_since(T0, now=months(4))
    assert customer.lifecycle is Lifecycle.DORMANT

    customer.record_sale(months(5), now=months(5))

    assert customer.lifecycle is Lifecycle.NEW
    assert customer.last_sale_at == months(5)


def test_cus_2_sale_recorded_out_of_order_keeps_first_and_last():
    customer = a_customer_trading_since(months(2), months(6))

    customer.record_sale(months(1), now=months(7))  # an older invoice arrives late
    customer.record_sale(months(4), now=months(7))

    assert customer.first_sale_at == months(1)
    assert customer.last_sale_at == months(6)


def test_cus_2_refresh_lifecycle_records_a_lifecycle_revision_by_system():
    customer = a_customer_trading_since(T0, now=months(1))

    changed = customer.refresh_lifecycle(months(3))

    assert changed is True
    assert customer.lifecycle is Lifecycle.DORMANT
    [revision] = customer.revisions
    assert (revision.action, revision.by, revision.at) == ("LIFECYCLE", "system", months(3))
    assert revision.changes == (FieldChange("lifecycle", "NEW", "DORMANT"),)


def test_cus_2_refresh_lifecycle_without_a_change_records_nothing():
    customer = a_customer_trading_since(T0, now=months(1))

    changed = customer.refresh_lifecycle(months(3) - days(1))

    assert changed is False
    assert customer.lifecycle is Lifecycle.NEW
    assert customer.revisions == []


def test_cus_2_first_sale_records_potential_to_new_by_system():
    customer = saved(a_company())

    customer.record_sale(months(1), now=months(1))

    [revision] = customer.revisions
    assert (revision.action, revision.by) == ("LIFECYCLE", "system")
    assert revision.changes == (FieldChange("lifecycle", "POTENTIAL", "NEW"),)


def test_cus_2_new_customer_is_due_when_it_would_go_dormant_if_that_comes_first():
    customer = a_customer_trading_since(T0, months(2))

    assert customer.lifecycle is Lifecycle.NEW
    assert customer.lifecycle_due_at() == months(5)  # min(first + 12 months, last + 3 months)


def test_cus_2_new_customer_is_due_when_it_becomes_established_if_that_comes_first():
    customer = a_customer_trading_since(T0, months(11))

    assert customer.lifecycle is Lifecycle.NEW
    assert customer.lifecycle_due_at() == months(12)


def test_cus_2_new_customer_due_date_is_its_next_lifecycle_change():
    customer = a_customer_trading_since(T0, months(11))
    due = customer.lifecycle_due_at()

    assert customer.refresh_lifecycle(due - timedelta(microseconds=1)) is False
    assert customer.refresh_lifecycle(due) is True
    assert customer.lifecycle is Lifecycle.ESTABLISHED


def test_cus_2_established_customer_is_due_3_months_after_its_last_sale():
    customer = a_customer_trading_since(T0, months(13))

    assert customer.lifecycle is Lifecycle.ESTABLISHED
    assert customer.lifecycle_due_at() == months(16)


def test_cus_2_potential_customer_has_no_lifecycle_due_date():
    assert a_company().lifecycle_due_at() is None


def test_cus_2_dormant_customer_has_no_lifecycle_due_date():
    customer = a_customer_trading_since(T0, now=months(3))

    assert customer.lifecycle is Lifecycle.DORMANT
    assert customer.lifecycle_due_at() is None


def test_cus_2_terminated_customer_has_no_lifecycle_due_date():
    customer = a_customer_trading_since(T0, months(2))

    customer.end_trading(EndOfTrading.TERMINATION, "stopped buying", by="boss", now=months(3))

    assert customer.lifecycle_due_at() is None


# -- CUS-7: dynamic archive -----------------------------------------------------------------------


def test_cus_7_registration_is_the_first_version_of_the_card():
    customer = a_company(market_position=MarketPosition.KEY)

    [revision] = customer.revisions
    assert (revision.version, revision.action, revision.by, revision.at) == (1, "REGISTERED", "alice", T0)
    changes = {c.field: (c.old, c.new) for c in revision.changes}
    assert changes["kind"] == (None, "COMPANY")
    assert changes["name"] == (None, "华东机电有限公司")
    assert changes["market_position"] == (None, "KEY")
    assert "credit_code" not in changes  # empty fields are not shown as changes


def test_cus_7_update_records_only_changed_fields_old_to_new():
    customer = saved(a_company())

    changed = customer.update({"name": "华东机电股份有限公司", "region": "华东", "address": "上海市闵行区"},
                              by="bob", now=months(2))

    assert changed == [
        FieldChange("name", "华东机电有限公司", "华东机电股份有限公司"),
        FieldChange("address", "上海市浦东新区", "上海市闵行区"),
    ]
    [revision] = customer.revisions
    assert (revision.action, revision.by, revision.at) == ("UPDATED", "bob", months(2))
    assert list(revision.changes) == changed
    assert (customer.updated_by, customer.updated_at) == ("bob", months(2))


def test_cus_7_enums_are_shown_by_name():
    customer = saved(a_company(market_position=MarketPosition.GENERAL))

    changed = customer.update({"nature": CustomerNature.GOVERNMENT, "market_position": MarketPosition.KEY},
                              by="bob", now=months(1))

    assert changed == [
        FieldChange("nature", "ORDINARY_COMPANY", "GOVERNMENT"),
        FieldChange("market_position", "GENERAL", "KEY"),
    ]
    assert all(type(v) is str for c in changed for v in (c.old, c.new))


def test_cus_7_a_field_set_from_empty_shows_none_as_old():
    customer = saved(a_company())
    code = a_valid_credit_code()

    changed = customer.update({"credit_code": code}, by="bob", now=months(1))

    assert changed == [FieldChange("credit_code", None, code)]


def test_cus_7_contacts_are_shown_as_a_list_of_plain_values():
    customer = saved(a_company(contacts=(a_contact(),)))

    [change] = customer.update({"contacts": (a_contact(phone="139 0000 1111"),)}, by="bob", now=months(1))

    assert change.field == "contacts"
    assert change.old == [{"name": "王经理", "title": "采购主管", "phone": "138 0013 8000",
                           "email": "wang@example.cn"}]
    assert change.new[0]["phone"] == "139 0000 1111"


def test_cus_7_nothing_changed_records_no_revision():
    customer = saved(a_company())

    changed = customer.update({"name": customer.name, "phone": customer.phone}, by="bob", now=months(1))

    assert changed == []
    assert customer.revisions == []
    assert (customer.updated_by, customer.updated_at) == ("alice", T0)


def test_cus_7_unknown_field_is_refused_and_nothing_changes():
    customer = saved(a_company())

    with pytest.raises(Invalid) as refused:
        customer.update({"name": "新名字", "lifecycle": Lifecycle.ESTABLISHED}, by="bob", now=months(1))

    assert invalid_field(refused) == "lifecycle"
    assert customer.name == "华东机电有限公司"
    assert customer.lifecycle is Lifecycle.POTENTIAL
    assert customer.revisions == []


def test_cus_7_kind_is_not_an_editable_field():
    customer = saved(a_company())

    with pytest.raises(Invalid) as refused:
        customer.update({"kind": CustomerKind.INDIVIDUAL}, by="bob", now=months(1))

    assert invalid_field(refused) == "kind"


def test_cus_7_invalid_edit_is_refused_naming_the_field():
    customer = saved(a_company())

    with pytest.raises(Invalid) as refused:
        customer.update({"contacts": (a_contact(), a_contact(phone="x"))}, by="bob", now=months(1))

    assert invalid_field(refused) == "contacts[1].phone"
    assert customer.revisions == []


def test_cus_7_revisions_numbered_consecutively_from_the_version():
    customer = a_company()
    customer.version, customer.revisions = 7, []  # as loaded: seven versions already in the archive

    customer.update({"name": "华东机电股份有限公司"}, by="bob", now=months(1))
    customer.record_sale(months(2), now=months(2))
    customer.update({"region": "华南"}, by="carol", now=months(3))

    assert [(r.version, r.action) for r in customer.revisions] == [(8, "UPDATED"), (9, "LIFECYCLE"), (10, "UPDATED")]
    assert {r.customer_id for r in customer.revisions} == {"cust-1"}


def test_cus_7_untouched_for_12_months_needs_review():
    customer = saved(a_company())

    assert customer.needs_review(months(12)) is True
    assert customer.needs_review(months(30)) is True


def test_cus_7_not_marked_for_review_a_day_before_12_months():
    customer = saved(a_company())

    assert customer.needs_review(months(12) - days(1)) is False
    assert customer.needs_review(T0) is False


def test_cus_7_an_edit_restarts_the_review_clock():
    customer = saved(a_company())

    customer.update({"address": "上海市闵行区"}, by="bob", now=months(6))

    assert customer.needs_review(months(12)) is False
    assert customer.needs_review(months(18)) is True


def test_cus_7_an_edit_that_changes_nothing_does_not_restart_the_review_clock():
    customer = saved(a_company())

    customer.update({"address": customer.address}, by="bob", now=months(6))

    assert customer.needs_review(months(12)) is True


def test_cus_7_archived_card_is_not_marked_for_review():
    customer = saved(a_company())
    customer.end_trading(EndOfTrading.DISSOLUTION, "company dissolved", by="boss", now=months(1))

    assert customer.needs_review(months(24)) is False


# -- CUS-8: start and end of a trading relationship -------------------------------------------------


def approved(customer):
    customer.submit_trading_survey("survey", by="rep", now=months(0))
    customer.decide_trading_survey(True, None, by="unit-head", now=months(0))
    customer.decide_trading_survey(True, None, by="gm", now=months(0))
    return customer


def test_cus_8_the_survey_is_written_then_approved_by_the_unit_head_then_the_general_manager():
    customer = saved(a_company())
    customer.submit_trading_survey("  资信良好, 月采购额约5万  ", by="rep", now=months(1))
    assert (customer.trading_survey.summary, customer.trading_survey.status) == ("资信良好, 月采购额约5万",
                                                                                SurveyStatus.SUBMITTED)
    customer.decide_trading_survey(True, "可以", by="unit-head", now=months(1))
    assert customer.trading_survey.status is SurveyStatus.UNIT_HEAD_APPROVED and not customer.trading_open
    customer.decide_trading_survey(True, None, by="gm", now=months(1))
    assert customer.trading_survey.status is SurveyStatus.APPROVED and customer.trading_open
    assert [r.action for r in customer.revisions] == [
        "TRADING_SURVEY_SUBMITTED", "TRADING_SURVEY_UNIT_HEAD_APPROVED", "TRADING_SURVEY_APPROVED"]
    assert customer.events[-1].trading_open
    with pytest.raises(RuleViolation) as refused:
        customer.decide_trading_survey(True, None, by="gm", now=months(2))
    assert refused.value.extensions["rule"] == "CUS-8"


def test_cus_8_an_invoice_before_the_surveys_final_approval_is_kept_and_flagged_with_the_earliest_date():
    customer = saved(a_company())
    customer.record_sale(months(0), now=months(0))
    assert customer.sold_before_trading_open_at == months(0) and customer.first_sale_at == months(0)
    customer.record_sale(months(-1), now=months(0))  # an older invoice arriving late
    assert customer.sold_before_trading_open_at == months(-1)

    opened = approved(saved(a_company()))  # approved at months(0)
    opened.record_sale(months(1), now=months(1))
    assert opened.sold_before_trading_open_at is None
    opened.record_sale(months(-2), now=months(1))  # issued before the approval, told after it
    assert opened.sold_before_trading_open_at == months(-2)


def test_cus_8_whoever_wrote_the_survey_does_not_approve_it():
    customer = saved(a_company())
    customer.submit_trading_survey("资信良好", by="unit-head", now=months(1))
    with pytest.raises(RuleViolation) as refused:
        customer.decide_trading_survey(True, None, by="unit-head", now=months(1))
    assert refused.value.extensions["rule"] == "CUS-8" and customer.trading_survey.status is SurveyStatus.SUBMITTED


def test_cus_8_a_rejected_survey_is_written_again():
    customer = saved(a_company())
    customer.submit_trading_survey("first", by="rep", now=months(1))
    with pytest.raises(Invalid):
        customer.decide_trading_survey(False, " ", by="unit-head", now=months(1))
    customer.decide_trading_survey(False, "资金情况不明", by="unit-head", now=months(1))
    assert customer.trading_survey.status is SurveyStatus.REJECTED and not customer.trading_open
    customer.submit_trading_survey("second", by="rep", now=months(2))
    assert (customer.trading_survey.summary, customer.trading_survey.decisions) == ("second", ())


@pytest.mark.parametrize("summary", ["", "   \n"])
def test_cus_8_a_survey_needs_a_summary(summary):
    customer = saved(a_company())
    with pytest.raises(Invalid) as refused:
        customer.submit_trading_survey(summary, by="rep", now=months(1))
    assert invalid_field(refused) == "survey" and customer.trading_survey is None and customer.revisions == []


def test_cus_8_a_survey_waiting_or_approved_is_not_written_over():
    customer = saved(a_company())
    customer.submit_trading_survey("first survey", by="rep", now=months(1))
    with pytest.raises(RuleViolation) as refused:
        customer.submit_trading_survey("second survey", by="rep", now=months(2))
    assert refused.value.extensions["rule"] == "CUS-8" and customer.trading_survey.summary == "first survey"


def test_cus_8_end_trading_archives_the_customer_and_keeps_the_record():
    customer = saved(approved(a_customer_trading_since(T0, months(2))))

    customer.end_trading(EndOfTrading.TERMINATION, "repeated late payment", by="boss", now=months(3))

    assert customer.lifecycle is Lifecycle.TERMINATED
    termination = customer.termination
    assert (termination.reason, termination.note, termination.by, termination.at) == (
        EndOfTrading.TERMINATION, "repeated late payment", "boss", months(3))
    [revision] = customer.revisions
    assert (revision.action, revision.by, revision.at) == ("TERMINATED", "boss", months(3))
    assert revision.changes == (FieldChange("lifecycle", "NEW", "TERMINATED"),)
    # archived, never deleted: the card and its trading history are all still there
    assert (customer.name, customer.phone, customer.first_sale_at, customer.last_sale_at) == (
        "华东机电有限公司", "021-6123 4567", T0, months(2))
    assert customer.trading_survey.summary == "survey"


def test_cus_8_archived_card_refuses_edits():
    customer = saved(a_company())
    customer.end_trading(EndOfTrading.DISSOLUTION, "dissolved", by="boss", now=months(1))

    with pytest.raises(RuleViolation) as refused:
        customer.update({"name": "改名"}, by="bob", now=months(2))

    assert refused.value.extensions["rule"] == "CUS-8"
    assert refused.value.extensions["code"] == "RULE_VIOLATION"
    assert customer.name == "华东机电有限公司"


def test_cus_8_archived_card_refuses_start_of_trading():
    customer = saved(a_company())
    customer.end_trading(EndOfTrading.DISSOLUTION, "dissolved", by="boss", now=months(1))

    with pytest.raises(RuleViolation) as refused:
        customer.submit_trading_survey("try again", by="rep", now=months(2))

    assert refused.value.extensions["rule"] == "CUS-8"
    assert customer.trading_survey is None


def test_cus_8_trading_cannot_end_twice():
    customer = saved(a_company())
    customer.end_trading(EndOfTrading.DISSOLUTION, "dissolved", by="boss", now=months(1))

    with pytest.raises(RuleViolation) as refused:
        customer.end_trading(EndOfTrading.TERMINATION, "again", by="boss", now=months(2))

    assert refused.value.extensions["rule"] == "CUS-8"
    assert customer.termination.reason is EndOfTrading.DISSOLUTION


def test_cus_8_a_late_invoice_does_not_bring_an_archived_customer_back():
    customer = a_customer_trading_since(T0)
    customer.end_trading(EndOfTrading.TERMINATION, "stopped", by="boss", now=months(1))
    customer = saved(customer)

    customer.record_sale(months(2), now=months(2))

    assert customer.lifecycle is Lifecycle.TERMINATED
    assert customer.revisions == []
    assert customer.refresh_lifecycle(months(4)) is False


# -- CUS-12: duplicate guard ----------------------------------------------------------------------


def test_cus_12_credit_code_key_ignores_case():
    code = a_valid_credit_code()

    upper = a_company(credit_code=code, phone=None)
    lower = a_company(credit_code=code.lower(), phone=None, name="another name")

    assert upper.dedupe_keys() == lower.dedupe_keys() == [f"credit:{code}"]


def test_cus_12_same_name_ignoring_width_case_punctuation_and_spaces_is_the_same_company():
    half = a_company(name="ABC贸易(上海)有限公司", phone="021-6123 4567")
    full = a_company(name="ＡＢＣ 贸易（上海）有限公司", phone="021-6123 4567")
    spaced = a_company(name="abc  贸易 · 上海 · 有限公司", phone="021-6123 4567")

    assert half.dedupe_keys() == full.dedupe_keys() == spaced.dedupe_keys()


def test_cus_12_phone_key_ignores_formatting():
    one = a_company(phone="021-6123 4567")
    other = a_company(phone="(021) 61234567")

    assert one.dedupe_keys() == other.dedupe_keys()


def test_cus_12_plus_86_mobile_is_the_same_phone_as_without_prefix():
    international = a_company(phone="+86 138 0013 8000")
    domestic = a_company(phone="13800138000")

    assert international.dedupe_keys() == domestic.dedupe_keys()
    assert normalised_phone("+86-138-0013-8000") == "13800138000"


def test_cus_12_plus_86_landline_is_the_same_phone_as_its_domestic_form():
    # +86 drops the trunk 0 of the area code: +86 21 6123 4567 is dialled at home as 021-6123 4567.
    international = a_company(phone="+86 21 6123 4567")
    domestic = a_company(phone="021-6123 4567")

    assert international.dedupe_keys() == domestic.dedupe_keys()


def test_cus_12_same_name_other_phone_is_not_the_same_company():
    one = a_company(phone="021-6123 4567")
    other = a_company(phone="021-6123 4568")

    assert set(one.dedupe_keys()).isdisjoint(other.dedupe_keys())


def test_cus_12_no_name_and_phone_key_without_a_phone():
    assert a_company(phone=None).dedupe_keys() == []
    code = a_valid_credit_code()
    assert a_company(phone=None, credit_code=code).dedupe_keys() == [f"credit:{code}"]


def test_cus_12_company_with_credit_code_and_phone_has_both_keys():
    code = a_valid_credit_code()

    keys = a_company(credit_code=code, phone="+86 138 0013 8000", name="ＡＢＣ 有限公司").dedupe_keys()

    assert keys == [f"credit:{code}", "name+phone:abc有限公司|13800138000"]


def test_cus_12_normalised_name_folds_width_case_punctuation_and_spaces():
    assert normalised_name("ＡＢＣ 有限公司") == normalised_name("abc有限公司") == "abc有限公司"
    assert normalised_name("Acme Co., Ltd.") == normalised_name("ACME co ltd") == "acmecoltd"


def test_cus_12_an_edit_changes_the_keys():
    customer = saved(a_company(phone="021-6123 4567"))
    before = customer.dedupe_keys()

    customer.update({"phone": "021-6123 9999"}, by="bob", now=months(1))

    assert customer.dedupe_keys() != before


# -- unified social credit code (GB 32100-2015) -----------------------------------------------------


def test_credit_code_with_its_check_character_is_valid():
    assert is_valid_credit_code(a_valid_credit_code("91310115MA1H7XY2P"))
    assert is_valid_credit_code(a_valid_credit_code("12100000400000000"))


def test_credit_code_published_example_is_valid():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100M000100Y43")


@pytest.mark.parametrize("position", range(18))
def test_credit_code_with_one_character_changed_is_invalid(position):
    code = a_valid_credit_code()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    replacement = next(c for c in alphabet if c != code[position])

    changed = code[:position] + replacement + code[position + 1:]

    assert not is_valid_credit_code(changed)


def test_credit_code_in_lowercase_is_accepted():
    code = a_valid_credit_code()

    assert is_valid_credit_code(code.lower())
    assert a_company(credit_code=code.lower()).credit_code == code.lower()


@pytest.mark.parametrize("length", [0, 17, 19])
def test_credit_code_of_the_wrong_length_is_refused(length):
    code = (a_valid_credit_code() + "0")[:length] if length <= 18 else a_valid_credit_code() + "0"

    assert len(code) == length
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_credit_code_with_a_letter_outside_the_alphabet_is_refused(letter):
    code = a_valid_credit_code()

    assert not is_valid_credit_code(code[:10] + letter + code[11:])
