//! Server-side helpers every server function uses: the state, the request
//! context and the signed-in principal.

use http::request::Parts;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::backend::audit::RequestContext;
use crate::backend::principal::Principal;
use crate::backend::services::auth::load_principal;
use crate::backend::session::AuthSession;
use crate::backend::state::AppState;
use crate::error::AppError;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server-function context");
        AppError::Internal
    })
}

pub fn request_context() -> RequestContext {
    let request_id = use_context::<Parts>().and_then(|parts| {
        parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    RequestContext { request_id }
}

pub async fn auth_session() -> Result<AuthSession, AppError> {
    let session = leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })?;
    Ok(AuthSession(session))
}

/// The signed-in principal, or `Unauthenticated`.
pub async fn require_principal() -> Result<Principal, AppError> {
    let state = app_state()?;
    let session = auth_session().await?;
    let user_id = session.user_id().await.ok_or(AppError::Unauthenticated)?;
    load_principal(&state.reads, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Maps a server function's error and gives the response the matching HTTP
/// status — except for plain HTML form posts, which must stay redirects so
/// the error can travel back to the page in the URL.
pub fn respond<T, E: Into<AppError>>(result: Result<T, E>) -> Result<T, AppError> {
    result.map_err(|err| {
        let err = err.into();
        if !is_html_form_post() {
            if let (Some(options), Ok(status)) = (
                use_context::<leptos_axum::ResponseOptions>(),
                http::StatusCode::from_u16(err.status_code()),
            ) {
                options.set_status(status);
            }
        }
        err
    })
}

/// Whether this server-function call is a plain HTML form post (JavaScript
/// off), whose answer must be a redirect rather than data.
pub fn is_html_form_post() -> bool {
    use_context::<Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
        .and_then(|accept| accept.to_str().ok().map(|a| a.contains("text/html")))
        .unwrap_or(false)
}
