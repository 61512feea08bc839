//! What every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use chrono::Duration;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::backend::audit::RequestContext;
use crate::backend::context::{Clock, Ctx};
use crate::backend::mail::Mailer;
use crate::backend::principal::Principal;
use crate::domain::access::throttle::ThrottlePolicy;
use crate::domain::tenants::tenant::Region;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Every write, and reads inside a write's transaction.
    pub db: DatabaseConnection,
    /// Reads outside transactions (see `db::connect_reads`).
    pub reads: DatabaseConnection,
    /// The regions this installation offers (TENANTRY_REGIONS).
    pub regions: Arc<Vec<Region>>,
    pub accounts: Arc<AccountSettings>,
    pub mailer: Arc<Mailer>,
    /// Wakes the email delivery worker when a message was queued.
    pub mail_queued: Arc<Notify>,
    /// The HTTP orchestrator's shared secret, when that executor is configured:
    /// callbacks must be signed with it.
    pub orchestrator_secret: Option<Arc<str>>,
    /// Where every service reads the time.
    pub clock: Arc<dyn Clock>,
    /// How tenants' health baselines are run and judged.
    pub health: Arc<crate::domain::tenants::health::ValidationPolicy>,
    /// The configured executor: change steps, switches and health suites.
    pub executor: Arc<dyn crate::backend::executor::Executor>,
}

impl AppState {
    /// The context a use case runs with for this principal and request.
    pub fn ctx(&self, principal: Principal, request: RequestContext) -> Ctx {
        crate::backend::log_context::principal(principal.user_id);
        Ctx {
            db: self.db.clone(),
            reads: self.reads.clone(),
            principal,
            request,
            clock: self.clock.clone(),
        }
    }
}

/// Account, sign-in and tenant-limit rules an operator may tune.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    /// The portal's address as users reach it; links in emails start with it.
    pub public_url: String,
    pub invitation_ttl: Duration,
    pub password_reset_ttl: Duration,
    /// A session ends this long after sign-in, however active it is.
    pub session_absolute: Duration,
    pub account_throttle: ThrottlePolicy,
    pub address_throttle: ThrottlePolicy,
    /// The longest blackout a tenant's own people may set (days).
    pub max_blackout_days: i64,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".to_owned(),
            invitation_ttl: Duration::hours(72),
            password_reset_ttl: Duration::hours(1),
            session_absolute: Duration::hours(24),
            account_throttle: ThrottlePolicy::ACCOUNT,
            address_throttle: ThrottlePolicy::ADDRESS,
            max_blackout_days: crate::domain::access::authority::DEFAULT_MAX_BLACKOUT_DAYS,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
