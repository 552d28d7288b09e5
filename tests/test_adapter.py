"""`INVITES["ADAPTER"]`: a project's subclass changes the user, the form, links and emails."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from invites import services
from invites.adapter import DefaultInviteAdapter, get_adapter
from invites.emails import build_invite_message
from invites.models import Invite
from tests.adapters import BrandedAdapter, FullNameAdapter
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

ACCEPT = "/invites/accept/"
DONE = "/invites/accept/done/"
FULL_NAME = "tests.adapters.FullNameAdapter"
BRANDED = "tests.adapters.BrandedAdapter"


def use_adapter(settings, path: str, **invites: object) -> None:
    settings.INVITES = {**getattr(settings, "INVITES", {}), "ADAPTER": path, **invites}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- loading --------------------------------------------------------------------------


def test_default_adapter(settings):
    settings.INVITES = {}
    assert type(get_adapter()) is DefaultInviteAdapter


def test_adapter_is_loaded_at_call_time(settings):
    use_adapter(settings, FULL_NAME)
    assert isinstance(get_adapter(), FullNameAdapter)
    use_adapter(settings, BRANDED)
    assert isinstance(get_adapter(), BrandedAdapter)


# --- building the user ----------------------------------------------------------------


def test_service_builds_the_user_through_the_adapter(settings, pending_invite):
    use_adapter(settings, FULL_NAME)

    user = services.accept_invite(pending_invite.token, password=PASSWORD, full_name="Ada King")

    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "King")
    assert user.username == "member-pending"  # the adapter chose it; none was derived
    assert user.email == "pending@example.com"
    assert Invite.objects.get(pk=pending_invite.pk).accepted


def test_adapter_cannot_change_the_email_on_record(settings, pending_invite):
    use_adapter(settings, "tests.adapters.EmailChangingAdapter")

    user = services.accept_invite(pending_invite.token, password=PASSWORD, full_name="A B")

    assert User.objects.get(pk=user.pk).email == "pending@example.com"


def test_adapters_validation_error_refuses_and_changes_nothing(settings, pending_invite):
    use_adapter(settings, FULL_NAME)

    with pytest.raises(ValidationError):
        services.accept_invite(pending_invite.token, password=PASSWORD, full_name="Ada")

    assert not User.objects.exists()
    assert not Invite.objects.get(pk=pending_invite.pk).accepted


def test_default_adapter_refuses_unknown_user_fields(pending_invite):
    with pytest.raises(TypeError, match="nickname"):
        services.accept_invite(pending_invite.token, password=PASSWORD, nickname="x")
    assert not User.objects.exists()


def test_default_still_derives_a_username(pending_invite):
    user = services.accept_invite(pending_invite.token, password=PASSWORD, first_name="Ada")
    assert user.get_username() == "pending@example.com"
    assert user.first_name == "Ada"


# --- the accept form ------------------------------------------------------------------


def test_accept_page_uses_the_adapters_form(settings, pending_invite):
    use_adapter(settings, FULL_NAME, LOGIN_ON_ACCEPT=False)
    client = Client()
    client.get(ACCEPT, {"token": pending_invite.token})

    form_page = page_text(client.get(ACCEPT))
    assert 'name="full_name"' in form_page
    assert 'name="first_name"' not in form_page

    response = client.post(
        ACCEPT,
        {
            "full_name": "Grace Brewster Hopper",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "invite": str(pending_invite.pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == DONE
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Grace", "Brewster Hopper")


def test_adapters_refusal_is_shown_on_the_form(settings, pending_invite):
    use_adapter(settings, FULL_NAME)
    client = Client()
    client.get(ACCEPT, {"token": pending_invite.token})

    response = client.post(
        ACCEPT,
        {
            "full_name": "Grace",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "invite": str(pending_invite.pk),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["full_name"] == ["Give your first and last name."]
    assert "Give your first and last name." in page_text(response)
    assert not User.objects.exists()


def test_password_is_compared_with_what_the_adapter_filled(settings, pending_invite):
    use_adapter(settings, FULL_NAME)
    client = Client()
    client.get(ACCEPT, {"token": pending_invite.token})

    # The form has no last name field: only the adapter's user carries one.
    weak = "Brewsterhopper"
    response = client.post(
        ACCEPT,
        {
            "full_name": f"Grace {weak}",
            "password1": weak,
            "password2": weak,
            "invite": str(pending_invite.pk),
        },
    )

    assert response.status_code == 200
    assert "too similar" in page_text(response)
    assert not User.objects.exists()


# --- emails and links -----------------------------------------------------------------


def test_adapter_sets_subject_context_and_link(settings, pending_invite):
    use_adapter(settings, BRANDED)

    message = build_invite_message(pending_invite, "Tok3n", kind="resent")

    assert message.subject == "[Blue] resent for pending@example.com"
    assert "https://front.example.net/join#Tok3n" in message.body


def test_admins_link_comes_from_the_adapter(settings, admin_client):
    use_adapter(settings, BRANDED)

    response = admin_client.post(
        "/admin/invites/invite/add/", {"email": "new@example.com", "metadata": ""}, follow=True
    )

    [message] = [str(m) for m in response.context["messages"] if "Accept link" in str(m)]
    assert "https://front.example.net/join#" in message


# --- the site's name in subjects ------------------------------------------------------


def test_subject_names_the_site_url_host_by_default(settings, pending_invite):
    settings.SITE_URL = "https://app.example.org:8443/base/"
    message = build_invite_message(pending_invite, "t", kind="created")
    assert message.subject == "You are invited to join app.example.org"
    assert "You have been invited to join app.example.org." in message.body


def test_subject_names_the_configured_site_name(settings, pending_invite):
    settings.INVITES = {"SITE_NAME": "Acme & Co"}
    created = build_invite_message(pending_invite, "t", kind="created")
    resent = build_invite_message(pending_invite, "t", kind="resent")
    assert created.subject == "You are invited to join Acme & Co"  # not HTML-escaped
    assert resent.subject == "Your new invitation link for Acme & Co"
    [(html, _mimetype)] = created.alternatives
    assert "join Acme &amp; Co." in html


def test_subject_names_the_current_site_when_the_sites_app_is_installed(settings, make_invite):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.sites"]
    settings.SITE_ID = 1
    from django.contrib.sites import models as sites

    # The sites app's own cache of the current Site: this test database has no table.
    sites.SITE_CACHE[1] = sites.Site(pk=1, domain="crew.example.com", name="The Crew")
    try:
        message = build_invite_message(make_invite(), "t", kind="created")
    finally:
        sites.Site.objects.clear_cache()
        # Installing the app ran the admin's autodiscovery, which registered Site.
        if admin.site.is_registered(sites.Site):
            admin.site.unregister(sites.Site)
    assert message.subject == "You are invited to join The Crew"


def test_api_accept_reports_the_adapters_refusal_as_a_400(settings, pending_invite):
    use_adapter(settings, FULL_NAME)

    response = APIClient().post(
        "/api/invites/accept/",
        data=json.dumps({"token": pending_invite.token, "password": PASSWORD}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"full_name": ["Give your first and last name."]}
    assert not User.objects.exists()
