"""Configuration from the environment: one `Settings` for every process kind."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.logs import LogFormat

DEV_JWT_SECRET = "crm-dev-secret-not-for-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    crm_env: Literal["dev", "test", "prod"] = "dev"
    mongo_url: str | None = Field(None, description="unset: an embedded nx-27017 under data_dir")
    amqp_url: str | None = Field(None, description="unset: the in-process bus")
    jwt_secret: str = DEV_JWT_SECRET
    jwks_url: str | None = None
    data_dir: Path = Path(".crm")
    # A failed handler is retried after each of these delays, then dead-lettered.
    retry_delays_s: list[float] = [0.5, 2.0, 10.0, 30.0, 60.0]
    prefetch: int = 32
    # RabbitMQ: each service's events are split by customer into this many queues, each worked by one replica
    # at a time; more replicas than partitions only wait. Every replica of a service must agree on it.
    partitions: int = Field(4, ge=1, le=64)
    outbox_poll_s: float = 1.0
    publish_source: str = "crm"
    log_level: str = "INFO"
    log_format: LogFormat = "text"  # json: one object per line, for a log pipeline
    # Lets several copies of the system share one MongoDB and one broker (tests, previews):
    # databases become crm_<service>_<instance>, queues crm.<service>.<instance>.
    instance: str = Field("", validation_alias="CRM_INSTANCE")
    # Such copies' queues may expire once unused this long, so a crashed one leaves nothing behind.
    queue_expires_s: float | None = None
    subgraphs: str = ""
    # Every process: what a request to /graphql may be, and how long it may take (its work is then cancelled).
    max_body_bytes: int = Field(1_048_576, gt=0)
    request_deadline_s: float = Field(10.0, gt=0)
    # Gateway only: requests per second each caller may make, with bursts of `rate_limit_burst`; unset: off.
    rate_limit_per_s: float | None = Field(None, gt=0)
    rate_limit_burst: int = Field(30, gt=0)
    # Gateway only, with JWKS_URL: the token it asks the subgraphs for their SDL with (with JWT_SECRET it mints one).
    service_token: str | None = None

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> "Settings":
        if self.crm_env == "prod":
            if self.jwt_secret == DEV_JWT_SECRET and not self.jwks_url:
                raise ValueError("JWT_SECRET or JWKS_URL must be set when CRM_ENV=prod")
            if not self.mongo_url or not self.amqp_url:
                raise ValueError("MONGO_URL and AMQP_URL must be set when CRM_ENV=prod")
        return self
