//! Webhook endpoints and their deliveries. The vendor's endpoints hear every
//! event; a tenant's hear only that tenant's. Deliveries follow Standard
//! Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), the same id on every
//! retry; an endpoint's deliveries go in sequence order (a later event waits
//! while an earlier one is retried), only 2xx counts, 410 disables the
//! endpoint, 429/503 `Retry-After` is honoured, the schedule's end is a
//! dead letter, and five days of failures disable the endpoint.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::columns::JsonText;
use crate::backend::context::{Clock, Ctx};
use crate::backend::crypto::Purpose;
use crate::backend::entities::{event, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::events::{NewEvent, append};
use crate::backend::outbound::{self, OutboundError};
use crate::backend::principal::Actor;
use crate::backend::services::platform::secrets_at_rest;
use crate::backend::services::tenants::resolve_tenant_id;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::events::webhooks::{
    ATTEMPT_TIMEOUT_SECONDS, Verdict, excerpt, failing_too_long, judge_attempt, may_hear,
    retry_after_seconds,
};
use crate::domain::events::{TypeFilter, event_type};
use crate::domain::validation::FieldErrors;
use crate::model::events::{
    AttemptQuery, AttemptRow, EndpointDetail, EndpointForm, EndpointSecret, EndpointView,
};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";

/// How long the previous secret still signs after a rotation.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// How long a worker holds a delivery it is sending: longer than an
/// attempt's time limit; a sender killed mid-way loses it after this.
const CLAIM_SECONDS: u64 = 30;
const CLAIM_FOR: Duration = Duration::seconds(CLAIM_SECONDS as i64);

/// A new signing secret: 32 random bytes, `whsec_` + base64.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under a `whsec_` secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> ServiceResult<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| ServiceError::internal_in("webhook secret", e))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Who may manage endpoints of `tenant` (`None`: the vendor's).
fn require_owner(ctx: &Ctx, tenant: Option<Uuid>) -> ServiceResult<()> {
    match tenant {
        None => ctx.principal.require(Permission::TenantManage),
        Some(id) => ctx
            .principal
            .require_on_tenant(Permission::TenantManage, id),
    }
}

/// The endpoint, if the caller may see it (and, with `manage`, change it);
/// another tenant's is not found.
async fn owned(ctx: &Ctx, id: Uuid, manage: bool) -> ServiceResult<webhook_endpoint::Model> {
    let needed = if manage {
        Permission::TenantManage
    } else {
        Permission::TenantRead
    };
    ctx.principal.require_somewhere(needed)?;
    let found = webhook_endpoint::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let visible = match found.tenant_id {
        None => ctx.principal.can(Permission::TenantRead, Scope::Platform),
        Some(t) => ctx.principal.can(Permission::TenantRead, Scope::Tenant(t)),
    };
    if !visible {
        return Err(ServiceError::NotFound);
    }
    if manage {
        require_owner(ctx, found.tenant_id)?;
    }
    Ok(found)
}

pub async fn create(ctx: &Ctx, form: &EndpointForm) -> ServiceResult<EndpointSecret> {
    let tenant = if form.tenant.trim().is_empty() {
        None
    } else {
        Some(resolve_tenant_id(ctx, form.tenant.trim()).await?.0)
    };
    require_owner(ctx, tenant)?;
    let mut errors = FieldErrors::default();
    let url = outbound::http()
        .check(form.url.trim())
        .map(|u| u.as_str().to_owned())
        .unwrap_or_else(|e| {
            errors.push(
                "url",
                format!("{e} Give the https:// address that receives the events."),
            );
            String::new()
        });
    let types = TypeFilter::parse(&form.event_types).unwrap_or_else(|m| {
        errors.push("event_types", m);
        TypeFilter::default()
    });
    if form.description.chars().count() > 200 {
        errors.push("description", "Use at most 200 characters.");
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let secret = new_secret();
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    if let Some(t) = tenant {
        crate::backend::services::plans::limits::ensure_room(
            &txn,
            t,
            crate::domain::plans::plan::Quota::WebhookEndpoints,
            1,
        )
        .await?;
    }
    let model = webhook_endpoint::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        url: Set(url),
        description: Set(form.description.trim().to_owned()),
        event_types: Set(JsonText(types.0)),
        enabled: Set(true),
        secret: Set(secrets_at_rest::seal(Purpose::WebhookSecret, &secret)),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        failing_since: Set(None),
        disabled_reason: Set(None),
        created_by: Set(ctx.principal.email.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut entry = AuditEntry::new(
        Actor::from(&ctx.principal),
        "webhook.create",
        "webhook_endpoint",
    )
    .target(model.id)
    .details(json!({ "url": model.url, "event_types": model.event_types.0 }));
    if let Some(t) = tenant {
        entry = entry.tenant(t);
    }
    audit::record(&txn, &ctx.request, entry).await?;
    txn.commit().await?;
    Ok(EndpointSecret {
        endpoint: view(&ctx.db, model).await?,
        secret,
    })
}

/// Endpoints the caller may see: the vendor's (platform principals) and
/// those of the tenants it may read.
pub async fn list(ctx: &Ctx) -> ServiceResult<Vec<EndpointView>> {
    ctx.principal.require_somewhere(Permission::TenantRead)?;
    let mut rows = vec![];
    for found in webhook_endpoint::Entity::find()
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(&ctx.db)
        .await?
    {
        let visible = match found.tenant_id {
            None => ctx.principal.can(Permission::TenantRead, Scope::Platform),
            Some(t) => ctx.principal.can(Permission::TenantRead, Scope::Tenant(t)),
        };
        if visible {
            rows.push(view(&ctx.db, found).await?);
        }
    }
    Ok(rows)
}

/// Attempts per page of the delivery log.
pub const ATTEMPTS_PER_PAGE: u64 = 50;

/// The endpoint with one page of its attempts, newest first, narrowed to an
/// outcome and event types.
pub async fn detail(ctx: &Ctx, id: Uuid, query: &AttemptQuery) -> ServiceResult<EndpointDetail> {
    let mut errors = FieldErrors::default();
    let outcome = query
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if outcome.is_some_and(|o| o != "delivered" && o != "failed") {
        errors.push(
            "outcome",
            "Choose delivered or failed, or leave it empty for every attempt.",
        );
    }
    let types = TypeFilter::parse(query.event_type.as_deref().unwrap_or_default()).unwrap_or_else(
        |problem| {
            errors.push("type", problem);
            TypeFilter::default()
        },
    );
    if query.page == Some(0) {
        errors.push("page", "Pages start at 1.");
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let found = owned(ctx, id, false).await?;
    let delivered = Condition::all()
        .add(webhook_attempt::Column::StatusCode.gte(200))
        .add(webhook_attempt::Column::StatusCode.lt(300));
    let mut select =
        webhook_attempt::Entity::find().filter(webhook_attempt::Column::EndpointId.eq(id));
    select = match outcome {
        Some("delivered") => select.filter(delivered),
        Some(_) => select.filter(
            Condition::any()
                .add(webhook_attempt::Column::StatusCode.is_null())
                .add(delivered.not()),
        ),
        None => select,
    };
    if !types.0.is_empty() {
        let of_types = sea_orm::sea_query::Query::select()
            .column(webhook_delivery::Column::Id)
            .from(webhook_delivery::Entity)
            .and_where(webhook_delivery::Column::EndpointId.eq(id))
            .and_where(
                webhook_delivery::Column::EventId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(event::Column::Id)
                        .from(event::Entity)
                        .and_where(event::Column::EventType.is_in(types.names()))
                        .to_owned(),
                ),
            )
            .to_owned();
        select = select.filter(webhook_attempt::Column::DeliveryId.in_subquery(of_types));
    }
    let total = select.clone().count(&ctx.db).await?;
    let page = query.page.unwrap_or(1);
    let attempts = select
        .order_by_desc(webhook_attempt::Column::At)
        .offset((page - 1) * ATTEMPTS_PER_PAGE)
        .limit(ATTEMPTS_PER_PAGE)
        .all(&ctx.db)
        .await?;
    let deliveries: std::collections::HashMap<Uuid, webhook_delivery::Model> =
        webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Id.is_in(attempts.iter().map(|a| a.delivery_id)))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
    let event_types: std::collections::HashMap<Uuid, String> = event::Entity::find()
        .filter(event::Column::Id.is_in(deliveries.values().map(|d| d.event_id)))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.event_type))
        .collect();
    let rows = attempts
        .into_iter()
        .map(|a| {
            let delivery = deliveries.get(&a.delivery_id);
            AttemptRow {
                delivery_id: a.delivery_id,
                event_id: delivery.map_or(Uuid::nil(), |d| d.event_id),
                sequence: delivery.map_or(0, |d| d.sequence),
                event_type: delivery
                    .and_then(|d| event_types.get(&d.event_id))
                    .cloned()
                    .unwrap_or_default(),
                at: a.at,
                status_code: a.status_code,
                latency_ms: a.latency_ms,
                response_excerpt: a.response_excerpt,
                error: a.error,
                next_attempt_at: delivery
                    .filter(|d| d.status == PENDING)
                    .map(|d| d.next_attempt_at),
            }
        })
        .collect();
    Ok(EndpointDetail {
        endpoint: view(&ctx.db, found).await?,
        attempts: rows,
        total,
        page,
        per_page: ATTEMPTS_PER_PAGE,
    })
}

/// A new secret; the old one keeps signing too for [`ROTATION_OVERLAP`].
pub async fn rotate_secret(ctx: &Ctx, id: Uuid) -> ServiceResult<EndpointSecret> {
    let found = owned(ctx, id, true).await?;
    let secret = new_secret();
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let mut record: webhook_endpoint::ActiveModel = found.clone().into();
    record.previous_secret = Set(Some(found.secret.clone()));
    record.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
    record.secret = Set(secrets_at_rest::seal(Purpose::WebhookSecret, &secret));
    record.updated_at = Set(now);
    let model = record.update(&txn).await?;
    audit::record(
        &txn,
        &ctx.request,
        owner_entry(ctx, "webhook.rotate_secret", &model),
    )
    .await?;
    txn.commit().await?;
    Ok(EndpointSecret {
        endpoint: view(&ctx.db, model).await?,
        secret,
    })
}

/// Turns an endpoint on (its failure clock restarts) or off.
pub async fn set_enabled(ctx: &Ctx, id: Uuid, enabled: bool) -> ServiceResult<EndpointView> {
    let found = owned(ctx, id, true).await?;
    let txn = ctx.db.begin().await?;
    let mut record: webhook_endpoint::ActiveModel = found.into();
    record.enabled = Set(enabled);
    record.failing_since = Set(None);
    record.disabled_reason = Set((!enabled).then(|| "Turned off by a person.".to_owned()));
    record.updated_at = Set(ctx.now());
    let model = record.update(&txn).await?;
    let action = if enabled {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    audit::record(&txn, &ctx.request, owner_entry(ctx, action, &model)).await?;
    txn.commit().await?;
    view(&ctx.db, model).await
}

/// Sends the dead letters again (those that died at or after `since`, or
/// all): they go back in line in their sequence order. Returns how many.
pub async fn requeue(ctx: &Ctx, id: Uuid, since: Option<DateTime<Utc>>) -> ServiceResult<u64> {
    let found = owned(ctx, id, true).await?;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(
            webhook_delivery::Column::FinishedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(webhook_delivery::Column::EndpointId.eq(found.id))
        .filter(webhook_delivery::Column::Status.eq(DEAD));
    if let Some(since) = since {
        update = update.filter(webhook_delivery::Column::FinishedAt.gte(since));
    }
    let requeued = update.exec(&txn).await?.rows_affected;
    audit::record(
        &txn,
        &ctx.request,
        owner_entry(ctx, "webhook.requeue", &found)
            .details(json!({ "requeued": requeued, "since": since })),
    )
    .await?;
    txn.commit().await?;
    Ok(requeued)
}

/// The most events one replay sends again.
pub const REPLAY_LIMIT: usize = 10_000;

/// Sends the endpoint every event it may hear from global sequence
/// `from_sequence` on again, in order, whether or not it had them (a
/// consumer that lost its data catches up; each keeps its `webhook-id`, so
/// a consumer that kept some dedupes them). Returns how many.
pub async fn replay_from(ctx: &Ctx, id: Uuid, from_sequence: i64) -> ServiceResult<u64> {
    if from_sequence < 1 {
        let mut errors = FieldErrors::default();
        errors.push("from_sequence", "Sequence numbers start at 1.");
        return Err(errors.into());
    }
    let found = owned(ctx, id, true).await?;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let mut select = event::Entity::find()
        .filter(event::Column::GlobalSeq.gte(from_sequence))
        .filter(event::Column::EventType.ne(TEST_EVENT))
        .order_by_asc(event::Column::GlobalSeq)
        .limit(REPLAY_LIMIT as u64 + 1);
    if let Some(tenant) = found.tenant_id {
        select = select.filter(event::Column::TenantId.eq(tenant));
    }
    let wanted = TypeFilter(found.event_types.0.clone());
    let events: Vec<event::Model> = select
        .all(&txn)
        .await?
        .into_iter()
        .filter(|e| may_hear(found.tenant_id, e.tenant_id) && wanted.matches(&e.event_type))
        .collect();
    if events.len() > REPLAY_LIMIT {
        return Err(ServiceError::Policy(format!(
            "A replay sends at most {REPLAY_LIMIT} events; from sequence {from_sequence} there are more. Replay from a later sequence, or catch up through GET /api/v1/events?after={}.",
            from_sequence - 1
        )));
    }
    let rows: Vec<webhook_delivery::ActiveModel> = events
        .iter()
        .filter_map(|e| Some(pending_delivery(&found, e.id, e.global_seq?, now)))
        .collect();
    let replayed = rows.len() as u64;
    for chunk in rows.chunks(200) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([
                    webhook_delivery::Column::EndpointId,
                    webhook_delivery::Column::EventId,
                ])
                .update_columns([
                    webhook_delivery::Column::Status,
                    webhook_delivery::Column::Attempts,
                    webhook_delivery::Column::NextAttemptAt,
                    webhook_delivery::Column::ClaimedUntil,
                    webhook_delivery::Column::FinishedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record(
        &txn,
        &ctx.request,
        owner_entry(ctx, "webhook.replay", &found)
            .details(json!({ "from_sequence": from_sequence, "replayed": replayed })),
    )
    .await?;
    txn.commit().await?;
    Ok(replayed)
}

/// Sends the endpoint a `webhook.test` event (only it receives it); the
/// attempt shows in its log like any other.
pub async fn send_test(ctx: &Ctx, id: Uuid) -> ServiceResult<Uuid> {
    let found = owned(ctx, id, true).await?;
    let txn = ctx.db.begin().await?;
    let actor = Actor::from(&ctx.principal);
    let event_id = append(
        &txn,
        NewEvent {
            event_type: event_type(TEST_EVENT).expect("in the catalogue"),
            tenant_id: found.tenant_id,
            correlation_id: ctx.request.request_id.clone(),
            actor: &actor,
            resource_id: Some(found.id.to_string()),
            data: json!({
                "state": { "id": found.id, "url": found.url, "enabled": found.enabled },
                "details": { "message": "A test event from Tenantry." },
            }),
        },
    )
    .await?;
    audit::record(&txn, &ctx.request, owner_entry(ctx, "webhook.test", &found)).await?;
    txn.commit().await?;
    Ok(event_id)
}

fn owner_entry(ctx: &Ctx, action: &'static str, e: &webhook_endpoint::Model) -> AuditEntry {
    let entry =
        AuditEntry::new(Actor::from(&ctx.principal), action, "webhook_endpoint").target(e.id);
    match e.tenant_id {
        Some(t) => entry.tenant(t),
        None => entry,
    }
}

async fn view<C: ConnectionTrait>(
    conn: &C,
    e: webhook_endpoint::Model,
) -> ServiceResult<EndpointView> {
    let count = |status: &'static str| {
        webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(e.id))
            .filter(webhook_delivery::Column::Status.eq(status))
            .count(conn)
    };
    Ok(EndpointView {
        pending: count(PENDING).await?,
        dead: count(DEAD).await?,
        id: e.id,
        tenant_id: e.tenant_id,
        url: e.url,
        description: e.description,
        event_types: e.event_types.0,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        failing_since: e.failing_since,
        created_at: e.created_at,
    })
}

/// An event the sequencer has just numbered.
pub(crate) struct Numbered {
    pub event_id: Uuid,
    pub sequence: i64,
    pub event_type: String,
    pub tenant_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub resource_id: Option<String>,
}

/// A test event goes to the one endpoint it names.
const TEST_EVENT: &str = "webhook.test";

/// The deliveries of freshly numbered events: one per enabled endpoint that
/// may hear the event, wants its type and existed when it happened (called
/// by the sequencer, in its transaction, so each event gets its deliveries
/// exactly once).
/// A delivery of one event to one endpoint, due now, not yet attempted.
fn pending_delivery(
    endpoint: &webhook_endpoint::Model,
    event_id: Uuid,
    sequence: i64,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(Uuid::new_v4()),
        endpoint_id: Set(endpoint.id),
        tenant_id: Set(endpoint.tenant_id),
        event_id: Set(event_id),
        sequence: Set(sequence),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
    }
}

pub(crate) async fn fan_out<C: ConnectionTrait>(
    conn: &C,
    numbered: &[Numbered],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if numbered.is_empty() {
        return Ok(());
    }
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(conn)
        .await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut rows = vec![];
    for e in &endpoints {
        let wanted = TypeFilter(e.event_types.0.clone());
        for n in numbered {
            let hears = if n.event_type == TEST_EVENT {
                n.resource_id.as_deref() == Some(e.id.to_string().as_str())
            } else {
                may_hear(e.tenant_id, n.tenant_id)
                    && wanted.matches(&n.event_type)
                    && n.occurred_at >= e.created_at
            };
            if hears {
                rows.push(pending_delivery(e, n.event_id, n.sequence, now));
            }
        }
    }
    for chunk in rows.chunks(200) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// What one round of delivery did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub attempted: usize,
    pub delivered: usize,
}

/// Sends every due delivery: endpoints in parallel (at most `concurrency`),
/// each endpoint's in sequence order, until nothing is due.
pub async fn deliver_due(
    db: &DatabaseConnection,
    clock: Arc<dyn Clock>,
    concurrency: usize,
) -> ServiceResult<DeliveryRound> {
    let now = clock.now();
    crate::backend::events::sequence_all(db, now).await?;
    let endpoints: Vec<Uuid> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::EndpointId)
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut work = tokio::task::JoinSet::new();
    for endpoint in endpoints {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        let (db, clock) = (db.clone(), clock.clone());
        work.spawn(async move {
            let _permit = permit;
            deliver_endpoint(&db, endpoint, clock.as_ref()).await
        });
    }
    let mut round = DeliveryRound::default();
    while let Some(done) = work.join_next().await {
        match done {
            Ok(Ok(one)) => {
                round.attempted += one.attempted;
                round.delivered += one.delivered;
            }
            Ok(Err(err)) => tracing::warn!(error = %err, "webhook delivery failed; will retry"),
            Err(err) => tracing::warn!(error = %err, "webhook delivery task failed"),
        }
    }
    Ok(round)
}

/// How many of an endpoint's deliveries one claim takes: sent one after the
/// other (order matters), recorded together in one transaction.
const BATCH: u64 = 100;
/// No new attempt of a batch starts after this: the last one's time limit,
/// and a margin for recording the batch, still end inside the claim, so no
/// other replica takes it meanwhile.
const SEND_FOR: StdDuration =
    StdDuration::from_secs(CLAIM_SECONDS - ATTEMPT_TIMEOUT_SECONDS - RECORD_MARGIN_SECONDS);
const RECORD_MARGIN_SECONDS: u64 = 5;

/// Sends one endpoint's due deliveries, oldest sequence first, a batch per
/// claim; stops at the first that is not due yet (a later event never
/// overtakes it) or that fails.
async fn deliver_endpoint(
    db: &DatabaseConnection,
    endpoint_id: Uuid,
    clock: &dyn Clock,
) -> ServiceResult<DeliveryRound> {
    let mut round = DeliveryRound::default();
    loop {
        let now = clock.now();
        let Some(endpoint) = webhook_endpoint::Entity::find_by_id(endpoint_id)
            .one(db)
            .await?
            .filter(|e| e.enabled)
        else {
            return Ok(round);
        };
        let due: Vec<webhook_delivery::Model> = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .order_by_asc(webhook_delivery::Column::Sequence)
            .limit(BATCH)
            .all(db)
            .await?
            .into_iter()
            .take_while(|d| d.next_attempt_at <= now)
            .collect();
        if due.is_empty() || !claim(db, &due, now).await? {
            return Ok(round);
        }
        let sent = send_batch(db, &endpoint, &due, clock).await?;
        round.attempted += sent.attempted;
        round.delivered += sent.delivered;
        if sent.delivered < due.len() {
            return Ok(round);
        }
    }
}

/// Claims a run of deliveries from the endpoint's head: whoever moves every
/// `claimed_until` sends them; a replica that died mid-send loses them when
/// the claim runs out. Claims always start at the head, so holding the head
/// means holding the endpoint; a partial claim (another sender holds part of
/// the run) is given back at once.
async fn claim(
    db: &DatabaseConnection,
    run: &[webhook_delivery::Model],
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    // A stamp of our own, to give back exactly what we took.
    let stamp =
        now + CLAIM_FOR + Duration::microseconds(1 + (rand::random::<u32>() % 999_999) as i64);
    let ids: Vec<Uuid> = run.iter().map(|d| d.id).collect();
    let claimed = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::ClaimedUntil, Expr::value(stamp))
        .filter(webhook_delivery::Column::Id.is_in(ids))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::ClaimedUntil.is_null())
                .add(webhook_delivery::Column::ClaimedUntil.lt(now)),
        )
        .exec(db)
        .await?
        .rows_affected;
    if claimed == run.len() as u64 {
        return Ok(true);
    }
    if claimed > 0 {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_delivery::Column::EndpointId.eq(run[0].endpoint_id))
            .filter(webhook_delivery::Column::ClaimedUntil.eq(stamp))
            .exec(db)
            .await?;
    }
    Ok(false)
}

/// What one POST got back.
struct Attempted {
    delivery: Uuid,
    at: DateTime<Utc>,
    attempts: i32,
    status: Option<u16>,
    latency_ms: i32,
    excerpt: String,
    error: Option<String>,
    verdict: Verdict,
}

/// Sends a claimed run in order until one fails (or the time to send runs
/// out), then records every attempt, what became of each delivery, the
/// endpoint's failing streak and a disablement in one transaction; what was
/// not sent is given back.
async fn send_batch(
    db: &DatabaseConnection,
    endpoint: &webhook_endpoint::Model,
    run: &[webhook_delivery::Model],
    clock: &dyn Clock,
) -> ServiceResult<DeliveryRound> {
    let ids: Vec<Uuid> = run.iter().map(|d| d.event_id).collect();
    let events: std::collections::HashMap<Uuid, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let secret = secrets_at_rest::reveal(Purpose::WebhookSecret, &endpoint.secret)?;
    let previous = match (&endpoint.previous_secret, endpoint.previous_secret_until) {
        (Some(previous), Some(until)) if until > clock.now() => {
            Some(secrets_at_rest::reveal(Purpose::WebhookSecret, previous)?)
        }
        _ => None,
    };
    let sending = Instant::now();
    let mut done: Vec<Attempted> = vec![];
    for delivery in run {
        if sending.elapsed() > SEND_FOR {
            break;
        }
        let Some(stored) = events.get(&delivery.event_id) else {
            return Err(ServiceError::internal_in(
                "webhook delivery",
                "its event is gone",
            ));
        };
        let one = post(
            endpoint,
            delivery,
            stored,
            &secret,
            previous.as_deref(),
            clock,
        )
        .await?;
        let failed = one.verdict != Verdict::Delivered;
        done.push(one);
        if failed {
            break;
        }
    }
    record_batch(db, endpoint, run, &done, clock.now()).await?;
    Ok(DeliveryRound {
        attempted: done.len(),
        delivered: done
            .iter()
            .filter(|a| a.verdict == Verdict::Delivered)
            .count(),
    })
}

/// One signed POST of one delivery, judged.
async fn post(
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    stored: &event::Model,
    secret: &str,
    previous: Option<&str>,
    clock: &dyn Clock,
) -> ServiceResult<Attempted> {
    let body = serde_json::to_string(&json!({
        "id": stored.id, "type": stored.event_type, "version": stored.version,
        "sequence": stored.global_seq, "occurred_at": stored.occurred_at,
        "tenant_id": stored.tenant_id, "tenant_sequence": stored.tenant_seq,
        "correlation_id": stored.correlation_id, "actor": stored.actor_label,
        "resource_type": stored.resource_type, "resource_id": stored.resource_id,
        "data": serde_json::from_str::<serde_json::Value>(&stored.data).unwrap_or_default(),
    }))
    .map_err(ServiceError::internal)?;
    let now = clock.now();
    let id = stored.id.to_string();
    let timestamp = now.timestamp();
    let mut signatures = vec![signature(secret, &id, timestamp, &body)?];
    if let Some(previous) = previous {
        signatures.push(signature(previous, &id, timestamp, &body)?);
    }
    let headers = [
        ("webhook-id", id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures.join(" ")),
        ("user-agent", "Tenantry-Webhooks/1".to_owned()),
    ];
    let started = Instant::now();
    let answer = outbound::http()
        .post_json(
            &endpoint.url,
            &headers,
            body,
            StdDuration::from_secs(ATTEMPT_TIMEOUT_SECONDS),
            4096,
        )
        .await;
    let latency_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let (status, retry_after, excerpt_text, error) = match &answer {
        Ok(a) => (
            Some(a.status),
            retry_after_seconds(a.retry_after.as_deref()),
            excerpt(&a.body),
            None,
        ),
        Err(OutboundError::Timeout(limit)) => (
            None,
            None,
            String::new(),
            Some(format!("no answer within {} s", limit.as_secs())),
        ),
        Err(e) => (None, None, String::new(), Some(e.to_string())),
    };
    let attempts = delivery.attempts + 1;
    let verdict = judge_attempt(
        attempts as u32,
        status,
        retry_after,
        now,
        rand::random::<f64>(),
    );
    let outcome = match &verdict {
        Verdict::Delivered => "delivered",
        Verdict::RetryAt(_) => "retrying",
        Verdict::Dead => "dead",
        Verdict::DisableEndpoint => "gone",
    };
    crate::backend::metrics::webhook_attempt(
        outcome,
        started.elapsed(),
        (verdict == Verdict::Delivered).then(|| clock.now() - stored.occurred_at),
    );
    Ok(Attempted {
        delivery: delivery.id,
        at: now,
        attempts,
        status,
        latency_ms,
        excerpt: excerpt_text,
        error,
        verdict,
    })
}

/// Records a batch's attempts in one transaction. All but the last
/// attempt were delivered (a batch stops at its first failure).
async fn record_batch(
    db: &DatabaseConnection,
    endpoint: &webhook_endpoint::Model,
    run: &[webhook_delivery::Model],
    done: &[Attempted],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    if !done.is_empty() {
        let rows: Vec<webhook_attempt::ActiveModel> = done
            .iter()
            .map(|a| webhook_attempt::ActiveModel {
                id: Set(Uuid::new_v4()),
                delivery_id: Set(a.delivery),
                endpoint_id: Set(endpoint.id),
                tenant_id: Set(endpoint.tenant_id),
                at: Set(a.at),
                status_code: Set(a.status.map(i32::from)),
                latency_ms: Set(a.latency_ms),
                response_excerpt: Set(a.excerpt.clone()),
                error: Set(a.error.clone()),
            })
            .collect();
        for chunk in rows.chunks(200) {
            webhook_attempt::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
    }
    // Delivered ones, a statement per status code (nearly always one).
    let mut by_status: std::collections::BTreeMap<Option<u16>, Vec<Uuid>> = Default::default();
    for a in done.iter().filter(|a| a.verdict == Verdict::Delivered) {
        by_status.entry(a.status).or_default().push(a.delivery);
    }
    for (status, ids) in by_status {
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Status, Expr::value(DELIVERED))
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::col(webhook_delivery::Column::Attempts).add(1),
            )
            .col_expr(webhook_delivery::Column::FinishedAt, Expr::value(Some(now)))
            .col_expr(
                webhook_delivery::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                webhook_delivery::Column::LastStatus,
                Expr::value(status.map(i32::from)),
            )
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(webhook_delivery::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    let failure = done.last().filter(|a| a.verdict != Verdict::Delivered);
    let mut disable: Option<String> = None;
    let mut last_error: Option<String> = None;
    if let Some(a) = failure {
        let delivery = run
            .iter()
            .find(|d| d.id == a.delivery)
            .expect("an attempt of the run");
        last_error = a.error.clone().or_else(|| {
            a.status
                .filter(|s| !(200..300).contains(s))
                .map(|s| format!("HTTP {s}"))
        });
        let mut record: webhook_delivery::ActiveModel = delivery.clone().into();
        record.attempts = Set(a.attempts);
        record.claimed_until = Set(None);
        record.last_status = Set(a.status.map(i32::from));
        record.last_error = Set(last_error.clone());
        match &a.verdict {
            Verdict::Delivered => {}
            Verdict::RetryAt(at) => record.next_attempt_at = Set(*at),
            Verdict::Dead => {
                record.status = Set(DEAD.to_owned());
                record.finished_at = Set(Some(a.at));
            }
            Verdict::DisableEndpoint => {
                // The receiver said it is gone: this delivery waits in the
                // dead letters with the endpoint.
                record.status = Set(DEAD.to_owned());
                record.finished_at = Set(Some(a.at));
                disable = Some("The receiver answered 410 Gone.".to_owned());
            }
        }
        record.update(&txn).await?;
    }
    // What was claimed and not sent goes back to the queue at once.
    let unsent: Vec<Uuid> = run
        .iter()
        .map(|d| d.id)
        .filter(|id| !done.iter().any(|a| a.delivery == *id))
        .collect();
    if !unsent.is_empty() {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_delivery::Column::Id.is_in(unsent))
            .exec(&txn)
            .await?;
    }
    let failing_since = match failure {
        None if !done.is_empty() => None,
        None => endpoint.failing_since,
        Some(_) => Some(endpoint.failing_since.unwrap_or(now)),
    };
    if disable.is_none() && failing_too_long(failing_since, now) {
        disable = Some(format!(
            "Every delivery has failed since {} (5 days).",
            failing_since.unwrap_or(now).format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if failing_since != endpoint.failing_since || disable.is_some() {
        let mut record: webhook_endpoint::ActiveModel = endpoint.clone().into();
        record.failing_since = Set(failing_since);
        if let Some(reason) = &disable {
            record.enabled = Set(false);
            record.disabled_reason = Set(Some(reason.clone()));
            record.updated_at = Set(now);
            append(
                &txn,
                NewEvent {
                    event_type: event_type("webhook.endpoint_disabled").expect("in the catalogue"),
                    tenant_id: endpoint.tenant_id,
                    correlation_id: None,
                    actor: &Actor::System("webhooks"),
                    resource_id: Some(endpoint.id.to_string()),
                    data: json!({
                        "state": { "id": endpoint.id, "url": endpoint.url, "enabled": false },
                        "details": { "reason": reason, "last_error": last_error },
                    }),
                },
            )
            .await?;
            tracing::warn!(endpoint = %endpoint.id, %reason, "webhook endpoint disabled");
            crate::backend::metrics::webhook_endpoint_disabled();
        }
        record.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}
