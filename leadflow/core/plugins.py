"""Load the plug-ins a setting names by dotted path, once, and forget them when the setting changes."""

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string


@cache
def load_objects(setting_name: str, key: str | None = None) -> tuple[Any, ...]:
    """Import each dotted path that a list setting (or one key of a dict setting) names.

    Classes are instantiated once; functions are returned as they are.
    """
    paths = getattr(settings, setting_name)
    if key is not None:
        paths = paths.get(key, ())
    loaded = []
    for path in paths:
        obj = import_string(path)
        loaded.append(obj() if isinstance(obj, type) else obj)
    return tuple(loaded)


@receiver(setting_changed)
def _forget_plugins(**kwargs: Any) -> None:
    load_objects.cache_clear()
