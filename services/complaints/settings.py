"""What the complaints desk may tune without a code change (environment, prefix `COMPLAINTS_`).

    COMPLAINTS_RESOLUTION_WORKING_DAYS='{"CRITICAL": 1, "HIGH": 2, "MEDIUM": 5, "LOW": 10}'
    COMPLAINTS_HOLIDAYS='["2026-10-01", "2026-10-02"]'
"""

from datetime import date

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.complaints.calendar import WorkingCalendar, business_zone
from services.complaints.deadlines import DEFAULT_RESOLUTION_WORKING_DAYS, DeadlinePolicy
from services.complaints.domain import Severity


class ComplaintsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore")

    acknowledge_working_days: int = Field(1, ge=1, description="CMP-4: acknowledge within this many working days")
    escalate_again_working_days: int = Field(2, ge=1, description="CMP-4: a deadline still missed this many working "
                                                                  "days after an escalation goes one level higher")
    resolution_working_days: dict[Severity, int] = Field(
        default_factory=lambda: dict(DEFAULT_RESOLUTION_WORKING_DAYS),
        description="CMP-4: propose a resolution within this many working days of filing, by severity",
    )
    remind_hours_before: int = Field(24, ge=0, le=720, description="CMP-4: the handler is reminded this many hours "
                                                                   "before a deadline (0: no reminders)")
    timezone: str = Field("+08:00", description="where working days begin and end: '+08:00' or an IANA name")
    holidays: list[date] = Field(default_factory=list, description="non-working weekdays (public holidays)")
    sweep_every_s: float = Field(300.0, gt=0, description="how often the deadline sweep runs")

    @field_validator("resolution_working_days")
    @classmethod
    def _every_severity_at_least_a_day(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        merged = {Severity(name): days for name, days in {**DEFAULT_RESOLUTION_WORKING_DAYS, **value}.items()}
        if bad := sorted(s.value for s, days in merged.items() if days < 1):
            raise ValueError(f"resolution deadlines must be at least 1 working day: {', '.join(bad)}")
        return merged

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            business_zone(value)
        except (KeyError, ValueError) as e:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r}: use '+08:00' or an IANA name") from e
        return value

    @property
    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            calendar=WorkingCalendar.of(self.timezone, self.holidays),
            acknowledge_working_days=self.acknowledge_working_days,
            resolution_working_days=dict(self.resolution_working_days),
            escalate_again_working_days=self.escalate_again_working_days,
            remind_hours_before=self.remind_hours_before,
        )


