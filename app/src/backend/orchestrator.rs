//! The HTTP orchestrator executor, for Jenkins/AWX-like systems. Each step is
//! a signed `POST` of the order (HMAC-SHA256 of the body with a shared secret,
//! in `X-Tenantry-Signature: sha256=<hex>`, plus the idempotency key in
//! `Idempotency-Key` so the orchestrator can tell a redelivery from new work).
//! The orchestrator answers at once (200 with the result), or accepts (202)
//! and later either calls back (a signed `POST /api/v1/executor/callback`,
//! refused when the signature is wrong) or answers polls of its `poll_url`.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::backend::entities::executor_result;
use crate::backend::executor::{Executor, StepOrder};

pub const SIGNATURE_HEADER: &str = "x-tenantry-signature";

/// `sha256=<hex>` of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Checks a signature header in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap_or(0))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

/// What the orchestrator reports for a step (answer, poll or callback).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepReport {
    pub key: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    #[serde(default)]
    pub output: String,
}

/// Why a callback was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CallbackRefusal {
    /// No orchestrator is configured here.
    NotConfigured,
    BadSignature,
    Invalid(String),
}

/// Stores a signed callback's result for the waiting step. A repeated
/// callback for the same key keeps the first final result.
pub async fn record_callback(
    db: &DatabaseConnection,
    secret: Option<&str>,
    body: &[u8],
    signature: Option<&str>,
) -> Result<(), CallbackRefusal> {
    let secret = secret.ok_or(CallbackRefusal::NotConfigured)?;
    if !signature.is_some_and(|s| verify(secret, body, s)) {
        return Err(CallbackRefusal::BadSignature);
    }
    let report: StepReport = serde_json::from_slice(body)
        .map_err(|e| CallbackRefusal::Invalid(format!("not a step report: {e}")))?;
    if !matches!(report.status.as_str(), "succeeded" | "failed") {
        return Err(CallbackRefusal::Invalid(
            "status must be succeeded or failed".into(),
        ));
    }
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO executor_results (idempotency_key, status, output, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (idempotency_key) DO NOTHING",
        [
            report.key.into(),
            report.status.into(),
            report.output.into(),
            Utc::now().into(),
        ],
    ))
    .await
    .map_err(|e| CallbackRefusal::Invalid(format!("could not store the result: {e}")))?;
    Ok(())
}

pub struct HttpOrchestrator {
    db: DatabaseConnection,
    url: String,
    secret: String,
    callback_url: String,
    timeout: Duration,
    poll_every: Duration,
    http: reqwest::Client,
}

impl HttpOrchestrator {
    pub fn new(
        db: DatabaseConnection,
        url: &str,
        secret: &str,
        public_url: &str,
        timeout: Duration,
        poll_every: Duration,
    ) -> Self {
        Self {
            db,
            url: url.to_owned(),
            secret: secret.to_owned(),
            callback_url: format!(
                "{}/api/v1/executor/callback",
                public_url.trim_end_matches('/')
            ),
            timeout,
            poll_every,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
        }
    }

    fn outcome(report: StepReport) -> Option<Result<String, String>> {
        match report.status.as_str() {
            "succeeded" => Some(Ok(report.output)),
            "failed" => Some(Err(format!("orchestrator: {}", report.output))),
            _ => None,
        }
    }

    async fn called_back(&self, key: &str) -> Result<Option<StepReport>, String> {
        let found = executor_result::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        Ok(found.map(|r| StepReport {
            key: r.idempotency_key,
            status: r.status,
            output: r.output,
        }))
    }

    async fn poll(&self, poll_url: &str, key: &str) -> Result<Option<StepReport>, String> {
        let response = self
            .http
            .get(poll_url)
            .header(SIGNATURE_HEADER, sign(&self.secret, key.as_bytes()))
            .header("idempotency-key", key)
            .send()
            .await
            .map_err(|e| format!("polling the orchestrator: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("polling the orchestrator: {}", response.status()));
        }
        response
            .json::<StepReport>()
            .await
            .map(Some)
            .map_err(|e| format!("the orchestrator's poll answer: {e}"))
    }
}

#[async_trait::async_trait]
impl Executor for HttpOrchestrator {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn run_step(&self, order: &StepOrder) -> Result<String, String> {
        // Each attempt has a key of its own, so a retry is never answered by
        // the failed callback of the attempt before it.
        let key = format!("{}#{}", order.key, order.attempt);
        // A success reported for an earlier attempt (before a crash) still
        // counts: that work is done.
        for earlier in 1..order.attempt.max(1) {
            if let Some(report) = self
                .called_back(&format!("{}#{earlier}", order.key))
                .await?
                && report.status == "succeeded"
            {
                return Ok(report.output);
            }
        }
        if let Some(report) = self.called_back(&key).await? {
            if let Some(outcome) = Self::outcome(report) {
                return outcome;
            }
        }
        let body = json!({
            "key": key, "tenant": order.tenant_slug, "kind": order.kind, "step": order.step,
            "version": order.target_version, "attempt": order.attempt, "phase": order.phase(),
            "correlation_id": order.correlation_id, "address": order.address,
            "snapshot": order.data_snapshot,
            "placement": order.placement.as_ref().map(|p| json!({ "region": p.region.as_str(), "isolation": p.isolation.as_str() })),
            "secret": order.secret.as_ref().map(|s| json!({ "name": s.name, "value": s.value })),
            "callback_url": self.callback_url,
        })
        .to_string();
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, body.as_bytes()))
            .header("idempotency-key", &key)
            .header("x-correlation-id", &order.correlation_id)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the orchestrator at {}: {e}", self.url))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200 => {
                let report: StepReport = serde_json::from_value(answer)
                    .map_err(|e| format!("the orchestrator's answer: {e}"))?;
                Self::outcome(report).unwrap_or_else(|| {
                    Err("the orchestrator answered 200 without a final status".into())
                })
            }
            202 => {
                let poll_url = answer["poll_url"].as_str().map(str::to_owned);
                let deadline = tokio::time::Instant::now() + self.timeout;
                loop {
                    if let Some(report) = self.called_back(&key).await? {
                        if let Some(outcome) = Self::outcome(report) {
                            return outcome;
                        }
                    }
                    if let Some(url) = &poll_url {
                        if let Some(outcome) = self.poll(url, &key).await?.and_then(Self::outcome) {
                            return outcome;
                        }
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return Err(format!(
                            "the orchestrator did not finish {} within {} s",
                            order.step,
                            self.timeout.as_secs()
                        ));
                    }
                    tokio::time::sleep(self.poll_every).await;
                }
            }
            other => Err(format!(
                "the orchestrator refused the step ({other}): {answer}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_the_same_secret_and_body() {
        let signature = sign("s3cret", b"{\"a\":1}");
        assert!(signature.starts_with("sha256=") && signature.len() == 71);
        assert!(verify("s3cret", b"{\"a\":1}", &signature));
        assert!(!verify("other", b"{\"a\":1}", &signature));
        assert!(!verify("s3cret", b"{\"a\":2}", &signature));
        assert!(!verify("s3cret", b"{\"a\":1}", "sha256=zz"));
        assert!(!verify("s3cret", b"{\"a\":1}", "md5=abc"));
    }
}
