"""`InviteAdmin`: list, filter, the refresh action, soft delete, add and change."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.utils import timezone

from invites import services
from invites.admin import AddRefused, InviteAdmin
from invites.exceptions import InvalidInviteToken, InviteAlreadyExists
from invites.models import Invite
from invites.signals import invite_created, invite_deleted, invite_resent
from invites.tokens import hash_token
from tests.helpers import PASSWORD, requires_postgresql, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGELIST = "/admin/invites/invite/"
ADD = "/admin/invites/invite/add/"


def change_url(invite: Invite) -> str:
    return f"{CHANGELIST}{invite.pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client: Client, action: str, *invites: Invite, **extra: str):
    data = {"action": action, "_selected_action": [str(i.pk) for i in invites], **extra}
    return client.post(CHANGELIST, data, follow=True)


@pytest.fixture
def staff_client(db: None) -> Callable[..., Client]:
    """`staff_client("view_invite", ...)`: a logged-in staff user with just these perms."""

    def make(*codenames: str) -> Client:
        user = User.objects.create_user(username="staff", password=PASSWORD, is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


@contextmanager
def after_first_query(pattern: str, callback: Callable[[], object]) -> Iterator[None]:
    """Run `callback` right after the first SQL query matching `pattern`: a race, for real."""
    fired = False

    def wrapper(execute, sql, params, many, context):
        nonlocal fired
        result = execute(sql, params, many, context)
        if not fired and re.search(pattern, sql):
            fired = True
            callback()
        return result

    with connection.execute_wrapper(wrapper):
        yield
    assert fired, f"no query matched {pattern!r}"


def admin_request(user) -> tuple[InviteAdmin, object]:
    request = RequestFactory().post(CHANGELIST)
    request.user = user
    request._messages = CookieStorage(request)
    return InviteAdmin(Invite, admin.site), request


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
        "expires_at",
        "created_at",
        "invited_by",
        "accepted_at",
        "sent_at",
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


def test_search_by_email_and_date_hierarchy(admin_client, make_invite):
    make_invite("ada@example.com")
    make_invite("grace@example.com")

    response = admin_client.get(CHANGELIST, {"q": "grace"})
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
    with after_first_query(r'SELECT .*"accepted" FROM "invites_invite"', accept_second):
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


# --- add: through create_invites ------------------------------------------------------


def test_add_page_renders(admin_client):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="email"' in text and 'name="metadata"' in text
    [metadata] = re.findall(r'<textarea name="metadata"[^>]*>(.*?)</textarea>', text, re.S)
    assert metadata.strip() == ""
    assert "Resend" not in text
    assert "token" not in re.sub(r"csrfmiddlewaretoken", "", text).lower().split("<main")[1]


def test_add_goes_through_the_service(
    admin_client, admin_user, record, django_capture_on_commit_callbacks
):
    created = record(invite_created)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            ADD, {"email": " New.Person@EXAMPLE.com ", "metadata": '{"team": "blue"}'}, follow=True
        )

    invite = Invite.objects.get()
    assert invite.email == "New.Person@example.com"
    assert invite.metadata == {"team": "blue"}
    assert invite.invited_by == admin_user
    assert invite.status == "pending"
    assert [call["invite"].pk for call in created.calls] == [invite.pk]
    shown = messages_of(response)
    assert any("was added successfully" in message for message in shown)
    [link_message] = [m for m in shown if "Accept link" in m]
    assert "shown only this once" in link_message
    [token] = re.findall(
        r"https://invites\.example\.com/invites/accept/\?token=([\w-]+)", link_message
    )
    assert hash_token(token) == invite.token_hash
    assert token == created.calls[0]["token"]


def test_add_and_continue_goes_to_the_new_invite(admin_client):
    response = admin_client.post(ADD, {"email": "x@example.com", "_continue": "1"})
    assert response["Location"] == change_url(Invite.objects.get())


@pytest.mark.parametrize(
    "data, error",
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"email": "a@example.com", "metadata": "[1, 2]"}, "Enter a JSON object"),
        ({"email": "a@example.com", "metadata": "{nope"}, "Enter a valid JSON."),
        ({"email": "x" * 300 + "@example.com"}, "Ensure this value has at most 254 characters"),
    ],
)
def test_add_shows_input_errors_on_the_form(admin_client, data, error):
    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Invite.all_objects.exists()


def test_add_shows_an_existing_invite_on_the_form(admin_client, pending_invite):
    response = admin_client.post(ADD, {"email": "PENDING@example.com"})

    assert response.status_code == 200
    assert "An invite already exists for: PENDING@example.com." in response.content.decode()
    assert Invite.all_objects.count() == 1


def test_add_shows_an_existing_user_on_the_form(admin_client):
    response = admin_client.post(ADD, {"email": "admin@example.com"})  # pytest-django's admin

    assert response.status_code == 200
    assert "A user already exists with the email: admin@example.com." in response.content.decode()
    assert not Invite.all_objects.exists()


def test_add_without_metadata_stores_none(admin_client):
    response = admin_client.post(ADD, {"email": "plain@example.com", "metadata": ""})

    assert response.status_code == 302
    assert Invite.objects.get().metadata is None


def test_an_invalid_add_keeps_what_was_typed(admin_client):
    response = admin_client.post(ADD, {"email": "nope", "metadata": '{"team": "x"}'})

    text = response.content.decode()
    assert re.search(r'<textarea name="metadata"[^>]*>\s*\{&quot;team&quot;: &quot;x&quot;\}', text)
    assert 'value="nope"' in text


def in_other_connection(action: Callable[[], object]) -> Callable[[], None]:
    """`action` run and committed on a connection of its own: another admin, for real."""

    def run() -> None:
        def work() -> None:
            try:
                action()
            finally:
                connections.close_all()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(work).result(timeout=10)

    return run


# The form's check has just found no such invite nor user; then someone else commits one.
FORM_CHECKED_USERS = r'LOWER\("auth_user"\."email"\)'


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_add_race_lost_to_another_admin_is_shown_on_the_form(admin_client):
    other_admin_adds = in_other_connection(lambda: services.create_invites(["race@example.com"]))

    with after_first_query(FORM_CHECKED_USERS, other_admin_adds):
        response = admin_client.post(ADD, {"email": "race@example.com"})

    assert response.status_code == 200
    assert "An invite already exists for: race@example.com." in response.content.decode()
    assert Invite.all_objects.count() == 1
    assert not LogEntry.objects.exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_add_race_lost_to_a_new_user_is_shown_on_the_form(admin_client):
    someone_signs_up = in_other_connection(
        lambda: User.objects.create_user(username="racer", email="racer@example.com")
    )

    with after_first_query(FORM_CHECKED_USERS, someone_signs_up):
        response = admin_client.post(ADD, {"email": "racer@example.com"})

    assert response.status_code == 200
    assert "A user already exists with the email: racer@example.com." in (response.content.decode())
    assert not Invite.all_objects.exists()


def test_an_add_refused_by_the_service_is_rolled_back_and_tried_again(admin_client):
    # On one connection the competing invite is part of the add's own transaction:
    # the refusal rolls both back, and the second attempt finds the email free.
    def same_transaction_adds() -> None:
        services.create_invites(["again@example.com"])

    with after_first_query(FORM_CHECKED_USERS, same_transaction_adds):
        response = admin_client.post(ADD, {"email": "again@example.com"})

    assert response.status_code == 302
    invite = Invite.all_objects.get()
    assert LogEntry.objects.get().object_id == str(invite.pk)


def test_a_refusal_on_every_attempt_is_a_message_not_an_error(admin_user):
    model_admin, request = admin_request(admin_user)
    attempts = []

    def always_refused(request):
        attempts.append(request)
        raise AddRefused(InviteAlreadyExists(["loop@example.com"]))

    response = model_admin.show_refusals(always_refused, request)

    assert len(attempts) == 2
    assert response.status_code == 302
    assert [str(m) for m in get_messages(request)] == [
        "Nothing was added: An invite already exists for: loop@example.com."
    ]


def test_add_needs_add_permission(staff_client):
    viewer = staff_client("view_invite", "change_invite")
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"email": "x@example.com"}).status_code == 403
    assert not Invite.all_objects.exists()


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
