"""Instrumentation of the end-to-end fault test (scripts/e2e_worker.py); never in the app.

- `StampingAdapter` (workers): each email's subject ends with the time it was built.
- `record_commit` (web processes, connected by `scripts/e2e_wsgi.py`): an
  `invite_resent` receiver that logs when each refresh committed (receivers run right
  after the commit), and that kills its own process with SIGKILL, right after a commit,
  the first time it finds the `kill-web` marker file in E2E_WORK_DIR.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, TextIO

from invites.adapter import DefaultInviteAdapter

BUILT_MARK = " [built "


class StampingAdapter(DefaultInviteAdapter):
    def get_email_subject(self, invite: Any, kind: Any, context: dict[str, Any]) -> str:
        subject = super().get_email_subject(invite, kind, context)
        return f"{subject}{BUILT_MARK}{time.time():.6f}]"


_log: TextIO | None = None


def _commit_log() -> TextIO:
    global _log
    if _log is None:
        path = Path(os.environ["E2E_WORK_DIR"]) / f"commits-{os.getpid()}.log"
        _log = open(path, "a")  # noqa: SIM115 (open for the life of the process)
    return _log


def record_commit(sender: Any, *, invite: Any, **kwargs: Any) -> None:
    log = _commit_log()
    log.write(f"{invite.pk} {time.time():.6f}\n")
    log.flush()
    marker = Path(os.environ["E2E_WORK_DIR"]) / "kill-web"
    try:
        marker.rename(marker.with_suffix(".taken"))
    except FileNotFoundError:
        return
    log.write(f"KILLED {invite.pk}\n")
    log.flush()
    os.kill(os.getpid(), signal.SIGKILL)
