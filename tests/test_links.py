"""Accept links: reversed wherever `invites.urls` is mounted, always on `SITE_URL`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import get_script_prefix, set_script_prefix

from invites.adapter import get_adapter
from invites.emails import build_invite_message
from invites.models import Invite
from invites.tokens import hash_token
from invites.web.cookies import DONE_COOKIE, INVITE_COOKIE
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

TEAM = pytest.mark.urls("tests.urls_team")


@pytest.fixture(autouse=True)
def app_defaults(settings) -> None:
    """The app's own defaults (the demo project sets an ACCEPT_URL)."""
    settings.INVITES = {}


@pytest.fixture
def script_prefix() -> Iterator[None]:
    """Run as a request under `SCRIPT_NAME=/app` would."""
    before = get_script_prefix()
    set_script_prefix("/app/")
    yield
    set_script_prefix(before)


# --- building the link -----------------------------------------------------------------


def test_default_is_the_apps_accept_page_on_site_url():
    assert get_adapter().get_accept_url("abc") == (
        "https://invites.example.com/invites/accept/?token=abc"
    )


@TEAM
def test_default_follows_the_projects_prefix():
    assert get_adapter().get_accept_url("abc") == (
        "https://invites.example.com/team/invites/accept/?token=abc"
    )


@TEAM
def test_site_url_with_a_path_and_a_prefix(settings):
    settings.SITE_URL = "https://example.com/portal/"
    assert get_adapter().get_accept_url("abc") == (
        "https://example.com/portal/team/invites/accept/?token=abc"
    )


@pytest.mark.usefixtures("script_prefix")
def test_a_requests_script_prefix_is_not_added_twice(settings):
    # SITE_URL names where the project is served; a link built in a request under
    # SCRIPT_NAME must equal the one a worker builds.
    settings.SITE_URL = "https://example.com/app"
    assert get_adapter().get_accept_url("abc") == (
        "https://example.com/app/invites/accept/?token=abc"
    )


def test_a_string_with_token_overrides_the_page(settings):
    settings.INVITES = {"ACCEPT_URL": "/join/{token}/"}
    assert get_adapter().get_accept_url("abc") == "https://invites.example.com/join/abc/"
    settings.INVITES = {"ACCEPT_URL": "https://front.example.net/j?t={token}"}
    assert get_adapter().get_accept_url("abc") == "https://front.example.net/j?t=abc"


@pytest.mark.parametrize("site_url", [None, ""])
def test_no_site_url_is_a_clear_error_never_localhost(settings, site_url, pending_invite):
    if site_url is None:
        del settings.SITE_URL
    else:
        settings.SITE_URL = site_url
    settings.DEBUG = True

    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        get_adapter().get_accept_url("abc")
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        build_invite_message(pending_invite, "abc", kind="created")


def test_the_requests_host_is_never_used(client, make_invite, settings):
    settings.ALLOWED_HOSTS = ["*"]
    invite = make_invite()
    # Building the link inside a request to another host changes nothing.
    client.get("/invites/accept/", HTTP_HOST="evil.example.org")
    message = build_invite_message(invite, "abc", kind="created")
    assert "https://invites.example.com/invites/accept/?token=abc" in message.body
    assert "evil.example.org" not in message.body


# --- every place a link appears, under a prefix -----------------------------------------


@TEAM
def test_emails_link_to_the_prefixed_page(pending_invite):
    message = build_invite_message(pending_invite, "Tok3n", kind="created")
    link = "https://invites.example.com/team/invites/accept/?token=Tok3n"
    assert link in message.body
    [(html, _mimetype)] = message.alternatives
    assert f'href="{link}"' in html


@TEAM
def test_admins_accept_link_is_prefixed(admin_client):
    response = admin_client.post(
        "/admin/invites/invite/add/", {"email": "new@example.com", "metadata": ""}, follow=True
    )

    [message] = [str(m) for m in response.context["messages"] if "Accept link" in str(m)]
    [token] = re.findall(
        r"https://invites\.example\.com/team/invites/accept/\?token=([\w-]+)", message
    )
    assert hash_token(token) == Invite.objects.get().token_hash


@TEAM
def test_accept_page_works_under_the_prefix(pending_invite):
    client = Client()
    page = "/team/invites/accept/"

    opened = client.get(page, {"token": pending_invite.token})
    assert opened.status_code == 302
    assert opened["Location"] == page
    assert opened.cookies[INVITE_COOKIE]["path"] == page

    assert client.get(page).status_code == 200  # the browser sent the cookie back
    data = {"first_name": "Ada", "last_name": "L", "password1": PASSWORD, "password2": PASSWORD}
    with override_settings(INVITES={"LOGIN_ON_ACCEPT": False}):
        submitted = client.post(page, {**data, "invite": str(pending_invite.pk)})
    assert submitted.status_code == 302
    assert submitted["Location"] == "/team/invites/accept/done/"
    assert submitted.cookies[DONE_COOKIE]["path"] == page
    assert submitted.cookies[INVITE_COOKIE]["max-age"] == 0
    assert submitted.cookies[INVITE_COOKIE]["path"] == page

    done = client.get("/team/invites/accept/done/")
    assert done.status_code == 200
    assert "Your account is ready" in done.content.decode()
