"""The demo project's sign-in pages, where an invitee lands after accepting."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from invites import services
from tests.helpers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inviteproject.urls")]
User = get_user_model()


@pytest.fixture(autouse=True)
def demo_backends(settings):
    """The demo's AUTHENTICATION_BACKENDS (these tests run on tests/settings.py)."""
    settings.AUTHENTICATION_BACKENDS = [
        "inviteproject.auth.EmailBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]


def test_profile_needs_a_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_a_non_staff_invitee_signs_in_and_sees_who_they_are(client, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<label for="id_username">Email:</label>' in page.content.decode()

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
    assert "Please enter a correct email and password." in response.content.decode()


def test_an_invitee_signs_in_with_their_email_in_any_case(client, pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    response = client.post(
        "/accounts/login/", {"username": "Pending@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


def test_the_admin_signs_in_with_its_username_or_its_email(client):
    User.objects.create_superuser("admin", email="admin@example.com", password=PASSWORD)
    for login in ("admin", "admin@example.com"):
        response = client.post("/accounts/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 302, login
        client.logout()


def test_the_home_page_links_to_the_admin_and_the_api_docs(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/api/docs/"' in html
    assert 'href="/accounts/login/"' in html


def test_the_admins_view_site_link_leads_to_the_home_page(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert '<a href="/">' in html
    assert admin_client.get("/").status_code == 200
