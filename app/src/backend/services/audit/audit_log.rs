//! Reading the audit trail: filtered, newest first, keyset-paginated (the
//! table grows without bound, so no OFFSET and no total count).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::backend::context::Ctx;
use crate::backend::csv_export::{CsvStream, ExportPage};
use crate::backend::db::scoped_read;
use crate::backend::entities::{audit_event, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::TenantScope;
use crate::domain::validation::FieldErrors;
use crate::model::audit::{AuditEntryRow, AuditPage, AuditQuery};

/// Most rows a CSV export holds; narrow the filters for more.
pub const EXPORT_LIMIT: u64 = 100_000;

fn parse_date(errors: &mut FieldErrors, field: &str, raw: &Option<String>) -> Option<NaiveDate> {
    let raw = raw.as_deref().map(str::trim).filter(|r| !r.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.push(field, "Use a date like 2026-11-23.");
            None
        }
    }
}

fn parse_cursor(raw: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (at, id) = raw.split_once('_')?;
    let at = DateTime::from_timestamp_micros(at.parse().ok()?)?;
    Some((at, id.parse().ok()?))
}

fn cursor_for(row: &audit_event::Model) -> String {
    format!("{}_{}", row.occurred_at.timestamp_micros(), row.id)
}

/// The filter for `query` among the events `visible` lets the principal see
/// (a tenant-scoped principal sees only events of its tenants).
async fn condition<C: ConnectionTrait>(
    db: &C,
    query: &AuditQuery,
    visible: &TenantScope,
) -> ServiceResult<Option<Condition>> {
    let mut errors = FieldErrors::default();
    let from = parse_date(&mut errors, "from", &query.from);
    let to = parse_date(&mut errors, "to", &query.to);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            errors.push("to", "The end date is before the start date.");
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut condition = Condition::all();
    if let TenantScope::Only(ids) = visible {
        condition = condition.add(audit_event::Column::TenantId.is_in(ids.clone()));
    }
    if let Some(actor) = text(&query.actor) {
        condition = condition.add(crate::backend::db::contains_literally(
            (audit_event::Entity, audit_event::Column::ActorLabel),
            &actor.to_lowercase(),
        ));
    }
    if let Some(action) = text(&query.action) {
        condition = condition.add(crate::backend::db::starts_with_literally(
            (audit_event::Entity, audit_event::Column::Action),
            &action.to_lowercase(),
        ));
    }
    if let Some(slug) = text(&query.tenant) {
        let found = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug.to_lowercase()))
            .one(db)
            .await?;
        match found {
            Some(t) => condition = condition.add(audit_event::Column::TenantId.eq(t.id)),
            // An unknown tenant matches nothing (and says nothing about existence).
            None => return Ok(None),
        }
    }
    if let Some(request) = text(&query.request) {
        condition = condition.add(audit_event::Column::RequestId.eq(request));
    }
    if let Some(from) = from {
        condition = condition.add(
            audit_event::Column::OccurredAt.gte(from.and_hms_opt(0, 0, 0).map(|d| d.and_utc())),
        );
    }
    if let Some(to) = to {
        let end = to
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
        condition = condition.add(audit_event::Column::OccurredAt.lt(end));
    }
    Ok(Some(condition))
}

async fn rows<C: ConnectionTrait>(
    db: &C,
    events: Vec<audit_event::Model>,
) -> ServiceResult<Vec<AuditEntryRow>> {
    let tenant_ids: Vec<Uuid> = events.iter().filter_map(|e| e.tenant_id).collect();
    let tenants = if tenant_ids.is_empty() {
        vec![]
    } else {
        tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(tenant_ids))
            .all(db)
            .await?
    };
    Ok(events
        .into_iter()
        .map(|e| AuditEntryRow {
            id: e.id,
            occurred_at: e.occurred_at,
            tenant: tenants
                .iter()
                .find(|t| Some(t.id) == e.tenant_id)
                .map(|t| t.slug.clone()),
            actor: e.actor_label,
            action: e.action,
            target: match e.target_id {
                Some(id) => format!("{} {id}", e.target_type),
                None => e.target_type,
            },
            request_id: e.request_id,
            outcome: e.outcome,
        })
        .collect())
}

/// One page of events, newest first.
pub async fn search(ctx: &Ctx, query: &AuditQuery, page_size: u64) -> ServiceResult<AuditPage> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::AuditRead)?;
    let visible = principal.tenant_scope(Permission::AuditRead);
    // Row-level security on PostgreSQL backs the explicit tenant filter.
    let txn = scoped_read(db, &visible).await?;
    let db = &txn;
    let Some(mut filter) = condition(db, query, &visible).await? else {
        return Ok(AuditPage {
            rows: vec![],
            older: None,
        });
    };
    if let Some((at, id)) = query.before.as_deref().and_then(parse_cursor) {
        filter = filter.add(older_than(at, id));
    }
    let mut events = audit_event::Entity::find()
        .filter(filter)
        .order_by_desc(audit_event::Column::OccurredAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(page_size + 1)
        .all(db)
        .await?;
    let older = if events.len() as u64 > page_size {
        events.truncate(page_size as usize);
        events.last().map(cursor_for)
    } else {
        None
    };
    let rows = rows(db, events).await?;
    txn.commit().await?;
    Ok(AuditPage { rows, older })
}

/// Events strictly older than the event (`at`, `id`) in the newest-first order.
fn older_than(at: DateTime<Utc>, id: Uuid) -> Condition {
    Condition::any()
        .add(audit_event::Column::OccurredAt.lt(at))
        .add(
            Condition::all()
                .add(audit_event::Column::OccurredAt.eq(at))
                .add(audit_event::Column::Id.lt(id)),
        )
}

/// Rows an export reads from the database at a time.
const EXPORT_PAGE: u64 = 1_000;

/// Where an export goes on: after this event, with this many rows written.
#[derive(Clone, Copy)]
struct ExportCursor {
    at: DateTime<Utc>,
    id: Uuid,
    written: u64,
}

/// Every matching event (up to `EXPORT_LIMIT`), newest first, as CSV,
/// written a thousand rows at a time while the client reads it.
pub async fn export_csv(ctx: &Ctx, query: &AuditQuery) -> ServiceResult<CsvStream> {
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::AuditRead)?;
    // The vendor exports everything; a tenant's people only with the feature.
    if let crate::domain::access::permission::TenantScope::Only(tenants) =
        principal.tenant_scope(Permission::AuditRead)
    {
        for tenant_id in tenants {
            crate::backend::services::plans::limits::require_feature(
                &ctx.reads,
                tenant_id,
                crate::domain::plans::plan::FeatureFlag::AuditExport,
            )
            .await?;
        }
    }
    let (ctx, query) = (ctx.clone(), query.clone());
    CsvStream::paged(
        &[
            "occurred_at",
            "actor",
            "action",
            "target",
            "tenant",
            "request_id",
            "outcome",
            "details",
        ],
        move |cursor| {
            let (ctx, query) = (ctx.clone(), query.clone());
            async move { export_page(&ctx, &query, cursor).await }
        },
    )
    .await
}

async fn export_page(
    ctx: &Ctx,
    query: &AuditQuery,
    cursor: Option<ExportCursor>,
) -> ServiceResult<ExportPage<ExportCursor>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let visible = principal.tenant_scope(Permission::AuditRead);
    let txn = scoped_read(db, &visible).await?;
    let Some(mut filter) = condition(&txn, query, &visible).await? else {
        return Ok(ExportPage {
            rows: vec![],
            next: None,
        });
    };
    let written = cursor.map_or(0, |c| c.written);
    if let Some(c) = cursor {
        filter = filter.add(older_than(c.at, c.id));
    }
    let size = EXPORT_PAGE.min(EXPORT_LIMIT - written);
    let events = audit_event::Entity::find()
        .filter(filter)
        .order_by_desc(audit_event::Column::OccurredAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(size)
        .all(&txn)
        .await?;
    let full = events.len() as u64 == size;
    let written = written + events.len() as u64;
    let last = events.last().map(|e| ExportCursor {
        at: e.occurred_at,
        id: e.id,
        written,
    });
    let details: Vec<String> = events.iter().map(|e| e.details.clone()).collect();
    let rows = rows(&txn, events).await?;
    txn.commit().await?;
    Ok(ExportPage {
        rows: rows
            .into_iter()
            .zip(details)
            .map(|(row, details)| {
                vec![
                    row.occurred_at.to_rfc3339(),
                    row.actor,
                    row.action,
                    row.target,
                    row.tenant.unwrap_or_default(),
                    row.request_id.unwrap_or_default(),
                    row.outcome,
                    details,
                ]
            })
            .collect(),
        next: last.filter(|_| full && written < EXPORT_LIMIT),
    })
}
