//! Alerts: one row per occurrence of a built-in rule's condition for one
//! subject (open → acknowledged → resolved), and the vendor's settings for
//! each rule (on/off, threshold). At most one unresolved alert per rule and
//! subject, enforced by a partial unique index, so two replicas evaluating
//! at once open it once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Rule,
    SubjectKey,
    TenantId,
    Subject,
    Link,
    Summary,
    Status,
    OpenedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    AcknowledgerLabel,
    AckComment,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Rule,
    Enabled,
    Threshold,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(uuid(Alerts::Id).primary_key())
                    .col(string_len(Alerts::Rule, 64))
                    .col(string_len(Alerts::SubjectKey, 200))
                    .col(uuid_null(Alerts::TenantId))
                    .col(string(Alerts::Subject))
                    .col(string(Alerts::Link))
                    .col(text(Alerts::Summary))
                    .col(string_len(Alerts::Status, 16))
                    .col(timestamp_with_time_zone(Alerts::OpenedAt))
                    .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                    .col(uuid_null(Alerts::AcknowledgedBy))
                    .col(string_null(Alerts::AcknowledgerLabel))
                    .col(text_null(Alerts::AckComment))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .to_owned(),
            )
            .await?;
        // One unresolved alert per rule and subject (SQLite and PostgreSQL
        // both take a partial index).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_unresolved \
                 ON alerts (rule, subject_key) WHERE status <> 'resolved'",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alerts_by_status")
                    .table(Alerts::Table)
                    .col(Alerts::Status)
                    .col(Alerts::OpenedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(string_len(AlertRules::Rule, 64).primary_key())
                    .col(boolean(AlertRules::Enabled))
                    .col(integer_null(AlertRules::Threshold))
                    .col(timestamp_with_time_zone(AlertRules::UpdatedAt))
                    .col(uuid_null(AlertRules::UpdatedBy))
                    .to_owned(),
            )
            .await
    }
}
