//! Health baselines for every tenant: the address its checks are probed at,
//! failing runs in a row and when the next periodic run is due (claimed by
//! compare-and-set, so replicas never probe one tenant twice); the latest
//! runs with their per-check results, and runs and passes per day (what the
//! 30-day chart needs, without keeping every run of every tenant). Row-level
//! security as for the other tenant-scoped tables (000007 onwards).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    BaseUrl,
    HealthFailures,
    HealthNextAt,
}

#[derive(DeriveIden)]
enum TenantHealthRuns {
    Table,
    Id,
    TenantId,
    At,
    Trigger,
    Passed,
    DurationMs,
    Results,
}

#[derive(DeriveIden)]
enum TenantHealthDays {
    Table,
    TenantId,
    Day,
    Runs,
    Passed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for mut column in [
            string_null(Tenants::BaseUrl),
            integer(Tenants::HealthFailures).default(0).to_owned(),
            timestamp_with_time_zone_null(Tenants::HealthNextAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TenantHealthRuns::Table)
                    .col(uuid(TenantHealthRuns::Id).primary_key())
                    .col(uuid(TenantHealthRuns::TenantId))
                    .col(timestamp_with_time_zone(TenantHealthRuns::At))
                    .col(string(TenantHealthRuns::Trigger))
                    .col(boolean(TenantHealthRuns::Passed))
                    .col(big_integer(TenantHealthRuns::DurationMs))
                    .col(text(TenantHealthRuns::Results))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_health_runs_tenant_at")
                    .table(TenantHealthRuns::Table)
                    .col(TenantHealthRuns::TenantId)
                    .col(TenantHealthRuns::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantHealthDays::Table)
                    .col(uuid(TenantHealthDays::TenantId))
                    .col(string(TenantHealthDays::Day))
                    .col(integer(TenantHealthDays::Runs))
                    .col(integer(TenantHealthDays::Passed))
                    .primary_key(
                        Index::create()
                            .col(TenantHealthDays::TenantId)
                            .col(TenantHealthDays::Day),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenants_health_next_at")
                    .table(Tenants::Table)
                    .col(Tenants::HealthNextAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for table in ["tenant_health_runs", "tenant_health_days"] {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO tenantry_app;
                     ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_scope ON {table} TO tenantry_app
                         USING (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')))
                         WITH CHECK (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')));
                     CREATE POLICY unscoped_roles ON {table}
                         USING (current_user <> 'tenantry_app')
                         WITH CHECK (current_user <> 'tenantry_app');"
                ))
                .await?;
        }
        Ok(())
    }
}
