use crate::error::AppError;
use leptos::prelude::*;

pub use crate::model::access::auth::*;

/// Signs in and redirects to `next` (a local path) or the dashboard.
#[server(prefix = "/api/fn", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::context::{app_state, request_context, respond};
    use crate::backend::services::access::auth::authenticate;

    let state = app_state()?;
    let signed_in = respond(
        authenticate(
            &state.db,
            &request_context(),
            &state.accounts,
            &email,
            &password,
            state.clock.now(),
        )
        .await,
    )?;
    start_session(&signed_in, &safe_next(next.as_deref())).await
}

/// After a password was accepted: signs the session in and goes to `next`,
/// or, for an account with a second factor, holds the session for the code
/// and goes to the code page first.
#[cfg(feature = "ssr")]
pub(crate) async fn start_session(
    signed_in: &crate::backend::services::access::auth::SignedIn,
    next: &str,
) -> Result<(), AppError> {
    use crate::api::context::{auth_session, respond};
    let session = auth_session().await?;
    let (user_id, version) = (signed_in.principal.user_id, signed_in.session_version);
    if signed_in.second_factor_pending {
        respond(session.await_second_factor(user_id, version).await)?;
        let next = crate::ui::components::url::encode_query_value(next);
        leptos_axum::redirect(&format!("/login/verify?next={next}"));
    } else {
        respond(session.sign_in(user_id, version).await)?;
        leptos_axum::redirect(next);
    }
    Ok(())
}

/// Signs out: the server-side session is destroyed, then back to the login page.
#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::api::context::{
        app_state, auth_session, request_context, require_principal, respond,
    };
    use crate::backend::services::access::auth::record_logout;

    let session = auth_session().await?;
    if let Ok(principal) = require_principal().await {
        respond(record_logout(&app_state()?.db, &request_context(), &principal).await)?;
    }
    respond(session.sign_out().await)?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::api::context::require_principal;
    match require_principal().await {
        Ok(principal) => {
            use crate::domain::access::permission::Permission;
            use crate::domain::access::permission::Scope;
            Ok(Some(SignedInUser {
                can_onboard: principal.can(Permission::TenantManage, Scope::Platform),
                can_manage_users: principal.grants.allows_somewhere(Permission::UserManage),
                sees_platform: principal.can(Permission::TenantRead, Scope::Platform),
                display_name: principal.display_name,
                email: principal.email,
            }))
        }
        Err(AppError::Unauthenticated) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Only same-site paths are followed after login (the rule is in the domain).
pub fn safe_next(next: Option<&str>) -> String {
    crate::domain::untrusted::safe_redirect_target(next)
}
