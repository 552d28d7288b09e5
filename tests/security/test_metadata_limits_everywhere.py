"""The metadata limits hold on every write path, not only the REST API's.

`create_invites` (behind the admin's add page, the commands and any project code) and
the admin's change page refuse metadata nested or sized past the limits with a clear
error, before anything encodes it, and change nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from invites import services
from invites.metadata import MAX_METADATA_BYTES, MAX_METADATA_DEPTH
from invites.models import Invite
from tests.admin.helpers import CHANGELIST, change_url

pytestmark = pytest.mark.django_db


def nested(levels: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _level in range(levels - 1):
        value = {"a": value}
    return value


def test_create_invites_refuses_metadata_nested_too_deep():
    with pytest.raises(ValidationError) as caught:
        services.create_invites([{"email": "deep@example.com", "metadata": nested(400)}])
    assert caught.value.code == "max_depth"
    assert not Invite.all_objects.exists()


def test_create_invites_refuses_metadata_too_large():
    metadata = {"blob": "x" * MAX_METADATA_BYTES}
    with pytest.raises(ValidationError) as caught:
        services.create_invites([{"email": "big@example.com", "metadata": metadata}])
    assert caught.value.code == "max_size"
    assert not Invite.all_objects.exists()


def test_create_invites_takes_metadata_at_the_limits():
    [invite] = services.create_invites(
        [{"email": "edge@example.com", "metadata": nested(MAX_METADATA_DEPTH)}]
    )
    invite.refresh_from_db()
    assert invite.metadata == nested(MAX_METADATA_DEPTH)


def test_admin_add_page_shows_the_limit_on_the_form(admin_client):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {"email": "deep@example.com", "metadata": json.dumps(nested(MAX_METADATA_DEPTH + 1))},
    )
    assert response.status_code == 200
    assert "nested at most" in response.content.decode()
    assert not Invite.all_objects.exists()


def test_admin_change_page_refuses_metadata_past_the_limits(admin_client, pending_invite):
    response = admin_client.post(
        change_url(pending_invite), {"metadata": json.dumps(nested(MAX_METADATA_DEPTH + 1))}
    )
    assert response.status_code == 200
    assert "nested at most" in response.content.decode()
    pending_invite.refresh_from_db()
    assert pending_invite.metadata is None
