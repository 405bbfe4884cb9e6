#!/usr/bin/env bash
# Runs the web app (nginx in front of gunicorn: scripts/web.sh) in the foreground, and the
# scheduler as its own process beside it (DESIGN §6: never inside web workers). Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}

.venv/bin/flask --app wsgi gridcase scheduler &
scheduler=$!
trap 'kill $scheduler 2>/dev/null || true' EXIT INT TERM

cat <<EOT

  gridcase is running at http://$HOST:$PORT/
    API            http://$HOST:$PORT/api/v1/      (OpenAPI: /api/v1/openapi.json)
    Health         http://$HOST:$PORT/healthz
  Demo logins (password gridcase-demo):
    demo-worker     网格员 (a grid of 枫桥镇)      demo-community  村社调解员
    demo-township   枫桥镇综治中心                demo-city       市指挥中心 *
    demo-admin      系统管理员 *                  demo-auditor    审计员
    demo-unit       枫桥镇人力社保所 承办人        demo-unit-head  负责人
  * signs in with a second factor: add the secret printed by load-demo to an
    authenticator app, or print the current code with
    .venv/bin/flask --app wsgi gridcase demo-otp demo-city
  Stop with Ctrl-C.

EOT
bash scripts/web.sh
