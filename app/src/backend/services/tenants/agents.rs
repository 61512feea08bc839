//! Endpoint agents: enrollment tokens (made by a tenant admin), registration
//! (the agent trades an enrollment token for its own token), and reports of
//! inventory that double as heartbeats. Reports are validated whole before
//! anything is written.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::csv_export::{CsvStream, ExportPage};
use crate::backend::db::scoped_read;
use crate::backend::entities::{endpoint, endpoint_product, enrollment_token, product, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::secret::{random_url_safe, sha256_hex};
use crate::backend::services::releases::compliance;
use crate::backend::services::releases::compliance::Reach;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::Scope;
use crate::domain::tenants::agent::AgentReport;
use crate::domain::tenants::agent::ONLINE_WITHIN_MINUTES;
use crate::domain::tenants::agent::Platform;
use crate::domain::tenants::agent::RawReport;
use crate::domain::tenants::agent::is_online;
use crate::domain::tenants::agent::may_take_over;
use crate::domain::tenants::agent::parse_max_registrations;
use crate::domain::tenants::lifecycle::{LifecycleState, TenantAccess};
use crate::domain::validation::FieldErrors;
use crate::model::tenants::endpoints::EndpointList;
use crate::model::tenants::endpoints::EndpointQuery;
use crate::model::tenants::endpoints::EndpointRow;
use crate::model::tenants::endpoints::EndpointsView;
use crate::model::tenants::endpoints::EnrollmentTokenRow;

pub const ENROLLMENT_TTL_DAYS: i64 = 30;
pub const MAX_PER_PAGE: u64 = 200;

pub async fn view(
    ctx: &Ctx,
    tenant_id: Uuid,
    query: &EndpointQuery,
) -> ServiceResult<EndpointsView> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let list = list(ctx, tenant_id, query).await?;
    let online = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(
            endpoint::Column::LastSeenAt.gte(ctx.now() - Duration::minutes(ONLINE_WITHIN_MINUTES)),
        )
        .count(db)
        .await?;
    let tokens = if principal.can(Permission::TenantManage, Scope::Tenant(tenant_id)) {
        enrollment_token::Entity::find()
            .filter(enrollment_token::Column::TenantId.eq(tenant_id))
            .order_by_desc(enrollment_token::Column::CreatedAt)
            .all(db)
            .await?
            .into_iter()
            .map(|t| EnrollmentTokenRow {
                id: t.id,
                label: t.label,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked: t.revoked_at.is_some(),
                registrations: t.registrations,
                max_registrations: t.max_registrations,
                replaces_endpoints: t.replaces_endpoints,
            })
            .collect()
    } else {
        vec![]
    };
    let product_keys = product::Entity::find()
        .order_by_asc(product::Column::Key)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.key)
        .collect();
    Ok(EndpointsView {
        list,
        online,
        product_keys,
        tokens,
    })
}

/// One tenant's endpoints, filtered by platform, installed product and
/// version, and presence; by host name.
pub async fn list(
    ctx: &Ctx,
    tenant_id: Uuid,
    query: &EndpointQuery,
) -> ServiceResult<EndpointList> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_on_tenant(Permission::TenantRead, tenant_id)?;
    let txn = scoped_read(db, &principal.tenant_scope(Permission::TenantRead)).await?;
    let db = &txn;
    tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut errors = FieldErrors::default();
    let mut select = endpoint::Entity::find().filter(endpoint::Column::TenantId.eq(tenant_id));
    if let Some(raw) = query.platform.as_deref().filter(|p| !p.is_empty()) {
        match Platform::parse(raw) {
            Some(platform) => {
                select = select.filter(endpoint::Column::Platform.eq(platform.as_str()))
            }
            None => errors.push("platform", "Use linux, windows or mobile."),
        }
    }
    let online_since = ctx.now() - Duration::minutes(ONLINE_WITHIN_MINUTES);
    match query.presence.as_deref().filter(|p| !p.is_empty()) {
        Some("online") => select = select.filter(endpoint::Column::LastSeenAt.gte(online_since)),
        Some("offline") => select = select.filter(endpoint::Column::LastSeenAt.lt(online_since)),
        Some(_) => errors.push("presence", "Use online or offline."),
        None => {}
    }
    if let Some(key) = query.product.as_deref().filter(|p| !p.is_empty()) {
        let found = product::Entity::find()
            .filter(product::Column::Key.eq(key))
            .one(db)
            .await?;
        match found {
            None => errors.push("product", format!("No product has the key '{key}'.")),
            Some(p) => {
                let mut installed = Query::select()
                    .column(endpoint_product::Column::EndpointId)
                    .from(endpoint_product::Entity)
                    .and_where(Expr::col(endpoint_product::Column::TenantId).eq(tenant_id))
                    .and_where(Expr::col(endpoint_product::Column::ProductId).eq(p.id))
                    .to_owned();
                if let Some(version) = query.version.as_deref().filter(|v| !v.is_empty()) {
                    installed.and_where(Expr::col(endpoint_product::Column::Version).eq(version));
                }
                select = select.filter(endpoint::Column::Id.in_subquery(installed));
            }
        }
    } else if query.version.as_deref().is_some_and(|v| !v.is_empty()) {
        errors.push("version", "Choose a product to filter by its version.");
    }
    crate::domain::validation::check_paging(&mut errors, query.page, query.per_page, MAX_PER_PAGE);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let per_page = query.per_page.unwrap_or(50);
    let page = query.page.unwrap_or(1);
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_asc(endpoint::Column::Hostname)
        .order_by_asc(endpoint::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let keys: HashMap<Uuid, String> = product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    let mut installed: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for row in endpoint_product::Entity::find()
        .filter(endpoint_product::Column::EndpointId.is_in(ids))
        .all(db)
        .await?
    {
        installed.entry(row.endpoint_id).or_default().push((
            keys.get(&row.product_id).cloned().unwrap_or_default(),
            row.version,
        ));
    }
    txn.commit().await?;
    let now = ctx.now();
    Ok(EndpointList {
        items: rows
            .into_iter()
            .map(|r| {
                let mut products = installed.remove(&r.id).unwrap_or_default();
                products.sort();
                EndpointRow {
                    online: is_online(r.last_seen_at, now),
                    id: r.id,
                    hostname: r.hostname,
                    platform: r.platform,
                    agent_version: r.agent_version,
                    registered_at: r.registered_at,
                    last_seen_at: r.last_seen_at,
                    products,
                }
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

/// `max_registrations`: empty for any number until it expires, `1` for
/// single use. `replaces_endpoints`: agents may take over an endpoint
/// already registered under their hostname (a re-imaged machine).
pub async fn create_enrollment_token(
    ctx: &Ctx,
    tenant_id: Uuid,
    label: &str,
    max_registrations: &str,
    replaces_endpoints: bool,
) -> ServiceResult<String> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_on_tenant(Permission::TenantManage, tenant_id)?;
    let label = label.trim();
    let mut errors = FieldErrors::default();
    if label.is_empty() || label.chars().count() > 80 {
        errors.push(
            "label",
            "Name the token (up to 80 characters), e.g. \"Store rollout wave 1\".",
        );
    }
    let max_registrations = parse_max_registrations(max_registrations)
        .map_err(|m| errors.push("max_registrations", m))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let secret = format!("tenr_{}", random_url_safe());
    let id = Uuid::new_v4();
    let now = ctx.now();
    let txn = db.begin().await?;
    tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    enrollment_token::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        label: Set(label.to_owned()),
        token_hash: Set(sha256_hex(&secret)),
        created_by: Set(principal.user_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(ENROLLMENT_TTL_DAYS)),
        revoked_at: Set(None),
        registrations: Set(0),
        max_registrations: Set(max_registrations),
        replaces_endpoints: Set(replaces_endpoints),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "enrollment_token.create",
            "enrollment_token",
        )
        .target(id)
        .tenant(tenant_id)
        .details(json!({ "after": { "label": label } })),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

pub async fn revoke_enrollment_token(ctx: &Ctx, tenant_id: Uuid, id: Uuid) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require_on_tenant(Permission::TenantManage, tenant_id)?;
    let txn = db.begin().await?;
    let found = enrollment_token::Entity::find_by_id(id)
        .filter(enrollment_token::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            let mut errors = FieldErrors::default();
            errors.push("id", "This tenant has no such enrollment token.");
            ServiceError::Validation(errors)
        })?;
    let mut model: enrollment_token::ActiveModel = found.into();
    model.revoked_at = Set(Some(ctx.now()));
    model.update(&txn).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "enrollment_token.revoke",
            "enrollment_token",
        )
        .target(id)
        .tenant(tenant_id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What an agent gets back from registering: its id and its own secret.
#[derive(Clone, Debug)]
pub struct Registration {
    pub endpoint_id: Uuid,
    pub tenant_id: Uuid,
    pub agent_token: String,
}

/// Trades a valid enrollment token and a first report for an agent token.
/// A host that registers again under the same tenant keeps its endpoint
/// record (re-imaged machines) and gets a fresh token.
pub async fn register(
    db: &DatabaseConnection,
    context: &RequestContext,
    enrollment_secret: &str,
    raw: &RawReport,
    now: DateTime<Utc>,
) -> ServiceResult<Registration> {
    let report = AgentReport::parse(raw)?;

    let txn = db.begin().await?;
    let token = enrollment_token::Entity::find()
        .filter(enrollment_token::Column::TokenHash.eq(sha256_hex(enrollment_secret.trim())))
        .one(&txn)
        .await?
        .filter(|t| t.revoked_at.is_none() && t.expires_at > now)
        .ok_or(ServiceError::Unauthenticated)?;
    // One use counted atomically: parallel registrations cannot overrun the limit.
    let counted = enrollment_token::Entity::update_many()
        .col_expr(
            enrollment_token::Column::Registrations,
            Expr::col(enrollment_token::Column::Registrations).add(1),
        )
        .filter(enrollment_token::Column::Id.eq(token.id))
        .filter(
            sea_orm::Condition::any()
                .add(enrollment_token::Column::MaxRegistrations.is_null())
                .add(
                    Expr::col(enrollment_token::Column::Registrations)
                        .lt(Expr::col(enrollment_token::Column::MaxRegistrations)),
                ),
        )
        .exec(&txn)
        .await?;
    if counted.rows_affected != 1 {
        return Err(ServiceError::Unauthenticated);
    }
    let tenant_id = token.tenant_id;
    let products = resolve_products(&txn, &report).await?;
    let agent_token = format!("tagt_{}", random_url_safe());
    let existing = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(tenant_id))
        .filter(endpoint::Column::Hostname.eq(report.hostname.clone()))
        .one(&txn)
        .await?;
    if let Some(endpoint) = &existing {
        let proves_identity = raw
            .current_agent_token
            .as_deref()
            .is_some_and(|t| sha256_hex(t.trim()) == endpoint.token_hash);
        if !may_take_over(token.replaces_endpoints, proves_identity) {
            return Err(ServiceError::Conflict(format!(
                "{} is already registered. Send its current agent token as current_agent_token, or use an enrollment token made to replace endpoints.",
                report.hostname
            )));
        }
    }
    if existing.is_none() {
        // A new endpoint counts against the tenant's endpoint quota.
        crate::backend::services::plans::limits::ensure_room(
            &txn,
            tenant_id,
            crate::domain::plans::plan::Quota::Endpoints,
            1,
        )
        .await?;
    }
    let endpoint_id = existing.as_ref().map(|e| e.id).unwrap_or_else(Uuid::new_v4);
    let model = endpoint::ActiveModel {
        id: Set(endpoint_id),
        tenant_id: Set(tenant_id),
        hostname: Set(report.hostname.clone()),
        platform: Set(report.platform.as_str().to_owned()),
        agent_version: Set(report.agent_version.to_string()),
        token_hash: Set(sha256_hex(&agent_token)),
        registered_at: Set(existing.as_ref().map_or(now, |e| e.registered_at)),
        last_seen_at: Set(now),
    };
    if existing.is_some() {
        model.update(&txn).await?;
    } else {
        model.insert(&txn).await?;
    }
    replace_inventory(&txn, endpoint_id, tenant_id, &products).await?;
    audit::record(
        &txn,
        context,
        AuditEntry::new(Actor::System("agent"), "endpoint.register", "endpoint")
            .target(endpoint_id)
            .tenant(tenant_id)
            .details(json!({ "after": { "hostname": report.hostname, "platform": report.platform.as_str(), "agent_version": report.agent_version.to_string() } })),
    )
    .await?;
    if existing.is_none()
        && let Some(owner) = tenant::Entity::find_by_id(tenant_id).one(&txn).await?
    {
        crate::backend::services::plans::usage::check_quotas(&txn, &owner, now).await?;
    }
    txn.commit().await?;
    compliance::assess(db, Reach::Tenant(tenant_id), now).await?;
    Ok(Registration {
        endpoint_id,
        tenant_id,
        agent_token,
    })
}

/// A heartbeat with the agent's current inventory. Heartbeats are not audited
/// (they would drown the log); a change of installed versions is.
/// The endpoint an agent's token names, and what its tenant's state lets the
/// agent do. A revoked (archived, deleted) tenant's agents are not heard.
pub(crate) async fn agent_endpoint<C: ConnectionTrait>(
    conn: &C,
    agent_secret: &str,
) -> ServiceResult<(endpoint::Model, TenantAccess)> {
    let found = endpoint::Entity::find()
        .filter(endpoint::Column::TokenHash.eq(sha256_hex(agent_secret.trim())))
        .one(conn)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let state: LifecycleState = tenant::Entity::find_by_id(found.tenant_id)
        .select_only()
        .column(tenant::Column::LifecycleState)
        .into_tuple()
        .one(conn)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let access = state.tenant_access();
    if !access.agents_heard() {
        return Err(ServiceError::Unauthenticated);
    }
    Ok((found, access))
}

pub async fn report(
    db: &DatabaseConnection,
    context: &RequestContext,
    agent_secret: &str,
    raw: &RawReport,
    now: DateTime<Utc>,
) -> ServiceResult<Uuid> {
    let txn = db.begin().await?;
    let (found, _) = agent_endpoint(&txn, agent_secret).await?;
    let report = AgentReport::parse(raw)?;
    let products = resolve_products(&txn, &report).await?;
    let (endpoint_id, tenant_id) = (found.id, found.tenant_id);
    let before: Vec<(Uuid, String)> = endpoint_product::Entity::find()
        .filter(endpoint_product::Column::EndpointId.eq(endpoint_id))
        .order_by_asc(endpoint_product::Column::ProductId)
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.product_id, p.version))
        .collect();
    let mut after: Vec<(Uuid, String)> = products
        .iter()
        .map(|(id, v)| (*id, v.to_string()))
        .collect();
    after.sort();
    let mut model: endpoint::ActiveModel = found.into();
    model.hostname = Set(report.hostname.clone());
    model.platform = Set(report.platform.as_str().to_owned());
    model.agent_version = Set(report.agent_version.to_string());
    model.last_seen_at = Set(now);
    model.update(&txn).await?;
    let changed = before != after;
    if changed {
        replace_inventory(&txn, endpoint_id, tenant_id, &products).await?;
        audit::record(
            &txn,
            context,
            AuditEntry::new(Actor::System("agent"), "endpoint.inventory", "endpoint")
                .target(endpoint_id)
                .tenant(tenant_id)
                .details(json!({ "before": before, "after": after })),
        )
        .await?;
    }
    txn.commit().await?;
    if changed {
        compliance::assess(db, Reach::Tenant(tenant_id), now).await?;
    }
    Ok(endpoint_id)
}

/// Product keys to catalog ids; an unknown product refuses the whole report.
async fn resolve_products(
    txn: &DatabaseTransaction,
    report: &AgentReport,
) -> ServiceResult<Vec<(Uuid, semver::Version)>> {
    let keys: Vec<String> = report.products.iter().map(|(k, _)| k.clone()).collect();
    let known: HashMap<String, Uuid> = product::Entity::find()
        .filter(product::Column::Key.is_in(keys))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.key, p.id))
        .collect();
    let mut errors = FieldErrors::default();
    let mut resolved = vec![];
    for (key, version) in &report.products {
        match known.get(key) {
            Some(id) => resolved.push((*id, version.clone())),
            None => errors.push(
                &format!("products.{key}"),
                format!("'{key}' is not a product in the catalog."),
            ),
        }
    }
    errors.into_result(|| resolved).map_err(Into::into)
}

async fn replace_inventory(
    txn: &DatabaseTransaction,
    endpoint_id: Uuid,
    tenant_id: Uuid,
    products: &[(Uuid, semver::Version)],
) -> ServiceResult<()> {
    endpoint_product::Entity::delete_many()
        .filter(endpoint_product::Column::EndpointId.eq(endpoint_id))
        .exec(txn)
        .await?;
    if !products.is_empty() {
        endpoint_product::Entity::insert_many(products.iter().map(|(product_id, version)| {
            endpoint_product::ActiveModel {
                endpoint_id: Set(endpoint_id),
                product_id: Set(*product_id),
                tenant_id: Set(tenant_id),
                version: Set(version.to_string()),
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

/// One tenant's endpoints, with the list's filters, as CSV (every page),
/// written a page at a time while the client reads it.
pub async fn export_csv(
    ctx: &Ctx,
    tenant_id: Uuid,
    query: &EndpointQuery,
) -> ServiceResult<CsvStream> {
    let (ctx, query) = (ctx.clone(), query.clone());
    CsvStream::paged(
        &[
            "hostname",
            "platform",
            "agent_version",
            "online",
            "last_seen_at",
            "products",
        ],
        move |page: Option<u64>| {
            let (ctx, query) = (ctx.clone(), query.clone());
            async move {
                let page = page.unwrap_or(1);
                let chunk = list(
                    &ctx,
                    tenant_id,
                    &EndpointQuery {
                        page: Some(page),
                        per_page: Some(MAX_PER_PAGE),
                        ..query
                    },
                )
                .await?;
                let rows = chunk
                    .items
                    .into_iter()
                    .map(|e| {
                        let products: Vec<String> =
                            e.products.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        vec![
                            e.hostname,
                            e.platform,
                            e.agent_version,
                            if e.online { "yes" } else { "no" }.to_owned(),
                            e.last_seen_at.to_rfc3339(),
                            products.join(" "),
                        ]
                    })
                    .collect();
                Ok(ExportPage {
                    rows,
                    next: (page * MAX_PER_PAGE < chunk.total).then_some(page + 1),
                })
            }
        },
    )
    .await
}
