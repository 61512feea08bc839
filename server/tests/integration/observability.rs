//! Observability: `/metrics` is closed without the token, and what it shows
//! moves with the work (a change run moves the job and change series, a
//! failed webhook delivery the webhook series), read with a real Prometheus
//! text parser; and one change's story can be pulled from the JSON logs by
//! its correlation id.

use std::sync::Arc;

use prometheus_parse::{Scrape, Value};

use crate::changes::{admin, changes_work, fleet, upgrade};
use crate::helpers::{TestDb, change_request, spawn_app_with};
use app::backend::context::{Clock, Ctx, SystemClock};
use app::backend::services::changes;
use app::backend::services::events::webhooks;
use app::model::events::EndpointForm;

const TOKEN: &str = "metrics-token-for-the-integration-tests";

async fn scrape(app: &crate::helpers::TestApp) -> Scrape {
    let answer = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = answer.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

/// The sum of a counter's (or gauge's) samples whose labels include `want`.
fn total(scrape: &Scrape, metric: &str, want: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| want.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn metrics_follow_the_work_and_never_name_a_tenant(db: TestDb) {
    let app = spawn_app_with(db, &[("TENANTRY_METRICS_TOKEN", TOKEN)]).await;
    let db = &app.db;
    for token in [None, Some("a-wrong-token-of-enough-length-0000")] {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401, "no metrics without the token");
    }

    let admin = admin(db).await;
    let tenants = fleet(db, &admin, 1, &[]).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    // A receiver that is not there: the delivery fails and is retried.
    webhooks::create(
        &ctx,
        &EndpointForm {
            tenant: String::new(),
            url: "http://127.0.0.1:9/hook".into(),
            description: "nobody listens".into(),
            event_types: "change.*".into(),
        },
    )
    .await
    .unwrap();

    let before = scrape(&app).await;
    let runs = |s: &Scrape| {
        total(
            s,
            "tenantry_job_runs_total",
            &[("kind", changes::EXECUTE_JOB), ("outcome", "succeeded")],
        )
    };
    let failed_deliveries = |s: &Scrape| {
        total(
            s,
            "tenantry_webhook_deliveries_total",
            &[("outcome", "retrying")],
        )
    };

    changes::create(&ctx, change_request(&upgrade("t-000")))
        .await
        .unwrap();
    changes_work(db).await;
    let round = webhooks::deliver_due(db, Arc::new(SystemClock) as Arc<dyn Clock>, 4)
        .await
        .unwrap();
    assert!(round.attempted >= 1 && round.delivered == 0, "{round:?}");
    let token = crate::helpers::admin_token(&app).await;
    let read = app
        .client
        .get(format!("{}/api/v1/tenants/{}", app.address, tenants[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);

    let after = scrape(&app).await;
    assert!(
        runs(&after) > runs(&before),
        "the change's job run is counted"
    );
    assert!(
        total(
            &after,
            "tenantry_change_requests",
            &[("status", "succeeded")]
        ) >= 1.0
    );
    assert!(
        failed_deliveries(&after) > failed_deliveries(&before),
        "the failed delivery is counted"
    );
    assert!(total(&after, "tenantry_webhook_deliveries_pending", &[]) >= 1.0);
    assert!(
        after.samples.iter().any(
            |s| s.metric.starts_with("tenantry_job_claim_latency_seconds")
                && s.labels.get("kind") == Some(changes::EXECUTE_JOB)
        ),
        "claim latency per job kind"
    );
    assert!(
        after.samples.iter().any(|s| s
            .metric
            .starts_with("tenantry_http_request_duration_seconds")
            && s.labels
                .get("route")
                .is_some_and(|r| r.starts_with("/api/v1/tenants/:"))
            && s.labels.get("status_class") == Some("2xx")),
        "requests are timed by route template, not by path: {:?}",
        after
            .samples
            .iter()
            .filter(|s| s
                .metric
                .starts_with("tenantry_http_request_duration_seconds"))
            .filter_map(|s| s.labels.get("route"))
            .collect::<std::collections::BTreeSet<_>>()
    );
    assert!(
        total(
            &after,
            "tenantry_policy_evaluations_total",
            &[("rule", "version_move"), ("outcome", "allowed")]
        ) >= 1.0,
        "the upgrade's version policy check is counted"
    );
    assert_eq!(total(&after, "tenantry_build_info", &[]), 1.0);
    assert!(total(&after, "tenantry_jobs", &[("kind", changes::EXECUTE_JOB)]) >= 1.0);

    for sample in &after.samples {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| sample.metric.strip_suffix(suffix))
            .filter(|base| app::backend::metrics::SERIES.contains(base))
            .unwrap_or(&sample.metric);
        assert!(
            app::backend::metrics::SERIES.contains(&base),
            "{} is listed in SERIES (the monitoring docs rely on that list)",
            sample.metric
        );
    }
    let tenant_ids: Vec<String> = tenants.iter().map(|t| t.to_string()).collect();
    for sample in &after.samples {
        for (name, value) in sample.labels.iter() {
            assert!(
                !name.contains("tenant") && !tenant_ids.contains(value) && !value.contains("t-000"),
                "{} carries a tenant in {name}={value}",
                sample.metric
            );
        }
    }
}

/// Metrics are off unless configured: no `/metrics` on a default server.
async fn metrics_are_closed_by_default(db: TestDb) {
    let app = crate::helpers::spawn_app(db).await;
    let answer = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

/// The request that asked for a change, the job that ran it, every
/// executor step and the audit records all carry the request's id as the
/// change's correlation id (and the job's lines name the tenant).
async fn a_change_can_be_followed_through_the_logs_by_its_correlation_id(db: TestDb) {
    use app::backend::entities::{audit_event, change_request, change_step};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let admin = admin(&db.db).await;
    fleet(&db.db, &admin, 1, &[]).await;
    let token = app::backend::services::access::api_tokens::create(
        &Ctx::of(&db.db, &admin, &Default::default()),
        "logs",
        "",
        "",
    )
    .await
    .unwrap()
    .token;
    let log_path = std::env::temp_dir().join(format!(
        "tenantry-log-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    let (mut server, address) = crate::helpers::spawn_ready_server_with(
        &db.url,
        &[
            ("TENANTRY_LOG_FORMAT", "json"),
            ("RUST_LOG", "info,sqlx=warn,sea_orm=warn"),
            ("TENANTRY_SIMULATOR_STEP_MS", "0"),
        ],
        Some(std::fs::File::create(&log_path).unwrap()),
    )
    .await;
    let correlation = format!("corr-{}", uuid::Uuid::new_v4().simple());
    let answer = reqwest::Client::new()
        .post(format!("{address}/api/v1/change-requests"))
        .bearer_auth(&token)
        .header("x-request-id", &correlation)
        .json(&serde_json::json!({
            "tenant": "t-000", "kind": "upgrade",
            "product": "edge-gateway", "target_version": "5.2.0",
        }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let created: serde_json::Value = answer.json().await.unwrap();
    let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let started = std::time::Instant::now();
    loop {
        let change = change_request::Entity::find_by_id(id)
            .one(&db.db)
            .await
            .unwrap()
            .unwrap();
        if change.status == app::domain::changes::change::ChangeStatus::Succeeded {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the change did not finish: {}",
            change.status.as_str()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Give the last lines a moment to reach the file, then stop the server.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server.kill().ok();
    server.wait().ok();
    let text = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_file(&log_path).ok();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let carries = |line: &serde_json::Value| line.to_string().contains(&correlation);
    let message = |line: &serde_json::Value| {
        line["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let in_span = |line: &serde_json::Value, name: &str| line["span"]["name"] == name;

    assert!(
        lines.iter().any(|l| in_span(l, "http")
            && message(l) == "finished processing request"
            && carries(l)),
        "the request line carries the correlation id"
    );
    assert!(
        lines
            .iter()
            .any(|l| in_span(l, "request") && message(l) == "change requested" && carries(l)),
        "the request says which change it asked for: {:#?}",
        lines
            .iter()
            .filter(|l| carries(l) && !in_span(l, "job"))
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    );
    assert!(
        lines.iter().any(|l| in_span(l, "request")
            && message(l) == "change requested"
            && l["span"]["change"] == id.to_string()
            && l["span"]["principal"].is_string()),
        "and names the change and who asked"
    );
    let job_lines: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| in_span(l, "job") && carries(l))
        .collect();
    assert!(
        job_lines.iter().any(|l| message(l) == "job run ended"),
        "the job's lines carry the correlation id"
    );
    assert!(
        job_lines
            .iter()
            .all(|l| l["span"]["tenant_slug"] == "t-000" && l["span"]["change"] == id.to_string()),
        "and name the tenant and the change"
    );
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .filter(change_step::Column::Rollback.eq(false))
        .all(&db.db)
        .await
        .unwrap();
    assert!(!steps.is_empty());
    for step in &steps {
        assert!(
            job_lines
                .iter()
                .any(|l| message(l) == "a change step succeeded"
                    && l["fields"]["step"] == step.name.as_str()),
            "step {} is in the log with the correlation id",
            step.name
        );
    }
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::RequestId.eq(&correlation))
        .all(&db.db)
        .await
        .unwrap();
    assert!(
        audited.iter().any(|a| a.action.starts_with("change")),
        "the audit records carry it too: {:?}",
        audited.iter().map(|a| &a.action).collect::<Vec<_>>()
    );
}

/// A webhook receiver that keeps every body it is sent.
async fn collecting_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let bodies: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Default::default();
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap_or_default());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, bodies)
}

/// A broken tenant opens one alert however often the rules run; an
/// operator acknowledges it (once); it resolves when the tenant recovers;
/// the operators are notified once and the webhook hears each move once; a
/// later breakage is a new alert. Tenant people cannot see or touch alerts.
async fn an_alert_fires_once_is_acknowledged_and_resolves_by_itself(db: TestDb) {
    use app::backend::entities::{alert, notification};
    use app::backend::services::platform::alerts;
    use app::domain::notifications::notification::NotificationKind;
    use app::model::platform::alerts::{AcknowledgeForm, AlertQuery};
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let db = &db.db;
    let admin = admin(db).await;
    let tenants = fleet(db, &admin, 1, &[]).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let (url, received) = collecting_receiver().await;
    webhooks::create(
        &ctx,
        &EndpointForm {
            tenant: String::new(),
            url,
            description: "on-call bridge".into(),
            event_types: "alert.*".into(),
        },
    )
    .await
    .unwrap();
    let clock = Arc::new(app::backend::context::ManualClock::at(chrono::Utc::now()));
    let broken_alerts = || async {
        alert::Entity::find()
            .filter(alert::Column::Rule.eq("tenant_broken"))
            .all(db)
            .await
            .unwrap()
    };
    let break_tenant = |state: &'static str| async move {
        db.execute_unprepared(&format!(
            "UPDATE tenants SET lifecycle_state = '{state}', health_failures = 0 WHERE slug = 't-000'"
        ))
        .await
        .unwrap();
    };
    let deliver = || async {
        webhooks::deliver_due(db, clock.clone() as Arc<dyn Clock>, 4)
            .await
            .unwrap()
    };
    let heard = |event: &str| {
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == event && b["data"]["state"]["rule"] == "tenant_broken")
            .count()
    };

    break_tenant("broken").await;
    alerts::evaluate(db, clock.now()).await.unwrap();
    clock.advance(chrono::Duration::minutes(1));
    alerts::evaluate(db, clock.now()).await.unwrap();
    let open = broken_alerts().await;
    assert_eq!(open.len(), 1, "fires once while the tenant stays broken");
    assert_eq!(open[0].status, "open");
    assert_eq!(open[0].tenant_id, Some(tenants[0]));
    assert_eq!(open[0].link, "/tenants/t-000/health");

    // The vendor's operators hear it once, in the app (and by email).
    for _ in 0..2 {
        app::backend::services::notifications::from_events::notify_new_events(
            db,
            "http://portal.test",
            clock.now(),
        )
        .await
        .unwrap();
    }
    let told = notification::Entity::find()
        .filter(notification::Column::Kind.eq(NotificationKind::Alert))
        .filter(notification::Column::UserId.eq(admin.user_id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].title.contains("Tenant broken") && told[0].title.contains("t-000"));
    assert_eq!(told[0].link, "/alerts");
    deliver().await;
    assert_eq!(heard("alert.fired"), 1);

    // A tenant's own admin may neither list nor acknowledge alerts.
    let tenant_admin = crate::helpers::person(
        db,
        "admin@t-000.example",
        "a long enough password",
        app::domain::access::permission::BuiltinRole::TenantAdmin,
        Some(tenants[0]),
    )
    .await;
    let theirs = Ctx::of(db, &tenant_admin, &Default::default());
    assert!(matches!(
        alerts::list(&theirs, &AlertQuery::default()).await,
        Err(app::backend::error::ServiceError::Forbidden)
    ));
    assert!(matches!(
        alerts::acknowledge(&theirs, open[0].id, &AcknowledgeForm::default()).await,
        Err(app::backend::error::ServiceError::Forbidden)
    ));

    let taken = alerts::acknowledge(
        &ctx,
        open[0].id,
        &AcknowledgeForm {
            comment: "Looking at the database.".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(taken.status, "acknowledged");
    assert_eq!(
        taken.ack_comment.as_deref(),
        Some("Looking at the database.")
    );
    assert!(taken.acknowledged_by.is_some());
    assert!(matches!(
        alerts::acknowledge(&ctx, open[0].id, &AcknowledgeForm::default()).await,
        Err(app::backend::error::ServiceError::Conflict(_))
    ));
    alerts::evaluate(db, clock.now()).await.unwrap();
    assert_eq!(
        broken_alerts().await[0].status,
        "acknowledged",
        "not reopened"
    );
    let listed = alerts::list(
        &ctx,
        &AlertQuery {
            status: "acknowledged".into(),
            page: None,
        },
    )
    .await
    .unwrap();
    assert!(listed.rows.iter().any(|r| r.id == open[0].id));
    assert!(listed.may_acknowledge && listed.may_configure);

    // The tenant recovers: the alert resolves by itself, at the clock's time.
    break_tenant("active").await;
    clock.advance(chrono::Duration::minutes(5));
    alerts::evaluate(db, clock.now()).await.unwrap();
    let resolved = broken_alerts().await;
    assert_eq!(resolved[0].status, "resolved");
    assert_eq!(
        resolved[0].resolved_at.map(|t| t.timestamp()),
        Some(clock.now().timestamp())
    );
    deliver().await;
    deliver().await;
    assert_eq!(
        (
            heard("alert.fired"),
            heard("alert.acknowledged"),
            heard("alert.resolved")
        ),
        (1, 1, 1),
        "each move reaches the webhook once"
    );

    // Broken again: a new occurrence, a new alert.
    break_tenant("broken").await;
    alerts::evaluate(db, clock.now()).await.unwrap();
    let all = broken_alerts().await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        alert::Entity::find()
            .filter(alert::Column::Status.eq("open"))
            .filter(alert::Column::Rule.eq("tenant_broken"))
            .count(db)
            .await
            .unwrap(),
        1
    );

    // Turning the rule off resolves what it opened.
    alerts::save_rule(
        &ctx,
        "tenant_broken",
        &app::model::platform::alerts::AlertRuleForm {
            enabled: false,
            threshold: String::new(),
        },
    )
    .await
    .unwrap();
    alerts::evaluate(db, clock.now()).await.unwrap();
    assert!(broken_alerts().await.iter().all(|a| a.status == "resolved"));
    let refused = alerts::save_rule(
        &ctx,
        "baseline_failing",
        &app::model::platform::alerts::AlertRuleForm {
            enabled: true,
            threshold: "0".into(),
        },
    )
    .await;
    assert!(matches!(
        refused,
        Err(app::backend::error::ServiceError::Validation(_))
    ));
}

/// With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the real binary exports its
/// spans as OTLP/HTTP protobuf to a real receiver: the request's span
/// arrives carrying the request's correlation id and the service's name.
async fn traces_are_exported_over_otlp_when_an_endpoint_is_set(db: TestDb) {
    use std::sync::Mutex;
    let received: Arc<Mutex<Vec<(String, Vec<u8>)>>> = Arc::default();
    let into = received.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let into = into.clone();
                async move {
                    let kind = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    into.lock().unwrap().push((kind, body.to_vec()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let receiver = tokio::spawn(async move {
        axum::serve(listener, collector).await.unwrap();
    });
    let (mut server, address) = crate::helpers::spawn_ready_server_with(
        &db.url,
        &[
            ("RUST_LOG", "info,sqlx=warn,sea_orm=warn"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
        None,
    )
    .await;
    let correlation = format!("corr-otlp-{}", uuid::Uuid::new_v4().simple());
    let answer = reqwest::Client::new()
        .get(format!("{address}/login"))
        .header("x-request-id", &correlation)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let contains = |body: &[u8], text: &str| body.windows(text.len()).any(|w| w == text.as_bytes());
    let mut found = false;
    for _ in 0..100 {
        found = received
            .lock()
            .unwrap()
            .iter()
            .any(|(_, body)| contains(body, &correlation));
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.kill().ok();
    server.wait().ok();
    receiver.abort();
    assert!(found, "the request's span reached the collector");
    let batches = received.lock().unwrap();
    let (kind, body) = batches
        .iter()
        .find(|(_, body)| contains(body, &correlation))
        .unwrap();
    assert_eq!(kind, "application/x-protobuf");
    assert!(contains(body, "tenantry"), "service.name is tenantry");
    assert!(contains(body, "http"), "the request's span");
}

crate::on_both_databases!(
    traces_are_exported_over_otlp_when_an_endpoint_is_set,
    an_alert_fires_once_is_acknowledged_and_resolves_by_itself,
    metrics_follow_the_work_and_never_name_a_tenant,
    metrics_are_closed_by_default,
    a_change_can_be_followed_through_the_logs_by_its_correlation_id
);
