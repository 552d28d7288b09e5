#!/usr/bin/env bash
# The demo as docs/deployment.md deploys it behind a proxy: gunicorn (2 threaded
# workers, DEBUG off, the database cache) behind nginx, which terminates TLS with a
# self-signed certificate and sets X-Forwarded-For and X-Forwarded-Proto; the demo has
# NUM_PROXIES=1 and SECURE_PROXY_SSL=true. scripts/proxy_smoke.py then checks separate
# limits per client, Secure cookies, static files, the health check, and slow clients.
#
# Usage: bash .ci/proxy_smoke.sh   (env: PYTHON, PROXY_SMOKE_GUNICORN_PORT,
# PROXY_SMOKE_NGINX_PORT; GUNICORN_CMD_ARGS="--worker-class sync --threads 1" shows two
# slow clients freezing sync workers)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
APP_PORT=${PROXY_SMOKE_GUNICORN_PORT:-8260}
TLS_PORT=${PROXY_SMOKE_NGINX_PORT:-8263}
WORKDIR=$(mktemp -d)
# nginx's workers may run as another user: they read the certificate and write
# their temporary files here.
chmod 755 "$WORKDIR"
SERVER_PID=""
NGINX_STARTED=""

cleanup() {
    if [[ -n "$NGINX_STARTED" ]]; then
        "$NGINX" -p "$WORKDIR" -c "$WORKDIR/nginx.conf" -s stop 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$WORKDIR/tls.key" -out "$WORKDIR/tls.crt" 2>/dev/null
chmod 644 "$WORKDIR/tls.key"
mkdir -p "$WORKDIR/nginx-tmp" && chmod 777 "$WORKDIR/nginx-tmp"
cat > "$WORKDIR/nginx.conf" <<NGINX
worker_processes 1;
pid $WORKDIR/nginx.pid;
error_log $WORKDIR/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    # Without the query string, which holds the token (docs/deployment.md, Logging).
    log_format invites '\$remote_addr [\$time_local] "\$request_method \$uri \$server_protocol" \$status';
    access_log $WORKDIR/nginx-access.log invites;
    client_body_temp_path $WORKDIR/nginx-tmp/body;
    proxy_temp_path $WORKDIR/nginx-tmp/proxy;
    fastcgi_temp_path $WORKDIR/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORKDIR/nginx-tmp/uwsgi;
    scgi_temp_path $WORKDIR/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:${TLS_PORT} ssl;
        ssl_certificate $WORKDIR/tls.crt;
        ssl_certificate_key $WORKDIR/tls.key;
        location / {
            proxy_pass http://127.0.0.1:${APP_PORT};
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
NGINX

export ENV_FILE="$WORKDIR/no.env"
export DEBUG=false
export SECRET_KEY="proxy-smoke-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SITE_URL="https://127.0.0.1:${TLS_PORT}"
export ALLOWED_HOSTS=127.0.0.1
export DATABASE_URL="sqlite:///${WORKDIR}/smoke.sqlite3"
export EMAIL_URL="filemail:///${WORKDIR}/mail"
export STATIC_ROOT="${WORKDIR}/static"
export NUM_PROXIES=1 SECURE_PROXY_SSL=true SECURE_HSTS_SECONDS=60 INVITE_ACCEPT_RATE=10/minute
unset CACHE_URL TASKS_BACKEND

"$PYTHON" manage.py migrate --noinput -v 0
"$PYTHON" manage.py createcachetable
"$PYTHON" manage.py collectstatic --noinput -v 0
"$PYTHON" manage.py check --deploy --fail-level ERROR
ADMIN_PASSWORD="proxy-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKEN=$(ADMIN_PASSWORD="$ADMIN_PASSWORD" "$PYTHON" manage.py shell -v 0 -c "
import os
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model()._default_manager.create_superuser(
    'proxy-admin', email='proxy-admin@example.com', password=os.environ['ADMIN_PASSWORD'])
print(Token.objects.create(user=user).key)
")

"$PYTHON" -m gunicorn -c inviteproject/gunicorn.conf.py inviteproject.wsgi \
    --workers 2 \
    --bind "127.0.0.1:${APP_PORT}" \
    --access-logfile "${WORKDIR}/access.log" --error-logfile "${WORKDIR}/error.log" &
SERVER_PID=$!
"$NGINX" -t -q -p "$WORKDIR" -c "$WORKDIR/nginx.conf"
"$NGINX" -p "$WORKDIR" -c "$WORKDIR/nginx.conf"
NGINX_STARTED=1
for _ in $(seq 60); do
    # Any answer will do: plain HTTP is redirected to HTTPS.
    if "$PYTHON" -c "import http.client as h; c = h.HTTPConnection('127.0.0.1', ${APP_PORT}, timeout=2); c.request('GET', '/'); c.getresponse()" 2>/dev/null; then
        break
    fi
    sleep 0.5
done

status=0
"$PYTHON" scripts/proxy_smoke.py --proxy "127.0.0.1:${TLS_PORT}" --app "127.0.0.1:${APP_PORT}" \
    --ca "$WORKDIR/tls.crt" --api-token "$TOKEN" --admin proxy-admin \
    --password "$ADMIN_PASSWORD" || status=$?
if [[ $status -ne 0 ]]; then
    for log in "$WORKDIR"/*.log; do
        echo "--- $(basename "$log") (last 30 lines) ---"
        tail -n 30 "$log"
    done
fi
exit $status
