"""Credit's own configuration (environment `CREDIT_...`)."""

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.credit.review import ReviewPolicy


class IntakeSource(BaseModel):
    """How one sending system proves itself at `POST /events`: a token, an HMAC secret, or both."""

    token: str | None = Field(None, min_length=16, description="sent as `Authorization: Bearer <token>`")
    hmac_secret: str | None = Field(None, min_length=16, description="`X-Signature: sha256=<hex HMAC of the body>`")


DEV_INTAKE_TOKEN = "erp-dev-token-not-for-production"  # `crm dev` and compose accept ERP with it


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="ignore")

    review_increase_cap_percent: int = Field(20, ge=0, le=100, description="CRD-8: most a review may raise a limit")
    review_cut_percent: int = Field(20, ge=0, le=100, description="CRD-8: how much a downward review cuts a limit")
    review_every_s: float = Field(3600.0, gt=0, description="how often the quarterly-review sweep looks")
    overdue_every_s: float = Field(3600.0, gt=0, description="how often invoices passing 30 days overdue are "
                                                              "looked for (credit.invoice_overdue, CUS-3)")

    intake_sources: dict[str, IntakeSource] = Field(
        default_factory=dict, description="finance events over HTTP: JSON {source: {token, hmac_secret}}, e.g. "
                                          '{"erp": {"hmac_secret": "…"}}; none: every sender is refused')
    intake_batch_max: int = Field(100, gt=0, le=1000, description="events in one batched request")
    intake_rate_per_s: float = Field(20.0, gt=0, description="requests per second per source (bursts below)")
    intake_rate_burst: int = Field(100, gt=0)

    @property
    def review_policy(self) -> ReviewPolicy:
        return ReviewPolicy(self.review_increase_cap_percent, self.review_cut_percent)
