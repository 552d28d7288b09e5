"""`InviteAdmin`'s invite page: metadata-only changes, the Resend button, soft delete."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from invites import services
from invites.exceptions import InvalidInviteToken
from invites.models import Invite
from invites.signals import invite_deleted, invite_resent
from invites.tokens import hash_token
from tests.admin.helpers import (
    CHANGELIST,
    admin_request,
    after_first_query,
    change_url,
    messages_of,
    run_action,
)
from tests.helpers import PASSWORD, snapshot

pytestmark = pytest.mark.django_db


# --- delete: soft -------------------------------------------------------------------


def test_delete_from_the_invite_page_soft_deletes(
    admin_client, pending_invite, record, django_capture_on_commit_callbacks
):
    deleted = record(invite_deleted)
    url = f"{CHANGELIST}{pending_invite.pk}/delete/"

    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert Invite.objects.filter(pk=pending_invite.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert not Invite.objects.filter(pk=pending_invite.pk).exists()
    row = Invite.all_objects.get(pk=pending_invite.pk)
    assert row.deleted_at is not None
    assert [call["invite"].pk for call in deleted.calls] == [pending_invite.pk]
    with pytest.raises(Exception):  # noqa: B017  the token no longer works
        services.accept_invite(pending_invite.token, password=PASSWORD)
    # The email is free for a new invite.
    services.create_invites(["pending@example.com"])


def test_bulk_delete_soft_deletes(admin_client, pending_invite, expired_invite, accepted_invite):
    selection = (pending_invite, expired_invite, accepted_invite)

    confirm = run_action(admin_client, "delete_selected", *selection)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    assert Invite.objects.count() == 3

    response = run_action(admin_client, "delete_selected", *selection, post="yes")

    assert "Successfully deleted 3 invites." in messages_of(response)
    assert Invite.objects.count() == 0
    rows = Invite.all_objects.filter(pk__in=[i.pk for i in selection])
    assert len(rows) == 3
    assert all(row.deleted_at is not None for row in rows)


def test_bulk_delete_when_one_was_deleted_meanwhile(admin_user, make_invite):
    kept, gone = make_invite(), make_invite()
    selected = Invite.all_objects.filter(pk__in=[kept.pk, gone.pk])
    services.delete_invites([gone.pk])
    model_admin, request = admin_request(admin_user)

    model_admin.delete_queryset(request, selected)

    assert not Invite.objects.exists()
    assert Invite.all_objects.filter(deleted_at__isnull=False).count() == 2


def test_deleted_invite_page_is_gone(admin_client, deleted_invite):
    response = admin_client.get(change_url(deleted_invite), follow=True)
    assert "doesn\u2019t exist" in " ".join(messages_of(response))


# --- change: metadata only -----------------------------------------------------------


def test_change_page_shows_no_token_material(admin_client, pending_invite):
    stored = Invite.objects.get(pk=pending_invite.pk)

    response = admin_client.get(change_url(pending_invite))

    text = response.content.decode()
    assert response.status_code == 200
    assert stored.token_hash not in text
    assert "digest" not in text.lower()
    assert stored.token_nonce not in text
    assert pending_invite.token not in text
    assert 'name="metadata"' in text
    for field in ("email", "expires_at", "token_hash", "accepted", "token_nonce", "email_key"):
        assert f'name="{field}"' not in text


def test_change_saves_only_metadata(admin_client, pending_invite):
    before = Invite.objects.get(pk=pending_invite.pk)

    response = admin_client.post(
        change_url(pending_invite),
        {
            "metadata": '{"note": "VIP"}',
            "email": "evil@example.com",
            "expires_at": "2999-01-01 00:00:00",
            "accepted": "on",
            "token_hash": "0" * 64,
        },
    )

    assert response.status_code == 302
    after = Invite.objects.get(pk=pending_invite.pk)
    assert after.metadata == {"note": "VIP"}
    assert (after.email, after.expires_at, after.accepted, after.token_hash) == (
        before.email,
        before.expires_at,
        before.accepted,
        before.token_hash,
    )


def test_change_refuses_metadata_that_is_not_an_object(admin_client, pending_invite):
    response = admin_client.post(change_url(pending_invite), {"metadata": '"text"'})
    assert response.status_code == 200
    assert "Enter a JSON object" in response.content.decode()


def test_saving_metadata_does_not_undo_a_refresh_that_committed_meanwhile(
    admin_client, pending_invite
):
    refreshed = []

    def refresh() -> None:
        refreshed.extend(services.refresh_invite_tokens([pending_invite.pk]))

    # The change view reads the invite, then a refresh commits, then the form is saved.
    with after_first_query(r'FROM "invites_invite"', refresh):
        response = admin_client.post(change_url(pending_invite), {"metadata": '{"a": 1}'})

    assert response.status_code == 302
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.metadata == {"a": 1}
    assert stored.token_hash == hash_token(refreshed[0].token)
    assert stored.expires_at == refreshed[0].expires_at


def test_save_as_new_does_not_create_a_broken_invite(admin_client, pending_invite):
    response = admin_client.post(change_url(pending_invite), {"metadata": "", "_saveasnew": "1"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Invite.all_objects.count() == 1


def test_change_page_shows_empty_metadata_as_an_empty_box(admin_client, pending_invite):
    text = admin_client.get(change_url(pending_invite)).content.decode()
    [metadata] = re.findall(r'<textarea name="metadata"[^>]*>(.*?)</textarea>', text, re.S)
    assert metadata.strip() == ""


def test_change_page_shows_sent_at(admin_client, pending_invite):
    Invite.objects.filter(pk=pending_invite.pk).update(sent_at=timezone.now())
    text = admin_client.get(change_url(pending_invite)).content.decode()
    assert "Sent at:" in text


# --- the "Resend" button ------------------------------------------------------------


RESEND_BUTTON = 'name="_resend"'


@pytest.mark.parametrize("fixture", ["pending_invite", "expired_invite"])
def test_resend_button_on_a_pending_or_expired_invite(admin_client, request, fixture):
    invite = request.getfixturevalue(fixture)
    text = admin_client.get(change_url(invite)).content.decode()
    assert RESEND_BUTTON in text
    assert 'value="Resend"' in text


def test_no_resend_button_on_an_accepted_invite(admin_client, accepted_invite):
    assert RESEND_BUTTON not in admin_client.get(change_url(accepted_invite)).content.decode()


def test_no_resend_button_without_change_permission(staff_client, pending_invite):
    viewer = staff_client("view_invite")
    page = viewer.get(change_url(pending_invite))
    assert page.status_code == 200
    assert RESEND_BUTTON not in page.content.decode()

    before = snapshot(pending_invite)
    response = viewer.post(change_url(pending_invite), {"metadata": "", "_resend": "Resend"})
    assert response.status_code == 403
    assert snapshot(pending_invite) == before


def test_resend_gives_a_new_link_and_shows_it_once(
    admin_client,
    expired_invite,
    record,
    immediate_tasks,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    resent = record(invite_resent)
    Invite.objects.filter(pk=expired_invite.pk).update(sent_at=timezone.now())
    url = change_url(expired_invite)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"metadata": "", "_resend": "Resend"})

    assert response.status_code == 302
    assert response["Location"] == url
    page = admin_client.get(url)
    shown = messages_of(page)
    assert shown[0] == "The invite to expired@example.com was given a new token and resent."
    [token] = re.findall(r"https://invites\.example\.com/invites/accept/\?token=([\w-]+)", shown[1])
    assert "shown only this once" in shown[1]
    assert messages_of(admin_client.get(url)) == []  # once
    stored = Invite.objects.get(pk=expired_invite.pk)
    assert stored.status == "pending"
    assert stored.token_hash == hash_token(token)
    assert [call["token"] for call in resent.calls] == [token]
    [email] = mailoutbox  # the renewed link went out, and the invite says so
    assert token in email.body
    assert stored.sent_at is not None
    with pytest.raises(InvalidInviteToken):
        services.accept_invite(expired_invite.token, password=PASSWORD)
    assert services.accept_invite(token, password=PASSWORD).email == "expired@example.com"


def test_resend_of_an_invite_accepted_meanwhile_is_refused(admin_client, pending_invite, record):
    resent = record(invite_resent)
    services.accept_invite(pending_invite.token, password=PASSWORD)  # after the page opened
    stored = Invite.objects.get(pk=pending_invite.pk)
    before = (stored.token_hash, stored.expires_at, stored.accepted_at)

    response = admin_client.post(
        change_url(pending_invite), {"metadata": "", "_resend": "Resend"}, follow=True
    )

    assert response.status_code == 200
    assert messages_of(response) == ["Not resent: this invite has been accepted already."]
    after = Invite.objects.get(pk=pending_invite.pk)
    assert (after.token_hash, after.expires_at, after.accepted_at) == before
    assert resent.calls == []


def test_resend_of_an_invite_deleted_meanwhile_is_refused(admin_user, pending_invite, record):
    resent = record(invite_resent)
    model_admin, request = admin_request(admin_user)
    obj = Invite.objects.get(pk=pending_invite.pk)  # the page loaded it; then it was deleted
    services.delete_invites([pending_invite.pk])
    request.POST = request.POST.copy()
    request.POST["_resend"] = "Resend"

    response = model_admin.response_change(request, obj)

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert [str(m) for m in get_messages(request)] == ["Not resent: this invite has been deleted."]
    assert resent.calls == []


def test_resend_also_saves_the_metadata_typed(admin_client, pending_invite):
    admin_client.post(change_url(pending_invite), {"metadata": '{"a": 1}', "_resend": "Resend"})

    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.metadata == {"a": 1}
    assert stored.token_hash != hash_token(pending_invite.token)
