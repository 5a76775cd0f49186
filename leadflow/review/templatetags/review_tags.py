from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key)


@register.filter
def get_field(form: Any, name: str) -> Any:
    return form[name]


@register.filter
def hours_as_text(hours: float | None) -> str:
    """A duration people read at a glance: '5.5 hours' under two days, else '53 days'."""
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{round(hours / 24)} days"
