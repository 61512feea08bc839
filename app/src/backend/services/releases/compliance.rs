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

use crate::backend::audit::{self, AuditEntry};
use crate::backend::csv_export::{CsvStream, ExportPage};
use crate::backend::db::scoped_read;
use crate::backend::entities::{
    compliance_snapshot, compliance_status, compliance_trend, endpoint_compliance,
    endpoint_product, grace_extension, product, tenant, tenant_product, version_policy,
};
use crate::backend::error::ServiceResult;
use crate::backend::principal::Actor;
use crate::backend::services::releases::catalog::catalog_releases;
use crate::domain::access::permission::Permission;
use crate::domain::access::permission::TenantScope;
use crate::domain::releases::catalog::EnforcementAction;
use crate::domain::releases::compliance::CatalogRelease;
use crate::domain::releases::compliance::ComplianceKind;
use crate::domain::releases::compliance::ComplianceStatus;
use crate::domain::releases::compliance::PolicyLevel;
use crate::domain::releases::compliance::VersionPolicy;
use crate::domain::releases::compliance::assess as assess_version;
use crate::domain::releases::compliance::compliance_day;
use crate::domain::releases::compliance::effective_policy;
use crate::domain::releases::compliance::missed_days;
use crate::domain::releases::compliance::worst_status;
use crate::model::releases::compliance::ComplianceOverview;
use crate::model::releases::compliance::ComplianceQuery;
use crate::model::releases::compliance::ComplianceReport;
use crate::model::releases::compliance::ComplianceRow;
use crate::model::releases::compliance::ComplianceSummary;
use crate::model::releases::compliance::ProductDistribution;
use crate::model::releases::compliance::StatusCount;
use crate::model::releases::compliance::TrendPoint;
use crate::model::releases::compliance::VersionShare;

mod assessment;
mod reports;

pub use assessment::*;
pub use reports::*;

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
