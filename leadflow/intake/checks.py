from typing import Any

from django.conf import settings
from django.core import checks

from leadflow.core.ratelimit import rate_parse

UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.db.DatabaseCache",
)


@checks.register(checks.Tags.caches)
def rate_limit_cache_is_shared(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in UNSHARED_CACHES:
        return []
    return [
        checks.Warning(
            f"Rate limits use the {backend.rsplit('.', 1)[-1]} cache, which processes do not share or cannot "
            "increment atomically: each worker counts on its own.",
            hint="Set CACHE_URL to a Redis cache, e.g. redis://127.0.0.1:6379/1.",
            id="leadflow.W020",
        )
    ]


@checks.register()
def rate_limits_are_readable(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors = []
    for name in ("LEADFLOW_FORM_RATE_LIMIT_PER_IP", "LEADFLOW_FORM_RATE_LIMIT_PER_FORM", "LEADFLOW_API_RATE_LIMIT"):
        try:
            rate_parse(getattr(settings, name))
        except ValueError as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="leadflow.E020"))
    return errors
