//! Tenant search and sort at scale: one lower-cased `search_text` column (name,
//! slug, customer, external ids) instead of four LIKEs and a sub-query, and
//! (column, id) indexes so every sort with its id tie-breaker is an index walk.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    SearchText,
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
        Ok(())
    }
}
