"""The customer archive's own configuration (environment `CUSTOMER_...`): CUS-3's thresholds live here."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.customer.domain import LevelPolicy


class CustomerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMER_", extra="ignore")

    level_vip_fen: int = Field(10_000_000, gt=0, description="CUS-3: VIP / SPECIAL_VIP from 100,000 CNY a year")
    level_a_fen: int = Field(5_000_000, gt=0, description="CUS-3: A from 50,000 CNY a year")
    level_b_fen: int = Field(3_000_000, gt=0, description="CUS-3: B from 30,000 CNY a year; below: C")
    level_window_months: int = Field(12, ge=1, le=36, description="CUS-3: the trailing window")
    level_long_term_months: int = Field(12, ge=1, le=120,
                                        description="CUS-3: trading this long is long-term cooperation (VIP)")
    level_overdue_days: int = Field(30, ge=1, description="CUS-3: an invoice this overdue spoils good payment")
    abc_a_percent: float = Field(80.0, gt=0, le=100, description="CUS-11: class A until this share of sales")
    abc_b_percent: float = Field(95.0, gt=0, le=100, description="CUS-11: class B until this share; C after")
    level_sweep_every_s: float = Field(3600.0, gt=0, description="how often levels are recomputed as time passes")
    lifecycle_sweep_every_s: float = Field(3600.0, gt=0, description="how often lifecycles follow time (CUS-2)")
    visit_reminder_hour: int = Field(8, ge=0, le=23, description="CUS-5: from this hour of the company day, owners "
                                                                 "hear of their overdue visits (once a day)")
    visit_reminder_every_s: float = Field(900.0, gt=0, description="how often the visit reminder job looks")

    @model_validator(mode="after")
    def _levels_in_order(self) -> "CustomerSettings":
        if not self.level_b_fen < self.level_a_fen < self.level_vip_fen:
            raise ValueError("CUSTOMER_LEVEL_B_FEN < CUSTOMER_LEVEL_A_FEN < CUSTOMER_LEVEL_VIP_FEN must hold")
        return self

    @property
    def level_policy(self) -> LevelPolicy:
        return LevelPolicy(self.level_vip_fen, self.level_a_fen, self.level_b_fen, self.level_window_months,
                           self.level_long_term_months, self.level_overdue_days)
