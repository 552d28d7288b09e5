#!/usr/bin/env bash
# Fuzz the live REST API against its own OpenAPI schema with schemathesis.
#
# Starts the demo project (`manage.py runserver`, DEBUG off) on 127.0.0.1 with a fresh
# SQLite database (or FUZZ_DATABASE_URL), migrated, with demo invites, a superuser and
# a DRF token for it; then runs schemathesis against /api/schema/ as that admin, with a
# fixed number of examples per operation and a fixed seed, through every phase: the
# stateful one follows the schema's OpenAPI links (create -> retrieve, resend, refresh,
# accept, delete). Fails on any 5xx, any response that does not match the schema, and
# the other checks listed below.
#
# Usage: bash .ci/fuzz_api.sh   (env: PYTHON, FUZZ_PORT, FUZZ_DATABASE_URL,
#                                FUZZ_MAX_EXAMPLES, FUZZ_SEED)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
PORT=${FUZZ_PORT:-8765}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-50}
SEED=${FUZZ_SEED:-20240601}
WORKDIR=$(mktemp -d)
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT

export DEBUG=false
export SECRET_KEY="fuzz-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS=127.0.0.1
export SITE_URL="http://127.0.0.1:${PORT}"
export EMAIL_URL=dummymail://
export DATABASE_URL=${FUZZ_DATABASE_URL:-sqlite:///${WORKDIR}/fuzz.sqlite3}
# The accept endpoint is fuzzed too: a rate this high never throttles the run.
export INVITE_ACCEPT_RATE=100000/minute

"$PYTHON" manage.py migrate --noinput -v 0
# The accept rate limit's shared cache (the demo's default without DEBUG).
"$PYTHON" manage.py createcachetable
"$PYTHON" manage.py seed_demo --username fuzz-admin > /dev/null
TOKEN=$("$PYTHON" manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model()._default_manager.get(username='fuzz-admin')
print(Token.objects.get_or_create(user=user)[0].key)
")

"$PYTHON" manage.py runserver "127.0.0.1:${PORT}" --noreload > "${WORKDIR}/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 60); do
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/api/schema/')" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

status=0
"$PYTHON" -m schemathesis.cli --config-file .ci/schemathesis.toml run "http://127.0.0.1:${PORT}/api/schema/?format=json" \
    --header "Authorization: Token ${TOKEN}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance,unsupported_method,allow_header_conformance,ignored_auth,use_after_free,ensure_resource_availability \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --request-timeout 30 \
    --no-color 2>&1 | tee "${WORKDIR}/schemathesis.log" || status=$?

# The stateful phase must have run and followed the schema's links (create -> retrieve,
# resend, refresh, accept, delete), not been skipped for want of them.
if [[ $status -eq 0 ]] && ! grep -Eq "API Links: +[1-9][0-9]* covered" "${WORKDIR}/schemathesis.log"; then
    echo "The stateful phase followed no OpenAPI link."
    status=1
fi

if [[ $status -ne 0 ]]; then
    echo "--- server log (last 80 lines) ---"
    tail -n 80 "${WORKDIR}/server.log"
fi
exit $status
