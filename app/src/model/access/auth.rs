//! What crosses the wire for auth: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use serde::{Deserialize, Serialize};

/// The signed-in user as the shell shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub display_name: String,
    pub email: String,
    /// What the shell offers (the server checks every action regardless).
    pub can_onboard: bool,
    pub can_manage_users: bool,
    /// Reads platform-wide screens (rollouts, jobs): tenant.read on the platform.
    #[serde(default)]
    pub sees_platform: bool,
}
