//! Row-level security (see migrations 000007 and 000013) for the tenant-scoped
//! tables of change requests and update policies. Blackouts may be
//! organisation-wide (no tenant) and rollouts span tenants; both are read
//! through the service layer's tenant filter only. SQLite: nothing to do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: [&str; 5] = [
    "change_requests",
    "change_decisions",
    "change_steps",
    "update_policies",
    "maintenance_windows",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
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
