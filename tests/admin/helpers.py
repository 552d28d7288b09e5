"""URLs and helpers shared by the admin tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib import admin
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import Client, RequestFactory

from invites.admin import InviteAdmin
from invites.models import Invite

CHANGELIST = "/admin/invites/invite/"
ADD = "/admin/invites/invite/add/"


def change_url(invite: Invite) -> str:
    return f"{CHANGELIST}{invite.pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client: Client, action: str, *invites: Invite, **extra: str):
    data = {"action": action, "_selected_action": [str(i.pk) for i in invites], **extra}
    return client.post(CHANGELIST, data, follow=True)


@contextmanager
def after_first_query(pattern: str, callback: Callable[[], object]) -> Iterator[None]:
    """Run `callback` right after the first SQL query matching `pattern`: a race, for real."""
    fired = False

    def wrapper(execute, sql, params, many, context):
        nonlocal fired
        result = execute(sql, params, many, context)
        if not fired and re.search(pattern, sql):
            fired = True
            callback()
        return result

    with connection.execute_wrapper(wrapper):
        yield
    assert fired, f"no query matched {pattern!r}"


def admin_request(user) -> tuple[InviteAdmin, object]:
    request = RequestFactory().post(CHANGELIST)
    request.user = user
    request._messages = CookieStorage(request)
    return InviteAdmin(Invite, admin.site), request


def team_type() -> str:
    """The add form's and the import page's `target_type` value for the teams example."""
    from django.contrib.contenttypes.models import ContentType

    from tests.teams.models import Team

    return str(ContentType.objects.get_for_model(Team).pk)
