from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    verbose_name = "Leads"
