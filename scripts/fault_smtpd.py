"""An SMTP server with faults, for the SMTP fault test (scripts/smtp_faults.py); not the app's.

An aiosmtpd server on 127.0.0.1 whose behaviour the test switches while it runs:

- `faulty`: answers 451 to a share of the messages (`temporary_rate`) and drops the
  connection in the middle of the DATA exchange (after the content, before the
  answer) for another share (`drop_rate`);
- `slow`: takes `slow_seconds` before accepting each message;
- `down`: the port is closed (connections are refused);
- `healthy`: accepts everything.

Only messages answered 250 count as delivered: `accepted` holds their raw bytes.
"""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

from aiosmtpd.controller import Controller

FAULTY, SLOW, DOWN, HEALTHY = "faulty", "slow", "down", "healthy"


class FaultyHandler:
    def __init__(self, server: FaultServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        server = self.server
        mode = server.mode
        if mode == FAULTY:
            roll = server.random.random()
            if roll < server.temporary_rate:
                server.count("451")
                return "451 4.3.0 Temporary failure, try again later"
            if roll < server.temporary_rate + server.drop_rate:
                server.count("dropped")
                smtp.transport.abort()
                return "421 4.3.0 Connection dropped"  # never reaches the client
        elif mode == SLOW:
            await asyncio.sleep(server.slow_seconds)
        server.accept(envelope.content)
        return "250 2.0.0 OK"


class FaultServer:
    """The server and its switches; `start()`, then set `mode` (or `down()`/`up()`)."""

    def __init__(
        self,
        port: int,
        *,
        temporary_rate: float = 0.30,
        drop_rate: float = 0.05,
        slow_seconds: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.port = port
        self.temporary_rate = temporary_rate
        self.drop_rate = drop_rate
        self.slow_seconds = slow_seconds
        self.random = random.Random(seed)  # noqa: S311 (faults, not secrets)
        self.mode = FAULTY
        self.accepted: list[bytes] = []
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def accept(self, content: bytes) -> None:
        with self._lock:
            self.accepted.append(content)
            self.counts["accepted"] = self.counts.get("accepted", 0) + 1

    def count(self, what: str) -> None:
        with self._lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def start(self) -> None:
        self._controller = Controller(
            FaultyHandler(self),
            hostname="127.0.0.1",
            port=self.port,
            data_size_limit=1_000_000,
            ready_timeout=10,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def down(self) -> None:
        """Close the port: new connections are refused, open ones are cut."""
        self.mode = DOWN
        self.stop()

    def up(self, mode: str = HEALTHY) -> None:
        self.mode = mode
        if self._controller is None:
            self.start()
