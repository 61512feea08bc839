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
