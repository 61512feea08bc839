#!/usr/bin/env bash
# `make bench`: a release server on a temporary SQLite database, loaded with wrk.
# Prints requests/s and p50/p99 latency for /healthz and the signed-in dashboard.
# Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/tenantry}
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
EMAIL=bench@tenantry.test
PASSWORD=bench-password-123

TENANTS=${BENCH_TENANTS:-10000}
echo "Seeding $TENANTS tenants through the services (audited)…"
SEED_START=$(date +%s)
DATABASE_URL="sqlite://$WORK/bench.db" TENANTRY_ADMIN_EMAIL=$EMAIL TENANTRY_ADMIN_PASSWORD=$PASSWORD RUST_LOG=warn \
  "$BIN" seed --tenants "$TENANTS" >/dev/null
echo "Seeded in $(( $(date +%s) - SEED_START )) s"

DATABASE_URL="sqlite://$WORK/bench.db" TENANTRY_LISTEN_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site \
  TENANTRY_ADMIN_EMAIL=$EMAIL TENANTRY_ADMIN_PASSWORD=$PASSWORD RUST_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

COOKIE=$(curl -fsS -D - -o /dev/null --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$BASE/api/fn/login" \
  | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
[ -n "$COOKIE" ] || { echo "bench: could not sign in"; exit 1; }

report() {
  local name=$1; shift
  local out; out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"$DURATION" "$@")
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
  printf '%-22s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}

echo "Tenantry bench — release build, SQLite with $TENANTS tenants, wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores"
report "GET /healthz" "$BASE/healthz"
report "GET / (dashboard)" -H "Cookie: $COOKIE" "$BASE/"
report "tenant list, page 1" -H "Cookie: $COOKIE" "$BASE/tenants"
report "tenant list, filtered" -H "Cookie: $COOKIE" "$BASE/tenants?state=active&environment=production"
report "tenant list, search" -H "Cookie: $COOKIE" "$BASE/tenants?q=globex"
report "tenant list, deep page" -H "Cookie: $COOKIE" "$BASE/tenants?page=150&per_page=50"
