//! What every use case runs with: the two pools, the acting principal, the
//! request's audit context and the clock. Services take one `&Ctx` instead of
//! five loose parameters, so none can forget who acts or read the time behind
//! a test's back.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use super::audit::RequestContext;
use super::principal::Principal;

/// Where services get the time. Production reads the system clock; tests set
/// and move a [`ManualClock`].
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = now;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One use case's context. Cheap to clone (the pools and the clock are shared).
#[derive(Clone)]
pub struct Ctx {
    /// Every write, and reads inside a write's transaction.
    pub db: DatabaseConnection,
    /// Reads outside transactions.
    pub reads: DatabaseConnection,
    pub principal: Principal,
    pub request: RequestContext,
    pub clock: Arc<dyn Clock>,
}

impl Ctx {
    /// A context on one connection with the system clock: for tools and tests
    /// that hold a connection rather than the application state.
    pub fn of(db: &DatabaseConnection, principal: &Principal, request: &RequestContext) -> Self {
        Self {
            db: db.clone(),
            reads: db.clone(),
            principal: principal.clone(),
            request: request.clone(),
            clock: Arc::new(SystemClock),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let start = Utc::now();
        let clock = ManualClock::at(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), start + Duration::minutes(5));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
