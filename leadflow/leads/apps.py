from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from django.contrib.admin.options import InlineModelAdmin

        from leadflow.core import plugins
        from leadflow.leads.gates import Gate

        plugins.declare("LEADFLOW_GATES", base=Gate)
        plugins.declare("LEADFLOW_PIPELINE")
        plugins.declare("LEADFLOW_LEAD_EVENT_HOOKS")
        plugins.declare("LEADFLOW_LEAD_ADMIN_INLINES", base=InlineModelAdmin, instantiate=False)
        plugins.declare("LEADFLOW_LEAD_ADMIN_ACTIONS")
