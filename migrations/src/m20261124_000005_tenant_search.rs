//! Tenant search and sort at scale: one lower-cased `search_text` column (name,
//! slug, customer, external ids) instead of four LIKEs and a sub-query,
//! (column, id) indexes so every sort with its id tie-breaker is an index walk,
//! and covering indexes for the list's counts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    SearchText,
    DeploymentKind,
    DisplayName,
    LifecycleState,
    PlanCode,
    Region,
    Environment,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(text(Tenants::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        // Same text the service writes: slug, name, customer, external ids.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE tenants SET search_text = lower(slug || ' ' || display_name || ' ' || \
                 coalesce((SELECT name FROM customers WHERE customers.id = tenants.customer_id), '') \
                 || ' ' || external_ids)",
            )
            .await?;
        for (name, column) in [
            ("idx_tenants_name_id", Tenants::DisplayName),
            ("idx_tenants_state_id", Tenants::LifecycleState),
            ("idx_tenants_plan_id", Tenants::PlanCode),
            ("idx_tenants_region_id", Tenants::Region),
            ("idx_tenants_environment_id", Tenants::Environment),
            ("idx_tenants_updated_id", Tenants::UpdatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tenants::Table)
                        .col(column)
                        .col(Tenants::Id)
                        .to_owned(),
                )
                .await?;
        }
        // Covering indexes so the list's COUNT(*) reads index entries, not
        // wide rows: free text scans the short search column; the common
        // equality filters seek by state, then environment, plan, region, kind.
        manager
            .create_index(
                Index::create()
                    .name("idx_tenants_search_text")
                    .table(Tenants::Table)
                    .col(Tenants::SearchText)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenants_filters")
                    .table(Tenants::Table)
                    .col(Tenants::LifecycleState)
                    .col(Tenants::Environment)
                    .col(Tenants::PlanCode)
                    .col(Tenants::Region)
                    .col(Tenants::DeploymentKind)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
