#!/usr/bin/env bash
# `make bench`: a release server loaded with wrk, on SQLite and (when it is
# reachable) on PostgreSQL, each seeded with BENCH_TENANTS tenants through the
# services, plus the release catalog and ENDPOINTS_PER_TENANT endpoints each
# (in bulk). Prints the full compliance assessment time, requests/s and p50/p99 latency for the REST API and the
# tenant list page, events/s written with their changes and webhook delivery
# throughput with p99 latency. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/tenantry}
DURATION=${BENCH_DURATION:-10s}
# A handful of operators and scripts at once; raise it to see saturation.
CONNECTIONS=${BENCH_CONNECTIONS:-4}
TENANTS=${BENCH_TENANTS:-10000}
ENDPOINTS_PER_TENANT=${BENCH_ENDPOINTS_PER_TENANT:-100}
PG_ADMIN_URL=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
# Which databases to measure, and whether to run the (long) simulated rollout.
SUITES=${BENCH_SUITES:-sqlite postgres}
ROLLOUTS=${BENCH_ROLLOUTS:-1}
# Events written with their changes, then delivered to WEBHOOK_ENDPOINTS
# local webhook endpoints (0 events: skipped).
EVENTS=${BENCH_EVENTS:-10000}
WEBHOOK_ENDPOINTS=${BENCH_WEBHOOK_ENDPOINTS:-10}
EMAIL=bench@tenantry.test
PASSWORD=bench-password-123
WORK=$(mktemp -d)
SERVER=""
PG_DB=""
cleanup() {
  [ -n "${HEALTH_SERVER:-}" ] && kill "$HEALTH_SERVER" 2>/dev/null || true
  [ -n "${RECEIVER:-}" ] && kill "$RECEIVER" 2>/dev/null || true
  [ -n "$SERVER" ] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  [ -n "${METRICS_SERVER:-}" ] && kill "$METRICS_SERVER" 2>/dev/null || true
  [ -n "$PG_DB" ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

report() {
  local name=$1; shift
  local out; out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"$DURATION" "$@")
  local rps p50 p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
  printf '  %-32s %9s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}

suite() {
  local label=$1 url=$2
  local port base env
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  # The vendor's own API limit is lifted: wrk is not an operator.
  env=(DATABASE_URL="$url" TENANTRY_ADMIN_EMAIL=$EMAIL TENANTRY_ADMIN_PASSWORD=$PASSWORD RUST_LOG=warn
    TENANTRY_API_RATE_VENDOR_PER_MINUTE=100000000)
  echo "$label: seeding $TENANTS tenants through the services (audited)…"
  local start; start=$(date +%s)
  env "${env[@]}" "$BIN" seed --tenants "$TENANTS" --endpoints-per-tenant "$ENDPOINTS_PER_TENANT" >/dev/null
  echo "  seeded in $(( $(date +%s) - start )) s ($ENDPOINTS_PER_TENANT endpoints per tenant)"
  for run in 1 2 3; do
    echo "  full compliance assessment, run $run: $(env "${env[@]}" "$BIN" assess)"
  done
  # Every tenant answers its health checks at one local server (a threaded
  # Python one); the active ones are probed, 16 at a time.
  health_server
  env=("${env[@]}" TENANTRY_OUTBOUND_ALLOW=127.0.0.1/32 TENANTRY_HEALTH_INTERVAL_SECONDS=30)
  echo "  health validation: $(env "${env[@]}" "$BIN" validate-health --set-address "$HEALTH_URL" | tr '\n' ' ')"
  local token; token=$(env "${env[@]}" "$BIN" api-token create --email $EMAIL --name bench 2>/dev/null)
  env "${env[@]}" TENANTRY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
    TENANTRY_SIMULATOR_STEP_MS=0 TENANTRY_WORKER_CONCURRENCY=32 RUST_LOG=warn,server::startup=info "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  local cookie
  cookie=$(curl -fsS -D - -o /dev/null --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" "$base/api/fn/login" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
  [ -n "$cookie" ] && [ -n "$token" ] || { echo "bench: could not sign in"; cat "$WORK/server.log"; exit 1; }
  local auth="Authorization: Bearer $token"
  local slug; slug=$(curl -fsS -H "$auth" "$base/api/v1/tenants?per_page=1&page=42" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["slug"])')
  # Warm-up (not reported): pooled connections opened, caches filled.
  wrk -t2 -c"$CONNECTIONS" -d2s -H "$auth" "$base/api/v1/tenants" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Cookie: $cookie" "$base/tenants" >/dev/null
  echo "$label — release build, $TENANTS tenants, wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores"
  report "GET /healthz" "$base/healthz"
  report "API tenants, first page" -H "$auth" "$base/api/v1/tenants"
  report "API tenants, filtered" -H "$auth" "$base/api/v1/tenants?state=active&environment=production&plan=enterprise"
  report "API tenants, text search" -H "$auth" "$base/api/v1/tenants?q=globex"
  report "API tenants, deep page" -H "$auth" "$base/api/v1/tenants?page=190&per_page=50"
  report "API tenant by slug" -H "$auth" "$base/api/v1/tenants/$slug"
  report "page /tenants" -H "Cookie: $cookie" "$base/tenants"
  report "page /tenants, filtered" -H "Cookie: $cookie" "$base/tenants?state=active&environment=production"
  report "page /tenants, search" -H "Cookie: $cookie" "$base/tenants?q=globex"
  report "page / (dashboard)" -H "Cookie: $cookie" "$base/"
  wrk -t2 -c"$CONNECTIONS" -d2s -H "Cookie: $cookie" "$base/compliance" >/dev/null
  report "page /compliance" -H "Cookie: $cookie" "$base/compliance"
  report "page /compliance, in grace" -H "Cookie: $cookie" "$base/compliance?status=in_grace"
  report "API compliance" -H "$auth" "$base/api/v1/compliance"
  report "API endpoints of a tenant" -H "$auth" "$base/api/v1/tenants/$slug/endpoints?platform=linux"
  # By now the server's periodic validation (every 30 s) is probing the
  # fleet: the tenant list is measured again while it does.
  report "page /tenants, health validating" -H "Cookie: $cookie" "$base/tenants"
  report "page tenant Health tab" -H "Cookie: $cookie" "$base/tenants/$slug/health"
  # The tenant-centric views (issue 21): one tenant in one place, the whole
  # fleet ranked by trouble, and the service levels over every tenant.
  report "API tenant overview" -H "$auth" "$base/api/v1/tenants/$slug/overview"
  report "page tenant Overview" -H "Cookie: $cookie" "$base/tenants/$slug"
  report "API tenants ranked by trouble" -H "$auth" "$base/api/v1/tenant-trouble"
  report "page /health (trouble ranking)" -H "Cookie: $cookie" "$base/health"
  report "API service levels" -H "$auth" "$base/api/v1/service-levels"
  # The log is coloured: strip the escapes before reading the last round.
  echo "  periodic health rounds in the server: $(grep -c 'tenant health validated' "$WORK/server.log" || true); last: $(grep 'tenant health validated' "$WORK/server.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'probed=[0-9]* failed=[0-9]* skipped=[0-9]* took_ms=[0-9]*' || true)"
  if [ "$ROLLOUTS" = 1 ]; then rollouts "$base" "$auth"; fi
  if [ "$EVENTS" -gt 0 ]; then events "$base" "$auth" "$slug"; fi
  # The cost of metrics (issue 21): two servers on the same data, one
  # without metrics and one timing every request for /metrics, measured in
  # turns (off, on, off, on) so background work (the periodic health
  # rounds) weighs on both alike; then a scrape's duration over this data.
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  # Fresh ports: the stopped server's may not be free again yet.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  local metrics_token=bench-metrics-token-0123456789abcdef
  local port_on; port_on=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local base_on="http://127.0.0.1:$port_on"
  env "${env[@]}" TENANTRY_LISTEN_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
    RUST_LOG=warn "$BIN" serve >"$WORK/server-plain.log" 2>&1 &
  SERVER=$!
  env "${env[@]}" TENANTRY_LISTEN_ADDR="127.0.0.1:$port_on" LEPTOS_SITE_ROOT=target/site \
    TENANTRY_METRICS_TOKEN=$metrics_token RUST_LOG=warn "$BIN" serve >"$WORK/server-metrics.log" 2>&1 &
  METRICS_SERVER=$!
  for url in "$base" "$base_on"; do
    for _ in $(seq 1 100); do curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    wrk -t2 -c"$CONNECTIONS" -d2s -H "$auth" "$url/api/v1/tenants" >/dev/null
  done
  for turn in 1 2; do
    report "API tenants, metrics off ($turn)" -H "$auth" "$base/api/v1/tenants"
    report "API tenants, metrics on ($turn)" -H "$auth" "$base_on/api/v1/tenants"
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  base=$base_on
  SERVER=$METRICS_SERVER
  local scrapes=""
  for _ in 1 2 3; do
    scrapes="$scrapes $(curl -fsS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $metrics_token" "$base/metrics")"
  done
  echo "  /metrics scrape over $TENANTS tenants:$scrapes s; $(curl -fsS -H "Authorization: Bearer $metrics_token" "$base/metrics" | grep -c '^tenantry_') samples"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  limiter_and_usage "$auth"
  # Manifests (issue 24): export every tenant, plan them back (reads only).
  env "${env[@]}" "$BIN" bench-manifests | sed 's/^/  /'
  # Last: the sweep leaves a backup change per tenant behind.
  env "${env[@]}" TENANTRY_BACKUP_TARGET="$WORK/backups-$label" "$BIN" bench-backups | sed 's/^/  /'
}

# The API rate limiter's cost (issue 22): two servers on the same data, one
# with limits off and one counting every request in its buckets (limits far
# above the load, so nothing is refused), measured in turns; then usage
# ingest throughput: BENCH_USAGE_RECORDS records in batches of 1000.
limiter_and_usage() {
  local auth=$1 port_off port_on
  port_off=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  port_on=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local base_off="http://127.0.0.1:$port_off" base_on="http://127.0.0.1:$port_on"
  env "${env[@]}" TENANTRY_LISTEN_ADDR="127.0.0.1:$port_off" LEPTOS_SITE_ROOT=target/site \
    TENANTRY_API_RATE_LIMITS=off RUST_LOG=warn "$BIN" serve >"$WORK/server-unlimited.log" 2>&1 &
  SERVER=$!
  env "${env[@]}" TENANTRY_LISTEN_ADDR="127.0.0.1:$port_on" LEPTOS_SITE_ROOT=target/site \
    RUST_LOG=warn "$BIN" serve >"$WORK/server-limited.log" 2>&1 &
  METRICS_SERVER=$!
  for url in "$base_off" "$base_on"; do
    for _ in $(seq 1 100); do curl -fsS "$url/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    wrk -t2 -c"$CONNECTIONS" -d2s -H "$auth" "$url/api/v1/tenants" >/dev/null
  done
  for turn in 1 2; do
    report "API tenants, limiter off ($turn)" -H "$auth" "$base_off/api/v1/tenants"
    report "API tenants, limiter on ($turn)" -H "$auth" "$base_on/api/v1/tenants"
  done
  curl -fsS -D - -o /dev/null -H "$auth" "$base_on/api/v1/tenants" | tr -d '\r' | grep -i '^ratelimit-' | tr '\n' ' ' | sed 's/^/  headers: /'; echo
  local records=${BENCH_USAGE_RECORDS:-100000}
  local slugs; slugs=$(curl -fsS -H "$auth" "$base_on/api/v1/tenants?per_page=100" | python3 -c 'import json,sys; print(",".join(t["slug"] for t in json.load(sys.stdin)["items"]))')
  echo "  usage ingest: $(python3 - "$base_on" "$(echo "$auth" | cut -d' ' -f3)" "$records" "$slugs" <<'PY'
import json, sys, time, urllib.request, datetime
base, token, total, slugs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def post(batch):
    req = urllib.request.Request(base + "/api/v1/usage", data=json.dumps({"records": batch}).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.load(r)
start, accepted = time.time(), 0
for first in range(0, total, 1000):
    batch = [{"id": f"bench-{i}", "tenant": slugs[i % len(slugs)], "meter": "custom.bench_calls" if i % 2 else "storage_gb",
              "quantity": (i % 97) + 0.5, "at": now} for i in range(first, min(first + 1000, total))]
    accepted += post(batch)["accepted"]
took = time.time() - start
again = post([{"id": "bench-0", "tenant": slugs[0], "meter": "storage_gb", "quantity": 0.5, "at": now}])
print(f"{accepted} records in {took:.1f} s = {accepted / took:.0f} records/s (batches of 1000, {len(slugs)} tenants); resent: {again}")
PY
)"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  kill "$METRICS_SERVER"; wait "$METRICS_SERVER" 2>/dev/null || true; METRICS_SERVER=""
}

HEALTH_SERVER=""
health_server() {
  [ -n "$HEALTH_SERVER" ] && return
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$port" <<'PY' >/dev/null 2>&1 &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
PY
  HEALTH_SERVER=$!
  HEALTH_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do curl -fsS "$HEALTH_URL/" >/dev/null 2>&1 && break; sleep 0.1; done
}

json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Rollouts (issue 7): a release nobody runs yet, so every matching target is in scope.
rollouts() {
  local base=$1 auth=$2
  local product; product=$(curl -fsS -H "$auth" "$base/api/v1/products" | json_field '[p["id"] for p in d["items"] if p["key"]=="edge-gateway"][0]')
  curl -fsS -o /dev/null -H "$auth" -H 'content-type: application/json' \
    -d "{\"product_id\":\"$product\",\"version\":\"5.3.0\",\"released_on\":\"$(date +%F)\",\"components\":\"api=5.3.0\"}" "$base/api/v1/releases"
  # Planning an endpoint rollout (the active tenants of BENCH_PLAN_REGION, default eu-central-1; empty: all),
  # ~ENDPOINTS_PER_TENANT endpoints each; it waits for approval, so nothing runs.
  local planned; planned=$(curl -fsS -w ' %{time_total}' -H "$auth" -H 'content-type: application/json' \
    -d "{\"name\":\"bench endpoints\",\"scope\":\"endpoints\",\"product\":\"edge-gateway\",\"target_version\":\"5.3.0\",\"region\":\"${BENCH_PLAN_REGION-eu-central-1}\",\"waves\":\"1,10,50\",\"requires_approval\":true}" "$base/api/v1/rollouts")
  local plan_id=${planned%% *}; plan_id=$(echo "$plan_id" | json_field 'd["id"]')
  local plan_s=${planned##* }
  local endpoints; endpoints=$(curl -fsS -H "$auth" "$base/api/v1/rollouts/$plan_id" | json_field 'd["rollout"]["targets"]')
  echo "  rollout planning: $endpoints endpoint targets in waves 1/10/50/rest, planned in $(python3 -c "print(round($plan_s*1000))") ms (one request)"
  curl -fsS -o /dev/null -X POST -H "$auth" "$base/api/v1/rollouts/$plan_id/abort"
  # A simulated rollout over every active tenant (simulator at 0 ms per step, 32 jobs at once).
  local created; created=$(curl -fsS -H "$auth" -H 'content-type: application/json' \
    -d '{"name":"bench tenants","product":"edge-gateway","target_version":"5.3.0","waves":"1,10,50","concurrency":"64","success_threshold":"0","error_threshold":"100"}' "$base/api/v1/rollouts" | json_field 'd["id"]')
  local start_ms; start_ms=$(date +%s%3N)
  local status="" targets=0
  while true; do
    read -r status targets < <(curl -fsS -H "$auth" "$base/api/v1/rollouts/$created" | json_field 'd["rollout"]["status"] + " " + str(d["rollout"]["targets"])')
    case "$status" in succeeded|stopped|paused|aborted) break ;; esac
    sleep 1
  done
  local took_ms=$(( $(date +%s%3N) - start_ms ))
  local rss; rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$SERVER/status")
  echo "  simulated rollout: $targets tenant targets (4 executor steps each) $status in $(( took_ms / 1000 )) s = $(python3 -c "print(round($targets/($took_ms/1000), 1))") targets/s; server peak RSS $rss MiB"
}

# Events and webhooks (issue 20): BENCH_EVENTS setting changes over REST,
# each written with its audit record and event, with WEBHOOK_ENDPOINTS
# endpoints subscribed to them at a local receiver; then every delivery.
RECEIVER=""
events() {
  local base=$1 auth=$2 slug=$3
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 end2end/bench/webhook_receiver.py "$port" >/dev/null 2>&1 &
  RECEIVER=$!
  local receiver="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do curl -fsS "$receiver/stats" >/dev/null 2>&1 && break; sleep 0.1; done
  for i in $(seq 1 "$WEBHOOK_ENDPOINTS"); do
    curl -fsS -o /dev/null -H "$auth" -H 'content-type: application/json' \
      -d "{\"url\":\"$receiver/hook/$i\",\"event_types\":\"tenant.updated\",\"description\":\"bench $i\"}" "$base/api/v1/webhooks"
  done
  local out; out=$(BENCH_EVENTS=$EVENTS wrk --latency -t2 -c"$CONNECTIONS" -d120s -s end2end/bench/config_writes.lua -H "$auth" "$base/api/v1/tenants/$slug/config")
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/' | tr '\n' ' ')
  printf '  %-32s %9s events/s   p99 %8s   %s\n' "changes written with events" "$rps" "$p99" "$errors"
  # Every delivery, or until nothing more arrives for 20 s (then the figure
  # says how many came).
  local expected=$(( EVENTS * WEBHOOK_ENDPOINTS )) count=0 last=-1 idle=0
  while [ "$idle" -lt 20 ]; do
    count=$(curl -fsS "$receiver/stats" | json_field 'd["count"]')
    [ "$count" -ge "$expected" ] && break
    if [ "$count" = "$last" ]; then idle=$((idle + 1)); else idle=0; last=$count; fi
    sleep 1
  done
  curl -fsS "$receiver/stats" | python3 -c "
import json, sys
d = json.load(sys.stdin)
span = max((d['last'] or 0) - (d['first'] or 0), 0.001)
print(f\"  webhook deliveries: {d['count']} of $expected to $WEBHOOK_ENDPOINTS endpoints, {d['count']/span:.0f} deliveries/s, event-to-receiver p50 {d['p50_ms']:.0f} ms, p99 {d['p99_ms']:.0f} ms\")
"
  # What the portal says is left: pending and dead deliveries, failing
  # endpoints, and the delivery loop's own warnings.
  curl -fsS -H "$auth" "$base/api/v1/webhooks" | python3 -c "
import json, sys
d = json.load(sys.stdin)
items = d['items'] if isinstance(d, dict) else d
print(f\"  webhook queue at the end: {sum(e['pending'] for e in items)} pending, {sum(e['dead'] for e in items)} dead, {sum(1 for e in items if e['failing_since'])} endpoint(s) failing, {sum(1 for e in items if not e['enabled'])} disabled\")
"
  echo "  delivery warnings in the server log: $(grep -c 'webhook delivery' "$WORK/server.log" || true)"
  kill "$RECEIVER" 2>/dev/null || true; RECEIVER=""
}

if [[ " $SUITES " == *" sqlite "* ]]; then
  suite "SQLite" "sqlite://$WORK/bench.db"
fi
if [[ " $SUITES " != *" postgres "* ]]; then
  :
elif psql "$PG_ADMIN_URL" -qc 'select 1' >/dev/null 2>&1; then
  PG_DB="tenantry_bench_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
  suite "PostgreSQL" "${PG_ADMIN_URL%/*}/$PG_DB"
else
  echo "PostgreSQL: not reachable at $PG_ADMIN_URL — skipped."
fi
