//! Opening the database, preparing it, and serving until a shutdown signal.

use std::sync::Arc;

use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use tower_sessions::session_store::ExpiredDeletion;

use app::backend::db;
use app::backend::mail::Mailer;
use app::backend::services::access::users::FirstAdmin;
use app::backend::services::access::users::ensure_first_admin;
use app::backend::services::notifications::email_outbox::DeliveryReport;
use app::backend::services::notifications::email_outbox::deliver_due;
use app::backend::session_store::DbSessionStore;
use app::backend::state::AppState;
use tokio::sync::Notify;

use crate::config::{Config, SecretKeySource};
use crate::router::{HttpSettings, build_router};
use app::backend::crypto::{Keyring, SecretKey};
use app::backend::services::platform::secrets_at_rest;

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(Arc::<str>::from("tenantry"))
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.listen_addr)
        .build()
}

pub async fn open_database(config: &Config) -> anyhow_like::Result<DatabaseConnection> {
    let db = db::connect(&config.database_url).await.map_err(|e| {
        anyhow_like::Error(format!(
            "cannot open the database at DATABASE_URL ({}): {e}",
            redact(&config.database_url)
        ))
    })?;
    db::migrate(&db)
        .await
        .map_err(|e| anyhow_like::Error(format!("database migration failed: {e}")))?;
    app::backend::crypto::configure(load_keyring(&config.secret_keys)?);
    // Backups are written to TENANTRY_BACKUP_TARGET (default data/backups):
    // a misconfigured target stops the start rather than the first backup.
    let backups = app::backend::backup_store::current()
        .map_err(|e| anyhow_like::Error(format!("TENANTRY_BACKUP_TARGET: {e}")))?;
    tracing::info!(target = backups.base(), "backups are written here");
    // Every stored secret must open with the configured keys; plain ones
    // from before encryption are sealed now.
    let report = secrets_at_rest::seal_all(&db).await.map_err(|e| {
        anyhow_like::Error(format!(
            "stored secrets cannot be read: {}. Restore the key that sealed them.",
            match e {
                app::backend::error::ServiceError::Policy(reason) => reason,
                other => other.to_string(),
            }
        ))
    })?;
    if report.resealed > 0 {
        tracing::info!(
            resealed = report.resealed,
            "sealed stored secrets under the current key"
        );
    }
    Ok(db)
}

/// The keyring from the environment or the key file; a missing key file is
/// created with a new key (mode 0600) on first start.
pub fn load_keyring(source: &SecretKeySource) -> anyhow_like::Result<Keyring> {
    let parse = |raw: &str, from: &str| {
        SecretKey::parse(raw).map_err(|e| anyhow_like::Error(format!("{from}: {e}")))
    };
    match source {
        SecretKeySource::Environment { current, previous } => Ok(Keyring::new(
            parse(current, "TENANTRY_SECRET_KEY")?,
            previous
                .iter()
                .map(|k| parse(k, "TENANTRY_SECRET_KEY_PREVIOUS"))
                .collect::<Result<_, _>>()?,
        )),
        SecretKeySource::File(path) => {
            if !path.exists() {
                write_key_file(path, &[SecretKey::generate()])?;
                println!(
                    "A new secret key was written to {} (mode 0600). Back it up: stored secrets cannot be read without it.",
                    path.display()
                );
            }
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow_like::Error(format!(
                    "cannot read the secret key file {} (TENANTRY_SECRET_KEY_FILE): {e}",
                    path.display()
                ))
            })?;
            let from = format!("the secret key file {}", path.display());
            let mut keys = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| parse(l, &from));
            let current = keys
                .next()
                .ok_or_else(|| anyhow_like::Error(format!("{from} holds no key")))??;
            Ok(Keyring::new(current, keys.collect::<Result<_, _>>()?))
        }
    }
}

/// Writes keys (current first) to a key file readable by its owner only,
/// replacing it in one step.
pub fn write_key_file(path: &std::path::Path, keys: &[SecretKey]) -> anyhow_like::Result<()> {
    let mut text = String::from(
        "# Tenantry's secret key (current first, older ones below). Back it up; never share it.\n",
    );
    for key in keys {
        text.push_str(&key.to_base64());
        text.push('\n');
    }
    write_private_file(path, &text)
        .map_err(|e| anyhow_like::Error(format!("the secret key file {}: {e}", path.display())))
}

/// Writes `text` to `path`, readable by its owner only, replacing any
/// earlier file in one step (a crash leaves the old file or the new one).
fn write_private_file(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let problem = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(problem)?;
    }
    let staging = path.with_extension("new");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&staging)
        .map_err(problem)?;
    file.write_all(text.as_bytes()).map_err(problem)?;
    file.sync_all().map_err(problem)?;
    std::fs::rename(&staging, path).map_err(problem)
}

/// Hides a password inside a database URL before it is printed.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// What the HTTP layer enforces, from the configuration.
pub fn http_settings(config: &Config) -> HttpSettings {
    HttpSettings {
        secure_cookies: config.secure_cookies,
        ttl_hours: config.session_ttl_hours,
        max_body_bytes: config.max_body_bytes,
        agent_max_body_bytes: config.agent_max_body_bytes,
        trusted_proxies: config.trusted_proxies.clone(),
        metrics: config.metrics.enabled(),
        metrics_token: config.metrics.token.clone(),
    }
}

pub async fn serve(config: Config) -> anyhow_like::Result<()> {
    app::backend::outbound::configure(config.network.clone());
    app::backend::rate_limit::configure(config.rate_limits);
    let db = open_database(&config).await?;
    let first_admin = ensure_first_admin(
        &db,
        config.admin_email.as_deref(),
        config.admin_password.as_deref(),
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| anyhow_like::Error(format!("cannot create the first admin: {e}")))?;
    if let Some(admin) = first_admin {
        print_first_admin(&admin, &config);
    }

    if config.seed_demo {
        seed_demo_if_empty(&db, &config).await?;
    }

    let store = DbSessionStore::new(db.clone());
    let cleanup = tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(tokio::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            if let Err(err) = store.delete_expired().await {
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
        }
    });

    let state = app_state(&config, db.clone()).await?;
    let worker = spawn_job_worker(&state, &config);
    if let Some(dir) = state.mailer.outbox_dir() {
        println!(
            "No SMTP server configured (TENANTRY_SMTP_HOST): emails go to {} and to /dev/outbox.",
            dir.display()
        );
    }
    let mail_worker = spawn_mail_worker(&state);
    let compliance_job = spawn_compliance_job(&state, config.compliance_interval_seconds);
    let health_validation = spawn_health_validation(&state);
    let webhook_delivery = spawn_webhook_delivery(&state);
    let notifier = spawn_notifier(&state);
    let alert_evaluation = spawn_alert_evaluation(&state);
    let usage_meter = spawn_usage_meter(&state);
    let metrics_listener = match config.metrics.addr {
        Some(addr) => Some(serve_metrics(addr, &state, &config).await?),
        None => None,
    };
    let router = build_router(state, http_settings(&config));
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .map_err(|e| {
            anyhow_like::Error(format!(
                "cannot listen on TENANTRY_LISTEN_ADDR {}: {e}",
                config.listen_addr
            ))
        })?;
    tracing::info!(address = %config.listen_addr, database = %redact(&config.database_url), "Tenantry is serving");
    println!("Tenantry is running at http://{}", config.listen_addr);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| anyhow_like::Error(format!("server error: {e}")))?;
    cleanup.abort();
    if let Some(listener) = metrics_listener {
        listener.abort();
    }
    worker.abort();
    mail_worker.abort();
    compliance_job.abort();
    health_validation.abort();
    webhook_delivery.abort();
    notifier.abort();
    alert_evaluation.abort();
    usage_meter.abort();
    db.close().await.ok();
    tracing::info!("Tenantry stopped");
    Ok(())
}

/// `/metrics` on a listener of its own (a private interface, say).
async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: &AppState,
    config: &Config,
) -> anyhow_like::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow_like::Error(format!(
            "cannot listen on TENANTRY_METRICS_ADDR {addr}: {e}"
        ))
    })?;
    let router = crate::metrics::router(state.clone(), config.metrics.token.clone());
    tracing::info!(address = %addr, "metrics are served at /metrics");
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::warn!(error = %err, "the metrics listener stopped");
        }
    }))
}

/// The state the router serves from: both pools, the mailer and the
/// settings. Start-up and the integration tests build it here, one way.
pub async fn app_state(config: &Config, db: DatabaseConnection) -> anyhow_like::Result<AppState> {
    let reads = app::backend::db::connect_reads(&config.database_url, &db)
        .await
        .map_err(|e| {
            anyhow_like::Error(format!("cannot open the read pool on DATABASE_URL: {e}"))
        })?;
    let mailer = Mailer::new(&config.mail_from, config.mail_delivery.clone()).map_err(|e| {
        anyhow_like::Error(format!(
            "mail set-up (TENANTRY_SMTP_*, TENANTRY_MAIL_FROM): {e}"
        ))
    })?;
    // Scheduled activations check residency against this list without the
    // configuration at hand.
    app::backend::services::tenants::residency::record_configured_regions(
        &db,
        &config.regions,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| anyhow_like::Error(format!("cannot record the configured regions: {e}")))?;
    let db_for_executor = db.clone();
    Ok(AppState {
        leptos_options: leptos_options(config),
        db,
        reads,
        regions: Arc::new(config.regions.clone()),
        accounts: Arc::new(config.accounts.clone()),
        mailer: Arc::new(mailer),
        mail_queued: Arc::new(Notify::new()),
        orchestrator_secret: config.executor.orchestrator_secret(),
        clock: Arc::new(app::backend::context::SystemClock),
        health: Arc::new(config.health),
        executor: build_executor(&db_for_executor, config)?,
    })
}

async fn seed_demo_if_empty(db: &DatabaseConnection, config: &Config) -> anyhow_like::Result<()> {
    let seeded = app::backend::services::platform::seed::seed_demo_if_empty(
        db,
        &config.regions,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| anyhow_like::Error(format!("demo seed failed: {e}")))?;
    if let Some(created) = seeded {
        println!("Seeded the demo data set: {created} tenants (TENANTRY_SEED_DEMO).");
    }
    Ok(())
}

/// The configured executor (TENANTRY_EXECUTOR), built once: the job worker,
/// switches and health suites all hand their work to it.
pub fn build_executor(
    db: &DatabaseConnection,
    config: &Config,
) -> anyhow_like::Result<Arc<dyn app::backend::executor::Executor>> {
    use crate::config::ExecutorChoice;
    use app::backend::executor::{CommandExecutor, Executor, Simulator};
    let executor: Arc<dyn Executor> = match &config.executor {
        ExecutorChoice::Simulator {
            step_ms,
            failure_rate,
        } => Arc::new(Simulator::new(
            db.clone(),
            std::time::Duration::from_millis(*step_ms),
            *failure_rate,
        )),
        ExecutorChoice::Http {
            url,
            secret,
            timeout_seconds,
        } => Arc::new(app::backend::orchestrator::HttpOrchestrator::new(
            db.clone(),
            url,
            secret,
            &config.accounts.public_url,
            std::time::Duration::from_secs(*timeout_seconds),
            std::time::Duration::from_secs(2),
        )),
        ExecutorChoice::Command {
            template,
            timeout_seconds,
        } => Arc::new(
            CommandExecutor::new(template, std::time::Duration::from_secs(*timeout_seconds))
                .map_err(|e| anyhow_like::Error(format!("TENANTRY_EXECUTOR_COMMAND: {e}")))?,
        ),
    };
    Ok(executor)
}

/// The job worker of this replica: executes change requests through the
/// configured executor, starts scheduled changes in their windows and
/// advances rollouts. Work lives in the database, so a restart (or another
/// replica) picks up whatever was left.
pub fn spawn_job_worker(state: &AppState, config: &Config) -> tokio::task::JoinHandle<()> {
    use app::backend::jobs::{Backoff, WorkerSettings};
    use app::backend::services::platform::work::ChangeRunner;
    use app::backend::services::platform::work::spawn_worker;
    let (db, clock) = (&state.db, state.clock.clone());
    let owner = format!(
        "{}:{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "tenantry".into()),
        std::process::id(),
        &uuid::Uuid::new_v4().to_string()[..8]
    );
    let mut settings = WorkerSettings::new(owner);
    settings.clock = clock.clone();
    settings.lease = chrono::Duration::seconds(config.worker.lease_seconds as i64);
    settings.concurrency = config.worker.concurrency as usize;
    settings.backoff = Backoff {
        base: chrono::Duration::milliseconds(config.worker.backoff_ms as i64),
        cap: chrono::Duration::minutes(10),
    };
    let runner = Arc::new(ChangeRunner {
        db: db.clone(),
        executor: state.executor.clone(),
        clock: clock.clone(),
    });
    spawn_worker(db.clone(), runner, settings)
}

/// Delivers queued email: at once when a service queues one (`mail_queued`),
/// and every few seconds for retries and for work left by a crash.
pub fn spawn_mail_worker(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (db, mailer, queued, clock) = (
        state.db.clone(),
        state.mailer.clone(),
        state.mail_queued.clone(),
        state.clock.clone(),
    );
    tokio::spawn(async move {
        loop {
            match deliver_due(&db, &mailer, clock.now()).await {
                Ok(report) if report != DeliveryReport::default() => {
                    tracing::info!(?report, "email delivery round");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "email delivery failed; will retry"),
            }
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(5), queued.notified()).await;
        }
    })
}

/// Assesses compliance at start-up and then every hour (the assessment is
/// idempotent; notices are keyed by day, so re-runs never duplicate them).
/// Wakes the mail worker when notices queued email.
pub fn spawn_compliance_job(state: &AppState, every: u64) -> tokio::task::JoinHandle<()> {
    let (db, queued, public_url, clock) = (
        state.db.clone(),
        state.mail_queued.clone(),
        state.accounts.public_url.clone(),
        state.clock.clone(),
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
        loop {
            tick.tick().await;
            let started = std::time::Instant::now();
            match app::backend::services::notifications::notices::run_compliance_job(
                &db,
                &public_url,
                clock.now(),
            )
            .await
            {
                Ok((report, notices)) => {
                    if notices.emails > 0 {
                        queued.notify_one();
                    }
                    tracing::info!(
                        tenant_products = report.tenant_products,
                        endpoint_groups = report.endpoint_groups,
                        notices = notices.notices,
                        took_ms = started.elapsed().as_millis() as u64,
                        "compliance assessed"
                    );
                }
                Err(err) => tracing::warn!(error = %err, "compliance job failed; will retry"),
            }
        }
    })
}

/// Numbers new events and delivers webhooks: every endpoint's due
/// deliveries, endpoints in parallel, then a short pause. Deliveries live in
/// the database, claimed a run at a time, so a restart or another replica
/// carries on where this one stopped.
pub fn spawn_webhook_delivery(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (db, clock) = (state.db.clone(), state.clock.clone());
    tokio::spawn(async move {
        loop {
            match app::backend::services::events::webhooks::deliver_due(&db, clock.clone(), 16)
                .await
            {
                Ok(round) if round.attempted > 0 => tracing::debug!(
                    attempted = round.attempted,
                    delivered = round.delivered,
                    "webhooks delivered"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "webhook delivery failed; will retry"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    })
}

/// Evaluates the built-in alert rules every half minute (on every replica:
/// an alert opens once, whoever sees it first).
pub fn spawn_alert_evaluation(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (db, clock) = (state.db.clone(), state.clock.clone());
    tokio::spawn(async move {
        loop {
            if let Err(err) =
                app::backend::services::platform::alerts::evaluate(&db, clock.now()).await
            {
                tracing::warn!(error = %err, "alert evaluation failed; will retry");
            }
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
    })
}

/// Writes the portal's own usage counts (API calls, active people) every
/// minute, and each tenant's endpoint count every hour.
pub fn spawn_usage_meter(state: &AppState) -> tokio::task::JoinHandle<()> {
    use app::backend::services::plans::usage;
    let (db, clock) = (state.db.clone(), state.clock.clone());
    tokio::spawn(async move {
        let mut round: u64 = 0;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if let Err(err) = usage::flush_portal_counts(&db, clock.now()).await {
                tracing::warn!(error = %err, "writing usage counts failed; they are kept for the next minute");
            }
            if round % 60 == 0
                && let Err(err) = usage::snapshot_endpoints(&db, clock.now()).await
            {
                tracing::warn!(error = %err, "the endpoint usage reading failed; will retry");
            }
            round += 1;
        }
    })
}

/// Tells people about the events that concern them (approvals waiting,
/// changes finished, rollouts halted, security changes, disabled webhook
/// endpoints), in the app and by email per their choices; sends the email
/// digests that are due; wakes the email worker when it queued mail.
pub fn spawn_notifier(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (db, clock) = (state.db.clone(), state.clock.clone());
    let public_url = state.accounts.public_url.clone();
    let mail_queued = state.mail_queued.clone();
    tokio::spawn(async move {
        loop {
            match app::backend::services::notifications::from_events::notify_new_events(
                &db,
                &public_url,
                clock.now(),
            )
            .await
            {
                Ok(round) if round.emails > 0 => mail_queued.notify_one(),
                Ok(round) if round.events > 0 => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "notifications from events failed; will retry")
                }
            }
            match app::backend::services::notifications::digests::send_due(
                &db,
                &public_url,
                clock.now(),
            )
            .await
            {
                Ok(round) if round.sent > 0 => {
                    tracing::info!(
                        digests = round.sent,
                        notifications = round.items,
                        "email digests queued"
                    );
                    mail_queued.notify_one();
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "email digests failed; will retry"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        }
    })
}

/// Keeps every watched tenant's Healthy/Broken state true: probes the
/// tenants whose next run is due, then sleeps a little. Replicas share the
/// work through the claim on each tenant's due time.
pub fn spawn_health_validation(state: &AppState) -> tokio::task::JoinHandle<()> {
    let (db, policy, clock) = (state.db.clone(), *state.health, state.clock.clone());
    let executor = state.executor.clone();
    tokio::spawn(async move {
        let pause = std::time::Duration::from_secs(policy.interval_seconds.clamp(1, 5));
        loop {
            let started = std::time::Instant::now();
            match app::backend::services::tenants::health::validate_due(
                &db,
                &policy,
                clock.clone(),
                executor.clone(),
            )
            .await
            {
                Ok(report) if report.probed > 0 => tracing::info!(
                    probed = report.probed,
                    failed = report.failed,
                    skipped = report.skipped,
                    took_ms = started.elapsed().as_millis() as u64,
                    "tenant health validated"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "health validation failed; will retry"),
            }
            tokio::time::sleep(pause).await;
        }
    })
}

/// Where a generated first-admin password goes when nobody watches the terminal.
pub const FIRST_ADMIN_PASSWORD_FILE: &str = "data/first-admin-password";

fn print_first_admin(admin: &FirstAdmin, config: &Config) {
    use std::io::IsTerminal;
    let password = match &admin.generated_password {
        // Only a person at a terminal sees it; logs collected from stdout never do.
        Some(password) if std::io::stdout().is_terminal() => password.clone(),
        Some(password) => match write_private_file(
            std::path::Path::new(FIRST_ADMIN_PASSWORD_FILE),
            &format!("{password}\n"),
        ) {
            Ok(()) => format!("(written to {FIRST_ADMIN_PASSWORD_FILE}, readable by you only)"),
            Err(err) => format!("(not shown: stdout is not a terminal, and {err})"),
        },
        None => "(the password from TENANTRY_ADMIN_PASSWORD)".to_owned(),
    };
    println!();
    println!("  ┌─ First platform admin created ─────────────────────────────");
    println!("  │ URL:      http://{}/login", config.listen_addr);
    println!("  │ Email:    {}", admin.email);
    println!("  │ Password: {password}");
    if admin.generated_password.is_some() {
        println!("  │ This generated password is shown only once. Keep it safe.");
    }
    println!("  └────────────────────────────────────────────────────────────");
    println!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// A tiny error type for start-up: a message for the operator, nothing more.
pub mod anyhow_like {
    #[derive(Debug)]
    pub struct Error(pub String);

    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for Error {}

    pub type Result<T> = std::result::Result<T, Error>;
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_passwords_are_never_printed() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            redact("sqlite://data/tenantry.db"),
            "sqlite://data/tenantry.db"
        );
    }
}
