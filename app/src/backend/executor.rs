//! Executors do the actual work of a change request, one step at a time,
//! behind one trait: the simulator (demos and tests) and the command executor
//! (a configured command line such as an Ansible playbook). Every step carries
//! an idempotency key; an executor that is handed the same key again is being
//! asked to finish the same step, not to start a new one.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// One step to carry out.
#[derive(Clone, Debug)]
pub struct StepOrder {
    pub key: String,
    pub tenant_slug: String,
    pub tenant_labels: Vec<String>,
    pub kind: String,
    pub step: String,
    pub target_version: Option<String>,
    pub attempt: i32,
    /// The step undoes a failed update (the `rollback` phase).
    pub rollback: bool,
    /// The change's correlation id (the request that created it), for the
    /// executor's own logs.
    pub correlation_id: String,
    /// Where the tenant (or the slot being prepared) answers, when known:
    /// what a health suite tests and a deploy step may need.
    pub address: Option<String>,
    /// A restore's data snapshot reference (from its backup), handed only to
    /// the step that restores the data.
    pub data_snapshot: Option<String>,
    /// A secret rotation's value, handed only to the step that sets it (the
    /// new value) or puts it back (the previous one).
    pub secret: Option<StepSecret>,
    /// A migration's target region and isolation mode, handed to each of its
    /// steps (and the steps that tear the target down again).
    pub placement: Option<crate::domain::tenants::migration::Placement>,
}

/// A secret for one step: the configuration key it is stored under and its
/// value. Never printed: its `Debug` shows the name only.
#[derive(Clone, PartialEq, Eq)]
pub struct StepSecret {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for StepSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepSecret")
            .field("name", &self.name)
            .field("value", &"••••••")
            .finish()
    }
}

impl StepOrder {
    /// A migration's target region, or where a restore test's scratch
    /// target goes ("" for other changes).
    pub fn target_region(&self) -> &str {
        self.placement.as_ref().map_or("", |p| p.region.as_str())
    }

    /// A migration's target isolation mode ("" for other changes).
    pub fn target_isolation(&self) -> &str {
        self.placement.as_ref().map_or("", |p| p.isolation.as_str())
    }

    /// `apply` or `rollback`, for executors that branch on it.
    pub fn phase(&self) -> &'static str {
        if self.rollback { "rollback" } else { "apply" }
    }
}

#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    fn name(&self) -> &'static str;
    /// Carries out the step; `Ok` holds its output for the step log, `Err` the
    /// reason it failed (also logged).
    async fn run_step(&self, order: &StepOrder) -> Result<String, String>;
}

/// Does every step at once and succeeds: for the demo seed, which walks
/// tenants along their lifecycle without waiting.
pub struct Immediate;

#[async_trait::async_trait]
impl Executor for Immediate {
    fn name(&self) -> &'static str {
        "immediate"
    }

    async fn run_step(&self, order: &StepOrder) -> Result<String, String> {
        Ok(format!("{} done{}", order.step, simulated_snapshot(order)))
    }
}

/// A tenant label that makes the simulator fail every step of that tenant's
/// upgrades and patches (for demos of a rollout stopping on its error
/// threshold); the tenant can still be provisioned and operated.
pub const SIMULATED_FAILURE_LABEL: &str = "simulate-failure";

/// Pretends to do the work: waits `step_duration`, fails a share of steps,
/// and keeps a ledger (`executor_runs`) of what it was asked, so tests can
/// count executions at the executor.
pub struct Simulator {
    db: DatabaseConnection,
    pub step_duration: Duration,
    /// 0.0 ..= 1.0; drawn per step and attempt, so a retry may succeed.
    pub failure_rate: f64,
}

impl Simulator {
    pub fn new(db: DatabaseConnection, step_duration: Duration, failure_rate: f64) -> Self {
        Self {
            db,
            step_duration,
            failure_rate: failure_rate.clamp(0.0, 1.0),
        }
    }

    /// Records a delivery of `key`: the first is an execution, later ones are
    /// redeliveries of the same step (after a crash or lease loss).
    async fn record(&self, key: &str) -> Result<(), String> {
        let backend = self.db.get_database_backend();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO executor_runs (idempotency_key, executions, deliveries, first_run_at) VALUES ($1, 1, 1, $2) \
                 ON CONFLICT (idempotency_key) DO UPDATE SET deliveries = executor_runs.deliveries + 1",
                [key.into(), Utc::now().into()],
            ))
            .await
            .map_err(|e| format!("simulator ledger: {e}"))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Executor for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    async fn run_step(&self, order: &StepOrder) -> Result<String, String> {
        self.record(&order.key).await?;
        tokio::time::sleep(self.step_duration).await;
        // A labelled tenant's update fails; undoing it works, so demos end
        // rolled back rather than broken.
        let is_update = matches!(order.kind.as_str(), "upgrade" | "patch") && !order.rollback;
        if is_update
            && order
                .tenant_labels
                .iter()
                .any(|l| l == SIMULATED_FAILURE_LABEL)
        {
            return Err(format!(
                "simulator: {} failed on {} (tenant labelled {SIMULATED_FAILURE_LABEL})",
                order.step, order.tenant_slug
            ));
        }
        if draw(&format!("{}#{}", order.key, order.attempt)) < self.failure_rate {
            return Err(format!(
                "simulator: {} failed on {} (simulated failure rate {:.0} %)",
                order.step,
                order.tenant_slug,
                self.failure_rate * 100.0
            ));
        }
        Ok(format!(
            "simulator: {} on {} done in {} ms{}",
            order.step,
            order.tenant_slug,
            self.step_duration.as_millis(),
            simulated_snapshot(order)
        ))
    }
}

/// What a pretend executor reports of the data snapshot a backup step took
/// (a reference naming the step, so each backup has its own), or of the one
/// a restore step was handed.
fn simulated_snapshot(order: &StepOrder) -> String {
    match (
        order.kind.as_str(),
        order.step.as_str(),
        &order.data_snapshot,
    ) {
        ("backup", "Backup", _) | ("migrate", "Back up the tenant", _) => format!(
            "\n{} simulated://{}/{}",
            crate::domain::tenants::backup::SNAPSHOT_LINE,
            order.tenant_slug,
            order.key.replace(':', "-")
        ),
        ("restore", "Restore", Some(reference)) => format!("\nrestored the data of {reference}"),
        ("restore_test", "Restore the backup into the scratch target", Some(reference)) => {
            format!(
                "\nrestored the data of {reference} into a scratch target in {}",
                order.target_region()
            )
        }
        ("migrate", "Migrate the data", Some(reference)) => format!(
            "\nmoved the data of {reference} to {} ({})",
            order.target_region(),
            order.target_isolation()
        ),
        _ => String::new(),
    }
}

/// A stable draw in [0, 1) from a string, so a given step and attempt always
/// fails or succeeds the same way (reproducible demos and tests).
fn draw(seed: &str) -> f64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs a configured command line per step, e.g.
/// `ansible-playbook -i {tenant}, upgrade.yml -e version={version} -e step={step}`.
/// The template is split on whitespace into arguments and placeholders are
/// replaced inside each argument; no shell is involved, so values can never
/// be read as shell syntax. Output (stdout then stderr) goes to the step log.
pub struct CommandExecutor {
    pub template: Vec<String>,
    pub timeout: Duration,
}

/// Most of a command's output kept in the step log.
const OUTPUT_LIMIT: usize = 64 * 1024;

impl CommandExecutor {
    pub fn new(template: &str, timeout: Duration) -> Result<Self, String> {
        let template: Vec<String> = template.split_whitespace().map(str::to_owned).collect();
        if template.is_empty() {
            return Err("the command template is empty".into());
        }
        Ok(Self { template, timeout })
    }

    fn arguments(&self, order: &StepOrder) -> Vec<String> {
        self.template
            .iter()
            .map(|arg| {
                arg.replace("{tenant}", &order.tenant_slug)
                    .replace("{inventory}", &order.tenant_slug)
                    .replace("{kind}", &order.kind)
                    .replace("{step}", &order.step)
                    .replace("{version}", order.target_version.as_deref().unwrap_or(""))
                    .replace("{key}", &order.key)
                    .replace("{attempt}", &order.attempt.to_string())
                    .replace("{phase}", order.phase())
                    .replace("{correlation}", &order.correlation_id)
                    .replace("{address}", order.address.as_deref().unwrap_or(""))
                    .replace("{snapshot}", order.data_snapshot.as_deref().unwrap_or(""))
                    .replace("{region}", order.target_region())
                    .replace("{isolation}", order.target_isolation())
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Executor for CommandExecutor {
    fn name(&self) -> &'static str {
        "command"
    }

    async fn run_step(&self, order: &StepOrder) -> Result<String, String> {
        let args = self.arguments(order);
        let mut command = tokio::process::Command::new(&args[0]);
        command
            .args(&args[1..])
            .env("TENANTRY_IDEMPOTENCY_KEY", &order.key)
            .env("TENANTRY_PHASE", order.phase())
            .env("TENANTRY_CORRELATION_ID", &order.correlation_id)
            .env("TENANTRY_ADDRESS", order.address.as_deref().unwrap_or(""))
            .env(
                "TENANTRY_SNAPSHOT",
                order.data_snapshot.as_deref().unwrap_or(""),
            )
            .env("TENANTRY_TARGET_REGION", order.target_region())
            .env("TENANTRY_TARGET_ISOLATION", order.target_isolation())
            // A secret goes in the environment, never the arguments (which
            // any local user can read in the process list).
            .env(
                "TENANTRY_SECRET_NAME",
                order.secret.as_ref().map_or("", |s| s.name.as_str()),
            )
            .env(
                "TENANTRY_SECRET_VALUE",
                order.secret.as_ref().map_or("", |s| s.value.as_str()),
            )
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let run = command.output();
        let output = match tokio::time::timeout(self.timeout, run).await {
            Err(_) => {
                return Err(format!(
                    "{} timed out after {} s and was stopped",
                    args[0],
                    self.timeout.as_secs()
                ));
            }
            Ok(Err(e)) => return Err(format!("cannot start {}: {e}", args[0])),
            Ok(Ok(output)) => output,
        };
        let mut log = String::from_utf8_lossy(&output.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&output.stderr));
        if log.len() > OUTPUT_LIMIT {
            let mut cut = OUTPUT_LIMIT;
            while !log.is_char_boundary(cut) {
                cut -= 1;
            }
            log.truncate(cut);
            log.push_str("\n… (output truncated)");
        }
        if output.status.success() {
            Ok(log)
        } else {
            Err(format!("{} exited with {}\n{log}", args[0], output.status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> StepOrder {
        StepOrder {
            key: "change:1:step:2".into(),
            tenant_slug: "acme".into(),
            tenant_labels: vec![],
            kind: "upgrade".into(),
            step: "deploy".into(),
            target_version: Some("2.1.0".into()),
            attempt: 1,
            rollback: false,
            correlation_id: "req-1".into(),
            address: Some("https://acme.example".into()),
            data_snapshot: None,
            secret: None,
            placement: None,
        }
    }

    #[test]
    fn command_placeholders_are_replaced_inside_each_argument() {
        let executor = CommandExecutor::new(
            "deploy -i {inventory}, -e version={version} {step} {phase} {correlation} {address}",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            executor.arguments(&order()),
            [
                "deploy",
                "-i",
                "acme,",
                "-e",
                "version=2.1.0",
                "deploy",
                "apply",
                "req-1",
                "https://acme.example"
            ]
        );
    }

    #[test]
    fn an_empty_template_is_refused() {
        assert!(CommandExecutor::new("  ", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn the_failure_draw_is_stable_and_spread() {
        assert_eq!(draw("a"), draw("a"));
        let below_half = (0..1000).filter(|i| draw(&i.to_string()) < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }

    #[tokio::test]
    async fn a_command_runs_with_its_output_captured_and_a_failure_reported() {
        let ok = CommandExecutor::new(
            "echo upgrading {tenant} to {version}",
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            ok.run_step(&order()).await.unwrap(),
            "upgrading acme to 2.1.0\n"
        );
        let failing = CommandExecutor::new("false", Duration::from_secs(5)).unwrap();
        assert!(
            failing
                .run_step(&order())
                .await
                .unwrap_err()
                .contains("exited with")
        );
    }

    #[tokio::test]
    async fn a_real_script_gets_its_arguments_and_idempotency_key_and_its_output_is_logged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tenantry-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("upgrade.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\necho \"upgrading $1 to $2 ($TENANTRY_IDEMPOTENCY_KEY)\"\necho 'warning: slow mirror' >&2\n[ \"$3\" = deploy ] || exit 3\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let template = format!("{} {{tenant}} {{version}} {{step}}", script.display());
        let executor = CommandExecutor::new(&template, Duration::from_secs(5)).unwrap();
        assert_eq!(
            executor.run_step(&order()).await.unwrap(),
            "upgrading acme to 2.1.0 (change:1:step:2)\nwarning: slow mirror\n"
        );
        let other_step = StepOrder {
            step: "verify".into(),
            ..order()
        };
        let failed = executor.run_step(&other_step).await.unwrap_err();
        assert!(
            failed.contains("exit status: 3") && failed.contains("slow mirror"),
            "{failed}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_command_over_its_timeout_is_stopped() {
        let slow = CommandExecutor::new("sleep 5", Duration::from_millis(200)).unwrap();
        let started = std::time::Instant::now();
        let err = slow.run_step(&order()).await.unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
