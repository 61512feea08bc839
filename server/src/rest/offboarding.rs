//! Offboarding and data export: a tenant's offboarding workflow (start it,
//! follow it, its certificate of destruction), the export written for the
//! customer when it began, and a fresh export of any tenant.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use app::backend::services::tenants::offboarding::{self, Download};
use app::backend::state::AppState;
use app::model::tenants::offboarding::{OffboardingForm, OffboardingRow, TenantOffboarding};

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_offboarding, start_offboarding))
        .routes(routes!(offboarding_export))
        .routes(routes!(export_tenant))
}

/// A zip download with its name.
pub fn zip_download(download: Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", download.filename),
            ),
        ],
        download.bytes,
    )
        .into_response()
}

/// The tenant's offboardings (the open one first), the legal hold standing
/// on it, its certificate of destruction once deleted, who the notice would
/// go to and whether an offboarding can start now.
#[utoipa::path(get, path = "/tenants/{id}/offboarding", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantOffboarding), (status = 404, body = Problem)))]
pub async fn tenant_offboarding(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantOffboarding>> {
    Ok(Json(offboarding::view(&caller.ctx, &id).await?))
}

/// Offboards the tenant (`tenant.lifecycle`; the slug typed to confirm):
/// the notice goes to its contacts, the customer's export is written, its
/// access is revoked and the executor cleans up; once archived it is kept
/// `retention_days` (default 90) and then deleted unless a legal hold stands.
#[utoipa::path(post, path = "/tenants/{id}/offboarding", tag = "backups", request_body = OffboardingForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 201, body = OffboardingRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn start_offboarding(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<OffboardingForm>,
) -> ApiResult<(StatusCode, Json<OffboardingRow>)> {
    let started = offboarding::start(&caller.ctx, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// The export written when the tenant's latest offboarding began (a zip of
/// JSON and CSV with `manifest.json`), checked against its SHA-256 first
/// (`audit.read` on the tenant).
#[utoipa::path(get, path = "/tenants/{id}/offboarding/export", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, description = "The export", content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn offboarding_export(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(zip_download(
        offboarding::offboarding_export(&caller.ctx, &id).await?,
    ))
}

/// A fresh export of the tenant for data portability: declared state,
/// configuration without secret values, versions, endpoints, audit trail,
/// compliance and change history as JSON and CSV in a zip, with
/// `manifest.json` listing every file's size and SHA-256 (`audit.read` on
/// the tenant).
#[utoipa::path(get, path = "/tenants/{id}/export", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, description = "The export", content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_tenant(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    Ok(zip_download(
        offboarding::export_now(&caller.ctx, &id).await?,
    ))
}
