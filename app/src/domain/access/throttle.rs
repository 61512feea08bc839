//! Login throttling: how many failed sign-ins a key (an account or a client
//! address) may have inside a window before it is blocked, and for how long.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    /// Failures older than this no longer count.
    pub window: Duration,
    /// How long a key stays blocked once it reached `max_failures`.
    pub block_for: Duration,
}

impl ThrottlePolicy {
    /// Per account: a handful of guesses, then a pause.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: Duration::minutes(15),
        block_for: Duration::minutes(15),
    };
    /// Per client address: enough for an office behind one NAT, not for a spray.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 20,
        window: Duration::minutes(15),
        block_for: Duration::minutes(15),
    };
}

/// What is remembered about one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl ThrottleState {
    /// `Err(seconds to wait)` while the key is blocked.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), u64> {
        match self.blocked_until {
            Some(until) if until > now => {
                let millis = (until - now).num_milliseconds().max(0) as u64;
                Err(millis.div_ceil(1000).max(1))
            }
            _ => Ok(()),
        }
    }

    /// The state after one more failure at `now`.
    pub fn after_failure(
        state: Option<ThrottleState>,
        now: DateTime<Utc>,
        policy: ThrottlePolicy,
    ) -> ThrottleState {
        let fresh = ThrottleState {
            failures: 0,
            window_started_at: now,
            blocked_until: None,
        };
        let mut next = match state {
            // A window that ran out, or a block that is over, starts afresh.
            Some(s)
                if now - s.window_started_at < policy.window
                    && s.blocked_until.is_none_or(|until| until > now) =>
            {
                s
            }
            _ => fresh,
        };
        next.failures += 1;
        if next.failures >= policy.max_failures {
            next.blocked_until = Some(now + policy.block_for);
        }
        next
    }

    /// Attempts are counted as failures before the password is checked (so
    /// parallel guesses cannot all pass the check); one that turned out to be
    /// right is given back. A block it alone caused is lifted with it.
    pub fn after_refund(self, policy: ThrottlePolicy) -> ThrottleState {
        let failures = self.failures.saturating_sub(1);
        ThrottleState {
            failures,
            blocked_until: self
                .blocked_until
                .filter(|_| failures >= policy.max_failures),
            ..self
        }
    }

    /// Whether this state is the one that started a block (the attempt that
    /// reached the limit): the moment a lockout is audited, once per window.
    pub fn started_block(&self, policy: ThrottlePolicy) -> bool {
        self.blocked_until.is_some() && self.failures == policy.max_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::seconds(60),
        block_for: Duration::seconds(30),
    };

    fn fail_times(times: &[i64]) -> ThrottleState {
        times
            .iter()
            .fold(None, |state, t| {
                Some(ThrottleState::after_failure(state, at(*t), POLICY))
            })
            .unwrap()
    }

    #[test]
    fn a_right_password_gives_its_counted_attempt_back() {
        let state = fail_times(&[0, 1, 2]);
        assert!(state.started_block(POLICY));
        let refunded = state.after_refund(POLICY);
        assert_eq!(refunded.failures, 2);
        assert_eq!(refunded.check(at(3)), Ok(()));
        assert!(!fail_times(&[0, 1]).started_block(POLICY));
        let over = ThrottleState::after_failure(Some(state), at(3), POLICY);
        assert!(
            !over.started_block(POLICY),
            "only the first attempt at the limit"
        );
        assert_eq!(
            ThrottleState {
                failures: 0,
                ..state
            }
            .after_refund(POLICY)
            .failures,
            0
        );
    }

    #[test]
    fn failures_below_the_limit_do_not_block() {
        let state = fail_times(&[0, 1]);
        assert_eq!(state.failures, 2);
        assert_eq!(state.check(at(2)), Ok(()));
    }

    #[test]
    fn reaching_the_limit_blocks_for_the_policy_time_and_says_how_long() {
        let state = fail_times(&[0, 1, 2]);
        assert_eq!(state.check(at(2)), Err(30));
        assert_eq!(state.check(at(31)), Err(1));
        assert_eq!(state.check(at(32)), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let state = fail_times(&[0, 1, 70]);
        assert_eq!(state.failures, 1);
        assert_eq!(state.check(at(70)), Ok(()));
    }

    #[test]
    fn a_failure_after_a_block_ended_starts_a_new_count() {
        let state = fail_times(&[0, 1, 2, 40]);
        assert_eq!(state.failures, 1);
        assert_eq!(state.blocked_until, None);
    }
}
