"""Workspace roles are Django groups (created by migration 0002). Superusers count as admins."""

from enum import IntEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission

SALES_REP = "Sales rep"
SALES_MANAGER = "Sales manager"
ADMIN = "Admin"


class Role(IntEnum):
    """Ordered: each role may do everything the ones below it may."""

    NONE = 0
    REP = 1
    MANAGER = 2
    ADMIN = 3


_GROUP_ROLES = {SALES_REP: Role.REP, SALES_MANAGER: Role.MANAGER, ADMIN: Role.ADMIN}


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role:
    """The user's highest role, looked up once per request object (cached on the user)."""
    if not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_leadflow_role", None)
    if cached is None:
        names = user.groups.filter(name__in=_GROUP_ROLES).values_list("name", flat=True)
        cached = max((_GROUP_ROLES[name] for name in names), default=Role.NONE)
        user._leadflow_role = cached
    return cached


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return role_of(user) >= Role.MANAGER


# What sales managers may do outside the workspace's own pages: watch and retry downstream sync.
MANAGER_PERMISSIONS = (("sync", "view_syncjob"), ("sync", "change_syncjob"))


def grant_admin_permissions(**kwargs: object) -> None:
    """post_migrate: the Admin group holds every model permission, including those of apps added later; the
    Sales manager group holds MANAGER_PERMISSIONS (so the sync monitor opens for managers)."""
    group = Group.objects.filter(name=ADMIN).first()
    if group is not None:
        group.permissions.set(Permission.objects.all())
    managers = Group.objects.filter(name=SALES_MANAGER).first()
    if managers is not None:
        for app_label, codename in MANAGER_PERMISSIONS:
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                managers.permissions.add(permission)
