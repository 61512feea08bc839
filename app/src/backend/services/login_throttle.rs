//! Sign-in throttling per account and per client address, kept in the
//! database so it holds across replicas and restarts. The rule itself is
//! `domain::throttle`.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::backend::entities::login_throttle;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::state::AccountSettings;
use crate::domain::throttle::{ThrottlePolicy, ThrottleState};

/// The keys a sign-in attempt counts against, with their policies.
pub fn keys_for(
    email: &str,
    client_address: Option<&str>,
    settings: &AccountSettings,
) -> Vec<(String, ThrottlePolicy)> {
    let mut keys = vec![(
        format!("account:{}", email.trim().to_lowercase()),
        settings.account_throttle,
    )];
    if let Some(address) = client_address {
        keys.push((format!("address:{address}"), settings.address_throttle));
    }
    keys
}

fn to_state(row: &login_throttle::Model) -> ThrottleState {
    ThrottleState {
        failures: row.failures.max(0) as u32,
        window_started_at: row.window_started_at,
        blocked_until: row.blocked_until,
    }
}

/// `Err(RateLimited)` when any key is blocked at `now`.
pub async fn check<C: ConnectionTrait>(
    conn: &C,
    keys: &[(String, ThrottlePolicy)],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut wait = 0;
    for (key, _) in keys {
        if let Some(row) = login_throttle::Entity::find_by_id(key.clone())
            .one(conn)
            .await?
            && let Err(seconds) = to_state(&row).check(now)
        {
            wait = wait.max(seconds);
        }
    }
    if wait > 0 {
        Err(ServiceError::RateLimited {
            retry_after_seconds: wait,
        })
    } else {
        Ok(())
    }
}

/// Counts one failure against every key.
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    keys: &[(String, ThrottlePolicy)],
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    for (key, policy) in keys {
        let existing = login_throttle::Entity::find_by_id(key.clone())
            .one(conn)
            .await?;
        let next = ThrottleState::after_failure(existing.as_ref().map(to_state), now, *policy);
        let row = login_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(next.failures as i32),
            window_started_at: Set(next.window_started_at),
            blocked_until: Set(next.blocked_until),
        };
        if existing.is_some() {
            row.update(conn).await?;
        } else if let Err(err) = row.insert(conn).await {
            // A concurrent failure inserted the row first; its count stands.
            if !matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                return Err(err.into());
            }
        }
    }
    Ok(())
}

/// A successful sign-in clears the account's count (not the address's: one
/// good password must not unlock a spray from the same address).
pub async fn clear_account<C: ConnectionTrait>(
    conn: &C,
    keys: &[(String, ThrottlePolicy)],
) -> ServiceResult<()> {
    if let Some((key, _)) = keys.iter().find(|(k, _)| k.starts_with("account:")) {
        login_throttle::Entity::delete_by_id(key.clone())
            .exec(conn)
            .await?;
    }
    Ok(())
}
