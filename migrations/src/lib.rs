//! Schema history. One file per change, never edited once landed, and no entity
//! imports: an old migration must keep compiling when the entities move on.
//! Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_foundation;
mod m20261123_000002_tenant_registry;
mod m20261123_000003_tenant_config;
mod m20261124_000004_api_tokens;
mod m20261124_000005_tenant_search;
mod m20261125_000006_accounts;
mod m20261125_000007_row_level_security;
mod m20261125_000008_two_factor;
mod m20261125_000009_notification_preferences;
mod m20261125_000010_tenant_search_trigrams;
mod m20261125_000011_tenant_list_indexes;
mod m20261126_000012_releases_compliance;
mod m20261126_000013_compliance_row_security;
mod m20261127_000014_change_requests;
mod m20261127_000015_change_row_security;
mod m20261128_000016_edge_deployments;
mod m20261201_000017_delays_and_saved_filters;
mod m20261202_000018_vendor_requested_changes;
mod m20261202_000019_enrollment_limits;
mod m20261202_000020_remaining_row_security;
mod m20261206_000021_rollback_steps;
mod m20261206_000022_correlation_ids;
mod m20261206_000023_auto_update;
mod m20261206_000024_tenant_health;
mod m20261206_000025_switch_changes;
mod m20261206_000026_events;
mod m20261206_000027_webhooks;
mod m20261207_000028_configured_regions;
mod m20261207_000029_email_digests;
mod m20261207_000030_sign_in_addresses;
mod m20261207_000031_alerts;
mod m20261207_000032_slo_targets;
mod m20261207_000033_plans_and_limits;
mod m20261207_000034_licences;
mod m20261207_000035_usage;
mod m20261207_000036_cloud_resources;
mod m20261207_000037_backups;
mod m20261207_000038_secret_rotation;
mod m20261207_000039_offboarding;
mod m20261207_000040_tenant_migrations;
mod m20261207_000041_restore_tests;
mod row_security;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_foundation::Migration),
            Box::new(m20261123_000002_tenant_registry::Migration),
            Box::new(m20261123_000003_tenant_config::Migration),
            Box::new(m20261124_000004_api_tokens::Migration),
            Box::new(m20261124_000005_tenant_search::Migration),
            Box::new(m20261125_000006_accounts::Migration),
            Box::new(m20261125_000007_row_level_security::Migration),
            Box::new(m20261125_000008_two_factor::Migration),
            Box::new(m20261125_000009_notification_preferences::Migration),
            Box::new(m20261125_000010_tenant_search_trigrams::Migration),
            Box::new(m20261125_000011_tenant_list_indexes::Migration),
            Box::new(m20261126_000012_releases_compliance::Migration),
            Box::new(m20261126_000013_compliance_row_security::Migration),
            Box::new(m20261127_000014_change_requests::Migration),
            Box::new(m20261127_000015_change_row_security::Migration),
            Box::new(m20261128_000016_edge_deployments::Migration),
            Box::new(m20261201_000017_delays_and_saved_filters::Migration),
            Box::new(m20261202_000018_vendor_requested_changes::Migration),
            Box::new(m20261202_000019_enrollment_limits::Migration),
            Box::new(m20261202_000020_remaining_row_security::Migration),
            Box::new(m20261206_000021_rollback_steps::Migration),
            Box::new(m20261206_000022_correlation_ids::Migration),
            Box::new(m20261206_000023_auto_update::Migration),
            Box::new(m20261206_000024_tenant_health::Migration),
            Box::new(m20261206_000025_switch_changes::Migration),
            Box::new(m20261206_000026_events::Migration),
            Box::new(m20261206_000027_webhooks::Migration),
            Box::new(m20261207_000028_configured_regions::Migration),
            Box::new(m20261207_000029_email_digests::Migration),
            Box::new(m20261207_000030_sign_in_addresses::Migration),
            Box::new(m20261207_000031_alerts::Migration),
            Box::new(m20261207_000032_slo_targets::Migration),
            Box::new(m20261207_000033_plans_and_limits::Migration),
            Box::new(m20261207_000034_licences::Migration),
            Box::new(m20261207_000035_usage::Migration),
            Box::new(m20261207_000036_cloud_resources::Migration),
            Box::new(m20261207_000037_backups::Migration),
            Box::new(m20261207_000038_secret_rotation::Migration),
            Box::new(m20261207_000039_offboarding::Migration),
            Box::new(m20261207_000040_tenant_migrations::Migration),
            Box::new(m20261207_000041_restore_tests::Migration),
        ]
    }
}
