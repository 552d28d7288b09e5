"""The done page tells the invitee what to type: the email only where it signs in."""

from __future__ import annotations

import pytest

from tests.accept_page.helpers import DONE, open_link, page_text, submit

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
USERNAME_BACKEND = "invites.backends.UsernameBackend"
BY_EMAIL = "Sign in with your email address"


def done_page(client, settings, make_invite, email: str, backend: str) -> str:
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    settings.AUTHENTICATION_BACKENDS = [backend]
    open_link(client, make_invite(email).token)
    submit(client)
    return page_text(client.get(DONE))


def test_a_mixed_case_email_is_named_as_the_username_modelbackend_knows(
    client, settings, make_invite
):
    page = done_page(client, settings, make_invite, "Ada.Lovelace@example.com", MODEL_BACKEND)
    assert "<strong>ada.lovelace@example.com</strong>" in page
    assert BY_EMAIL not in page


def test_with_the_username_backend_the_email_is_what_to_type(client, settings, make_invite):
    # Fullwidth letters in the domain: the username backend finds the account by the
    # email as typed, whatever its case and width.
    email = "Ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"
    page = done_page(client, settings, make_invite, email, USERNAME_BACKEND)
    assert BY_EMAIL in page
    assert "<strong>" not in page
