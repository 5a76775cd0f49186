"""What the workspace uses from apps built alongside it: merging (quality), conversion (crm), scoring
(qualification). Each is looked up here, once, so the screens offer an action only when its service exists."""

from importlib import import_module
from types import ModuleType
from typing import Any

from leadflow.leads.models import Lead
from leadflow.qualification.services import lead_assess


def _service(module_path: str, name: str) -> Any:
    try:
        module: ModuleType = import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name != module_path:
            raise
        return None
    return getattr(module, name, None)


def merge_service() -> Any:
    """`lead_merge(*, survivor, loser, field_choices, actor)` from the data-quality app, if it provides one."""
    return _service("leadflow.quality.services", "lead_merge")


def dismiss_service() -> Any:
    """`candidate_dismiss(*, candidate, actor)` from the data-quality app, if it provides one."""
    return _service("leadflow.quality.services", "candidate_dismiss")


def conversion_preview_service() -> Any:
    return _service("leadflow.crm.services", "lead_conversion_preview")


def conversion_request_service() -> Any:
    return _service("leadflow.crm.services", "lead_convert_request")


def lead_score(*, lead: Lead) -> tuple[float | None, list]:
    """The qualification score (None until the criteria app computes one) and the results behind it."""
    assessment = lead_assess(lead=lead)
    return getattr(assessment, "score", None), assessment.results
