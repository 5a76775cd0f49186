import re
from typing import Any

from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import Http404

from leadflow.intake.selectors import form_origin_allowed

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
