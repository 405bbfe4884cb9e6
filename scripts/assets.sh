#!/usr/bin/env bash
# Front-end libraries from the npm registry, served by the app itself (no CDN: government
# intranets have no internet). Installs package-lock.json's exact versions and copies the files
# the pages use into gridcase/web/static/vendor/ (ignored by git). axe-core stays in
# node_modules/: the browser tests inject it into the pages (tests/browser/test_accessibility.py).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
VENDOR=gridcase/web/static/vendor
rm -rf "$VENDOR"
mkdir -p "$VENDOR/leaflet" "$VENDOR/echarts" "$VENDOR/swagger-ui"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$VENDOR/leaflet/"
cp -r node_modules/leaflet/dist/images "$VENDOR/leaflet/"
cp node_modules/echarts/dist/echarts.min.js "$VENDOR/echarts/"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$VENDOR/swagger-ui/"
echo "Front-end assets copied to $VENDOR."
