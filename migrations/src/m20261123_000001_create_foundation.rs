//! Foundation schema: users, roles, role bindings, sessions, audit events and a
//! minimal tenants table (the full tenant model arrives in its own migration).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    IsActive,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Key,
    Name,
    Scope,
    Permissions,
    IsBuiltin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleBindings {
    Table,
    Id,
    UserId,
    RoleId,
    TenantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    TenantId,
    RequestId,
    Outcome,
    Details,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    DisplayName,
    LifecycleState,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id).primary_key())
                    .col(string_uniq(Users::Email))
                    .col(string(Users::DisplayName))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsActive).default(true))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(uuid(Roles::Id).primary_key())
                    .col(string_uniq(Roles::Key))
                    .col(string(Roles::Name))
                    .col(string(Roles::Scope))
                    .col(text(Roles::Permissions))
                    .col(boolean(Roles::IsBuiltin).default(false))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(string_uniq(Tenants::Slug))
                    .col(string(Tenants::DisplayName))
                    .col(string(Tenants::LifecycleState))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .col(timestamp_with_time_zone(Tenants::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenants_lifecycle_state")
                    .table(Tenants::Table)
                    .col(Tenants::LifecycleState)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleBindings::Table)
                    .col(uuid(RoleBindings::Id).primary_key())
                    .col(uuid(RoleBindings::UserId))
                    .col(uuid(RoleBindings::RoleId))
                    // NULL = platform scope; otherwise the one tenant the binding covers.
                    .col(uuid_null(RoleBindings::TenantId))
                    .col(timestamp_with_time_zone(RoleBindings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleBindings::Table, RoleBindings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleBindings::Table, RoleBindings::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleBindings::Table, RoleBindings::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_bindings_user")
                    .table(RoleBindings::Table)
                    .col(RoleBindings::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Id).primary_key())
                    .col(text(Sessions::Data))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string(AuditEvents::ActorLabel))
                    .col(string(AuditEvents::Action))
                    .col(string(AuditEvents::TargetType))
                    .col(string_null(AuditEvents::TargetId))
                    .col(uuid_null(AuditEvents::TenantId))
                    .col(string_null(AuditEvents::RequestId))
                    .col(string(AuditEvents::Outcome))
                    .col(text(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_audit_events_occurred_at", AuditEvents::OccurredAt),
            ("idx_audit_events_tenant", AuditEvents::TenantId),
            ("idx_audit_events_actor", AuditEvents::ActorId),
            ("idx_audit_events_action", AuditEvents::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            RoleBindings::Table.into_iden(),
            Tenants::Table.into_iden(),
            Roles::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
