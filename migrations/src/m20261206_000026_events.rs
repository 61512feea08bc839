//! The event stream: an outbox written in the same transaction as the change
//! and its audit record, then numbered by one sequencer at a time (a global
//! sequence and one per tenant, both gap-free, in the order events became
//! visible), so a consumer that reads "after N" never misses one that was
//! committed late. `event_counters` holds the last number of each scope
//! (`global`, or a tenant id). Tenant principals read their own tenants'
//! events under row-level security (PostgreSQL), as for the other tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Pk,
    Id,
    EventType,
    Version,
    OccurredAt,
    TenantId,
    CorrelationId,
    ActorId,
    ActorLabel,
    ResourceType,
    ResourceId,
    Data,
    GlobalSeq,
    TenantSeq,
}

#[derive(DeriveIden)]
enum EventCounters {
    Table,
    Scope,
    Last,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        // The insertion order the sequencer follows: 64-bit on PostgreSQL;
        // SQLite's rowid is 64-bit already (and must be declared INTEGER).
        let pk = if postgres {
            big_integer(Events::Pk)
                .auto_increment()
                .primary_key()
                .to_owned()
        } else {
            pk_auto(Events::Pk)
        };
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(pk)
                    .col(uuid_uniq(Events::Id))
                    .col(string(Events::EventType))
                    .col(integer(Events::Version))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(uuid_null(Events::TenantId))
                    .col(string_null(Events::CorrelationId))
                    .col(uuid_null(Events::ActorId))
                    .col(string(Events::ActorLabel))
                    .col(string(Events::ResourceType))
                    .col(string_null(Events::ResourceId))
                    .col(text(Events::Data))
                    .col(big_integer_null(Events::GlobalSeq).unique_key())
                    .col(big_integer_null(Events::TenantSeq))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_tenant_seq")
                    .table(Events::Table)
                    .col(Events::TenantId)
                    .col(Events::TenantSeq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventCounters::Table)
                    .col(string(EventCounters::Scope).primary_key())
                    .col(big_integer(EventCounters::Last))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO event_counters (scope, last) VALUES ('global', 0)")
            .await?;
        if !postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON events, event_counters TO tenantry_app;
                 GRANT USAGE, SELECT ON SEQUENCE events_pk_seq TO tenantry_app;
                 ALTER TABLE events ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE events FORCE ROW LEVEL SECURITY;
                 CREATE POLICY tenant_scope ON events TO tenantry_app
                     USING (tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')))
                     WITH CHECK (tenant_id IS NULL OR tenant_id::text = ANY (string_to_array(current_setting('tenantry.tenant_ids', true), ',')));
                 CREATE POLICY unscoped_roles ON events
                     USING (current_user <> 'tenantry_app')
                     WITH CHECK (current_user <> 'tenantry_app');",
            )
            .await?;
        Ok(())
    }
}
