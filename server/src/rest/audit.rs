//! `/api/v1/audit`: the audit trail, newest first, in keyset pages.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::backend::services::audit::audit_log;
use app::backend::state::AppState;
use app::domain::validation::FieldErrors;
use app::model::audit::{AuditEntryRow, AuditPage, AuditQuery};

use super::access::Caller;
use super::problem::{ApiError, ApiQuery, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// A tenant slug (on `/tenants/{id}/audit` the path names the tenant).
    pub tenant: Option<String>,
    /// Part of the actor's email or label.
    pub actor: Option<String>,
    /// An action name or prefix (`tenant.` matches every tenant action).
    pub action: Option<String>,
    /// Inclusive start date, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Inclusive end date, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
    /// A request or change correlation id.
    pub request: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    pub limit: Option<u64>,
}

impl AuditParams {
    /// The service query; `path_tenant` is the tenant a per-tenant route names.
    pub fn into_query(self, path_tenant: Option<String>) -> Result<(AuditQuery, u64), ApiError> {
        let mut errors = FieldErrors::default();
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push("limit", format!("Use 1 to {MAX_LIMIT} items per page."));
        }
        if path_tenant.is_some() && self.tenant.is_some() {
            errors.push(
                "tenant",
                "The tenant is already named in the path; leave this out.",
            );
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        let tenant = path_tenant.or(self.tenant);
        Ok((
            AuditQuery {
                actor: self.actor,
                tenant,
                action: self.action,
                from: self.from,
                to: self.to,
                request: self.request,
                before: self.cursor,
            },
            limit,
        ))
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntryRow>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<AuditPage> for AuditList {
    fn from(page: AuditPage) -> Self {
        Self {
            items: page.rows,
            next_cursor: page.older,
        }
    }
}

/// Search the audit trail.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 422, body = Problem)))]
pub async fn search(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditList>> {
    let (query, limit) = params.into_query(None)?;
    let page = audit_log::search(&caller.ctx, &query, limit).await?;
    Ok(Json(page.into()))
}

/// The audit trail's route, with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}
