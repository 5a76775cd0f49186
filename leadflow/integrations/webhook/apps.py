from django.apps import AppConfig


class WebhookConfig(AppConfig):
    name = "leadflow.integrations.webhook"
    label = "webhook"
    verbose_name = "Webhooks"
