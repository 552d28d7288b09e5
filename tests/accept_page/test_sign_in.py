"""After an accept on the page, the new user is signed in (`INVITES["LOGIN_ON_ACCEPT"]`)."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model

from tests.accept_page.helpers import DONE, open_link, submit

pytestmark = pytest.mark.django_db
User = get_user_model()

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SSO_BACKEND = "tests.accept_page.backends.SingleSignOnBackend"


def test_with_several_backends_the_one_that_restores_the_user_is_used(
    client, settings, pending_invite
):
    settings.AUTHENTICATION_BACKENDS = [SSO_BACKEND, MODEL_BACKEND]
    open_link(client, pending_invite.token)

    response = submit(client)

    assert response["Location"] == "/accounts/profile/"
    assert client.session[BACKEND_SESSION_KEY] == MODEL_BACKEND
    # The next request still knows who it is (the backend restores the user).
    assert client.get("/admin/login/").wsgi_request.user.email == pending_invite.email


def test_without_a_backend_that_restores_the_user_nobody_is_signed_in(
    client, settings, pending_invite
):
    settings.AUTHENTICATION_BACKENDS = [SSO_BACKEND]
    open_link(client, pending_invite.token)

    response = submit(client)

    assert response["Location"] == DONE  # the success page, with its sign-in link
    assert SESSION_KEY not in client.session
    assert User.objects.get().email == pending_invite.email


def test_login_on_accept_off(client, settings, pending_invite):
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    open_link(client, pending_invite.token)

    assert submit(client)["Location"] == DONE
    assert SESSION_KEY not in client.session
