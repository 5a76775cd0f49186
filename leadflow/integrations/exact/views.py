"""The Exact Online connect flow: an admin sends the browser to Exact's consent page, Exact sends it back here."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from leadflow.core.exceptions import ApplicationError
from leadflow.integrations.exact.client import exact_connect_finish, exact_connect_start
from leadflow.sync.models import SyncTarget

CONNECT_TARGETS = "sync.change_synctarget"


@require_POST
@staff_member_required
@permission_required(CONNECT_TARGETS, raise_exception=True)
def connect(request: HttpRequest, target_id: int) -> HttpResponse:
    """Start the consent flow: stores a fresh OAuth state, so only a POST by someone who may change targets."""
    target = get_object_or_404(SyncTarget, pk=target_id)
    try:
        return HttpResponseRedirect(exact_connect_start(target=target))
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("admin:sync_synctarget_change", args=[target.pk]))


@require_GET
@staff_member_required
@permission_required(CONNECT_TARGETS, raise_exception=True)
def callback(request: HttpRequest) -> HttpResponse:
    """Exact redirects here with ?code=…&state=… (or ?error=access_denied): a GET, as OAuth prescribes."""
    if request.GET.get("error"):
        messages.error(request, f"Exact did not grant access ({request.GET['error']}).")
        return HttpResponseRedirect(reverse("admin:sync_synctarget_changelist"))
    try:
        target = exact_connect_finish(state=request.GET.get("state", ""), code=request.GET.get("code", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("admin:sync_synctarget_changelist"))
    messages.success(request, f"{target.name} is connected to Exact Online (division {target.settings['division']}).")
    return HttpResponseRedirect(reverse("admin:sync_synctarget_change", args=[target.pk]))
