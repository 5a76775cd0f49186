from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare_view(request: HttpRequest) -> JsonResponse:
    """The floor: Django's request/response cycle with the same middleware, no database."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/bare/", bare_view), path("", include("leadflow.urls"))]
