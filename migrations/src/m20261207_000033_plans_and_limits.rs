//! Plans that act: a description and an edit time on each plan; the seeded
//! plans' flags and quotas rewritten to those the portal reads (the seed's
//! `sso`, `dedicated_support` and `custom_roles` gated nothing); the
//! vendor's per-tenant quota overrides (row-level security like every
//! tenant-scoped table); and the plan a plan-change request moves a tenant to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    Code,
    FeatureFlags,
    Quotas,
    Description,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TenantQuotaOverrides {
    Table,
    TenantId,
    Quota,
    /// NULL: unlimited.
    QuotaLimit,
    Reason,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    TargetPlan,
}

const ALL_FLAGS: &str = r#"["audit_export","auto_update","blue_green"]"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text(Plans::Description).default("").to_owned(),
            timestamp_with_time_zone_null(Plans::UpdatedAt).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Plans::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let seeded = [
            (
                "starter",
                "For small teams: one update at a time.",
                r#"{"users":25,"endpoints":100,"storage_gb":50,"api_requests_per_minute":600,"concurrent_updates":1,"webhook_endpoints":5}"#,
            ),
            (
                "professional",
                "For growing fleets.",
                r#"{"users":250,"endpoints":2500,"storage_gb":500,"api_requests_per_minute":3000,"concurrent_updates":3,"webhook_endpoints":25}"#,
            ),
            (
                "enterprise",
                "For large fleets with their own edge deployments.",
                r#"{"users":10000,"endpoints":100000,"storage_gb":10000,"api_requests_per_minute":20000,"concurrent_updates":10,"webhook_endpoints":100}"#,
            ),
        ];
        for (code, description, quotas) in seeded {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Plans::Table)
                        .value(Plans::FeatureFlags, ALL_FLAGS)
                        .value(Plans::Quotas, quotas)
                        .value(Plans::Description, description)
                        .and_where(Expr::col(Plans::Code).eq(code))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TenantQuotaOverrides::Table)
                    .if_not_exists()
                    .col(uuid(TenantQuotaOverrides::TenantId))
                    .col(string_len(TenantQuotaOverrides::Quota, 40))
                    .col(big_integer_null(TenantQuotaOverrides::QuotaLimit))
                    .col(text(TenantQuotaOverrides::Reason))
                    .col(string(TenantQuotaOverrides::SetBy))
                    .col(timestamp_with_time_zone(TenantQuotaOverrides::SetAt))
                    .primary_key(
                        Index::create()
                            .col(TenantQuotaOverrides::TenantId)
                            .col(TenantQuotaOverrides::Quota),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeRequests::Table)
                    .add_column(string_null(ChangeRequests::TargetPlan))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&crate::row_security::tenant_scoped(
                    "tenant_quota_overrides",
                ))
                .await?;
        }
        Ok(())
    }
}
