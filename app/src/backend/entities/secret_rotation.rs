use sea_orm::entity::prelude::*;

/// One rotation of one tenant secret, beside its change request. The new
/// value waits sealed until the change succeeds (then it is the stored
/// value; an unapplied rotation's is erased); the previous one, sealed, is
/// what a rollback hands the executor.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "secret_rotations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub change_request_id: Uuid,
    pub secret_name: String,
    pub config_key: String,
    pub new_value: String,
    pub previous_value: Option<String>,
    /// `pending`, `applied`, `rolled_back` or `failed`.
    pub status: String,
    pub generated: bool,
    pub requested_by: String,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRotation")
            .field("id", &self.id)
            .field("secret_name", &self.secret_name)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
