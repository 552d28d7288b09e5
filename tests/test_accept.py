"""`accept_invite`: token checks, user creation, password validation, signal."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from invites import services
from invites.exceptions import (
    InvalidInviteToken,
    InviteAlreadyAccepted,
    InviteExpired,
    UserAlreadyExists,
)
from invites.models import Invite
from invites.signals import invite_accepted
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_accept_creates_user_and_marks_invite(
    pending_invite, record, django_capture_on_commit_callbacks
):
    accepted = record(invite_accepted)
    with django_capture_on_commit_callbacks(execute=True):
        user = services.accept_invite(
            pending_invite.token, password=PASSWORD, first_name="Ada", last_name="Lovelace"
        )

    user.refresh_from_db()
    assert user.email == pending_invite.email
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_superuser
    invite = Invite.objects.get(pk=pending_invite.pk)
    assert invite.accepted and invite.status == "accepted"
    assert invite.accepted_at is not None
    assert [(c["invite"].pk, c["user"].pk) for c in accepted.calls] == [(invite.pk, user.pk)]


def test_username_is_derived_from_the_email(pending_invite):
    user = services.accept_invite(pending_invite.token, password=PASSWORD)
    assert user.get_username() == "pending@example.com"


def test_username_fits_and_avoids_taken_names(make_invite):
    long_local = "a" * 200
    invite = make_invite(f"{long_local}@example.com")
    User.objects.create_user(username=("a" * 150))
    user = services.accept_invite(invite.token, password=PASSWORD)
    assert len(user.get_username()) <= 150
    assert user.get_username() != "a" * 150


def test_odd_characters_in_the_email_make_a_valid_username(make_invite):
    invite = make_invite("o'brien+tag!x@example.com")
    user = services.accept_invite(invite.token, password=PASSWORD)
    user.full_clean()
    assert user.email == "o'brien+tag!x@example.com"


@pytest.mark.parametrize("token", ["", "nope", "x" * 43, "x" * 10_000, None, 123])
def test_unknown_token(pending_invite, token):
    with pytest.raises(InvalidInviteToken):
        services.accept_invite(token, password=PASSWORD)
    assert not User.objects.exists()


def test_deleted_invite_token_is_invalid(make_invite):
    invite = make_invite()
    services.delete_invites([invite.pk])
    with pytest.raises(InvalidInviteToken):
        services.accept_invite(invite.token, password=PASSWORD)


def test_expired(pending_invite):
    expire(pending_invite)
    before = snapshot(pending_invite)
    with pytest.raises(InviteExpired):
        services.accept_invite(pending_invite.token, password=PASSWORD)
    assert snapshot(pending_invite) == before
    assert not User.objects.exists()


def test_already_accepted(pending_invite):
    services.accept_invite(pending_invite.token, password=PASSWORD)
    with pytest.raises(InviteAlreadyAccepted):
        services.accept_invite(pending_invite.token, password=PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["123", "password", "pending@example.com", "12345678901"])
def test_weak_password_is_refused_and_nothing_changes(pending_invite, password):
    before = snapshot(pending_invite)
    with pytest.raises(ValidationError):
        services.accept_invite(pending_invite.token, password=password)
    assert snapshot(pending_invite) == before
    assert not User.objects.exists()


def test_user_registered_meanwhile(granting_invite):
    User.objects.create_user(username="someone", email="GRANTING@example.com")
    with pytest.raises(UserAlreadyExists):
        services.accept_invite(granting_invite.token, password=PASSWORD)
    assert not Invite.objects.get(pk=granting_invite.pk).accepted


def test_a_user_registered_meanwhile_closed_the_plain_site_invite(pending_invite):
    user = User.objects.create_user(username="someone", email="PENDING@example.com")
    with pytest.raises(InviteAlreadyAccepted):
        services.accept_invite(pending_invite.token, password=PASSWORD)
    assert Invite.objects.get(pk=pending_invite.pk).accepted_by == user


@pytest.mark.parametrize("field", ["email", "is_staff", "is_superuser", "username", "password"])
def test_protected_user_fields_are_refused(pending_invite, field):
    with pytest.raises(TypeError):
        services.accept_invite(pending_invite.token, password=PASSWORD, **{field: "x"})
    assert not User.objects.exists()


def test_too_long_name_is_a_validation_error(pending_invite):
    with pytest.raises(ValidationError):
        services.accept_invite(pending_invite.token, password=PASSWORD, first_name="x" * 500)
    assert not User.objects.exists()
