//! Compliance assessment, set-based: one read of every running version, the
//! catalog and the policies; the pure rules in memory; one bulk write of the
//! results, the endpoint roll-up and today's snapshot. Then the reports read
//! those stored results, never re-assessing per request.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::csv_export::{CsvStream, ExportPage};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    compliance_snapshot, compliance_status, compliance_trend, endpoint_compliance,
    endpoint_product, grace_extension, product, tenant, tenant_product, version_policy,
};
use crate::backend::error::ServiceResult;
use crate::backend::principal::{Actor, Principal};
use crate::backend::services::catalog::catalog_releases;
use crate::domain::catalog::EnforcementAction;
use crate::domain::compliance::{
    CatalogRelease, ComplianceStatus, PolicyLevel, STATUS_KEYS, VersionPolicy,
    assess as assess_version, compliance_day, counts_as_compliant, effective_policy, missed_days,
    severity, worst_status,
};
use crate::domain::permission::{Permission, TenantScope};
use crate::model::compliance::{
    ComplianceOverview, ComplianceQuery, ComplianceReport, ComplianceRow, ComplianceSummary,
    ProductDistribution, StatusCount, TrendPoint, VersionShare,
};

/// Which tenants an assessment covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    All,
    Tenant(Uuid),
}

/// An end-of-life date that falls due for a notice (see `notices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EolDate {
    pub tenant_id: Uuid,
    pub product_id: Uuid,
    pub running_version: String,
    pub eol: NaiveDate,
}

#[derive(Clone, Debug, Default)]
pub struct AssessmentReport {
    pub tenant_products: usize,
    pub endpoint_groups: usize,
    pub tenants: usize,
    /// The effective end-of-life dates of the products whose policy notifies.
    pub eol_dates: Vec<EolDate>,
    /// (tenant, product) past end of life or out of policy whose deciding
    /// policy schedules a forced upgrade.
    pub forced_upgrades: Vec<(Uuid, Uuid)>,
    /// Days without a snapshot (the service was down) filled in by this run.
    pub backfilled_days: usize,
}

/// The policies in force, indexed for lookup by tenant and product.
struct PolicyBook {
    global: Option<VersionPolicy>,
    by_product: HashMap<Uuid, VersionPolicy>,
    by_tenant_product: HashMap<(Uuid, Uuid), VersionPolicy>,
    extra_grace: HashMap<(Uuid, Uuid), i64>,
    /// Enforcement actions by (level, product, tenant).
    actions: HashMap<(PolicyLevel, Option<Uuid>, Option<Uuid>), Vec<EnforcementAction>>,
}

impl PolicyBook {
    async fn load<C: ConnectionTrait>(conn: &C, reach: Reach) -> ServiceResult<Self> {
        let mut book = PolicyBook {
            global: None,
            by_product: HashMap::new(),
            by_tenant_product: HashMap::new(),
            extra_grace: HashMap::new(),
            actions: HashMap::new(),
        };
        let mut policies = version_policy::Entity::find();
        if let Reach::Tenant(id) = reach {
            policies = policies.filter(
                version_policy::Column::TenantId
                    .is_null()
                    .or(version_policy::Column::TenantId.eq(id)),
            );
        }
        for row in policies.all(conn).await? {
            let Some(level) = PolicyLevel::parse(&row.level) else {
                continue;
            };
            let policy = VersionPolicy {
                level,
                minimum: row
                    .minimum_version
                    .as_deref()
                    .and_then(|v| semver::Version::parse(v).ok()),
                maximum: row
                    .maximum_version
                    .as_deref()
                    .and_then(|v| semver::Version::parse(v).ok()),
                eol_date: row.eol_date,
                grace_days: row.grace_days,
            };
            book.actions.insert(
                (level, row.product_id, row.tenant_id),
                row.actions
                    .split_whitespace()
                    .filter_map(EnforcementAction::parse)
                    .collect(),
            );
            match (level, row.product_id, row.tenant_id) {
                (PolicyLevel::Global, _, _) => book.global = Some(policy),
                (PolicyLevel::Product, Some(product), _) => {
                    book.by_product.insert(product, policy);
                }
                (PolicyLevel::Tenant, Some(product), Some(tenant)) => {
                    book.by_tenant_product.insert((tenant, product), policy);
                }
                _ => {}
            }
        }
        let mut approved =
            grace_extension::Entity::find().filter(grace_extension::Column::Status.eq("approved"));
        if let Reach::Tenant(id) = reach {
            approved = approved.filter(grace_extension::Column::TenantId.eq(id));
        }
        for ext in approved.all(conn).await? {
            *book
                .extra_grace
                .entry((ext.tenant_id, ext.product_id))
                .or_default() += ext.days;
        }
        Ok(book)
    }

    /// The deciding policy for a tenant's product, with approved extensions added to its grace.
    fn for_tenant(&self, tenant_id: Uuid, product_id: Uuid) -> VersionPolicy {
        let candidates: Vec<VersionPolicy> = [
            self.global.clone(),
            self.by_product.get(&product_id).cloned(),
            self.by_tenant_product
                .get(&(tenant_id, product_id))
                .cloned(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut policy = effective_policy(&candidates);
        policy.grace_days += self
            .extra_grace
            .get(&(tenant_id, product_id))
            .copied()
            .unwrap_or(0);
        policy
    }

    /// The enforcement actions of the policy that decides for a tenant's product.
    fn actions_for(&self, tenant_id: Uuid, product_id: Uuid) -> Vec<EnforcementAction> {
        self.deciding_actions(tenant_id, product_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The deciding policy's actions; `None` when no policy is defined at all.
    fn deciding_actions(
        &self,
        tenant_id: Uuid,
        product_id: Uuid,
    ) -> Option<&Vec<EnforcementAction>> {
        let key = match self.for_tenant(tenant_id, product_id).level {
            PolicyLevel::Tenant => (PolicyLevel::Tenant, Some(product_id), Some(tenant_id)),
            PolicyLevel::Product => (PolicyLevel::Product, Some(product_id), None),
            PolicyLevel::Global => (PolicyLevel::Global, None, None),
        };
        self.actions.get(&key)
    }

    /// End-of-life notices go out unless the deciding policy leaves out
    /// `notify` (with no policy defined, the default is to notify).
    fn notifies(&self, tenant_id: Uuid, product_id: Uuid) -> bool {
        self.deciding_actions(tenant_id, product_id)
            .is_none_or(|actions| actions.contains(&EnforcementAction::Notify))
    }
}

/// How `version` of a product would stand on a tenant today, and what the
/// deciding policy enforces: asked before a version is deployed.
pub async fn preview<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    product_id: Uuid,
    version: &semver::Version,
) -> ServiceResult<(ComplianceStatus, Vec<EnforcementAction>)> {
    let catalog = catalog_releases(conn).await?;
    let book = PolicyBook::load(conn, Reach::Tenant(tenant_id)).await?;
    let policy = book.for_tenant(tenant_id, product_id);
    let releases = catalog.get(&product_id).cloned().unwrap_or_default();
    let status = assess_version(version, &releases, &policy, compliance_day(Utc::now()));
    Ok((status, book.actions_for(tenant_id, product_id)))
}

/// The tenants among `tenant_ids` whose own people have restricted access
/// now (see `domain::catalog::restricts_access`), each with the reason: the
/// first product that causes it. Reads the stored assessment.
pub async fn access_restrictions<C: ConnectionTrait>(
    conn: &C,
    tenant_ids: &[Uuid],
) -> ServiceResult<Vec<(Uuid, String)>> {
    if tenant_ids.is_empty() {
        return Ok(vec![]);
    }
    let out_of_policy = compliance_status::Entity::find()
        .filter(compliance_status::Column::TenantId.is_in(tenant_ids.iter().copied()))
        .filter(compliance_status::Column::Status.is_in(["eol", "non_compliant"]))
        .order_by_asc(compliance_status::Column::Severity)
        .all(conn)
        .await?;
    let mut restricted: Vec<(Uuid, String)> = vec![];
    for tenant_id in tenant_ids {
        let rows: Vec<&compliance_status::Model> = out_of_policy
            .iter()
            .filter(|r| r.tenant_id == *tenant_id)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let book = PolicyBook::load(conn, Reach::Tenant(*tenant_id)).await?;
        let Some(row) = rows.into_iter().find(|r| {
            crate::domain::catalog::restricts_access(
                &r.status,
                &book.actions_for(r.tenant_id, r.product_id),
            )
        }) else {
            continue;
        };
        let product_name = product::Entity::find_by_id(row.product_id)
            .one(conn)
            .await?
            .map_or_else(|| "A product".to_owned(), |p| p.name);
        // More grace only helps a version past its end of life.
        let way_out = if row.status == "eol" {
            "Approve its upgrade or ask for a grace extension to lift the restriction."
        } else {
            "Approve its upgrade to lift the restriction."
        };
        restricted.push((
            *tenant_id,
            format!(
                "Access to this tenant is restricted: {product_name} {} is out of policy ({}). {way_out}",
                row.running_version,
                row.detail.to_lowercase()
            ),
        ));
    }
    Ok(restricted)
}

fn effective_eol(
    running: &semver::Version,
    catalog: &[CatalogRelease],
    policy: &VersionPolicy,
) -> Option<NaiveDate> {
    policy.eol_date.or_else(|| {
        catalog
            .iter()
            .find(|r| r.version == *running)
            .and_then(|r| r.end_of_life)
    })
}

/// Assesses every running version in `reach` as of `now` and stores the
/// results, the endpoint roll-up and today's snapshot in one transaction.
pub async fn assess(
    db: &DatabaseConnection,
    reach: Reach,
    now: DateTime<Utc>,
) -> ServiceResult<AssessmentReport> {
    let today = compliance_day(now);
    let catalog = catalog_releases(db).await?;
    let book = PolicyBook::load(db, reach).await?;
    let no_releases: Vec<CatalogRelease> = vec![];

    let live_tenants = Query::select()
        .column(tenant::Column::Id)
        .from(tenant::Entity)
        .and_where(Expr::col(tenant::Column::ArchivedAt).is_null())
        .to_owned();
    let mut running = tenant_product::Entity::find()
        .select_only()
        .column(tenant_product::Column::TenantId)
        .column(tenant_product::Column::ProductId)
        .column(tenant_product::Column::RunningVersion)
        .filter(tenant_product::Column::RunningVersion.is_not_null())
        .filter(tenant_product::Column::TenantId.in_subquery(live_tenants));
    if let Reach::Tenant(id) = reach {
        running = running.filter(tenant_product::Column::TenantId.eq(id));
    }
    let running: Vec<(Uuid, Uuid, Option<String>)> = running.into_tuple().all(db).await?;

    let mut report = AssessmentReport::default();
    let mut statuses = Vec::with_capacity(running.len());
    let mut worst_by_tenant: HashMap<Uuid, &'static str> = HashMap::new();
    let running: Vec<(Uuid, Uuid, semver::Version)> = running
        .into_iter()
        .filter_map(|(tenant_id, product_id, version_text)| {
            let version = semver::Version::parse(version_text.as_deref()?).ok()?;
            Some((tenant_id, product_id, version))
        })
        .collect();
    for (tenant_id, product_id, version) in running.iter().cloned() {
        let releases = catalog.get(&product_id).unwrap_or(&no_releases);
        let policy = book.for_tenant(tenant_id, product_id);
        let status = assess_version(&version, releases, &policy, today);
        let eol = effective_eol(&version, releases, &policy);
        if let Some(eol) = eol.filter(|_| book.notifies(tenant_id, product_id)) {
            report.eol_dates.push(EolDate {
                tenant_id,
                product_id,
                running_version: version.to_string(),
                eol,
            });
        }
        let key = status.key();
        if matches!(key, "eol" | "non_compliant")
            && book
                .deciding_actions(tenant_id, product_id)
                .is_some_and(|a| a.contains(&EnforcementAction::ScheduleForcedUpgrade))
        {
            report.forced_upgrades.push((tenant_id, product_id));
        }
        let worst = worst_by_tenant.entry(tenant_id).or_insert(key);
        *worst = worst_status([*worst, key]).unwrap_or(key);
        statuses.push(compliance_status::ActiveModel {
            tenant_id: Set(tenant_id),
            product_id: Set(product_id),
            running_version: Set(version.to_string()),
            status: Set(key.to_owned()),
            severity: Set(severity(key)),
            days_left: Set(status.days_left()),
            detail: Set(status.detail()),
            policy_level: Set(policy.level.as_str().to_owned()),
            assessed_at: Set(now),
        });
    }

    let mut groups = endpoint_product::Entity::find()
        .select_only()
        .column(endpoint_product::Column::TenantId)
        .column(endpoint_product::Column::ProductId)
        .column(endpoint_product::Column::Version)
        .column_as(endpoint_product::Column::EndpointId.count(), "endpoints")
        .group_by(endpoint_product::Column::TenantId)
        .group_by(endpoint_product::Column::ProductId)
        .group_by(endpoint_product::Column::Version);
    if let Reach::Tenant(id) = reach {
        groups = groups.filter(endpoint_product::Column::TenantId.eq(id));
    }
    let groups: Vec<(Uuid, Uuid, String, i64)> = groups.into_tuple().all(db).await?;
    let endpoint_rows: Vec<endpoint_compliance::ActiveModel> = groups
        .into_iter()
        .filter_map(|(tenant_id, product_id, version_text, endpoints)| {
            let version = semver::Version::parse(&version_text).ok()?;
            let releases = catalog.get(&product_id).unwrap_or(&no_releases);
            let policy = book.for_tenant(tenant_id, product_id);
            let status = assess_version(&version, releases, &policy, today);
            Some(endpoint_compliance::ActiveModel {
                tenant_id: Set(tenant_id),
                product_id: Set(product_id),
                version: Set(version_text),
                endpoints: Set(endpoints),
                status: Set(status.key().to_owned()),
            })
        })
        .collect();

    report.tenant_products = statuses.len();
    report.endpoint_groups = endpoint_rows.len();
    report.tenants = worst_by_tenant.len();
    let snapshots: Vec<compliance_snapshot::ActiveModel> = worst_by_tenant
        .into_iter()
        .map(|(tenant_id, status)| compliance_snapshot::ActiveModel {
            day: Set(today),
            tenant_id: Set(tenant_id),
            status: Set(status.to_owned()),
        })
        .collect();

    // After downtime, the days nobody assessed: the pure rules as of each
    // such day over today's versions (nothing could change them meanwhile).
    let mut backfill: Vec<compliance_snapshot::ActiveModel> = vec![];
    let mut missed = vec![];
    if reach == Reach::All {
        let last: Option<NaiveDate> = compliance_trend::Entity::find()
            .select_only()
            .column_as(compliance_trend::Column::Day.max(), "day")
            .filter(compliance_trend::Column::Day.lt(today))
            .into_tuple()
            .one(db)
            .await?
            .flatten();
        missed = missed_days(last, today, TREND_DAYS);
        for day in &missed {
            let mut worst_that_day: HashMap<Uuid, &'static str> = HashMap::new();
            for (tenant_id, product_id, version) in &running {
                let releases = catalog.get(product_id).unwrap_or(&no_releases);
                let policy = book.for_tenant(*tenant_id, *product_id);
                let key = assess_version(version, releases, &policy, *day).key();
                let worst = worst_that_day.entry(*tenant_id).or_insert(key);
                *worst = worst_status([*worst, key]).unwrap_or(key);
            }
            backfill.extend(worst_that_day.into_iter().map(|(tenant_id, status)| {
                compliance_snapshot::ActiveModel {
                    day: Set(*day),
                    tenant_id: Set(tenant_id),
                    status: Set(status.to_owned()),
                }
            }));
        }
        report.backfilled_days = missed.len();
    }

    let txn = db.begin().await?;
    let mut clear_status = compliance_status::Entity::delete_many();
    let mut clear_endpoints = endpoint_compliance::Entity::delete_many();
    let mut clear_today = compliance_snapshot::Entity::delete_many()
        .filter(compliance_snapshot::Column::Day.eq(today));
    if let Reach::Tenant(id) = reach {
        clear_status = clear_status.filter(compliance_status::Column::TenantId.eq(id));
        clear_endpoints = clear_endpoints.filter(endpoint_compliance::Column::TenantId.eq(id));
        clear_today = clear_today.filter(compliance_snapshot::Column::TenantId.eq(id));
    }
    clear_status.exec(&txn).await?;
    clear_endpoints.exec(&txn).await?;
    clear_today.exec(&txn).await?;
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for chunk in statuses.chunks(1000) {
        compliance_status::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in endpoint_rows.chunks(1500) {
        endpoint_compliance::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    for chunk in snapshots.chunks(3000) {
        compliance_snapshot::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    if !missed.is_empty() {
        compliance_snapshot::Entity::delete_many()
            .filter(compliance_snapshot::Column::Day.is_in(missed.clone()))
            .exec(&txn)
            .await?;
        for chunk in backfill.chunks(3000) {
            compliance_snapshot::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for day in &missed {
            refresh_trend(&txn, *day).await?;
        }
    }
    refresh_trend(&txn, today).await?;
    txn.commit().await?;
    Ok(report)
}

/// Today's organisation-wide tenants per status, from today's snapshots.
async fn refresh_trend<C: ConnectionTrait>(conn: &C, today: NaiveDate) -> ServiceResult<()> {
    let counts: Vec<(String, i64)> = compliance_snapshot::Entity::find()
        .select_only()
        .column(compliance_snapshot::Column::Status)
        .column_as(compliance_snapshot::Column::TenantId.count(), "tenants")
        .filter(compliance_snapshot::Column::Day.eq(today))
        .group_by(compliance_snapshot::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    compliance_trend::Entity::delete_many()
        .filter(compliance_trend::Column::Day.eq(today))
        .exec(conn)
        .await?;
    if !counts.is_empty() {
        compliance_trend::Entity::insert_many(counts.into_iter().map(|(status, tenants)| {
            compliance_trend::ActiveModel {
                day: Set(today),
                status: Set(status),
                tenants: Set(tenants),
            }
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// "Assess now" from the dashboard: platform policy managers only, audited.
pub async fn assess_now(
    db: &DatabaseConnection,
    principal: &Principal,
    context: &RequestContext,
) -> ServiceResult<()> {
    principal.require(Permission::PolicyManage)?;
    let started = std::time::Instant::now();
    let report = assess(db, Reach::All, Utc::now()).await?;
    audit::record(
        db,
        context,
        AuditEntry::new(Actor::from(principal), "compliance.assess", "compliance").details(json!({
            "tenant_products": report.tenant_products,
            "endpoint_groups": report.endpoint_groups,
            "took_ms": started.elapsed().as_millis() as u64,
        })),
    )
    .await
}

fn scope_filter<E: EntityTrait>(
    query: sea_orm::Select<E>,
    column: impl ColumnTrait,
    scope: &TenantScope,
) -> sea_orm::Select<E> {
    match scope {
        TenantScope::All => query,
        TenantScope::Only(ids) => query.filter(column.is_in(ids.clone())),
    }
}

pub const MAX_PER_PAGE: u64 = 200;
const TREND_DAYS: i64 = 30;

/// The organisation's (or, for tenant users, their own tenants') summary.
pub async fn summary(
    db: &DatabaseConnection,
    principal: &Principal,
) -> ServiceResult<ComplianceSummary> {
    principal.require_somewhere(Permission::ReportRead)?;
    let scope = principal.tenant_scope(Permission::ReportRead);
    // Row-level security on PostgreSQL backs the explicit tenant filters.
    let txn = scoped_read(db, &scope).await?;
    let db = &txn;
    let today = compliance_day(Utc::now());

    let since = today - Duration::days(TREND_DAYS);
    // Platform-wide readers get the kept daily counts; tenant users count
    // their own tenants' snapshots (a handful of rows).
    let per_day: Vec<(NaiveDate, String, i64)> = match &scope {
        TenantScope::All => {
            compliance_trend::Entity::find()
                .select_only()
                .column(compliance_trend::Column::Day)
                .column(compliance_trend::Column::Status)
                .column(compliance_trend::Column::Tenants)
                .filter(compliance_trend::Column::Day.gt(since))
                .into_tuple()
                .all(db)
                .await?
        }
        TenantScope::Only(ids) => {
            compliance_snapshot::Entity::find()
                .select_only()
                .column(compliance_snapshot::Column::Day)
                .column(compliance_snapshot::Column::Status)
                .column_as(compliance_snapshot::Column::TenantId.count(), "tenants")
                .filter(compliance_snapshot::Column::TenantId.is_in(ids.clone()))
                .filter(compliance_snapshot::Column::Day.gt(since))
                .group_by(compliance_snapshot::Column::Day)
                .group_by(compliance_snapshot::Column::Status)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let latest_day = per_day.iter().map(|(day, _, _)| *day).max();
    let mut days: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for (day, status, tenants) in &per_day {
        let entry = days.entry(*day).or_default();
        entry.1 += *tenants as u64;
        if counts_as_compliant(status) {
            entry.0 += *tenants as u64;
        }
        if Some(*day) == latest_day {
            *by_status.entry(status.clone()).or_default() += *tenants as u64;
        }
    }
    let trend: Vec<TrendPoint> = days
        .into_iter()
        .map(|(day, (compliant, total))| TrendPoint {
            day,
            compliant_pct: percent(compliant, total),
            tenants: total,
        })
        .collect();
    let assessed_tenants: u64 = by_status.values().sum();
    let compliant: u64 = by_status
        .iter()
        .filter(|(status, _)| counts_as_compliant(status))
        .map(|(_, n)| n)
        .sum();

    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?;
    let catalog = catalog_releases(db).await?;
    let shares: Vec<(Uuid, String, i64)> = scope_filter(
        compliance_status::Entity::find(),
        compliance_status::Column::TenantId,
        &scope,
    )
    .select_only()
    .column(compliance_status::Column::ProductId)
    .column(compliance_status::Column::RunningVersion)
    .column_as(compliance_status::Column::TenantId.count(), "tenants")
    .group_by(compliance_status::Column::ProductId)
    .group_by(compliance_status::Column::RunningVersion)
    .into_tuple()
    .all(db)
    .await?;
    let distribution = products
        .iter()
        .filter_map(|p| {
            let mut versions: Vec<VersionShare> = shares
                .iter()
                .filter(|(id, _, _)| *id == p.id)
                .map(|(_, version, n)| VersionShare {
                    version: version.clone(),
                    tenants: *n as u64,
                })
                .collect();
            if versions.is_empty() {
                return None;
            }
            versions.sort_by(|a, b| b.tenants.cmp(&a.tenants).then(a.version.cmp(&b.version)));
            let latest = catalog.get(&p.id).and_then(|releases| {
                releases
                    .iter()
                    .filter(|r| !r.withdrawn && r.version.pre.is_empty())
                    .map(|r| r.version.clone())
                    .max()
            });
            let total: u64 = versions.iter().map(|v| v.tenants).sum();
            let on_latest: u64 = versions
                .iter()
                .filter(|v| latest.as_ref().is_some_and(|l| l.to_string() == v.version))
                .map(|v| v.tenants)
                .sum();
            Some(ProductDistribution {
                product_key: p.key.clone(),
                product_name: p.name.clone(),
                latest: latest.map(|l| l.to_string()),
                versions,
                on_latest_pct: percent(on_latest, total),
            })
        })
        .collect();

    let attention = report_rows(
        db,
        &scope,
        &ComplianceQuery {
            status: Some("attention".into()),
            per_page: Some(10),
            ..Default::default()
        },
    )
    .await?
    .rows;

    let endpoint_counts: Vec<(String, i64)> = scope_filter(
        endpoint_compliance::Entity::find(),
        endpoint_compliance::Column::TenantId,
        &scope,
    )
    .select_only()
    .column(endpoint_compliance::Column::Status)
    .column_as(Expr::cust("CAST(SUM(endpoints) AS BIGINT)"), "endpoints")
    .group_by(endpoint_compliance::Column::Status)
    .into_tuple()
    .all(db)
    .await?;
    let endpoints_total: u64 = endpoint_counts.iter().map(|(_, n)| *n as u64).sum();
    let endpoints_compliant: u64 = endpoint_counts
        .iter()
        .filter(|(status, _)| counts_as_compliant(status))
        .map(|(_, n)| *n as u64)
        .sum();
    let last_assessed: Option<DateTime<Utc>> = scope_filter(
        compliance_status::Entity::find(),
        compliance_status::Column::TenantId,
        &scope,
    )
    .select_only()
    .column(compliance_status::Column::AssessedAt)
    .order_by_desc(compliance_status::Column::AssessedAt)
    .limit(1)
    .into_tuple::<DateTime<Utc>>()
    .one(db)
    .await?;

    Ok(ComplianceSummary {
        assessed_tenants,
        compliant_pct: percent(compliant, assessed_tenants),
        by_status: STATUS_KEYS
            .iter()
            .map(|key| StatusCount {
                status: (*key).to_owned(),
                tenants: by_status.get(*key).copied().unwrap_or(0),
            })
            .collect(),
        trend,
        distribution,
        attention,
        endpoints_total,
        endpoints_compliant_pct: percent(endpoints_compliant, endpoints_total),
        last_assessed,
    })
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// Per tenant × product rows, worst first, filtered and paginated. The status
/// `attention` means in grace, non-compliant or EOL.
pub async fn report(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &ComplianceQuery,
) -> ServiceResult<ComplianceReport> {
    principal.require_somewhere(Permission::ReportRead)?;
    let scope = principal.tenant_scope(Permission::ReportRead);
    let txn = scoped_read(db, &scope).await?;
    report_rows(&txn, &scope, query).await
}

async fn report_rows<C: ConnectionTrait>(
    db: &C,
    scope: &TenantScope,
    query: &ComplianceQuery,
) -> ServiceResult<ComplianceReport> {
    let per_page = query.per_page.unwrap_or(25).clamp(1, MAX_PER_PAGE);
    let page = std::cmp::max(query.page.unwrap_or(1), 1);
    let mut select = scope_filter(
        compliance_status::Entity::find(),
        compliance_status::Column::TenantId,
        scope,
    );
    // Filters on the severity rank (one per status) so the report's index
    // serves both the filter and the order.
    match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some("attention") => {
            select = select.filter(compliance_status::Column::Severity.lte(severity("in_grace")))
        }
        Some(status) if STATUS_KEYS.contains(&status) => {
            select = select.filter(compliance_status::Column::Severity.eq(severity(status)))
        }
        Some(_) => select = select.filter(compliance_status::Column::Severity.eq(-1)),
        None => {}
    }
    let products = product::Entity::find().all(db).await?;
    if let Some(key) = query.product.as_deref().filter(|p| !p.is_empty()) {
        let id = products
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.id)
            .unwrap_or_default();
        select = select.filter(compliance_status::Column::ProductId.eq(id));
    }
    if let Some(tenant_id) = query.tenant {
        select = select.filter(compliance_status::Column::TenantId.eq(tenant_id));
    }
    let total = select.clone().count(db).await?;
    // Worst first: EOL, then non-compliant, then grace with the fewest days left.
    let rows = select
        .order_by_asc(compliance_status::Column::Severity)
        .order_by_asc(compliance_status::Column::DaysLeft)
        .order_by_asc(compliance_status::Column::TenantId)
        .order_by_asc(compliance_status::Column::ProductId)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    let tenants =
        crate::backend::services::tenants::names_of(db, rows.iter().map(|r| r.tenant_id)).await?;
    let product_keys: HashMap<Uuid, String> = products.into_iter().map(|p| (p.id, p.key)).collect();
    Ok(ComplianceReport {
        rows: rows
            .into_iter()
            .map(|r| {
                let (slug, name) = tenants.get(&r.tenant_id).cloned().unwrap_or_default();
                ComplianceRow {
                    tenant_id: r.tenant_id,
                    tenant_slug: slug,
                    tenant_name: name,
                    product_key: product_keys.get(&r.product_id).cloned().unwrap_or_default(),
                    running_version: r.running_version,
                    status: r.status,
                    days_left: r.days_left,
                    detail: r.detail,
                    policy_level: r.policy_level,
                    assessed_at: r.assessed_at,
                }
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

pub async fn dashboard(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &ComplianceQuery,
) -> ServiceResult<ComplianceOverview> {
    let summary = summary(db, principal).await?;
    let report = report(db, principal, query).await?;
    let products = product::Entity::find()
        .order_by_asc(product::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.key, p.name))
        .collect();
    Ok(ComplianceOverview {
        summary,
        report,
        products,
        can_assess: principal.require(Permission::PolicyManage).is_ok(),
    })
}

/// Every report row in scope as CSV (the filters apply; pagination does
/// not), written a page at a time while the client reads it.
pub async fn export_csv(
    db: &DatabaseConnection,
    principal: &Principal,
    query: &ComplianceQuery,
) -> ServiceResult<CsvStream> {
    let (db, principal, query) = (db.clone(), principal.clone(), query.clone());
    CsvStream::paged(
        &[
            "tenant",
            "tenant_name",
            "product",
            "running_version",
            "status",
            "days_left",
            "policy_level",
            "detail",
            "assessed_at",
        ],
        move |page: Option<u64>| {
            let (db, principal, query) = (db.clone(), principal.clone(), query.clone());
            async move {
                let page = page.unwrap_or(1);
                let chunk = report(
                    &db,
                    &principal,
                    &ComplianceQuery {
                        page: Some(page),
                        per_page: Some(MAX_PER_PAGE),
                        ..query
                    },
                )
                .await?;
                let rows = chunk
                    .rows
                    .into_iter()
                    .map(|row| {
                        vec![
                            row.tenant_slug,
                            row.tenant_name,
                            row.product_key,
                            row.running_version,
                            row.status,
                            row.days_left.map(|d| d.to_string()).unwrap_or_default(),
                            row.policy_level,
                            row.detail,
                            row.assessed_at.to_rfc3339(),
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

/// Tenants per product and version (the distribution chart) as CSV, for the
/// caller's tenants.
pub async fn distribution_csv(
    db: &DatabaseConnection,
    principal: &Principal,
) -> ServiceResult<String> {
    let summary = summary(db, principal).await?;
    let mut writer = crate::backend::csv_export::SafeCsv::new();
    writer
        .write_record([
            "product",
            "version",
            "tenants",
            "is_latest",
            "product_on_latest_pct",
        ])
        .map_err(crate::backend::error::ServiceError::internal)?;
    for product in &summary.distribution {
        for share in &product.versions {
            let latest = product.latest.as_deref() == Some(share.version.as_str());
            writer
                .write_record([
                    product.product_key.as_str(),
                    &share.version,
                    &share.tenants.to_string(),
                    if latest { "yes" } else { "no" },
                    &format!("{:.1}", product.on_latest_pct),
                ])
                .map_err(crate::backend::error::ServiceError::internal)?;
        }
    }
    String::from_utf8(
        writer
            .into_inner()
            .map_err(crate::backend::error::ServiceError::internal)?,
    )
    .map_err(crate::backend::error::ServiceError::internal)
}
