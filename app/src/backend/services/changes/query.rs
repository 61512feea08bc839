//! Reading changes: the filtered list, counts, one change with its steps.

use super::*;
use crate::backend::context::Ctx;

/// One page of change requests the principal may read, newest first.
pub async fn list(ctx: &Ctx, query: &ChangeQuery) -> ServiceResult<ChangePage> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::TenantRead)?;
    let visible = principal.tenant_scope(Permission::TenantRead);
    let txn = scoped_read(db, &visible).await?;
    let db = &txn;
    let mut select = change_request::Entity::find();
    if let TenantScope::Only(ids) = visible {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    if let Some(word) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let status = ChangeStatus::parse(word).ok_or_else(|| {
            let mut errors = FieldErrors::default();
            errors.push("status", "Choose a status from the list.");
            ServiceError::Validation(errors)
        })?;
        select = select.filter(change_request::Column::Status.eq(status));
    }
    if let Some(word) = query.kind.as_deref().filter(|s| !s.is_empty()) {
        let kind = ChangeKind::parse(word).ok_or_else(|| {
            let mut errors = FieldErrors::default();
            errors.push("kind", "Choose a kind of change from the list.");
            ServiceError::Validation(errors)
        })?;
        select = select.filter(change_request::Column::Kind.eq(kind));
    }
    if let Some(rollout) = query.rollout {
        select = select.filter(change_request::Column::RolloutId.eq(rollout));
    }
    if let Some(filter) = query.filter {
        select = select.filter(change_request::Column::TargetFilterId.eq(filter));
    }
    if let Some(slug) = query.tenant.as_deref().filter(|s| !s.is_empty()) {
        let id = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(slug))
            .select_only()
            .column(tenant::Column::Id)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        select = select.filter(change_request::Column::TenantId.eq(id.unwrap_or(Uuid::nil())));
    }
    let total = select.clone().count(db).await?;
    let page = std::cmp::max(query.page.unwrap_or(1), 1);
    let models = select
        .order_by_desc(change_request::Column::CreatedAt)
        .order_by_desc(change_request::Column::Id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .all(db)
        .await?;
    let rows = to_rows(db, models).await?;
    txn.commit().await?;
    Ok(ChangePage {
        rows,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// How many changes await a decision the principal may take.
pub async fn pending_for(ctx: &Ctx) -> ServiceResult<u64> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    if !principal.grants.allows_somewhere(Permission::UpdateApprove) {
        return Ok(0);
    }
    let mut select = change_request::Entity::find()
        .filter(change_request::Column::Status.eq(ChangeStatus::PendingApproval.as_str()))
        .filter(
            change_request::Column::RequestedBy
                .ne(principal.user_id)
                .or(change_request::Column::RequestedBy.is_null()),
        );
    if let TenantScope::Only(ids) = principal.tenant_scope(Permission::UpdateApprove) {
        select = select.filter(change_request::Column::TenantId.is_in(ids));
    }
    Ok(select.count(db).await?)
}

pub(super) async fn to_rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<change_request::Model>,
) -> ServiceResult<Vec<ChangeRow>> {
    let tenants = tenants::names_of(conn, models.iter().map(|m| m.tenant_id)).await?;
    let products: HashMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    Ok(models
        .into_iter()
        .map(|m| {
            let (slug, name) = tenants.get(&m.tenant_id).cloned().unwrap_or_default();
            to_row(m, slug, name, &products)
        })
        .collect())
}

pub(super) fn to_row(
    m: change_request::Model,
    tenant_slug: String,
    tenant_name: String,
    products: &HashMap<Uuid, String>,
) -> ChangeRow {
    ChangeRow {
        id: m.id,
        tenant_id: m.tenant_id,
        tenant_slug,
        tenant_name,
        kind: m.kind,
        change_model: m.change_model,
        status: m.status,
        title: m.title,
        product_key: m.product_id.and_then(|id| products.get(&id).cloned()),
        target_version: m.target_version,
        requester: m.requester_label,
        requested_by: m.requested_by,
        requires_approval: m.requires_approval,
        next_start_at: m.next_start_at,
        schedule_reason: m.schedule_reason,
        delayed_days: m.delayed_days,
        progress: m.progress,
        rollout_id: m.rollout_id,
        target_filter_id: m.target_filter_id,
        target_filter_name: m.target_filter_name,
        outcome: m.outcome,
        correlation_id: m.correlation_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
    }
}

pub async fn detail(ctx: &Ctx, id: Uuid) -> ServiceResult<ChangeDetail> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let txn = scoped_read(db, &principal.tenant_scope(Permission::TenantRead)).await?;
    let db = &txn;
    let found = find_visible(db, principal, id).await?;
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(id))
        .order_by_asc(change_step::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| StepRow {
            position: s.position,
            name: s.name,
            status: s.status,
            attempts: s.attempts,
            output: s.output,
            started_at: s.started_at,
            finished_at: s.finished_at,
            rollback: s.rollback,
        })
        .collect();
    let decisions = change_decision::Entity::find()
        .filter(change_decision::Column::ChangeRequestId.eq(id))
        .order_by_asc(change_decision::Column::DecidedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|d| DecisionRow {
            decision: d.decision,
            decider: d.decider_label,
            comment: d.comment,
            decided_at: d.decided_at,
        })
        .collect();
    let mut rows = to_rows(db, vec![found]).await?;
    let delay_requests =
        crate::backend::services::changes::delays::of_change(db, principal, id).await?;
    txn.commit().await?;
    Ok(ChangeDetail {
        change: rows.remove(0),
        steps,
        decisions,
        delay_requests,
    })
}
