//! Each tenant's update policy: who must approve updates, when changes may
//! start (recurring maintenance windows in the tenant's time zone), when they
//! may not (blackouts, the tenant's own and organisation-wide), and how long a
//! tenant may postpone a scheduled change on its own.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc, Weekday};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{blackout, maintenance_window, tenant, update_policy};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::tenants;
use crate::domain::access::authority::check_blackout_length;
use crate::domain::access::authority::vendor_field_refusal;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::changes::change::ApprovalMode;
use crate::domain::changes::schedule::Blackout;
use crate::domain::changes::schedule::MaintenanceWindow;
use crate::domain::changes::schedule::PolicyZone;
use crate::domain::changes::schedule::UpdateSchedule;
use crate::domain::changes::schedule::next_allowed_start;
use crate::domain::changes::schedule::parse_timezone;
use crate::domain::validation::FieldErrors;
use crate::model::changes::{BlackoutRow, UpdatePolicyForm, UpdatePolicyView, WindowRow};

pub const DEFAULT_MAX_DELAY_DAYS: i32 = 14;

/// The tenant's policy, or the default one (approve majors, UTC, 14 days).
pub async fn load<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<update_policy::Model> {
    Ok(update_policy::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .unwrap_or_else(|| default_policy(tenant_id)))
}

/// The policy of a tenant that never saved one.
pub(crate) fn default_policy(tenant_id: Uuid) -> update_policy::Model {
    update_policy::Model {
        tenant_id,
        approval_mode: ApprovalMode::MajorsOnly,
        timezone: PolicyZone(chrono_tz::UTC),
        max_delay_days: DEFAULT_MAX_DELAY_DAYS,
        auto_update: false,
        max_running_changes: None,
        // Never saved: the default has no time of its own.
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// How many of the tenant's changes may run at once: the vendor's override,
/// else its plan's `concurrent_updates` quota (see `schedule::concurrency_limit`).
pub async fn running_limit<C: ConnectionTrait>(
    conn: &C,
    tenant: &tenant::Model,
    policy: &update_policy::Model,
) -> ServiceResult<u32> {
    // The plan's quota with the vendor's quota override applied (unlimited: none).
    let quota = crate::backend::services::plans::limits::limit_of(
        conn,
        tenant,
        crate::domain::plans::plan::Quota::ConcurrentUpdates,
    )
    .await?
    .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    Ok(crate::domain::changes::schedule::concurrency_limit(
        Some(quota),
        policy.max_running_changes,
    ))
}

/// Windows and the blackouts that have not ended, for the scheduler.
pub async fn schedule_for<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<UpdateSchedule> {
    let policy = load(conn, tenant_id).await?;
    let timezone = policy.timezone.0;
    let windows = maintenance_window::Entity::find()
        .filter(maintenance_window::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?
        .iter()
        .map(to_window)
        .collect();
    let blackouts = blackout::Entity::find()
        .filter(
            blackout::Column::TenantId
                .eq(tenant_id)
                .or(blackout::Column::TenantId.is_null()),
        )
        .filter(blackout::Column::EndsAt.gt(now - Duration::days(1)))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| Blackout {
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            reason: b.reason,
            organisation_wide: b.tenant_id.is_none(),
        })
        .collect();
    Ok(UpdateSchedule {
        timezone,
        windows,
        blackouts,
    })
}

/// Why a tenant's own people are refused in `state`; read-only work names
/// its expected end, the close of the maintenance window open now.
pub async fn access_refusal<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    slug: &str,
    state: crate::domain::tenants::lifecycle::LifecycleState,
    now: DateTime<Utc>,
) -> ServiceResult<String> {
    use crate::domain::tenants::lifecycle::TenantAccess;
    let expected_end = if state.tenant_access() == TenantAccess::ReadOnly {
        let schedule = schedule_for(conn, tenant_id, now).await?;
        crate::domain::changes::schedule::open_window_end(&schedule, now)
    } else {
        None
    };
    Ok(state.access_refusal(slug, expected_end.as_deref()))
}

pub(crate) fn to_window(w: &maintenance_window::Model) -> MaintenanceWindow {
    MaintenanceWindow {
        weekday: Weekday::try_from(w.weekday.clamp(0, 6) as u8).unwrap_or(Weekday::Mon),
        start: NaiveTime::from_num_seconds_from_midnight_opt(
            std::cmp::max(w.start_minute, 0) as u32 * 60,
            0,
        )
        .unwrap_or(NaiveTime::MIN),
        duration_minutes: std::cmp::max(w.duration_minutes, 1) as u32,
    }
}

/// When a change may start at the earliest, and why then. With no allowed
/// time in reach (every window inside a blackout for a year), a year from now
/// with the reason, so the change waits visibly instead of running.
pub fn next_start(schedule: &UpdateSchedule, earliest: DateTime<Utc>) -> (DateTime<Utc>, String) {
    match next_allowed_start(schedule, earliest) {
        Some(next) => (next.at, next.reason),
        None => (
            earliest + Duration::days(365),
            "No maintenance window outside blackouts within a year; change the windows or blackouts.".into(),
        ),
    }
}

pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<UpdatePolicyView> {
    let db = &ctx.db;
    let (tenant_id, slug) = tenants::resolve_tenant_id(ctx, reference).await?;
    let policy = load(db, tenant_id).await?;
    let windows = maintenance_window::Entity::find()
        .filter(maintenance_window::Column::TenantId.eq(tenant_id))
        .order_by_asc(maintenance_window::Column::Weekday)
        .order_by_asc(maintenance_window::Column::StartMinute)
        .all(db)
        .await?
        .into_iter()
        .map(|w| {
            let window = to_window(&w);
            WindowRow {
                id: w.id,
                label: window.describe(),
                weekday: window.weekday.to_string(),
                start: window.start.format("%H:%M").to_string(),
                end: window.end_label(),
            }
        })
        .collect();
    let blackouts = blackout::Entity::find()
        .filter(
            blackout::Column::TenantId
                .eq(tenant_id)
                .or(blackout::Column::TenantId.is_null()),
        )
        .filter(blackout::Column::EndsAt.gt(ctx.now()))
        .order_by_asc(blackout::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_blackout_row)
        .collect();
    let schedule = schedule_for(db, tenant_id, ctx.now()).await?;
    let (at, why) = next_start(&schedule, ctx.now());
    let running_limit = match tenant::Entity::find_by_id(tenant_id).one(db).await? {
        Some(found) => running_limit(db, &found, &policy).await?,
        None => 1,
    };
    Ok(UpdatePolicyView {
        tenant_id,
        tenant_slug: slug,
        approval_mode: policy.approval_mode,
        timezone: policy.timezone.as_str().into(),
        max_delay_days: policy.max_delay_days,
        auto_update: policy.auto_update,
        max_running_changes: policy.max_running_changes,
        running_limit,
        windows,
        blackouts,
        next_start_at: Some(at),
        next_start_reason: why,
    })
}

fn to_blackout_row(b: blackout::Model) -> BlackoutRow {
    BlackoutRow {
        id: b.id,
        tenant_id: b.tenant_id,
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        reason: b.reason,
        created_by: b.created_by,
    }
}

/// Organisation-wide blackouts that have not ended (for the Changes page).
pub async fn organisation_blackouts(ctx: &Ctx) -> ServiceResult<Vec<BlackoutRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    Ok(blackout::Entity::find()
        .filter(blackout::Column::TenantId.is_null())
        .filter(blackout::Column::EndsAt.gt(ctx.now()))
        .order_by_asc(blackout::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_blackout_row)
        .collect())
}

async fn editable_tenant(ctx: &Ctx, reference: &str) -> ServiceResult<Uuid> {
    let principal = &ctx.principal;
    let (tenant_id, _) = tenants::resolve_tenant_id(ctx, reference).await?;
    principal.require_on_tenant(Permission::TenantManage, tenant_id)?;
    Ok(tenant_id)
}

/// A tenant's update policy as its form sets it, parsed at the door.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatePolicySettings {
    pub approval_mode: ApprovalMode,
    pub timezone: chrono_tz::Tz,
    /// 0 to 90; only the vendor may change it.
    pub max_delay_days: i32,
    pub auto_update: bool,
    /// 1 to 100, or `None` for the plan's quota; only the vendor may change it.
    pub max_running_changes: Option<i32>,
}

impl TryFrom<&UpdatePolicyForm> for UpdatePolicySettings {
    type Error = FieldErrors;

    fn try_from(form: &UpdatePolicyForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mode = ApprovalMode::parse(form.approval_mode.trim());
        if mode.is_none() {
            errors.push(
                "approval_mode",
                "Choose auto-approve, approve majors only or approve all.",
            );
        }
        let timezone = parse_timezone(form.timezone.trim())
            .map_err(|message| errors.push("timezone", message))
            .ok();
        let max_delay_days = match form.max_delay_days.trim().parse::<i32>() {
            Ok(days) if (0..=90).contains(&days) => Some(days),
            _ => {
                errors.push("max_delay_days", "Enter a number of days from 0 to 90.");
                None
            }
        };
        let max_running_changes = match form.max_running_changes.trim() {
            "" => Some(None),
            raw => match raw.parse::<i32>() {
                Ok(n) if (1..=100).contains(&n) => Some(Some(n)),
                _ => {
                    errors.push(
                        "max_running_changes",
                        "Enter 1 to 100 changes at once, or leave it empty for the plan's quota.",
                    );
                    None
                }
            },
        };
        match (mode, timezone, max_delay_days, max_running_changes) {
            (
                Some(approval_mode),
                Some(timezone),
                Some(max_delay_days),
                Some(max_running_changes),
            ) => Ok(Self {
                approval_mode,
                timezone,
                max_delay_days,
                auto_update: form.auto_update,
                max_running_changes,
            }),
            _ => Err(errors),
        }
    }
}

pub async fn save(
    ctx: &Ctx,
    reference: &str,
    settings: crate::backend::error::Parsed<UpdatePolicySettings>,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let tenant_id = editable_tenant(ctx, reference).await?;
    let settings = settings?;
    let (mode, max_delay) = (settings.approval_mode, settings.max_delay_days);
    let timezone = PolicyZone(settings.timezone);
    let txn = db.begin().await?;
    let before = load(&txn, tenant_id).await?;
    if before.max_delay_days != max_delay
        && !principal.can(Permission::TenantManage, Scope::Platform)
    {
        let mut refused = FieldErrors::default();
        refused.push(
            "max_delay_days",
            vendor_field_refusal("max_delay_days").unwrap_or_default(),
        );
        return Err(refused.into());
    }
    if settings.auto_update && !before.auto_update {
        let refusal = crate::backend::services::plans::limits::require_feature(
            &txn,
            tenant_id,
            crate::domain::plans::plan::FeatureFlag::AutoUpdate,
        )
        .await;
        if let Err(ServiceError::Policy(message)) = refusal {
            let mut refused = FieldErrors::default();
            refused.push("auto_update", message);
            return Err(refused.into());
        }
        refusal?;
    }
    if before.max_running_changes != settings.max_running_changes
        && !principal.can(Permission::TenantManage, Scope::Platform)
    {
        let mut refused = FieldErrors::default();
        refused.push(
            "max_running_changes",
            vendor_field_refusal("max_running_changes").unwrap_or_default(),
        );
        return Err(refused.into());
    }
    let existing = update_policy::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?;
    let record = update_policy::ActiveModel {
        tenant_id: Set(tenant_id),
        approval_mode: Set(mode),
        timezone: Set(timezone),
        max_delay_days: Set(max_delay),
        auto_update: Set(settings.auto_update),
        max_running_changes: Set(settings.max_running_changes),
        updated_at: Set(ctx.now()),
    };
    if existing.is_some() {
        record.update(&txn).await?;
    } else {
        record.insert(&txn).await?;
    }
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "update_policy.save", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({
                "before": { "approval_mode": before.approval_mode, "timezone": before.timezone.as_str(), "max_delay_days": before.max_delay_days, "auto_update": before.auto_update, "max_running_changes": before.max_running_changes },
                "after": { "approval_mode": mode.as_str(), "timezone": timezone.as_str(), "max_delay_days": max_delay, "auto_update": settings.auto_update, "max_running_changes": settings.max_running_changes },
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn add_window(
    ctx: &Ctx,
    reference: &str,
    weekday: &str,
    start: &str,
    end: &str,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let tenant_id = editable_tenant(ctx, reference).await?;
    let window = MaintenanceWindow::parse(weekday, start, end)?;
    let txn = db.begin().await?;
    let id = Uuid::new_v4();
    maintenance_window::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        weekday: Set(window.weekday.num_days_from_monday() as i32),
        start_minute: Set((window.start.num_seconds_from_midnight() / 60) as i32),
        duration_minutes: Set(window.duration_minutes as i32),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::from(principal), "maintenance_window.add", "tenant")
            .target(tenant_id)
            .tenant(tenant_id)
            .details(json!({ "window": window.describe(), "id": id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn remove_window(ctx: &Ctx, reference: &str, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let tenant_id = editable_tenant(ctx, reference).await?;
    let txn = db.begin().await?;
    let found = maintenance_window::Entity::find_by_id(id)
        .filter(maintenance_window::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            // The tenant exists and may be edited: an unknown window is a
            // stale form, not a missing tenant.
            let mut errors = FieldErrors::default();
            errors.push(
                "id",
                "This maintenance window no longer exists; reload the page.",
            );
            ServiceError::Validation(errors)
        })?;
    let described = to_window(&found).describe();
    maintenance_window::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "maintenance_window.remove",
            "tenant",
        )
        .target(tenant_id)
        .tenant(tenant_id)
        .details(json!({ "window": described, "id": id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A tenant's blackout (its managers) or, with no tenant, an
/// organisation-wide one (platform policy managers). A tenant's own people
/// may pause changes for at most `max_days` (the vendor's limit).
#[allow(clippy::too_many_arguments)]
pub async fn add_blackout(
    ctx: &Ctx,
    max_days: i64,
    reference: &str,
    starts: &str,
    ends: &str,
    reason: &str,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let reference = reference.trim();
    let (tenant_id, timezone) = if reference.is_empty() {
        principal.require(Permission::PolicyManage)?;
        (None, chrono_tz::UTC)
    } else {
        let id = editable_tenant(ctx, reference).await?;
        let policy = load(db, id).await?;
        (Some(id), policy.timezone.0)
    };
    let (starts_at, ends_at, reason) = Blackout::parse(starts, ends, reason, timezone)?;
    let by_vendor = principal.can(Permission::TenantManage, Scope::Platform);
    if let Err(problem) = check_blackout_length(starts_at, ends_at, max_days, by_vendor) {
        let mut errors = FieldErrors::default();
        errors.push("ends", problem);
        return Err(errors.into());
    }
    let txn = db.begin().await?;
    let id = Uuid::new_v4();
    blackout::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        reason: Set(reason.clone()),
        created_by: Set(principal.email.clone()),
        created_at: Set(ctx.now()),
    }
    .insert(&txn)
    .await?;
    let mut entry = AuditEntry::new(Actor::from(principal), "blackout.add", "blackout")
        .target(id)
        .details(json!({ "starts_at": starts_at, "ends_at": ends_at, "reason": reason }));
    if let Some(tenant_id) = tenant_id {
        entry = entry.tenant(tenant_id);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn remove_blackout(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let txn = db.begin().await?;
    let found = blackout::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    match found.tenant_id {
        None => principal.require(Permission::PolicyManage)?,
        Some(tenant_id) => principal.require_on_tenant(Permission::TenantManage, tenant_id)?,
    }
    blackout::Entity::delete_by_id(id).exec(&txn).await?;
    let mut entry = AuditEntry::new(Actor::from(principal), "blackout.remove", "blackout")
        .target(id)
        .details(json!({ "starts_at": found.starts_at, "ends_at": found.ends_at, "reason": found.reason }));
    if let Some(tenant_id) = found.tenant_id {
        entry = entry.tenant(tenant_id);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    Ok(())
}
