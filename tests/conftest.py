"""Shared fixtures: invites in each state, built through the services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.dispatch import Signal

from invites import services
from invites.models import Invite
from tests.helpers import PASSWORD, expire
from tests.teams.models import Membership, Team

ALLAUTH_SETTINGS = "tests.allauth.settings"


def pytest_ignore_collect(collection_path: Any, config: Any) -> bool | None:
    """`tests/allauth/` runs only under its own settings (a second pytest run)."""
    from django.conf import settings

    if collection_path == Path(__file__).parent / "allauth":
        return settings.SETTINGS_MODULE != ALLAUTH_SETTINGS
    return None


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    """The accept rate limit counts in the cache: every test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_invite(db: None) -> Callable[..., Invite]:
    """Create one invite through `create_invites`; `invite.token` holds its raw token."""
    counter = iter(range(1, 1_000_000))

    def make(
        email: str | None = None,
        *,
        invited_by: Any = None,
        target: Any = None,
        groups: Any = (),
        **kwargs: Any,
    ) -> Invite:
        email = email or f"invitee{next(counter)}@example.com"
        return services.create_invites(
            [{"email": email, **kwargs}], invited_by=invited_by, target=target, groups=groups
        )[0]

    return make


@pytest.fixture
def group(db: None) -> Group:
    return Group.objects.create(name="Testers")


@pytest.fixture
def granting_invite(make_invite: Callable[..., Invite], group: Group) -> Invite:
    """A pending invite that grants something (a group): an existing user joins it."""
    return make_invite("granting@example.com", groups=[group])


@pytest.fixture
def pending_invite(make_invite: Callable[..., Invite]) -> Invite:
    return make_invite("pending@example.com")


@pytest.fixture
def expired_invite(make_invite: Callable[..., Invite]) -> Invite:
    invite = make_invite("expired@example.com")
    expire(invite)
    return invite


@pytest.fixture
def accepted_invite(make_invite: Callable[..., Invite]) -> Invite:
    invite = make_invite("accepted@example.com")
    services.accept_invite(invite.token, password=PASSWORD)
    invite.refresh_from_db()
    del invite.token  # used up: like any invite loaded from the database, it has none
    return invite


@pytest.fixture
def deleted_invite(make_invite: Callable[..., Invite]) -> Invite:
    invite = make_invite("deleted@example.com")
    services.delete_invites([invite.pk])
    invite.refresh_from_db()
    return invite


class SignalRecorder:
    """Connects to one signal and keeps the keyword arguments of every send."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.calls: list[dict[str, Any]] = []
        signal.connect(self.receive, weak=False)

    def receive(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        self.calls.append({"sender": sender, **kwargs})

    def disconnect(self) -> None:
        self.signal.disconnect(self.receive)


@pytest.fixture
def record() -> Iterator[Callable[[Signal], SignalRecorder]]:
    """`record(signal)` returns a recorder that stays connected for this test."""
    recorders: list[SignalRecorder] = []

    def start(signal: Signal) -> SignalRecorder:
        recorder = SignalRecorder(signal)
        recorders.append(recorder)
        return recorder

    yield start
    for recorder in recorders:
        recorder.disconnect()


@pytest.fixture(params=["set-based", "orm"])
def refresh_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the set-based SQL path and through the ORM fallback path."""
    if request.param == "orm":
        monkeypatch.setattr("invites.bulk.is_set_based", lambda using="default": False)
    return str(request.param)


# --- background tasks (invite emails) --------------------------------------------------

import django  # noqa: E402

from invites.tasks_compat import task_backends  # noqa: E402

TASKS_PACKAGE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
DUMMY_TASKS = {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.dummy.DummyBackend"}}
IMMEDIATE_TASKS = {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def dummy_tasks(settings: Any) -> Any:
    """The dummy task backend: tasks are recorded in `.results`, never run."""
    settings.TASKS = DUMMY_TASKS
    backend = task_backends["default"]
    backend.clear()
    return backend


@pytest.fixture
def immediate_tasks(settings: Any) -> Any:
    """The immediate task backend: tasks run at enqueue, in the caller's thread."""
    settings.TASKS = IMMEDIATE_TASKS
    return task_backends["default"]


@pytest.fixture
def database_tasks(settings: Any) -> Any:
    """django-tasks-db's backend: tasks are rows of `DBTaskResult`, run by `db_worker`."""
    settings.TASKS = DATABASE_TASKS
    return task_backends["default"]


# A redis-server of the test's own, and django-tasks-rq's backend on it (tests/rq_support.py).
from tests.rq_support import redis_server, rq_tasks  # noqa: E402, F401

# --- browser tests: keep each phase's report for failure screenshots --------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the item (`item.rep_call`...), for failure screenshots."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# Invites into teams (`tests.teams`, the example of docs/teams.md).
TEAM_ADAPTER = "tests.teams.adapter.TeamInviteAdapter"


@pytest.fixture
def team_adapter(settings: Any) -> None:
    """The teams example's adapter, beside whatever `INVITES` the test set."""
    settings.INVITES = {**(getattr(settings, "INVITES", None) or {}), "ADAPTER": TEAM_ADAPTER}


@pytest.fixture
def team(db: None) -> Any:
    return Team.objects.create(name="Marketing")


@pytest.fixture
def team_owner(team: Any, django_user_model: Any) -> Any:
    """A user who owns `team`: may invite with any role."""
    user = django_user_model.objects.create_user(
        username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace"
    )
    Membership.objects.create(team=team, user=user, role="owner")
    return user
