//! What crosses the wire for api tokens: the forms, queries and views shared by the
//! server functions, the REST handlers, the services and the pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenRow {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The one role binding the token is limited to ("Tenant admin ·
    /// acme-prod"); `None`: all of its creator's roles.
    pub limited_to: Option<String>,
}

/// The one time the secret is visible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    pub token: String,
    pub row: ApiTokenRow,
}

/// The tokens, and the secret of the one just created (shown on this view only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokensView {
    pub tokens: Vec<ApiTokenRow>,
    pub new_token: Option<String>,
    /// The viewer's own role bindings (id, label), to limit a new token to one.
    pub bindings: Vec<(Uuid, String)>,
}
