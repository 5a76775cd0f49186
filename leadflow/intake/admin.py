"""Admin for intake: forms with copy-paste embeds and a live preview, submissions (spam review), API tokens,
and the file import (upload → mapping → preview → progress)."""

import json
from itertools import islice
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leadflow.core.exceptions import ApplicationError
from leadflow.core.tasks import enqueue_on_commit
from leadflow.intake import services
from leadflow.intake.embeds import embed_snippets
from leadflow.intake.importing.columns import IGNORE, LEAD_TARGETS, column_mapping_guess
from leadflow.intake.importing.services import row_map
from leadflow.intake.importing.tables import table_open
from leadflow.intake.models import ApiToken, FormField, ImportJob, ImportStatus, LeadForm, Submission, SubmissionStatus
from leadflow.intake.selectors import import_checks_progress
from leadflow.intake.tasks import run_import_job

PREVIEW_ROWS = 5


class FormFieldInline(admin.TabularInline):
    model = FormField
    extra = 1
    fields = ("order", "name", "required", "label_en", "label_nl", "label_de", "help_en", "help_nl", "help_de")


@admin.register(LeadForm)
class LeadFormAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "source", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "key", "source")
    inlines = [FormFieldInline]
    # A redirect typed without a scheme is an https address (Django 6's default; explicit now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ("embed_code", "live_preview")
    fieldsets = (
        (
            None,
            {"fields": ("name", "key", "source", "is_active", "auto_qualify", "default_language", "min_fill_seconds")},
        ),
        ("Embedding", {"fields": ("allowed_origins", "embed_code", "live_preview")}),
        ("Texts", {"fields": ("consent_text_en", "consent_text_nl", "consent_text_de")}),
        ("After submitting", {"fields": ("thank_you_en", "thank_you_nl", "thank_you_de", "redirect_url")}),
    )

    @admin.display(description="Copy-paste snippets")
    def embed_code(self, form: LeadForm) -> SafeString | str:
        if not form.pk:
            return "Save the form to get its snippets."
        parts = [
            format_html("<h4>{}</h4><pre class='lf-snippet' style='white-space:pre-wrap'>{}</pre>", title, code)
            for title, code in embed_snippets(form).items()
        ]
        return format_html("{}", SafeString("".join(parts)))

    @admin.display(description="Live preview")
    def live_preview(self, form: LeadForm) -> SafeString | str:
        if not form.pk:
            return ""
        page = reverse("intake:form-page", args=[form.key])
        script = settings.STATIC_URL.rstrip("/")
        return format_html(
            "<div style='display:flex;gap:2rem;flex-wrap:wrap'>"
            "<div><h4>Script</h4><script src='/{}/intake/embed.js' data-form='{}'></script></div>"
            "<div><h4>Iframe (hosted page)</h4>"
            "<iframe src='{}' title='{}' style='width:28rem;height:36rem;border:1px solid #ccc'></iframe></div></div>",
            script.lstrip("/"),
            form.key,
            page,
            form.name,
        )


class SubmissionStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(SubmissionStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "channel", "form", "status", "spam_reason", "ip_address", "lead")
    list_filter = (SubmissionStatusFilter, "channel", "form")
    list_select_related = ("form", "lead")
    search_fields = ("payload", "ip_address")
    date_hierarchy = "created_at"
    actions = ("accept_as_leads", "purge_selected")
    readonly_fields = [f.name for f in Submission._meta.fields if f.name != "payload"] + ["payload_pretty"]
    exclude = ("payload",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Payload (verbatim)")
    def payload_pretty(self, submission: Submission) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(submission.payload, indent=2, ensure_ascii=False))

    @admin.action(description="Genuine after all: create leads from the selected submissions")
    def accept_as_leads(self, request: HttpRequest, queryset: QuerySet) -> None:
        accepted = 0
        for submission in queryset.filter(lead__isnull=True):
            try:
                services.submission_accept_as_lead(submission=submission, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"Submission {submission.pk}: {exc.message}", messages.ERROR)
            else:
                accepted += 1
        self.message_user(request, f"{accepted} lead(s) created.", messages.SUCCESS)

    @admin.action(description="Purge the selected spam / invalid submissions (accepted ones are kept)")
    def purge_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        deleted, _ = queryset.exclude(status=SubmissionStatus.ACCEPTED).filter(lead__isnull=True).delete()
        self.message_user(request, f"{deleted} submission(s) purged.", messages.SUCCESS)


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("name", "source", "can_read", "is_active", "auto_qualify")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ("name", "prefix", "source", "can_read", "is_active", "last_used_at", "created_at")
    list_filter = ("is_active", "can_read")
    search_fields = ("name", "source", "prefix")
    readonly_fields = ("prefix", "last_used_at", "created_by")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = services.api_token_create(
            name=obj.name, source=obj.source, can_read=obj.can_read, created_by=request.user
        )
        obj.pk, obj.prefix, obj.key_hash = token.pk, token.prefix, token.key_hash
        obj._state.adding = False
        messages.warning(request, f"API key for {token.name} (shown only now, copy it): {raw}")


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (any delimiter, UTF-8 or Latin-1) or XLSX, with a header row.")
    source = forms.CharField(max_length=100, required=False, help_text="Source tag; default: the file name.")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "source", "status", "processed", "row_count", "created_by", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="intake_importjob_upload"),
            path("<int:job_id>/mapping/", view(self.mapping_view), name="intake_importjob_mapping"),
            path("<int:job_id>/progress/", view(self.progress_view), name="intake_importjob_progress"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:intake_importjob_upload"))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None):
        return HttpResponseRedirect(reverse("admin:intake_importjob_progress", args=[object_id]))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = ImportJob.objects.create(
                file=upload,
                original_name=upload.name,
                source=form.cleaned_data["source"] or upload.name,
                created_by=request.user,
            )
            return HttpResponseRedirect(reverse("admin:intake_importjob_mapping", args=[job.pk]))
        return render(request, "admin/intake/import_upload.html", {**self._context(request), "form": form})

    def mapping_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = get_object_or_404(ImportJob, pk=job_id, status=ImportStatus.MAPPING)
        try:
            with table_open(job.file.path) as table:
                chosen = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(table.headers)}
                overrides = {h: t for h, t in chosen.items() if t} if request.method == "POST" else job.mapping
                mapping = column_mapping_guess(table.headers, overrides)
                rows = [row_map(mapping, cells, n) for n, cells in enumerate(islice(table.rows, PREVIEW_ROWS), start=1)]
                row_count = table.row_count
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:intake_importjob_upload"))
        if request.method == "POST" and "start" in request.POST:
            with transaction.atomic():
                ImportJob.objects.filter(pk=job.pk).update(
                    mapping=mapping.as_dict(), status=ImportStatus.PENDING, row_count=row_count
                )
                enqueue_on_commit(run_import_job, job.pk)
            return HttpResponseRedirect(reverse("admin:intake_importjob_progress", args=[job.pk]))
        if request.method == "POST":
            ImportJob.objects.filter(pk=job.pk).update(mapping=mapping.as_dict())
        headers = mapping.headers
        choices = [*LEAD_TARGETS, "external_id", "name", "house_number", IGNORE]
        columns = [
            {"index": i, "header": h, "target": t, "choices": sorted({*choices, f"custom:{h}", t})}
            for i, (h, t) in enumerate(mapping.describe())
        ]
        preview = [_preview_lines(row.item) if row else [("(empty row)", "")] for row in rows]
        context = {
            **self._context(request),
            "job": job,
            "columns": columns,
            "headers": headers,
            "notes": mapping.notes,
            "preview": preview,
            "row_count": row_count,
        }
        return render(request, "admin/intake/import_mapping.html", context)

    def progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = get_object_or_404(ImportJob, pk=job_id)
        template = (
            "admin/intake/partials/_import_progress.html" if request.htmx else "admin/intake/import_progress.html"
        )
        context = {**self._context(request), "job": job}
        if job.status == ImportStatus.DONE and job.report.get("imported"):
            context["checks"] = import_checks_progress(source=job.source, imported=job.report["imported"])
        return render(request, template, context)

    def _context(self, request: HttpRequest) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta}


def _preview_lines(item: dict[str, Any]) -> list[tuple[str, Any]]:
    """A row as people read it: one line per field, custom fields by their own name (never a Python dict)."""
    lines = []
    for key, value in item.items():
        if key == "submission":
            continue
        if isinstance(value, dict):
            lines += [(f"Custom field “{name}”", nested) for name, nested in value.items()]
        else:
            lines.append((key.replace("_", " ").capitalize(), value))
    return lines
