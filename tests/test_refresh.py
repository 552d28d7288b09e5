"""`refresh_invite_tokens`: new tokens and expiry, order, errors, and its signal."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invites import services
from invites.exceptions import InvalidInviteToken, InviteAlreadyAccepted, InviteNotFound
from invites.models import Invite
from invites.signals import invite_resent
from invites.tokens import hash_token
from tests.helpers import PASSWORD, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refresh_path")]


def test_refresh_changes_token_and_expiry(pending_invite):
    before = Invite.objects.get(pk=pending_invite.pk)

    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        [refreshed] = services.refresh_invite_tokens([pending_invite.pk])
        now = timezone.now()

    stored = Invite.objects.get(pk=pending_invite.pk)
    assert refreshed.token != pending_invite.token
    assert stored.token_hash != before.token_hash
    assert stored.token_nonce != before.token_nonce
    assert stored.expires_at == now + timedelta(days=1)
    assert stored.updated_at == now
    assert stored.created_at == before.created_at
    assert stored.email == before.email


def test_refresh_clears_sent_at(pending_invite, expired_invite):
    # The new link has not been emailed yet, whichever path wrote it.
    Invite.objects.update(sent_at=timezone.now())

    refreshed = services.refresh_invite_tokens([pending_invite.pk, expired_invite.pk])

    assert [invite.sent_at for invite in refreshed] == [None, None]
    assert list(Invite.objects.values_list("sent_at", flat=True)) == [None, None]


def test_refresh_stores_the_digest_of_the_returned_token(pending_invite):
    [refreshed] = services.refresh_invite_tokens([str(pending_invite.pk)])

    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.token_hash == hash_token(refreshed.token)
    assert refreshed.token_hash == stored.token_hash
    assert refreshed.expires_at == stored.expires_at


def test_refreshed_token_accepts_and_old_token_is_revoked(pending_invite):
    old_token = pending_invite.token
    [refreshed] = services.refresh_invite_tokens([pending_invite.pk])

    with pytest.raises(InvalidInviteToken):
        services.accept_invite(old_token, password=PASSWORD)
    user = services.accept_invite(refreshed.token, password=PASSWORD)
    assert user.email == pending_invite.email


def test_empty_input_writes_nothing_and_sends_nothing(pending_invite, record):
    resent = record(invite_resent)
    before = snapshot(pending_invite)

    with CaptureQueriesContext(connection) as queries:
        assert services.refresh_invite_tokens([]) == []
        assert services.refresh_invite_tokens(iter(())) == []

    assert len(queries) == 0
    assert snapshot(pending_invite) == before
    assert resent.calls == []


@pytest.mark.parametrize(
    "bad_id",
    [str(uuid.uuid4()), "not-a-uuid", "", "1234", 42, None, "{" + str(uuid.uuid4()) + "}"],
)
def test_unknown_or_malformed_id_changes_nothing(pending_invite, record, bad_id):
    resent = record(invite_resent)
    before = snapshot(pending_invite)

    with pytest.raises(InviteNotFound) as caught:
        services.refresh_invite_tokens([pending_invite.pk, bad_id])

    assert caught.value.ids == [bad_id]
    assert snapshot(pending_invite) == before
    assert resent.calls == []


def test_not_found_names_every_missing_id_in_given_order(pending_invite):
    unknown = str(uuid.uuid4())
    ids = ["bogus", str(pending_invite.pk), unknown, "bogus", "also bad", unknown]

    with pytest.raises(InviteNotFound) as caught:
        services.refresh_invite_tokens(ids)

    assert caught.value.ids == ["bogus", unknown, "also bad"]


def test_soft_deleted_invite_is_not_found(pending_invite, deleted_invite, record):
    resent = record(invite_resent)
    before = snapshot(pending_invite, deleted_invite)

    with pytest.raises(InviteNotFound) as caught:
        services.refresh_invite_tokens([pending_invite.pk, deleted_invite.pk])

    assert caught.value.ids == [deleted_invite.pk]
    assert snapshot(pending_invite, deleted_invite) == before
    assert resent.calls == []


def test_accepted_invite_is_refused_and_nothing_changes(pending_invite, accepted_invite, record):
    resent = record(invite_resent)
    before = snapshot(pending_invite, accepted_invite)

    with pytest.raises(InviteAlreadyAccepted) as caught:
        services.refresh_invite_tokens([str(pending_invite.pk), str(accepted_invite.pk)])

    assert caught.value.ids == [str(accepted_invite.pk)]
    assert snapshot(pending_invite, accepted_invite) == before
    assert resent.calls == []


def test_not_found_is_checked_before_already_accepted(accepted_invite):
    unknown = str(uuid.uuid4())

    with pytest.raises(InviteNotFound) as caught:
        services.refresh_invite_tokens([accepted_invite.pk, unknown])

    assert caught.value.ids == [unknown]


def test_expired_invite_is_refreshed_and_pending_again(expired_invite):
    assert expired_invite.status == "expired"

    [refreshed] = services.refresh_invite_tokens([expired_invite.pk])

    stored = Invite.objects.get(pk=expired_invite.pk)
    assert stored.status == "pending"
    assert stored.expires_at > timezone.now()
    assert services.accept_invite(refreshed.token, password=PASSWORD).email == stored.email


def test_order_is_kept_and_duplicates_collapse(make_invite):
    invites = [make_invite() for _ in range(6)]
    ids = [invite.pk for invite in invites]
    random.Random(7).shuffle(ids)
    given = [*ids, ids[2], str(ids[0]), str(ids[0]).upper(), ids[0].hex]

    refreshed = services.refresh_invite_tokens(given)

    assert [invite.pk for invite in refreshed] == ids
    assert len({invite.token for invite in refreshed}) == 6


def test_valid_duration_setting_is_honoured(settings, pending_invite):
    settings.INVITES = {"VALID_DURATION": timedelta(hours=3)}
    with time_machine.travel(timezone.now(), tick=False):
        [refreshed] = services.refresh_invite_tokens([pending_invite.pk])
        assert refreshed.expires_at == timezone.now() + timedelta(hours=3)

    settings.INVITES = {"VALID_DURATION": 90}
    with time_machine.travel(timezone.now(), tick=False):
        [refreshed] = services.refresh_invite_tokens([pending_invite.pk])
        assert refreshed.expires_at == timezone.now() + timedelta(seconds=90)
    assert Invite.objects.get(pk=pending_invite.pk).expires_at == refreshed.expires_at


def test_other_invites_are_not_touched(make_invite):
    target, bystander = make_invite(), make_invite()
    before = snapshot(bystander)

    services.refresh_invite_tokens([target.pk])

    assert snapshot(bystander) == before


def test_single_id_string_is_refused():
    with pytest.raises(TypeError):
        services.refresh_invite_tokens(str(uuid.uuid4()))  # type: ignore[arg-type]


# --- the signal -----------------------------------------------------------------------


def test_invite_resent_is_sent_once_per_invite_after_commit(
    make_invite, record, django_capture_on_commit_callbacks
):
    first, second = make_invite(), make_invite()
    resent = record(invite_resent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refreshed = services.refresh_invite_tokens([first.pk, second.pk, first.pk])
    assert resent.calls == []  # nothing before the commit

    for callback in callbacks:
        callback()
    assert [(call["sender"], call["invite"].pk, call["token"]) for call in resent.calls] == [
        (Invite, invite.pk, invite.token) for invite in refreshed
    ]


def test_invite_resent_payload_id_is_the_invite_id(
    pending_invite, record, django_capture_on_commit_callbacks
):
    resent = record(invite_resent)
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_invite_tokens([pending_invite.pk])

    [call] = resent.calls
    assert call["invite"].id == pending_invite.id
    assert hash_token(call["token"]) == Invite.objects.get(pk=pending_invite.pk).token_hash


@pytest.mark.django_db(transaction=True)
def test_no_signal_and_no_change_when_the_surrounding_transaction_rolls_back(make_invite, record):
    invite = make_invite()
    resent = record(invite_resent)
    before = snapshot(invite)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.refresh_invite_tokens([invite.pk])
        raise Abort

    assert resent.calls == []
    assert snapshot(invite) == before


@pytest.mark.django_db(transaction=True)
def test_signal_is_sent_on_real_commit(make_invite, record):
    invite = make_invite()
    resent = record(invite_resent)

    with transaction.atomic():
        services.refresh_invite_tokens([invite.pk])
        assert resent.calls == []

    assert [call["invite"].pk for call in resent.calls] == [invite.pk]


# --- scale --------------------------------------------------------------------------


def test_refreshing_3000_invites_takes_a_bounded_number_of_queries(
    django_assert_max_num_queries, refresh_path
):
    invites = _bulk_invites(3000)

    # Set-based: one UPDATE ... RETURNING per 5,000 ids (plus transaction statements).
    # ORM fallback: a locking SELECT per ~1,000 ids, a bulk_update per <= 500 rows
    # (SQLite caps those at 999 parameters, about 100 rows of the 9 columns written).
    with django_assert_max_num_queries(4 if refresh_path == "set-based" else 40):
        refreshed = services.refresh_invite_tokens([invite.pk for invite in invites])

    assert len(refreshed) == 3000
    stored = dict(Invite.objects.values_list("pk", "token_hash"))
    assert all(stored[invite.pk] == hash_token(invite.token) for invite in refreshed)


def test_refreshing_5000_ids_in_random_order_with_duplicates():
    invites = _bulk_invites(5000)
    ids = [invite.pk for invite in invites]
    random.Random(3).shuffle(ids)
    given = [str(i) for i in ids] + [str(i) for i in ids[:500]]

    refreshed = services.refresh_invite_tokens(given)

    assert [invite.pk for invite in refreshed] == ids
    stored = dict(Invite.objects.values_list("pk", "token_hash"))
    assert all(stored[invite.pk] == hash_token(invite.token) for invite in refreshed)
    assert len({invite.token for invite in refreshed}) == 5000


def _bulk_invites(count: int) -> list[Invite]:
    return services.create_invites([f"bulk{i}@example.com" for i in range(count)])


def test_check_refreshable_refuses_like_refresh_and_changes_nothing(
    pending_invite, accepted_invite, deleted_invite, record
):
    resent = record(invite_resent)
    before = snapshot(pending_invite, accepted_invite, deleted_invite)
    unknown = str(uuid.uuid4())

    with pytest.raises(InviteNotFound) as caught:
        services.check_refreshable([pending_invite.pk, deleted_invite.pk, "bad", unknown])
    assert caught.value.ids == [deleted_invite.pk, "bad", unknown]
    with pytest.raises(InviteAlreadyAccepted) as caught:
        services.check_refreshable([str(accepted_invite.pk), pending_invite.pk])
    assert caught.value.ids == [str(accepted_invite.pk)]
    assert services.check_refreshable([str(pending_invite.pk)] * 2) == [pending_invite.pk]

    assert snapshot(pending_invite, accepted_invite, deleted_invite) == before
    assert resent.calls == []


def test_returned_invites_are_what_a_fresh_load_gives(make_invite):
    invites = [make_invite(metadata={"n": 1}), make_invite(metadata={"n": 1})]

    returned = services.refresh_invite_tokens([invite.pk for invite in invites])

    columns = [field.attname for field in Invite._meta.concrete_fields]
    for invite in returned:
        loaded = Invite.objects.get(pk=invite.pk)
        assert {name: getattr(invite, name) for name in columns} == {
            name: getattr(loaded, name) for name in columns
        }
        assert (invite._state.adding, invite._state.db) == (False, "default")
    # Each instance holds its own metadata, never one object shared between rows.
    returned[0].metadata["n"] = 2
    assert returned[1].metadata == {"n": 1}


def test_post_init_receivers_see_every_returned_invite(make_invite):
    from django.db.models.signals import post_init

    invites = [make_invite(), make_invite()]
    seen: list[Invite] = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Invite)
    try:
        returned = services.refresh_invite_tokens([invite.pk for invite in invites])
    finally:
        post_init.disconnect(receiver, sender=Invite)

    assert all(any(invite is other for other in seen) for invite in returned)
