#!/usr/bin/env bash
# The demo in production shape: gunicorn with two worker processes, DEBUG off, the
# demo's default cache (the database cache, shared by the workers), a fresh SQLite
# database (or SMOKE_DATABASE_URL). scripts/gunicorn_smoke.py then follows one accept
# link 20 times from one address (exactly 10 answers may be other than 429) and greps
# every log the server wrote for raw tokens and the password.
#
# Usage: bash .ci/gunicorn_smoke.sh   (env: PYTHON, SMOKE_PORT, SMOKE_DATABASE_URL)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
PORT=${SMOKE_PORT:-8766}
WORKDIR=$(mktemp -d)
LOGS="${WORKDIR}/logs"
mkdir -p "$LOGS"
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
export SECRET_KEY="smoke-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ALLOWED_HOSTS=127.0.0.1
export SITE_URL="http://127.0.0.1:${PORT}"
export DATABASE_URL=${SMOKE_DATABASE_URL:-sqlite:///${WORKDIR}/smoke.sqlite3}
export EMAIL_URL="filemail:///${WORKDIR}/mail"
export INVITE_ACCEPT_RATE=10/minute
# No CACHE_URL: without DEBUG the demo's default is the database cache. (SMOKE_CACHE_URL
# overrides it, e.g. `locmemcache://` to watch the run fail with a per-process cache.)
unset CACHE_URL
if [[ -n "${SMOKE_CACHE_URL:-}" ]]; then export CACHE_URL="$SMOKE_CACHE_URL"; fi

"$PYTHON" manage.py migrate --noinput -v 0
"$PYTHON" manage.py createcachetable
# No error, and no warning that the accept limit's cache is per process (invites.W003).
checks=$("$PYTHON" manage.py check --deploy --fail-level ERROR 2>&1) || { echo "$checks"; exit 1; }
if grep -E "invites\.W00[34]" <<<"$checks"; then exit 1; fi
"$PYTHON" manage.py seed_demo --username smoke-admin > /dev/null
TOKEN=$("$PYTHON" manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model()._default_manager.get(username='smoke-admin')
print(Token.objects.get_or_create(user=user)[0].key)
")

# The access log names the worker (pid=) that answered each request.
"$PYTHON" -m gunicorn -c inviteproject/gunicorn.conf.py inviteproject.wsgi \
    --workers 2 --bind "127.0.0.1:${PORT}" \
    --access-logfile "${LOGS}/access.log" --error-logfile "${LOGS}/error.log" \
    --access-logformat '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" pid=%(p)s' \
    > "${LOGS}/stdout.log" 2> "${LOGS}/stderr.log" &
SERVER_PID=$!
for _ in $(seq 60); do
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/api/schema/')" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

status=0
"$PYTHON" scripts/gunicorn_smoke.py --base-url "http://127.0.0.1:${PORT}" --api-token "$TOKEN" \
    --logs "$LOGS" || status=$?

if [[ $status -ne 0 ]]; then
    for log in "$LOGS"/*.log; do
        echo "--- $(basename "$log") (last 40 lines) ---"
        tail -n 40 "$log"
    done
fi
exit $status
