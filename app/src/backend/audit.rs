//! Writing audit records. Services call `record` with the same connection or
//! transaction as the change itself, so a failed audit write rolls the change back.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::backend::entities::audit_event;
use crate::backend::error::ServiceError;
use crate::backend::principal::Actor;

/// The client's address as the router resolved it: the peer, or the
/// forwarded client when the peer is a trusted proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Per-request facts that belong in every audit record.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub request_id: Option<String>,
    /// The client's address, as the listener saw it (sign-in throttling).
    pub client_address: Option<String>,
}

impl RequestContext {
    pub fn named(request_id: &str) -> Self {
        Self {
            request_id: Some(request_id.to_owned()),
            client_address: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One audit record before it is written.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub actor: Actor,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    pub tenant_id: Option<Uuid>,
    pub outcome: Outcome,
    pub details: Value,
}

impl AuditEntry {
    pub fn new(actor: Actor, action: &'static str, target_type: &'static str) -> Self {
        Self {
            actor,
            action,
            target_type,
            target_id: None,
            tenant_id: None,
            outcome: Outcome::Success,
            details: Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, id: impl ToString) -> Self {
        self.target_id = Some(id.to_string());
        self
    }

    pub fn tenant(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    context: &RequestContext,
    entry: AuditEntry,
) -> Result<(), ServiceError> {
    // The events the record announces go with it: one write, one fate.
    crate::backend::events::announce(conn, context, &entry).await?;
    audit_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        occurred_at: Set(Utc::now()),
        actor_id: Set(entry.actor.id()),
        actor_label: Set(truncate(&entry.actor.label(), 254)),
        action: Set(entry.action.to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id),
        tenant_id: Set(entry.tenant_id),
        request_id: Set(context.request_id.as_deref().map(|id| truncate(id, 128))),
        outcome: Set(entry.outcome.as_str().to_owned()),
        details: Set(entry.details.to_string()),
    }
    .insert(conn)
    .await
    .map_err(|e| ServiceError::internal_in("audit write", e))?;
    Ok(())
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}
