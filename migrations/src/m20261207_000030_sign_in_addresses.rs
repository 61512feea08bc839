//! The addresses each account has signed in from, so a sign-in from a new
//! one raises a security alert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInAddresses {
    Table,
    UserId,
    Address,
    FirstSeenAt,
    LastSeenAt,
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
                    .table(SignInAddresses::Table)
                    .if_not_exists()
                    .col(uuid(SignInAddresses::UserId))
                    .col(string(SignInAddresses::Address))
                    .col(timestamp_with_time_zone(SignInAddresses::FirstSeenAt))
                    .col(timestamp_with_time_zone(SignInAddresses::LastSeenAt))
                    .primary_key(
                        Index::create()
                            .col(SignInAddresses::UserId)
                            .col(SignInAddresses::Address),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignInAddresses::Table, SignInAddresses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }
}
