"""`create_invites`: normalisation, uniqueness, users, signal."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invites import services
from invites.exceptions import InviteAlreadyExists, UserAlreadyExists
from invites.models import Invite
from invites.signals import invite_created
from invites.tokens import hash_token

pytestmark = pytest.mark.django_db


def test_creates_pending_invites_with_tokens(admin_user):
    invites = services.create_invites(
        ["a@example.com", {"email": "b@example.com", "metadata": {"team": "blue"}}],
        invited_by=admin_user,
    )

    assert [invite.email for invite in invites] == ["a@example.com", "b@example.com"]
    stored = {invite.email: invite for invite in Invite.objects.all()}
    for invite in invites:
        assert stored[invite.email].token_hash == hash_token(invite.token)
        assert stored[invite.email].status == "pending"
        assert stored[invite.email].invited_by == admin_user
    assert stored["b@example.com"].metadata == {"team": "blue"}
    assert stored["a@example.com"].metadata is None


def test_email_is_trimmed_and_domain_lower_cased():
    [invite] = services.create_invites(["  Jane.Doe@EXAMPLE.Com \n"])
    assert invite.email == "Jane.Doe@example.com"
    assert Invite.objects.get().email == "Jane.Doe@example.com"


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@b.com", "x" * 250 + "@b.com"])
def test_invalid_email_raises_validation_error(email):
    with pytest.raises(ValidationError):
        services.create_invites([email])
    assert not Invite.all_objects.exists()


@pytest.mark.parametrize(
    "entry",
    [
        None,
        42,
        {"metadata": {}},
        {"email": "a@b.com", "metadata": [1]},
        {"email": "a@b.com", "x": 1},
    ],
)
def test_malformed_entries_raise_validation_error(entry):
    with pytest.raises(ValidationError):
        services.create_invites([entry])
    assert not Invite.all_objects.exists()


def test_one_invalid_entry_creates_none_of_the_batch():
    with pytest.raises(ValidationError):
        services.create_invites(["ok@example.com", "broken"])
    assert not Invite.all_objects.exists()


def test_live_invite_for_same_email_case_insensitively(pending_invite):
    with pytest.raises(InviteAlreadyExists) as caught:
        services.create_invites(["new@example.com", "PENDING@example.com"])
    assert caught.value.emails == ["PENDING@example.com"]
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("strasse@example.com", "STRASSE@example.com"),
        ("joe@straße.example", "JOE@STRASSE.example"),  # casefold: ß == ss
        ("joe@ÉCOLE.example", "Joe@école.example"),  # non-ASCII case
        (
            "joe@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com",
            "joe@example.com",
        ),  # NFKC: full-width letters
    ],
)
def test_emails_compare_by_nfkc_casefold(first, second):
    # Django's EmailValidator takes non-ASCII letters in the domain only (IDN).
    services.create_invites([first])
    with pytest.raises(InviteAlreadyExists):
        services.create_invites([second])


def test_same_email_twice_in_one_call():
    with pytest.raises(InviteAlreadyExists) as caught:
        services.create_invites(["a@example.com", "b@example.com", "A@example.com"])
    assert caught.value.emails == ["A@example.com"]
    assert not Invite.objects.exists()


def test_deleted_invite_frees_the_email(deleted_invite):
    [invite] = services.create_invites([deleted_invite.email])
    assert invite.pk != deleted_invite.pk
    assert Invite.all_objects.filter(email=deleted_invite.email).count() == 2


def test_existing_user_is_refused():
    get_user_model().objects.create_user(username="jane", email="Jane@Example.com")
    with pytest.raises(UserAlreadyExists) as caught:
        services.create_invites(["other@example.com", "jane@example.com"])
    assert caught.value.emails == ["jane@example.com"]
    assert not Invite.objects.exists()


def test_invite_conflict_is_reported_before_user_conflict(pending_invite):
    get_user_model().objects.create_user(username="u", email="user@example.com")
    with pytest.raises(InviteAlreadyExists):
        services.create_invites(["user@example.com", pending_invite.email])


def test_database_enforces_uniqueness_of_live_emails(pending_invite):
    duplicate = Invite(
        email="PENDING@EXAMPLE.COM",
        token_hash="0" * 64,
        token_nonce="0" * 64,
        expires_at=pending_invite.expires_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_invite_created_is_sent_after_commit(record, django_capture_on_commit_callbacks):
    created = record(invite_created)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invites = services.create_invites(["a@example.com", "b@example.com"])
    assert created.calls == []
    for callback in callbacks:
        callback()
    assert [(c["invite"].pk, c["token"]) for c in created.calls] == [
        (invite.pk, invite.token) for invite in invites
    ]


def test_empty_input_creates_nothing(record):
    created = record(invite_created)
    assert services.create_invites([]) == []
    assert created.calls == []


def test_ten_thousand_emails_in_one_call(django_assert_max_num_queries):
    emails = [f"user{i}@example.com" for i in range(10_000)]
    with django_assert_max_num_queries(60):
        invites = services.create_invites(emails)
    assert len(invites) == 10_000
    assert Invite.objects.count() == 10_000
