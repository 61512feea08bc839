//! Tenant registry: customers, plans (seeded), the full tenant record, and
//! the per-field change log. Columns added to `tenants` carry defaults so the
//! migration also applies to databases that already hold tenants.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Name,
    ExternalIds,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Code,
    Name,
    FeatureFlags,
    Quotas,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    CustomerId,
    Environment,
    DeploymentKind,
    IsolationMode,
    PlanCode,
    Region,
    AllowedRegions,
    Contacts,
    ExternalIds,
    Labels,
    RequestedState,
    Version,
    ArchivedAt,
    UpdatedAt,
    DisplayName,
    LifecycleState,
}

#[derive(DeriveIden)]
enum FieldChanges {
    Table,
    Id,
    TenantId,
    Field,
    OldValue,
    NewValue,
    ActorLabel,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::Id).primary_key())
                    .col(string_uniq(Customers::Name))
                    .col(text(Customers::ExternalIds).default("{}"))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(string(Plans::Code).primary_key())
                    .col(string(Plans::Name))
                    .col(text(Plans::FeatureFlags))
                    .col(text(Plans::Quotas))
                    .to_owned(),
            )
            .await?;
        let seed = [
            (
                "starter",
                "Starter",
                r#"["sso"]"#,
                r#"{"users":25,"endpoints":100,"storage_gb":50,"api_requests_per_minute":600,"concurrent_updates":1}"#,
            ),
            (
                "professional",
                "Professional",
                r#"["sso","audit_export","blue_green"]"#,
                r#"{"users":250,"endpoints":2500,"storage_gb":500,"api_requests_per_minute":3000,"concurrent_updates":3}"#,
            ),
            (
                "enterprise",
                "Enterprise",
                r#"["sso","audit_export","blue_green","dedicated_support","custom_roles"]"#,
                r#"{"users":10000,"endpoints":100000,"storage_gb":10000,"api_requests_per_minute":20000,"concurrent_updates":10}"#,
            ),
        ];
        for (code, name, flags, quotas) in seed {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(Plans::Table)
                        .columns([Plans::Code, Plans::Name, Plans::FeatureFlags, Plans::Quotas])
                        .values_panic([code.into(), name.into(), flags.into(), quotas.into()])
                        .to_owned(),
                )
                .await?;
        }

        // SQLite adds one column per ALTER TABLE.
        let new_columns = [
            uuid_null(Tenants::CustomerId).to_owned(),
            string(Tenants::Environment)
                .default("production")
                .to_owned(),
            string(Tenants::DeploymentKind)
                .default("standard")
                .to_owned(),
            string(Tenants::IsolationMode).default("shared").to_owned(),
            string(Tenants::PlanCode).default("starter").to_owned(),
            string(Tenants::Region).default("").to_owned(),
            text(Tenants::AllowedRegions).default("[]").to_owned(),
            text(Tenants::Contacts).default("{}").to_owned(),
            text(Tenants::ExternalIds).default("{}").to_owned(),
            text(Tenants::Labels).default("[]").to_owned(),
            string_null(Tenants::RequestedState).to_owned(),
            big_integer(Tenants::Version).default(1).to_owned(),
            timestamp_with_time_zone_null(Tenants::ArchivedAt).to_owned(),
        ];
        for mut column in new_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            ("idx_tenants_customer", Tenants::CustomerId),
            ("idx_tenants_environment", Tenants::Environment),
            ("idx_tenants_deployment_kind", Tenants::DeploymentKind),
            ("idx_tenants_plan_code", Tenants::PlanCode),
            ("idx_tenants_region", Tenants::Region),
            ("idx_tenants_updated_at", Tenants::UpdatedAt),
            ("idx_tenants_display_name", Tenants::DisplayName),
            ("idx_tenants_requested_state", Tenants::RequestedState),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tenants::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        let _ = Tenants::LifecycleState;

        manager
            .create_table(
                Table::create()
                    .table(FieldChanges::Table)
                    .col(uuid(FieldChanges::Id).primary_key())
                    .col(uuid(FieldChanges::TenantId))
                    .col(string(FieldChanges::Field))
                    .col(text_null(FieldChanges::OldValue))
                    .col(text_null(FieldChanges::NewValue))
                    .col(string(FieldChanges::ActorLabel))
                    .col(timestamp_with_time_zone(FieldChanges::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_field_changes_tenant_time")
                    .table(FieldChanges::Table)
                    .col(FieldChanges::TenantId)
                    .col(FieldChanges::ChangedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
