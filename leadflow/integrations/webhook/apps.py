from django.apps import AppConfig


class WebhookConfig(AppConfig):
    name = "leadflow.integrations.webhook"
    label = "webhook"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from leadflow.core import plugins

        plugins.offer("SYNC_TARGET_KINDS", "webhook", "leadflow.integrations.webhook.target.WebhookTarget")
