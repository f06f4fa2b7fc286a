"""The customer's dealings other services tell of, beside the card's own versions (CUS-7): a complaint filed,
resolved, reopened. Entries are not card versions, so a salesperson's edit never conflicts with them.

Plain Python: no I/O, no framework.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Dealing(StrEnum):
    COMPLAINT_FILED = "COMPLAINT_FILED"
    COMPLAINT_RESOLVED = "COMPLAINT_RESOLVED"
    COMPLAINT_REOPENED = "COMPLAINT_REOPENED"


@dataclass(frozen=True)
class TimelineEntry:
    customer_id: str
    dealing: Dealing
    at: datetime
    complaint_id: str
    summary: str  # what the card's readers may see of it: kinds and outcomes, never the complaint's text

    @property
    def id(self) -> str:
        """The same news told twice (another envelope, another source) is one entry."""
        return f"{self.complaint_id}:{self.dealing}:{self.at.isoformat()}"
