"""A Unicode domain and its punycode spelling are one mailbox, so one invite and one user.

`x@ex\u0430mple.com` (a Cyrillic "a") is delivered to `x@xn--exmple-4nf.com`: the two
must count as the same email everywhere an email is compared, on SQLite and on
PostgreSQL alike, whichever side holds which spelling.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from invites import services
from invites.exceptions import InviteAlreadyExists, UserAlreadyExists
from invites.models import Invite, email_key
from invites.services.users import user_email_keys
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

CYRILLIC = "x@ex\u0430mple.com"
PUNYCODE = "x@xn--exmple-4nf.com"

# (one spelling, another spelling of the same mailbox)
SPELLINGS = [
    (CYRILLIC, PUNYCODE),
    (PUNYCODE, CYRILLIC),
    ("X@EX\u0410MPLE.COM", PUNYCODE),
    (CYRILLIC, "x@XN--EXMPLE-4NF.COM"),
    ("bob@bücher.de", "bob@xn--bcher-kva.de"),
    ("bob@XN--BCHER-KVA.DE", "bob@BÜCHER.de"),
    ("bob@bücher.example.com", "bob@xn--bcher-kva.example.com"),
]


def make_user(email: str) -> Any:
    return User.objects.create_user(username=f"user-{User.objects.count()}", email=email)


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_the_keys_are_one(first, second):
    assert email_key(first) == email_key(second)


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_a_second_open_invite_for_the_other_spelling_is_refused(first, second):
    services.create_invites([first])
    with pytest.raises(InviteAlreadyExists):
        services.create_invites([second])
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_both_spellings_in_one_call_are_a_duplicate(first, second):
    with pytest.raises(InviteAlreadyExists):
        services.create_invites([first, second])
    checked = services.check_import([{"email": first}, {"email": second}])
    assert [(row.index, row.code) for row in checked.refused] == [(1, "duplicate")]


@pytest.mark.parametrize(("existing", "variant"), SPELLINGS)
def test_an_invite_for_a_users_other_spelling_is_refused(existing, variant):
    make_user(existing)
    with pytest.raises(UserAlreadyExists):
        services.create_invites([variant])
    assert user_email_keys([variant]) == {email_key(existing)}
    assert not Invite.objects.exists()


@pytest.mark.parametrize(("existing", "variant"), SPELLINGS)
def test_accepting_after_the_other_spelling_registered_makes_no_second_user(existing, variant):
    group = Group.objects.create(name="Testers")
    invite = services.create_invites([variant], groups=[group])[0]
    make_user(existing)
    with pytest.raises(UserAlreadyExists):
        services.accept_invite(invite.token, password=PASSWORD)
    assert User.objects.count() == 1


@pytest.mark.parametrize(("existing", "variant"), SPELLINGS)
def test_the_user_of_the_other_spelling_joins(existing, variant):
    group = Group.objects.create(name="Testers")
    invite = services.create_invites([variant], groups=[group])[0]
    user = make_user(existing)
    joined = services.join_invite(invite.token, user=user)
    assert (joined.accepted_by, list(user.groups.all())) == (user, [group])


def test_a_users_non_canonical_punycode_is_found():
    # Upper-case letters inside the punycode digits spell the same label.
    make_user("x@xn--EXMPLE-4NF.com")
    with pytest.raises(UserAlreadyExists):
        services.create_invites([CYRILLIC])
    # The Latin spelling only looks alike: another mailbox.
    assert services.create_invites(["x@example.com"])


def test_a_domain_too_long_in_punycode_is_refused_before_the_database():
    address = "x@" + ("a" * 45 + "äöü.") * 5 + "de"
    assert len(address) <= 254 < len(email_key(address))
    with pytest.raises(ValidationError):
        services.create_invites([address])
    assert not Invite.objects.exists()
