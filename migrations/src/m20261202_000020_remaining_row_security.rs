//! Row-level security (see migrations 000007, 000013, 000015, 000016) for the
//! last tenant-scoped tables without it: a rollout's targets belong to one
//! tenant each; blackouts and version policies belong to a tenant or, with
//! no tenant, to everyone (organisation-wide rows stay readable in a scoped
//! read, since every tenant is subject to them). SQLite: nothing to do.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SCOPE: &str =
    "tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ','))";

/// Each table, and whether rows without a tenant (organisation-wide) exist.
const TENANT_TABLES: [(&str, bool); 3] = [
    ("rollout_targets", false),
    ("blackouts", true),
    ("version_policies", true),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, organisation_wide) in TENANT_TABLES {
            let readable = if organisation_wide {
                format!("tenant_id IS NULL OR {SCOPE}")
            } else {
                SCOPE.to_owned()
            };
            db.execute_unprepared(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO tenantry_app;
                 ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                 CREATE POLICY tenant_scope ON {table} TO tenantry_app
                     USING ({readable})
                     WITH CHECK ({SCOPE});
                 CREATE POLICY unscoped_roles ON {table}
                     USING (current_user <> 'tenantry_app')
                     WITH CHECK (current_user <> 'tenantry_app');"
            ))
            .await?;
        }
        Ok(())
    }
}
