//! Server functions of a tenant's Manifest tab.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::manifests::*;

/// The tenant's manifest as YAML (what `GET …/manifest?format=yaml` serves).
#[server(prefix = "/api/fn", endpoint = "manifest_of_tenant")]
pub async fn manifest_of_tenant(slug: String) -> Result<String, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::manifests;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let manifest = respond(manifests::export(&ctx, &slug).await)?;
    Ok(crate::domain::manifests::manifest::to_yaml(&manifest))
}

/// What applying the manifest text would do; nothing is written.
#[server(prefix = "/api/fn", endpoint = "plan_tenant_manifest")]
pub async fn plan_tenant_manifest(
    #[server(default)] content: String,
) -> Result<ManifestPlan, AppError> {
    use crate::api::context::respond;
    use crate::backend::services::manifests;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(
        manifests::plan(
            &ctx,
            &[ManifestDocument {
                source: String::new(),
                content,
            }],
        )
        .await,
    )
}
