"""Settings of the SMTP fault test (scripts/smtp_faults.py): the end-to-end test's, plus
short retry delays (E2E_RETRY_DELAYS, seconds, comma-separated) so it runs in minutes."""

import os

from scripts.e2e_settings import *  # noqa: F403
from scripts.e2e_settings import INVITES

INVITES = {
    **INVITES,
    "EMAIL_RETRY_DELAYS": tuple(float(s) for s in os.environ["E2E_RETRY_DELAYS"].split(",")),
}
