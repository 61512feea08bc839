//! Sign-in throttling per account and per client address, kept in the
//! database so it holds across replicas and restarts. The rule itself is
//! `domain::throttle`.
//!
//! Every attempt first *claims* a slot on each key — counted as a failure
//! in one compare-and-swap per key — and only then is the password checked.
//! So the check and the count are one atomic step: parallel guesses cannot
//! all slip past the limit. A right password gives its slot back.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entities::login_throttle;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::state::AccountSettings;
use crate::domain::access::throttle::ThrottlePolicy;
use crate::domain::access::throttle::ThrottleState;

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

/// One claimed attempt: counted against its keys until it is given back.
#[derive(Debug)]
pub struct Attempt {
    keys: Vec<(String, ThrottlePolicy)>,
    /// Keys whose block this attempt started (a failure then means a lockout).
    started_blocks: Vec<String>,
}

/// Compare-and-swap retries before a key under heavy contention is treated
/// as throttled.
const CLAIM_ROUNDS: usize = 50;

/// Claims one attempt on every key, or `Err(RateLimited)` when a key is
/// blocked. Keys claimed before a blocked one are given back.
pub async fn begin_attempt<C: ConnectionTrait>(
    conn: &C,
    keys: Vec<(String, ThrottlePolicy)>,
    now: DateTime<Utc>,
) -> ServiceResult<Attempt> {
    let mut claimed = Attempt {
        keys: Vec::with_capacity(keys.len()),
        started_blocks: vec![],
    };
    for (key, policy) in keys {
        match claim_key(conn, &key, policy, now).await {
            Ok(state) => {
                if state.started_block(policy) {
                    claimed.started_blocks.push(key.clone());
                }
                claimed.keys.push((key, policy));
            }
            Err(refusal) => {
                claimed.give_back(conn).await?;
                return Err(refusal);
            }
        }
    }
    Ok(claimed)
}

async fn claim_key<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
) -> ServiceResult<ThrottleState> {
    for _ in 0..CLAIM_ROUNDS {
        let existing = login_throttle::Entity::find_by_id(key.to_owned())
            .one(conn)
            .await?;
        if let Some(row) = &existing
            && let Err(seconds) = to_state(row).check(now)
        {
            return Err(ServiceError::RateLimited {
                retry_after_seconds: seconds,
            });
        }
        let next = ThrottleState::after_failure(existing.as_ref().map(to_state), now, policy);
        let swapped = match &existing {
            Some(row) => swap(conn, row, next).await?,
            None => {
                let inserted = login_throttle::ActiveModel {
                    key: Set(key.to_owned()),
                    failures: Set(next.failures as i32),
                    window_started_at: Set(next.window_started_at),
                    blocked_until: Set(next.blocked_until),
                }
                .insert(conn)
                .await;
                match inserted {
                    Ok(_) => true,
                    // A concurrent attempt inserted the row first: count on it.
                    Err(err)
                        if matches!(
                            err.sql_err(),
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                        ) =>
                    {
                        false
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        };
        if swapped {
            return Ok(next);
        }
    }
    Err(ServiceError::RateLimited {
        retry_after_seconds: 1,
    })
}

/// Writes `next` only if the row is still as it was read.
async fn swap<C: ConnectionTrait>(
    conn: &C,
    seen: &login_throttle::Model,
    next: ThrottleState,
) -> ServiceResult<bool> {
    let mut update = login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::value(next.failures as i32),
        )
        .col_expr(
            login_throttle::Column::WindowStartedAt,
            Expr::value(next.window_started_at),
        )
        .col_expr(
            login_throttle::Column::BlockedUntil,
            Expr::value(next.blocked_until),
        )
        .filter(login_throttle::Column::Key.eq(seen.key.clone()))
        .filter(login_throttle::Column::Failures.eq(seen.failures))
        .filter(login_throttle::Column::WindowStartedAt.eq(seen.window_started_at));
    update = match seen.blocked_until {
        Some(until) => update.filter(login_throttle::Column::BlockedUntil.eq(until)),
        None => update.filter(login_throttle::Column::BlockedUntil.is_null()),
    };
    Ok(update.exec(conn).await?.rows_affected == 1)
}

impl Attempt {
    /// Whether this failed attempt is the one that locked a key (audited
    /// once per lockout window; refused attempts during it are not).
    pub fn started_lockout(&self) -> bool {
        !self.started_blocks.is_empty()
    }

    /// The password (or code) was right: the account's count starts over
    /// and the address gets its slot back (one good password must not
    /// unlock a spray from the same address, but must not count against it).
    pub async fn succeeded<C: ConnectionTrait>(self, conn: &C) -> ServiceResult<()> {
        for (key, policy) in &self.keys {
            if key.starts_with("account:") {
                login_throttle::Entity::delete_by_id(key.clone())
                    .exec(conn)
                    .await?;
            } else {
                refund(conn, key, *policy).await?;
            }
        }
        Ok(())
    }

    /// The attempt proved nothing wrong (the password was right but a second
    /// factor is still due): every key gets its slot back.
    pub async fn give_back<C: ConnectionTrait>(self, conn: &C) -> ServiceResult<()> {
        for (key, policy) in &self.keys {
            refund(conn, key, *policy).await?;
        }
        Ok(())
    }
}

async fn refund<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    policy: ThrottlePolicy,
) -> ServiceResult<()> {
    for _ in 0..CLAIM_ROUNDS {
        let Some(row) = login_throttle::Entity::find_by_id(key.to_owned())
            .one(conn)
            .await?
        else {
            return Ok(());
        };
        if swap(conn, &row, to_state(&row).after_refund(policy)).await? {
            return Ok(());
        }
    }
    Ok(())
}
