"""Shared fixtures: invites in each state, built through the services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.dispatch import Signal

from invites import services
from invites.models import Invite
from tests.helpers import PASSWORD, expire



@pytest.fixture
def make_invite(db: None) -> Callable[..., Invite]:
    """Create one invite through `create_invites`; `invite.token` holds its raw token."""
    counter = iter(range(1, 1_000_000))

    def make(email: str | None = None, **kwargs: Any) -> Invite:
        email = email or f"invitee{next(counter)}@example.com"
        return services.create_invites([{"email": email, **kwargs}])[0]

    return make


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
    services.accept_invite(invite.token, password=PASSWORD)  # type: ignore[attr-defined]
    invite.refresh_from_db()
    invite.token = None  # type: ignore[attr-defined]
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the item (`item.rep_call`...), for failure screenshots."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
