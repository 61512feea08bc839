//! Server functions of a tenant's secrets card (rotations and schedules).

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::tenants::secrets::*;

#[server(prefix = "/api/fn", endpoint = "secrets_of_tenant")]
pub async fn secrets_of_tenant(slug: String) -> Result<TenantSecrets, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::secret_rotation;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(secret_rotation::view(&ctx, &slug).await)
}

/// Asks for a rotation (an empty value is generated); the page goes to the
/// change it queued.
#[server(prefix = "/api/fn", endpoint = "rotate_tenant_secret")]
pub async fn rotate_tenant_secret(
    slug: String,
    rotate_secret: String,
    #[server(default)] new_value: String,
    #[server(default)] rotation_note: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::secret_rotation;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let change = respond(
        secret_rotation::request(
            &ctx,
            &slug,
            &rotate_secret,
            &RotationForm {
                value: new_value,
                note: rotation_note,
            },
        )
        .await,
    )?;
    leptos_axum::redirect(&format!("/changes/{}", change.id));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "schedule_secret_rotation")]
pub async fn schedule_secret_rotation(
    slug: String,
    schedule_secret: String,
    #[server(default)] interval_days: String,
) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::tenants::secret_rotation;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        secret_rotation::set_schedule(
            &ctx,
            &slug,
            &schedule_secret,
            &SecretScheduleForm { interval_days },
        )
        .await,
    )?;
    Ok(())
}
