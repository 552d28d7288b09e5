"""The invite email: rendered from overridable templates, sent with Django's email API.

Templates (a project overrides any of them by putting a file of the same name in its
own template directories):

- `invites/email/subject.txt`: one line; newlines are removed;
- `invites/email/body.txt`: the plain-text body;
- `invites/email/body.html`: the HTML alternative.

Each gets the context of the adapter's `get_email_context` (see `invites.adapter`),
and the adapter's `get_email_subject` renders the subject.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

from invites.adapter import get_adapter
from invites.models import Invite

EmailKind = Literal["created", "resent"]
KINDS: tuple[EmailKind, ...] = ("created", "resent")

# Names the link an email carries (invite id and token digest, never the token), so
# that a provider's report about the message (a bounce) finds the invite and the link.
LINK_HEADER = "X-Invite-Link"
MESSAGE_ID_RE = re.compile(r"invite\.([0-9a-f]{32})\.([0-9a-f]{64})@")

TEXT_TEMPLATE = "invites/email/body.txt"
HTML_TEMPLATE = "invites/email/body.html"


def invite_email_context(invite: Invite, token: str, *, kind: EmailKind) -> dict[str, Any]:
    """What the templates see: the adapter's `get_email_context`."""
    return get_adapter().get_email_context(invite, token, kind=kind)


def build_invite_message(invite: Invite, token: str, *, kind: EmailKind) -> EmailMultiAlternatives:
    """The email to the invite's address on record, with a plain-text and an HTML body."""
    if kind not in KINDS:
        raise ValueError(f"Unknown invite email kind: {kind!r}.")
    adapter = get_adapter()
    context = adapter.get_email_context(invite, token, kind=kind)
    subject = adapter.get_email_subject(invite, kind, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invite.email],
        headers={
            LINK_HEADER: link_reference(invite),
            "Message-ID": make_msgid(f"invite.{invite.pk.hex}.{invite.token_hash}"),
        },
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    return message


def link_reference(invite: Invite) -> str:
    """`"<invite id>:<token digest>"`: which link an email carries, without the token."""
    return f"{invite.pk}:{invite.token_hash}"


def parse_link_reference(value: object) -> tuple[str, str] | None:
    """`(invite id, digest)` from a `link_reference` or an invite email's Message-ID."""
    if not isinstance(value, str):
        return None
    match = MESSAGE_ID_RE.search(value)
    if match:
        return str(UUID(match[1])), match[2]
    invite_id, colon, digest = value.strip().partition(":")
    try:
        return (str(UUID(invite_id)), digest) if colon and len(digest) == 64 else None
    except ValueError:
        return None


def send_invite_email(invite: Invite, token: str, *, kind: EmailKind) -> None:
    """Build the invite email and send it through the configured email backend."""
    build_invite_message(invite, token, kind=kind).send()


def open_mail_connection() -> BaseEmailBackend:
    """A new instance of the project's default email backend, for sending many messages.

    Django 6.1 configures backends in `MAILERS` (`django.core.mail.mailers`) and
    deprecates `get_connection()`; before 6.1 only `get_connection()` exists.
    """
    mailers = getattr(mail, "mailers", None)
    if mailers is not None:
        connection: BaseEmailBackend = mailers.default
        return connection
    connection = mail.get_connection()
    return connection
