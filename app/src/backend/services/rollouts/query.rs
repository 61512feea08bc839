//! Reading rollouts: the list with progress, one rollout with its waves and
//! targets page by page.

use super::*;
use crate::backend::context::Ctx;

/// Counts of targets per rollout and status, for rows and the progress gauge.
pub(crate) async fn target_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, HashMap<TargetStatus, u64>>> {
    let rows: Vec<(Uuid, TargetStatus, i64)> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.is_in(ids.to_vec()))
        .select_only()
        .column(rollout_target::Column::RolloutId)
        .column(rollout_target::Column::Status)
        .column_as(rollout_target::Column::Id.count(), "n")
        .group_by(rollout_target::Column::RolloutId)
        .group_by(rollout_target::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts: HashMap<Uuid, HashMap<TargetStatus, u64>> = HashMap::new();
    for (id, status, n) in rows {
        counts.entry(id).or_default().insert(status, n as u64);
    }
    Ok(counts)
}

/// Rolled-back changes per rollout.
pub(super) async fn rollbacks<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, u64>> {
    let rows: Vec<(Option<Uuid>, i64)> = change_request::Entity::find()
        .filter(change_request::Column::RolloutId.is_in(ids.to_vec()))
        .filter(change_request::Column::Status.eq(ChangeStatus::RolledBack.as_str()))
        .select_only()
        .column(change_request::Column::RolloutId)
        .column_as(change_request::Column::Id.count(), "n")
        .group_by(change_request::Column::RolloutId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n as u64)))
        .collect())
}

pub(super) fn to_row(
    r: rollout::Model,
    products: &HashMap<Uuid, String>,
    counts: Option<&HashMap<TargetStatus, u64>>,
    rolled_back: u64,
    waves: i32,
) -> RolloutRow {
    let get = |s: TargetStatus| counts.and_then(|c| c.get(&s)).copied().unwrap_or(0);
    let (succeeded, failed, running) = (
        get(TargetStatus::Succeeded),
        get(TargetStatus::Failed),
        get(TargetStatus::Running),
    );
    let targets = counts.map(|c| c.values().sum()).unwrap_or(0);
    let finished = (succeeded + failed) as u32;
    RolloutRow {
        id: r.id,
        name: r.name,
        scope: r.scope,
        product_key: products.get(&r.product_id).cloned().unwrap_or_default(),
        target_version: r.target_version,
        status: r.status,
        targets,
        succeeded,
        failed,
        running,
        current_wave: r.current_wave,
        waves,
        halt_reason: r.halt_reason,
        creator: r.creator_label,
        created_at: r.created_at,
        start_at: r.start_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
        success_rate: success_rate(succeeded as u32, finished),
        rollback_rate: success_rate(rolled_back as u32, finished),
    }
}

pub(super) async fn product_keys<C: ConnectionTrait>(
    conn: &C,
) -> ServiceResult<HashMap<Uuid, String>> {
    Ok(product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect())
}

pub(super) async fn wave_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, i32>> {
    let rows: Vec<(Uuid, Option<i32>)> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.is_in(ids.to_vec()))
        .select_only()
        .column(rollout_target::Column::RolloutId)
        .column_as(rollout_target::Column::Wave.max(), "w")
        .group_by(rollout_target::Column::RolloutId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, w)| (id, w.unwrap_or(1)))
        .collect())
}

/// Every rollout, newest first. Rollouts span tenants: platform readers only.
pub async fn list(ctx: &Ctx) -> ServiceResult<RolloutList> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require(Permission::TenantRead)?;
    let models = rollout::Entity::find()
        .order_by_desc(rollout::Column::CreatedAt)
        .limit(200)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = models.iter().map(|r| r.id).collect();
    let counts = target_counts(db, &ids).await?;
    let rolled = rollbacks(db, &ids).await?;
    let waves = wave_counts(db, &ids).await?;
    let products = product_keys(db).await?;
    let rows = models
        .into_iter()
        .map(|r| {
            let id = r.id;
            to_row(
                r,
                &products,
                counts.get(&id),
                rolled.get(&id).copied().unwrap_or(0),
                waves.get(&id).copied().unwrap_or(1),
            )
        })
        .collect();
    let product_options = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    Ok(RolloutList {
        rows,
        products: product_options,
    })
}

pub async fn detail(ctx: &Ctx, id: Uuid, page: u64) -> ServiceResult<RolloutDetail> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require(Permission::TenantRead)?;
    let found = rollout::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ids = [id];
    let counts = target_counts(db, &ids).await?;
    let rolled = rollbacks(db, &ids).await?;
    let total_waves = wave_counts(db, &ids).await?.get(&id).copied().unwrap_or(1);
    let mut waves = Vec::new();
    for number in 1..=total_waves {
        let p = wave_progress(db, id, number).await?;
        waves.push(WaveRow {
            number,
            total: p.total,
            succeeded: p.succeeded,
            failed: p.failed,
            running: p.running,
            pending: p.pending(),
        });
    }
    let page = std::cmp::max(page, 1);
    // Failed and running first: what an operator watches.
    let order = sea_orm::prelude::Expr::cust(
        "CASE status WHEN 'failed' THEN 0 WHEN 'running' THEN 1 ELSE 2 END",
    );
    let targets = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .order_by(order, sea_orm::Order::Asc)
        .order_by_asc(rollout_target::Column::Position)
        .offset((page - 1) * TARGETS_PER_PAGE)
        .limit(TARGETS_PER_PAGE)
        .all(db)
        .await?;
    let slugs: HashMap<Uuid, String> = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(targets.iter().map(|t| t.tenant_id)))
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let hosts: HashMap<Uuid, String> = endpoint::Entity::find()
        .filter(endpoint::Column::Id.is_in(targets.iter().filter_map(|t| t.endpoint_id)))
        .select_only()
        .column(endpoint::Column::Id)
        .column(endpoint::Column::Hostname)
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let targets = targets
        .into_iter()
        .map(|t| TargetRow {
            tenant_slug: slugs.get(&t.tenant_id).cloned().unwrap_or_default(),
            endpoint: t.endpoint_id.and_then(|id| hosts.get(&id).cloned()),
            attempts: t.attempts,
            message: t.message,
            wave: t.wave,
            status: t.status,
            from_version: t.from_version,
            change_request_id: t.change_request_id,
            last_error: t.last_error,
            finished_at: t.finished_at,
        })
        .collect();
    let can_execute = principal.require(Permission::UpdateExecute).is_ok();
    let can_approve = principal.require(Permission::UpdateApprove).is_ok()
        && found.created_by != Some(principal.user_id);
    let actions = offered_actions(found.status)
        .into_iter()
        .filter(|action| {
            if *action == RolloutAction::Approve {
                can_approve
            } else {
                can_execute
            }
        })
        .collect();
    let products = product_keys(db).await?;
    Ok(RolloutDetail {
        selection: found.selection.clone(),
        wave_splits: found.wave_splits.clone(),
        success_threshold: found.success_threshold,
        error_threshold: found.error_threshold,
        on_error: found.on_error.clone(),
        concurrency: found.concurrency,
        rollout: to_row(
            found,
            &products,
            counts.get(&id),
            rolled.get(&id).copied().unwrap_or(0),
            total_waves,
        ),
        waves,
        targets,
        targets_page: page,
        targets_per_page: TARGETS_PER_PAGE,
        actions,
    })
}
