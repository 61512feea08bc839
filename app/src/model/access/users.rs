//! What crosses the wire for users: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

pub use crate::domain::access::invitation::InvitationStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const USERS_PER_PAGE: u64 = 25;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub page: Option<u64>,
}

/// One role binding as people read it: "Tenant admin · acme-prod".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingRow {
    pub role_name: String,
    /// `None`: platform-wide.
    pub tenant_slug: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// The bindings the viewer may see (a tenant admin sees only their tenants').
    pub bindings: Vec<BindingRow>,
    /// Whether the viewer may disable or enable this account.
    pub can_manage: bool,
    pub is_self: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: Uuid,
    pub email: String,
    pub role_name: String,
    pub tenant_slug: Option<String>,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: InvitationStatus,
}

/// A role the viewer may hand out in an invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleOption {
    pub key: String,
    pub name: String,
    pub tenant_scoped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersView {
    pub users: Vec<UserRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub invitations: Vec<InvitationRow>,
    pub roles: Vec<RoleOption>,
    /// The tenants a tenant admin may invite to (empty for platform admins,
    /// who type a slug).
    pub tenant_choices: Vec<String>,
    /// Whether emails go to the local outbox (no SMTP configured).
    pub outbox_mode: bool,
}

/// What the invitation page shows before the invitee sets a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub email: String,
    pub role_name: String,
    pub tenant_name: Option<String>,
    pub invited_by: String,
    pub expires_at: DateTime<Utc>,
    pub status: InvitationStatus,
    /// The invitee already has an account: they confirm with its password
    /// and the role is added to it.
    pub account_exists: bool,
}

/// What the reset page shows: whose password, or why the link is dead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetView {
    pub email: String,
    pub usable: bool,
}

/// One message in the development outbox, as read back from its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub file_name: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
}
