//! The durable job engine: work to do is a row in `jobs`, never a task in
//! memory, so a crash or restart loses nothing.
//!
//! - `enqueue` is keyed: the same idempotency key twice is one job.
//! - `claim` hands due jobs to one worker under a lease (PostgreSQL:
//!   `FOR UPDATE SKIP LOCKED`, so replicas never take the same row; SQLite has
//!   one writer, so its single `UPDATE … RETURNING` is the claim). A job whose
//!   lease ran out (its worker died) is due again and is reclaimed.
//! - Every claim is fenced by (owner, attempt): a worker that lost its lease
//!   cannot complete or fail the job any more.
//! - Failures retry with exponential backoff and jitter until `max_attempts`,
//!   then the job is dead and waits for a person (retry or cancel).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, prelude::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::backend::entities::job;
use crate::backend::error::{ServiceError, ServiceResult};
use crate::domain::platform::job::JobStatus;

/// Work to enqueue.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub kind: &'static str,
    pub payload: Value,
    pub key: String,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

/// A job this worker holds the lease on.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub key: String,
    /// 1 on the first try; also the fencing token of this claim.
    pub attempt: i32,
    pub max_attempts: i32,
    pub owner: String,
}

/// Adds a job unless one with the same key exists. Returns whether it was new.
/// Takes any connection, so callers enqueue in the transaction that made the
/// work necessary (the job exists exactly when that change committed).
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    spec: JobSpec,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let sql = "INSERT INTO jobs (id, kind, payload, idempotency_key, status, attempts, max_attempts, run_at, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $7) ON CONFLICT (idempotency_key) DO NOTHING";
    let result = conn
        .execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            [
                Uuid::new_v4().into(),
                spec.kind.into(),
                spec.payload.to_string().into(),
                spec.key.into(),
                spec.max_attempts.into(),
                spec.run_at.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Takes up to `limit` due jobs (queued or retrying with `run_at` passed, or
/// running with an expired lease) for `owner` until `now + lease`.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    lease: Duration,
    limit: u64,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<ClaimedJob>> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
             WHERE (status IN ('queued', 'retrying') AND run_at <= $3) OR (status = 'running' AND lease_until < $3) \
             ORDER BY run_at LIMIT $4 {lock}) \
         RETURNING id, kind, payload, idempotency_key, attempts, max_attempts, run_at"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                owner.into(),
                (now + lease).into(),
                now.into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let payload: String = row.try_get("", "payload")?;
        let kind: String = row.try_get("", "kind")?;
        let due: DateTime<Utc> = row.try_get("", "run_at")?;
        crate::backend::metrics::job_claimed(&kind, now - due);
        claimed.push(ClaimedJob {
            id: row.try_get("", "id")?,
            kind,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
            key: row.try_get("", "idempotency_key")?,
            attempt: row.try_get("", "attempts")?,
            max_attempts: row.try_get("", "max_attempts")?,
            owner: owner.to_owned(),
        });
    }
    Ok(claimed)
}

/// Extends the lease of a job still held; false when it was lost.
pub async fn renew(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    lease: Duration,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(now + lease))
        .filter(held(job))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

fn held(job: &ClaimedJob) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(job::Column::Id.eq(job.id))
        .add(job::Column::Status.eq(JobStatus::Running))
        .add(job::Column::LeaseOwner.eq(job.owner.clone()))
        .add(job::Column::Attempts.eq(job.attempt))
}

/// Marks a held job done. False (and nothing written) when the lease was lost
/// or the job was cancelled meanwhile: the caller's transaction must then roll
/// back its own effects. The lease owner stays on the row: it says which
/// worker ran the job.
pub async fn complete<C: ConnectionTrait>(
    conn: &C,
    job: &ClaimedJob,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Succeeded))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(held(job))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// What became of a failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Fate {
    RetryAt(DateTime<Utc>),
    Dead,
    /// The lease was lost (or the job cancelled): someone else owns it now.
    NotHeld,
}

/// Records a failed attempt: retry after a backoff, or dead after the last one.
pub async fn fail<C: ConnectionTrait>(
    conn: &C,
    job: &ClaimedJob,
    error: &str,
    backoff: &Backoff,
    now: DateTime<Utc>,
) -> ServiceResult<Fate> {
    let fate = if job.attempt >= job.max_attempts {
        Fate::Dead
    } else {
        Fate::RetryAt(now + backoff.delay(job.attempt, rand::random::<f64>()))
    };
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(truncate(error)))
        .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now));
    update = match &fate {
        Fate::RetryAt(at) => update
            .col_expr(job::Column::Status, Expr::value(JobStatus::Retrying))
            .col_expr(job::Column::RunAt, Expr::value(*at)),
        _ => update
            .col_expr(job::Column::Status, Expr::value(JobStatus::Dead))
            .col_expr(job::Column::FinishedAt, Expr::value(now)),
    };
    let result = update.filter(held(job)).exec(conn).await?;
    Ok(if result.rows_affected == 1 {
        fate
    } else {
        Fate::NotHeld
    })
}

fn truncate(error: &str) -> String {
    error.chars().take(2000).collect()
}

/// Exponential backoff with jitter: `base · 2^(attempt-1)`, capped, then
/// scaled into [50 %, 100 %] by the jitter draw so that jobs failing together
/// do not retry together.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::seconds(2),
            cap: Duration::minutes(10),
        }
    }
}

impl Backoff {
    /// `draw` is uniform in [0, 1).
    pub fn delay(&self, attempt: i32, draw: f64) -> Duration {
        let exponent = attempt.clamp(1, 30) - 1;
        let full = self
            .base
            .num_milliseconds()
            .saturating_mul(1_i64 << exponent)
            .min(self.cap.num_milliseconds());
        let jittered = full as f64 * (0.5 + 0.5 * draw.clamp(0.0, 1.0));
        Duration::milliseconds(jittered.round() as i64)
    }
}

/// Puts a dead, retrying or cancelled job back in the queue now, with a fresh
/// set of attempts. A running or finished job is refused.
pub async fn retry<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<job::Model> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Queued))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in(JobStatus::RETRYABLE))
        .exec(conn)
        .await?;
    refused_unless(
        conn,
        id,
        result.rows_affected,
        "Only dead, retrying or cancelled jobs can be retried.",
    )
    .await
}

/// Cancels a job that has not finished. A running job's worker is fenced
/// out: its result is discarded when it reports.
pub async fn cancel<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<job::Model> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Cancelled))
        .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Status.is_in(JobStatus::CANCELLABLE))
        .exec(conn)
        .await?;
    refused_unless(
        conn,
        id,
        result.rows_affected,
        "This job has already finished.",
    )
    .await
}

async fn refused_unless<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    changed: u64,
    refusal: &str,
) -> ServiceResult<job::Model> {
    let found = job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if changed == 1 {
        Ok(found)
    } else {
        Err(ServiceError::Conflict(refusal.to_owned()))
    }
}

/// Queue figures for the Jobs page (and, later, Prometheus gauges).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Due now and waiting for a worker.
    pub due: u64,
    /// Queued for later (scheduled or backing off).
    pub waiting: u64,
    pub running: u64,
    pub retrying: u64,
    pub dead: u64,
    pub succeeded: u64,
    pub cancelled: u64,
}

pub async fn stats<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> ServiceResult<QueueStats> {
    let by_status: Vec<(JobStatus, i64)> = job::Entity::find()
        .select_only()
        .column(job::Column::Status)
        .column_as(job::Column::Id.count(), "n")
        .group_by(job::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let due = job::Entity::find()
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Retrying]))
        .filter(job::Column::RunAt.lte(now))
        .count(conn)
        .await?;
    let mut stats = QueueStats {
        due,
        ..Default::default()
    };
    for (status, n) in by_status {
        let n = n as u64;
        match status {
            JobStatus::Queued => stats.waiting += n,
            JobStatus::Retrying => stats.retrying += n,
            JobStatus::Running => stats.running = n,
            JobStatus::Dead => stats.dead = n,
            JobStatus::Succeeded => stats.succeeded = n,
            JobStatus::Cancelled => stats.cancelled = n,
        }
    }
    // `waiting` counts queued jobs not yet due; due retrying jobs are in both
    // `due` and `retrying`, which is what an operator expects to read.
    stats.waiting = stats.waiting.saturating_sub(
        job::Entity::find()
            .filter(job::Column::Status.eq(JobStatus::Queued))
            .filter(job::Column::RunAt.lte(now))
            .count(conn)
            .await?,
    );
    Ok(stats)
}

/// Whether a queued or retrying job falls due within `horizon` from now.
pub async fn next_due_within<C: ConnectionTrait>(
    conn: &C,
    horizon: Duration,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    Ok(job::Entity::find()
        .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Retrying]))
        .filter(job::Column::RunAt.lte(now + horizon))
        .count(conn)
        .await?
        > 0)
}

/// One page of jobs, newest first, optionally of one status.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    status: Option<JobStatus>,
    page: u64,
    per_page: u64,
) -> ServiceResult<(Vec<job::Model>, u64)> {
    let mut query = job::Entity::find();
    if let Some(status) = status {
        query = query.filter(job::Column::Status.eq(status));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(job::Column::UpdatedAt)
        .order_by_desc(job::Column::Id)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// The handlers a worker runs, by job kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    /// Does the job's work. It must be idempotent: after a crash the same job
    /// runs again (same key), and must finish what is left, not redo it.
    async fn run(&self, job: &ClaimedJob) -> Result<(), String>;

    /// The last attempt failed: record the failure in the domain (in the
    /// same transaction that marks the job dead).
    async fn on_dead(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        job: &ClaimedJob,
        error: &str,
    ) -> ServiceResult<()>;
}

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub owner: String,
    pub lease: Duration,
    pub concurrency: usize,
    pub poll: std::time::Duration,
    pub backoff: Backoff,
    /// The scheduler's and the claims' time.
    pub clock: std::sync::Arc<dyn crate::backend::context::Clock>,
}

impl WorkerSettings {
    pub fn new(owner: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            lease: Duration::seconds(30),
            concurrency: 8,
            poll: std::time::Duration::from_millis(500),
            backoff: Backoff::default(),
            clock: std::sync::Arc::new(crate::backend::context::SystemClock),
        }
    }
}

/// Runs one claimed job to its end: keeps its lease alive while the handler
/// works, then completes or fails it. A worker that cannot renew its lease
/// in time stops the handler (the in-flight step is aborted: a command
/// executor's process is killed) before another worker may reclaim the
/// job, so no step runs twice at once; a stale result is never committed.
pub async fn run_claimed<H: JobHandler + ?Sized>(
    db: &DatabaseConnection,
    handler: &H,
    job: ClaimedJob,
    settings: &WorkerSettings,
) -> ServiceResult<()> {
    use tracing::Instrument;
    use tracing::field::Empty;
    // Every line of the job carries its id and, once the handler knows them,
    // the correlation id, tenant and change (`log_context`).
    let span = crate::work_span!(
        "job",
        job = %job.id,
        kind = %job.kind,
        attempt = job.attempt,
        correlation_id = Empty,
    );
    run_claimed_in_span(db, handler, job, settings)
        .instrument(span)
        .await
}

async fn run_claimed_in_span<H: JobHandler + ?Sized>(
    db: &DatabaseConnection,
    handler: &H,
    job: ClaimedJob,
    settings: &WorkerSettings,
) -> ServiceResult<()> {
    use crate::backend::metrics::{JobOutcome, job_finished};
    let started = std::time::Instant::now();
    let outcome = tokio::select! {
        outcome = handler.run(&job) => outcome,
        lost = watch_lease(db, &job, settings) => {
            tracing::warn!(job = %job.id, kind = %job.kind, reason = %lost, "lease lost: the step was stopped and its result discarded");
            job_finished(&job.kind, JobOutcome::LeaseLost, started.elapsed());
            return Ok(());
        }
    };
    let ended = match outcome {
        Ok(()) => {
            if complete(db, &job, settings.clock.now()).await? {
                JobOutcome::Succeeded
            } else {
                JobOutcome::LeaseLost
            }
        }
        Err(error) => {
            let txn = db.begin().await?;
            let fate = fail(&txn, &job, &error, &settings.backoff, settings.clock.now()).await?;
            if fate == Fate::Dead {
                handler.on_dead(&txn, &job, &error).await?;
            }
            txn.commit().await?;
            match fate {
                Fate::Dead => JobOutcome::Dead,
                Fate::RetryAt(_) => JobOutcome::Retrying,
                Fate::NotHeld => JobOutcome::LeaseLost,
            }
        }
    };
    job_finished(&job.kind, ended, started.elapsed());
    tracing::info!(outcome = ?ended, took_ms = started.elapsed().as_millis() as u64, "job run ended");
    Ok(())
}

/// Renews the lease every third of its length and returns (why) once it is
/// lost: taken by someone else, or not renewed before a safety margin
/// ahead of its expiry (a renewal blocked by the database counts as lost).
async fn watch_lease(
    db: &DatabaseConnection,
    job: &ClaimedJob,
    settings: &WorkerSettings,
) -> String {
    let lease = settings.lease;
    let lease_std = lease.to_std().unwrap_or(std::time::Duration::from_secs(30));
    let every = (lease_std / 3).max(std::time::Duration::from_millis(100));
    // Stop a quarter of the lease before it runs out, so the step is dead
    // before anyone else may claim the job.
    let margin = lease_std / 4;
    let mut valid_until = tokio::time::Instant::now() + lease_std;
    loop {
        tokio::time::sleep(every).await;
        let give_up_at = valid_until - margin;
        let now = tokio::time::Instant::now();
        if now >= give_up_at {
            return "the lease could not be renewed in time".into();
        }
        let asked_at = now;
        match tokio::time::timeout(
            give_up_at - now,
            renew(db, job, lease, settings.clock.now()),
        )
        .await
        {
            Ok(Ok(true)) => valid_until = asked_at + lease_std,
            Ok(Ok(false)) => return "another worker holds the job now".into(),
            Ok(Err(err)) => {
                tracing::warn!(job = %job.id, error = %err, "lease renewal failed; retrying")
            }
            Err(_) => return "the lease renewal did not finish in time".into(),
        }
    }
}

/// Inside a transaction that commits a job's effects: true when this
/// worker still holds the job. The write locks the job's row until the
/// transaction ends, so nobody can reclaim it in between; false means the
/// effects must be rolled back.
pub async fn fence<C: ConnectionTrait>(
    conn: &C,
    job: &ClaimedJob,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(held(job))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
