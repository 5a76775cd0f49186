"""The door Pipedrive's v2 webhooks knock on: basic-auth credentials checked, the won deal noted, answered."""

import json
import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.core.exceptions import ApplicationError
from leadflow.integrations.pipedrive.deals import pipedrive_webhook_authentic, pipedrive_webhook_receive

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024


@csrf_exempt  # Pipedrive posts server-to-server with no session; the webhook's basic-auth credentials authenticate it
@require_POST
def webhook(request: HttpRequest) -> JsonResponse:
    if not pipedrive_webhook_authentic(authorization=request.headers.get("Authorization", "")):
        logger.warning(
            "Pipedrive webhook refused from %s: wrong or missing credentials.", request.META.get("REMOTE_ADDR")
        )
        response = JsonResponse({"error": "Wrong or missing credentials."}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="Leadflow Pipedrive webhook"'
        return response
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    try:
        noted = pipedrive_webhook_receive(body=json.loads(request.body))
    except ValueError:
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"noted": noted})
