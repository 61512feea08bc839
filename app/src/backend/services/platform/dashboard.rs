use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::context::Ctx;
use crate::backend::entities::{audit_event, tenant};
use crate::backend::error::ServiceResult;
use crate::backend::services::access::users::count_users;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::access::permission::TenantScope;
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::model::platform::dashboard::AuditEventRow;
use crate::model::platform::dashboard::DashboardData;
use crate::model::platform::dashboard::StateCount;

const RECENT_AUDIT_EVENTS: u64 = 10;

/// Real counts for the dashboard. Each panel is filled only when the
/// principal may read it; the others come back as `None`.
pub async fn summary(ctx: &Ctx) -> ServiceResult<DashboardData> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let tenants_by_state = if principal.grants.allows_somewhere(Permission::TenantRead) {
        let mut select = tenant::Entity::find();
        if let TenantScope::Only(ids) = principal.tenant_scope(Permission::TenantRead) {
            select = select.filter(tenant::Column::Id.is_in(ids));
        }
        let rows: Vec<(String, i64)> = select
            .select_only()
            .column(tenant::Column::LifecycleState)
            .column_as(tenant::Column::LifecycleState.count(), "count") // index-only: counts the grouped column
            .group_by(tenant::Column::LifecycleState)
            .into_tuple()
            .all(db)
            .await?;
        let mut counts: Vec<StateCount> = LifecycleState::ALL
            .into_iter()
            .map(|state| StateCount {
                state,
                count: rows
                    .iter()
                    .filter(|(name, _)| name == state.as_str())
                    .map(|(_, n)| *n as u64)
                    .sum(),
            })
            .collect();
        counts.retain(|c| {
            c.count > 0
                || matches!(
                    c.state,
                    LifecycleState::Active | LifecycleState::Broken | LifecycleState::Suspended
                )
        });
        Some(counts)
    } else {
        None
    };
    // Tenant admins' user counts come with the users screen; vendor-wide only here.
    let users_total = if principal.can(Permission::UserManage, Scope::Platform) {
        Some(count_users(db).await?)
    } else {
        None
    };
    let recent_audit = if principal.grants.allows_somewhere(Permission::AuditRead) {
        let mut select = audit_event::Entity::find();
        if let TenantScope::Only(ids) = principal.tenant_scope(Permission::AuditRead) {
            select = select.filter(audit_event::Column::TenantId.is_in(ids));
        }
        let rows = select
            .order_by_desc(audit_event::Column::OccurredAt)
            .limit(RECENT_AUDIT_EVENTS)
            .all(db)
            .await?;
        Some(rows.into_iter().map(AuditEventRow::from).collect())
    } else {
        None
    };
    let tenants_total = tenants_by_state
        .as_ref()
        .map(|states| states.iter().map(|s| s.count).sum());
    Ok(DashboardData {
        tenants_total,
        tenants_by_state,
        users_total,
        recent_audit,
    })
}

impl From<audit_event::Model> for AuditEventRow {
    fn from(row: audit_event::Model) -> Self {
        AuditEventRow {
            id: row.id,
            occurred_at: row.occurred_at,
            actor: row.actor_label,
            action: row.action,
            target: match row.target_id {
                Some(id) => format!("{} {}", row.target_type, id),
                None => row.target_type,
            },
            outcome: row.outcome,
        }
    }
}
