//! Server functions of a tenant's Backups tab.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::backups::*;

#[server(prefix = "/api/fn", endpoint = "backups_of_tenant")]
pub async fn backups_of_tenant(slug: String) -> Result<TenantBackups, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(backups::view(&ctx, &slug).await)
}

/// Asks for a backup now; the page goes to the change it queued.
#[server(prefix = "/api/fn", endpoint = "request_tenant_backup")]
pub async fn request_tenant_backup(
    slug: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let change = respond(backups::request_backup(&ctx, &slug, &BackupRequestForm { note }).await)?;
    leptos_axum::redirect(&format!("/changes/{}", change.id));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "verify_tenant_backup")]
pub async fn verify_tenant_backup(slug: String, backup_id: String) -> Result<BackupRow, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(backups::verify(&ctx, &slug, &backup_id).await)
}

/// Asks for a restore test of a backup (into a scratch target; the tenant
/// is not touched); the page goes to the change it queued.
#[server(prefix = "/api/fn", endpoint = "test_tenant_restore")]
pub async fn test_tenant_restore(slug: String, backup_id: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::restore_tests;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let change = respond(restore_tests::request(&ctx, &slug, &backup_id).await)?;
    leptos_axum::redirect(&format!("/changes/{}", change.id));
    Ok(())
}

/// Asks for a restore from a backup (the slug typed to confirm); the page
/// goes to the change it queued.
#[server(prefix = "/api/fn", endpoint = "restore_tenant_backup")]
pub async fn restore_tenant_backup(
    slug: String,
    backup_id: String,
    #[server(default)] confirm: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let change = respond(
        backups::request_restore(
            &ctx,
            &slug,
            &RestoreForm {
                backup_id,
                confirm,
                note,
            },
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/changes/{}", change.id));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "set_backup_schedule")]
pub async fn set_backup_schedule(
    slug: String,
    #[server(default)] keep_daily: String,
    #[server(default)] keep_weekly: String,
    #[server(default)] keep_monthly: String,
    #[server(default)] restore_test_days: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        backups::set_schedule(
            &ctx,
            &slug,
            &BackupScheduleForm {
                keep_daily,
                keep_weekly,
                keep_monthly,
                restore_test_days,
            },
        )
        .await,
    )?;
    Ok(())
}

/// Sets (`lift` empty) or lifts the tenant's legal hold.
#[server(prefix = "/api/fn", endpoint = "legal_hold_of_tenant")]
pub async fn legal_hold_of_tenant(
    slug: String,
    hold_reason: String,
    #[server(default)] lift: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::backups;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let form = LegalHoldForm {
        reason: hold_reason,
    };
    if lift.is_empty() {
        respond(backups::set_legal_hold(&ctx, &slug, &form).await)?;
    } else {
        respond(backups::lift_legal_hold(&ctx, &slug, &form).await)?;
    }
    Ok(())
}
