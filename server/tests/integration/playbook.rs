//! The executor the integration tests run changes through: a real command
//! script standing in for an Ansible playbook. It keeps ledgers of what it
//! was asked (`tenant|kind|step|phase`, with the data snapshot and the
//! secret it was handed, and the correlation id), reports a data snapshot
//! from a backup's `Backup` step as the executor protocol asks
//! (`snapshot: <ref>`), and fails the steps listed as `step|phase` lines.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use app::backend::context::{Clock, ManualClock, SystemClock};
use app::backend::executor::CommandExecutor;
use app::backend::jobs::{Backoff, WorkerSettings};
use app::backend::services::platform::work;

pub(crate) struct Playbook {
    dir: std::path::PathBuf,
}

impl Playbook {
    pub(crate) fn new(fail_on: &[&str]) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tenantry-playbook-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let playbook = Self { dir };
        playbook.fail_on(fail_on);
        playbook.slow_on(&[]);
        let dir = playbook.dir.display();
        let script = playbook.dir.join("playbook.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 echo \"$1|$2|$3|$4\" >> {dir}/ledger\n\
                 echo \"$1|$2|$3|$4|$TENANTRY_SNAPSHOT\" >> {dir}/snapshots\n\
                 echo \"$1|$2|$3|$4|$TENANTRY_SECRET_NAME|$TENANTRY_SECRET_VALUE\" >> {dir}/received\n\
                 echo \"$1|$TENANTRY_CORRELATION_ID\" >> {dir}/correlations\n\
                 echo \"$1|$2|$3|$4|$TENANTRY_TARGET_REGION|$TENANTRY_TARGET_ISOLATION|$TENANTRY_ADDRESS\" >> {dir}/placements\n\
                 echo \"$1|$3|$4|$TENANTRY_IDEMPOTENCY_KEY\" >> {dir}/keys\n\
                 echo \"ran $3 on $1 ($4)\"\n\
                 case \"$2|$3|$4\" in \"backup|Backup|apply\"|\"migrate|Back up the tenant|apply\") echo \"snapshot: file:///snapshots/$1/$(date +%s%N)\";; esac\n\
                 if {{ [ \"$3|$4\" = \"Prepare the target placement|apply\" ] || [ \"$3|$4\" = \"Prepare a scratch target|apply\" ]; }} && [ -f {dir}/address ]; then echo \"address: $(cat {dir}/address)\"; fi\n\
                 if grep -qxF \"$3|$4\" {dir}/slow-on; then sleep 60; fi\n\
                 if grep -qxF \"$3|$4\" {dir}/fail-on; then echo \"$3 failed\" >&2; exit 2; fi\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        playbook
    }

    /// From now on, fails the steps listed (`step|phase` lines).
    pub(crate) fn fail_on(&self, lines: &[&str]) {
        std::fs::write(self.dir.join("fail-on"), lines.join("\n") + "\n").unwrap();
    }

    /// From now on, the steps listed (`step|phase` lines) hang for a minute
    /// after they were recorded as asked: a crash can be staged mid-step.
    pub(crate) fn slow_on(&self, lines: &[&str]) {
        std::fs::write(self.dir.join("slow-on"), lines.join("\n") + "\n").unwrap();
    }

    /// From now on, a migration's (or restore test's) prepare step reports
    /// its target at `url` (`address: <url>`, the executor protocol).
    pub(crate) fn report_address(&self, url: &str) {
        std::fs::write(self.dir.join("address"), url).unwrap();
    }

    /// The command template a server runs this playbook with
    /// (`TENANTRY_EXECUTOR=command`).
    pub(crate) fn template(&self) -> String {
        format!(
            "{} {{tenant}} {{kind}} {{step}} {{phase}}",
            self.dir.join("playbook.sh").display()
        )
    }

    pub(crate) fn runner(
        &self,
        db: &DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> work::ChangeRunner {
        let template = self.template();
        work::ChangeRunner {
            db: db.clone(),
            executor: Arc::new(
                CommandExecutor::new(&template, StdDuration::from_secs(30)).unwrap(),
            ),
            clock,
        }
    }

    /// Runs every due job (retries included) through this playbook.
    pub(crate) async fn run(&self, db: &DatabaseConnection) {
        self.run_with(db, Arc::new(SystemClock)).await;
    }

    /// Runs the queued work as if it were `now` (work a sweep queued for a
    /// later day is due then).
    pub(crate) async fn run_at(&self, db: &DatabaseConnection, now: DateTime<Utc>) {
        self.run_with(db, Arc::new(ManualClock::at(now))).await;
    }

    async fn run_with(&self, db: &DatabaseConnection, clock: Arc<dyn Clock>) {
        let mut settings = WorkerSettings::new("playbook");
        settings.backoff = Backoff {
            base: Duration::milliseconds(1),
            cap: Duration::milliseconds(5),
        };
        settings.clock = clock.clone();
        work::run_until_idle(db, &self.runner(db, clock), &settings)
            .await
            .unwrap();
    }

    /// `kind|step|phase` of every step run on `tenant`, in order.
    pub(crate) fn ran_on(&self, tenant: &str) -> Vec<String> {
        self.lines("ledger", tenant)
    }

    /// `kind|step|phase|snapshot`: the data snapshot each step was handed.
    pub(crate) fn snapshots(&self, tenant: &str) -> Vec<String> {
        self.lines("snapshots", tenant)
    }

    /// `kind|step|phase|secret-name|value`: the secret each step was handed.
    pub(crate) fn received(&self, tenant: &str) -> Vec<String> {
        self.lines("received", tenant)
    }

    /// `kind|step|phase|target-region|target-isolation|address`: what each
    /// step was told of a migration's target.
    pub(crate) fn placements(&self, tenant: &str) -> Vec<String> {
        self.lines("placements", tenant)
    }

    /// `step|phase|idempotency-key` of every step run on `tenant`, in order.
    pub(crate) fn keys(&self, tenant: &str) -> Vec<String> {
        self.lines("keys", tenant)
    }

    /// The correlation id each step for `tenant` was handed, in order.
    pub(crate) fn correlations(&self, tenant: &str) -> Vec<String> {
        self.lines("correlations", tenant)
    }

    fn lines(&self, file: &str, tenant: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.strip_prefix(&format!("{tenant}|")))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Playbook {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
