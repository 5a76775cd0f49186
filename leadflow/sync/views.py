"""The sync monitor (managers: users with the sync.change_syncjob permission) and the Exact connect flow."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leadflow.core.exceptions import ApplicationError
from leadflow.sync import services
from leadflow.sync.exact_client import exact_connect_finish, exact_connect_start
from leadflow.sync.forms import RetryJobsForm
from leadflow.sync.models import SyncTarget
from leadflow.sync.selectors import PERIODS, sync_retryable_jobs, sync_target_health

MANAGE_SYNC = "sync.change_syncjob"
CONNECT_TARGETS = "sync.change_synctarget"


@require_GET
@login_required
@permission_required(MANAGE_SYNC, raise_exception=True)
def monitor(request: HttpRequest) -> HttpResponse:
    context = {
        "targets": sync_target_health(),
        "retryable_jobs": sync_retryable_jobs(),
        "periods": list(PERIODS),
        "now": timezone.now(),
    }
    return render(request, "sync/monitor.html", context)


@require_POST
@login_required
@permission_required(MANAGE_SYNC, raise_exception=True)
def retry_jobs(request: HttpRequest) -> HttpResponse:
    form = RetryJobsForm(request.POST)
    if form.is_valid():
        count = services.sync_jobs_retry(jobs=form.cleaned_data["jobs"], actor=request.user)
        messages.success(request, f"{count} job(s) queued again.")
    else:
        messages.error(request, " ".join(form.errors["jobs"]))
    return HttpResponseRedirect(reverse("sync:monitor"))


@require_POST
@login_required
@permission_required(MANAGE_SYNC, raise_exception=True)
def retry_target(request: HttpRequest, target_id: int) -> HttpResponse:
    target = get_object_or_404(SyncTarget, pk=target_id)
    count = services.sync_target_retry_all(target=target, actor=request.user)
    messages.success(request, f"{count} failed or dead job(s) for {target.name} queued again.")
    return HttpResponseRedirect(reverse("sync:monitor"))


@require_POST
@staff_member_required
@permission_required(CONNECT_TARGETS, raise_exception=True)
def exact_connect(request: HttpRequest, target_id: int) -> HttpResponse:
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
def exact_callback(request: HttpRequest) -> HttpResponse:
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
