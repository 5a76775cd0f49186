"""Gates: the checks a transition must pass, plugged in by dotted path (settings.LEADFLOW_GATES).

The state machine knows only this contract. Validators, duplicate matchers and conversion criteria
live in their own apps and expose their verdicts as gates, so adding one never touches the machine.
Gates read stored results (findings, candidates, verdicts); they never call the network.
"""

from typing import TYPE_CHECKING, ClassVar

from leadflow.core.plugins import load_objects

if TYPE_CHECKING:
    from leadflow.leads.models import Lead


class Gate:
    """One condition of a transition. `reasons` returns what blocks it, in words a sales rep understands."""

    name: ClassVar[str] = ""

    def reasons(self, *, lead: "Lead") -> list[str]:
        raise NotImplementedError


def blocking_reasons(lead: "Lead", transition: str) -> list[str]:
    return [reason for gate in load_objects("LEADFLOW_GATES", transition) for reason in gate.reasons(lead=lead)]
