"""Unicode identities: no second account for an address that counts as the same.

Two addresses are the same when their NFKC casefolds are equal ("ß" and "SS",
fullwidth and ASCII letters, ligatures). The check must find the existing user on
SQLite and on PostgreSQL alike, whichever side holds the non-ASCII spelling.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from invites import services
from invites.exceptions import UserAlreadyExists
from invites.models import Invite
from invites.services.users import user_email_keys
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

FULLWIDTH_BOB = "\uff42\uff4f\uff42@example.com"

# (address of an existing user, a variant of it that an invite is sent to)
VARIANTS = [
    ("bob@straße.de", "bob@STRASSE.de"),
    ("bob@straße.de", "bob@strasse.de"),
    (FULLWIDTH_BOB, "bob@example.com"),  # fullwidth letters
    ("ﬁona@example.com", "fiona@example.com"),  # the "fi" ligature
    ("bob@strasse.de", "bob@straße.de"),
    ("bob@ÉCOLE.fr", "bob@école.fr"),
    ("bob@e\u0301cole.fr", "bob@école.fr"),  # decomposed and composed
]


def make_user(email: str) -> Any:
    return User.objects.create_user(username=f"user-{User.objects.count()}", email=email)


@pytest.mark.parametrize(("existing", "variant"), VARIANTS)
def test_an_invite_for_a_variant_of_a_users_email_is_refused(existing, variant):
    make_user(existing)
    with pytest.raises(UserAlreadyExists):
        services.create_invites([variant])
    assert not Invite.objects.exists()


@pytest.mark.parametrize(("existing", "variant"), VARIANTS)
def test_accepting_after_a_variant_registered_creates_no_second_account(existing, variant):
    group = Group.objects.create(name="Testers")
    invite = services.create_invites([variant], groups=[group])[0]
    make_user(existing)
    with pytest.raises(UserAlreadyExists):
        services.accept_invite(invite.token, password=PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.parametrize(("existing", "variant"), VARIANTS)
def test_registering_a_variant_closes_the_plain_site_invite(existing, variant):
    invite = services.create_invites([variant])[0]
    user = make_user(existing)
    invite.refresh_from_db()
    assert (invite.accepted, invite.accepted_by) == (True, user)


def test_addresses_that_only_look_alike_are_not_refused():
    make_user("bob@straße.de")
    make_user("bøb@example.com")
    [invite] = services.create_invites(["bob@strasze.de"])
    assert services.accept_invite(invite.token, password=PASSWORD).email == "bob@strasze.de"
    services.create_invites(["bob@example.com"])


def test_the_check_reads_ascii_users_by_lookup_not_by_scanning(django_assert_max_num_queries):
    for number in range(50):
        make_user(f"user{number}@example.com")
    make_user(FULLWIDTH_BOB)
    with django_assert_max_num_queries(2):
        taken = user_email_keys(["USER7@example.com", "bob@example.com", "x@y.z"])
    assert taken == {"user7@example.com", "bob@example.com"}
