//! API rate limits (GCRA, the `governor` crate), one bucket per subject:
//! each tenant (its people and tokens together, at its effective
//! `api_requests_per_minute`), each API token of a tenant (the same limit,
//! so one runaway script cannot use the whole tenant's share unnoticed… and
//! is named in the answer), each vendor principal and each agent (limits
//! from the server's settings). Buckets live in this process: with several
//! replicas behind a balancer each replica admits the limit, so a tenant
//! gets up to N × its limit across N replicas (docs/BUILD-NOTES.md).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::backend::error::ServiceResult;
use crate::domain::plans::plan::Quota as PlanQuota;

type Bucket =
    RateLimiter<NotKeyed, InMemoryState, governor::clock::DefaultClock, StateInformationMiddleware>;

/// Whose requests a bucket counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Tenant(Uuid),
    /// An API token, by a digest of its secret (never the secret itself).
    Token([u8; 16]),
    Vendor(Uuid),
    /// An agent, by a digest of its bearer token (or, registering, its address).
    Agent([u8; 16]),
}

impl Subject {
    pub fn digest(secret: &str) -> [u8; 16] {
        let hash = Sha256::digest(secret.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&hash[..16]);
        key
    }
}

/// The limits that do not come from a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Per vendor principal (a platform user or its token).
    pub vendor_per_minute: u32,
    /// Per agent.
    pub agent_per_minute: u32,
    /// Off: no bucket is checked (benchmarks measure the limiter's cost).
    pub enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            vendor_per_minute: 60_000,
            agent_per_minute: 600,
            enabled: true,
        }
    }
}

static SETTINGS: LazyLock<RwLock<Settings>> = LazyLock::new(|| RwLock::new(Settings::default()));
static BUCKETS: LazyLock<Mutex<HashMap<Subject, (u32, Arc<Bucket>)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
/// Tenants' effective per-minute limits, read at most every `LIMIT_TTL`.
static TENANT_LIMITS: LazyLock<Mutex<HashMap<Uuid, (Option<u64>, Instant)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
/// How long a tenant's limit is trusted before it is read again (this
/// replica forgets it at once when it changes the limit itself).
const LIMIT_TTL: Duration = Duration::from_secs(30);

pub fn configure(settings: Settings) {
    *SETTINGS.write().unwrap_or_else(|e| e.into_inner()) = settings;
}

pub fn settings() -> Settings {
    *SETTINGS.read().unwrap_or_else(|e| e.into_inner())
}

/// One bucket's answer, as the `RateLimit-*` headers tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub subject: Subject,
    /// Requests per minute.
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// Refused: seconds until one more request is admitted.
    pub retry_after_seconds: Option<u64>,
}

impl Verdict {
    pub fn admitted(&self) -> bool {
        self.retry_after_seconds.is_none()
    }

    /// The tighter of two answers: a refusal, else the fewer remaining.
    pub fn tighter(self, other: Verdict) -> Verdict {
        match (self.admitted(), other.admitted()) {
            (true, false) => other,
            (false, true) => self,
            _ if other.remaining < self.remaining => other,
            _ => self,
        }
    }
}

fn ceil_seconds(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

/// Counts one request against `subject`'s bucket of `per_minute`.
pub fn check(subject: Subject, per_minute: u32) -> Verdict {
    let Some(rate) = NonZeroU32::new(per_minute) else {
        // A quota of 0: the API is not part of the tenant's plan.
        return Verdict {
            subject,
            limit: 0,
            remaining: 0,
            reset_seconds: 60,
            retry_after_seconds: Some(60),
        };
    };
    let bucket = {
        let mut buckets = BUCKETS.lock().unwrap_or_else(|e| e.into_inner());
        match buckets.get(&subject) {
            Some((limit, bucket)) if *limit == per_minute => bucket.clone(),
            _ => {
                let bucket = Arc::new(
                    RateLimiter::direct(Quota::per_minute(rate))
                        .with_middleware::<StateInformationMiddleware>(),
                );
                buckets.insert(subject, (per_minute, bucket.clone()));
                bucket
            }
        }
    };
    let per_request = Duration::from_secs(60) / per_minute;
    match bucket.check() {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            Verdict {
                subject,
                limit: per_minute,
                remaining,
                reset_seconds: ceil_seconds(per_request * (per_minute - remaining)),
                retry_after_seconds: None,
            }
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(bucket.clock().now());
            Verdict {
                subject,
                limit: per_minute,
                remaining: 0,
                reset_seconds: ceil_seconds(per_request * per_minute),
                retry_after_seconds: Some(ceil_seconds(wait)),
            }
        }
    }
}

/// A tenant's effective API requests per minute (`None`: unlimited),
/// cached for `LIMIT_TTL`.
pub async fn tenant_limit<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<u64>> {
    if let Some((limit, at)) = TENANT_LIMITS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&tenant_id)
        && at.elapsed() < LIMIT_TTL
    {
        return Ok(*limit);
    }
    let limit = match crate::backend::entities::tenant::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
    {
        Some(tenant) => {
            crate::backend::services::plans::limits::limit_of(
                conn,
                &tenant,
                PlanQuota::ApiRequestsPerMinute,
            )
            .await?
        }
        None => None,
    };
    TENANT_LIMITS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(tenant_id, (limit, Instant::now()));
    Ok(limit)
}

/// Drops a tenant's cached limit (its plan or override changed here).
pub fn forget_tenant(tenant_id: Uuid) {
    TENANT_LIMITS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&tenant_id);
}

/// Where the API's request path leaves the verdict for the response headers.
#[derive(Clone, Debug, Default)]
pub struct VerdictSlot(pub Arc<Mutex<Option<Verdict>>>);

impl VerdictSlot {
    pub fn put(&self, verdict: Verdict) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(match *slot {
            Some(earlier) => earlier.tighter(verdict),
            None => verdict,
        });
    }

    pub fn take(&self) -> Option<Verdict> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Counts one API request of `principal` (with `bearer`, the API token it
/// sent, if any): a vendor principal against its own bucket; a tenant's
/// person or token against each of its tenants' buckets and the token's
/// own. `None` when no limit applies; a refused verdict is the caller's 429.
pub async fn admit<C: ConnectionTrait>(
    conn: &C,
    principal: &crate::backend::principal::Principal,
    bearer: Option<&str>,
) -> ServiceResult<Option<Verdict>> {
    use crate::domain::access::permission::{Permission, Scope, TenantScope};
    let settings = settings();
    let vendor = principal.can(Permission::TenantRead, Scope::Platform);
    let tenants = match principal.tenant_scope(Permission::TenantRead) {
        TenantScope::Only(tenants) if !vendor => tenants,
        _ if !settings.enabled => return Ok(None),
        _ => {
            return Ok(Some(check(
                Subject::Vendor(principal.user_id),
                settings.vendor_per_minute,
            )));
        }
    };
    // Metering counts every call of a tenant's people, limited or not.
    for tenant_id in &tenants {
        crate::backend::services::plans::usage::count_api_call(
            *tenant_id,
            principal.user_id,
            chrono::Utc::now(),
        );
    }
    if !settings.enabled {
        return Ok(None);
    }
    let mut verdict: Option<Verdict> = None;
    let mut tightest: Option<u32> = None;
    for tenant_id in tenants {
        let Some(limit) = tenant_limit(conn, tenant_id).await? else {
            continue;
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        tightest = Some(tightest.map_or(limit, |t| t.min(limit)));
        let answer = check(Subject::Tenant(tenant_id), limit);
        verdict = Some(verdict.map_or(answer, |v| v.tighter(answer)));
    }
    if let (Some(token), Some(limit)) = (bearer, tightest) {
        let answer = check(Subject::Token(Subject::digest(token)), limit);
        verdict = Some(verdict.map_or(answer, |v| v.tighter(answer)));
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_limit_is_refused_with_the_wait_until_the_next_request() {
        let subject = Subject::Tenant(Uuid::new_v4());
        let verdicts: Vec<Verdict> = (0..4).map(|_| check(subject, 3)).collect();
        assert_eq!(
            verdicts.iter().map(|v| v.remaining).collect::<Vec<_>>(),
            [2, 1, 0, 0]
        );
        assert!(verdicts[..3].iter().all(Verdict::admitted));
        let refused = verdicts[3];
        assert_eq!(
            refused.retry_after_seconds,
            Some(20),
            "one request every 20 s at 3/min"
        );
        assert_eq!(refused.reset_seconds, 60);
        assert!(
            check(Subject::Tenant(Uuid::new_v4()), 3).admitted(),
            "another subject has its own bucket"
        );
    }

    #[test]
    fn a_new_limit_gets_a_fresh_bucket_and_zero_admits_nothing() {
        let subject = Subject::Tenant(Uuid::new_v4());
        assert!(check(subject, 1).admitted());
        assert!(!check(subject, 1).admitted());
        assert!(
            check(subject, 100).admitted(),
            "an override lifts it at once"
        );
        assert_eq!(check(subject, 0).retry_after_seconds, Some(60));
    }

    #[test]
    fn the_tighter_answer_wins() {
        let subject = Subject::Vendor(Uuid::nil());
        let a = Verdict {
            subject,
            limit: 10,
            remaining: 5,
            reset_seconds: 30,
            retry_after_seconds: None,
        };
        let b = Verdict { remaining: 2, ..a };
        let refused = Verdict {
            remaining: 0,
            retry_after_seconds: Some(3),
            ..a
        };
        assert_eq!(a.tighter(b), b);
        assert_eq!(b.tighter(refused), refused);
    }
}
