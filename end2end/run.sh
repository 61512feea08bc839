#!/usr/bin/env bash
# Starts the built server on a temporary SQLite database and a free port, runs
# the browser tests against it, and always stops the server afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/tenantry}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export E2E_BASE_URL="http://127.0.0.1:$PORT"
export E2E_ADMIN_EMAIL="e2e-admin@tenantry.test"
export E2E_ADMIN_PASSWORD="e2e-password-$(date +%s)"

# Simulated change steps take 0.4 s, so rollouts finish within a test.
DATABASE_URL="sqlite://$WORK/tenantry.db" TENANTRY_OUTBOX_DIR="$WORK/outbox" TENANTRY_BACKUP_TARGET="$WORK/backups" TENANTRY_LISTEN_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site \
  TENANTRY_SIMULATOR_STEP_MS=400 TENANTRY_OUTBOUND_ALLOW=127.0.0.0/8 \
  TENANTRY_ADMIN_EMAIL="$E2E_ADMIN_EMAIL" TENANTRY_ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "$E2E_BASE_URL/readyz" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { echo "server exited early:"; cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$E2E_BASE_URL/readyz" >/dev/null || { echo "server never became ready:"; cat "$WORK/server.log"; exit 1; }

mkdir -p end2end/screenshots
status=0
(cd end2end && node --test --test-concurrency=1 ${E2E_TESTS:-tests/}) || status=$?
if [ $status -ne 0 ]; then echo "--- server log ---"; tail -50 "$WORK/server.log"; fi
exit $status
