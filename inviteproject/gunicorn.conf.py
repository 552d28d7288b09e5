"""gunicorn settings of the demo: `gunicorn -c inviteproject/gunicorn.conf.py inviteproject.wsgi`.

gunicorn logs every request line, query string included, so its access and error logs
would hold the raw token of every accept link followed; its logger here redacts them
(`invites.log.RedactTokens`). Everything else comes from the command line or
`GUNICORN_CMD_ARGS` (`--workers`, `--threads`, `--bind`...).
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from invites.log import RedactTokens

# Log requests to stderr unless the command line names a file.
accesslog = "-"

# Threads, not one request per process: a client that sends its request slowly (or
# never finishes it) holds one thread while the others go on serving, where a sync
# worker would be frozen. A buffering proxy in front (nginx) shields gunicorn as well.
worker_class = "gthread"
threads = 8


class Logger(glogging.Logger):
    """gunicorn's logger, with invite tokens redacted from access and error logs."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(RedactTokens())


logger_class = Logger
