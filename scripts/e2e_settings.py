"""Settings of the end-to-end fault test (scripts/e2e_worker.py): the demo's, instrumented.

The only change: an adapter that writes into each subject when the email was built, so
the checker can tell a link revoked before its email was built from one revoked while
the email was on its way.
"""

from inviteproject.settings import *  # noqa: F403
from inviteproject.settings import INVITES

INVITES = {**INVITES, "ADAPTER": "scripts.e2e_hooks.StampingAdapter"}
