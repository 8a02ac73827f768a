"""Researcher accounts: staff users in the Researchers group, who own their studies."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.db import transaction

RESEARCHERS_GROUP = "Researchers"
RESEARCHER_APPS = ("studies", "ratings", "analysis")


@transaction.atomic
def researchers_group_ensure() -> AuthGroup:
    """The auth group whose members may use the admin for their own studies."""
    group, _ = AuthGroup.objects.get_or_create(name=RESEARCHERS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=RESEARCHER_APPS))
    return group


@transaction.atomic
def researcher_ensure(
    *, username: str, email: str = "", with_password: bool = False
) -> tuple[object, str | None]:
    """Return the researcher, made if missing; with `with_password`, a researcher who cannot
    log in yet gets a random password, returned once."""
    users = get_user_model()
    user, _ = users.objects.get_or_create(username=username, defaults={"email": email})
    password = None
    if with_password and not user.has_usable_password():
        password = secrets.token_urlsafe(12)
        user.set_password(password)
    elif not user.password:
        user.set_unusable_password()
    user.is_staff = True
    user.save()
    user.groups.add(researchers_group_ensure())
    return user, password
