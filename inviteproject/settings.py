"""Settings of the demo project, read from the environment (and an optional `.env`).

Every value has a development default. `SECRET_KEY` and `SITE_URL` have one only
when `DEBUG` is on: a production start without them fails loudly, naming every missing
variable at once, instead of running with a key published in this repository or
sending links to 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured

from inviteproject.mail import mailer_from_email_settings
from inviteproject.redis import redis_cache_location, rq_queue_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE names another file (the tests point it at none, so a local .env stays out).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)

# Variables production cannot do without: all the missing ones are named in one error.
REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a long random string that signs sessions and tokens",
    "SITE_URL": "the site's public address, e.g. https://invites.example.org",
}
if not DEBUG and (missing := [name for name in REQUIRED_IN_PRODUCTION if not env.str(name, "")]):
    raise ImproperlyConfigured(
        "DEBUG is off, so these environment variables must be set (or DEBUG=true for "
        "local development): "
        + "; ".join(f"{name} ({REQUIRED_IN_PRODUCTION[name]})" for name in missing)
    )

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-key-do-not-use-in-production")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "invites",
    # The demo itself: its `seed_demo` command (demo data stays out of the app's wheel).
    "inviteproject",
]

MIDDLEWARE = [
    # `/healthz` for a load balancer: answered first, so neither the HTTPS redirect nor
    # the Host check below turns its plain-HTTP probe into a 301 or a 400.
    "inviteproject.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's styles, the API docs' assets) from STATIC_ROOT, filled by
    # `manage.py collectstatic`, so production needs no separate file server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database that does not answer: a 503 page with Retry-After instead of a 500.
    "invites.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "inviteproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "inviteproject.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
    # up instead of one failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic also writes a gzipped copy of each file, which WhiteNoise serves.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Behind a reverse proxy. NUM_PROXIES is how many proxies stand in front and append to
# X-Forwarded-For; the accept limit and the API's throttles count the address the
# outermost one saw. 0 (the default) counts REMOTE_ADDR: a header a client could forge
# is never trusted unless a proxy is said to set it.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# SECURE_PROXY_SSL=true: the proxy terminates TLS and sets `X-Forwarded-Proto: https`
# (and strips a client's own), so Django knows which requests came over HTTPS.
SECURE_PROXY_SSL = env.bool("SECURE_PROXY_SSL", default=False)
if SECURE_PROXY_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS (an https SITE_URL with DEBUG off): cookies only over HTTPS, and
# plain HTTP redirected once Django can tell the two apart.
HTTPS = env.bool("HTTPS", default=not DEBUG and env.str("SITE_URL", "").startswith("https://"))
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS and SECURE_PROXY_SSL)
# HSTS binds browsers to HTTPS for this long: 0 (off) until chosen, as it cannot be
# taken back before it runs out.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Origins allowed to POST forms besides the site's own, e.g. https://*.example.org.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Invitees sign in with their email, in any case; the admin's username works too (and
# an invitee's username, derived from the email, in any case or Unicode form).
AUTHENTICATION_BACKENDS = [
    "inviteproject.auth.EmailBackend",
    "invites.backends.UsernameBackend",
]

# Invitees sign in here after accepting (the admin's login refuses non-staff users).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "login"

# The console backend prints every email, invite links included, to the server's
# output: a development default only. Without DEBUG the default is Django's own, SMTP
# on localhost.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
# Seconds an SMTP connection may wait on the server: without one, a server that hangs
# blocks a worker for good.
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_CONFIG["EMAIL_TIMEOUT"] = env.float("EMAIL_TIMEOUT", default=10.0)
if django.VERSION >= (6, 1):
    # Django 6.1 configures email backends in MAILERS and deprecates the EMAIL_* settings.
    MAILERS = {"default": mailer_from_email_settings(EMAIL_CONFIG)}
else:
    vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="invites@localhost")

# Background tasks (invite emails): "immediate" runs them in the request (development),
# "database" queues them in the database for `manage.py db_worker` processes, "rq" in
# Redis (REDIS_URL) for `manage.py rqworker default --job-class django_tasks_rq.Job
# --with-scheduler` processes (the `[rq]` extra); any other value is taken as the dotted
# path of a task backend class.
TASKS_BACKENDS = {
    "immediate": (
        "django.tasks.backends.immediate.ImmediateBackend"
        if django.VERSION >= (6, 0)
        else "django_tasks.backends.immediate.ImmediateBackend"
    ),
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
if TASKS_BACKEND not in TASKS_BACKENDS and "." not in TASKS_BACKEND:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASKS_BACKENDS)} or a dotted path, "
        f"not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASKS_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND)}}
# The database queue's table is migrated whatever the backend, so switching needs no
# migration; Django 5.2 also needs the backport of django.tasks as an app.
INSTALLED_APPS += ["django_tasks_db"]
if django.VERSION < (6, 0):
    INSTALLED_APPS += ["django_tasks"]

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if TASKS_BACKEND == "rq":
    if importlib.util.find_spec("django_tasks_rq") is None:
        raise ImproperlyConfigured(
            "TASKS_BACKEND=rq needs django-tasks-rq: pip install 'django-invites[rq]'."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS["default"]["QUEUES"] = ["default"]
    RQ_QUEUES = {"default": rq_queue_config(REDIS_URL)}

# Absolute address of this site, used for links in emails (never the request's Host).
# A development default only while DEBUG is on (REQUIRED_IN_PRODUCTION above).
if site_url := env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else ""):
    SITE_URL = site_url

# The accept rate limit counts in the default cache, so every process that serves the
# site must share it: without DEBUG the default is the database cache (create its table
# once with `manage.py createcachetable`; `make run` does), large enough that culling
# cannot delete a client's counter, or with TASKS_BACKEND=rq the same Redis server as the
# queue; any cache works (CACHE_URL=rediscache://127.0.0.1:6379/1). A process-local cache
# is for development.
if TASKS_BACKEND == "rq" and not env.str("CACHE_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_cache_location(REDIS_URL),
        }
    }
else:
    CACHES = {
        "default": env.cache_url(
            "CACHE_URL",
            default="locmemcache://" if DEBUG else "dbcache://invites_cache?max_entries=100000",
        )
    }

INVITES = {
    "VALID_DURATION": timedelta(seconds=env.int("INVITE_VALID_DURATION", default=86400)),
    "ACCEPT_RATE": env.str("INVITE_ACCEPT_RATE", default="10/minute"),
    # At most one invite email per invitee within this many seconds (0: no cooldown).
    "EMAIL_COOLDOWN": timedelta(seconds=env.int("INVITE_EMAIL_COOLDOWN", default=60)),
}
# Unset, the app links to its own accept page wherever invites.urls is mounted.
if accept_url := env.str("INVITE_ACCEPT_URL", default=""):
    INVITES["ACCEPT_URL"] = accept_url

# The invites API sets its own authentication, permission, parser, renderer, filter,
# pagination and throttle classes, so these project defaults only pick the schema class.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Invites API",
    "DESCRIPTION": "Create, list, resend, refresh, delete and accept user invitations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets come from drf-spectacular-sidecar: no outside network needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logs go to stderr. Unhandled errors (`django.request`, with their traceback) are
# logged whatever DEBUG says, and emailed to ADMINS when DEBUG is off; the email hides
# the accept form's fields and the token (the app marks them sensitive). Every line
# passes `RedactTokens`, so the request lines of `runserver` (`django.server`) carry
# no invite token either.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "invites.log.RedactTokens"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
        "server": {
            "class": "logging.StreamHandler",
            "formatter": "server",
            "filters": ["redact_tokens"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_tokens"],
        },
    },
    "loggers": {
        "invites": {"handlers": ["console"], "level": env.str("INVITES_LOG_LEVEL", default="INFO")},
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "level": "ERROR",
            "propagate": False,
        },
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
