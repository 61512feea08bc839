//! Email digests: each person's cadence (at once, daily, weekly), hour,
//! weekday and time zone with the next send time, and the notification
//! emails held for their next digest.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DigestSettings {
    Table,
    UserId,
    Cadence,
    Hour,
    Weekday,
    Timezone,
    NextDigestAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DigestItems {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    DigestedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DigestSettings::Table)
                    .if_not_exists()
                    .col(uuid(DigestSettings::UserId).primary_key())
                    .col(string(DigestSettings::Cadence))
                    .col(integer(DigestSettings::Hour))
                    .col(string(DigestSettings::Weekday))
                    .col(string(DigestSettings::Timezone))
                    .col(timestamp_with_time_zone_null(DigestSettings::NextDigestAt))
                    .col(timestamp_with_time_zone(DigestSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DigestSettings::Table, DigestSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digest_settings_next")
                    .table(DigestSettings::Table)
                    .col(DigestSettings::NextDigestAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DigestItems::Table)
                    .if_not_exists()
                    .col(uuid(DigestItems::Id).primary_key())
                    .col(uuid(DigestItems::UserId))
                    .col(string(DigestItems::Kind))
                    .col(text(DigestItems::Title))
                    .col(text(DigestItems::Body))
                    .col(text(DigestItems::Link))
                    .col(timestamp_with_time_zone(DigestItems::CreatedAt))
                    .col(timestamp_with_time_zone_null(DigestItems::DigestedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DigestItems::Table, DigestItems::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digest_items_user_pending")
                    .table(DigestItems::Table)
                    .col(DigestItems::UserId)
                    .col(DigestItems::DigestedAt)
                    .to_owned(),
            )
            .await
    }
}
