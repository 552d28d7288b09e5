"""`purge_invites` asks before deleting for good, unless given `--no-input`."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from invites import services
from invites.models import Invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_invites(make_invite) -> list[Invite]:
    """Two invites expired 40 days ago, one soft-deleted 40 days ago, one pending."""
    old = timezone.now() - timedelta(days=40)
    expired = [make_invite(f"old{i}@example.com") for i in range(2)]
    Invite.objects.filter(pk__in=[i.pk for i in expired]).update(expires_at=old)
    deleted = make_invite("deleted@example.com")
    services.delete_invites([deleted.pk])
    Invite.all_objects.filter(pk=deleted.pk).update(deleted_at=old)
    return [*expired, deleted, make_invite("pending@example.com")]


class Terminal:
    """Stands in for the operator at `input()`: records prompts, types `reply`."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.reply: str | None = None  # None: stdin is closed (EOF), as under cron

    def input(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        if self.reply is None:
            raise EOFError
        return self.reply


@pytest.fixture
def terminal(monkeypatch) -> Terminal:
    terminal = Terminal()
    monkeypatch.setattr("builtins.input", terminal.input)
    return terminal


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_invites", "--older-than", "30d", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("text", ["no", "", "y", "YES please"])
def test_anything_but_yes_deletes_nothing(old_invites, terminal, text):
    terminal.reply = text

    out = purge()

    assert Invite.all_objects.count() == 4
    assert "Purge cancelled; nothing was deleted." in out
    [prompt] = terminal.prompts
    assert "This deletes 3 invites for good (1 soft-deleted, 2 expired)" in prompt


def test_yes_deletes(old_invites, terminal):
    terminal.reply = " Yes "

    out = purge()

    assert list(Invite.all_objects.values_list("email", flat=True)) == ["pending@example.com"]
    assert "Deleted 3 invites: 1 soft-deleted, 2 expired." in out
    assert len(terminal.prompts) == 1


@pytest.mark.parametrize("flag", ["--no-input", "--noinput"])
def test_no_input_deletes_without_asking(old_invites, terminal, flag):
    out = purge(flag)

    assert terminal.prompts == []
    assert Invite.all_objects.count() == 1
    assert "Deleted 3 invites" in out


def test_interactive_false_from_code_deletes_without_asking(old_invites, terminal):
    call_command("purge_invites", "--older-than", "30d", interactive=False, verbosity=0)
    assert terminal.prompts == []
    assert Invite.all_objects.count() == 1


def test_dry_run_asks_nothing_deletes_nothing_and_counts(old_invites, terminal):
    out = purge("--dry-run")

    assert terminal.prompts == []
    assert Invite.all_objects.count() == 4
    assert "Would delete 3 invites: 1 soft-deleted, 2 expired (dry run, nothing changed)." in out


def test_no_terminal_to_answer_is_an_error_that_names_no_input(old_invites, terminal):

    with pytest.raises(CommandError, match="--no-input"):
        purge()

    assert Invite.all_objects.count() == 4


def test_nothing_to_purge_asks_nothing(make_invite, terminal):
    make_invite()

    out = purge()

    assert terminal.prompts == []
    assert "Deleted 0 invites" in out


def test_refresh_invites_takes_dry_run_too(old_invites):
    out = io.StringIO()
    before = dict(Invite.objects.values_list("pk", "token_hash"))

    call_command("refresh_invites", "--expired", "--dry-run", stdout=out)

    assert dict(Invite.objects.values_list("pk", "token_hash")) == before
    assert "Would refresh 2 invites (dry run, nothing changed)." in out.getvalue()
