"""`manage.py invites_db_worker`: django-tasks-db's `db_worker` that outlives the database.

`db_worker` exits on the first database error that is not a locked SQLite file: a
PostgreSQL restart, a failover, a dropped connection. This command takes the same
options and runs the same worker; when the database fails, it logs the error, closes
the connections, waits (1 s, doubling up to `MAX_WAIT`) and starts the worker again
with the same id. A task that was running when the database went away keeps its
`RUNNING` row, as after any crash of a worker. SIGINT and SIGTERM stop it as they stop
`db_worker`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("invites.worker")

# Longest wait, in seconds, between two starts of the worker while the database fails.
MAX_WAIT = 30
# A worker that ran this long before the database failed starts the waits from 1 s again.
STEADY_RUN = 60


class Command(DbWorkerCommand):
    help = (
        "Run django-tasks-db's database worker (the options of db_worker), and start it "
        "again when the database fails instead of exiting."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        wait = 1
        while True:
            started = time.monotonic()
            try:
                super().handle(*args, **options)
                return  # --batch or --max-tasks: done
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() - started >= STEADY_RUN:
                    wait = 1
                logger.warning(
                    "The database failed (%s: %s); the worker starts again in %d s.",
                    type(error).__name__,
                    str(error).strip().splitlines()[0] if str(error).strip() else "",
                    wait,
                )
                connections.close_all()
                time.sleep(wait)
                wait = min(wait * 2, MAX_WAIT)
