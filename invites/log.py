"""A logging filter that keeps raw invite tokens out of log lines.

The emailed link carries its token in the query string (`/invites/accept/?token=...`),
and web servers log every request line: `runserver` through the `django.server`
logger, gunicorn through `gunicorn.access`, uwsgi and nginx in their own files. Attach
`RedactTokens` to the handlers (or loggers) that write request lines:

```python
LOGGING = {
    "version": 1,
    "filters": {"redact_tokens": {"()": "invites.log.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    ...
}
```

It needs no Django settings, so a server's own logging configuration (gunicorn's
`logger_class`, say) can use it before Django starts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

REDACTED = "********"

# The value of a `token` query parameter, in any position, escaped or not.
TOKEN_PARAMETER = re.compile(r"((?:^|[?&;])token=)[^&;#\s\"']+", re.IGNORECASE)
# A raw token anywhere else (a custom ACCEPT_URL can put it in a path): 43 characters of
# URL-safe base64 standing alone, which is how every raw token is written.
RAW_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def redact(text: str) -> str:
    """`text` with every token parameter's value and every raw token replaced."""
    text = TOKEN_PARAMETER.sub(rf"\g<1>{REDACTED}", text)
    return RAW_TOKEN.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Redacts invite tokens from a record's message and its arguments; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always let it through."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, MutableMapping):
            # In place: gunicorn's access log passes a dict subclass that formats
            # missing keys as "-", which a plain dict would not.
            for key, value in list(args.items()):
                args[key] = _redact_value(value)
        elif isinstance(args, tuple):
            record.args = tuple(_redact_value(value) for value in args)
        return True
