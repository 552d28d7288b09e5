"""Settings of the background import test (scripts/bg_import.py): the demo's, with a
short staleness, so that a job whose worker was killed is queued again within seconds."""

import os
from datetime import timedelta

from inviteproject.settings import *  # noqa: F403
from inviteproject.settings import INVITES

INVITES = {
    **INVITES,
    "BACKGROUND_JOB_STALE": timedelta(seconds=float(os.environ.get("BG_JOB_STALE", "5"))),
}
