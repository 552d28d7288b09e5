"""`InviteAdmin`'s list: columns, filters, search, and the "Refresh tokens and resend" action."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.utils import timezone

from invites import services
from invites.models import Invite
from invites.signals import invite_resent
from invites.tokens import hash_token
from tests.admin.helpers import (
    CHANGELIST,
    admin_request,
    after_first_query,
    messages_of,
    run_action,
)
from tests.helpers import PASSWORD, snapshot

pytestmark = pytest.mark.django_db


# --- the list ------------------------------------------------------------------------


def test_list_shows_email_status_expiry_created(
    admin_client, pending_invite, expired_invite, accepted_invite, deleted_invite
):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = {row.email: row for row in response.context["cl"].result_list}
    assert set(rows) == {"pending@example.com", "expired@example.com", "accepted@example.com"}
    text = response.content.decode()
    for label in ("Pending", "Expired", "Accepted"):
        assert f'<td class="field-status">{label}</td>' in text
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', text)
    assert columns == [
        "email",
        "status",
        "target",
        "role",
        "expires_at",
        "created_at",
        "invited_by",
        "accepted_by",
        "accepted_at",
        "sent_at",
        "delivery",
    ]


def test_list_shows_who_invited_and_when_accepted_and_sent(admin_client, admin_user, make_invite):
    invited = services.create_invites(["ada@example.com"], invited_by=admin_user)[0]
    accepted = make_invite("grace@example.com")
    services.accept_invite(accepted.token, password=PASSWORD)
    sent_at = timezone.now() - timedelta(hours=2)
    Invite.objects.filter(pk=invited.pk).update(sent_at=sent_at)

    response = admin_client.get(CHANGELIST)

    rows = {row.email: row for row in response.context["cl"].result_list}
    assert rows["ada@example.com"].invited_by == admin_user
    assert rows["ada@example.com"].sent_at == sent_at
    assert rows["grace@example.com"].accepted_at is not None
    text = response.content.decode()
    assert '<td class="field-invited_by nowrap">admin</td>' in text
    assert text.count('<td class="field-sent_at nowrap">-</td>') == 1  # grace's: not sent
    assert text.count('<td class="field-accepted_at nowrap">-</td>') == 1  # ada's


@pytest.mark.parametrize(
    "sent, expected",
    [
        ("no", {"unsent@example.com"}),
        ("yes", {"sent@example.com"}),
        ("bogus", {"unsent@example.com", "sent@example.com"}),
    ],
)
def test_filter_by_sent(admin_client, make_invite, sent, expected):
    make_invite("unsent@example.com")
    sent_invite = make_invite("sent@example.com")
    Invite.objects.filter(pk=sent_invite.pk).update(sent_at=timezone.now())

    response = admin_client.get(CHANGELIST, {"sent": sent})

    assert response.status_code == 200
    assert {row.email for row in response.context["cl"].result_list} == expected


def test_sent_filter_is_offered(admin_client, pending_invite):
    text = admin_client.get(CHANGELIST).content.decode()
    assert "By sent" in text
    assert 'href="?sent=no"' in text and "Not sent yet" in text


@pytest.mark.parametrize(
    "status, expected",
    [
        ("pending", {"pending@example.com"}),
        ("expired", {"expired@example.com"}),
        ("accepted", {"accepted@example.com"}),
        ("bogus", {"pending@example.com", "expired@example.com", "accepted@example.com"}),
    ],
)
def test_filter_by_status(
    admin_client, pending_invite, expired_invite, accepted_invite, status, expected
):
    response = admin_client.get(CHANGELIST, {"status": status})

    assert response.status_code == 200
    assert {row.email for row in response.context["cl"].result_list} == expected


def test_status_filter_counts(admin_client, pending_invite, expired_invite, accepted_invite):
    response = admin_client.get(CHANGELIST, {"_facets": "True"})

    assert response.status_code == 200
    counts = re.findall(r"(Pending|Expired|Accepted) \((\d+)\)", response.content.decode())
    assert counts == [("Pending", "1"), ("Expired", "1"), ("Accepted", "1")]


def test_search_by_email_and_date_lookup(admin_client, make_invite):
    make_invite("ada@example.com")
    make_invite("grace@example.com")

    response = admin_client.get(CHANGELIST, {"q": "Gra"})
    assert [row.email for row in response.context["cl"].result_list] == ["grace@example.com"]

    year = timezone.now().year
    response = admin_client.get(CHANGELIST, {"created_at__year": year})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2


# --- the action "Refresh tokens and resend" ------------------------------------------


def test_refresh_action_on_a_mixed_selection(
    admin_client,
    pending_invite,
    expired_invite,
    accepted_invite,
    record,
    django_capture_on_commit_callbacks,
):
    resent = record(invite_resent)
    accepted_before = snapshot(accepted_invite)
    later = timezone.now() + timedelta(minutes=10)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            admin_client, "refresh_tokens", pending_invite, expired_invite, accepted_invite
        )

    assert response.status_code == 200
    assert messages_of(response) == [
        "2 invites were given a new token and resent.",
        "1 invite was skipped because it has been accepted already.",
    ]
    for invite in (pending_invite, expired_invite):
        stored = Invite.objects.get(pk=invite.pk)
        assert stored.expires_at == later + timedelta(days=1)
        assert stored.token_hash != hash_token(invite.token)
        assert stored.status == "pending"
    assert snapshot(accepted_invite) == accepted_before
    assert sorted(call["invite"].email for call in resent.calls) == [
        "expired@example.com",
        "pending@example.com",
    ]
    # The resent token is the one that now works.
    [call] = [c for c in resent.calls if c["invite"].pk == pending_invite.pk]
    assert services.accept_invite(call["token"], password=PASSWORD).email == "pending@example.com"


def test_refresh_action_singular_message_and_no_skip_message(admin_client, pending_invite):
    response = run_action(admin_client, "refresh_tokens", pending_invite)
    assert messages_of(response) == ["1 invite was given a new token and resent."]


def test_refresh_action_on_accepted_only(admin_client, make_invite, record):
    resent = record(invite_resent)
    first, second = make_invite(), make_invite()
    for invite in (first, second):
        services.accept_invite(invite.token, password=PASSWORD)
    before = snapshot(first, second)

    response = run_action(admin_client, "refresh_tokens", first, second)

    assert messages_of(response) == [
        "2 invites were skipped because they have been accepted already."
    ]
    assert snapshot(first, second) == before
    assert resent.calls == []


def test_refresh_action_across_all_pages(admin_client, make_invite):
    invites = [make_invite() for _ in range(3)]
    before = {i.pk: i.expires_at for i in invites}

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        response = run_action(admin_client, "refresh_tokens", invites[0], select_across="1")

    assert messages_of(response) == ["3 invites were given a new token and resent."]
    assert all(Invite.objects.get(pk=pk).expires_at > before[pk] for pk in before)


@pytest.mark.parametrize("perms", [("view_invite",), ("view_invite", "delete_invite")])
def test_refresh_action_needs_change_permission(staff_client, pending_invite, perms):
    staff = staff_client(*perms)
    before = snapshot(pending_invite)

    page = staff.get(CHANGELIST)
    assert page.status_code == 200
    assert "refresh_tokens" not in page.content.decode()
    response = run_action(staff, "refresh_tokens", pending_invite, index="0")

    assert response.status_code == 200
    assert "refresh_tokens" not in response.content.decode()
    if "delete_invite" in perms:  # other actions exist: this one is refused by name
        assert messages_of(response) == ["No action selected."]
    assert snapshot(pending_invite) == before


def test_refresh_action_with_change_permission(staff_client, pending_invite):
    changer = staff_client("view_invite", "change_invite")

    assert 'value="refresh_tokens"' in changer.get(CHANGELIST).content.decode()
    response = run_action(changer, "refresh_tokens", pending_invite)

    assert messages_of(response) == ["1 invite was given a new token and resent."]
    assert Invite.objects.get(pk=pending_invite.pk).token_hash != hash_token(pending_invite.token)


def test_refresh_action_when_an_invite_was_deleted_meanwhile(admin_user, make_invite, record):
    resent = record(invite_resent)
    kept, gone = make_invite(), make_invite()
    selected = Invite.all_objects.filter(pk__in=[kept.pk, gone.pk])  # built before the delete
    services.delete_invites([gone.pk])
    before = snapshot(kept, gone)
    model_admin, request = admin_request(admin_user)

    model_admin.refresh_tokens(request, selected)

    assert [str(m) for m in get_messages(request)] == [
        "Nothing was refreshed: 1 selected invite was deleted meanwhile. "
        "Reload the list and try again."
    ]
    assert snapshot(kept, gone) == before
    assert resent.calls == []


def test_refresh_action_when_an_invite_was_accepted_meanwhile(admin_user, make_invite, record):
    resent = record(invite_resent)
    first, second = make_invite(), make_invite()
    model_admin, request = admin_request(admin_user)

    def accept_second() -> None:
        services.accept_invite(second.token, password=PASSWORD)

    before = snapshot(first)
    # The action reads which invites are accepted; the invitee accepts right after.
    with after_first_query(r'SELECT .*"accepted", .*FROM "invites_invite"', accept_second):
        model_admin.refresh_tokens(request, Invite.objects.filter(pk__in=[first.pk, second.pk]))

    assert [str(m) for m in get_messages(request)] == [
        "Nothing was refreshed: 1 selected invite was accepted meanwhile. "
        "Reload the list and try again."
    ]
    assert snapshot(first) == before
    assert resent.calls == []


@pytest.mark.parametrize("action", ["refresh_tokens", "delete_selected"])
def test_a_malformed_selection_is_an_error_message(admin_client, pending_invite, action):
    before = snapshot(pending_invite)
    data = {"action": action, "_selected_action": [str(pending_invite.pk), "not-a-uuid"]}

    response = admin_client.post(CHANGELIST, {**data, "post": "yes"}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "The selection holds an id that is not an invite's. Reload the list."
    ]
    assert snapshot(pending_invite) == before


def test_a_malformed_selection_changes_nothing_even_alone(admin_client, pending_invite, record):
    resent = record(invite_resent)
    before = snapshot(pending_invite)

    response = admin_client.post(
        CHANGELIST,
        {"action": "refresh_tokens", "_selected_action": ["not-a-uuid"], "index": "0"},
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert snapshot(pending_invite) == before
    assert resent.calls == []


def test_a_malformed_selection_without_permission_is_still_refused(staff_client, pending_invite):
    nobody = staff_client()
    response = nobody.post(CHANGELIST, {"action": "refresh_tokens", "_selected_action": ["x"]})
    assert response.status_code == 403
