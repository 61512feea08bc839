//! Server-side helpers every server function uses: the state, the request
//! context and the signed-in principal.

use http::request::Parts;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::backend::audit::RequestContext;
use crate::backend::context::Ctx;
use crate::backend::principal::Principal;
use crate::backend::session::AuthSession;
use crate::backend::state::AppState;
use crate::error::AppError;

#[track_caller]
pub fn app_state() -> Result<AppState, AppError> {
    let caller = std::panic::Location::caller();
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!(%caller, "AppState missing from the server-function context");
        AppError::Internal
    })
}

pub fn request_context() -> RequestContext {
    let parts = use_context::<Parts>();
    let request_id = parts.as_ref().and_then(|parts| {
        parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let client_address = parts.as_ref().and_then(|parts| {
        parts
            .extensions
            .get::<crate::backend::audit::ClientAddress>()
            .map(|address| address.0.to_string())
    });
    RequestContext {
        request_id,
        client_address,
    }
}

pub async fn auth_session() -> Result<AuthSession, AppError> {
    let session = leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })?;
    Ok(AuthSession::new(session, app_state()?.clock.clone()))
}

/// The signed-in principal, or `Unauthenticated`.
pub async fn require_principal() -> Result<Principal, AppError> {
    let state = app_state()?;
    let session = auth_session().await?;
    session
        .principal(&state.reads, &state.accounts)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The signed-in principal's use-case context for this request.
pub async fn server_ctx() -> Result<Ctx, AppError> {
    let state = app_state()?;
    let principal = require_principal().await?;
    Ok(state.ctx(principal, request_context()))
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
            if let (Some(options), AppError::RateLimited(seconds)) =
                (use_context::<leptos_axum::ResponseOptions>(), &err)
            {
                options.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*seconds));
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

/// Whether this call came over HTTP to the server function itself (rather
/// than from a page being rendered on the server).
pub fn is_server_fn_request() -> bool {
    use_context::<Parts>().is_some_and(|parts| parts.uri.path().starts_with("/api/fn/"))
}
