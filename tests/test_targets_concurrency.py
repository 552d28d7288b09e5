"""Races of invites into a target, on PostgreSQL with real threads and real commits.

Each holds one transaction open at the critical point, waits until PostgreSQL reports
the other blocked on a lock, then commits: every interleaving is forced, not hoped for.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from invites import services
from invites.exceptions import InviteAlreadyAccepted, InviteAlreadyExists
from invites.models import Invite
from tests.helpers import PASSWORD, requires_postgresql
from tests.teams.models import Membership
from tests.test_concurrency import hold_open, in_thread, wait_until_blocked_on_a_lock

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def race(first: Any, second: Any) -> tuple[Any, Any]:
    """Run `first` up to its commit, then `second` until it waits on a lock; then both.

    Returns each one's result, or the exception it raised.
    """
    release, first_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        winner = in_thread(pool, hold_open(first, release, first_in_tx))
        assert first_in_tx.wait(10), winner.exception(1)
        loser = in_thread(pool, second)
        wait_until_blocked_on_a_lock()
        release.set()
        return _outcome(winner), _outcome(loser)


def _outcome(future: Any) -> Any:
    error = future.exception(10)
    return error if error is not None else future.result(10)


def test_two_admins_inviting_one_email_into_one_target_make_one_invite(
    team_adapter, team, team_owner
):
    second_admin = User.objects.create_user(username="bob", email="bob@example.com")
    Membership.objects.create(team=team, user=second_admin, role="admin")

    def invite_by(user: Any) -> Any:
        return lambda: services.create_invites(
            ["grace@example.com"], target=team, role="member", invited_by=user
        )

    first, second = race(invite_by(team_owner), invite_by(second_admin))
    assert [invite.email for invite in first] == ["grace@example.com"]
    assert isinstance(second, InviteAlreadyExists)
    assert second.emails == ["grace@example.com"]
    assert Invite.objects.filter(email="grace@example.com").count() == 1


def test_an_accept_holding_the_invite_beats_a_racing_join(granting_invite, group):
    """The accept holds its transaction open after creating its user; the join waits."""

    def join_as_a_second_account() -> Any:
        # The default user model does not make emails unique: another account with the
        # invite's email, made once the accept has checked for one.
        joiner = User.objects.create_user(username="joiner", email="granting@example.com")
        try:
            return services.join_invite(granting_invite.token, user=joiner)
        finally:
            assert not joiner.groups.exists()

    accepted, joined = race(
        lambda: services.accept_invite(granting_invite.token, password=PASSWORD),
        join_as_a_second_account,
    )
    assert isinstance(joined, InviteAlreadyAccepted)
    stored = Invite.objects.get(pk=granting_invite.pk)
    assert stored.accepted_by == accepted
    assert list(accepted.groups.all()) == [group]


def test_a_join_holding_the_invite_beats_a_racing_accept(granting_invite, group):
    joiner = User.objects.create_user(username="joiner", email="granting@example.com")
    joined, accepted = race(
        lambda: services.join_invite(granting_invite.token, user=joiner),
        lambda: services.accept_invite(granting_invite.token, password=PASSWORD),
    )
    assert isinstance(accepted, InviteAlreadyAccepted)
    assert joined.pk == granting_invite.pk
    assert Invite.objects.get(pk=granting_invite.pk).accepted_by == joiner
    assert User.objects.count() == 1
    assert list(joiner.groups.all()) == [group]
