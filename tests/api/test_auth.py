"""Who may call the API: permissions per endpoint, and the authentication classes used
(the project's, else token if installed, and session)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import override_settings
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invites.api.authentication import authentication_classes
from invites.models import Invite
from tests.api.helpers import ACCEPT, LIST, REFRESH, client_for, detail, post_json, resend
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

BASIC = "rest_framework.authentication.BasicAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
WITHOUT_AUTHTOKEN = [
    app for app in django_settings.INSTALLED_APPS if app != "rest_framework.authtoken"
]


# --- authentication and permissions ----------------------------------------------------


def endpoint_calls(invite: Invite) -> list[tuple[str, str, Any]]:
    """(method, url, body) of every protected endpoint, aimed at `invite`."""
    return [
        ("get", LIST, None),
        ("post", LIST, {"email": "new@example.com"}),
        ("get", detail(invite), None),
        ("delete", detail(invite), None),
        ("post", resend(invite), None),
        ("post", REFRESH, {"invite_ids": [str(invite.pk)]}),
    ]


def call(client: APIClient, method: str, url: str, body: Any) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_anonymous_gets_401_with_token_challenge_and_nothing_changes(
    pending_invite, nothing_changes
):
    client = APIClient()
    for method, url, body in endpoint_calls(pending_invite):
        with nothing_changes(pending_invite):
            response = call(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"


def test_invalid_token_gets_401(pending_invite):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_user_without_permissions_gets_403_everywhere(make_user, pending_invite, nothing_changes):
    client = client_for(make_user())
    for method, url, body in endpoint_calls(pending_invite):
        with nothing_changes(pending_invite):
            response = call(client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "permission_denied"


def test_view_permission_reads_but_cannot_write(api_viewer, pending_invite, nothing_changes):
    assert api_viewer.get(LIST).status_code == 200
    assert api_viewer.get(detail(pending_invite)).status_code == 200
    for method, url, body in endpoint_calls(pending_invite):
        if method == "get":
            continue
        with nothing_changes(pending_invite):
            response = call(api_viewer, method, url, body)
        assert response.status_code == 403, (method, url)


def test_change_permission_resends_and_refreshes(api_changer, pending_invite):
    assert api_changer.post(resend(pending_invite)).status_code == 200
    response = post_json(api_changer, REFRESH, {"invite_ids": [str(pending_invite.pk)]})
    assert response.status_code == 200
    # `change` alone does not read, create or delete.
    assert api_changer.get(LIST).status_code == 403
    assert post_json(api_changer, LIST, {"email": "x@example.com"}).status_code == 403
    assert api_changer.delete(detail(pending_invite)).status_code == 403


def test_each_write_needs_its_own_permission(make_user, make_invite):
    adder = client_for(make_user("add"))
    deleter = client_for(make_user("delete"))
    invite = make_invite()

    assert post_json(adder, LIST, {"email": "added@example.com"}).status_code == 201
    assert adder.post(resend(invite)).status_code == 403
    assert deleter.delete(detail(invite)).status_code == 204
    assert post_json(deleter, REFRESH, {"invite_ids": [str(invite.pk)]}).status_code == 403


def test_superuser_has_every_permission(pending_invite):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = client_for(admin)
    assert client.get(LIST).status_code == 200
    assert client.post(resend(pending_invite)).status_code == 200


def test_session_authentication_works_and_enforces_csrf(make_user, pending_invite):
    user = make_user("view", "change")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(LIST).status_code == 200
    response = client.post(resend(pending_invite))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_accept_has_no_session_authentication_so_no_csrf_failure(make_user, pending_invite):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user())

    response = post_json(client, ACCEPT, {"token": pending_invite.token, "password": PASSWORD})

    assert response.status_code == 201


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
