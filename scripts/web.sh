#!/usr/bin/env bash
# The web app as `make run` serves it: nginx on $HOST:$PORT, buffering every request and answer,
# in front of gunicorn's workers on a unix socket (scripts/nginx.conf.template says why).
# Runs in the foreground; Ctrl-C or SIGTERM stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
WORKERS=${WEB_WORKERS:-3}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed; run scripts/system-deps.sh web (make does it)." >&2; exit 1; }

# Outside the checkout: when started as root, nginx's workers run as nobody and must reach the
# socket through every directory above it.
RUN=$(mktemp -d "${TMPDIR:-/tmp}/gridcase-web.XXXXXX")
chmod 755 "$RUN"
MAX_BODY=$(.venv/bin/python -c 'import config; print(config.Config.MAX_CONTENT_LENGTH * 2)')
sed -e "s|@RUN@|$RUN|g" -e "s|@HOST@|$HOST|g" -e "s|@PORT@|$PORT|g" -e "s|@MAX_BODY@|$MAX_BODY|g" \
  scripts/nginx.conf.template > "$RUN/nginx.conf"

gunicorn_pid=""
nginx_pid=""
stop() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -n "$gunicorn_pid" ] && kill "$gunicorn_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap stop EXIT
trap 'exit 0' INT TERM

# One proxy hop in front of the app: it takes the client's address from X-Forwarded-For (sign-in
# throttling and the audit log need it). Behind a further load balancer, set it higher.
# The access log leaves out query strings (%(U)s is the path alone): they may carry search
# terms about people.
GRIDCASE_PROXY_HOPS=${GRIDCASE_PROXY_HOPS:-1} .venv/bin/gunicorn \
  --bind "unix:$RUN/gunicorn.sock" --umask 0 --workers "$WORKERS" \
  --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss' \
  wsgi:app &
gunicorn_pid=$!
"$NGINX" -c "$RUN/nginx.conf" -p "$RUN" -e stderr -g 'daemon off;' &
nginx_pid=$!
# Either one ending ends both.
wait -n "$gunicorn_pid" "$nginx_pid"
