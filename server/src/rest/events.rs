//! `/api/v1/events` and `/api/v1/event-types`: the event stream for
//! consumers that pull (catch up from the last sequence they saw), and the
//! catalogue of what it carries.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::backend::services::events;
use app::backend::state::AppState;
use app::domain::events::{CATALOGUE, EventType};
use app::model::events::{EventPage, EventQuery};

use super::access::Caller;
use super::problem::{ApiQuery, ApiResult, Problem};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// The last sequence number you saw (`next_after` of the previous page); 0 or absent: from the start.
    pub after: Option<i64>,
    /// Comma-separated event types or groups, e.g. `change.*,tenant.created`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// One tenant (id or slug).
    pub tenant: Option<String>,
    /// Events per page, 1–500 (default 100).
    pub limit: Option<u64>,
}

/// Events after a sequence number, oldest first: a consumer that was down
/// asks again from the last `sequence` it processed and misses nothing.
#[utoipa::path(get, path = "/events", tag = "events", params(EventParams),
    responses((status = 200, body = EventPage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(_state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<EventParams>,
) -> ApiResult<Json<EventPage>> {
    let query = EventQuery {
        after: params.after.unwrap_or(0),
        types: params.event_type.unwrap_or_default(),
        tenant: params.tenant.unwrap_or_default(),
        limit: params.limit.unwrap_or(100),
    };
    Ok(Json(events::page(&caller.ctx, &query).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeList {
    pub items: Vec<EventType>,
}

/// The event catalogue: every type, its payload version and what it means.
/// Each event carries `data.state`, the resource after the change.
#[utoipa::path(get, path = "/event-types", tag = "events",
    responses((status = 200, body = EventTypeList)))]
pub async fn types(_caller: Caller) -> Json<EventTypeList> {
    Json(EventTypeList {
        items: CATALOGUE.to_vec(),
    })
}

/// The event stream's routes, with their OpenAPI entries.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(types))
}
