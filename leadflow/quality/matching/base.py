"""The matcher contract: each proposes records that may be the same customer as a lead, with a score and reasons.

`settings.LEADFLOW_MATCHERS` lists the matchers. Matchers only read: the checks service stores what they propose.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from leadflow.leads.models import Lead


@dataclass(frozen=True)
class Candidate:
    """A record that may be the lead's customer. `same_account`: below the thresholds, yet one company."""

    score: float
    reasons: list[str]
    other_lead_id: int | None = None
    remote_object: str = ""
    remote_id: str = ""
    remote_label: str = field(default="", compare=False)
    same_account: bool = False


class Matcher:
    """Contract for matchers (settings.LEADFLOW_MATCHERS). Scores run from 0 (different) to 1 (same).

    `network` says whether `match` calls another system: such matchers run outside any row lock, and an
    ExternalServiceError from them becomes a warning on the lead instead of failing the checks.
    """

    name: ClassVar[str] = ""  # stored with what it finds
    network = False

    def match(self, *, lead: Lead) -> list[Candidate]:
        raise NotImplementedError
