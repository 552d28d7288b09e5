"""The demo project's sign-in pages, where an invitee lands after accepting."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from invites import services
from tests.helpers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inviteproject.urls")]
User = get_user_model()


def test_profile_needs_a_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_a_non_staff_invitee_signs_in_and_sees_who_they_are(client, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<label for="id_username">' in page.content.decode()

    response = client.post(
        "/accounts/login/", {"username": "pending@example.com", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/accounts/profile/", 302)]
    assert "Signed in as pending@example.com." in response.content.decode()


def test_wrong_password_is_refused(client, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    response = client.post(
        "/accounts/login/", {"username": "pending@example.com", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
