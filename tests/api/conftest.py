"""API fixtures: users with chosen permissions and token `APIClient`s for them.

The clients are named `api_*` so they are never mistaken for pytest-django's
`admin_client` (a logged-in Django test `Client`, used by the admin tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from invites.models import Invite
from invites.signals import invite_accepted, invite_created, invite_deleted, invite_resent
from tests.api.helpers import client_for
from tests.helpers import PASSWORD, snapshot

User = get_user_model()
SIGNALS = (invite_created, invite_resent, invite_accepted, invite_deleted)


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """`make_user("view", "change")`: a user holding just these `*_invite` permissions."""
    counter = iter(range(1, 1000))

    def make(*perms: str, **fields: Any) -> Any:
        user = User.objects.create_user(
            username=f"staff{next(counter)}", password=PASSWORD, **fields
        )
        codenames = [f"{perm}_invite" for perm in perms]
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        return User.objects.get(pk=user.pk)  # no stale permission cache

    return make


@pytest.fixture
def api_admin(make_user: Callable[..., Any]) -> APIClient:
    """A token `APIClient` for a user with every invite permission."""
    return client_for(make_user("view", "add", "change", "delete"))


@pytest.fixture
def api_viewer(make_user: Callable[..., Any]) -> APIClient:
    """A token `APIClient` for a user with `view_invite` only."""
    return client_for(make_user("view"))


@pytest.fixture
def api_changer(make_user: Callable[..., Any]) -> APIClient:
    """A token `APIClient` for a user with `change_invite` only."""
    return client_for(make_user("change"))


@pytest.fixture
def nothing_changes(
    record: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """`with nothing_changes(*invites):` proves a failed call wrote and sent nothing."""

    @contextmanager
    def check(*invites: Invite) -> Iterator[None]:
        recorders = [record(signal) for signal in SIGNALS]
        before = (snapshot(*invites), Invite.all_objects.count(), User.objects.count())
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield
        after = (snapshot(*invites), Invite.all_objects.count(), User.objects.count())
        assert after == before
        assert callbacks == []
        assert [r.calls for r in recorders] == [[] for _ in recorders]

    return check
