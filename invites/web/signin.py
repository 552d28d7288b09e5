"""Signing the invitee in and out, and where the pages send them afterwards."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, load_backend, login
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

from invites.backends import UsernameBackend
from invites.services.users import derived_username
from invites.web.pages import login_url

NEXT = "next"


def session_backend(user: AbstractBaseUser | Any) -> str | None:
    """The first authentication backend that restores `user` from a session, if any.

    `login()` needs to be told the backend when a project has several, and the session
    then asks that backend for the user on every request: one that cannot find this
    user (or refuses an inactive one) would sign them out again at once.
    """
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        if backend.get_user(user.pk) is not None:
            return str(path)
    return None


def email_signs_in(username: str, email: str) -> bool:
    """Whether typing `email` on Django's login form reaches the account `username`.

    The form NFKC-normalises what is typed and `ModelBackend` compares it exactly;
    `UsernameBackend` also tries the form a derived username has (lower case).
    """
    if unicodedata.normalize("NFKC", email) == username:
        return True
    return derived_username(email) == username and any(
        isinstance(backend, type) and issubclass(backend, UsernameBackend)
        for backend in map(import_string, settings.AUTHENTICATION_BACKENDS)
    )


def sign_in(request: HttpRequest, user: Any) -> bool:
    """Sign the new user in (the session key rotates); False when no backend can."""
    backend = session_backend(user)
    if backend is None:
        return False
    login(request, user, backend=backend)
    return True


def safe_next(request: HttpRequest, url: object) -> str | None:
    """`url` from the request when it leads to this site (`url_has_allowed_host_and_scheme`)."""
    if not isinstance(url, str) or not url:
        return None
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if allowed else None


def accept_page_url(next_url: str | None, viewname: str = "invites:accept") -> str:
    """The URL of an invitee page (never with a token), carrying a safe `next` on."""
    path = reverse(viewname)
    return f"{path}?{urlencode({NEXT: next_url})}" if next_url else path


def sign_in_url(next_url: str | None) -> str | None:
    """The sign-in link with `next` leading back to the accept page; None shows none."""
    base = login_url()
    if base is None:
        return None
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({REDIRECT_FIELD_NAME: accept_page_url(next_url)})}"
