"""`refresh_invites` and `purge_invites`: selection, batches, dry runs, confirmation."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from invites import services
from invites.management.commands.refresh_invites import Command as RefreshCommand
from invites.management.durations import parse_duration
from invites.models import Invite
from tests.helpers import PASSWORD, requires_postgresql, snapshot

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: str, stdout: io.StringIO | None = None) -> str:
    out = stdout or io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def hashes() -> dict[uuid.UUID, str]:
    return dict(Invite.all_objects.values_list("pk", "token_hash"))


def set_expiry(invite: Invite, delta: timedelta) -> None:
    Invite.all_objects.filter(pk=invite.pk).update(expires_at=timezone.now() + delta)


def set_deleted(invite: Invite, ago: timedelta) -> None:
    Invite.all_objects.filter(pk=invite.pk).update(deleted_at=timezone.now() - ago)


@pytest.fixture
def landscape(make_invite, accepted_invite, deleted_invite):
    """One invite of each kind that refresh_invites must tell apart."""
    pending = make_invite("far@example.com")  # expires in a day
    soon = make_invite("soon@example.com")
    set_expiry(soon, timedelta(hours=1))
    lapsed = make_invite("lapsed@example.com")
    set_expiry(lapsed, -timedelta(hours=3))
    set_expiry(deleted_invite, -timedelta(hours=3))  # deleted and expired: never refreshed
    set_expiry(accepted_invite, -timedelta(hours=3))  # accepted and past expiry: never refreshed
    return {
        "pending": pending,
        "soon": soon,
        "lapsed": lapsed,
        "accepted": accepted_invite,
        "deleted": deleted_invite,
    }


def changed(before: dict[uuid.UUID, str], landscape: dict[str, Invite]) -> set[str]:
    after = hashes()
    return {name for name, invite in landscape.items() if after[invite.pk] != before[invite.pk]}


# --- DURATION ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", timedelta(minutes=45)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        (" 3D ", timedelta(days=3)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "1y", "-1d", "1.5h", "3 days", "99999999999d"])
def test_bad_durations_are_refused_by_both_commands(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)
    with pytest.raises(CommandError, match="invalid duration"):
        call_command("refresh_invites", f"--expiring-within={text}")
    with pytest.raises(CommandError, match="invalid duration"):
        call_command("purge_invites", f"--older-than={text}")


# --- refresh_invites: selection ------------------------------------------------------


def test_ids_refresh_exactly_those_invites(landscape, dummy_tasks):
    before = hashes()

    out = run("refresh_invites", str(landscape["pending"].pk), str(landscape["lapsed"].pk))

    assert changed(before, landscape) == {"pending", "lapsed"}
    assert "Refreshed 2 invites." in out


def test_expired_refreshes_only_lapsed_live_invites(landscape, dummy_tasks):
    before = hashes()

    run("refresh_invites", "--expired")

    assert changed(before, landscape) == {"lapsed"}
    assert Invite.objects.get(pk=landscape["lapsed"].pk).status == "pending"


def test_expiring_within_refreshes_pending_invites_expiring_soon(landscape, dummy_tasks):
    before = hashes()

    run("refresh_invites", "--expiring-within", "2h")

    assert changed(before, landscape) == {"soon"}


def test_options_combine_as_a_union(landscape, dummy_tasks):
    before = hashes()

    run("refresh_invites", "--expired", "--expiring-within", "2h")
    assert changed(before, landscape) == {"lapsed", "soon"}

    before = hashes()
    run("refresh_invites", str(landscape["pending"].pk), "--expired")
    # "lapsed" was refreshed above and is pending now: only the id is left to select.
    assert changed(before, landscape) == {"pending"}


def test_no_selection_is_an_error():
    with pytest.raises(CommandError, match="--expired"):
        call_command("refresh_invites")


def test_nothing_to_refresh_is_fine(pending_invite):
    assert "No invites to refresh." in run("refresh_invites", "--expired")


@pytest.mark.parametrize("which", ["unknown", "malformed", "deleted", "accepted"])
def test_bad_ids_are_named_and_nothing_changes(landscape, dummy_tasks, which):
    bad = {
        "unknown": str(uuid.uuid4()),
        "malformed": "not-an-id",
        "deleted": str(landscape["deleted"].pk),
        "accepted": str(landscape["accepted"].pk),
    }[which]
    before = snapshot(*landscape.values())

    with pytest.raises(CommandError) as caught:
        call_command("refresh_invites", str(landscape["pending"].pk), bad, "--expired")

    assert bad in str(caught.value)
    assert snapshot(*landscape.values()) == before
    assert dummy_tasks.results == []


@pytest.mark.django_db(transaction=True)
def test_failure_exits_non_zero_from_the_command_line(capsys):
    with pytest.raises(SystemExit) as caught:
        RefreshCommand().run_from_argv(["manage.py", "refresh_invites", "bogus-id"])

    assert caught.value.code != 0
    assert "bogus-id" in capsys.readouterr().err


# --- refresh_invites: running --------------------------------------------------------


def test_dry_run_changes_nothing_and_queues_nothing(landscape, dummy_tasks):
    before = snapshot(*landscape.values())

    out = run("refresh_invites", "--expired", "--expiring-within", "2h", "--dry-run", "-v", "2")

    assert snapshot(*landscape.values()) == before
    assert dummy_tasks.results == []
    assert "Would refresh 2 invites" in out
    assert "lapsed@example.com" in out and "soon@example.com" in out


def test_refresh_queues_one_email_per_invite_with_the_new_digest(
    make_invite, dummy_tasks, django_capture_on_commit_callbacks
):
    invites = [make_invite() for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        run("refresh_invites", *(str(invite.pk) for invite in invites))

    stored = hashes()
    # One task for the batch, holding each invite's id and new digest.
    assert [list(result.args) for result in dummy_tasks.results] == [
        [[f"{invite.pk}:{stored[invite.pk]}" for invite in invites], "resent"]
    ]


def test_emails_sent_by_a_refresh_carry_working_links(
    make_invite, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    invite = make_invite()

    with django_capture_on_commit_callbacks(execute=True):
        run("refresh_invites", str(invite.pk))

    [message] = mailoutbox
    token = message.body.split("token=")[1].split()[0]
    assert services.accept_invite(token, password=PASSWORD).email == invite.email


def test_batches_and_plain_progress_lines_off_a_terminal(make_invite, dummy_tasks):
    invites = [make_invite() for _ in range(5)]
    for invite in invites:
        set_expiry(invite, -timedelta(minutes=5))

    out = run("refresh_invites", "--expired", "--batch-size", "2", "-v", "2")

    assert [line for line in out.splitlines() if "done" in line] == [
        "2/5 invites done",
        "4/5 invites done",
        "5/5 invites done",
    ]
    assert "\r" not in out
    assert "Refreshed 5 invites." in out


def test_quiet_off_a_terminal_prints_only_the_summary(make_invite, dummy_tasks):
    invite = make_invite()

    out = run("refresh_invites", str(invite.pk), "--batch-size", "1")

    assert out == "Refreshed 1 invite.\n"


def test_progress_bar_on_a_terminal(make_invite, dummy_tasks):
    invites = [make_invite() for _ in range(4)]

    out = run(
        "refresh_invites", *(str(i.pk) for i in invites), "--batch-size", "2", stdout=Terminal()
    )

    assert "\r[###############---------------] 2/4" in out
    assert "\r[##############################] 4/4" in out
    assert out.rstrip().endswith("Refreshed 4 invites.")


@pytest.mark.parametrize("size", ["0", "-3", "many"])
def test_bad_batch_size_is_refused(size):
    with pytest.raises(CommandError, match="batch-size"):
        call_command("refresh_invites", "--expired", "--batch-size", size)


def test_invites_that_change_state_meanwhile_are_skipped(make_invite, dummy_tasks):
    # What a batch meets when another process accepts or deletes an invite after the
    # command selected it: the service refuses, the command drops it and goes on.
    from invites.management.commands.refresh_invites import _refresh_batch

    kept, accepted, deleted = make_invite(), make_invite(), make_invite()
    services.accept_invite(accepted.token, password=PASSWORD)
    services.delete_invites([deleted.pk])
    before = hashes()

    assert _refresh_batch([kept.pk, accepted.pk, deleted.pk]) == (1, 2)

    after = hashes()
    assert after[kept.pk] != before[kept.pk]
    assert after[accepted.pk] == before[accepted.pk]
    assert after[deleted.pk] == before[deleted.pk]


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_stops_the_command_and_keeps_the_earlier_batches(make_invite):
    invites = [make_invite() for _ in range(4)]
    before = hashes()
    # Another session holds a row lock on the third invite; with a short lock timeout
    # the second batch fails while the first one has committed.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 FROM invites_invite WHERE id = %s FOR UPDATE", [invites[2].pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        with pytest.raises(CommandError, match="Refreshed 2 of 4 invites, then failed"):
            call_command(
                "refresh_invites",
                *(str(i.pk) for i in invites),
                "--batch-size",
                "2",
                stdout=io.StringIO(),
            )
    finally:
        with other.cursor() as cursor:
            cursor.execute("ROLLBACK")
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    after = hashes()
    assert [after[i.pk] != before[i.pk] for i in invites] == [True, True, False, False]


# --- purge_invites -------------------------------------------------------------------


@pytest.fixture
def purge_landscape(make_invite, accepted_invite, pending_invite):
    old_expired = make_invite("old-expired@example.com")
    set_expiry(old_expired, -timedelta(days=40))
    new_expired = make_invite("new-expired@example.com")
    set_expiry(new_expired, -timedelta(days=2))
    old_deleted = make_invite("old-deleted@example.com")
    services.delete_invites([old_deleted.pk])
    set_deleted(old_deleted, timedelta(days=40))
    new_deleted = make_invite("new-deleted@example.com")
    services.delete_invites([new_deleted.pk])
    set_deleted(new_deleted, timedelta(days=2))
    set_expiry(accepted_invite, -timedelta(days=400))
    old_accepted_deleted = make_invite("old-accepted-deleted@example.com")
    services.accept_invite(old_accepted_deleted.token, password=PASSWORD)
    services.delete_invites([old_accepted_deleted.pk])
    set_deleted(old_accepted_deleted, timedelta(days=400))
    set_expiry(old_accepted_deleted, -timedelta(days=400))
    return {
        "pending": pending_invite,
        "accepted": accepted_invite,
        "old_accepted_deleted": old_accepted_deleted,
        "old_expired": old_expired,
        "new_expired": new_expired,
        "old_deleted": old_deleted,
        "new_deleted": new_deleted,
    }


def remaining(landscape: dict[str, Invite]) -> set[str]:
    pks = set(Invite.all_objects.values_list("pk", flat=True))
    return {name for name, invite in landscape.items() if invite.pk in pks}


def test_purge_deletes_long_deleted_and_long_expired_only(purge_landscape):
    out = run("purge_invites", "--older-than", "30d", "--no-input")

    assert remaining(purge_landscape) == {
        "pending",
        "accepted",
        "old_accepted_deleted",
        "new_expired",
        "new_deleted",
    }
    assert "Deleted 2 invites: 1 soft-deleted, 1 expired." in out


def test_purge_never_touches_pending_or_accepted_invites(purge_landscape):
    run("purge_invites", "--older-than", "0d", "--no-input")

    assert remaining(purge_landscape) == {"pending", "accepted", "old_accepted_deleted"}


def test_purge_dry_run_deletes_nothing(purge_landscape):
    before = snapshot(*purge_landscape.values())

    out = run("purge_invites", "--older-than", "1d", "--dry-run")

    assert snapshot(*purge_landscape.values()) == before
    assert "Would delete 4 invites: 2 soft-deleted, 2 expired" in out


def test_purge_needs_older_than():
    with pytest.raises(CommandError, match="older-than"):
        call_command("purge_invites")


def test_purge_works_through_many_batches(monkeypatch, make_invite):
    from invites.management.commands import purge_invites

    monkeypatch.setattr(purge_invites, "BATCH_SIZE", 3)
    invites = services.create_invites([f"gone{i}@example.com" for i in range(8)])
    Invite.objects.filter(pk__in=[i.pk for i in invites]).update(
        expires_at=timezone.now() - timedelta(days=10)
    )
    keep = make_invite()

    assert "Deleted 8 invites" in run("purge_invites", "--older-than", "1w", "--no-input")
    assert list(Invite.all_objects.values_list("pk", flat=True)) == [keep.pk]
