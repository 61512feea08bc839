//! Row-level security for a tenant-scoped table on PostgreSQL, as every
//! such table has had since 000007: the application role sees and writes
//! only rows of the tenants named for the transaction; other roles (the
//! owner, migrations, the system's own work) are not confined.

/// The statements that confine `table` by its `tenant_id` column.
pub(crate) fn tenant_scoped(table: &str) -> String {
    format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO tenantry_app;
         ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_scope ON {table} TO tenantry_app
             USING (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')))
             WITH CHECK (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')));
         CREATE POLICY unscoped_roles ON {table}
             USING (current_user <> 'tenantry_app')
             WITH CHECK (current_user <> 'tenantry_app');"
    )
}

/// Confines each of `tables` on PostgreSQL (SQLite has no row security).
pub(crate) async fn confine(
    manager: &sea_orm_migration::SchemaManager<'_>,
    tables: &[&str],
) -> Result<(), sea_orm_migration::DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in tables {
        manager
            .get_connection()
            .execute_unprepared(&tenant_scoped(table))
            .await?;
    }
    Ok(())
}
