"""Admin fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.helpers import PASSWORD

User = get_user_model()


@pytest.fixture
def staff_client(db: None) -> Callable[..., Client]:
    """`staff_client("view_invite", ...)`: a logged-in staff user with just these perms."""

    def make(*codenames: str) -> Client:
        user = User.objects.create_user(username="staff", password=PASSWORD, is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make
