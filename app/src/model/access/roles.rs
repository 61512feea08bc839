//! What crosses the wire for roles: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    /// "platform" or "tenant": where a binding of it applies.
    pub scope: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
    /// How many role bindings use it.
    pub assigned: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionInfo {
    pub key: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesView {
    pub roles: Vec<RoleRow>,
    pub permissions: Vec<PermissionInfo>,
    /// Whether the viewer may create and delete custom roles.
    pub can_edit: bool,
}
