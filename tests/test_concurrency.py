"""Races on PostgreSQL: row locks make refresh and accept serialise correctly.

Each test makes the interleaving deterministic: one thread holds its transaction open
at the critical point while the main thread waits until PostgreSQL reports the other
thread blocked on that row lock, then lets the first commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from invites import services
from invites.exceptions import InvalidInviteToken, InviteAlreadyAccepted
from invites.models import Invite
from invites.tokens import hash_token
from tests.helpers import PASSWORD, requires_postgresql

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def in_thread(pool: ThreadPoolExecutor, fn: Callable[[], Any]) -> Future[Any]:
    """Run `fn` on its own database connection in the pool."""

    def run() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    return pool.submit(run)


def wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] > 0:
                return
        time.sleep(0.02)
    raise AssertionError("no transaction ever waited on the row lock")


def hold_open(action: Callable[[], Any], release: threading.Event, done: threading.Event):
    """Run `action` in a transaction that commits only once `release` is set."""

    def run() -> Any:
        with transaction.atomic():
            result = action()
            done.set()
            assert release.wait(10)
        return result

    return run


def test_refresh_committing_first_revokes_the_token_a_waiting_accept_holds(make_invite):
    invite = make_invite()
    release, refreshed_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        refresh = in_thread(
            pool,
            hold_open(
                lambda: services.refresh_invite_tokens([invite.pk]), release, refreshed_in_tx
            ),
        )
        assert refreshed_in_tx.wait(10)
        accept = in_thread(pool, lambda: services.accept_invite(invite.token, password=PASSWORD))
        wait_until_blocked_on_a_lock()
        release.set()
        [new] = refresh.result(10)
        with pytest.raises(InvalidInviteToken):
            accept.result(10)

    stored = Invite.objects.get(pk=invite.pk)
    assert not stored.accepted
    assert stored.token_hash == hash_token(new.token)
    assert not User.objects.exists()


def test_accept_committing_first_makes_a_waiting_refresh_fail(make_invite):
    invite = make_invite()
    release, accepted_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        accept = in_thread(
            pool,
            hold_open(
                lambda: services.accept_invite(invite.token, password=PASSWORD),
                release,
                accepted_in_tx,
            ),
        )
        assert accepted_in_tx.wait(10)
        refresh = in_thread(pool, lambda: services.refresh_invite_tokens([invite.pk]))
        wait_until_blocked_on_a_lock()
        release.set()
        user = accept.result(10)
        with pytest.raises(InviteAlreadyAccepted):
            refresh.result(10)

    stored = Invite.objects.get(pk=invite.pk)
    assert stored.accepted
    # No new token was minted for the accepted invite: the stored digest is the one used.
    assert stored.token_hash == hash_token(invite.token)
    assert list(User.objects.values_list("pk", flat=True)) == [user.pk]


def test_two_concurrent_accepts_of_one_token_create_exactly_one_user(make_invite):
    invite = make_invite()
    release, first_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        first = in_thread(
            pool,
            hold_open(
                lambda: services.accept_invite(invite.token, password=PASSWORD),
                release,
                first_in_tx,
            ),
        )
        assert first_in_tx.wait(10)
        second = in_thread(pool, lambda: services.accept_invite(invite.token, password=PASSWORD))
        wait_until_blocked_on_a_lock()
        release.set()
        first.result(10)
        with pytest.raises(InviteAlreadyAccepted):
            second.result(10)

    assert User.objects.count() == 1


def test_two_concurrent_refreshes_leave_exactly_one_valid_token(make_invite):
    invite = make_invite()
    release, first_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        first = in_thread(
            pool,
            hold_open(lambda: services.refresh_invite_tokens([invite.pk]), release, first_in_tx),
        )
        assert first_in_tx.wait(10)
        second = in_thread(pool, lambda: services.refresh_invite_tokens([invite.pk]))
        wait_until_blocked_on_a_lock()
        release.set()
        [from_first] = first.result(10)
        [from_second] = second.result(10)

    candidates = [invite.token, from_first.token, from_second.token]
    stored = Invite.objects.get(pk=invite.pk)
    assert [hash_token(token) == stored.token_hash for token in candidates] == [False, False, True]
    for stale in candidates[:2]:
        with pytest.raises(InvalidInviteToken):
            services.accept_invite(stale, password=PASSWORD)
    assert services.accept_invite(from_second.token, password=PASSWORD).email == invite.email


def test_racing_accepts_and_refreshes_never_break_the_invariants(make_invite):
    """Unsynchronised races, many rounds: whatever wins, the end state is consistent."""
    for round_number in range(15):
        invite = make_invite()
        start = threading.Barrier(3)

        def accept(invite: Invite = invite, start: threading.Barrier = start) -> Any:
            start.wait()
            return services.accept_invite(invite.token, password=PASSWORD)

        def refresh(invite: Invite = invite, start: threading.Barrier = start) -> Any:
            start.wait()
            return services.refresh_invite_tokens([invite.pk])

        with ThreadPoolExecutor(3) as pool:
            futures = [in_thread(pool, accept), in_thread(pool, accept), in_thread(pool, refresh)]
            outcomes = [future.exception(10) or future.result() for future in futures]

        stored = Invite.objects.get(pk=invite.pk)
        users = User.objects.filter(email=invite.email).count()
        accept_wins = [o for o in outcomes[:2] if not isinstance(o, Exception)]
        assert users == len(accept_wins) <= 1, (round_number, outcomes)
        if stored.accepted:
            assert isinstance(outcomes[2], InviteAlreadyAccepted), outcomes
            assert stored.token_hash == hash_token(invite.token)
        else:
            assert all(isinstance(o, InvalidInviteToken) for o in outcomes[:2]), outcomes
            assert stored.token_hash == hash_token(outcomes[2][0].token)


def test_overlapping_bulk_refreshes_in_opposite_orders_do_not_deadlock(make_invite):
    invites = [make_invite() for _ in range(40)]
    ids = [invite.pk for invite in invites]
    start = threading.Barrier(2)

    def refresh(order: list[Any]) -> list[Invite]:
        start.wait()
        return services.refresh_invite_tokens(order)

    with ThreadPoolExecutor(2) as pool:
        forward = in_thread(pool, lambda: refresh(ids))
        backward = in_thread(pool, lambda: refresh(ids[::-1]))
        assert len(forward.result(20)) == len(backward.result(20)) == 40


def test_a_bulk_refresh_that_loses_a_deadlock_runs_again(make_invite, caplog):
    """A holder locks one invite; the caller's bulk refresh of both locks the other and
    waits; the holder then asks for the other: a deadlock.

    Which invite the caller's UPDATE locks first is the planner's choice, so the race
    is run with each invite held in turn; in one of them the caller holds the other
    one when it waits. PostgreSQL looks for deadlocks in a session once it has waited
    `deadlock_timeout` (1 s), so the session that began waiting first, the caller, is
    the one aborted. Its refresh owns its transaction, so it runs again and succeeds.
    """
    invites = [make_invite(), make_invite()]
    with caplog.at_level(logging.WARNING, logger="invites.services"):
        for held, wanted in (invites, invites[::-1]):
            refreshed = race_bulk_refresh_against_holder(held, wanted, invites)
            stored = dict(Invite.objects.values_list("pk", "token_hash"))
            # The caller committed last: its tokens are the live ones.
            assert [stored[invite.pk] for invite in refreshed] == [
                hash_token(invite.token) for invite in refreshed
            ]
    # At least one of the two races deadlocks and is run again (on a loaded machine
    # both may); with retries off, the refresh fails with DeadlockDetected instead.
    assert caplog.text.count("deadlock") >= 1


def race_bulk_refresh_against_holder(
    held: Invite, wanted: Invite, invites: list[Invite]
) -> list[Invite]:
    holding, go = threading.Event(), threading.Event()

    def holder() -> list[Invite]:
        with transaction.atomic():
            services.refresh_invite_tokens([held.pk])
            holding.set()
            assert go.wait(10)
            return services.refresh_invite_tokens([wanted.pk])

    with ThreadPoolExecutor(2) as pool:
        holding_future = in_thread(pool, holder)
        assert holding.wait(10), holding_future.exception(1)
        caller = in_thread(pool, lambda: services.refresh_invite_tokens([i.pk for i in invites]))
        wait_until_blocked_on_a_lock()
        go.set()
        holding_future.result(20)
        return caller.result(20)
