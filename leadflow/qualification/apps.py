from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "leadflow.qualification"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.qualification.criteria import Criterion

        plugins.declare("LEADFLOW_CRITERIA", base=Criterion)
