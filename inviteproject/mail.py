"""Django 6.1's `MAILERS` entry built from django-environ's `EMAIL_URL` settings."""

from __future__ import annotations

from typing import Any

# django-environ's setting names and the email backends' keyword arguments.
OPTION_NAMES = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_TIMEOUT": "timeout",
    "EMAIL_SSL_KEYFILE": "ssl_keyfile",
    "EMAIL_SSL_CERTFILE": "ssl_certfile",
    "EMAIL_FILE_PATH": "file_path",
}


def mailer_from_email_settings(config: dict[str, Any]) -> dict[str, Any]:
    """`{"BACKEND": ..., "OPTIONS": {...}}` from `env.email_url(...)`'s dict."""
    options = {
        OPTION_NAMES[name]: value
        for name, value in config.items()
        if name in OPTION_NAMES and value not in (None, "")
    }
    return {"BACKEND": config["EMAIL_BACKEND"], "OPTIONS": options}
