use sea_orm::entity::prelude::*;

/// One configuration entry of one tenant. Secret values are never read back
/// out of the service layer.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub key: String,
    pub value: String,
    pub is_secret: bool,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSetting")
            .field("key", &self.key)
            .field(
                "value",
                &crate::domain::tenants::config::displayed_value(&self.value, self.is_secret),
            )
            .field("is_secret", &self.is_secret)
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
