#!/usr/bin/env bash
# End-to-end run of background invite emails (issue 5): PostgreSQL, django-tasks-db,
# real `db_worker` processes, 1,000 invites bulk-refreshed, every email checked.
# Needs PostgreSQL on 127.0.0.1:5432 (role invites/invites with CREATEDB) and the venv.
# E2E_DATABASE_URL names a database that is DROPPED and re-created (default invites_e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" scripts/e2e_worker.py "$@"
