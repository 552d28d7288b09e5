"""The API's authentication: the project's classes, else token (if installed) and session."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import override_settings
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invites.api.authentication import authentication_classes
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

LIST = "/api/invites/"
ACCEPT = "/api/invites/accept/"
BASIC = "rest_framework.authentication.BasicAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
WITHOUT_AUTHTOKEN = [
    app for app in django_settings.INSTALLED_APPS if app != "rest_framework.authtoken"
]


@pytest.fixture(autouse=True)
def _clear_throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def viewer(db: None) -> Any:
    """A user with `view_invite`, password `PASSWORD`, and a DRF token."""
    user = User.objects.create_user(username="viewer", password=PASSWORD)
    user.user_permissions.set(Permission.objects.filter(codename="view_invite"))
    Token.objects.create(user=user)
    return User.objects.get(pk=user.pk)


def project_auth(settings: Any, *classes: str) -> None:
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_AUTHENTICATION_CLASSES": list(classes),
    }


def basic(user: Any) -> str:
    return "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()


def schema_security(path: str = LIST, method: str = "get") -> Any:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path][method].get("security")


# --- which classes --------------------------------------------------------------------


def test_default_is_token_then_session():
    assert authentication_classes() == [TokenAuthentication, SessionAuthentication]


def test_without_authtoken_installed_only_the_session():
    with override_settings(INSTALLED_APPS=WITHOUT_AUTHTOKEN):
        assert authentication_classes() == [SessionAuthentication]


def test_the_projects_classes_replace_the_default(settings):
    project_auth(settings, BASIC, SESSION)
    assert authentication_classes() == [BasicAuthentication, SessionAuthentication]


# --- end to end -----------------------------------------------------------------------


def test_default_token_and_session_both_work(viewer):
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {viewer.auth_token.key}")
    session_client = APIClient()
    session_client.force_login(viewer)

    assert token_client.get(LIST).status_code == 200
    assert session_client.get(LIST).status_code == 200
    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"


def test_projects_basic_authentication_is_honoured_and_token_ignored(settings, viewer):
    project_auth(settings, BASIC)

    assert APIClient().get(LIST, HTTP_AUTHORIZATION=basic(viewer)).status_code == 200
    with_token = APIClient().get(LIST, HTTP_AUTHORIZATION=f"Token {viewer.auth_token.key}")
    assert with_token.status_code == 401
    assert with_token["WWW-Authenticate"] == 'Basic realm="api"'
    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Basic realm="api"'


def test_session_only_project_gives_anonymous_403(settings, viewer):
    project_auth(settings, SESSION)
    session_client = APIClient()
    session_client.force_login(viewer)

    assert session_client.get(LIST).status_code == 200
    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 403
    assert "WWW-Authenticate" not in anonymous


def test_without_authtoken_the_session_works_and_a_token_header_is_ignored(viewer):
    key = viewer.auth_token.key
    session_client = APIClient()
    session_client.force_login(viewer)

    with override_settings(INSTALLED_APPS=WITHOUT_AUTHTOKEN):
        assert session_client.get(LIST).status_code == 200
        with_token = APIClient().get(LIST, HTTP_AUTHORIZATION=f"Token {key}")
        assert with_token.status_code == 403
        assert "WWW-Authenticate" not in with_token


def test_accept_stays_public_whatever_the_project_uses(settings, pending_invite):
    project_auth(settings, BASIC)

    response = APIClient().post(
        ACCEPT,
        data=json.dumps({"token": pending_invite.token, "password": PASSWORD}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic bm9ib2R5Ondyb25n",  # wrong credentials: not even read
    )

    assert response.status_code == 201


# --- the OpenAPI schema -----------------------------------------------------------------


def test_schema_security_follows_the_projects_classes(settings):
    assert schema_security() == [{"tokenAuth": []}, {"cookieAuth": []}]

    project_auth(settings, BASIC)
    assert schema_security() == [{"basicAuth": []}]
    assert schema_security(ACCEPT, "post") is None


def test_schema_security_without_authtoken():
    with override_settings(INSTALLED_APPS=WITHOUT_AUTHTOKEN):
        assert schema_security() == [{"cookieAuth": []}]


def test_settings_are_read_per_request(settings, viewer):
    def list_with_basic() -> int:
        return int(APIClient().get(LIST, HTTP_AUTHORIZATION=basic(viewer)).status_code)

    assert list_with_basic() == 401  # the default pair has no Basic
    project_auth(settings, BASIC)
    assert list_with_basic() == 200
