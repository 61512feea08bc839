//! Usage metering: records pushed by agents (their own tenant) and the
//! orchestrator (any tenant, a vendor token) are stored once per sender id,
//! each tenant's daily value per meter is kept in the same transaction, and
//! a quota crossing 80 % or 100 % is announced once (event + notification).
//! The portal meters what it sees itself: API calls and active people per
//! tenant per day (counted in memory, flushed every minute as records) and
//! the endpoint inventory (a daily reading, refreshed hourly).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::db::scoped_read;
use crate::backend::entities::{endpoint, quota_level, tenant, usage_daily, usage_record};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::plans::limits::UsageLevel;
use crate::domain::plans::usage::{Meter, MeterKind, UsageRecord, day_value, parse_batch};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::model::plans::{
    MeterSeries, OrganisationUsage, TenantUsage, UsageBatch, UsageExportQuery, UsageReceipt,
    UsageTotal,
};

/// Days a tenant's usage view covers.
pub const TENANT_DAYS: i64 = 30;
/// Tenants listed per meter in the organisation view.
const TOP_TENANTS: usize = 10;

// ---- Ingest --------------------------------------------------------------

/// The orchestrator (or any vendor token with `tenant.manage` platform-wide)
/// pushes records for any tenant, each naming its tenant.
pub async fn ingest(ctx: &Ctx, batch: &UsageBatch) -> ServiceResult<UsageReceipt> {
    ctx.principal.require(Permission::TenantManage)?;
    let now = ctx.now();
    let records = parse_batch(&batch.records, true, now).map_err(ServiceError::Validation)?;
    // Every tenant named must exist: one unknown refuses the batch.
    let mut tenants: HashMap<String, tenant::Model> = HashMap::new();
    let mut errors = FieldErrors::default();
    for (i, record) in records.iter().enumerate() {
        if tenants.contains_key(&record.tenant) {
            continue;
        }
        let found = match Uuid::parse_str(&record.tenant) {
            Ok(id) => tenant::Entity::find_by_id(id).one(&ctx.db).await?,
            Err(_) => {
                tenant::Entity::find()
                    .filter(tenant::Column::Slug.eq(record.tenant.to_lowercase()))
                    .one(&ctx.db)
                    .await?
            }
        };
        match found {
            Some(t) => {
                tenants.insert(record.tenant.clone(), t);
            }
            None => errors.push(
                &format!("records[{i}].tenant"),
                format!("No tenant `{}`.", record.tenant),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let tagged = records
        .into_iter()
        .map(|r| (tenants[&r.tenant].clone(), r))
        .collect();
    store(
        &ctx.db,
        tagged,
        "api",
        &Actor::from(&ctx.principal),
        &ctx.request,
        now,
    )
    .await
}

/// An agent pushes records for its own tenant (a record naming another is
/// refused).
pub async fn ingest_from_agent(
    db: &DatabaseConnection,
    context: &RequestContext,
    agent_secret: &str,
    batch: &UsageBatch,
    now: DateTime<Utc>,
) -> ServiceResult<UsageReceipt> {
    let (agent, _) =
        crate::backend::services::tenants::agents::agent_endpoint(db, agent_secret).await?;
    let own = tenant::Entity::find_by_id(agent.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let records = parse_batch(&batch.records, false, now).map_err(ServiceError::Validation)?;
    let mut errors = FieldErrors::default();
    for (i, r) in records.iter().enumerate() {
        if !r.tenant.is_empty() && r.tenant != own.slug && r.tenant != own.id.to_string() {
            errors.push(
                &format!("records[{i}].tenant"),
                "An agent reports for its own tenant only.",
            );
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let actor = Actor::Anonymous(format!("agent:{}", agent.hostname));
    let tagged = records.into_iter().map(|r| (own.clone(), r)).collect();
    store(db, tagged, "agent", &actor, context, now).await
}

/// Stores records once per (tenant, id), refreshes the daily values they
/// touch and announces quota crossings, all in one transaction.
async fn store(
    db: &DatabaseConnection,
    records: Vec<(tenant::Model, UsageRecord)>,
    source: &'static str,
    actor: &Actor,
    context: &RequestContext,
    now: DateTime<Utc>,
) -> ServiceResult<UsageReceipt> {
    let total = records.len();
    let txn = db.begin().await?;
    let mut inserted = 0u64;
    let mut touched: BTreeSet<(Uuid, String, String)> = BTreeSet::new();
    let mut by_tenant: BTreeMap<Uuid, (tenant::Model, usize)> = BTreeMap::new();
    for chunk in records.chunks(200) {
        let rows: Vec<usage_record::ActiveModel> = chunk
            .iter()
            .map(|(t, r)| usage_record::ActiveModel {
                tenant_id: Set(t.id),
                record_id: Set(r.id.clone()),
                meter: Set(r.meter.as_str().to_owned()),
                quantity: Set(r.quantity),
                measured_at: Set(r.at),
                day: Set(r.day().to_string()),
                source: Set(source.to_owned()),
                received_at: Set(now),
            })
            .collect();
        inserted += insert_new_records(&txn, rows).await?;
        for (t, r) in chunk {
            touched.insert((t.id, r.day().to_string(), r.meter.as_str().to_owned()));
            by_tenant.entry(t.id).or_insert_with(|| (t.clone(), 0)).1 += 1;
        }
    }
    refresh_days(&txn, &touched, now).await?;
    for (tenant_id, (t, count)) in &by_tenant {
        let meters: BTreeSet<&str> = touched
            .iter()
            .filter(|(id, ..)| id == tenant_id)
            .map(|(_, _, m)| m.as_str())
            .collect();
        audit::record(
            &txn,
            context,
            AuditEntry::new(actor.clone(), "usage.record", "tenant")
                .target(tenant_id)
                .tenant(*tenant_id)
                .details(json!({ "records": count, "source": source, "meters": meters, "tenant_slug": t.slug })),
        )
        .await?;
        check_quotas(&txn, t, now).await?;
    }
    txn.commit().await?;
    let accepted = inserted as usize;
    Ok(UsageReceipt {
        accepted,
        duplicates: total - accepted.min(total),
    })
}

/// Inserts records not stored before (by tenant and sender id); how many.
async fn insert_new_records<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<usage_record::ActiveModel>,
) -> ServiceResult<u64> {
    Ok(usage_record::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                usage_record::Column::TenantId,
                usage_record::Column::RecordId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?)
}

/// Recomputes the daily value of each (tenant, day, meter) from its records.
async fn refresh_days<C: ConnectionTrait>(
    conn: &C,
    touched: &BTreeSet<(Uuid, String, String)>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for (tenant_id, day, meter) in touched {
        let (sum, max): (Option<f64>, Option<f64>) = usage_record::Entity::find()
            .select_only()
            .column_as(usage_record::Column::Quantity.sum(), "sum")
            .column_as(usage_record::Column::Quantity.max(), "max")
            .filter(usage_record::Column::TenantId.eq(*tenant_id))
            .filter(usage_record::Column::Day.eq(day.clone()))
            .filter(usage_record::Column::Meter.eq(meter.clone()))
            .into_tuple()
            .one(conn)
            .await?
            .unwrap_or((None, None));
        let kind = Meter::parse(meter).map_or(MeterKind::Counter, |m| m.kind());
        let value = match kind {
            MeterKind::Gauge => max.unwrap_or(0.0),
            MeterKind::Counter => sum.unwrap_or(0.0),
        };
        usage_daily::Entity::insert(usage_daily::ActiveModel {
            tenant_id: Set(*tenant_id),
            day: Set(day.clone()),
            meter: Set(meter.clone()),
            value: Set(value),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                usage_daily::Column::TenantId,
                usage_daily::Column::Day,
                usage_daily::Column::Meter,
            ])
            .update_columns([usage_daily::Column::Value, usage_daily::Column::UpdatedAt])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Announces each quota whose usage rose to 80 % or 100 % since it was last
/// looked at (once per crossing; falling back is recorded quietly). Usage is
/// what the portal counts now, and the latest reading of metered quotas.
pub(crate) async fn check_quotas(
    txn: &DatabaseTransaction,
    tenant: &tenant::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let limits = super::limits::load(txn, tenant.id, &tenant.plan_code).await?;
    let used = super::limits::usage(txn, tenant.id).await?;
    let before: HashMap<String, UsageLevel> = quota_level::Entity::find()
        .filter(quota_level::Column::TenantId.eq(tenant.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|q| (q.quota, UsageLevel::parse(&q.level)))
        .collect();
    for q in limits.quotas() {
        if !q.quota.is_amount() {
            continue;
        }
        let Some(&amount) = used.get(&q.quota) else {
            continue;
        };
        let level = UsageLevel::of(amount, q.limit());
        let name = level.as_str();
        let was = before
            .get(q.quota.as_str())
            .copied()
            .unwrap_or(UsageLevel::Fine);
        if was == level {
            continue;
        }
        quota_level::Entity::insert(quota_level::ActiveModel {
            tenant_id: Set(tenant.id),
            quota: Set(q.quota.as_str().to_owned()),
            level: Set(name.to_owned()),
            changed_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([quota_level::Column::TenantId, quota_level::Column::Quota])
                .update_columns([quota_level::Column::Level, quota_level::Column::ChangedAt])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if !level.is_rise_from(was) {
            continue;
        }
        let limit = q.limit().unwrap_or_default();
        let (title, message) = match level {
            UsageLevel::Full => (
                format!(
                    "{} is at its {} quota",
                    tenant.slug,
                    q.quota.label().to_lowercase()
                ),
                format!(
                    "{} uses {amount} of {limit} ({}). New ones are refused until usage falls or the quota is raised.",
                    tenant.slug,
                    q.quota.label().to_lowercase()
                ),
            ),
            _ => (
                format!(
                    "{} is near its {} quota",
                    tenant.slug,
                    q.quota.label().to_lowercase()
                ),
                format!(
                    "{} uses {amount} of {limit} ({}), 80 % or more.",
                    tenant.slug,
                    q.quota.label().to_lowercase()
                ),
            ),
        };
        audit::record(
            txn,
            &RequestContext::named("usage"),
            AuditEntry::new(Actor::System("usage"), "quota.level", "tenant")
                .target(tenant.id)
                .tenant(tenant.id)
                .details(json!({
                    "quota": q.quota.as_str(), "level": name, "used": amount, "limit": limit,
                    "tenant_slug": tenant.slug, "title": title, "message": message,
                })),
        )
        .await?;
    }
    Ok(())
}

/// The storage the tenant's installation reported last (the latest day's
/// highest reading, whole GB rounded up), if it ever did.
pub(crate) async fn latest_storage_gb<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<u64>> {
    Ok(usage_daily::Entity::find()
        .filter(usage_daily::Column::TenantId.eq(tenant_id))
        .filter(usage_daily::Column::Meter.eq("storage_gb"))
        .order_by_desc(usage_daily::Column::Day)
        .one(conn)
        .await?
        .map(|latest| latest.value.ceil() as u64))
}

// ---- The portal's own meters ------------------------------------------------

#[derive(Default)]
struct Seen {
    api_calls: HashMap<(Uuid, NaiveDate), u64>,
    active: BTreeSet<(Uuid, NaiveDate, Uuid)>,
}

static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(|| Mutex::new(Seen::default()));

/// Counts one API call of a tenant's person or token (called on the request
/// path: a map update, no database).
pub fn count_api_call(tenant_id: Uuid, user_id: Uuid, now: DateTime<Utc>) {
    let day = now.date_naive();
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    *seen.api_calls.entry((tenant_id, day)).or_default() += 1;
    seen.active.insert((tenant_id, day, user_id));
}

/// Writes what this replica counted since the last flush as records (API
/// calls under a fresh id each flush; each active person once a day under
/// an id of theirs, so replicas do not count them twice).
pub async fn flush_portal_counts(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let taken = std::mem::take(&mut *SEEN.lock().unwrap_or_else(|e| e.into_inner()));
    let kept = (taken.api_calls.clone(), taken.active.clone());
    let written = write_portal_counts(db, taken, now).await;
    if written.is_err() {
        // Not lost: merged with what comes next, written next minute.
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        for (key, calls) in kept.0 {
            *seen.api_calls.entry(key).or_default() += calls;
        }
        seen.active.extend(kept.1);
    }
    written
}

async fn write_portal_counts(
    db: &DatabaseConnection,
    Seen { api_calls, active }: Seen,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let mut rows = Vec::new();
    for ((tenant_id, day), calls) in api_calls {
        rows.push((
            tenant_id,
            format!("portal:api_calls:{}", Uuid::new_v4()),
            "api_calls",
            calls as f64,
            day,
        ));
    }
    for (tenant_id, day, user) in active {
        rows.push((
            tenant_id,
            format!("portal:active_users:{day}:{user}"),
            "active_users",
            1.0,
            day,
        ));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let count = rows.len();
    let txn = db.begin().await?;
    let mut touched = BTreeSet::new();
    for chunk in rows.chunks(200) {
        let models: Vec<usage_record::ActiveModel> = chunk
            .iter()
            .map(|(tenant_id, id, meter, quantity, day)| {
                touched.insert((*tenant_id, day.to_string(), (*meter).to_owned()));
                usage_record::ActiveModel {
                    tenant_id: Set(*tenant_id),
                    record_id: Set(id.clone()),
                    meter: Set((*meter).to_owned()),
                    quantity: Set(*quantity),
                    measured_at: Set(now),
                    day: Set(day.to_string()),
                    source: Set("portal".to_owned()),
                    received_at: Set(now),
                }
            })
            .collect();
        insert_new_records(&txn, models).await?;
    }
    refresh_days(&txn, &touched, now).await?;
    txn.commit().await?;
    Ok(count)
}

/// Today's endpoint count of every tenant that has endpoints, as a reading
/// (refreshed: the day's value is its latest count).
pub async fn snapshot_endpoints(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> ServiceResult<usize> {
    let counts: Vec<(Uuid, i64)> = endpoint::Entity::find()
        .select_only()
        .column(endpoint::Column::TenantId)
        .column_as(endpoint::Column::Id.count(), "n")
        .group_by(endpoint::Column::TenantId)
        .into_tuple()
        .all(db)
        .await?;
    let day = now.date_naive().to_string();
    let txn = db.begin().await?;
    for chunk in counts.chunks(200) {
        let rows: Vec<usage_daily::ActiveModel> = chunk
            .iter()
            .map(|(tenant_id, n)| usage_daily::ActiveModel {
                tenant_id: Set(*tenant_id),
                day: Set(day.clone()),
                meter: Set("endpoints".into()),
                value: Set(*n as f64),
                updated_at: Set(now),
            })
            .collect();
        usage_daily::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    usage_daily::Column::TenantId,
                    usage_daily::Column::Day,
                    usage_daily::Column::Meter,
                ])
                .update_columns([usage_daily::Column::Value, usage_daily::Column::UpdatedAt])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(counts.len())
}

// ---- Views and exports -----------------------------------------------------

/// A tenant's daily usage per meter over the last 30 days, with the quota
/// each is held to.
pub async fn tenant_usage(ctx: &Ctx, reference: &str) -> ServiceResult<TenantUsage> {
    let (tenant_id, slug) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let now = ctx.now();
    let from = (now - chrono::Duration::days(TENANT_DAYS - 1))
        .date_naive()
        .to_string();
    let to = now.date_naive().to_string();
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let rows = usage_daily::Entity::find()
        .filter(usage_daily::Column::TenantId.eq(tenant_id))
        .filter(usage_daily::Column::Day.between(from.clone(), to.clone()))
        .order_by_asc(usage_daily::Column::Meter)
        .order_by_asc(usage_daily::Column::Day)
        .all(&txn)
        .await?;
    let t = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let limits = super::limits::load(&txn, tenant_id, &t.plan_code).await?;
    let mut meters: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for row in rows {
        meters
            .entry(row.meter)
            .or_default()
            .push((row.day, row.value));
    }
    Ok(TenantUsage {
        tenant_id,
        slug,
        from,
        to,
        meters: meters
            .into_iter()
            .map(|(meter, days)| {
                let quota = Meter::parse(&meter).ok().and_then(|m| m.quota());
                MeterSeries {
                    latest: days.last().map(|(_, v)| *v),
                    limit: quota.and_then(|q| limits.limit(q)),
                    quota,
                    meter,
                    days,
                }
            })
            .collect(),
    })
}

fn month_bounds(raw: &str, now: DateTime<Utc>) -> ServiceResult<(String, String, String)> {
    let raw = raw.trim();
    let first = if raw.is_empty() {
        now.date_naive().with_day(1).unwrap_or_default()
    } else {
        NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").map_err(|_| {
            ServiceError::Validation(FieldErrors(vec![FieldError::new(
                "month",
                format!("'{raw}' is not a month; use YYYY-MM."),
            )]))
        })?
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let last = next.pred_opt().unwrap_or(first);
    Ok((
        first.format("%Y-%m").to_string(),
        first.to_string(),
        last.to_string(),
    ))
}

/// The organisation's usage in a month: per-day totals of each meter and
/// the tenants that use most (platform `report.read`).
pub async fn organisation(ctx: &Ctx, month: &str) -> ServiceResult<OrganisationUsage> {
    ctx.principal.require(Permission::ReportRead)?;
    let (month, from, to) = month_bounds(month, ctx.now())?;
    let rows: Vec<(Uuid, String, String, f64)> = usage_daily::Entity::find()
        .select_only()
        .columns([
            usage_daily::Column::TenantId,
            usage_daily::Column::Day,
            usage_daily::Column::Meter,
            usage_daily::Column::Value,
        ])
        .filter(usage_daily::Column::Day.between(from, to))
        .into_tuple()
        .all(&ctx.reads)
        .await?;
    let mut daily: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut per_tenant: BTreeMap<(String, Uuid), Vec<f64>> = BTreeMap::new();
    for (tenant_id, day, meter, value) in rows {
        *daily
            .entry(meter.clone())
            .or_default()
            .entry(day)
            .or_default() += value;
        per_tenant
            .entry((meter, tenant_id))
            .or_default()
            .push(value);
    }
    let mut totals: Vec<UsageTotal> = per_tenant
        .into_iter()
        .map(|((meter, tenant_id), values)| {
            let kind = Meter::parse(&meter).map_or(MeterKind::Counter, |m| m.kind());
            UsageTotal {
                tenant_id,
                slug: String::new(),
                value: day_value(kind, &values),
                meter,
            }
        })
        .collect();
    totals.sort_by(|a, b| a.meter.cmp(&b.meter).then(b.value.total_cmp(&a.value)));
    let mut top: Vec<UsageTotal> = Vec::new();
    let mut shown: HashMap<String, usize> = HashMap::new();
    for total in totals {
        let n = shown.entry(total.meter.clone()).or_default();
        if *n < TOP_TENANTS {
            *n += 1;
            top.push(total);
        }
    }
    let slugs: HashMap<Uuid, String> = tenant::Entity::find()
        .select_only()
        .columns([tenant::Column::Id, tenant::Column::Slug])
        .filter(tenant::Column::Id.is_in(top.iter().map(|t| t.tenant_id)))
        .into_tuple()
        .all(&ctx.reads)
        .await?
        .into_iter()
        .collect();
    for t in &mut top {
        t.slug = slugs.get(&t.tenant_id).cloned().unwrap_or_default();
    }
    Ok(OrganisationUsage {
        month,
        daily: daily
            .into_iter()
            .map(|(meter, days)| (meter, days.into_iter().collect()))
            .collect(),
        top,
    })
}

/// A month's daily usage per tenant and meter for a billing system: one
/// tenant (`reference`; its people or the vendor) or every tenant (platform
/// `report.read`), as CSV (the default) or JSON. Returns (content type, body).
pub async fn export(
    ctx: &Ctx,
    reference: Option<&str>,
    query: &UsageExportQuery,
) -> ServiceResult<(&'static str, String)> {
    let json_wanted = match query.format.trim() {
        "" | "csv" => false,
        "json" => true,
        other => {
            return Err(ServiceError::Validation(FieldErrors(vec![
                FieldError::new(
                    "format",
                    format!("'{other}' is not a format; use csv or json."),
                ),
            ])));
        }
    };
    let (month, from, to) = month_bounds(&query.month, ctx.now())?;
    let scope = match reference {
        Some(r) => Some(
            crate::backend::services::tenants::resolve_tenant_id(ctx, r)
                .await?
                .0,
        ),
        None => {
            ctx.principal.require(Permission::ReportRead)?;
            None
        }
    };
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let mut select = usage_daily::Entity::find()
        .filter(usage_daily::Column::Day.between(from, to))
        .order_by_asc(usage_daily::Column::TenantId)
        .order_by_asc(usage_daily::Column::Meter)
        .order_by_asc(usage_daily::Column::Day);
    if let Some(id) = scope {
        select = select.filter(usage_daily::Column::TenantId.eq(id));
    } else if !ctx.principal.can(Permission::TenantRead, Scope::Platform) {
        return Err(ServiceError::Forbidden);
    }
    let rows = select.all(&txn).await?;
    let slugs: HashMap<Uuid, String> = tenant::Entity::find()
        .select_only()
        .columns([tenant::Column::Id, tenant::Column::Slug])
        .filter(tenant::Column::Id.is_in(rows.iter().map(|r| r.tenant_id).collect::<BTreeSet<_>>()))
        .into_tuple()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    if json_wanted {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| json!({ "tenant_id": r.tenant_id, "tenant": slugs.get(&r.tenant_id), "meter": r.meter, "day": r.day, "value": r.value }))
            .collect();
        return Ok((
            "application/json",
            json!({ "month": month, "items": items }).to_string(),
        ));
    }
    let mut writer = crate::backend::csv_export::SafeCsv::new();
    writer
        .write_record(["month", "tenant_id", "tenant", "meter", "day", "value"])
        .map_err(ServiceError::internal)?;
    for r in &rows {
        let slug = slugs.get(&r.tenant_id).cloned().unwrap_or_default();
        writer
            .write_record([
                month.as_str(),
                &r.tenant_id.to_string(),
                &slug,
                &r.meter,
                &r.day,
                &r.value.to_string(),
            ])
            .map_err(ServiceError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ServiceError::internal)?;
    Ok((
        "text/csv; charset=utf-8",
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}
