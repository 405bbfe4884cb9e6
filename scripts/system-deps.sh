#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages gridcase needs, only those missing.
#
#   scripts/system-deps.sh [server|browser|assets]...
#
#   server   PostgreSQL + PostGIS for the project-local cluster (skipped when DATABASE_URL is set)
#   browser  Chromium for the browser tests
#   assets   Node.js and npm, to install the front-end libraries from the npm registry
#   web      nginx, the buffering proxy `make run` puts in front of gunicorn (scripts/web.sh)
#
# As root it runs apt-get itself; otherwise it names the one command to run and fails.
set -euo pipefail

pg_version() {
  # The newest PostgreSQL installed, else the distribution's default major version.
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -z "$v" ]; then
    v=$(apt-cache show postgresql 2>/dev/null | sed -n 's/^Depends: postgresql-\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "${v:-15}"
}

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)

for part in "$@"; do
  case "$part" in
    server)
      [ -n "${DATABASE_URL:-}" ] && continue
      v=$(pg_version)
      [ -x "/usr/lib/postgresql/$v/bin/postgres" ] || missing+=("postgresql-$v")
      [ -f "/usr/share/postgresql/$v/extension/postgis.control" ] || missing+=("postgresql-$v-postgis-3")
      [ -f "/usr/share/postgresql/$v/extension/pg_trgm.control" ] || missing+=("postgresql-contrib")
      ;;
    browser)
      command -v chromium >/dev/null 2>&1 || missing+=(chromium)
      # CJK glyphs for screenshots and layout checks of the Chinese pages.
      [ -d /usr/share/fonts/opentype/noto ] || fc-list 2>/dev/null | grep -qi 'CJK' || missing+=(fonts-noto-cjk)
      ;;
    assets)
      command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
      ;;
    web)
      command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
      ;;
    *) echo "system-deps: unknown part '$part'" >&2; exit 2 ;;
  esac
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "gridcase needs these system packages: ${missing[*]}" >&2
  echo "Run once:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "System packages installed."
