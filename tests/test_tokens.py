"""The token scheme: HMAC of the id and a nonce, stored as a digest, rebuilt from the id."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection

from invites import services, tokens
from invites.exceptions import InvalidInviteToken
from invites.models import Invite
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_rebuilt_token_equals_the_minted_one(pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert tokens.rebuild_token(stored) == pending_invite.token


def test_rebuilt_token_follows_a_refresh(pending_invite):
    [refreshed] = services.refresh_invite_tokens([pending_invite.pk])
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert tokens.rebuild_token(stored) == refreshed.token != pending_invite.token


def test_token_is_the_salted_hmac_of_id_and_nonce(pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert tokens.make_token(stored.pk, stored.token_nonce) == pending_invite.token
    assert stored.token_hash == tokens.hash_token(pending_invite.token)


def test_batch_minting_matches_salted_hmac():
    ids = [uuid.uuid4() for _ in range(50)]
    for invite_id, minted in zip(ids, tokens.mint_tokens(ids), strict=True):
        assert minted.token == tokens.make_token(invite_id, minted.nonce)
        assert minted.digest == tokens.hash_token(minted.token)


def test_token_survives_secret_key_rotation_with_fallback(settings, pending_invite):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    stored = Invite.objects.get(pk=pending_invite.pk)

    assert tokens.rebuild_token(stored) == pending_invite.token
    # New tokens are minted with the new key.
    [refreshed] = services.refresh_invite_tokens([pending_invite.pk])
    assert refreshed.token == tokens.make_token(pending_invite.pk, refreshed.token_nonce)
    assert refreshed.token != tokens.make_token(
        pending_invite.pk, refreshed.token_nonce, secret=old_key
    )


def test_without_the_fallback_the_old_token_cannot_be_rebuilt(settings, pending_invite):
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert tokens.rebuild_token(Invite.objects.get(pk=pending_invite.pk)) is None


def test_ten_thousand_tokens_are_distinct_url_safe_and_long():
    ids = [uuid.uuid4() for _ in range(10_000)]
    minted = [m.token for m in tokens.mint_tokens(ids)]
    assert len(set(minted)) == 10_000
    assert all(len(token) >= 43 for token in minted)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in minted)


def test_nonces_are_256_bit_and_distinct():
    nonces = {tokens.new_nonce() for _ in range(1000)}
    assert len(nonces) == 1000
    assert all(len(bytes.fromhex(nonce)) == 32 for nonce in nonces)


def test_raw_token_is_absent_from_every_column(make_invite):
    invites = [make_invite() for _ in range(3)]
    refreshed = services.refresh_invite_tokens([invites[0].pk])
    raw_tokens = [invite.token for invite in invites] + [refreshed[0].token]

    table = connection.ops.quote_name(Invite._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        cells = [str(cell) for row in cursor.fetchall() for cell in row]
    assert cells
    for token in raw_tokens:
        assert not any(token in cell for cell in cells)


def test_a_copy_of_the_table_without_the_key_yields_no_working_token(settings, make_invite):
    """An attacker with a database dump but not SECRET_KEY cannot forge a token."""
    invite = make_invite()
    row = Invite.objects.values().get(pk=invite.pk)

    settings.SECRET_KEY = "attacker-guess-" + "z" * 40
    settings.SECRET_KEY_FALLBACKS = []
    guesses = [
        tokens.make_token(row["id"], row["token_nonce"]),
        row["token_nonce"],
        row["token_hash"],
        tokens.make_token(row["id"], row["token_nonce"], secret=""),
    ]
    for guess in guesses:
        assert tokens.hash_token(guess) != row["token_hash"]
        with pytest.raises(InvalidInviteToken):
            services.accept_invite(guess, password=PASSWORD)
