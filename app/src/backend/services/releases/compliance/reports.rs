//! Reading the stored assessment: the summary with its trend, the report page by page, the dashboard and the CSV exports.

use super::*;
use crate::backend::context::Ctx;

pub const MAX_PER_PAGE: u64 = 200;

pub(super) const TREND_DAYS: i64 = 30;

/// The organisation's (or, for tenant users, their own tenants') summary.
pub async fn summary(ctx: &Ctx) -> ServiceResult<ComplianceSummary> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::ReportRead)?;
    let scope = principal.tenant_scope(Permission::ReportRead);
    // Row-level security on PostgreSQL backs the explicit tenant filters.
    let txn = scoped_read(db, &scope).await?;
    let db = &txn;
    let today = compliance_day(ctx.now());

    let since = today - Duration::days(TREND_DAYS);
    // Platform-wide readers get the kept daily counts; tenant users count
    // their own tenants' snapshots (a handful of rows).
    let per_day: Vec<(NaiveDate, ComplianceKind, i64)> = match &scope {
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
    let mut by_status: BTreeMap<ComplianceKind, u64> = BTreeMap::new();
    for (day, status, tenants) in &per_day {
        let entry = days.entry(*day).or_default();
        entry.1 += *tenants as u64;
        if status.counts_as_compliant() {
            entry.0 += *tenants as u64;
        }
        if Some(*day) == latest_day {
            *by_status.entry(*status).or_default() += *tenants as u64;
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
        .filter(|(status, _)| status.counts_as_compliant())
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

    let endpoint_counts: Vec<(ComplianceKind, i64)> = scope_filter(
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
        .filter(|(status, _)| status.counts_as_compliant())
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
        by_status: ComplianceKind::ALL
            .into_iter()
            .map(|status| StatusCount {
                status,
                tenants: by_status.get(&status).copied().unwrap_or(0),
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

pub(super) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// Per tenant × product rows, worst first, filtered and paginated. The status
/// `attention` means in grace, non-compliant or EOL.
pub async fn report(ctx: &Ctx, query: &ComplianceQuery) -> ServiceResult<ComplianceReport> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    principal.require_somewhere(Permission::ReportRead)?;
    let scope = principal.tenant_scope(Permission::ReportRead);
    let txn = scoped_read(db, &scope).await?;
    report_rows(&txn, &scope, query).await
}

pub(super) async fn report_rows<C: ConnectionTrait>(
    db: &C,
    scope: &TenantScope,
    query: &ComplianceQuery,
) -> ServiceResult<ComplianceReport> {
    check_report_query(query)?;
    let per_page = query.per_page.unwrap_or(25);
    let page = query.page.unwrap_or(1);
    let mut select = scope_filter(
        compliance_status::Entity::find(),
        compliance_status::Column::TenantId,
        scope,
    );
    // Filters on the severity rank (one per status) so the report's index
    // serves both the filter and the order.
    match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some("attention") => {
            select = select
                .filter(compliance_status::Column::Severity.lte(ComplianceKind::InGrace.severity()))
        }
        Some(word) => {
            if let Some(status) = ComplianceKind::parse(word) {
                select = select.filter(compliance_status::Column::Severity.eq(status.severity()))
            }
        }
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

/// The same 422 through the page and the API: a status word the report does
/// not know, page 0, or a page size out of range.
fn check_report_query(query: &ComplianceQuery) -> ServiceResult<()> {
    let mut errors = crate::domain::validation::FieldErrors::default();
    if let Some(word) = query.status.as_deref().filter(|s| !s.is_empty()) {
        if word != "attention" && ComplianceKind::parse(word).is_none() {
            errors.push(
                "status",
                "Use compliant, outdated, in_grace, non_compliant, eol or attention.",
            );
        }
    }
    crate::domain::validation::check_paging(&mut errors, query.page, query.per_page, MAX_PER_PAGE);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

pub async fn dashboard(ctx: &Ctx, query: &ComplianceQuery) -> ServiceResult<ComplianceOverview> {
    let db = &ctx.reads;
    let summary = summary(ctx).await?;
    let report = report(ctx, query).await?;
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
    })
}

/// Every report row in scope as CSV (the filters apply; pagination does
/// not), written a page at a time while the client reads it.
pub async fn export_csv(ctx: &Ctx, query: &ComplianceQuery) -> ServiceResult<CsvStream> {
    let (ctx, query) = (ctx.clone(), query.clone());
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
            let (ctx, query) = (ctx.clone(), query.clone());
            async move {
                let page = page.unwrap_or(1);
                let chunk = report(
                    &ctx,
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
                            row.status.as_str().to_owned(),
                            row.days_left.map(|d| d.to_string()).unwrap_or_default(),
                            row.policy_level.as_str().to_owned(),
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
pub async fn distribution_csv(ctx: &Ctx) -> ServiceResult<String> {
    let summary = summary(ctx).await?;
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
