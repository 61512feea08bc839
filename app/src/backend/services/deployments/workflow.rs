//! Running a switch as a durable job: prepare the idle slot, validate it
//! against the health baseline, shift traffic in baked and monitored steps,
//! and complete or roll back.

use super::*;

mod finish;
mod shift;
mod validate;

pub use finish::*;
pub(super) use shift::*;
pub(super) use validate::*;

// ------------------------------------------------------------------ the workflow

/// What this run of the workflow knows that the database does not: the last
/// router reading, and whether the current step was judged healthy since the
/// run started (a restarted run judges afresh before advancing).
#[derive(Default)]
pub(super) struct Monitor {
    applied_step: Option<i32>,
    last: Option<Readings>,
    judged_healthy: bool,
    noted_waiting: bool,
}

/// Runs a switch's workflow until it pauses, completes or ends.
pub async fn run_switch(
    db: &DatabaseConnection,
    executor: &dyn Executor,
    job: &ClaimedJob,
    clock: &dyn Clock,
) -> Result<(), String> {
    let order: SwitchJob =
        serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    let mut monitor = Monitor::default();
    loop {
        let s = deployment_switch::Entity::find_by_id(order.switch_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the switch is gone")?;
        if s.generation != order.generation {
            return Ok(()); // a resume started a newer run
        }
        let d = edge_deployment::Entity::find_by_id(s.deployment_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the deployment is gone")?;
        let outcome = match s.status {
            SwitchStatus::Preparing => prepare(db, executor, job, &s, &d, clock).await,
            SwitchStatus::Validating => validate(db, executor, &s, &d, clock).await,
            SwitchStatus::Shifting => shift(db, executor, job, &s, &d, &mut monitor, clock).await,
            _ => return Ok(()),
        };
        outcome.map_err(|e| e.to_string())?;
    }
}

/// The switch as it is now, under its lock, if it is still where the
/// workflow left it (same status, step and generation). A person may have
/// paused, promoted or rolled it back meanwhile: then the workflow stands
/// aside.
pub(super) async fn still(
    txn: &DatabaseTransaction,
    seen: &deployment_switch::Model,
) -> ServiceResult<Option<(deployment_switch::Model, edge_deployment::Model)>> {
    let d = lock_deployment(txn, seen.deployment_id).await?;
    let s = lock_switch(txn, seen.id).await?;
    let unchanged = s.status == seen.status
        && s.step_index == seen.step_index
        && s.generation == seen.generation;
    Ok(unchanged.then_some((s, d)))
}
