//! The cloud-resource inventory: provider resources (one row per provider
//! and id) and the tenants each is linked to (more than one: shared). The
//! links are tenant-scoped (row-level security); a resource is read only
//! through its links.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CloudResources {
    Table,
    Id,
    Provider,
    ResourceType,
    ResourceId,
    Region,
    CostTag,
    Tags,
    Source,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CloudResourceLinks {
    Table,
    CloudResourceId,
    TenantId,
    LinkedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CloudResources::Table)
                    .if_not_exists()
                    .col(uuid(CloudResources::Id).primary_key())
                    .col(string_len(CloudResources::Provider, 16))
                    .col(string_len(CloudResources::ResourceType, 64))
                    .col(string_len(CloudResources::ResourceId, 512))
                    .col(string_len(CloudResources::Region, 32))
                    .col(string_len(CloudResources::CostTag, 128))
                    .col(text(CloudResources::Tags))
                    .col(string_len(CloudResources::Source, 16))
                    .col(timestamp_with_time_zone(CloudResources::CreatedAt))
                    .col(timestamp_with_time_zone(CloudResources::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cloud_resources_provider_id")
                    .table(CloudResources::Table)
                    .col(CloudResources::Provider)
                    .col(CloudResources::ResourceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CloudResourceLinks::Table)
                    .if_not_exists()
                    .col(uuid(CloudResourceLinks::CloudResourceId))
                    .col(uuid(CloudResourceLinks::TenantId))
                    .col(timestamp_with_time_zone(CloudResourceLinks::LinkedAt))
                    .primary_key(
                        Index::create()
                            .col(CloudResourceLinks::CloudResourceId)
                            .col(CloudResourceLinks::TenantId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cloud_resource_links_tenant")
                    .table(CloudResourceLinks::Table)
                    .col(CloudResourceLinks::TenantId)
                    .to_owned(),
            )
            .await?;
        crate::row_security::confine(manager, &["cloud_resource_links"]).await
    }
}
