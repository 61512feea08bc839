//! Who is calling the REST API: a bearer API token or the browser session.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tower_sessions::Session;

use app::backend::audit::RequestContext;
use app::backend::context::Ctx;
use app::backend::error::ServiceError;
use app::backend::services::access::api_tokens;
use app::backend::session::AuthSession;
use app::backend::state::AppState;

use super::problem::ApiError;

/// The authenticated caller and the request's audit context.
pub struct Caller {
    /// The caller's principal and request context on the application's pools and clock.
    pub ctx: Ctx,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let context = request_context(parts);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
                    .map(|t| t.trim().to_owned())
            });
        let principal = match &bearer {
            Some(Some(token)) => {
                api_tokens::authenticate(&state.reads, &state.db, token, state.clock.now()).await?
            }
            // Another scheme (Basic, say) is a client mistake worth naming.
            Some(None) => return Err(ServiceError::Unauthenticated.into()),
            None => {
                let session = Session::from_request_parts(parts, state)
                    .await
                    .map_err(|_| ApiError::from(ServiceError::Unauthenticated))?;
                AuthSession::new(session, state.clock.clone())
                    .principal(&state.reads, &state.accounts)
                    .await?
                    .ok_or(ServiceError::Unauthenticated)?
            }
        };
        let token = match &bearer {
            Some(Some(token)) => Some(token.as_str()),
            _ => None,
        };
        if let Some(verdict) =
            app::backend::rate_limit::admit(&state.reads, &principal, token).await?
        {
            if let Some(slot) = parts
                .extensions
                .get::<app::backend::rate_limit::VerdictSlot>()
            {
                slot.put(verdict);
            }
            if let Some(retry_after_seconds) = verdict.retry_after_seconds {
                return Err(ServiceError::RateLimited {
                    retry_after_seconds,
                }
                .into());
            }
        }
        Ok(Caller {
            ctx: state.ctx(principal, context),
        })
    }
}

/// The request id and client address every audit record of this request carries.
pub fn request_context(parts: &Parts) -> RequestContext {
    RequestContext {
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        client_address: client_address(parts),
    }
}

/// The client's address as the router resolved it (trusted proxies), if any.
pub fn client_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<app::backend::audit::ClientAddress>()
        .map(|address| address.0.to_string())
}

/// The client's address from a whole request (see [`client_address`]).
pub fn client_address_of(request: &axum::extract::Request) -> Option<String> {
    request
        .extensions()
        .get::<app::backend::audit::ClientAddress>()
        .map(|address| address.0.to_string())
}

/// The agent token an agent sends as its bearer.
pub(super) fn agent_token(headers: &axum::http::HeaderMap) -> super::problem::ApiResult<String> {
    Ok(headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(app::backend::error::ServiceError::Unauthenticated)?
        .to_owned())
}
