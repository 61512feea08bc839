//! PostgreSQL: a trigram index on the tenant search column, so a free-text
//! search (`LIKE '%term%'`) reads matching index entries instead of every
//! row. pg_trgm ships with PostgreSQL and is a trusted extension (the
//! database owner may create it); where it cannot be created the search
//! still works, only slower. SQLite keeps its covering index from 000005.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DO $$ BEGIN
                    CREATE EXTENSION IF NOT EXISTS pg_trgm;
                    CREATE INDEX IF NOT EXISTS idx_tenants_search_trgm
                        ON tenants USING gin (search_text gin_trgm_ops);
                 EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
                    RAISE NOTICE 'pg_trgm unavailable: tenant search runs without a trigram index';
                 END $$;",
            )
            .await?;
        Ok(())
    }
}
