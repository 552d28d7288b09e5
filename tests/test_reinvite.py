"""Inviting an email again: after an accept, a decline, or the deletion of the user."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from invites import services
from invites.exceptions import InviteAlreadyExists
from invites.models import Invite
from tests.helpers import PASSWORD
from tests.teams.models import Membership

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_reinviting_after_an_accept(team_adapter, team, team_owner):
    [first] = services.create_invites(
        ["grace@example.com"], target=team, role="member", invited_by=team_owner
    )
    grace = services.accept_invite(first.token, password=PASSWORD)
    Membership.objects.filter(user=grace).delete()  # she left the team

    [second] = services.create_invites(
        ["grace@example.com"], target=team, role="admin", invited_by=team_owner
    )
    services.join_invite(second.token, user=grace)

    assert Membership.objects.get(user=grace).role == "admin"
    assert list(
        Invite.objects.filter(email="grace@example.com").values_list("accepted", flat=True)
    ) == [True, True]


def test_reinviting_to_the_site_after_an_accept_and_the_users_deletion(pending_invite):
    user = services.accept_invite(pending_invite.token, password=PASSWORD)
    user.delete()
    assert Invite.objects.get(pk=pending_invite.pk).accepted_by is None  # SET_NULL

    [again] = services.create_invites(["pending@example.com"])
    assert services.accept_invite(again.token, password=PASSWORD).email == "pending@example.com"


def test_reinviting_after_a_decline(team, pending_invite):
    services.decline_invite(pending_invite.token)
    [again] = services.create_invites(["pending@example.com"])
    services.accept_invite(again.token, password=PASSWORD)
    assert Invite.objects.get(pk=pending_invite.pk).is_declined


def test_reinviting_into_a_target_after_a_decline(team):
    [first] = services.create_invites(["grace@example.com"], target=team)
    services.decline_invite(first.token)
    [again] = services.create_invites(["grace@example.com"], target=team)
    with pytest.raises(InviteAlreadyExists):
        services.create_invites(["grace@example.com"], target=team)
    assert again.pk != first.pk


def test_reinviting_after_deleting_the_user_of_a_plain_site_invite_closed_by_sign_up(
    pending_invite,
):
    user = User.objects.create_user(username="p", email="pending@example.com")
    user.delete()
    [again] = services.create_invites(["pending@example.com"])
    assert Invite.objects.open().get().pk == again.pk
