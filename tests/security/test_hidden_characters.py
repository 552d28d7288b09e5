"""Addresses that look like another one are refused on every path they enter by.

A zero-width space or a soft hyphen is invisible, and mail systems drop it: the email
reaches `zw@example.com` while the invite is for another address, so accepting would
make a second account for one person. Control characters and RFC 2047 encoded words
are refused for the same reason, and a refused row is never echoed raw to a terminal.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from invites import services
from invites.addresses import printable
from invites.exceptions import UserAlreadyExists
from invites.models import Invite
from invites.tokens import mint_token
from tests.admin.helpers import ADD
from tests.api.helpers import client_for
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

HIDDEN = [
    "zw@exa\u200bmple.com",  # zero-width space
    "zw@exam\u00adple.com",  # soft hyphen
    "zw@exa\u200dmple.com",  # zero-width joiner
    "zw@example.com\u202e",  # right-to-left override
    "=?utf-8?q?zw?=@example.com",  # an RFC 2047 encoded word
    "=?UTF-8?B?enc=?=@example.com",
    '"\x1b]0;pwned\x07"@example.com',  # a terminal title escape
    '"zw\x07"@example.com',
]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en-us"):
        yield


@pytest.fixture
def existing_user():
    return User.objects.create_user(username="zw", email="zw@example.com")


@pytest.mark.parametrize("address", HIDDEN)
def test_create_invites_refuses_it(address, existing_user):
    group = Group.objects.create(name="Testers")
    with pytest.raises(ValidationError) as caught:
        services.create_invites([address], groups=[group])
    assert caught.value.error_list[0].code == "invalid"
    assert not Invite.all_objects.exists()


@pytest.mark.parametrize("address", HIDDEN)
def test_check_creatable_refuses_it(address):
    with pytest.raises(ValidationError):
        services.check_creatable([address])


@pytest.mark.parametrize("address", HIDDEN)
def test_an_import_refuses_the_row(address):
    checked = services.check_import([{"email": "ok@example.com"}, {"email": address}])
    assert [(row.index, row.code) for row in checked.refused] == [(1, "invalid")]
    assert not Invite.all_objects.exists()


@pytest.mark.parametrize("address", HIDDEN)
def test_the_api_refuses_it(address, django_user_model):
    client = client_for(django_user_model.objects.create_superuser("root", "root@example.com"))
    one = client.post("/api/invites/", {"email": address}, format="json")
    assert one.status_code == 400, one.content
    assert "email" in one.json()
    bulk = client.post("/api/invites/bulk/", {"invites": [{"email": address}]}, format="json")
    assert bulk.status_code == 400
    assert bulk.json()["rows"][0]["code"] == "invalid"
    assert not Invite.all_objects.exists()


@pytest.mark.parametrize("address", HIDDEN)
def test_the_admin_add_form_refuses_it(address, admin_client):
    response = admin_client.post(ADD, {"email": address, "metadata": ""})
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert not Invite.all_objects.exists()


def test_the_message_names_the_problem_and_shows_the_characters():
    with pytest.raises(ValidationError) as caught:
        services.create_invites(["zw@exa\u200bmple.com"])
    [message] = caught.value.messages
    assert "invisible or control characters" in message
    assert "\\u200b" in message and "\u200b" not in message


def test_the_message_is_translated():
    with translation.override("de"):
        with pytest.raises(ValidationError) as caught:
            services.create_invites(["zw@exa\u200bmple.com"])
        assert "unsichtbare" in caught.value.messages[0]


def test_the_import_command_never_echoes_an_escape_sequence(tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text('email\nok@example.com\n"""\x1b]0;pwned\x07""@example.com"\n')
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_invites", str(path), stdout=io.StringIO(), stderr=err)
    output = err.getvalue()
    assert "\x1b" not in output and "\x07" not in output
    assert '"\\x1b]0;pwned\\x07"@example.com' in output
    assert output.startswith("line 3: ")
    assert not Invite.all_objects.exists()


def test_printable_escapes_only_what_does_not_print():
    assert printable("ada@example.com") == "ada@example.com"
    assert printable("bøb@exämple.com") == "bøb@exämple.com"
    assert printable("a\x1bb\u200bc\nd") == "a\\x1bb\\u200bc\\nd"


def test_an_invite_body_with_a_hidden_character_is_no_json_trick(django_user_model):
    # The API reads "\u200b" in JSON as the character itself: refused the same way.
    client = client_for(django_user_model.objects.create_superuser("root", "root@example.com"))
    body = '{"email": "zw@exa\\u200bmple.com"}'
    response = client.post("/api/invites/", body, content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["email"]


@pytest.mark.parametrize("address", HIDDEN)
def test_an_invite_stored_before_the_rules_makes_no_second_account(address, existing_user):
    # As an older version stored it, without judging the address.
    invite = Invite(email=address, expires_at=timezone.now() + timedelta(days=1))
    minted = mint_token(invite.pk)
    invite.token_nonce, invite.token_hash = minted.nonce, minted.digest
    invite.save()
    # Refused as hidden, or (nameprep drops invisible characters from a domain) as
    # another spelling of the existing user's address.
    with pytest.raises((ValidationError, UserAlreadyExists)):
        services.accept_invite(minted.token, password=PASSWORD)
    assert list(User.objects.all()) == [existing_user]
    assert not Invite.objects.get(pk=invite.pk).accepted
