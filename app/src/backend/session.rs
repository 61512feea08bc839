//! The typed view of the session: constant keys, one place that knows them.

use tower_sessions::Session;
use uuid::Uuid;

use super::error::ServiceError;

const USER_ID_KEY: &str = "tenantry.user_id";
/// A freshly created API token, kept until the next page shows it once.
const NEW_API_TOKEN_KEY: &str = "tenantry.new_api_token";

pub struct AuthSession(pub Session);

impl AuthSession {
    /// Rotates the session id (no fixation) and remembers the user.
    pub async fn sign_in(&self, user_id: Uuid) -> Result<(), ServiceError> {
        self.0.cycle_id().await.map_err(ServiceError::internal)?;
        self.0
            .insert(USER_ID_KEY, user_id)
            .await
            .map_err(ServiceError::internal)
    }

    pub async fn user_id(&self) -> Option<Uuid> {
        self.0.get::<Uuid>(USER_ID_KEY).await.ok().flatten()
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
