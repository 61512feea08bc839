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

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// The last sequence seen (a reconnecting `EventSource` sends `Last-Event-ID` instead).
    pub after: Option<i64>,
    /// Seconds the stream stays open (0–55, default 55); the browser's
    /// `EventSource` reconnects by itself, so a stream is never held forever.
    pub max_wait: Option<u64>,
}

/// The portal's live feed (server-sent events): first `event: hello` with
/// `events` (events follow) or `unread` (only the count does), then
/// `event: event` for each new event the caller may read (`id` = its
/// sequence, `data` = the event), and `event: unread` with the caller's
/// unread notification count whenever it changes (first on connect). Pages on in-flight work and the inbox badge
/// follow it instead of polling.
#[utoipa::path(get, path = "/events/stream", tag = "events", params(StreamParams),
    responses((status = 200, content_type = "text/event-stream", description = "Server-sent events: `hello`, `event`, `unread`"),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn stream(
    State(_state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> ApiResult<
    axum::response::sse::Sse<
        impl futures::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    use app::backend::services::events::{FeedMessage, LiveFeed};
    use axum::response::sse::{Event, KeepAlive, Sse};
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = resumed.or(params.after).filter(|after| *after >= 0);
    let max_wait = std::time::Duration::from_secs(params.max_wait.unwrap_or(55).min(55));
    let feed = LiveFeed::open(caller.ctx, after, max_wait).await?;
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let message = match feed.next().await? {
            FeedMessage::Hello { carries_events } => Event::default()
                .event("hello")
                .data(if carries_events { "events" } else { "unread" }),
            FeedMessage::Unread(count) => Event::default().event("unread").data(count.to_string()),
            FeedMessage::Event(item) => Event::default()
                .event("event")
                .id(item.sequence.to_string())
                .data(serde_json::to_string(&item).unwrap_or_default()),
        };
        Some((Ok(message), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
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
        .routes(routes!(stream))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::show))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::set_enabled))
        .routes(routes!(webhooks::requeue))
        .routes(routes!(webhooks::replay))
        .routes(routes!(webhooks::test))
}

/// Webhook endpoints: the vendor's hear every event, a tenant's only its own.
pub mod webhooks {
    use axum::Json;
    use axum::extract::State;
    use axum::http::StatusCode;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;
    use uuid::Uuid;

    use app::backend::services::events::webhooks;
    use app::backend::state::AppState;
    use app::model::events::{
        AttemptQuery, EndpointDetail, EndpointForm, EndpointSecret, EndpointView,
    };

    use crate::rest::access::Caller;
    use crate::rest::problem::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};

    #[derive(Debug, Serialize, ToSchema)]
    pub struct EndpointList {
        pub items: Vec<EndpointView>,
    }

    /// The endpoints the caller may see.
    #[utoipa::path(get, path = "/webhooks", tag = "events",
        responses((status = 200, body = EndpointList), (status = 403, body = Problem)))]
    pub async fn list(State(_s): State<AppState>, caller: Caller) -> ApiResult<Json<EndpointList>> {
        Ok(Json(EndpointList {
            items: webhooks::list(&caller.ctx).await?,
        }))
    }

    /// Subscribe a URL. The answer holds the signing secret, shown this once.
    #[utoipa::path(post, path = "/webhooks", tag = "events", request_body = EndpointForm,
        responses((status = 201, body = EndpointSecret), (status = 403, body = Problem),
            (status = 404, body = Problem), (status = 422, body = Problem)))]
    pub async fn create(
        State(_s): State<AppState>,
        caller: Caller,
        ApiJson(form): ApiJson<EndpointForm>,
    ) -> ApiResult<(StatusCode, Json<EndpointSecret>)> {
        Ok((
            StatusCode::CREATED,
            Json(webhooks::create(&caller.ctx, &form).await?),
        ))
    }

    /// The endpoint and one page of its delivery log, newest first (status,
    /// latency, the answer's first 1 KB, next retry), narrowed by outcome and
    /// event types.
    #[utoipa::path(get, path = "/webhooks/{id}", tag = "events",
        params(("id" = Uuid, Path, description = "Endpoint id"), AttemptQuery),
        responses((status = 200, body = EndpointDetail), (status = 404, body = Problem), (status = 422, body = Problem)))]
    pub async fn show(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
        ApiQuery(query): ApiQuery<AttemptQuery>,
    ) -> ApiResult<Json<EndpointDetail>> {
        Ok(Json(webhooks::detail(&caller.ctx, id, &query).await?))
    }

    /// A new signing secret; the previous one keeps signing for 24 hours
    /// (both signatures are sent meanwhile).
    #[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "events",
        params(("id" = Uuid, Path, description = "Endpoint id")),
        responses((status = 200, body = EndpointSecret), (status = 404, body = Problem)))]
    pub async fn rotate(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
    ) -> ApiResult<Json<EndpointSecret>> {
        Ok(Json(webhooks::rotate_secret(&caller.ctx, id).await?))
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct EnabledBody {
        pub enabled: bool,
    }

    /// Turn the endpoint on (its failure clock restarts) or off.
    #[utoipa::path(put, path = "/webhooks/{id}/enabled", tag = "events", request_body = EnabledBody,
        params(("id" = Uuid, Path, description = "Endpoint id")),
        responses((status = 200, body = EndpointView), (status = 404, body = Problem), (status = 422, body = Problem)))]
    pub async fn set_enabled(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
        ApiJson(body): ApiJson<EnabledBody>,
    ) -> ApiResult<Json<EndpointView>> {
        Ok(Json(
            webhooks::set_enabled(&caller.ctx, id, body.enabled).await?,
        ))
    }

    #[derive(Debug, Serialize, ToSchema)]
    pub struct TestSent {
        /// The test event's id: its delivery shows in the endpoint's log.
        pub event_id: Uuid,
    }

    /// Send the endpoint a `webhook.test` event (only it receives it).
    #[utoipa::path(post, path = "/webhooks/{id}/test", tag = "events",
        params(("id" = Uuid, Path, description = "Endpoint id")),
        responses((status = 202, body = TestSent), (status = 404, body = Problem)))]
    pub async fn test(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
    ) -> ApiResult<(StatusCode, Json<TestSent>)> {
        Ok((
            StatusCode::ACCEPTED,
            Json(TestSent {
                event_id: webhooks::send_test(&caller.ctx, id).await?,
            }),
        ))
    }

    #[derive(Debug, Default, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RequeueBody {
        /// Only dead letters that died at or after this time; absent: all.
        #[serde(default)]
        pub since: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Serialize, ToSchema)]
    pub struct Requeued {
        pub requeued: u64,
    }

    /// Send the dead letters again, in their sequence order.
    #[utoipa::path(post, path = "/webhooks/{id}/requeue", tag = "events", request_body = RequeueBody,
        params(("id" = Uuid, Path, description = "Endpoint id")),
        responses((status = 200, body = Requeued), (status = 404, body = Problem), (status = 422, body = Problem)))]
    pub async fn requeue(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
        ApiJson(body): ApiJson<RequeueBody>,
    ) -> ApiResult<Json<Requeued>> {
        Ok(Json(Requeued {
            requeued: webhooks::requeue(&caller.ctx, id, body.since).await?,
        }))
    }

    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReplayBody {
        /// The first global sequence number to send again.
        pub from_sequence: i64,
    }

    #[derive(Debug, Serialize, ToSchema)]
    pub struct Replayed {
        pub replayed: u64,
    }

    /// Send every event the endpoint may hear from a global sequence number
    /// on again, in order (each with its original `webhook-id`).
    #[utoipa::path(post, path = "/webhooks/{id}/replay", tag = "events", request_body = ReplayBody,
        params(("id" = Uuid, Path, description = "Endpoint id")),
        responses((status = 200, body = Replayed), (status = 404, body = Problem), (status = 422, body = Problem)))]
    pub async fn replay(
        State(_s): State<AppState>,
        caller: Caller,
        ApiPath(id): ApiPath<Uuid>,
        ApiJson(body): ApiJson<ReplayBody>,
    ) -> ApiResult<Json<Replayed>> {
        Ok(Json(Replayed {
            replayed: webhooks::replay_from(&caller.ctx, id, body.from_sequence).await?,
        }))
    }
}
