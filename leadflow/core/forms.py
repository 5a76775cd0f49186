"""Shared bits of the workspace's forms."""

from typing import Any


class PlainLabelsMixin:
    """Labels without Django's trailing colon, as on every other workspace form (and what screen readers read)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
