from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from leadflow.core.admin import ReadOnlyInline
from leadflow.core.exceptions import ApplicationError
from leadflow.crm import selectors, services
from leadflow.crm.models import Conversion
from leadflow.leads.models import Lead


class ConversionInline(ReadOnlyInline):
    """The lead page's CRM box: conversion status, links to the records, and the Convert button."""

    model = Conversion
    template = "admin/crm/conversion_inline.html"
    max_num = 1
    fields = ()
    verbose_name = verbose_name_plural = "CRM"


@admin.action(description="Convert selected to their CRM (bulk)", permissions=["change"])
def convert_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
    requested, refused = services.leads_convert_request(leads=queryset, actor=request.user)
    modeladmin.message_user(request, f"{len(requested)} conversion(s) queued.", messages.SUCCESS)
    if refused:
        details = " | ".join(f"{lead_id}: {reason}" for lead_id, reason in list(refused.items())[:20])
        modeladmin.message_user(request, f"{len(refused)} refused — {details}", messages.WARNING)


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = (
        "lead",
        "crm",
        "status",
        "account_action",
        "contact_action",
        "attempts",
        "api_calls",
        "requested_at",
    )
    list_filter = ("crm", "status", "error_code")
    list_select_related = ("lead",)
    search_fields = ("lead__email", "lead__company", "account_id", "contact_id", "opportunity_id", "external_key")
    raw_id_fields = ("lead", "requested_by")
    date_hierarchy = "requested_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "lead/<int:lead_id>/convert/",
                self.admin_site.admin_view(self.convert_view),
                name="crm_conversion_convert",
            ),
            *super().get_urls(),
        ]

    def convert_view(self, request: HttpRequest, lead_id: int) -> HttpResponse:
        """GET shows what conversion will create or link; POST queues it."""
        lead = get_object_or_404(Lead, pk=lead_id)
        lead_admin = self.admin_site._registry[Lead]
        if not lead_admin.has_change_permission(request, lead):
            return HttpResponse(status=403)
        lead_page = reverse("admin:leads_lead_change", args=[lead.pk])
        deal_form = selectors.conversion_deal_form(lead=lead, data=request.POST) if request.method == "POST" else None
        if deal_form is not None and deal_form.is_valid():
            try:
                services.lead_convert_request(lead=lead, actor=request.user, deal=deal_form.deal())
            except ApplicationError as exc:
                self.message_user(request, exc.full_message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Lead {lead.pk}: conversion to {services.lead_crm(lead=lead).label} queued.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(lead_page)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Convert {lead} to {services.lead_crm(lead=lead).label}",
            "lead": lead,
            "lead_page": lead_page,
            "opts": Lead._meta,
            **selectors.conversion_preview_context(lead=lead),
        }
        if deal_form is not None:
            context["deal_form"] = deal_form  # with the errors of the refused POST
        return TemplateResponse(request, "admin/crm/convert.html", context)
