//! The typed view of the session: constant keys, one place that knows them.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::error::ServiceError;
use super::principal::Principal;
use super::services::auth::load_session_principal;
use super::state::AccountSettings;

const SIGNED_IN_KEY: &str = "tenantry.signed_in";
/// A freshly created API token, kept until the next page shows it once.
const NEW_API_TOKEN_KEY: &str = "tenantry.new_api_token";

/// Who signed in, under which session version of their account, and when
/// (for the absolute timeout).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub session_version: i32,
    pub signed_in_at: DateTime<Utc>,
}

pub struct AuthSession(pub Session);

impl AuthSession {
    /// Rotates the session id (no fixation) and remembers the user.
    pub async fn sign_in(&self, user_id: Uuid, session_version: i32) -> Result<(), ServiceError> {
        self.0.cycle_id().await.map_err(ServiceError::internal)?;
        let user = SessionUser {
            user_id,
            session_version,
            signed_in_at: Utc::now(),
        };
        self.0
            .insert(SIGNED_IN_KEY, user)
            .await
            .map_err(ServiceError::internal)
    }

    pub async fn user(&self) -> Option<SessionUser> {
        self.0
            .get::<SessionUser>(SIGNED_IN_KEY)
            .await
            .ok()
            .flatten()
    }

    /// The principal of a session that is still valid: the user exists, is
    /// active, has not changed password since, and the absolute timeout has
    /// not passed.
    pub async fn principal(
        &self,
        db: &DatabaseConnection,
        settings: &AccountSettings,
    ) -> Result<Option<Principal>, ServiceError> {
        match self.user().await {
            Some(user) => load_session_principal(db, &user, settings, Utc::now()).await,
            None => Ok(None),
        }
    }

    /// Deletes the server-side session record and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), ServiceError> {
        self.0.flush().await.map_err(ServiceError::internal)
    }

    /// Keeps a new API token for the one page view that shows it (works
    /// with and without JavaScript, as the page reads it after the redirect).
    pub async fn hold_new_api_token(&self, token: &str) -> Result<(), ServiceError> {
        self.0
            .insert(NEW_API_TOKEN_KEY, token)
            .await
            .map_err(ServiceError::internal)
    }

    /// The held token, removed from the session as it is read.
    pub async fn take_new_api_token(&self) -> Option<String> {
        self.0
            .remove::<String>(NEW_API_TOKEN_KEY)
            .await
            .ok()
            .flatten()
    }
}
