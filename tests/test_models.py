"""The `Invite` model: status, QuerySet, managers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from invites.models import Invite, InviteStatus, email_key

pytestmark = pytest.mark.django_db


def test_status_of_each_state(pending_invite, expired_invite, accepted_invite):
    assert pending_invite.status == InviteStatus.PENDING == "pending"
    assert expired_invite.status == InviteStatus.EXPIRED == "expired"
    assert accepted_invite.status == InviteStatus.ACCEPTED == "accepted"


def test_pending_becomes_expired_when_time_passes(pending_invite):
    with time_machine.travel(pending_invite.expires_at + timedelta(seconds=1)):
        assert pending_invite.status == "expired"
        assert list(Invite.objects.expired()) == [pending_invite]
        assert not Invite.objects.pending().exists()


def test_accepted_invite_is_accepted_even_after_expiry(accepted_invite):
    with time_machine.travel(accepted_invite.expires_at + timedelta(days=5)):
        assert accepted_invite.status == "accepted"


def test_queryset_filters(pending_invite, expired_invite, accepted_invite, deleted_invite):
    assert set(Invite.objects.pending()) == {pending_invite}
    assert set(Invite.objects.expired()) == {expired_invite}
    assert set(Invite.objects.accepted()) == {accepted_invite}
    assert set(Invite.objects.with_status("pending")) == {pending_invite}
    with pytest.raises(ValueError):
        Invite.objects.with_status("bogus")


def test_objects_hides_soft_deleted_and_all_objects_shows_them(pending_invite, deleted_invite):
    assert set(Invite.objects.all()) == {pending_invite}
    assert set(Invite.all_objects.all()) == {pending_invite, deleted_invite}
    assert Invite.all_objects.get(pk=deleted_invite.pk).is_deleted


def test_timestamps_are_aware_utc(pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)
    for value in (stored.created_at, stored.updated_at, stored.expires_at):
        assert value.utcoffset() == timedelta(0)


def test_updated_at_changes_on_save(pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        stored.metadata = {"k": "v"}
        stored.save()
    assert Invite.objects.get(pk=pending_invite.pk).updated_at > pending_invite.updated_at


def test_save_keeps_email_key_in_step(pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)
    stored.email = "Renamed@Example.com"
    stored.save(update_fields=["email"])
    assert Invite.objects.get(pk=pending_invite.pk).email_key == "renamed@example.com"


def test_email_key_is_nfkc_then_casefold():
    assert email_key("STRASSE@x") == email_key("straße@x") == "strasse@x"
    assert email_key("\uff4a\uff4f\uff45@x")  # full-width "joe" == "joe@x"


def test_invited_by_is_set_null_when_the_user_is_deleted(admin_user, make_invite):
    invite = make_invite()
    Invite.objects.filter(pk=invite.pk).update(invited_by=admin_user)
    admin_user.delete()
    assert Invite.objects.get(pk=invite.pk).invited_by is None
