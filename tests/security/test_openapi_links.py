"""The served schema links the invite workflow, for clients and stateful API testing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def operation_ids(schema: dict) -> dict[tuple[str, str], str]:
    return {
        (method, path): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_a_created_invite_links_to_retrieve_resend_refresh_accept_and_delete(client):
    schema = client.get("/api/schema/?format=json").json()
    ids = operation_ids(schema)
    links = schema["paths"]["/api/invites/"]["post"]["responses"]["201"]["links"]
    assert links["GetInvite"] == {
        "operationId": ids[("get", "/api/invites/{id}/")],
        "parameters": {"id": "$response.body#/id"},
    }
    assert links["AcceptInvite"] == {
        "operationId": ids[("post", "/api/invites/accept/")],
        "requestBody": {"token": "$response.body#/token"},
    }
    assert links["RefreshInvite"]["requestBody"] == {"invite_ids": ["$response.body#/id"]}
    assert links["ResendInvite"]["operationId"] == ids[("post", "/api/invites/{id}/resend/")]
    assert links["DeleteInvite"]["operationId"] == ids[("delete", "/api/invites/{id}/")]


def test_a_refresh_links_its_new_tokens_to_accept(client):
    schema = client.get("/api/schema/?format=json").json()
    refresh = schema["paths"]["/api/invites/refresh/"]["post"]["responses"]["200"]
    assert refresh["links"]["AcceptInvite"]["requestBody"] == {"token": "$response.body#/0/token"}
    resend = schema["paths"]["/api/invites/{id}/resend/"]["post"]["responses"]["200"]
    assert resend["links"]["AcceptInvite"]["requestBody"] == {"token": "$response.body#/token"}
