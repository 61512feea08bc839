//! The typed view of the session: constant keys, one place that knows them.

use tower_sessions::Session;
use uuid::Uuid;

use super::error::ServiceError;

const USER_ID_KEY: &str = "tenantry.user_id";

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
}
