#!/usr/bin/env bash
# SMTP fault test of invite emails: an aiosmtpd server of the test's own with faults
# (451s, connections dropped mid-DATA, slow, then down), 2,000 invites refreshed during
# delivery, a worker SIGKILLed mid-batch, real workers on PostgreSQL (scripts/smtp_faults.py).
# Usage: .ci/smtp_faults.sh [--engine database|rq]. Needs PostgreSQL on 127.0.0.1:5432 and
# the venv with aiosmtpd (requirements-dev.txt). E2E_DATABASE_URL names a database that is
# DROPPED and re-created (default invites_smtp_faults); E2E_SMTP_PORT the server's port.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" scripts/smtp_faults.py "$@"
