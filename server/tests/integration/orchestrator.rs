//! The HTTP orchestrator executor against a real HTTP server on loopback that
//! plays a Jenkins/AWX-like orchestrator: every job it receives is signed, and
//! results come back as an immediate answer, by polling, or by a signed
//! callback to the portal — where a callback with a bad signature is refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::helpers::{TestDb, spawn_app_with};
use app::backend::executor::{Executor, StepOrder};
use app::backend::orchestrator::{HttpOrchestrator, SIGNATURE_HEADER, sign, verify};

const SECRET: &str = "orchestrator shared secret";

#[derive(Clone)]
struct Orchestrator {
    base: String,
    /// (step, signature valid, idempotency key header matches)
    received: Arc<Mutex<Vec<(String, bool, bool)>>>,
    polls: Arc<Mutex<u32>>,
    /// Status codes the portal gave our callbacks.
    callback_answers: Arc<Mutex<Vec<u16>>>,
}

async fn take_job(
    State(o): State<Orchestrator>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    let job: Value = serde_json::from_str(&body).unwrap();
    let key = job["key"].as_str().unwrap().to_owned();
    let step = job["step"].as_str().unwrap().to_owned();
    let signed = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| verify(SECRET, body.as_bytes(), s));
    let keyed = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) == Some(key.as_str());
    o.received
        .lock()
        .unwrap()
        .push((step.clone(), signed, keyed));
    match step.as_str() {
        "answer" => (
            StatusCode::OK,
            axum::Json(json!({ "key": key, "status": "succeeded", "output": "done at once" })),
        ),
        "fail" => (
            StatusCode::OK,
            axum::Json(
                json!({ "key": key, "status": "failed", "output": "playbook failed on host 3" }),
            ),
        ),
        "poll" => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "poll_url": format!("{}/status/{key}", o.base) })),
        ),
        _ => {
            let callback_url = job["callback_url"].as_str().unwrap().to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let report = json!({ "key": key, "status": "succeeded", "output": "called back" })
                    .to_string();
                let client = reqwest::Client::new();
                for signature in [
                    sign("not the secret", report.as_bytes()),
                    sign(SECRET, report.as_bytes()),
                ] {
                    let answer = client
                        .post(&callback_url)
                        .header("content-type", "application/json")
                        .header(SIGNATURE_HEADER, signature)
                        .body(report.clone())
                        .send()
                        .await
                        .unwrap();
                    o.callback_answers
                        .lock()
                        .unwrap()
                        .push(answer.status().as_u16());
                    if answer.status() == StatusCode::UNAUTHORIZED {
                        // The forged result must not have finished the step.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
            });
            (StatusCode::ACCEPTED, axum::Json(json!({})))
        }
    }
}

async fn status(State(o): State<Orchestrator>, Path(key): Path<String>) -> axum::Json<Value> {
    let mut polls = o.polls.lock().unwrap();
    *polls += 1;
    if *polls < 3 {
        axum::Json(json!({ "key": key, "status": "running" }))
    } else {
        axum::Json(json!({ "key": key, "status": "succeeded", "output": "polled" }))
    }
}

fn order(step: &str) -> StepOrder {
    StepOrder {
        key: format!("change:test:step:{step}"),
        tenant_slug: "acme".into(),
        tenant_labels: vec![],
        kind: "upgrade".into(),
        step: step.into(),
        target_version: Some("5.2.0".into()),
        attempt: 1,
        rollback: false,
        correlation_id: "req-test".into(),
        address: Some("https://acme.example".into()),
        data_snapshot: None,
        secret: None,
        placement: None,
    }
}

async fn the_orchestrator_gets_signed_jobs_and_reports_by_answer_poll_and_signed_callback(
    db: TestDb,
) {
    let app = spawn_app_with(
        db,
        &[
            ("TENANTRY_EXECUTOR", "http"),
            (
                "TENANTRY_ORCHESTRATOR_URL",
                "http://127.0.0.1:9/unused-by-the-in-process-portal",
            ),
            ("TENANTRY_ORCHESTRATOR_SECRET", SECRET),
        ],
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let orchestrator = Orchestrator {
        base: base.clone(),
        received: Default::default(),
        polls: Default::default(),
        callback_answers: Default::default(),
    };
    let router = Router::new()
        .route("/jobs", post(take_job))
        .route("/status/{key}", get(status))
        .with_state(orchestrator.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let executor = HttpOrchestrator::new(
        app.db.clone(),
        &format!("{base}/jobs"),
        SECRET,
        &app.address,
        Duration::from_secs(10),
        Duration::from_millis(50),
    );
    assert_eq!(
        executor.run_step(&order("answer")).await.unwrap(),
        "done at once"
    );
    assert_eq!(executor.run_step(&order("poll")).await.unwrap(), "polled");
    assert_eq!(
        executor.run_step(&order("callback")).await.unwrap(),
        "called back"
    );
    let failed = executor.run_step(&order("fail")).await.unwrap_err();
    assert!(failed.contains("playbook failed on host 3"), "{failed}");

    assert_eq!(
        *orchestrator.callback_answers.lock().unwrap(),
        [401, 204],
        "the forged callback was refused"
    );
    let received = orchestrator.received.lock().unwrap().clone();
    assert_eq!(received.len(), 4);
    assert!(
        received.iter().all(|(_, signed, keyed)| *signed && *keyed),
        "{received:?}"
    );

    // A result that came back by callback is kept: asking again (after a
    // crash) returns it without sending the job a second time.
    assert_eq!(
        executor.run_step(&order("callback")).await.unwrap(),
        "called back"
    );
    assert_eq!(orchestrator.received.lock().unwrap().len(), 4);

    // Unsigned callbacks are refused outright.
    let unsigned = app
        .client
        .post(app.url("/api/v1/executor/callback"))
        .header("content-type", "application/json")
        .body(r#"{"key":"x","status":"succeeded"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
}

crate::on_both_databases!(
    the_orchestrator_gets_signed_jobs_and_reports_by_answer_poll_and_signed_callback
);
