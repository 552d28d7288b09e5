"""Email backends for tests that need something to happen while an email goes out."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend

# Called with each message, in the sending process, before the backend answers.
on_send: list[Callable[[Any], None]] = []


class TemporaryFailureBackend(BaseEmailBackend):
    """Runs the `on_send` hooks, then refuses every message as an SMTP server's 451 does."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        for message in email_messages:
            for hook in on_send:
                hook(message)
            raise smtplib.SMTPDataError(451, b"4.3.0 try again later, the link was https://x")
        return 0
