"""Ownership's own configuration (environment `OWNERSHIP_...`): OWN-5's limits, recall periods, pools, the sweep's pace.

    OWNERSHIP_RECALL_MONTHS='{"VIP": {"noDeal": 3, "noSale": 6}, "A": {"noSale": 4}}'
    OWNERSHIP_POOLS='{"east": ["east-key-accounts"]}'
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.ownership.domain import FIRST_CONTACT_MONTHS, NO_SALE_MONTHS, PoolRules, RecallPeriods

LEVELS = ("SPECIAL_VIP", "VIP", "A", "B", "C")  # CUS-3's levels, as the customer service names them


class RecallMonths(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    no_deal: int = Field(FIRST_CONTACT_MONTHS, ge=1, le=36, description="OWN-1: months to close a first deal")
    no_sale: int = Field(NO_SALE_MONTHS, ge=1, le=36, description="OWN-3: months without a sale")


class OwnershipSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OWNERSHIP_", extra="ignore")

    max_customers: int = Field(200, ge=1, description="OWN-5: customers one salesperson may own")
    cooldown_days: int = Field(30, ge=0, description="OWN-5: before a previous owner may claim the customer again")
    claims_per_day: int = Field(10, ge=1, description="pool customers one salesperson may claim per company day")
    protected_per_salesperson: int = Field(5, ge=0, description="customers one salesperson may keep out of "
                                                                 "automatic recall at once")
    recall_warning_days: int = Field(7, ge=0, description="days before a claim runs out that its owner is warned")
    recall_months: dict[str, RecallMonths] = Field(
        default_factory=dict, description="OWN-1 / OWN-3 periods by customer level; a level not named keeps 2 / 3")
    pools: dict[str, list[str]] = Field(default_factory=dict, description="each region's pools beyond its own "
                                                                          "(named as the region)")
    sweep_every_s: float = Field(3600.0, gt=0, description="how often the 2-month / 3-month lapse sweep runs")

    @field_validator("recall_months")
    @classmethod
    def _known_levels(cls, value: dict[str, RecallMonths]) -> dict[str, RecallMonths]:
        if unknown := sorted(set(value) - set(LEVELS)):
            raise ValueError(f"unknown customer levels {unknown}; known: {', '.join(LEVELS)}")
        return value

    @field_validator("pools")
    @classmethod
    def _named_pools(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if any(not name.strip() for names in value.values() for name in names):
            raise ValueError("a pool needs a name")
        return value

    @property
    def pool_rules(self) -> PoolRules:
        return PoolRules(max_customers=self.max_customers, cooldown_days=self.cooldown_days,
                         claims_per_day=self.claims_per_day,
                         protected_per_salesperson=self.protected_per_salesperson,
                         recall_warning_days=self.recall_warning_days,
                         recall_periods={level: RecallPeriods(m.no_deal, m.no_sale)
                                         for level, m in self.recall_months.items()},
                         more_pools={region: tuple(names) for region, names in self.pools.items()})
