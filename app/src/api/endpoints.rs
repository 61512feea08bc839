//! A tenant's endpoints (devices running our agent) and its enrollment tokens.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointRow {
    pub id: Uuid,
    pub hostname: String,
    /// `linux`, `windows` or `mobile`.
    pub platform: String,
    pub agent_version: String,
    pub registered_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub online: bool,
    /// (product key, installed version)
    pub products: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct EndpointQuery {
    /// `linux`, `windows` or `mobile`.
    pub platform: Option<String>,
    /// A product key: endpoints with it installed.
    pub product: Option<String>,
    /// With `product`: that exact installed version.
    pub version: Option<String>,
    /// `online` or `offline` (last report within 15 minutes or not).
    pub presence: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndpointList {
    pub items: Vec<EndpointRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentTokenRow {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
    pub registrations: i64,
    /// `None`: any number until it expires.
    #[serde(default)]
    pub max_registrations: Option<i64>,
    #[serde(default)]
    pub replaces_endpoints: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointsView {
    pub list: EndpointList,
    pub online: u64,
    pub product_keys: Vec<String>,
    pub tokens: Vec<EnrollmentTokenRow>,
    pub can_enroll: bool,
}

#[server(prefix = "/api/fn", endpoint = "tenant_endpoints", input = server_fn::codec::Json)]
pub async fn tenant_endpoints(
    tenant_id: Uuid,
    query: EndpointQuery,
) -> Result<EndpointsView, AppError> {
    use super::context::{app_state, require_principal, respond};
    use crate::backend::services::agents;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(agents::view(&state.reads, &principal, tenant_id, &query).await)
}

/// Returns the token itself, shown once.
#[server(prefix = "/api/fn", endpoint = "create_enrollment_token")]
pub async fn create_enrollment_token(
    tenant_id: Uuid,
    label: String,
    #[server(default)] max_registrations: Option<String>,
    #[server(default)] replaces_endpoints: Option<String>,
) -> Result<String, AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::agents;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(
        agents::create_enrollment_token(
            &state.db,
            &principal,
            &request_context(),
            tenant_id,
            &label,
            max_registrations.as_deref().unwrap_or(""),
            replaces_endpoints.is_some_and(|v| !v.is_empty() && v != "false"),
        )
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "revoke_enrollment_token")]
pub async fn revoke_enrollment_token(tenant_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use super::context::{app_state, request_context, require_principal, respond};
    use crate::backend::services::agents;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    let state = state;
    respond(
        agents::revoke_enrollment_token(&state.db, &principal, &request_context(), tenant_id, id)
            .await,
    )
}
