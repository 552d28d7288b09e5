"""What the accept pages keep in the invitee's browser between requests.

- Which invite was opened: the SHA-256 digest of its token (what `Invite.token_hash`
  stores), signed, in an HttpOnly cookie that lives only as long as the browser
  session. Never the raw token: a cookie is readable by whoever holds the browser's
  profile, and the signature only proves that our own redirect wrote it. The raw token
  is rebuilt on the server from the invite it points to (`invites.tokens`).
- That opening a link was refused by the rate limit, and until when, so that the 429
  page can be shown at the URL without the token.
- Who was just created, for the success page (`invites:accept_done`).

Not the session: with database sessions anything put there is written to a table,
and the invitee is usually not signed in yet (a sign-in rotates the session anyway).
"""

from __future__ import annotations

import time
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from invites.models import Invite
from invites.tokens import hash_token, rebuild_token

INVITE_COOKIE = "invites_invite"
INVITE_SALT = "invites.pages.invite-digest"
# The cookie itself ends with the browser session; its signature expires too, for
# browsers that restore sessions: a day is longer than any sign-in round trip.
INVITE_SIGNATURE_AGE = 60 * 60 * 24

WAIT_COOKIE = "invites_wait"
WAIT_SALT = "invites.pages.wait"

# Set when an opening could not be counted (the rate limit's cache failed).
UNAVAILABLE_COOKIE = "invites_unavailable"
UNAVAILABLE_SALT = "invites.pages.unavailable"

DONE_COOKIE = "invites_accepted"
DONE_SALT = "invites.pages.accepted"
DONE_COOKIE_AGE = 60 * 60


def cookie_path() -> str:
    """The accept page's path: every invitee page lives at or below it."""
    return reverse("invites:accept")


def _set(response: HttpResponse, request: HttpRequest, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        name,
        value,
        path=cookie_path(),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
        **kw,
    )


@sensitive_variables()
def remember_invite(response: HttpResponse, request: HttpRequest, token: str) -> None:
    """Keep a reference to the invite of `token` (its digest; "" for no token)."""
    digest = hash_token(token) if token else ""
    _set(response, request, INVITE_COOKIE, signing.dumps(digest, salt=INVITE_SALT))


def forget_invite(response: HttpResponse) -> None:
    """Drop the reference to the opened invite."""
    response.delete_cookie(INVITE_COOKIE, path=cookie_path())


@sensitive_variables()
def remembered_token(request: HttpRequest) -> str | None:
    """The current raw token of the invite this browser opened; None when it opened none.

    "" when the reference leads nowhere: the link was not one of ours, or the invite's
    token was replaced by a refresh (its digest is gone), or no configured secret key
    rebuilds it. The services then answer as they do for any invalid token.
    """
    try:
        digest = signing.loads(
            request.COOKIES.get(INVITE_COOKIE, ""), salt=INVITE_SALT, max_age=INVITE_SIGNATURE_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(digest, str):
        return None
    invite = Invite.all_objects.filter(token_hash=digest).first() if digest else None
    if invite is None:
        return ""
    return rebuild_token(invite) or ""


def remember_wait(response: HttpResponse, request: HttpRequest, seconds: int) -> None:
    """Note that this browser must wait `seconds` before opening a link again."""
    until = str(time.time() + seconds)
    _set(response, request, WAIT_COOKIE, signing.dumps(until, salt=WAIT_SALT), max_age=seconds)


def remaining_wait(request: HttpRequest) -> float | None:
    """Seconds this browser still has to wait after a refused opening; None if none."""
    return _remaining(request, WAIT_COOKIE, WAIT_SALT)


def remember_unavailable(response: HttpResponse, request: HttpRequest, seconds: int) -> None:
    """Note that this browser's opening could not be counted, for `seconds`."""
    until = str(time.time() + seconds)
    value = signing.dumps(until, salt=UNAVAILABLE_SALT)
    _set(response, request, UNAVAILABLE_COOKIE, value, max_age=seconds)


def remaining_unavailable(request: HttpRequest) -> float | None:
    """Seconds left of a `remember_unavailable`; None if none."""
    return _remaining(request, UNAVAILABLE_COOKIE, UNAVAILABLE_SALT)


def _remaining(request: HttpRequest, name: str, salt: str) -> float | None:
    try:
        until = float(signing.loads(request.COOKIES.get(name, ""), salt=salt))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    left = until - time.time()
    return left if left > 0 else None


def remember_new_user(
    response: HttpResponse, request: HttpRequest, email: str, username: str
) -> None:
    """Keep who was just created for the success page (not secret, but not forgeable)."""
    done = signing.dumps({"email": email, "username": username}, salt=DONE_SALT)
    _set(response, request, DONE_COOKIE, done, max_age=DONE_COOKIE_AGE)


def new_user(request: HttpRequest) -> dict[str, str] | None:
    """The email and username `remember_new_user` kept, or None."""
    try:
        done = signing.loads(
            request.COOKIES.get(DONE_COOKIE, ""), salt=DONE_SALT, max_age=DONE_COOKIE_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(done, dict):
        return None
    return {"email": str(done.get("email", "")), "username": str(done.get("username", ""))}
