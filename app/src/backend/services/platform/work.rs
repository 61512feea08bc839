//! The worker every replica runs: it starts scheduled changes when their
//! window opens, advances rollouts, and executes claimed jobs through the
//! configured executor. All of its state is in the database.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tokio::task::JoinSet;

use crate::backend::context::{Clock, SystemClock};
use crate::backend::error::ServiceResult;
use crate::backend::executor::{Executor, Immediate};
use crate::backend::jobs::{self, ClaimedJob, JobHandler, WorkerSettings};
use crate::backend::services::{changes, deployments, rollouts};

/// Runs change-request jobs with one executor.
pub struct ChangeRunner {
    pub db: DatabaseConnection,
    pub executor: Arc<dyn Executor>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl JobHandler for ChangeRunner {
    async fn run(&self, job: &ClaimedJob) -> Result<(), String> {
        match job.kind.as_str() {
            changes::EXECUTE_JOB => {
                changes::execute(&self.db, self.clock.as_ref(), self.executor.as_ref(), job).await
            }
            changes::ROLLBACK_JOB => {
                changes::roll_back(&self.db, self.clock.as_ref(), self.executor.as_ref(), job).await
            }
            deployments::SWITCH_JOB => {
                deployments::run_switch(&self.db, self.executor.as_ref(), job, self.clock.as_ref())
                    .await
            }
            other => Err(format!("no handler for job kind '{other}'")),
        }
    }

    async fn on_dead(
        &self,
        txn: &DatabaseTransaction,
        job: &ClaimedJob,
        error: &str,
    ) -> ServiceResult<()> {
        match job.kind.as_str() {
            changes::EXECUTE_JOB => changes::fail_for_good(txn, job, error, self.clock.now()).await,
            changes::ROLLBACK_JOB => {
                changes::rollback_failed_for_good(txn, job, error, self.clock.now()).await
            }
            deployments::SWITCH_JOB => {
                deployments::fail_for_good(txn, job, error, self.clock.now()).await
            }
            _ => Ok(()),
        }
    }
}

/// One round of the scheduler: start due changes and advance rollouts.
pub async fn schedule_round(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<()> {
    changes::dispatch_due(db, now).await?;
    rollouts::advance_all(db, now).await?;
    Ok(())
}

/// Runs scheduler rounds and due jobs until nothing is left to do in the
/// next two seconds (for tests, the CLI and the demo seed). Returns how many jobs ran.
pub async fn run_until_idle<H: JobHandler + ?Sized>(
    db: &DatabaseConnection,
    handler: &H,
    settings: &WorkerSettings,
) -> ServiceResult<usize> {
    let mut ran = 0;
    loop {
        schedule_round(db, settings.clock.now()).await?;
        let claimed = jobs::claim(
            db,
            &settings.owner,
            settings.lease,
            50,
            settings.clock.now(),
        )
        .await?;
        if claimed.is_empty() {
            // Retries backing off for a moment are still "now" for a caller
            // that wants everything finished.
            if jobs::next_due_within(db, chrono::Duration::seconds(2), settings.clock.now()).await?
            {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
            return Ok(ran);
        }
        for job in claimed {
            jobs::run_claimed(db, handler, job, settings).await?;
            ran += 1;
        }
    }
}

/// Runs everything due now with the [`Immediate`] executor (demo seed, CLI
/// tools and tests that need changes landed without waiting).
pub async fn finish_immediately(db: &DatabaseConnection) -> ServiceResult<usize> {
    let runner = ChangeRunner {
        db: db.clone(),
        executor: Arc::new(Immediate),
        clock: Arc::new(SystemClock),
    };
    run_until_idle(db, &runner, &WorkerSettings::new("immediate")).await
}

/// The long-running worker: up to `concurrency` jobs at once, polling for
/// more every `poll`, with a scheduler round each time.
pub fn spawn_worker(
    db: DatabaseConnection,
    handler: Arc<dyn JobHandler>,
    settings: WorkerSettings,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut running: JoinSet<()> = JoinSet::new();
        loop {
            while running.try_join_next().is_some() {}
            if let Err(err) = schedule_round(&db, settings.clock.now()).await {
                tracing::warn!(error = %err, "scheduler round failed; will retry");
            }
            let free = settings.concurrency.saturating_sub(running.len());
            let mut claimed_any = false;
            if free > 0 {
                match jobs::claim(
                    &db,
                    &settings.owner,
                    settings.lease,
                    free as u64,
                    settings.clock.now(),
                )
                .await
                {
                    Ok(claimed) => {
                        claimed_any = !claimed.is_empty();
                        for job in claimed {
                            let (db, handler, settings) =
                                (db.clone(), handler.clone(), settings.clone());
                            running.spawn(async move {
                                let id = job.id;
                                if let Err(err) =
                                    jobs::run_claimed(&db, handler.as_ref(), job, &settings).await
                                {
                                    tracing::warn!(job = %id, error = %err, "job bookkeeping failed; its lease will expire and it will be retried");
                                }
                            });
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "claiming jobs failed; will retry"),
                }
            }
            // Busy: look again soon, and at once when a job finishes (its
            // rollout may have the next target ready). Idle: poll.
            let wait = if claimed_any {
                std::time::Duration::from_millis(10)
            } else {
                settings.poll
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
    })
}
