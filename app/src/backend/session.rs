//! The typed view of the session: constant keys, one place that knows them.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use crate::backend::crypto::{Purpose, keyring};
use crate::backend::error::ServiceError;
use crate::backend::principal::Principal;
use crate::backend::services::access::auth::load_session_principal;
use crate::backend::state::AccountSettings;

const SIGNED_IN_KEY: &str = "tenantry.signed_in";
/// A freshly created API token, kept until the next page shows it once.
const NEW_API_TOKEN_KEY: &str = "tenantry.new_api_token";
const NEW_WEBHOOK_SECRET_KEY: &str = "tenantry.new_webhook_secret";
/// Password checked, second factor still to come.
const PENDING_SECOND_FACTOR_KEY: &str = "tenantry.pending_second_factor";
/// A TOTP secret being set up, until confirmed.
const ENROLLMENT_KEY: &str = "tenantry.two_factor_enrollment";
/// Recovery codes just created, until the next page shows them once.
const NEW_RECOVERY_CODES_KEY: &str = "tenantry.new_recovery_codes";
/// How long the second sign-in step may take.
const SECOND_FACTOR_WINDOW_MINUTES: i64 = 5;
/// How long a secret shown once waits for the page that shows it.
const SHOW_ONCE_MINUTES: i64 = 10;
/// How long a two-factor set-up may wait for its confirming code.
const ENROLLMENT_MINUTES: i64 = 15;

/// A secret the session holds for a moment: sealed under the secret key, so
/// the session store never has it readable, and void after `until` even if
/// no page ever read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct HeldSecret {
    sealed: String,
    until: DateTime<Utc>,
}

/// Who signed in, under which session version of their account, and when
/// (for the absolute timeout).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub session_version: i32,
    pub signed_in_at: DateTime<Utc>,
}

/// The signed-in state a request's session holds, judged by the
/// application's clock (the second-factor window, held secrets, the
/// absolute timeout).
pub struct AuthSession {
    session: Session,
    clock: std::sync::Arc<dyn crate::backend::context::Clock>,
}

/// A sign-in waiting for its second factor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSecondFactor {
    pub user_id: Uuid,
    pub session_version: i32,
    pub since: DateTime<Utc>,
}

impl AuthSession {
    pub fn new(
        session: Session,
        clock: std::sync::Arc<dyn crate::backend::context::Clock>,
    ) -> Self {
        Self { session, clock }
    }

    /// Rotates the session id (no fixation) and remembers the user.
    pub async fn sign_in(&self, user_id: Uuid, session_version: i32) -> Result<(), ServiceError> {
        self.session
            .cycle_id()
            .await
            .map_err(ServiceError::internal)?;
        let user = SessionUser {
            user_id,
            session_version,
            signed_in_at: self.clock.now(),
        };
        let _ = self
            .session
            .remove::<PendingSecondFactor>(PENDING_SECOND_FACTOR_KEY)
            .await;
        self.session
            .insert(SIGNED_IN_KEY, user)
            .await
            .map_err(ServiceError::internal)
    }

    pub async fn user(&self) -> Option<SessionUser> {
        self.session
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
            Some(user) => load_session_principal(db, &user, settings, self.clock.now()).await,
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
        self.session
            .cycle_id()
            .await
            .map_err(ServiceError::internal)?;
        let _ = self.session.remove::<SessionUser>(SIGNED_IN_KEY).await;
        let pending = PendingSecondFactor {
            user_id,
            session_version,
            since: self.clock.now(),
        };
        self.session
            .insert(PENDING_SECOND_FACTOR_KEY, pending)
            .await
            .map_err(ServiceError::internal)
    }

    /// The pending sign-in, while it is fresh.
    pub async fn pending_second_factor(&self) -> Option<PendingSecondFactor> {
        self.session
            .get::<PendingSecondFactor>(PENDING_SECOND_FACTOR_KEY)
            .await
            .ok()
            .flatten()
            .filter(|p| {
                self.clock.now() - p.since < chrono::Duration::minutes(SECOND_FACTOR_WINDOW_MINUTES)
            })
    }

    pub async fn hold_enrollment(&self, secret: &str) -> Result<(), ServiceError> {
        self.hold_secret(ENROLLMENT_KEY, secret, ENROLLMENT_MINUTES)
            .await
    }

    pub async fn pending_enrollment(&self) -> Option<String> {
        self.read_secret(ENROLLMENT_KEY).await
    }

    /// Ends the set-up.
    pub async fn finish_enrollment(&self) {
        let _ = self.session.remove::<HeldSecret>(ENROLLMENT_KEY).await;
    }

    /// Keeps new recovery codes for the one page view that shows them (the
    /// set-up confirmed by a plain form post, without JavaScript).
    pub async fn hold_new_recovery_codes(&self, codes: &[String]) -> Result<(), ServiceError> {
        let joined = serde_json::to_string(codes).map_err(ServiceError::internal)?;
        self.hold_secret(NEW_RECOVERY_CODES_KEY, &joined, SHOW_ONCE_MINUTES)
            .await
    }

    pub async fn take_new_recovery_codes(&self) -> Option<Vec<String>> {
        let joined = self.take_secret(NEW_RECOVERY_CODES_KEY).await?;
        serde_json::from_str(&joined).ok()
    }

    /// Deletes the server-side session record and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), ServiceError> {
        self.session.flush().await.map_err(ServiceError::internal)
    }

    /// Keeps a new API token for the one page view that shows it (works
    /// with and without JavaScript, as the page reads it after the redirect).
    pub async fn hold_new_api_token(&self, token: &str) -> Result<(), ServiceError> {
        self.hold_secret(NEW_API_TOKEN_KEY, token, SHOW_ONCE_MINUTES)
            .await
    }

    /// The held token, removed from the session as it is read.
    pub async fn take_new_api_token(&self) -> Option<String> {
        self.take_secret(NEW_API_TOKEN_KEY).await
    }

    /// Holds a new webhook signing secret for the page a form post returns
    /// to (without JavaScript), sealed, for a few minutes, shown once.
    pub async fn hold_new_webhook_secret(&self, secret: &str) -> Result<(), ServiceError> {
        self.hold_secret(NEW_WEBHOOK_SECRET_KEY, secret, SHOW_ONCE_MINUTES)
            .await
    }

    /// The held webhook secret, removed from the session as it is read.
    pub async fn take_new_webhook_secret(&self) -> Option<String> {
        self.take_secret(NEW_WEBHOOK_SECRET_KEY).await
    }

    async fn hold_secret(&self, key: &str, plain: &str, minutes: i64) -> Result<(), ServiceError> {
        let held = HeldSecret {
            sealed: keyring().seal(Purpose::SessionSecret, plain),
            until: self.clock.now() + chrono::Duration::minutes(minutes),
        };
        self.session
            .insert(key, held)
            .await
            .map_err(ServiceError::internal)
    }

    async fn read_secret(&self, key: &str) -> Option<String> {
        let held = self.session.get::<HeldSecret>(key).await.ok().flatten()?;
        open_held(held, self.clock.now())
    }

    async fn take_secret(&self, key: &str) -> Option<String> {
        let held = self
            .session
            .remove::<HeldSecret>(key)
            .await
            .ok()
            .flatten()?;
        open_held(held, self.clock.now())
    }
}

/// A held secret's value while it is fresh; an expired one, or one sealed
/// under a key since rotated away, is simply gone.
fn open_held(held: HeldSecret, now: DateTime<Utc>) -> Option<String> {
    if held.until <= now {
        return None;
    }
    keyring().open(Purpose::SessionSecret, &held.sealed).ok()
}
