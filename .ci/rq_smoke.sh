#!/usr/bin/env bash
# The demo on Redis + RQ, as docs/emails.md runs it: TASKS_BACKEND=rq on REDIS_URL (default
# redis://127.0.0.1:6379/0, which must answer), a fresh SQLite file, emails to files. An
# invite is created (its task pushed to Redis after the commit), one
# `rqworker ... --with-scheduler --burst` delivers it, and the cache is on the same Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/mail"
export ENV_FILE="$work/no.env" DEBUG=false SECRET_KEY="rq-smoke-secret-key-0123456789abcdef"
export SITE_URL="https://smoke.example.com" DATABASE_URL="sqlite:///$work/db.sqlite3"
export TASKS_BACKEND=rq REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export EMAIL_URL="filemail:///$work/mail" INVITE_EMAIL_COOLDOWN=0
unset CACHE_URL

"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py shell -v 0 -c "
import django_rq
from django.core.cache import caches
from invites import services
django_rq.get_queue('default').empty()
[invite] = services.create_invites(['smoke@example.com'])
assert django_rq.get_queue('default').count == 1, 'the email task is not in Redis'
cache = caches['default']
cache.set('rq-smoke', 1)
backend = type(cache).__name__
assert backend == 'RedisCache' and cache.get('rq-smoke') == 1, backend
"
"$PY" manage.py rqworker default --job-class django_tasks_rq.Job --with-scheduler --burst -v 0
"$PY" manage.py shell -v 0 -c "
from invites.models import Invite
invite = Invite.objects.get()
assert invite.sent_at is not None and invite.delivery_status == 'sent', invite.delivery_status
"
grep -q "smoke.example.com/invites/accept/?token=" "$work"/mail/*
"$PY" manage.py send_invite_emails --status
echo "rq smoke: the invite email went through Redis and an rqworker"
