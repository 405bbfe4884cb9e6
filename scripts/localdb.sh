#!/usr/bin/env bash
# The project-local PostgreSQL + PostGIS cluster, kept in .pgdata/ (ignored by git).
#
#   scripts/localdb.sh start            initialise on first use, start if stopped
#   scripts/localdb.sh createdb NAME    create database NAME with PostGIS if missing
#   scripts/localdb.sh stop | status
#
# It listens on 127.0.0.1:${GRIDCASE_PGPORT:-54329}; config.py's default DATABASE_URL points
# there, so `flask --app wsgi gridcase …` reaches it with no settings. With DATABASE_URL set
# the local cluster is not used and every command here is a no-op.
#
# PostgreSQL refuses to run as root: run as root, the cluster belongs to the `postgres` system
# user (created if missing) and every server command goes through runuser.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${GRIDCASE_PGPORT:-54329}
# Two roles: the app's, and the owner of the tables, which migrations run as. The app's role may
# only read and append to the event log and the audit log (migrations/env.py grants it), so
# not even the app's own credentials can rewrite them.
APP_ROLE=gridcase
APP_PASSWORD=gridcase
OWNER_ROLE=gridcase_owner
OWNER_PASSWORD=gridcase_owner

if [ -n "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL is set: using that database, not the local cluster."
  exit 0
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL is not installed; run scripts/system-deps.sh server (make does it)." >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  OWNER=postgres
  id -u "$OWNER" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$OWNER"
  as_owner() { runuser -u "$OWNER" -- "$@"; }
else
  OWNER=$(id -un)
  as_owner() { "$@"; }
fi

# The data folder lives in the checkout when the cluster's owner can reach it there; a checkout
# under a private home (/root is 0700) cannot be entered by `postgres`, so the data then lives in
# /var/lib/gridcase/<hash of the checkout path> and .pgdata is a link to it.
DATA="$ROOT/.pgdata"
if [ ! -e "$DATA" ]; then
  if [ "$OWNER" != "$(id -un)" ] && ! runuser -u "$OWNER" -- test -x "$ROOT"; then
    target="/var/lib/gridcase/$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
    mkdir -p "$target"
    ln -s "$target" "$DATA"
  else
    mkdir -p "$DATA"
  fi
fi
DATA=$(readlink -f "$DATA")
chown "$OWNER" "$DATA"
chmod 700 "$DATA"

psql_super() { as_owner env PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" -h "$DATA" -p "$PORT" -U postgres -d "${1:-postgres}" -v ON_ERROR_STOP=1 -qAt "${@:2}"; }

init_cluster() {
  echo "Initialising the local PostgreSQL cluster in $DATA"
  as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$DATA/postgresql.conf" <<EOF

# gridcase local cluster
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
shared_preload_libraries = 'pg_stat_statements'
shared_buffers = 256MB
# A development cluster: a crash may lose the last few commits, never corrupt data.
synchronous_commit = off
max_connections = 200
timezone = 'UTC'
log_min_duration_statement = -1
EOF
}

start_cluster() {
  [ -f "$DATA/PG_VERSION" ] || init_cluster
  if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null \
      || { echo "PostgreSQL did not start; see $DATA/server.log" >&2; tail -n 20 "$DATA/server.log" >&2; exit 1; }
  fi
  if [ "$(psql_super postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE'")" != 1 ]; then
    psql_super postgres -c "CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD'"
  fi
  if [ "$(psql_super postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$OWNER_ROLE'")" != 1 ]; then
    psql_super postgres -c "CREATE ROLE $OWNER_ROLE LOGIN PASSWORD '$OWNER_PASSWORD'"
  fi
  create_db gridcase
  echo "Local PostgreSQL is up on 127.0.0.1:$PORT (data in $DATA)."
}

create_db() {
  local name=$1
  if [ "$(psql_super postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    psql_super postgres -c "CREATE DATABASE $name OWNER $OWNER_ROLE"
  fi
  # A database made before the two roles: the owner role takes over what the app's owned.
  if [ "$(psql_super postgres -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$name'")" != "$OWNER_ROLE" ]; then
    psql_super postgres -c "ALTER DATABASE $name OWNER TO $OWNER_ROLE"
  fi
  if [ -n "$(psql_super "$name" -c "SELECT 1 FROM pg_class WHERE relowner = '$APP_ROLE'::regrole LIMIT 1")" ]; then
    psql_super "$name" -c "REASSIGN OWNED BY $APP_ROLE TO $OWNER_ROLE"
  fi
  # Extensions that need a superuser are created here once; migrations only check for them.
  psql_super "$name" -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
}

case "${1:-start}" in
  start) start_cluster ;;
  createdb) start_cluster >/dev/null; create_db "${2:?database name}" ;;
  stop) as_owner "$PGBIN/pg_ctl" -D "$DATA" -w stop ;;
  status) as_owner "$PGBIN/pg_ctl" -D "$DATA" status ;;
  *) echo "usage: $0 start|createdb NAME|stop|status" >&2; exit 2 ;;
esac
