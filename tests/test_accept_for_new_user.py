"""`accept_invite_for_new_user`: a sign-up flow's own user accepts the invite, and the
`invite_opened` signal of the accept page (both for integrations such as allauth's)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from invites import services, signals
from invites.exceptions import InviteAlreadyAccepted, InviteEmailMismatch, UserAlreadyExists

User = get_user_model()


def new_user(email: str) -> Any:
    return User(username=email, email=email)


def test_the_users_save_and_the_grants_happen_in_the_accept(
    make_invite, group, record, django_capture_on_commit_callbacks
):
    accepted = record(signals.invite_accepted)
    invite = make_invite("New@Example.com", groups=[group])
    user = new_user("new@example.com")
    saved: list[Any] = []

    def save(u: Any) -> None:
        invite.refresh_from_db()
        saved.append(invite.accepted)  # the invite is closed before the user exists
        u.save()

    with pytest.raises(InviteEmailMismatch):
        services.accept_invite_for_new_user(invite.token, user=new_user("other@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.accept_invite_for_new_user(invite.token, user=user, save=save)
    assert saved == [True]
    assert result.accepted_by == user and group in user.groups.all()
    assert user.email == "New@example.com"  # the invite's address on record
    assert [call["created"] for call in accepted.calls] == [True]
    with pytest.raises(InviteAlreadyAccepted):
        services.accept_invite_for_new_user(invite.token, user=new_user("new@example.com"))


def test_a_plain_site_invite_is_accepted_not_closed_by_the_new_account(make_invite):
    invite = make_invite("plain@example.com")
    services.accept_invite_for_new_user(invite.token, user=new_user("plain@example.com"))
    invite.refresh_from_db()
    assert invite.accepted and invite.accepted_by.email == "plain@example.com"


def test_a_failing_save_leaves_the_invite_open(make_invite):
    invite = make_invite("fail@example.com")

    def save(u: Any) -> None:
        u.save()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        services.accept_invite_for_new_user(
            invite.token, user=new_user("fail@example.com"), save=save
        )
    invite.refresh_from_db()
    assert not invite.accepted
    assert not User.objects.filter(email="fail@example.com").exists()


def test_an_existing_account_or_a_saved_user_is_refused(make_invite, group):
    invite = make_invite("taken@example.com", groups=[group])
    User.objects.create_user("taken", "taken@example.com", "x")
    with pytest.raises(UserAlreadyExists):
        services.accept_invite_for_new_user(invite.token, user=new_user("taken@example.com"))
    with pytest.raises(ValueError, match="unsaved"):
        services.accept_invite_for_new_user(invite.token, user=User.objects.get())


def test_the_page_sends_invite_opened_for_a_valid_link_only(client, make_invite, record):
    opened = record(signals.invite_opened)
    invite = make_invite("open@example.com")
    client.get(f"/invites/accept/?token={invite.token}", follow=True)
    assert [call["invite"].pk for call in opened.calls] == [invite.pk]
    assert "token" not in opened.calls[0]
    client.get("/invites/accept/?token=not-a-token", follow=True)
    assert len(opened.calls) == 1
