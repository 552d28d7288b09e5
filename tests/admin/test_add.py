"""`InviteAdmin`'s add page: through `create_invites`, its errors and races."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connections

from invites import services
from invites.admin.options import AddRefused
from invites.exceptions import InviteAlreadyExists
from invites.models import Invite
from invites.signals import invite_created
from invites.tokens import hash_token
from tests.admin.helpers import (
    ADD,
    admin_request,
    after_first_query,
    change_url,
    messages_of,
)
from tests.helpers import requires_postgresql

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- add: through create_invites ------------------------------------------------------


def test_add_page_renders(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="email"' in text and 'name="metadata"' in text
    [metadata] = re.findall(r'<textarea name="metadata"[^>]*>(.*?)</textarea>', text, re.S)
    assert metadata.strip() == ""
    assert "Resend" not in text
    main = re.sub(r"csrfmiddlewaretoken", "", text).lower().split("<main")[1]
    # The target type choices name every model of the project, DRF's tokens among them.
    main = re.sub(r'<select name="target_type".*?</select>', "", main, flags=re.S)
    assert "token" not in main


def test_add_goes_through_the_service(
    admin_client, admin_user, record, django_capture_on_commit_callbacks
):
    created = record(invite_created)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            ADD, {"email": " New.Person@EXAMPLE.com ", "metadata": '{"team": "blue"}'}, follow=True
        )

    invite = Invite.objects.get()
    assert invite.email == "New.Person@example.com"
    assert invite.metadata == {"team": "blue"}
    assert invite.invited_by == admin_user
    assert invite.status == "pending"
    assert [call["invite"].pk for call in created.calls] == [invite.pk]
    shown = messages_of(response)
    assert any("was added successfully" in message for message in shown)
    [link_message] = [m for m in shown if "Accept link" in m]
    assert "shown only this once" in link_message
    [token] = re.findall(
        r"https://invites\.example\.com/invites/accept/\?token=([\w-]+)", link_message
    )
    assert hash_token(token) == invite.token_hash
    assert token == created.calls[0]["token"]


def test_add_and_continue_goes_to_the_new_invite(admin_client):
    response = admin_client.post(ADD, {"email": "x@example.com", "_continue": "1"})
    assert response["Location"] == change_url(Invite.objects.get())


@pytest.mark.parametrize(
    "data, error",
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"email": "a@example.com", "metadata": "[1, 2]"}, "Enter a JSON object"),
        ({"email": "a@example.com", "metadata": "{nope"}, "Enter a valid JSON."),
        ({"email": "x" * 300 + "@example.com"}, "Ensure this value has at most 254 characters"),
    ],
)
def test_add_shows_input_errors_on_the_form(admin_client, data, error):
    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Invite.all_objects.exists()


def test_add_shows_an_existing_invite_on_the_form(admin_client, pending_invite):
    response = admin_client.post(ADD, {"email": "PENDING@example.com"})

    assert response.status_code == 200
    assert "An invite already exists for: PENDING@example.com." in response.content.decode()
    assert Invite.all_objects.count() == 1


def test_add_shows_an_existing_user_on_the_form(admin_client):
    response = admin_client.post(ADD, {"email": "admin@example.com"})  # pytest-django's admin

    assert response.status_code == 200
    assert "A user already exists with the email: admin@example.com." in response.content.decode()
    assert not Invite.all_objects.exists()


def test_add_without_metadata_stores_none(admin_client):
    response = admin_client.post(ADD, {"email": "plain@example.com", "metadata": ""})

    assert response.status_code == 302
    assert Invite.objects.get().metadata is None


def test_an_invalid_add_keeps_what_was_typed(admin_client):
    response = admin_client.post(ADD, {"email": "nope", "metadata": '{"team": "x"}'})

    text = response.content.decode()
    assert re.search(r'<textarea name="metadata"[^>]*>\s*\{&quot;team&quot;: &quot;x&quot;\}', text)
    assert 'value="nope"' in text


def in_other_connection(action: Callable[[], object]) -> Callable[[], None]:
    """`action` run and committed on a connection of its own: another admin, for real."""

    def run() -> None:
        def work() -> None:
            try:
                action()
            finally:
                connections.close_all()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(work).result(timeout=10)

    return run


# The form's check has just found no such invite nor user; then someone else commits one.
FORM_CHECKED_USERS = r'LOWER\("auth_user"\."email"\)'


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_add_race_lost_to_another_admin_is_shown_on_the_form(admin_client):
    other_admin_adds = in_other_connection(lambda: services.create_invites(["race@example.com"]))

    with after_first_query(FORM_CHECKED_USERS, other_admin_adds):
        response = admin_client.post(ADD, {"email": "race@example.com"})

    assert response.status_code == 200
    assert "An invite already exists for: race@example.com." in response.content.decode()
    assert Invite.all_objects.count() == 1
    assert not LogEntry.objects.exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_add_race_lost_to_a_new_user_is_shown_on_the_form(admin_client):
    someone_signs_up = in_other_connection(
        lambda: User.objects.create_user(username="racer", email="racer@example.com")
    )

    with after_first_query(FORM_CHECKED_USERS, someone_signs_up):
        response = admin_client.post(ADD, {"email": "racer@example.com"})

    assert response.status_code == 200
    assert "A user already exists with the email: racer@example.com." in (response.content.decode())
    assert not Invite.all_objects.exists()


def test_an_add_refused_by_the_service_is_rolled_back_and_tried_again(admin_client):
    # On one connection the competing invite is part of the add's own transaction:
    # the refusal rolls both back, and the second attempt finds the email free.
    def same_transaction_adds() -> None:
        services.create_invites(["again@example.com"])

    with after_first_query(FORM_CHECKED_USERS, same_transaction_adds):
        response = admin_client.post(ADD, {"email": "again@example.com"})

    assert response.status_code == 302
    invite = Invite.all_objects.get()
    assert LogEntry.objects.get().object_id == str(invite.pk)


def test_a_refusal_on_every_attempt_is_a_message_not_an_error(admin_user):
    model_admin, request = admin_request(admin_user)
    attempts = []

    def always_refused(request):
        attempts.append(request)
        raise AddRefused(InviteAlreadyExists(["loop@example.com"]))

    response = model_admin.show_refusals(always_refused, request)

    assert len(attempts) == 2
    assert response.status_code == 302
    assert [str(m) for m in get_messages(request)] == [
        "Nothing was added: An invite already exists for: loop@example.com."
    ]


def test_add_needs_add_permission(staff_client):
    viewer = staff_client("view_invite", "change_invite")
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"email": "x@example.com"}).status_code == 403
    assert not Invite.all_objects.exists()
