//! Row-level security (see migration 000007) for the tenant-scoped tables of
//! releases and compliance: what tenants run, their endpoints and agents'
//! enrollment tokens, grace extensions, and the stored assessment results.
//! SQLite has no row-level security; there this migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: [&str; 9] = [
    "tenant_products",
    "grace_extensions",
    "compliance_status",
    "endpoint_compliance",
    "compliance_snapshots",
    "eol_notices",
    "enrollment_tokens",
    "endpoints",
    "endpoint_products",
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
