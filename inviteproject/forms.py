"""The demo's sign-in form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for the email (`inviteproject.auth.EmailBackend`)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct email and password. Note that the password is case-sensitive."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = _("Email")
        field.widget.attrs["autocomplete"] = "email"
        # The admin's own account has a username too, and this form takes either.
        field.max_length = max(field.max_length or 0, 254)
        field.widget.attrs["maxlength"] = str(field.max_length)
