//! Accounts: invitations, password resets, the durable outbound email queue,
//! login throttling, and a per-user session version that ends every session
//! when it moves (password change, reset, disable).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    SessionVersion,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    RoleBindingId,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    Email,
    RoleId,
    TenantId,
    TokenHash,
    InvitedBy,
    InvitedByLabel,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    UserId,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OutboundEmails {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    BlockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::SessionVersion).default(0))
                    .to_owned(),
            )
            .await?;
        // A token limited to one of its owner's role bindings (NULL: all of them).
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(uuid_null(ApiTokens::RoleBindingId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(uuid(Invitations::Id).primary_key())
                    .col(string(Invitations::Email))
                    .col(uuid(Invitations::RoleId))
                    // NULL: a platform role; otherwise the tenant the role is bound to.
                    .col(uuid_null(Invitations::TenantId))
                    .col(string(Invitations::TokenHash))
                    .col(uuid(Invitations::InvitedBy))
                    .col(string(Invitations::InvitedByLabel))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                    // The account the invitation created, once accepted.
                    .col(uuid_null(Invitations::UserId))
                    .to_owned(),
            )
            .await?;
        for (name, column, unique) in [
            ("idx_invitations_token_hash", Invitations::TokenHash, true),
            ("idx_invitations_email", Invitations::Email, false),
            ("idx_invitations_tenant_id", Invitations::TenantId, false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Invitations::Table).col(column);
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(uuid(PasswordResets::Id).primary_key())
                    .col(uuid(PasswordResets::UserId))
                    .col(string(PasswordResets::TokenHash))
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_resets_token_hash")
                    .table(PasswordResets::Table)
                    .col(PasswordResets::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_resets_user_id")
                    .table(PasswordResets::Table)
                    .col(PasswordResets::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundEmails::Table)
                    .col(uuid(OutboundEmails::Id).primary_key())
                    .col(string(OutboundEmails::Recipient))
                    .col(string(OutboundEmails::Subject))
                    .col(text(OutboundEmails::Body))
                    // pending → sending (claimed until next_attempt_at) → sent | failed
                    .col(string(OutboundEmails::Status))
                    .col(integer(OutboundEmails::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboundEmails::NextAttemptAt))
                    .col(text_null(OutboundEmails::LastError))
                    .col(timestamp_with_time_zone(OutboundEmails::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboundEmails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbound_emails_due")
                    .table(OutboundEmails::Table)
                    .col(OutboundEmails::Status)
                    .col(OutboundEmails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    // "account:<email>" or "ip:<address>"
                    .col(string(LoginThrottle::Key).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                    .col(timestamp_with_time_zone_null(LoginThrottle::BlockedUntil))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
