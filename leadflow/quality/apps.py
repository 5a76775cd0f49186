from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "leadflow.quality"

    def ready(self) -> None:
        from leadflow.core import plugins
        from leadflow.quality.matching.base import Matcher
        from leadflow.quality.remote import RemoteDirectory
        from leadflow.quality.validators import Validator

        plugins.declare("LEADFLOW_VALIDATORS", base=Validator)
        plugins.declare("LEADFLOW_MATCHERS", base=Matcher)
        plugins.declare("LEADFLOW_REMOTE_DIRECTORY", base=RemoteDirectory)
