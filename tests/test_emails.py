"""The invite email: templates, link, expiry in words, first invite or resend."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from invites.emails import build_invite_message, send_invite_email
from invites.models import Invite

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_first_invite_and_resend_read_differently(pending_invite):
    created = build_invite_message(pending_invite, "tok", kind="created")
    resent = build_invite_message(pending_invite, "tok", kind="resent")

    assert created.subject == "You are invited to join invites.example.com"
    assert resent.subject == "Your new invitation link for invites.example.com"
    assert "no longer works" in resent.body
    assert "no longer works" not in created.body
    assert "no longer works" in html_of(resent)


def test_link_is_built_on_site_url_with_the_token(settings, pending_invite):
    settings.SITE_URL = "https://app.example.org/"

    message = build_invite_message(pending_invite, "Abc_123-xyz", kind="created")

    link = "https://app.example.org/invites/accept/?token=Abc_123-xyz"
    assert link in message.body
    assert f'href="{link}"' in html_of(message)


def test_absolute_accept_url_setting_is_used_as_is(settings, pending_invite):
    settings.INVITES = {"ACCEPT_URL": "https://join.example.net/welcome/{token}"}

    message = build_invite_message(pending_invite, "Tok3n", kind="resent")

    assert "https://join.example.net/welcome/Tok3n" in message.body
    assert "https://join.example.net/welcome/Tok3n" in html_of(message)


def test_goes_to_the_email_on_record_from_the_default_sender(settings, make_invite):
    settings.DEFAULT_FROM_EMAIL = "team@example.com"
    invite = make_invite("Grace.Hopper@Example.COM")

    message = build_invite_message(invite, "t", kind="created")

    assert message.to == ["Grace.Hopper@example.com"]
    assert message.from_email == "team@example.com"


def test_expiry_is_given_in_words(make_invite):
    with time_machine.travel(NOW, tick=False):
        invite = make_invite()
        Invite.objects.filter(pk=invite.pk).update(expires_at=NOW + timedelta(days=3))
        invite.refresh_from_db()
        message = build_invite_message(invite, "t", kind="created")

    assert "expires in 3\xa0days" in message.body
    assert "expires in 3\xa0days" in html_of(message)


def test_html_escapes_what_it_shows(settings, pending_invite):
    settings.INVITES = {"ACCEPT_URL": "/accept/?a=1&token={token}"}

    message = build_invite_message(pending_invite, "t", kind="created")

    assert "/accept/?a=1&amp;token=t" in html_of(message)
    assert "/accept/?a=1&token=t" in message.body  # plain text is not HTML-escaped


def test_project_templates_override_the_app_templates(settings, tmp_path, pending_invite):
    folder = tmp_path / "invites" / "email"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Join {{ email }}\nnow\n")
    (folder / "body.txt").write_text("Custom text {{ accept_url }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    message = build_invite_message(pending_invite, "t", kind="created")

    assert message.subject == "Join pending@example.comnow"  # one line
    assert message.body == "Custom text https://invites.example.com/invites/accept/?token=t"
    assert "Accept the invitation" in html_of(message)  # not overridden: the app's own


def test_unknown_kind_is_refused(pending_invite):
    with pytest.raises(ValueError, match="kind"):
        build_invite_message(pending_invite, "t", kind="reminder")  # type: ignore[arg-type]


def test_send_puts_one_message_in_the_outbox(pending_invite, mailoutbox):
    send_invite_email(pending_invite, "t0k", kind="created")

    [message] = mailoutbox
    assert message.to == [pending_invite.email]
    assert re.search(r"token=t0k\b", message.body)
