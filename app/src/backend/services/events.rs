//! Reading the event stream: a consumer that was down catches up from the
//! last sequence it saw. Platform principals read every event; a tenant's
//! people read their own tenants' events only (row-level security backs the
//! filter on PostgreSQL).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::event;
use crate::backend::error::ServiceResult;
use crate::backend::services::tenants::resolve_tenant_id;
use crate::domain::access::permission::{Permission, TenantScope};
use crate::domain::events::TypeFilter;
use crate::domain::validation::FieldErrors;
use crate::model::events::{EventPage, EventQuery, EventRecord};

pub mod webhooks;

/// Largest page the pull API gives.
pub const MAX_PAGE: u64 = 500;

/// Events after `query.after` in sequence order, of the asked types and
/// tenant, among those the caller may read.
pub async fn page(ctx: &Ctx, query: &EventQuery) -> ServiceResult<EventPage> {
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::AuditRead)?;
    let mut errors = FieldErrors::default();
    let types = TypeFilter::parse(&query.types).unwrap_or_else(|message| {
        errors.push("type", message);
        TypeFilter::default()
    });
    if !(1..=MAX_PAGE).contains(&query.limit) {
        errors.push("limit", format!("Ask for 1 to {MAX_PAGE} events per page."));
    }
    if query.after < 0 {
        errors.push(
            "after",
            "Give the last sequence number you saw, or 0 to start from the beginning.",
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut visible = principal.tenant_scope(Permission::AuditRead);
    if !query.tenant.trim().is_empty() {
        let (tenant_id, _) = resolve_tenant_id(ctx, query.tenant.trim()).await?;
        principal.require_on_tenant(Permission::AuditRead, tenant_id)?;
        visible = TenantScope::Only(vec![tenant_id]);
    }
    // What was committed before the caller asked is numbered before it reads.
    crate::backend::events::sequence_all(&ctx.db, ctx.now()).await?;
    let txn = scoped_read(&ctx.reads, &visible).await?;
    let mut select = event::Entity::find()
        .filter(event::Column::GlobalSeq.gt(query.after))
        .order_by_asc(event::Column::GlobalSeq)
        .limit(query.limit);
    if let TenantScope::Only(ids) = &visible {
        select = select.filter(event::Column::TenantId.is_in(ids.clone()));
    }
    if !types.0.is_empty() {
        select = select.filter(event::Column::EventType.is_in(types.names()));
    }
    let rows = select.all(&txn).await?;
    txn.commit().await?;
    let items: Vec<EventRecord> = rows.into_iter().filter_map(record).collect();
    let next_after = items.last().map_or(query.after, |e| e.sequence);
    Ok(EventPage { items, next_after })
}

/// The last sequence given so far (where a live feed starts).
pub async fn head(ctx: &Ctx) -> ServiceResult<i64> {
    use crate::backend::entities::event_counter;
    Ok(event_counter::Entity::find_by_id("global".to_owned())
        .one(&ctx.reads)
        .await?
        .map_or(0, |c| c.last))
}

fn record(row: event::Model) -> Option<EventRecord> {
    Some(EventRecord {
        sequence: row.global_seq?,
        id: row.id,
        event_type: row.event_type,
        version: row.version,
        occurred_at: row.occurred_at,
        tenant_id: row.tenant_id,
        tenant_sequence: row.tenant_seq,
        correlation_id: row.correlation_id,
        actor: row.actor_label,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        data: serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null),
    })
}

/// What the portal's live feed says next.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedMessage {
    /// First: whether events follow (`true`) or only the unread count.
    Hello { carries_events: bool },
    /// The caller's unread notification count (first on connect, then on change).
    Unread(u64),
    /// A new event the caller may read.
    Event(Box<EventRecord>),
}

/// How often the feed looks for news (the database is the source of truth,
/// so every replica serves the same feed).
pub const FEED_TICK: std::time::Duration = std::time::Duration::from_millis(700);

/// One person's live feed: their unread count whenever it changes and, if
/// they may read events, every event after a sequence number, until a
/// deadline (browsers reconnect by themselves, resuming after the last id).
pub struct LiveFeed {
    ctx: Ctx,
    after: i64,
    unread: Option<u64>,
    deadline: std::time::Instant,
    queued: std::collections::VecDeque<FeedMessage>,
    started: bool,
    carries_events: bool,
}

impl LiveFeed {
    /// A feed from `after` (`None`: from now on; the page itself shows the
    /// past), open for `max_wait`.
    pub async fn open(
        ctx: Ctx,
        after: Option<i64>,
        max_wait: std::time::Duration,
    ) -> ServiceResult<Self> {
        let carries_events = !ctx.principal.tenant_scope(Permission::AuditRead).is_empty();
        let after = match after {
            Some(after) => after,
            None if carries_events => head(&ctx).await?,
            None => 0,
        };
        Ok(Self {
            ctx,
            after,
            unread: None,
            deadline: std::time::Instant::now() + max_wait,
            queued: Default::default(),
            started: false,
            carries_events,
        })
    }

    /// The next message, waiting for news; `None` once the deadline passed.
    /// A round that fails (the database busy) is tried again next tick.
    pub async fn next(&mut self) -> Option<FeedMessage> {
        loop {
            if let Some(message) = self.queued.pop_front() {
                return Some(message);
            }
            if self.started {
                if std::time::Instant::now() >= self.deadline {
                    return None;
                }
                tokio::time::sleep(FEED_TICK).await;
            } else {
                self.started = true;
                self.queued.push_back(FeedMessage::Hello {
                    carries_events: self.carries_events,
                });
            }
            if let Ok(unread) =
                crate::backend::services::notifications::notices::unread_count(&self.ctx).await
                && self.unread != Some(unread)
            {
                self.unread = Some(unread);
                self.queued.push_back(FeedMessage::Unread(unread));
            }
            if !self.carries_events {
                continue;
            }
            let query = EventQuery {
                after: self.after,
                limit: 100,
                ..Default::default()
            };
            if let Ok(page) = page(&self.ctx, &query).await {
                self.queued.extend(
                    page.items
                        .into_iter()
                        .map(|item| FeedMessage::Event(Box::new(item))),
                );
                self.after = page.next_after;
            }
        }
    }
}
