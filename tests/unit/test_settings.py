"""Settings come from the environment under the names the README documents."""

import os

import pytest

from chassis.settings import Settings
from services.complaints.settings import ComplaintsSettings
from services.credit.settings import CreditSettings
from services.customer.settings import CustomerSettings
from services.ownership.settings import OwnershipSettings


def test_environment_names_as_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"MONGO_URL": "mongodb://m/", "AMQP_URL": "amqp://a/", "CRM_INSTANCE": "t1",
                        "RETRY_DELAYS_S": "[1, 2]", "QUEUE_EXPIRES_S": "60", "CRM_ENV": "test"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.mongo_url, settings.amqp_url, settings.instance) == ("mongodb://m/", "amqp://a/", "t1")
    assert settings.retry_delays_s == [1, 2] and settings.queue_expires_s == 60 and settings.crm_env == "test"


def test_production_refuses_the_dev_secret_and_the_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_ENV", "prod")
    with pytest.raises(ValueError, match="JWT_SECRET"):
        Settings(mongo_url="mongodb://m/", amqp_url="amqp://a/")
    with pytest.raises(ValueError, match="MONGO_URL"):
        Settings(jwt_secret="s" * 32)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No service variable set: what a fresh deployment runs with."""
    for name in list(os.environ):
        if name.startswith(("CUSTOMER_", "CREDIT_", "OWNERSHIP_", "COMPLAINTS_")):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
def test_the_defaults_are_the_rules_numbers() -> None:
    """domain.md's defaults, as each service really starts: OWN-5 (200 customers, 30 days' cooldown),
    CUS-3 (100,000 / 50,000 / 30,000 CNY, 12 months, 30 days overdue), CRD-8 (20 %), CMP-4 (1 working day)."""
    pool = OwnershipSettings().pool_rules
    assert (pool.max_customers, pool.cooldown_days) == (200, 30)
    levels = CustomerSettings().level_policy
    assert (levels.vip_fen, levels.a_fen, levels.b_fen) == (10_000_000, 5_000_000, 3_000_000)
    assert (levels.window_months, levels.overdue_days) == (12, 30)
    credit = CreditSettings()
    assert (credit.review_increase_cap_percent, credit.review_cut_percent) == (20, 20)
    assert ComplaintsSettings().acknowledge_working_days == 1
