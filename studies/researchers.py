"""Researcher accounts: staff users in the Researchers group, who own their studies."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.db import transaction

RESEARCHERS_GROUP = "Researchers"
RESEARCHER_APPS = ("studies", "ratings", "analysis")
# The owner of the demo studies, whose login `make run` prints (see the researcher command).
DEMO_RESEARCHER = "researcher"


@transaction.atomic
def researchers_group_ensure() -> AuthGroup:
    """The auth group whose members may use the admin for their own studies."""
    group, _ = AuthGroup.objects.get_or_create(name=RESEARCHERS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=RESEARCHER_APPS))
    return group


@transaction.atomic
def researcher_ensure(*, username: str, email: str = "") -> tuple[object, bool]:
    """Return the researcher and whether they were made now. A new one cannot log in until
    `researcher_password_new` gives them a password; an existing one keeps theirs."""
    users = get_user_model()
    user, created = users.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_unusable_password()
    user.is_staff = True
    user.save()
    user.groups.add(researchers_group_ensure())
    return user, created


def researcher_password_new(user) -> str:
    """Give the researcher a new random password and return it (the only time it is seen)."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save(update_fields=["password"])
    return password
