//! Defence in depth on PostgreSQL: row-level security on every table that
//! belongs to one tenant. The service layer runs a tenant-scoped user's
//! reads as the role `tenantry_app` (`SET LOCAL ROLE`, which does not bypass
//! RLS) with `tenantry.tenant_ids` set for that transaction only (`SET
//! LOCAL`); a query that forgets its tenant filter still sees only those
//! tenants. For that role the policy fails closed: no setting, no rows.
//! Other roles (the owner running migrations, platform-wide work) keep
//! seeing every row; FORCE makes the policies bind the table owner too.
//! SQLite has no row-level security; there this migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tenant-scoped tables and the column naming their tenant.
const TENANT_TABLES: [(&str, &str); 5] = [
    ("tenants", "id"),
    ("tenant_settings", "tenant_id"),
    ("field_changes", "tenant_id"),
    ("audit_events", "tenant_id"),
    ("invitations", "tenant_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // The role is cluster-wide: create it once, tolerating a concurrent
        // creation by another database's migration.
        db.execute_unprepared(
            "DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenantry_app') THEN
                    CREATE ROLE tenantry_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
                END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$;",
        )
        .await?;
        db.execute_unprepared(
            "DO $$ BEGIN
                IF NOT pg_has_role(current_user, 'tenantry_app', 'MEMBER') THEN
                    EXECUTE format('GRANT tenantry_app TO %I', current_user);
                END IF;
             END $$;
             GRANT USAGE ON SCHEMA public TO tenantry_app;
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tenantry_app;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tenantry_app;",
        )
        .await?;
        for (table, column) in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                 CREATE POLICY tenant_scope ON {table} TO tenantry_app
                     USING ({column}::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')))
                     WITH CHECK ({column}::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')));
                 CREATE POLICY unscoped_roles ON {table}
                     USING (current_user <> 'tenantry_app')
                     WITH CHECK (current_user <> 'tenantry_app');"
            ))
            .await?;
        }
        Ok(())
    }
}
