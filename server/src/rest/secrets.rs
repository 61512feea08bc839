//! Secret rotation: a tenant's named secrets (never their values), a
//! rotation as a change request, and per-secret rotation schedules.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use app::backend::services::tenants::secret_rotation;
use app::backend::state::AppState;
use app::model::tenants::backups::QueuedChange;
use app::model::tenants::secrets::{RotationForm, SecretScheduleForm, TenantSecrets};

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_secrets))
        .routes(routes!(rotate_secret))
        .routes(routes!(schedule_rotation))
}

/// The tenant's named secrets — `webapp`, `database`, `airflow` and every
/// secret configuration entry — with when each changed, how its rotation
/// reaches the tenant and its schedule, and recent rotations. Never a value.
#[utoipa::path(get, path = "/tenants/{id}/secrets", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantSecrets), (status = 404, body = Problem)))]
pub async fn tenant_secrets(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantSecrets>> {
    Ok(Json(secret_rotation::view(&caller.ctx, &id).await?))
}

/// Rotates one secret (`tenant.lifecycle`): a change request with the
/// secret's change model (web application: live; database, Airflow:
/// maintenance, or a swap on an edge tenant). An empty `value` is generated.
/// The value reaches the executor only for the step that sets it and is
/// stored sealed when the change succeeds; it is never written to the
/// audit trail or any log.
#[utoipa::path(post, path = "/tenants/{id}/secrets/{name}/rotate", tag = "backups", request_body = RotationForm,
    params(("id" = String, Path, description = "Tenant id or slug"), ("name" = String, Path, description = "webapp, database, airflow or a secret configuration key")),
    responses((status = 202, body = QueuedChange), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate_secret(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, name)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RotationForm>,
) -> ApiResult<(StatusCode, Json<QueuedChange>)> {
    let change = secret_rotation::request(&caller.ctx, &id, &name, &body).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedChange {
            change_id: change.id,
            title: change.title,
            status: change.status.as_str().to_owned(),
            next_start_at: change.next_start_at,
            schedule_reason: change.schedule_reason,
        }),
    ))
}

/// Rotates the secret every `interval_days` (1–365; empty: no schedule). Audited.
#[utoipa::path(put, path = "/tenants/{id}/secrets/{name}/schedule", tag = "backups", request_body = SecretScheduleForm,
    params(("id" = String, Path, description = "Tenant id or slug"), ("name" = String, Path, description = "webapp, database, airflow or a secret configuration key")),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn schedule_rotation(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, name)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SecretScheduleForm>,
) -> ApiResult<Json<serde_json::Value>> {
    let interval = secret_rotation::set_schedule(&caller.ctx, &id, &name, &body).await?;
    Ok(Json(
        serde_json::json!({ "secret": name, "interval_days": interval }),
    ))
}
