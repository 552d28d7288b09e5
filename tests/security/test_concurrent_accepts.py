"""Concurrent accepts on PostgreSQL: two invitees whose emails derive one username.

`a!b@example.com` and `a#b@example.com` both derive the username `a_b@example.com`.
The first accept holds its transaction open after inserting its user; the second one
finds the name free (the first has not committed), inserts, and waits on the unique
index; once the first commits, the second must pick another name, not fail.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from invites import services
from invites.models import Invite
from tests.helpers import PASSWORD, requires_postgresql
from tests.test_concurrency import hold_open, in_thread, wait_until_blocked_on_a_lock

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]
User = get_user_model()
EMAILS = ["a!b@example.com", "a#b@example.com"]


def race(first: Any, second: Any) -> tuple[Any, Any]:
    """Run `first` up to its commit, then `second` until it waits on a lock; then both."""
    release, first_in_tx = threading.Event(), threading.Event()
    with ThreadPoolExecutor(2) as pool:
        winner = in_thread(pool, hold_open(first, release, first_in_tx))
        assert first_in_tx.wait(10), winner.exception(1)
        loser = in_thread(pool, second)
        wait_until_blocked_on_a_lock()
        release.set()
        return winner.result(10), loser.result(10)


def test_the_second_of_two_accepts_deriving_one_username_gets_another_name(make_invite):
    one, two = (make_invite(email) for email in EMAILS)
    first, second = race(
        lambda: services.accept_invite(one.token, password=PASSWORD),
        lambda: services.accept_invite(two.token, password=PASSWORD),
    )
    assert first.username == "a_b@example.com"
    assert second.username.startswith("a_b@example.com-")
    assert sorted(User.objects.values_list("email", flat=True)) == sorted(EMAILS)
    assert Invite.objects.filter(accepted=True).count() == 2


def test_the_api_answers_both_racing_accepts_with_201(make_invite):
    one, two = (make_invite(email) for email in EMAILS)

    def post(token: str) -> int:
        response = Client(raise_request_exception=False).post(
            "/api/invites/accept/",
            {"token": token, "password": PASSWORD},
            content_type="application/json",
        )
        return response.status_code

    def accept_one() -> Any:
        return services.accept_invite(one.token, password=PASSWORD)

    _user, status = race(accept_one, lambda: post(two.token))
    assert status == 201
    assert User.objects.count() == 2


def test_accepts_of_many_invites_deriving_one_username_all_succeed(make_invite):
    """Unsynchronised: eight accepts at once, all deriving the same name."""
    invites = [make_invite(f"a{char}b@example.com") for char in "!#$%&'*="]
    start = threading.Barrier(len(invites))

    def accept(invite: Invite) -> Any:
        start.wait()
        return services.accept_invite(invite.token, password=PASSWORD)

    with ThreadPoolExecutor(len(invites)) as pool:
        futures = [in_thread(pool, lambda invite=invite: accept(invite)) for invite in invites]
        users = [future.result(30) for future in futures]

    assert len({user.username for user in users}) == len(invites)
    assert User.objects.count() == len(invites)
