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
/// Password checked, second factor still to come.
const PENDING_SECOND_FACTOR_KEY: &str = "tenantry.pending_second_factor";
/// A TOTP secret being set up, until confirmed.
const ENROLLMENT_KEY: &str = "tenantry.two_factor_enrollment";
/// Recovery codes just created, until the next page shows them once.
const NEW_RECOVERY_CODES_KEY: &str = "tenantry.new_recovery_codes";
/// How long the second sign-in step may take.
const SECOND_FACTOR_WINDOW_MINUTES: i64 = 5;

/// Who signed in, under which session version of their account, and when
/// (for the absolute timeout).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub session_version: i32,
    pub signed_in_at: DateTime<Utc>,
}

pub struct AuthSession(pub Session);

/// A sign-in waiting for its second factor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSecondFactor {
    pub user_id: Uuid,
    pub session_version: i32,
    pub since: DateTime<Utc>,
}

impl AuthSession {
    /// Rotates the session id (no fixation) and remembers the user.
    pub async fn sign_in(&self, user_id: Uuid, session_version: i32) -> Result<(), ServiceError> {
        self.0.cycle_id().await.map_err(ServiceError::internal)?;
        let user = SessionUser {
            user_id,
            session_version,
            signed_in_at: Utc::now(),
        };
        let _ = self
            .0
            .remove::<PendingSecondFactor>(PENDING_SECOND_FACTOR_KEY)
            .await;
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

    /// The password was right; the session is not signed in until the
    /// second factor is (a new session id, no user yet).
    pub async fn await_second_factor(
        &self,
        user_id: Uuid,
        session_version: i32,
    ) -> Result<(), ServiceError> {
        self.0.cycle_id().await.map_err(ServiceError::internal)?;
        let _ = self.0.remove::<SessionUser>(SIGNED_IN_KEY).await;
        let pending = PendingSecondFactor {
            user_id,
            session_version,
            since: Utc::now(),
        };
        self.0
            .insert(PENDING_SECOND_FACTOR_KEY, pending)
            .await
            .map_err(ServiceError::internal)
    }

    /// The pending sign-in, while it is fresh.
    pub async fn pending_second_factor(&self) -> Option<PendingSecondFactor> {
        self.0
            .get::<PendingSecondFactor>(PENDING_SECOND_FACTOR_KEY)
            .await
            .ok()
            .flatten()
            .filter(|p| {
                Utc::now() - p.since < chrono::Duration::minutes(SECOND_FACTOR_WINDOW_MINUTES)
            })
    }

    pub async fn hold_enrollment(&self, secret: &str) -> Result<(), ServiceError> {
        self.0
            .insert(ENROLLMENT_KEY, secret)
            .await
            .map_err(ServiceError::internal)
    }

    pub async fn pending_enrollment(&self) -> Option<String> {
        self.0.get::<String>(ENROLLMENT_KEY).await.ok().flatten()
    }

    /// Ends the set-up and keeps the recovery codes for one page view.
    pub async fn finish_enrollment(&self, codes: &[String]) -> Result<(), ServiceError> {
        let _ = self.0.remove::<String>(ENROLLMENT_KEY).await;
        self.0
            .insert(NEW_RECOVERY_CODES_KEY, codes)
            .await
            .map_err(ServiceError::internal)
    }

    pub async fn take_new_recovery_codes(&self) -> Option<Vec<String>> {
        self.0
            .remove::<Vec<String>>(NEW_RECOVERY_CODES_KEY)
            .await
            .ok()
            .flatten()
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
