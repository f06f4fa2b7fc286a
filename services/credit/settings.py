"""Credit's own configuration (environment `CREDIT_...`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.credit.review import ReviewPolicy


class CreditSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="ignore")

    review_increase_cap_percent: int = Field(20, ge=0, le=100, description="CRD-8: most a review may raise a limit")
    review_cut_percent: int = Field(20, ge=0, le=100, description="CRD-8: how much a downward review cuts a limit")
    review_every_s: float = Field(3600.0, gt=0, description="how often the quarterly-review sweep looks")
    overdue_every_s: float = Field(3600.0, gt=0, description="how often invoices passing 30 days overdue are "
                                                              "looked for (credit.invoice_overdue, CUS-3)")

    @property
    def review_policy(self) -> ReviewPolicy:
        return ReviewPolicy(self.review_increase_cap_percent, self.review_cut_percent)
