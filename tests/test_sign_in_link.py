"""The accept pages offer "Sign in" only where `LOGIN_URL` (or the adapter) leads somewhere."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings, settings
from django.test import Client, override_settings

from invites import services
from invites.adapter import get_adapter
from invites.models import Invite
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = re.compile(r'<a class="button" href="([^"]*)">Sign in</a>')


def accept_and_open_done_page(invite: Invite, prefix: str = "") -> str:
    """Accept through the page without signing in; the text of the success page."""
    client = Client()
    page = f"{prefix}/invites/accept/"
    client.get(page, {"token": invite.token})
    data = {"first_name": "Ada", "last_name": "L", "password1": PASSWORD, "password2": PASSWORD}
    configured = getattr(settings, "INVITES", None) or {}
    with override_settings(INVITES={**configured, "LOGIN_ON_ACCEPT": False}):
        response = client.post(page, {**data, "invite": str(invite.pk)})
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def used_link_page(invite: Invite, prefix: str = "") -> str:
    """The error page of a link already used, which offers to sign in."""
    services.accept_invite(invite.token, password=PASSWORD)
    client = Client()
    page = f"{prefix}/invites/accept/"
    client.get(page, {"token": invite.token})
    response = client.get(page)
    assert response.status_code == 400
    return response.content.decode()


def sign_in_links(text: str) -> list[str]:
    return SIGN_IN.findall(text)


def test_url_name_that_reverses_is_offered(make_invite):
    # The demo project: LOGIN_URL = "login", routed at /accounts/login/.
    assert sign_in_links(accept_and_open_done_page(make_invite())) == ["/accounts/login/"]
    assert sign_in_links(used_link_page(make_invite())) == ["/accounts/login/"]


def test_url_name_that_does_not_reverse_hides_the_link(settings, make_invite):
    settings.LOGIN_URL = "accounts:sign_in"
    assert sign_in_links(accept_and_open_done_page(make_invite())) == []
    assert sign_in_links(used_link_page(make_invite())) == []


def test_explicit_path_or_url_is_offered(settings):
    settings.LOGIN_URL = "/sso/start/"
    assert get_adapter().get_login_url() == "/sso/start/"
    settings.LOGIN_URL = "https://id.example.com/login"
    assert get_adapter().get_login_url() == "https://id.example.com/login"


def test_djangos_default_is_offered_only_where_routed(settings):
    settings.LOGIN_URL = global_settings.LOGIN_URL
    assert get_adapter().get_login_url() == "/accounts/login/"  # the demo routes it
    settings.ROOT_URLCONF = "tests.urls_team"
    assert get_adapter().get_login_url() is None


@pytest.mark.urls("tests.urls_team")
def test_project_without_a_sign_in_page_shows_no_broken_link(settings, make_invite):
    settings.LOGIN_URL = global_settings.LOGIN_URL
    done = accept_and_open_done_page(make_invite(), prefix="/team")
    assert "Your account is ready" in done
    assert sign_in_links(done) == []
    assert sign_in_links(used_link_page(make_invite(), prefix="/team")) == []


def test_adapter_returning_none_hides_the_link(settings, make_invite):
    settings.INVITES = {"ADAPTER": "tests.adapters.BrandedAdapter"}
    assert sign_in_links(accept_and_open_done_page(make_invite())) == []
    assert sign_in_links(used_link_page(make_invite())) == []
