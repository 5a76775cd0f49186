"""The one registry and loader of plug-ins: settings name them by dotted path, apps declare what they must be.

An app declares each plug-in setting it reads, with the contract its entries must follow, in its
`AppConfig.ready()`: `plugins.declare("LEADFLOW_VALIDATORS", base=Validator)`. The loader imports what a setting
names once and keeps it until a setting changes (`setting_changed`, which tests' `settings` fixture sends); the
system check `plugin_paths_import` imports every declared setting's paths when the project starts, so a misspelt
path fails `manage.py check` instead of the first worker that needs it. See docs/plugins.md.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PluginSetting:
    """A setting that names plug-ins: a dotted path, a list of them, or a dict whose values are either.

    `base`: the class every entry must subclass (instances are created once and shared), or None for plain
    callables (hooks, steps, admin actions). `instantiate=False` hands out the classes themselves (admin inlines).
    """

    name: str
    base: type | None = None
    instantiate: bool = True


_declared: dict[str, PluginSetting] = {}
# Entries installed apps offer for dict settings (plugins.offer in AppConfig.ready()): setting -> key -> path.
_offered: dict[str, dict[str, str]] = defaultdict(dict)


def declare(name: str, *, base: type | None = None, instantiate: bool = True) -> None:
    _declared[name] = PluginSetting(name, base, instantiate)


def declared() -> list[PluginSetting]:
    return list(_declared.values())


def offer(name: str, key: str, path: str) -> None:
    """An installed app offers a plug-in under `key` of the dict setting `name` (an integration its sync target or
    CRM target), so that installing the app is the one settings line it takes. The setting's own entries win: a
    site can replace an offered plug-in, or switch it off with an empty path."""
    _offered[name][key] = path


def configured(name: str) -> Any:
    """A plug-in setting's value as the loader sees it: for a dict setting, what installed apps offer with the
    setting's own entries over it, without switched-off ones."""
    value = getattr(settings, name, None)
    if name not in _offered:
        return value
    return {key: path for key, path in {**_offered[name], **(value or {})}.items() if path}


def load_objects(setting_name: str, key: str | None = None) -> tuple[Any, ...]:
    """The plug-ins a list setting (or one key of a dict setting) names, in order."""
    return _load(setting_name, key)


def load_object(setting_name: str, key: str | None = None) -> Any | None:
    """The plug-in a one-path setting (or one key of a dict setting) names; None when it is empty.

    A key the dict setting lacks raises LookupError, for the caller to say what was asked for.
    """
    loaded = _load(setting_name, key)
    if key is not None and not loaded:  # not listed, or switched off with an empty path
        raise LookupError(f"{setting_name} has no entry {key!r}.")
    return loaded[0] if loaded else None


@cache
def _load(setting_name: str, key: str | None) -> tuple[Any, ...]:
    try:
        spec = _declared[setting_name]
    except KeyError:
        raise ImproperlyConfigured(f"{setting_name} is not a declared plug-in setting.") from None
    value = configured(setting_name)
    if key is not None:
        value = value.get(key, ())
    paths = [value] if isinstance(value, str) else list(value)
    return tuple(_create(spec, import_string(path)) for path in paths if path)


def _create(spec: PluginSetting, obj: Any) -> Any:
    return obj() if spec.instantiate and isinstance(obj, type) else obj


@dataclass(frozen=True)
class Entry:
    """One dotted path a setting names. `where` is written as in settings.py; `key` is set for a dict that maps
    each key to one plug-in (SYNC_TARGET_KINDS), where the key must be the plug-in's `name`."""

    where: str
    path: str
    key: str | None = None


def entries(spec: PluginSetting) -> Iterator[Entry]:
    value = configured(spec.name)
    groups = value.items() if isinstance(value, dict) else [(None, value)]
    for key, group in groups:
        where = spec.name if key is None else f"{spec.name}[{key!r}]"
        if isinstance(group, str):
            if group:
                yield Entry(where, group, key)
        else:
            yield from (Entry(where, path) for path in group or () if path)


def problem(spec: PluginSetting, entry: Entry) -> tuple[str, str]:
    """(check id, why) when the entry cannot serve as this setting's plug-in; ("", "") when it can."""
    try:
        obj = import_string(entry.path)
    except ImportError as exc:
        return "leadflow.E001", f"cannot be imported ({exc})"
    if spec.base is None:
        return ("", "") if callable(obj) else ("leadflow.E002", "is not callable")
    if not (isinstance(obj, type) and issubclass(obj, spec.base)):
        return "leadflow.E002", f"is not a subclass of {spec.base.__module__}.{spec.base.__qualname__}"
    name = getattr(obj, "name", None)
    if spec.instantiate and not name:
        return "leadflow.E003", "sets no `name`"
    if entry.key is not None and name != entry.key:
        return "leadflow.E003", f"is named {name!r}: the key must be the plug-in's name"
    return "", ""


def clear_cache() -> None:
    _load.cache_clear()


@receiver(setting_changed)
def _forget_plugins(**kwargs: Any) -> None:
    clear_cache()
