"""WSGI application of the end-to-end fault test's web processes (gunicorn).

The demo's application, with `scripts.e2e_hooks.record_commit` connected to
`invite_resent`: it logs when each refresh committed and can kill its process right
after a commit.
"""

from __future__ import annotations

from inviteproject.wsgi import application
from invites.signals import invite_resent
from scripts.e2e_hooks import record_commit

invite_resent.connect(record_commit, dispatch_uid="e2e.record_commit")

__all__ = ["application"]
