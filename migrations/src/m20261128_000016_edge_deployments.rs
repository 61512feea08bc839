//! Issue 8: blue-green edge deployments. One deployment per tenant × product
//! with a blue and a green slot behind a traffic router; its switches (the
//! durable workflow moving traffic from the live slot to the other), their
//! timeline, the traffic samples the analysis judged, the products' health
//! baselines and every health-check run. The tenant-scoped tables get the
//! same row-level security as the other tenant tables on PostgreSQL.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EdgeDeployments {
    Table,
    Id,
    TenantId,
    ProductId,
    LiveSlot,
    BlueVersion,
    GreenVersion,
    BlueState,
    GreenState,
    BlueHealth,
    GreenHealth,
    BlueWeight,
    GreenWeight,
    /// `simulator` or `haproxy`.
    RouterKind,
    /// HAProxy: the admin socket's path.
    RouterAddress,
    RouterBackend,
    BlueServer,
    GreenServer,
    /// Where the health baseline probes each slot directly.
    BlueUrl,
    GreenUrl,
    /// Defaults copied onto each switch.
    Steps,
    BakeSeconds,
    IntervalSeconds,
    Thresholds,
    /// Simulator only: the synthetic traffic's injected faults per slot.
    Simulation,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeploymentSwitches {
    Table,
    Id,
    DeploymentId,
    TenantId,
    FromSlot,
    ToSlot,
    FromVersion,
    ToVersion,
    Status,
    Steps,
    /// -1 until traffic moves; then the index into `steps`.
    StepIndex,
    StepStartedAt,
    BakeSeconds,
    IntervalSeconds,
    Thresholds,
    ConsecutiveFailures,
    /// Bumped by every resume, so each run of the workflow is its own job.
    Generation,
    Reason,
    RequestedBy,
    RequesterLabel,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum SwitchEvents {
    Table,
    Id,
    DeploymentId,
    SwitchId,
    TenantId,
    At,
    Kind,
    Message,
    Actor,
}

#[derive(DeriveIden)]
enum TrafficSamples {
    Table,
    Id,
    DeploymentId,
    SwitchId,
    TenantId,
    At,
    Slot,
    Weight,
    Requests,
    Errors,
    LatencyMs,
}

#[derive(DeriveIden)]
enum HealthBaselines {
    Table,
    Id,
    ProductId,
    Checks,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HealthRuns {
    Table,
    Id,
    DeploymentId,
    SwitchId,
    TenantId,
    Slot,
    At,
    Passed,
    Results,
}

const TENANT_TABLES: [&str; 5] = [
    "edge_deployments",
    "deployment_switches",
    "switch_events",
    "traffic_samples",
    "health_runs",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EdgeDeployments::Table)
                    .col(uuid(EdgeDeployments::Id).primary_key())
                    .col(uuid(EdgeDeployments::TenantId))
                    .col(uuid(EdgeDeployments::ProductId))
                    .col(string(EdgeDeployments::LiveSlot))
                    .col(string_null(EdgeDeployments::BlueVersion))
                    .col(string_null(EdgeDeployments::GreenVersion))
                    .col(string(EdgeDeployments::BlueState))
                    .col(string(EdgeDeployments::GreenState))
                    .col(string(EdgeDeployments::BlueHealth))
                    .col(string(EdgeDeployments::GreenHealth))
                    .col(integer(EdgeDeployments::BlueWeight))
                    .col(integer(EdgeDeployments::GreenWeight))
                    .col(string(EdgeDeployments::RouterKind))
                    .col(string(EdgeDeployments::RouterAddress))
                    .col(string(EdgeDeployments::RouterBackend))
                    .col(string(EdgeDeployments::BlueServer))
                    .col(string(EdgeDeployments::GreenServer))
                    .col(string(EdgeDeployments::BlueUrl))
                    .col(string(EdgeDeployments::GreenUrl))
                    .col(string(EdgeDeployments::Steps))
                    .col(integer(EdgeDeployments::BakeSeconds))
                    .col(integer(EdgeDeployments::IntervalSeconds))
                    .col(text(EdgeDeployments::Thresholds))
                    .col(text(EdgeDeployments::Simulation))
                    .col(timestamp_with_time_zone(EdgeDeployments::CreatedAt))
                    .col(timestamp_with_time_zone(EdgeDeployments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("edge_deployments_tenant_product")
                    .table(EdgeDeployments::Table)
                    .col(EdgeDeployments::TenantId)
                    .col(EdgeDeployments::ProductId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeploymentSwitches::Table)
                    .col(uuid(DeploymentSwitches::Id).primary_key())
                    .col(uuid(DeploymentSwitches::DeploymentId))
                    .col(uuid(DeploymentSwitches::TenantId))
                    .col(string(DeploymentSwitches::FromSlot))
                    .col(string(DeploymentSwitches::ToSlot))
                    .col(string_null(DeploymentSwitches::FromVersion))
                    .col(string(DeploymentSwitches::ToVersion))
                    .col(string(DeploymentSwitches::Status))
                    .col(string(DeploymentSwitches::Steps))
                    .col(integer(DeploymentSwitches::StepIndex))
                    .col(timestamp_with_time_zone_null(
                        DeploymentSwitches::StepStartedAt,
                    ))
                    .col(integer(DeploymentSwitches::BakeSeconds))
                    .col(integer(DeploymentSwitches::IntervalSeconds))
                    .col(text(DeploymentSwitches::Thresholds))
                    .col(integer(DeploymentSwitches::ConsecutiveFailures))
                    .col(integer(DeploymentSwitches::Generation))
                    .col(text_null(DeploymentSwitches::Reason))
                    .col(uuid_null(DeploymentSwitches::RequestedBy))
                    .col(string(DeploymentSwitches::RequesterLabel))
                    .col(timestamp_with_time_zone(DeploymentSwitches::CreatedAt))
                    .col(timestamp_with_time_zone(DeploymentSwitches::UpdatedAt))
                    .col(timestamp_with_time_zone_null(
                        DeploymentSwitches::FinishedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deployment_switches_deployment")
                    .table(DeploymentSwitches::Table)
                    .col(DeploymentSwitches::DeploymentId)
                    .col(DeploymentSwitches::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SwitchEvents::Table)
                    .col(uuid(SwitchEvents::Id).primary_key())
                    .col(uuid(SwitchEvents::DeploymentId))
                    .col(uuid_null(SwitchEvents::SwitchId))
                    .col(uuid(SwitchEvents::TenantId))
                    .col(timestamp_with_time_zone(SwitchEvents::At))
                    .col(string(SwitchEvents::Kind))
                    .col(text(SwitchEvents::Message))
                    .col(string(SwitchEvents::Actor))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("switch_events_deployment")
                    .table(SwitchEvents::Table)
                    .col(SwitchEvents::DeploymentId)
                    .col(SwitchEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrafficSamples::Table)
                    .col(uuid(TrafficSamples::Id).primary_key())
                    .col(uuid(TrafficSamples::DeploymentId))
                    .col(uuid(TrafficSamples::SwitchId))
                    .col(uuid(TrafficSamples::TenantId))
                    .col(timestamp_with_time_zone(TrafficSamples::At))
                    .col(string(TrafficSamples::Slot))
                    .col(integer(TrafficSamples::Weight))
                    .col(big_integer(TrafficSamples::Requests))
                    .col(big_integer(TrafficSamples::Errors))
                    .col(double(TrafficSamples::LatencyMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("traffic_samples_switch")
                    .table(TrafficSamples::Table)
                    .col(TrafficSamples::SwitchId)
                    .col(TrafficSamples::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HealthBaselines::Table)
                    .col(uuid(HealthBaselines::Id).primary_key())
                    .col(uuid(HealthBaselines::ProductId).unique_key())
                    .col(text(HealthBaselines::Checks))
                    .col(string(HealthBaselines::UpdatedBy))
                    .col(timestamp_with_time_zone(HealthBaselines::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HealthRuns::Table)
                    .col(uuid(HealthRuns::Id).primary_key())
                    .col(uuid(HealthRuns::DeploymentId))
                    .col(uuid_null(HealthRuns::SwitchId))
                    .col(uuid(HealthRuns::TenantId))
                    .col(string(HealthRuns::Slot))
                    .col(timestamp_with_time_zone(HealthRuns::At))
                    .col(boolean(HealthRuns::Passed))
                    .col(text(HealthRuns::Results))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("health_runs_deployment")
                    .table(HealthRuns::Table)
                    .col(HealthRuns::DeploymentId)
                    .col(HealthRuns::At)
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("GRANT SELECT ON health_baselines TO tenantry_app;")
            .await?;
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
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
