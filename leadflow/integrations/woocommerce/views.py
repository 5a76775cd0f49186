"""The door WooCommerce's webhooks knock on: check, store, answer; processing follows in a worker."""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.integrations.woocommerce.services import webhook_receive


@csrf_exempt  # a shop posts server-to-server with no session; the HMAC signature authenticates it
@require_POST
def webhook(request: HttpRequest, store: str) -> JsonResponse:
    if int(request.headers.get("Content-Length") or 0) > settings.WOOCOMMERCE_MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    answer = webhook_receive(
        store_name=store, body=request.body, headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR")
    )
    return JsonResponse({"message": answer.message}, status=answer.status_code)
