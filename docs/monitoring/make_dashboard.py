"""Writes tenantry-dashboard.json (Grafana 10+, Prometheus data source) from
the panel list below: `python3 docs/monitoring/make_dashboard.py`. Every query
uses only series the portal serves at /metrics."""
import json
import pathlib

PANELS = [
    # (title, unit, [(legend, expr)], kind)
    ("API requests by status class", "reqps",
     [("{{status_class}}", 'sum by (status_class) (rate(tenantry_http_request_duration_seconds_count[5m]))')], "timeseries"),
    ("API p95 latency by route (top 10)", "s",
     [("{{route}}", 'topk(10, histogram_quantile(0.95, sum by (route, le) (rate(tenantry_http_request_duration_seconds_bucket[5m]))))')], "timeseries"),
    ("Requests in flight", "short",
     [("in flight", 'sum(tenantry_http_requests_in_flight)')], "timeseries"),
    ("Database connections", "short",
     [("{{state}}", 'sum by (state) (tenantry_db_connections)')], "timeseries"),
    ("Jobs by status", "short",
     [("{{status}}", 'sum by (status) (tenantry_jobs{status=~"queued|running|retrying|dead"})')], "timeseries"),
    ("Oldest due job waiting", "s",
     [("oldest due", 'max(tenantry_job_oldest_due_seconds)')], "timeseries"),
    ("Job runs by outcome", "ops",
     [("{{kind}} {{outcome}}", 'sum by (kind, outcome) (rate(tenantry_job_runs_total[5m]))')], "timeseries"),
    ("Job claim latency p95", "s",
     [("{{kind}}", 'histogram_quantile(0.95, sum by (kind, le) (rate(tenantry_job_claim_latency_seconds_bucket[5m])))')], "timeseries"),
    ("Change requests by status", "short",
     [("{{status}}", 'sum by (status) (tenantry_change_requests)')], "bargauge"),
    ("Rollouts in flight: progress", "percentunit",
     [("{{rollout}}", 'tenantry_rollout_progress_ratio')], "bargauge"),
    ("Blue-green switches: new slot's traffic", "percent",
     [("{{deployment}}", 'tenantry_switch_new_slot_weight_percent')], "timeseries"),
    ("Tenants by compliance", "short",
     [("{{status}}", 'sum by (status) (tenantry_tenants_by_compliance)')], "piechart"),
    ("Health baseline runs", "ops",
     [("{{outcome}}", 'sum by (outcome) (rate(tenantry_health_baseline_runs_total[15m]))')], "timeseries"),
    ("Webhook deliveries by outcome", "ops",
     [("{{outcome}}", 'sum by (outcome) (rate(tenantry_webhook_deliveries_total[5m]))')], "timeseries"),
    ("Webhook event-to-receiver lag p95", "s",
     [("p95", 'histogram_quantile(0.95, sum by (le) (rate(tenantry_webhook_delivery_lag_seconds_bucket[5m])))')], "timeseries"),
    ("Webhook backlog and endpoints", "short",
     [("pending deliveries", 'max(tenantry_webhook_deliveries_pending)'),
      ("endpoints {{state}}", 'max by (state) (tenantry_webhook_endpoints)')], "timeseries"),
    ("Sign-ins by outcome", "ops",
     [("{{outcome}}", 'sum by (outcome) (rate(tenantry_sign_ins_total[5m]))')], "timeseries"),
    ("Policy evaluations by rule and outcome", "ops",
     [("{{rule}} {{outcome}}", 'sum by (rule, outcome) (rate(tenantry_policy_evaluations_total[5m]))')], "timeseries"),
    ("Policy evaluation latency p95", "s",
     [("{{rule}}", 'histogram_quantile(0.95, sum by (rule, le) (rate(tenantry_policy_evaluation_duration_seconds_bucket[5m])))')], "timeseries"),
    ("Compliance assessment duration p95", "s",
     [("p95", 'histogram_quantile(0.95, sum by (le) (rate(tenantry_compliance_assessment_duration_seconds_bucket[1h])))')], "timeseries"),
]


def panel(index, title, unit, targets, kind):
    return {
        "id": index + 1,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend,
             "datasource": {"type": "prometheus", "uid": "${datasource}"}}
            for i, (legend, expr) in enumerate(targets)
        ],
    }


dashboard = {
    "title": "Tenantry control plane",
    "uid": "tenantry-control-plane",
    "tags": ["tenantry"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [{
        "name": "datasource", "type": "datasource", "query": "prometheus",
        "label": "Prometheus", "current": {}, "hide": 0,
    }]},
    "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
}

out = pathlib.Path(__file__).with_name("tenantry-dashboard.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out} ({len(PANELS)} panels)")
