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
}

/// What the viewer may do on the roles page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesMay {
    /// Create and delete custom roles (`user.manage`).
    pub edit: bool,
}

pub type RolesPage = crate::model::Allowed<RolesView, RolesMay>;
