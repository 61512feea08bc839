//! Whether a change request was requested by the vendor (a platform
//! principal, or the system on the vendor's behalf: version policy,
//! rollouts). A tenant's own admins may not cancel or reject those.
//! Existing rows: system-requested ones, and those whose requester holds a
//! platform-wide role binding, are the vendor's.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeRequests {
    Table,
    RequestedByVendor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeRequests::Table)
                    .add_column(boolean(ChangeRequests::RequestedByVendor).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE change_requests SET requested_by_vendor = TRUE
                 WHERE requested_by IS NULL
                    OR requested_by IN (SELECT user_id FROM role_bindings WHERE tenant_id IS NULL)",
            )
            .await?;
        Ok(())
    }
}
