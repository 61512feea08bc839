//! `/api/v1` for a tenant's endpoints and the agents on them (which
//! authenticate with agent tokens, not user tokens).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use app::backend::services::tenants::{self, agents};
use app::backend::state::AppState;
use app::domain::tenants::agent::RawReport;
use app::model::tenants::endpoints::{EndpointList, EndpointQuery};

use crate::rest::access::{Caller, request_context};
use crate::rest::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};

/// A tenant's endpoints, filtered.
#[utoipa::path(get, path = "/tenants/{id}/endpoints", tag = "endpoints", params(("id" = String, Path, description = "Tenant id or slug"), EndpointQuery),
    responses((status = 200, body = EndpointList), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn endpoints(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<EndpointQuery>,
) -> ApiResult<Json<EndpointList>> {
    let (id, _) = tenants::resolve_tenant_id(&caller.ctx, &reference).await?;
    Ok(Json(agents::list(&caller.ctx, id, &query).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The enrollment token a tenant admin created.
    pub enrollment_token: String,
    pub hostname: String,
    /// `linux`, `windows` or `mobile`.
    pub platform: String,
    pub agent_version: String,
    /// Product key → installed version.
    #[serde(default)]
    pub products: std::collections::BTreeMap<String, String>,
    /// Re-registering a hostname that is already registered: that
    /// endpoint's current agent token (unless the enrollment token was made
    /// to replace endpoints).
    #[serde(default)]
    pub current_agent_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    /// Send it as `Authorization: Bearer …` with every report. Shown once.
    pub agent_token: String,
}

/// An agent registers with an enrollment token and its first report.
#[utoipa::path(post, path = "/agents/register", tag = "agents", request_body = RegisterRequest, security(()),
    responses((status = 201, body = Registered), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let report = RawReport {
        hostname: body.hostname,
        platform: body.platform,
        agent_version: body.agent_version,
        products: body.products,
        current_agent_token: body.current_agent_token,
    };
    let done = agents::register(
        &state.db,
        &request_context(&parts),
        &body.enrollment_token,
        &report,
        state.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            endpoint_id: done.endpoint_id,
            tenant_id: done.tenant_id,
            agent_token: done.agent_token,
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub hostname: String,
    pub platform: String,
    pub agent_version: String,
    #[serde(default)]
    pub products: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportAccepted {
    pub endpoint_id: Uuid,
}

/// Heartbeat and inventory, with the agent's token as bearer. A bad report
/// is refused whole (422) and changes nothing.
#[utoipa::path(post, path = "/agents/report", tag = "agents", request_body = ReportRequest,
    responses((status = 200, body = ReportAccepted), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<Json<ReportAccepted>> {
    let token = crate::rest::access::agent_token(&parts.headers)?;
    let report = RawReport {
        hostname: body.hostname,
        platform: body.platform,
        agent_version: body.agent_version,
        products: body.products,
        current_agent_token: None,
    };
    let endpoint_id = agents::report(
        &state.db,
        &request_context(&parts),
        &token,
        &report,
        state.clock.now(),
    )
    .await?;
    Ok(Json(ReportAccepted { endpoint_id }))
}

/// Endpoints and agents: routes with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(endpoints))
        .routes(routes!(register))
        .routes(routes!(report))
}
