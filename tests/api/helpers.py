"""URLs and small helpers shared by the API tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invites.models import Invite

LIST = "/api/invites/"
REFRESH = "/api/invites/refresh/"
ACCEPT = "/api/invites/accept/"
INVITE_KEYS = {
    "id",
    "email",
    "accepted",
    "token",
    "expires_at",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "sent_at",
    "status",
    "delivery",
}
# Ids no live invite has: unknown, or not a UUID at all.
BAD_IDS = [str(uuid.uuid4()), "not-a-uuid", "1234", "%20", "a.b", "zz" * 40]


def detail(invite: Invite | str) -> str:
    return f"/api/invites/{getattr(invite, 'pk', invite)}/"


def resend(invite: Invite | str) -> str:
    return f"/api/invites/{getattr(invite, 'pk', invite)}/resend/"


def client_for(user: Any) -> APIClient:
    """An `APIClient` sending the user's DRF token."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def post_json(client: APIClient, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")
