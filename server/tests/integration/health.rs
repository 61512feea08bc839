//! Probes and request ids.

use reqwest::StatusCode;

use crate::helpers::{TestDb, spawn_app};

async fn liveness_and_readiness_answer_without_a_session(db: TestDb) {
    let app = spawn_app(db).await;
    let healthz = app.get("/healthz").await;
    assert_eq!(healthz.status(), StatusCode::OK);
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), StatusCode::OK);
    assert_eq!(readyz.text().await.unwrap(), "ready");
}

async fn readiness_fails_when_the_database_is_gone(db: TestDb) {
    let app = spawn_app(db).await;
    app.db.clone().close().await.unwrap();
    assert_eq!(
        app.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

async fn a_given_request_id_is_echoed_and_a_missing_one_generated(db: TestDb) {
    let app = spawn_app(db).await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "abc-123");
    let generated = app.get("/healthz").await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

crate::on_both_databases!(
    liveness_and_readiness_answer_without_a_session,
    readiness_fails_when_the_database_is_gone,
    a_given_request_id_is_echoed_and_a_missing_one_generated,
);
