import re
from typing import Any

from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404

from leadflow.core.cache import cache_attempt
from leadflow.intake.models import FormField, LeadForm
from leadflow.intake.selectors import form_cache_key, form_origin_allowed

FORM_PATH = re.compile(r"^/intake/forms/(?P<key>[-\w]+)/")


@receiver(check_request_enabled)
def cors_for_form_origins(sender: Any, request: Any, **kwargs: Any) -> bool:
    """Allow a cross-origin request to a form endpoint only from that form's allowed origins."""
    from leadflow.intake.views import form_for_request

    match = FORM_PATH.match(request.path)
    if not match or not re.match(settings.CORS_URLS_REGEX, request.path):
        return False
    try:
        form = form_for_request(request, match["key"])
    except Http404:
        return False
    except DatabaseError:
        return True  # the view can only answer 503 "try again"; let the script read that and retry
    return form_origin_allowed(form=form, origin=request.headers.get("Origin", ""))


@receiver([post_save, post_delete], sender=LeadForm)
@receiver([post_save, post_delete], sender=FormField)
def form_cache_forget(sender: Any, instance: LeadForm | FormField, **kwargs: Any) -> None:
    """A changed form (or one of its fields) is read fresh on the next request."""
    form = instance if isinstance(instance, LeadForm) else instance.form
    cache_attempt("form definition", lambda: cache.delete(form_cache_key(form.key)), lambda: None)
