"""Payload limits: deep or heavy metadata and oversized bodies get a 4xx, never a 500.

Metadata is refused past `MAX_METADATA_DEPTH` levels or `MAX_METADATA_BYTES` bytes,
before anything encodes it for the database. A body over the endpoint's size limit is
a JSON 413, refused from its `Content-Length` before any of it is parsed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from invites.api.parsers import ACCEPT_MAX_BODY_SIZE
from invites.metadata import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, metadata_depth
from invites.models import Invite
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    """A client that sees 500s as responses, signed in with `add_invite`."""
    user = User.objects.create_user("manager", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="add_invite"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _level in range(depth - 1):
        value = {"a": value}
    return value


def create(api: Client, metadata: Any) -> Any:
    body = json.dumps({"email": "deep@example.com", "metadata": metadata})
    return api.post("/api/invites/", body, content_type="application/json")


def test_nesting_is_counted_from_the_object_itself():
    assert [metadata_depth(v) for v in ({}, {"a": 1}, {"a": {}}, {"a": [[]]}, 3)] == [1, 1, 2, 3, 0]
    assert metadata_depth(nested(500)) == 500


@pytest.mark.parametrize("depth", [MAX_METADATA_DEPTH + 1, 50, 500, 900])
def test_metadata_nested_too_deep_is_a_400_naming_the_limit(api, depth):
    response = create(api, nested(depth))
    assert response.status_code == 400, response.content[:200]
    assert response.json() == {
        "metadata": [f"Metadata may be nested at most {MAX_METADATA_DEPTH} levels deep."]
    }
    assert not Invite.objects.exists()


def test_metadata_at_the_depth_limit_is_stored(api):
    response = create(api, nested(MAX_METADATA_DEPTH))
    assert response.status_code == 201
    assert metadata_depth(Invite.objects.get().metadata) == MAX_METADATA_DEPTH


def test_metadata_over_the_size_limit_is_a_400(api):
    response = create(api, {"notes": "x" * MAX_METADATA_BYTES})
    assert response.status_code == 400
    assert response.json() == {
        "metadata": [f"Metadata may take at most {MAX_METADATA_BYTES} bytes as JSON."]
    }
    assert create(api, {"notes": "x" * (MAX_METADATA_BYTES - 20)}).status_code == 201


def test_the_limits_are_stated_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    description = schema["components"]["schemas"]["InviteCreateRequest"]["properties"]["metadata"][
        "description"
    ]
    assert f"at most {MAX_METADATA_DEPTH} levels deep" in description
    assert f"at most {MAX_METADATA_BYTES} bytes" in description


def test_a_body_over_djangos_limit_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = create(api, {"notes": "x" * 10_000})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than 10000 bytes.",
        "code": "too_large",
    }


def test_a_huge_accept_body_is_refused_unread_and_cheaply(client):
    """800,000 empty lists: 2.3 MB that would cost seconds of CPU to parse."""
    body = "[" + ",".join(["[]"] * 800_000) + "]"
    started = time.process_time()
    response = client.post("/api/invites/accept/", body, content_type="application/json")
    spent = time.process_time() - started
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert spent < 0.5


def test_an_accept_body_just_under_the_limit_is_read(client, pending_invite):
    padding = " " * (ACCEPT_MAX_BODY_SIZE - 200)
    body = json.dumps({"token": pending_invite.token, "password": PASSWORD}) + padding
    response = client.post("/api/invites/accept/", body, content_type="application/json")
    assert response.status_code == 201
