//! Backups and restore: a tenant's backups, schedule and legal holds; asking
//! for a backup or a restore (change requests), verifying a backup.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use app::backend::entities::change_request;
use app::backend::services::tenants::{backups, restore_tests};
use app::backend::state::AppState;
use app::domain::tenants::backup::BackupSchedule;
use app::model::tenants::backups::{
    BackupRequestForm, BackupRow, BackupScheduleForm, LegalHoldForm, LegalHoldRow, QueuedChange,
    RestoreForm, TenantBackups,
};

use super::access::Caller;
use super::problem::{ApiJson, ApiPath, ApiResult, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_backups, request_backup))
        .routes(routes!(verify_backup))
        .routes(routes!(request_restore_test))
        .routes(routes!(request_restore))
        .routes(routes!(set_backup_schedule))
        .routes(routes!(set_legal_hold, lift_legal_hold))
}

fn queued(change: change_request::Model) -> QueuedChange {
    QueuedChange {
        change_id: change.id,
        title: change.title,
        status: change.status.as_str().to_owned(),
        next_start_at: change.next_start_at,
        schedule_reason: change.schedule_reason,
    }
}

/// The tenant's backups (newest first, deleted ones with why), its backup
/// schedule, legal holds and the backup or restore under way.
#[utoipa::path(get, path = "/tenants/{id}/backups", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = TenantBackups), (status = 404, body = Problem)))]
pub async fn tenant_backups(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TenantBackups>> {
    Ok(Json(backups::view(&caller.ctx, &id).await?))
}

/// Asks for a backup now (`tenant.lifecycle`): a backup change, routed by
/// the tenant's policy into its next maintenance window. Its bundle is
/// recorded when the executor's backup step has run.
#[utoipa::path(post, path = "/tenants/{id}/backups", tag = "backups", request_body = BackupRequestForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 202, body = QueuedChange), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_backup(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<BackupRequestForm>,
) -> ApiResult<(StatusCode, Json<QueuedChange>)> {
    let change = backups::request_backup(&caller.ctx, &id, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(queued(change))))
}

/// Re-reads the backup's bundle and re-hashes it; the result (verified,
/// corrupt or missing) is recorded and returned.
#[utoipa::path(post, path = "/tenants/{id}/backups/{backup}/verify", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug"), ("backup" = String, Path, description = "Backup id")),
    responses((status = 200, body = BackupRow), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn verify_backup(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, backup)): ApiPath<(String, String)>,
) -> ApiResult<Json<BackupRow>> {
    Ok(Json(backups::verify(&caller.ctx, &id, &backup).await?))
}

/// Asks for a restore test of one of the tenant's backups (`latest` names
/// the newest; `tenant.lifecycle`): a change that restores it into a
/// scratch target, runs the tenant's health baseline there and tears the
/// scratch target down. It starts at once — the running tenant is not
/// touched. Its verdict lands on the backup (`restore_test`). A deleted
/// bundle, or one a verify found corrupt, is refused (409), as is a second
/// drill while one is under way.
#[utoipa::path(post, path = "/tenants/{id}/backups/{backup}/restore-test", tag = "backups",
    params(("id" = String, Path, description = "Tenant id or slug"), ("backup" = String, Path, description = "Backup id, or `latest`")),
    responses((status = 202, body = QueuedChange), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_restore_test(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath((id, backup)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<QueuedChange>)> {
    let change = restore_tests::request(&caller.ctx, &id, &backup).await?;
    Ok((StatusCode::ACCEPTED, Json(queued(change))))
}

/// Asks for a restore from one of the tenant's backups (`tenant.lifecycle`;
/// `confirm` is the tenant's slug). The bundle's checksum is checked first:
/// a corrupt or missing bundle is refused (422) and nothing changes.
#[utoipa::path(post, path = "/tenants/{id}/restore", tag = "backups", request_body = RestoreForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 202, body = QueuedChange), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_restore(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RestoreForm>,
) -> ApiResult<(StatusCode, Json<QueuedChange>)> {
    let change = backups::request_restore(&caller.ctx, &id, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(queued(change))))
}

/// Sets how many daily, weekly and monthly backups the tenant keeps (0: that
/// class is not taken) and every how many days the latest verified backup
/// gets a restore test (0: only when asked). Audited.
#[utoipa::path(put, path = "/tenants/{id}/backups/schedule", tag = "backups", request_body = BackupScheduleForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_backup_schedule(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<BackupScheduleForm>,
) -> ApiResult<Json<BackupSchedule>> {
    Ok(Json(backups::set_schedule(&caller.ctx, &id, &body).await?))
}

/// Sets a legal hold on the tenant (platform `legal.hold`; a reason is
/// required): retention deletes nothing of it until the hold is lifted.
#[utoipa::path(post, path = "/tenants/{id}/legal-hold", tag = "backups", request_body = LegalHoldForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 201, body = LegalHoldRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_legal_hold(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LegalHoldForm>,
) -> ApiResult<(StatusCode, Json<LegalHoldRow>)> {
    Ok((
        StatusCode::CREATED,
        Json(backups::set_legal_hold(&caller.ctx, &id, &body).await?),
    ))
}

/// Lifts the standing legal hold (platform `legal.hold`), saying why.
#[utoipa::path(delete, path = "/tenants/{id}/legal-hold", tag = "backups", request_body = LegalHoldForm,
    params(("id" = String, Path, description = "Tenant id or slug")),
    responses((status = 200, body = LegalHoldRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn lift_legal_hold(
    State(_state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LegalHoldForm>,
) -> ApiResult<Json<LegalHoldRow>> {
    Ok(Json(
        backups::lift_legal_hold(&caller.ctx, &id, &body).await?,
    ))
}
