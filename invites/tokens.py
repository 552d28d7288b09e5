"""The token scheme: raw tokens are derived, never stored.

A raw token is `salted_hmac(KEY_SALT, "<invite id>:<nonce>", secret=SECRET_KEY)` with
SHA-256, URL-safe base64 without padding (43 characters, 256 bits). The invite keeps
only the random `token_nonce` and `token_hash`, the SHA-256 hex digest of the raw
token, which is what lookups use. Hence:

- the server can rebuild an invite's current token from the row alone (a background
  task needs only the invite id);
- a refresh replaces the nonce, so the old token no longer matches `token_hash`;
- a copy of the table without `SECRET_KEY` yields no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.views.decorators.debug import sensitive_variables

if TYPE_CHECKING:
    from invites.models import Invite

KEY_SALT = "invites.tokens.invite-token"
NONCE_BYTES = 32
# Raw tokens are 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class MintedToken:
    """A freshly minted token: what to store (`nonce`, `digest`) and what to hand out.

    Its repr shows only the digest: the token, and the nonce it is rebuilt from, must
    not reach a log line or an error report that prints the object.
    """

    nonce: str = field(repr=False)
    token: str = field(repr=False)
    digest: str


def new_nonce() -> str:
    """A fresh random 256-bit nonce, hex encoded."""
    return secrets.token_hex(NONCE_BYTES)


def _encode(mac: bytes) -> str:
    return urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


@sensitive_variables()
def make_token(invite_id: UUID, nonce: str, *, secret: str | bytes | None = None) -> str:
    """The raw token of an invite id and nonce under `secret` (default: `SECRET_KEY`)."""
    mac = salted_hmac(KEY_SALT, f"{invite_id}:{nonce}", secret=secret, algorithm="sha256")
    return _encode(mac.digest())


@sensitive_variables()
def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a raw token, as stored in `Invite.token_hash`."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def mint_token(invite_id: UUID) -> MintedToken:
    """A new nonce for `invite_id`, its raw token under `SECRET_KEY`, and the digest."""
    nonce = new_nonce()
    token = make_token(invite_id, nonce)
    return MintedToken(nonce=nonce, token=token, digest=hash_token(token))


def mint_tokens(invite_ids: list[UUID]) -> Iterator[MintedToken]:
    """`mint_token` for many ids, deriving the HMAC key once instead of per token.

    Produces exactly what `make_token` does (`salted_hmac` derives its key as
    SHA-256(key_salt + secret)); the test suite checks the two agree.
    """
    key = hashlib.sha256(force_bytes(KEY_SALT) + force_bytes(settings.SECRET_KEY)).digest()
    sha256 = hashlib.sha256
    for invite_id in invite_ids:
        nonce = secrets.token_hex(NONCE_BYTES)
        token = _encode(hmac.new(key, f"{invite_id}:{nonce}".encode(), sha256).digest())
        yield MintedToken(nonce=nonce, token=token, digest=sha256(token.encode()).hexdigest())


@sensitive_variables()
def rebuild_token(invite: Invite) -> str | None:
    """The invite's current raw token, or None when no configured key produces it.

    Tries `SECRET_KEY`, then each of `SECRET_KEY_FALLBACKS`, so tokens minted before a
    key rotation keep working while the old key is listed as a fallback.
    """
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        token = make_token(invite.pk, invite.token_nonce, secret=secret)
        if hmac.compare_digest(hash_token(token), invite.token_hash):
            return token
    return None
