from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    name = "leadflow.review"
    verbose_name = "Sales workspace"

    def ready(self) -> None:
        from leadflow.review.roles import grant_admin_permissions

        # Permissions exist only after migrate has run every app, so the group is topped up then.
        post_migrate.connect(grant_admin_permissions, dispatch_uid="leadflow.review.admin_permissions")
