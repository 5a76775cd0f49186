from typing import Any

from django.http import HttpRequest

from leadflow.review.notifications import notifications_unread_count
from leadflow.review.roles import Role, role_of


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The signed-in person's role, so the navigation offers only what the server will allow."""
    # DRF renders its pages with its own request, whose user is None when nobody signed in (UNAUTHENTICATED_USER).
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else Role.NONE
    return {
        "workspace_role": role.name.lower(),
        "workspace_is_manager": role >= Role.MANAGER,
        # Lazy: counted only when a page shows the bell.
        "unread_notifications": (lambda: notifications_unread_count(user)) if role > Role.NONE else 0,
    }
