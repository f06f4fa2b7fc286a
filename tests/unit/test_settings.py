"""Settings come from the environment under the names the README documents."""

import pytest

from chassis.settings import Settings


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
