"""A rate limit whose cache fails refuses with a 503 and `Retry-After`, never a 500.

Real failures: a database cache whose table was never created, and a Redis cache at a
port where nothing listens.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from invites.models import Invite
from tests.accept_page.helpers import ACCEPT, assert_page_headers, open_link, page_text, submit
from tests.api.helpers import ACCEPT as API_ACCEPT
from tests.api.helpers import post_json
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

MISSING_TABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "invites_cache_never_created",
    }
}
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}
BROKEN_CACHES = pytest.mark.parametrize(
    "broken", [MISSING_TABLE, DEAD_REDIS], ids=["missing_table", "dead_redis"]
)


@pytest.fixture
def broken_cache(settings, broken):
    settings.CACHES = broken


@BROKEN_CACHES
def test_the_api_refuses_with_503_json(broken_cache, pending_invite):
    body = {"token": pending_invite.token, "password": PASSWORD}
    response = post_json(APIClient(raise_request_exception=False), API_ACCEPT, body)

    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The service is unavailable for a moment. Please try again later.",
        "code": "service_unavailable",
    }


@BROKEN_CACHES
def test_the_page_refuses_the_opening_with_503_html_without_the_token(
    broken_cache, client, pending_invite
):
    client.raise_request_exception = False
    opening = client.get(ACCEPT, {"token": pending_invite.token})

    # The token leaves the address bar first, as for any refusal...
    assert opening.status_code == 302
    assert opening["Location"] == ACCEPT
    assert pending_invite.token not in str(opening.cookies)
    # ...and the page there says to come back, without having looked the invite up.
    response = client.get(ACCEPT)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert_page_headers(response)
    assert "Unavailable for a moment" in page_text(response)


def test_the_form_refuses_with_503_html_when_the_cache_fails_after_the_opening(
    settings, client, pending_invite
):
    open_link(client, pending_invite.token)  # counted while the cache worked
    settings.CACHES = DEAD_REDIS
    client.raise_request_exception = False

    response = submit(client)

    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Unavailable for a moment" in page_text(response)
    assert Invite.objects.get(pk=pending_invite.pk).status == "pending"
