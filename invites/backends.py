"""`UsernameBackend`: Django's `ModelBackend`, also finding a derived username by email.

An invitee's username, where the user model has one, is derived from the invite's
email in NFKC and lower case (`invites.services.users.derived_username`). With this
backend in `AUTHENTICATION_BACKENDS` (instead of `ModelBackend`), that invitee signs in
with the email typed in any case or Unicode form.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from invites.services.users import derived_username


class UsernameBackend(ModelBackend):
    """`ModelBackend`; when the username as typed finds no one, its derived form is tried.

    Usernames are unique, so the derived form names at most one account: the one whose
    username is exactly it.
    """

    # The stubs type ModelBackend's own override against BaseBackend's `**kwargs` and
    # the default `User`; this signature is ModelBackend's, for any user model.
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if username is None:
            username = kwargs.pop(get_user_model().USERNAME_FIELD, None)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or not isinstance(username, str):
            return user
        derived = derived_username(username)
        if derived == username:
            return None
        return super().authenticate(request, username=derived, password=password, **kwargs)
