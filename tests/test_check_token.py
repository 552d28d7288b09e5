"""`check_invite_token`: the read-only look-up behind the accept page's GET."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invites import services
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteExpired,
    UserAlreadyExists,
)
from invites.signals import invite_accepted
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_returns_the_invite_and_changes_nothing(pending_invite, record):
    accepted = record(invite_accepted)
    before = snapshot(pending_invite)

    with CaptureQueriesContext(connection) as queries:
        invite = services.check_invite_token(pending_invite.token)

    assert invite.pk == pending_invite.pk
    assert invite.email == "pending@example.com"
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert snapshot(pending_invite) == before
    assert accepted.calls == []
    assert not User.objects.exists()
    # Checking does not use the invite up: the same token still accepts.
    assert services.accept_invite(pending_invite.token, password=PASSWORD).email == invite.email


@pytest.mark.parametrize("token", ["", "nope", "x" * 43, "x" * 10_000, None, 123])
def test_unknown_or_malformed_token(pending_invite, token):
    with pytest.raises(InvalidInviteToken):
        services.check_invite_token(token)


def test_token_revoked_by_a_refresh_is_invalid(pending_invite):
    services.refresh_invite_tokens([pending_invite.pk])
    with pytest.raises(InvalidInviteToken):
        services.check_invite_token(pending_invite.token)


def test_deleted_invite_is_invalid(make_invite):
    invite = make_invite()
    services.delete_invites([invite.pk])
    with pytest.raises(InvalidInviteToken):
        services.check_invite_token(invite.token)


def test_expired(pending_invite):
    expire(pending_invite)
    with pytest.raises(InviteExpired):
        services.check_invite_token(pending_invite.token)


def test_already_accepted(pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    with pytest.raises(InviteAlreadyAccepted):
        services.check_invite_token(pending_invite.token)


def test_accepted_is_reported_before_expired(pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    expire(pending_invite)
    with pytest.raises(InviteAlreadyAccepted):
        services.check_invite_token(pending_invite.token)


def test_user_with_the_email_exists(granting_invite):
    User.objects.create_user(username="someone", email="Granting@Example.com")
    with pytest.raises(UserAlreadyExists) as caught:
        services.check_invite_token(granting_invite.token)
    assert caught.value.emails == ["granting@example.com"]
