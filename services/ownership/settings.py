"""Ownership's own configuration (environment `OWNERSHIP_...`): OWN-5's limits and the sweep's pace."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.ownership.domain import PoolRules


class OwnershipSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OWNERSHIP_", extra="ignore")

    max_customers: int = Field(200, ge=1, description="OWN-5: customers one salesperson may own")
    cooldown_days: int = Field(30, ge=0, description="OWN-5: before a previous owner may claim the customer again")
    claims_per_day: int = Field(10, ge=1, description="pool customers one salesperson may claim per company day")
    protected_per_salesperson: int = Field(5, ge=0, description="customers one salesperson may keep out of "
                                                                 "automatic recall at once")
    recall_warning_days: int = Field(7, ge=0, description="days before a claim runs out that its owner is warned")
    sweep_every_s: float = Field(3600.0, gt=0, description="how often the 2-month / 3-month lapse sweep runs")

    @property
    def pool_rules(self) -> PoolRules:
        return PoolRules(max_customers=self.max_customers, cooldown_days=self.cooldown_days,
                         claims_per_day=self.claims_per_day,
                         protected_per_salesperson=self.protected_per_salesperson,
                         recall_warning_days=self.recall_warning_days)
