//! Assessing every tenant's versions against the catalog and policies, set-based, with the endpoint roll-up and the daily trend.

use super::*;
use crate::backend::context::Ctx;

/// The policies in force, indexed for lookup by tenant and product.
pub(super) struct PolicyBook {
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
            let level = row.level;
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
    today: NaiveDate,
) -> ServiceResult<(ComplianceStatus, Vec<EnforcementAction>)> {
    let catalog = catalog_releases(conn).await?;
    let book = PolicyBook::load(conn, Reach::Tenant(tenant_id)).await?;
    let policy = book.for_tenant(tenant_id, product_id);
    let releases = catalog.get(&product_id).cloned().unwrap_or_default();
    let status = assess_version(version, &releases, &policy, today);
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
        .filter(
            compliance_status::Column::Status
                .is_in([ComplianceKind::Eol, ComplianceKind::NonCompliant]),
        )
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
        let started = std::time::Instant::now();
        let book = PolicyBook::load(conn, Reach::Tenant(*tenant_id)).await?;
        let restricting = rows.into_iter().find(|r| {
            crate::domain::releases::catalog::restricts_access(
                r.status,
                &book.actions_for(r.tenant_id, r.product_id),
            )
        });
        crate::backend::metrics::policy_evaluated(
            "restrict_access",
            if restricting.is_some() {
                "restricted"
            } else {
                "allowed"
            },
            started.elapsed(),
        );
        let Some(row) = restricting else {
            continue;
        };
        let product_name = product::Entity::find_by_id(row.product_id)
            .one(conn)
            .await?
            .map_or_else(|| "A product".to_owned(), |p| p.name);
        // More grace only helps a version past its end of life.
        let way_out = if row.status == ComplianceKind::Eol {
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

pub(super) fn effective_eol(
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
    let started = std::time::Instant::now();
    let report = assess_reach(db, reach, now).await;
    crate::backend::metrics::compliance_assessed(started.elapsed());
    report
}

async fn assess_reach(
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
    let mut assessed = Vec::with_capacity(running.len());
    let mut worst_by_tenant: HashMap<Uuid, ComplianceKind> = HashMap::new();
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
        let key = status.kind();
        if matches!(key, ComplianceKind::Eol | ComplianceKind::NonCompliant)
            && book
                .deciding_actions(tenant_id, product_id)
                .is_some_and(|a| a.contains(&EnforcementAction::ScheduleForcedUpgrade))
        {
            report.forced_upgrades.push((tenant_id, product_id));
        }
        let worst = worst_by_tenant.entry(tenant_id).or_insert(key);
        *worst = worst_status([*worst, key]).unwrap_or(key);
        assessed.push(Assessed {
            tenant_id,
            product_id,
            running_version: version.to_string(),
            status: key,
            days_left: status.days_left(),
            detail: status.detail(),
        });
        statuses.push(compliance_status::ActiveModel {
            tenant_id: Set(tenant_id),
            product_id: Set(product_id),
            running_version: Set(version.to_string()),
            status: Set(key),
            severity: Set(key.severity()),
            days_left: Set(status.days_left()),
            detail: Set(status.detail()),
            policy_level: Set(policy.level),
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
                status: Set(status.kind()),
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
            status: Set(status),
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
            let mut worst_that_day: HashMap<Uuid, ComplianceKind> = HashMap::new();
            for (tenant_id, product_id, version) in &running {
                let releases = catalog.get(product_id).unwrap_or(&no_releases);
                let policy = book.for_tenant(*tenant_id, *product_id);
                let key = assess_version(version, releases, &policy, *day).kind();
                let worst = worst_that_day.entry(*tenant_id).or_insert(key);
                *worst = worst_status([*worst, key]).unwrap_or(key);
            }
            backfill.extend(worst_that_day.into_iter().map(|(tenant_id, status)| {
                compliance_snapshot::ActiveModel {
                    day: Set(*day),
                    tenant_id: Set(tenant_id),
                    status: Set(status),
                }
            }));
        }
        report.backfilled_days = missed.len();
    }

    let txn = db.begin().await?;
    let mut before = compliance_status::Entity::find()
        .select_only()
        .column(compliance_status::Column::TenantId)
        .column(compliance_status::Column::ProductId)
        .column(compliance_status::Column::Status);
    if let Reach::Tenant(id) = reach {
        before = before.filter(compliance_status::Column::TenantId.eq(id));
    }
    let before: HashMap<(Uuid, Uuid), ComplianceKind> = before
        .into_tuple::<(Uuid, Uuid, ComplianceKind)>()
        .all(&txn)
        .await?
        .into_iter()
        .map(|(tenant, product, status)| ((tenant, product), status))
        .collect();
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
    announce_changes(&txn, &before, &assessed, now).await?;
    txn.commit().await?;
    Ok(report)
}

/// One tenant's assessed product, as its events tell it.
struct Assessed {
    tenant_id: Uuid,
    product_id: Uuid,
    running_version: String,
    status: ComplianceKind,
    days_left: Option<i64>,
    detail: String,
}

/// `compliance.status_changed` for every (tenant, product) whose status moved
/// (a first assessment counts unless it is compliant), and
/// `compliance.grace_expiring` once on each day its grace warns (however
/// often the job runs; keyed by the grace's end, which an approved extension
/// moves), in the assessment's transaction.
async fn announce_changes<C: ConnectionTrait>(
    txn: &C,
    before: &HashMap<(Uuid, Uuid), ComplianceKind>,
    assessed: &[Assessed],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use crate::backend::entities::{event, product};
    use crate::backend::events::{NewEvent, append};
    use crate::domain::events::event_type;
    use crate::domain::releases::compliance::grace_expiring_due;
    let actor = Actor::System("compliance");
    let today = compliance_day(now);
    for a in assessed {
        let was = before.get(&(a.tenant_id, a.product_id)).copied();
        let moved = match was {
            Some(was) => was != a.status,
            None => a.status != ComplianceKind::Compliant,
        };
        let warns =
            a.status == ComplianceKind::InGrace && a.days_left.is_some_and(grace_expiring_due);
        if !moved && !warns {
            continue;
        }
        let resource_id = format!("{}:{}", a.tenant_id, a.product_id);
        let (tenant, product) = (
            tenant::Entity::find_by_id(a.tenant_id).one(txn).await?,
            product::Entity::find_by_id(a.product_id).one(txn).await?,
        );
        let state = json!({
            "tenant_id": a.tenant_id, "product_id": a.product_id,
            "tenant": tenant.as_ref().map(|t| t.display_name.clone()),
            "tenant_slug": tenant.as_ref().map(|t| t.slug.clone()),
            "product": product.as_ref().map(|p| p.name.clone()),
            "running_version": a.running_version, "status": a.status.as_str(),
            "days_left": a.days_left, "detail": a.detail,
        });
        if moved {
            append(
                txn,
                NewEvent {
                    event_type: event_type("compliance.status_changed").expect("in the catalogue"),
                    tenant_id: Some(a.tenant_id),
                    correlation_id: None,
                    actor: &actor,
                    resource_id: Some(resource_id.clone()),
                    data: json!({
                        "state": state,
                        "details": { "from": was.map(|w| w.as_str()), "to": a.status.as_str() },
                    }),
                },
            )
            .await?;
        }
        // One warning per day of grace left and grace end (an approved
        // extension moves the end, and its warnings come again).
        let grace_ends_on = a.days_left.map(|d| today + Duration::days(d));
        let warning = format!(
            "{}/{}",
            grace_ends_on.map(|d| d.to_string()).unwrap_or_default(),
            a.days_left.unwrap_or_default()
        );
        let warned_before = warns
            && event::Entity::find()
                .filter(event::Column::EventType.eq("compliance.grace_expiring"))
                .filter(event::Column::ResourceId.eq(resource_id.clone()))
                .filter(event::Column::Data.contains(format!("\"warning\":\"{warning}\"")))
                .count(txn)
                .await?
                > 0;
        if warns && !warned_before {
            append(
                txn,
                NewEvent {
                    event_type: event_type("compliance.grace_expiring").expect("in the catalogue"),
                    tenant_id: Some(a.tenant_id),
                    correlation_id: None,
                    actor: &actor,
                    resource_id: Some(resource_id),
                    data: json!({
                        "state": state,
                        "details": {
                            "days_left": a.days_left, "grace_ends_on": grace_ends_on, "warning": warning,
                        },
                    }),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Today's organisation-wide tenants per status, from today's snapshots.
pub(super) async fn refresh_trend<C: ConnectionTrait>(
    conn: &C,
    today: NaiveDate,
) -> ServiceResult<()> {
    let counts: Vec<(ComplianceKind, i64)> = compliance_snapshot::Entity::find()
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
pub async fn assess_now(ctx: &Ctx) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    principal.require(Permission::PolicyManage)?;
    let started = std::time::Instant::now();
    let report = assess(db, Reach::All, ctx.now()).await?;
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
