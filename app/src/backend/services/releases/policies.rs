//! Version policies and grace extensions. A policy or a decided extension can
//! change compliance, so each change is followed by a fresh assessment.

use std::collections::HashMap;

use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{
    grace_extension, product, tenant, tenant_product, user, version_policy,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::releases::compliance;
use crate::backend::services::releases::compliance::Reach;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::TenantScope;
use crate::domain::changes::decision::Decision;
use crate::domain::changes::decision::RequestStatus;
use crate::domain::releases::catalog::EnforcementAction;
use crate::domain::releases::catalog::PolicyInput;
use crate::domain::releases::catalog::PolicyRequest;
use crate::domain::releases::catalog::parse_extension_request;
use crate::domain::validation::FieldErrors;
use crate::model::releases::compliance::ExtensionRow;
use crate::model::releases::policies::PoliciesView;
use crate::model::releases::policies::PolicyForm;
use crate::model::releases::policies::PolicyRow;

/// Policy managers see every policy; other report readers see the global and
/// product policies and their own tenants' overrides.
pub async fn view(ctx: &Ctx) -> ServiceResult<PoliciesView> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::ReportRead)?;
    let scope = principal.tenant_scope(Permission::ReportRead);
    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?;
    let product_keys: HashMap<Uuid, String> =
        products.iter().map(|p| (p.id, p.key.clone())).collect();
    let mut select = version_policy::Entity::find();
    if let TenantScope::Only(ids) = &scope {
        select = select.filter(
            version_policy::Column::TenantId
                .is_null()
                .or(version_policy::Column::TenantId.is_in(ids.clone())),
        );
    }
    let rows = select
        .order_by_asc(version_policy::Column::Level)
        .all(db)
        .await?;
    let tenant_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.tenant_id).collect();
    let slugs = slugs_of(db, tenant_ids).await?;
    let mut policies: Vec<PolicyRow> = rows
        .into_iter()
        .map(|r| PolicyRow {
            product_key: r.product_id.and_then(|id| product_keys.get(&id).cloned()),
            tenant_slug: r.tenant_id.and_then(|id| slugs.get(&id).cloned()),
            id: r.id,
            level: r.level,
            product_id: r.product_id,
            tenant_id: r.tenant_id,
            minimum_version: r.minimum_version,
            maximum_version: r.maximum_version,
            eol_date: r.eol_date,
            grace_days: r.grace_days,
            actions: r.actions.split_whitespace().map(str::to_owned).collect(),
            updated_at: r.updated_at,
        })
        .collect();
    policies.sort_by_key(|p| (p.level, p.product_key.clone(), p.tenant_slug.clone()));
    let extensions = match scope {
        TenantScope::All => extensions_of(db, None).await?,
        TenantScope::Only(ids) => {
            let mut all = vec![];
            for id in ids {
                all.extend(extensions_of(db, Some(id)).await?);
            }
            all
        }
    };
    Ok(PoliciesView {
        policies,
        extensions,
        products: products
            .into_iter()
            .map(|p| (p.id, p.key, p.name))
            .collect(),
        actions: EnforcementAction::ALL
            .iter()
            .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
            .collect(),
    })
}

async fn slugs_of<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> ServiceResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.slug))
        .collect())
}

/// A version policy to save, parsed at the door.
#[derive(Clone, Debug)]
pub struct SavePolicy {
    pub product_id: Option<Uuid>,
    /// The tenant's slug, for a tenant override.
    pub tenant: Option<String>,
    pub policy: PolicyRequest,
}

impl TryFrom<&PolicyForm> for SavePolicy {
    type Error = crate::domain::validation::FieldErrors;

    fn try_from(form: &PolicyForm) -> Result<Self, Self::Error> {
        let tenant = Some(form.tenant.trim().to_lowercase()).filter(|slug| !slug.is_empty());
        let actions: Vec<&str> = form.actions.iter().map(String::as_str).collect();
        let policy = PolicyRequest::parse(&PolicyInput {
            level: form.level.trim(),
            has_product: form.product_id.is_some(),
            has_tenant: tenant.is_some(),
            minimum: &form.minimum_version,
            maximum: &form.maximum_version,
            eol_date: &form.eol_date,
            grace_days: &form.grace_days,
            actions: &actions,
        })?;
        Ok(Self {
            product_id: form.product_id,
            tenant,
            policy,
        })
    }
}

/// Creates the policy for its level, product and tenant, or replaces it.
pub async fn save(
    ctx: &Ctx,
    save: crate::backend::error::Parsed<SavePolicy>,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::PolicyManage)?;
    let save = &save?;
    let request = &save.policy;
    let mut errors = crate::domain::validation::FieldErrors::default();
    let txn = db.begin().await?;
    let tenant_id = match &save.tenant {
        None => None,
        Some(slug) => {
            let found = tenant::Entity::find()
                .filter(tenant::Column::Slug.eq(slug.as_str()))
                .one(&txn)
                .await?;
            if found.is_none() {
                errors.push("tenant", format!("No tenant has the slug '{slug}'."));
            }
            found.map(|t| t.id)
        }
    };
    if let Some(product_id) = save.product_id {
        if product::Entity::find_by_id(product_id)
            .one(&txn)
            .await?
            .is_none()
        {
            errors.push("product", "Choose a product from the catalog.");
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut existing =
        version_policy::Entity::find().filter(version_policy::Column::Level.eq(request.level));
    existing = match save.product_id {
        Some(id) => existing.filter(version_policy::Column::ProductId.eq(id)),
        None => existing.filter(version_policy::Column::ProductId.is_null()),
    };
    existing = match tenant_id {
        Some(id) => existing.filter(version_policy::Column::TenantId.eq(id)),
        None => existing.filter(version_policy::Column::TenantId.is_null()),
    };
    let existing = existing.one(&txn).await?;
    let actions: Vec<&str> = request.actions.iter().map(|a| a.as_str()).collect();
    let after = json!({
        "level": request.level.as_str(),
        "product_id": save.product_id,
        "tenant_id": tenant_id,
        "minimum_version": request.minimum.as_ref().map(|v| v.to_string()),
        "maximum_version": request.maximum.as_ref().map(|v| v.to_string()),
        "eol_date": request.eol_date,
        "grace_days": request.grace_days,
        "actions": actions,
    });
    let id = existing.as_ref().map(|e| e.id).unwrap_or_else(Uuid::new_v4);
    let before = existing.as_ref().map(|e| {
        json!({ "minimum_version": e.minimum_version, "maximum_version": e.maximum_version, "eol_date": e.eol_date, "grace_days": e.grace_days, "actions": e.actions })
    });
    let model = version_policy::ActiveModel {
        id: Set(id),
        level: Set(request.level),
        product_id: Set(save.product_id),
        tenant_id: Set(tenant_id),
        minimum_version: Set(request.minimum.as_ref().map(|v| v.to_string())),
        maximum_version: Set(request.maximum.as_ref().map(|v| v.to_string())),
        eol_date: Set(request.eol_date),
        grace_days: Set(request.grace_days),
        actions: Set(actions.join(" ")),
        updated_at: Set(ctx.now()),
    };
    if existing.is_some() {
        model.update(&txn).await?;
    } else {
        model.insert(&txn).await?;
    }
    let mut entry = AuditEntry::new(Actor::from(principal), "policy.save", "version_policy")
        .target(id)
        .details(json!({ "before": before, "after": after }));
    if let Some(tenant_id) = tenant_id {
        entry = entry.tenant(tenant_id);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    compliance::assess(db, tenant_id.map_or(Reach::All, Reach::Tenant), ctx.now()).await?;
    Ok(id)
}

pub async fn delete(ctx: &Ctx, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::PolicyManage)?;
    let txn = db.begin().await?;
    let found = version_policy::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    version_policy::Entity::delete_by_id(id).exec(&txn).await?;
    let mut entry = AuditEntry::new(Actor::from(principal), "policy.delete", "version_policy")
        .target(id)
        .details(json!({ "before": { "level": found.level.as_str(), "product_id": found.product_id, "minimum_version": found.minimum_version, "maximum_version": found.maximum_version, "eol_date": found.eol_date, "grace_days": found.grace_days } }));
    if let Some(tenant_id) = found.tenant_id {
        entry = entry.tenant(tenant_id);
    }
    audit::record(&txn, context, entry).await?;
    txn.commit().await?;
    compliance::assess(
        db,
        found.tenant_id.map_or(Reach::All, Reach::Tenant),
        ctx.now(),
    )
    .await?;
    Ok(())
}

/// Grace extensions, newest first: one tenant's, or everyone's.
pub async fn extensions_of<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Option<Uuid>,
) -> ServiceResult<Vec<ExtensionRow>> {
    let mut select =
        grace_extension::Entity::find().order_by_desc(grace_extension::Column::RequestedAt);
    if let Some(id) = tenant_id {
        select = select.filter(grace_extension::Column::TenantId.eq(id));
    }
    let rows = select.all(conn).await?;
    let slugs = slugs_of(conn, rows.iter().map(|r| r.tenant_id).collect()).await?;
    let products: HashMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    let requesters: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.requested_by).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| ExtensionRow {
            tenant_slug: slugs.get(&r.tenant_id).cloned().unwrap_or_default(),
            product_key: products.get(&r.product_id).cloned().unwrap_or_default(),
            requested_by: requesters.get(&r.requested_by).cloned().unwrap_or_default(),
            id: r.id,
            tenant_id: r.tenant_id,
            days: r.days,
            reason: r.reason,
            status: r.status,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            decision_comment: r.decision_comment,
        })
        .collect())
}

/// A tenant admin asks for more days of grace for a product the tenant runs.
pub async fn request_extension(
    ctx: &Ctx,
    tenant_id: Uuid,
    product_id: Uuid,
    days: &str,
    reason: &str,
) -> ServiceResult<Uuid> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_on_tenant(Permission::UpdateApprove, tenant_id)?;
    let (days, reason) = parse_extension_request(days, reason)?;
    let txn = db.begin().await?;
    if tenant_product::Entity::find_by_id((tenant_id, product_id))
        .one(&txn)
        .await?
        .is_none()
    {
        let mut errors = FieldErrors::default();
        errors.push("product_id", "The tenant does not run this product.");
        return Err(errors.into());
    }
    let pending = grace_extension::Entity::find()
        .filter(grace_extension::Column::TenantId.eq(tenant_id))
        .filter(grace_extension::Column::ProductId.eq(product_id))
        .filter(grace_extension::Column::Status.eq(RequestStatus::Pending))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(ServiceError::Conflict(
            "A request for this product is already waiting for a decision.".into(),
        ));
    }
    let id = Uuid::new_v4();
    grace_extension::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        product_id: Set(product_id),
        days: Set(days),
        reason: Set(reason.clone()),
        status: Set(RequestStatus::Pending),
        requested_by: Set(principal.user_id),
        requested_at: Set(ctx.now()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_comment: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "grace_extension.request",
            "grace_extension",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "after": { "product_id": product_id, "days": days, "reason": reason } })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A platform policy manager approves (the days are added to the tenant's
/// grace for that product) or denies a pending request.
pub async fn decide_extension(
    ctx: &Ctx,
    id: Uuid,
    decision: &str,
    comment: &str,
) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::PolicyManage)?;
    let decision = Decision::parse(decision, comment)?;
    let status = decision.outcome();
    let txn = db.begin().await?;
    let found = grace_extension::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if found.status != RequestStatus::Pending {
        return Err(ServiceError::Conflict(format!(
            "This request was already {}.",
            found.status.as_str()
        )));
    }
    let tenant_id = found.tenant_id;
    let mut model: grace_extension::ActiveModel = found.into();
    model.status = Set(status);
    model.decided_by = Set(Some(principal.user_id));
    model.decided_at = Set(Some(ctx.now()));
    model.decision_comment = Set(decision.comment.clone());
    model.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "grace_extension.decide",
            "grace_extension",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "after": { "status": status.as_str(), "comment": decision.comment } })),
    )
    .await?;
    txn.commit().await?;
    compliance::assess(db, Reach::Tenant(tenant_id), ctx.now()).await?;
    Ok(())
}
