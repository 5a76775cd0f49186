from django.apps import AppConfig


class BusinessCentralConfig(AppConfig):
    name = "leadflow.integrations.businesscentral"
    label = "businesscentral"
    verbose_name = "Dynamics 365 Business Central"
