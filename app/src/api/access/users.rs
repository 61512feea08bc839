//! Users and invitations (platform admins: everyone; tenant admins: the
//! people of their tenants), and the public account pages: accepting an
//! invitation, resetting a forgotten password, changing one's own.

use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::model::access::users::*;

#[server(prefix = "/api/fn", endpoint = "list_users", input = server_fn::codec::Json)]
pub async fn list_users(query: UsersQuery) -> Result<UsersView, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::access::accounts;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(accounts::list_users(&ctx, &query, state.mailer.outbox_dir().is_some()).await)
}

#[server(prefix = "/api/fn", endpoint = "invite_user")]
pub async fn invite_user(email: String, role: String, tenant: String) -> Result<(), AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::access::accounts;
    let state = app_state()?;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(accounts::invite(&ctx, &state.accounts, &email, &role, &tenant).await)?;
    state.mail_queued.notify_one();
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: Uuid) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::accounts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(accounts::revoke_invitation(&ctx, id).await)
}

#[server(prefix = "/api/fn", endpoint = "set_user_active")]
pub async fn set_user_active(id: Uuid, active: bool) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::accounts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(accounts::set_active(&ctx, id, active).await)
}

/// Public: the page behind an invitation link.
#[server(prefix = "/api/fn", endpoint = "describe_invitation")]
pub async fn describe_invitation(token: String) -> Result<InvitationView, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::access::accounts;
    respond(
        accounts::describe_invitation(&app_state()?.reads, &token, app_state()?.clock.now()).await,
    )
}

/// Public: accepts an invitation, creates (or extends) the account and signs in.
#[server(prefix = "/api/fn", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    display_name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::api::context::{app_state, request_context, respond};
    use crate::backend::services::access::accounts;
    let state = app_state()?;
    let signed_in = respond(
        accounts::accept_invitation(
            &state.db,
            &request_context(),
            &state.accounts,
            &token,
            &display_name,
            &password,
            &password_confirm,
            state.clock.now(),
        )
        .await,
    )?;
    // An existing account with a second factor: the invitation is accepted,
    // but the session is signed in only once the code is given.
    crate::api::access::auth::start_session(&signed_in, "/").await
}

/// Public: sends a reset link if the address belongs to an active account.
/// The answer is the same either way, so accounts cannot be discovered.
#[server(prefix = "/api/fn", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::api::context::{app_state, request_context, respond};
    use crate::backend::services::access::accounts;
    let state = app_state()?;
    respond(
        accounts::request_password_reset(
            &state.db,
            &request_context(),
            &state.accounts,
            &email,
            state.clock.now(),
        )
        .await,
    )?;
    state.mail_queued.notify_one();
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "describe_password_reset")]
pub async fn describe_password_reset(token: String) -> Result<PasswordResetView, AppError> {
    use crate::api::context::{app_state, respond};
    use crate::backend::services::access::accounts;
    respond(
        accounts::describe_password_reset(&app_state()?.reads, &token, app_state()?.clock.now())
            .await,
    )
}

/// Public: sets a new password from a reset link; every session of the
/// account ends, and the person signs in afresh.
#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::api::context::{app_state, request_context, respond};
    use crate::backend::services::access::accounts;
    respond(
        accounts::complete_password_reset(
            &app_state()?.db,
            &request_context(),
            &token,
            &password,
            &password_confirm,
            app_state()?.clock.now(),
        )
        .await,
    )?;
    leptos_axum::redirect("/login?password_reset=1");
    Ok(())
}

/// Changes the signed-in user's password. Other sessions end; this one
/// stays signed in under a new session id.
#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::api::context::{auth_session, respond};
    use crate::backend::services::access::accounts;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let version = respond(
        accounts::change_password(&ctx, &current_password, &password, &password_confirm).await,
    )?;
    respond(
        auth_session()
            .await?
            .sign_in(ctx.principal.user_id, version)
            .await,
    )?;
    leptos_axum::redirect("/settings/account?changed=1");
    Ok(())
}

/// Development only: the emails written to the outbox folder because no SMTP
/// server is configured. Platform settings managers only; with SMTP
/// configured this page does not exist.
#[server(prefix = "/api/fn", endpoint = "list_outbox")]
pub async fn list_outbox() -> Result<Vec<OutboxEntry>, AppError> {
    use crate::api::context::{app_state, require_principal, respond};
    use crate::backend::error::ServiceError;
    use crate::backend::mail::read_outbox;
    use crate::domain::access::permission::Permission;
    let state = app_state()?;
    let principal = respond(require_principal().await)?;
    respond(principal.require(Permission::SettingsManage))?;
    let Some(dir) = state.mailer.outbox_dir() else {
        return respond(Err(ServiceError::NotFound));
    };
    respond(read_outbox(dir, 100).await.map_err(ServiceError::internal))
}
