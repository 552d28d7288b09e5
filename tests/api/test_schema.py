"""The OpenAPI schema (drf-spectacular) and the interactive docs page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.helpers import INVITE_KEYS

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/invites/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/invites/", "post"): {"201", "400", "401", "403", "413", "415"},
    ("/api/invites/{id}/", "get"): {"200", "401", "403", "404"},
    ("/api/invites/{id}/", "delete"): {"204", "401", "403", "404"},
    ("/api/invites/{id}/resend/", "post"): {"200", "401", "403", "404", "409"},
    ("/api/invites/refresh/", "post"): {"200", "400", "401", "403", "409", "413", "415"},
    ("/api/invites/bulk/", "post"): {"201", "400", "401", "403", "413", "415"},
    ("/api/invites/accept/", "post"): {"201", "400", "409", "413", "415", "429"},
}


@pytest.fixture
def schema(tmp_path: Path) -> dict:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it."""
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


def test_schema_documents_every_endpoint_and_error(schema):
    found = {
        (path, method): set(operation["responses"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert found == OPERATIONS


def test_schema_documents_request_bodies(schema):
    paths = schema["paths"]
    for path, method in [
        ("/api/invites/", "post"),
        ("/api/invites/refresh/", "post"),
        ("/api/invites/bulk/", "post"),
        ("/api/invites/accept/", "post"),
    ]:
        body = paths[path][method]["requestBody"]
        assert body["required"] is True
        assert list(body["content"]) == ["application/json"]
    assert "requestBody" not in paths["/api/invites/{id}/resend/"]["post"]
    refresh = schema["components"]["schemas"]["InviteRefreshRequest"]
    assert refresh["required"] == ["invite_ids"]
    assert refresh["properties"]["invite_ids"]["minItems"] == 1


def test_schema_invite_never_exposes_secrets(schema):
    invite = schema["components"]["schemas"]["Invite"]
    assert set(invite["properties"]) == INVITE_KEYS
    assert invite["properties"]["token"]["nullable"] is True
    sent_at = invite["properties"]["sent_at"]
    assert (sent_at["format"], sent_at["nullable"], sent_at["readOnly"]) == (
        "date-time",
        True,
        True,
    )


def test_schema_invite_shows_its_delivery_state(schema):
    components = schema["components"]["schemas"]
    delivery = components["Invite"]["properties"]["delivery"]
    ref = delivery.get("$ref") or delivery["allOf"][0]["$ref"]
    shape = components[ref.rsplit("/", 1)[-1]]
    assert set(shape["properties"]) == {"status", "attempts", "error", "sent_at"}
    assert all(prop["readOnly"] for prop in shape["properties"].values())
    [status_ref] = shape["properties"]["status"]["allOf"]
    status = components[status_ref["$ref"].rsplit("/", 1)[-1]]
    assert status["enum"] == ["not_sent", "queued", "sent", "retrying", "failed", "bounced"]
    assert shape["properties"]["sent_at"]["nullable"] is True


def test_schema_marks_accept_public_and_the_rest_authenticated(schema):
    paths = schema["paths"]
    assert "security" not in paths["/api/invites/accept/"]["post"]
    security = paths["/api/invites/"]["get"]["security"]
    assert security == [{"tokenAuth": []}, {"cookieAuth": []}]


def test_schema_endpoint_is_public():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/invites/refresh/" in response.json()["paths"]


def test_docs_page_is_public_and_uses_only_local_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/schema/" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
    local = [a for a in assets if a.startswith("/static/")]
    assert any(a.endswith("swagger-ui-bundle.js") for a in local)
    for asset in local:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_schema_documents_bulk_create_with_examples(schema):
    operation = schema["paths"]["/api/invites/bulk/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]
    assert set(request["examples"]) == {"ThreeInvites", "SkippingExistingInvitesAndUsers"}
    assert (
        "CreatedWithOneSkipped"
        in operation["responses"]["201"]["content"]["application/json"]["examples"]
    )
    assert "BadRows" in operation["responses"]["400"]["content"]["application/json"]["examples"]
    body = schema["components"]["schemas"]["InviteBulkCreateRequest"]
    assert body["required"] == ["invites"]
    assert set(body["properties"]) == {"invites", "skip_existing"}
    row = schema["components"]["schemas"]["BadRow"]
    assert set(row["properties"]) >= {"index", "email", "code"}
