#!/usr/bin/env bash
# Starts the release server for the browser tests over a new database with the demo data.
set -euo pipefail
dir="target/e2e"
rm -rf "$dir" && mkdir -p "$dir"
export DEKAPAN_DATABASE_URL="sqlite://$dir/dekapan.sqlite?mode=rwc"
export DEKAPAN_ADDR="127.0.0.1:${DEKAPAN_E2E_PORT:-3100}"
export LEPTOS_SITE_ROOT="target/site"
export LEPTOS_ENV="PROD"
exec target/release/server
