#!/usr/bin/env bash
# End-to-end fault test of invite emails: PostgreSQL, django-tasks-db, gunicorn,
# real `db_worker` processes, 10,000 invites refreshed twice, kills, every email checked.
# Needs PostgreSQL on 127.0.0.1:5432 (role invites/invites with CREATEDB) and the venv.
# E2E_DATABASE_URL names a database that is DROPPED and re-created (default invites_e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" scripts/e2e_worker.py "$@"
