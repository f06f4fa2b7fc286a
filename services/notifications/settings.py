"""What may be tuned without a code change (environment, prefix `NOTIFICATIONS_`).

    NOTIFICATIONS_READ_KEPT_DAYS=180
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    read_kept_days: int = Field(180, ge=1, description="a notification read this many days ago is deleted; unread "
                                                       "ones are kept until read")
    purge_every_s: float = Field(3600.0, gt=0, description="how often read notifications past keeping are deleted")
