//! Webhook rules: who an endpoint may hear, what an answer means, when the
//! next attempt is due, and when an endpoint has failed for too long.

use chrono::{DateTime, Duration, Utc};

/// Waits before each attempt (Standard Webhooks' schedule): at once, then
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; after the last, dead letter.
pub const RETRY_SCHEDULE_SECONDS: [i64; 8] = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// An endpoint failing without a single success for this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::days(5);

/// How long a delivery attempt may take.
pub const ATTEMPT_TIMEOUT_SECONDS: u64 = 15;

/// Whether an endpoint owned by `owner` (a tenant, or `None` for the
/// vendor) hears an event of `event_tenant`: the vendor hears every event; a
/// tenant only its own tenant's, never a platform-wide one.
pub fn may_hear(owner: Option<uuid::Uuid>, event_tenant: Option<uuid::Uuid>) -> bool {
    match owner {
        None => true,
        Some(tenant) => event_tenant == Some(tenant),
    }
}

/// What an endpoint's answer to one attempt means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The schedule is used up: the delivery goes to the dead letters.
    Dead,
    /// 410 Gone: the receiver asked never to be called again.
    DisableEndpoint,
}

/// Judges attempt `attempt` (1 for the first) answered with `status` (`None`:
/// no answer — refused, timed out), honouring `Retry-After` (seconds) on 429
/// and 503 when it asks for longer than the schedule. `jitter` in [0, 1)
/// spreads retries by up to a tenth of the wait.
pub fn judge_attempt(
    attempt: u32,
    status: Option<u16>,
    retry_after_seconds: Option<i64>,
    now: DateTime<Utc>,
    jitter: f64,
) -> Verdict {
    match status {
        Some(200..=299) => return Verdict::Delivered,
        Some(410) => return Verdict::DisableEndpoint,
        _ => {}
    }
    let Some(wait) = RETRY_SCHEDULE_SECONDS.get(attempt as usize) else {
        return Verdict::Dead;
    };
    let spread = (*wait as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as i64;
    let mut wait = wait + spread;
    if matches!(status, Some(429 | 503))
        && let Some(asked) = retry_after_seconds
    {
        wait = wait.max(asked.clamp(0, 86_400));
    }
    Verdict::RetryAt(now + Duration::seconds(wait))
}

/// Whether an endpoint whose deliveries have failed since `failing_since`
/// (no success in between) is to be disabled now.
pub fn failing_too_long(failing_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    failing_since.is_some_and(|since| now - since >= DISABLE_AFTER)
}

/// The first 1 KB of a response body, cut at a character boundary.
pub fn excerpt(body: &str) -> String {
    let mut end = body.len().min(1024);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

/// Reads a `Retry-After` header given in seconds (an HTTP date is not
/// honoured: the schedule applies).
pub fn retry_after_seconds(header: Option<&str>) -> Option<i64> {
    header.and_then(|h| h.trim().parse::<i64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn only_2xx_delivers_and_410_disables_the_endpoint() {
        assert_eq!(
            judge_attempt(1, Some(204), None, at(0), 0.0),
            Verdict::Delivered
        );
        assert_eq!(
            judge_attempt(1, Some(410), None, at(0), 0.0),
            Verdict::DisableEndpoint
        );
        assert!(matches!(
            judge_attempt(1, Some(301), None, at(0), 0.0),
            Verdict::RetryAt(_)
        ));
    }

    #[test]
    fn retries_follow_the_schedule_then_go_to_the_dead_letters() {
        let waits: Vec<i64> = (1..=7)
            .map(
                |attempt| match judge_attempt(attempt, Some(500), None, at(0), 0.0) {
                    Verdict::RetryAt(when) => (when - at(0)).num_seconds(),
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert_eq!(waits, [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]);
        assert_eq!(judge_attempt(8, None, None, at(0), 0.0), Verdict::Dead);
    }

    #[test]
    fn jitter_spreads_a_retry_by_at_most_a_tenth() {
        let Verdict::RetryAt(when) = judge_attempt(3, Some(500), None, at(0), 0.999) else {
            panic!()
        };
        let wait = (when - at(0)).num_seconds();
        assert!((1_800..=1_980).contains(&wait), "{wait}");
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_when_longer() {
        let wait = |status, asked| match judge_attempt(1, Some(status), asked, at(0), 0.0) {
            Verdict::RetryAt(when) => (when - at(0)).num_seconds(),
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(429, Some(120)), 120);
        assert_eq!(wait(503, Some(1)), 5, "never sooner than the schedule");
        assert_eq!(wait(500, Some(120)), 5, "only 429 and 503 ask to wait");
        assert_eq!(retry_after_seconds(Some(" 30 ")), Some(30));
        assert_eq!(
            retry_after_seconds(Some("Wed, 21 Oct 2026 07:28:00 GMT")),
            None
        );
    }

    #[test]
    fn the_vendor_hears_everything_and_a_tenant_only_its_own() {
        let (acme, globex) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert!(may_hear(None, Some(acme)));
        assert!(may_hear(None, None));
        assert!(may_hear(Some(acme), Some(acme)));
        assert!(!may_hear(Some(acme), Some(globex)));
        assert!(
            !may_hear(Some(acme), None),
            "no platform-wide event for a tenant"
        );
    }

    #[test]
    fn an_endpoint_failing_for_five_days_is_disabled() {
        assert!(!failing_too_long(None, at(0)));
        assert!(!failing_too_long(Some(at(0)), at(5 * 86_400 - 1)));
        assert!(failing_too_long(Some(at(0)), at(5 * 86_400)));
        assert_eq!(excerpt(&"é".repeat(600)).len(), 1024);
    }
}
