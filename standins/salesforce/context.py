"""Where a write comes from, as far as validation, faults and duplicate rules care."""

from dataclasses import dataclass


@dataclass(frozen=True)
class WriteContext:
    """Where a write comes from: its API version, request paths (for faults) and duplicate-rule header."""

    version: str = "61.0"
    paths: tuple[str, ...] = ()
    allow_save: bool = False
    include_record_details: bool = False
