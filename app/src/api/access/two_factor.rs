//! The optional second factor: set up (QR code, confirm with a code, recovery
//! codes shown once), turn off, and the sign-in step that asks for a code.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::access::two_factor::*;

#[server(prefix = "/api/fn", endpoint = "two_factor_status")]
pub async fn two_factor_status() -> Result<TwoFactorView, AppError> {
    use crate::api::context::{auth_session, respond};
    use crate::backend::services::access::two_factor;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let session = auth_session().await?;
    let (enabled_at, recovery_codes_left) = respond(two_factor::status(&ctx).await)?;
    let enrollment = match session.pending_enrollment().await {
        Some(secret) if enabled_at.is_none() => Some(respond(two_factor::enrollment_for(
            &ctx.principal.email,
            &secret,
        ))?),
        _ => None,
    };
    Ok(TwoFactorView {
        enabled_at,
        recovery_codes_left,
        enrollment,
        new_recovery_codes: session.take_new_recovery_codes().await,
    })
}

/// Starts setting up: a fresh secret, kept in the session until confirmed.
#[server(prefix = "/api/fn", endpoint = "start_two_factor")]
pub async fn start_two_factor() -> Result<Enrollment, AppError> {
    use crate::api::context::{auth_session, require_principal, respond};
    use crate::backend::services::access::two_factor;
    let principal = respond(require_principal().await)?;
    let secret = two_factor::new_secret();
    respond(auth_session().await?.hold_enrollment(&secret).await)?;
    respond(two_factor::enrollment_for(&principal.email, &secret))
}

/// Confirms the set-up with a code from the authenticator; returns the
/// recovery codes (shown once).
#[server(prefix = "/api/fn", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    use crate::api::context::{auth_session, is_html_form_post, respond};
    use crate::backend::error::ServiceError;
    use crate::backend::services::access::two_factor;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    let session = auth_session().await?;
    let Some(secret) = session.pending_enrollment().await else {
        return respond(Err(ServiceError::Policy(
            "Start the set-up first: there is no code to confirm.".into(),
        )));
    };
    let codes = respond(two_factor::confirm(&ctx, &secret, &code).await)?;
    session.finish_enrollment().await;
    // Without JavaScript the browser is sent back to the page, which shows
    // the codes once from the session; with it, the page shows the answer.
    if is_html_form_post() {
        respond(session.hold_new_recovery_codes(&codes).await)?;
    }
    Ok(codes)
}

#[server(prefix = "/api/fn", endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: String, code: String) -> Result<(), AppError> {
    use crate::api::context::respond;
    use crate::backend::services::access::two_factor;
    let ctx = respond(crate::api::context::server_ctx().await)?;
    respond(two_factor::disable(&ctx, &password, &code).await)
}

/// The second sign-in step: a code from the authenticator, or a recovery code.
#[server(prefix = "/api/fn", endpoint = "verify_login")]
pub async fn verify_login(code: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::access::auth::safe_next;
    use crate::api::context::{app_state, auth_session, request_context, respond};
    use crate::backend::error::ServiceError;
    use crate::backend::services::access::two_factor;
    let state = app_state()?;
    let session = auth_session().await?;
    let Some(pending) = session.pending_second_factor().await else {
        return respond(Err(ServiceError::Policy(
            "Your sign-in expired. Start again with your email and password.".into(),
        )));
    };
    let signed_in = respond(
        two_factor::complete_sign_in(
            &state.db,
            &request_context(),
            &state.accounts,
            pending.user_id,
            pending.session_version,
            &code,
            state.clock.now(),
        )
        .await,
    )?;
    respond(
        session
            .sign_in(signed_in.principal.user_id, signed_in.session_version)
            .await,
    )?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}
