//! API tokens (Settings): create, list and revoke. A new token is shown once.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::access::api_tokens::*;

#[server(prefix = "/api/fn", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<ApiTokensView, AppError> {
    use crate::api::context::{auth_session, respond};
    use crate::backend::services::access::api_tokens;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let tokens = respond(api_tokens::list(&ctx).await)?;
    let bindings = respond(api_tokens::bindings_for_new_token(&ctx).await)?;
    let new_token = auth_session().await?.take_new_api_token().await;
    Ok(ApiTokensView {
        tokens,
        new_token,
        bindings,
    })
}

/// `expires_in_days` is text from the form: blank means "never"; `binding`
/// is the id of one of the creator's role bindings, or blank for all.
#[server(prefix = "/api/fn", endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    expires_in_days: String,
    #[server(default)] binding: String,
) -> Result<CreatedApiToken, AppError> {
    use crate::api::context::{auth_session, is_html_form_post, respond};
    use crate::backend::services::access::api_tokens;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let created = respond(api_tokens::create(&ctx, &name, &expires_in_days, &binding).await)?;
    // Without JavaScript the browser is sent back to the page, which shows the
    // secret once from the session; with it, the page shows the returned value.
    if is_html_form_post() {
        respond(
            auth_session()
                .await?
                .hold_new_api_token(&created.token)
                .await,
        )?;
    }
    Ok(created)
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::api_tokens;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(api_tokens::revoke(&ctx, id).await)
}
