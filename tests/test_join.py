"""Joining: an existing, signed-in user accepts an invite that grants something."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from invites import services
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteDeclined,
    InviteEmailMismatch,
    InviteExpired,
    UserAlreadyExists,
)
from invites.models import Invite
from invites.signals import invite_accepted, invite_accepting
from tests.helpers import PASSWORD, expire, snapshot
from tests.teams.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def granting_user(db):
    return User.objects.create_user(username="g", email="Granting@Example.com")


def test_join_adds_the_groups_and_records_who_accepted(granting_invite, granting_user, group):
    count = User.objects.count()
    invite = services.join_invite(granting_invite.token, user=granting_user)
    assert invite.accepted
    stored = Invite.objects.get(pk=invite.pk)
    assert (stored.accepted, stored.accepted_by) == (True, granting_user)
    assert stored.accepted_at is not None
    assert list(granting_user.groups.all()) == [group]
    assert User.objects.count() == count


def test_join_sends_invite_accepted_after_commit_with_created_false(
    granting_invite, granting_user, record, django_capture_on_commit_callbacks
):
    accepted = record(invite_accepted)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.join_invite(granting_invite.token, user=granting_user)
        assert accepted.calls == []
    assert len(callbacks) == 1
    [call] = accepted.calls
    assert (call["user"], call["created"]) == (granting_user, False)


def test_join_into_a_team_creates_the_membership(team_adapter, team, team_owner):
    [invite] = services.create_invites(
        ["grace@example.com"], target=team, role="admin", invited_by=team_owner
    )
    grace = User.objects.create_user(username="grace", email="grace@example.com")
    services.join_invite(invite.token, user=grace)
    assert Membership.objects.get(team=team, user=grace).role == "admin"


def test_another_users_email_is_a_mismatch_and_changes_nothing(granting_invite):
    other = User.objects.create_user(username="o", email="other@example.com")
    before = snapshot(granting_invite)
    with pytest.raises(InviteEmailMismatch) as caught:
        services.join_invite(granting_invite.token, user=other)
    assert caught.value.code == "email_mismatch"
    assert snapshot(granting_invite) == before
    assert not other.groups.exists()


@pytest.mark.parametrize("user", [AnonymousUser(), None, User(email="granting@example.com")])
def test_no_saved_signed_in_user_is_a_mismatch(granting_invite, user):
    with pytest.raises(InviteEmailMismatch):
        services.join_invite(granting_invite.token, user=user)


def test_a_plain_site_invite_has_nothing_to_join(make_invite):
    invite = make_invite("plain@example.com")
    # A user saved through the ORM's update path, as a data import might: the account
    # exists but the plain invite is still open.
    user = User(username="plain", email="other@example.com")
    user.save()
    User.objects.filter(pk=user.pk).update(email="plain@example.com")
    user.refresh_from_db()
    with pytest.raises(UserAlreadyExists):
        services.join_invite(invite.token, user=user)
    assert Invite.objects.get(pk=invite.pk).is_open


def test_token_problems_raise_what_accept_raises(
    granting_invite, granting_user, make_invite, group
):
    with pytest.raises(InvalidInviteToken):
        services.join_invite("nope", user=granting_user)
    with pytest.raises(InvalidInviteToken):
        services.join_invite(None, user=granting_user)  # type: ignore[arg-type]

    expire(granting_invite)
    with pytest.raises(InviteExpired):
        services.join_invite(granting_invite.token, user=granting_user)


def test_a_joined_invite_cannot_be_joined_or_accepted_again(granting_invite, granting_user):
    services.join_invite(granting_invite.token, user=granting_user)
    with pytest.raises(InviteAlreadyAccepted):
        services.join_invite(granting_invite.token, user=granting_user)
    with pytest.raises(InviteAlreadyAccepted):
        services.accept_invite(granting_invite.token, password=PASSWORD)


def test_a_declined_invite_cannot_be_joined(granting_invite, granting_user):
    services.decline_invite(granting_invite.token)
    with pytest.raises(InviteDeclined):
        services.join_invite(granting_invite.token, user=granting_user)


def test_a_deleted_invite_cannot_be_joined(granting_invite, granting_user):
    services.delete_invites([granting_invite.pk])
    with pytest.raises(InvalidInviteToken):
        services.join_invite(granting_invite.token, user=granting_user)


def test_a_raising_grant_rolls_the_join_back(settings, granting_invite, granting_user):
    settings.INVITES = {"ADAPTER": "tests.adapters.RefusingGrantAdapter"}
    with pytest.raises(RuntimeError):
        services.join_invite(granting_invite.token, user=granting_user)
    assert Invite.objects.get(pk=granting_invite.pk).is_open
    assert not granting_user.groups.exists()


def test_a_raising_invite_accepting_receiver_rolls_the_join_back(granting_invite, granting_user):
    def veto(**kwargs):
        assert kwargs["created"] is False
        assert kwargs["user"] == granting_user
        assert Invite.objects.get(pk=kwargs["invite"].pk).accepted  # after the write
        raise ValueError("no")

    invite_accepting.connect(veto, weak=False)
    try:
        with pytest.raises(ValueError):
            services.join_invite(granting_invite.token, user=granting_user)
    finally:
        invite_accepting.disconnect(veto)
    assert Invite.objects.get(pk=granting_invite.pk).is_open
    assert not granting_user.groups.exists()
