"""The invite email names who invited and into what."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from invites import services
from invites.emails import build_invite_message
from tests.teams.models import Team

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def site_name(settings):
    settings.INVITES = {"SITE_NAME": "Example"}


@pytest.fixture
def ada(db):
    return User.objects.create_user(
        username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace"
    )


def message_for(kind: str = "created", **create: object):
    [invite] = services.create_invites(["grace@example.com"], **create)  # type: ignore[arg-type]
    return build_invite_message(invite, invite.token, kind=kind)  # type: ignore[arg-type]


def html(message) -> str:
    return message.alternatives[0][0]


@pytest.mark.parametrize(
    ("with_inviter", "with_target", "subject"),
    [
        (True, True, "Ada Lovelace invited you to join Marketing on Example"),
        (True, False, "Ada Lovelace invited you to join Example"),
        (False, True, "You are invited to join Marketing on Example"),
        (False, False, "You are invited to join Example"),
    ],
)
def test_the_subject_names_the_inviter_and_the_target(
    ada, team, with_inviter, with_target, subject
):
    message = message_for(
        invited_by=ada if with_inviter else None, target=team if with_target else None
    )
    assert message.subject == subject
    assert f"<title>{subject}</title>" in html(message)


def test_an_inviter_without_a_name_is_named_by_their_email(team):
    bob = User.objects.create_user(username="bob", email="bob@example.com")
    assert message_for(invited_by=bob, target=team).subject == (
        "bob@example.com invited you to join Marketing on Example"
    )


def test_the_body_names_inviter_target_and_role(ada, team):
    message = message_for(invited_by=ada, target=team, role="editor")
    for body in (message.body, html(message)):
        assert "Ada Lovelace invited you to join Marketing on Example." in body
        assert "Your role: editor." in body
        assert "create your account" not in body


def test_a_plain_site_invite_still_asks_to_create_an_account(ada):
    message = message_for(invited_by=ada)
    assert "Ada Lovelace invited you to join Example. Follow this link to set your password" in (
        message.body
    )


def test_a_resent_link_names_the_target(team):
    message = message_for(kind="resent", target=team)
    assert message.subject == "Your new invitation link for Marketing on Example"
    assert "your invitation to Marketing on Example" in message.body


def test_names_are_escaped_in_html_only(ada):
    ada.first_name = "<b>Ada</b> &"
    ada.save()
    team = Team.objects.create(name="R&D <x>")
    message = message_for(invited_by=ada, target=team)
    assert message.subject == "<b>Ada</b> & Lovelace invited you to join R&D <x> on Example"
    assert "<b>Ada</b> & Lovelace invited you to join R&D <x>" in message.body
    assert "<b>" not in html(message)
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; Lovelace" in html(message)
    assert "R&amp;D &lt;x&gt;" in html(message)


def test_the_adapter_describes_the_target(settings, team):
    settings.INVITES = {"SITE_NAME": "Example", "ADAPTER": "tests.adapters.DescribingAdapter"}
    assert (
        message_for(target=team).subject == "You are invited to join the Marketing team on Example"
    )


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("de", "Ada Lovelace hat Sie eingeladen, Marketing auf Example beizutreten"),
        ("fr", "Ada Lovelace vous invite à rejoindre Marketing sur Example"),
        ("es", "Ada Lovelace le ha invitado a unirse a Marketing en Example"),
    ],
)
def test_the_subject_is_translated(ada, team, language, subject):
    with translation.override(language):
        message = message_for(invited_by=ada, target=team, role="editor")
    assert message.subject == subject
    assert "Your role" not in message.body
