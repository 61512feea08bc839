//! Blue-green switches through a real HAProxy (Debian's package) on
//! loopback: two real backend servers (blue answers v1, green v2), a load
//! generator sending steady traffic throughout, and the portal moving the
//! weights over HAProxy's runtime API while it judges green's health.
//!
//! Proves: the measured split follows each step within ±5 points and a
//! healthy switch fails no client request; 20 % errors on green at the 10 %
//! step roll back within one monitoring interval; an instant rollback from
//! 100 % puts every later request on blue; a `kill -9` of the
//! portal at the 50 % step resumes there, and the weights never flap.
//!
//! Without HAProxy installed these tests say so and pass, unless
//! `TENANTRY_REQUIRE_HAPROXY=1` (set by `make test`, which installs it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::helpers::{ADMIN_EMAIL, TestDb, spawn_server, tenant_form};
use crate::helpers::{new_deployment, switch_settings, switch_to};
use app::backend::audit::RequestContext;
use app::backend::entities::{
    audit_event, change_request, change_step, deployment_switch, switch_event,
};
use app::backend::executor::Immediate;
use app::backend::jobs::WorkerSettings;
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::changes;
use app::backend::services::deployments;
use app::backend::services::platform::seed;
use app::backend::services::platform::work::ChangeRunner;
use app::backend::services::platform::work::run_until_idle;
use app::backend::services::tenants;
use app::backend::traffic::Haproxy;
use app::domain::changes::change::{ChangeStatus, StepStatus};
use app::domain::deployments::bluegreen::SwitchStatus;
use app::domain::deployments::bluegreen::{Slot, SlotState, SwitchEventKind};
use app::domain::deployments::health::HealthCheck;
use app::domain::tenants::tenant::Region;
use app::model::deployments::{DeploymentForm, SwitchForm, SwitchSettingsForm};

const HAPROXY_BIN: &str = "/usr/sbin/haproxy";

fn haproxy_available() -> bool {
    if std::path::Path::new(HAPROXY_BIN).exists() {
        return true;
    }
    assert!(
        std::env::var("TENANTRY_REQUIRE_HAPROXY").as_deref() != Ok("1"),
        "HAProxy is required (TENANTRY_REQUIRE_HAPROXY=1) but {HAPROXY_BIN} is missing: apt-get install haproxy"
    );
    eprintln!("SKIPPED: {HAPROXY_BIN} is not installed (make test installs it)");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ------------------------------------------------------------------ backends

/// One slot's backend: answers its version on `/`, `ok` on `/healthz`, and
/// a 500 for `inject_percent` of the requests on `/`.
struct Backend {
    port: u16,
    inject_percent: Arc<AtomicU32>,
}

async fn backend(version: &'static str) -> Backend {
    use axum::http::StatusCode;
    use axum::routing::get;
    let inject_percent = Arc::new(AtomicU32::new(0));
    let served = Arc::new(AtomicU64::new(0));
    let (inject, count) = (inject_percent.clone(), served.clone());
    let app = axum::Router::new()
        .route(
            "/",
            get(move || {
                let (inject, count) = (inject.clone(), count.clone());
                async move {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let percent = u64::from(inject.load(Ordering::SeqCst));
                    // Exactly `percent` of every 100 requests fail.
                    if percent > 0 && n % 100 < percent {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            format!("{version} injected error"),
                        )
                    } else {
                        (StatusCode::OK, version.to_string())
                    }
                }
            }),
        )
        .route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Backend {
        port,
        inject_percent,
    }
}

// ------------------------------------------------------------------ HAProxy

struct HaproxyProcess {
    child: std::process::Child,
    dir: PathBuf,
    socket: String,
    port: u16,
}

impl Drop for HaproxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// HAProxy in front of both backends; all weight on blue to begin with.
async fn start_haproxy(blue: u16, green: u16) -> HaproxyProcess {
    let dir = std::env::temp_dir().join(format!("tenantry-haproxy-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("admin.sock").display().to_string();
    let port = free_port();
    let config = format!(
        "global\n  stats socket {socket} mode 600 level admin\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\
         frontend edge\n  bind 127.0.0.1:{port}\n  default_backend app\n\
         backend app\n  balance roundrobin\n\
         \x20 server blue 127.0.0.1:{blue} weight 100\n\
         \x20 server green 127.0.0.1:{green} weight 0\n"
    );
    let config_path = dir.join("haproxy.cfg");
    std::fs::write(&config_path, config).unwrap();
    let child = std::process::Command::new(HAPROXY_BIN)
        .arg("-db")
        .arg("-f")
        .arg(&config_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start haproxy");
    let started = Instant::now();
    while Haproxy::command(&socket, "show info").await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "HAProxy did not open its admin socket"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    HaproxyProcess {
        child,
        dir,
        socket,
        port,
    }
}

/// Green's weight as HAProxy reports it now.
async fn green_weight(socket: &str) -> u32 {
    let csv = Haproxy::command(socket, "show stat").await.unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap()[2..].split(',').collect();
    let weight = header.iter().position(|c| *c == "weight").unwrap();
    csv.lines()
        .find(|l| l.starts_with("app,green,"))
        .and_then(|l| l.split(',').nth(weight))
        .and_then(|w| w.parse().ok())
        .unwrap()
}

// ------------------------------------------------------------------ load

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Blue,
    Green,
    /// A 5xx green was told to inject.
    Injected,
    /// Anything else: a failed client request.
    Failed(String),
}

struct Load {
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<(DateTime<Utc>, Outcome)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Four clients, each sending a request every 3 ms (about 1,000 requests/s).
fn start_load(port: u16) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/");
    let tasks = (0..4)
        .map(|_| {
            let (stop, log, client, url) = (stop.clone(), log.clone(), client.clone(), url.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    // Logged by the moment the request was sent: what a
                    // request meets depends on when it reached HAProxy.
                    let sent = Utc::now();
                    let outcome = match client.get(&url).send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let body = response.text().await.unwrap_or_default();
                            match (status, body.as_str()) {
                                (200, "v1") => Outcome::Blue,
                                (200, "v2") => Outcome::Green,
                                (500, "v2 injected error") => Outcome::Injected,
                                _ => Outcome::Failed(format!("{status} {body}")),
                            }
                        }
                        Err(err) => Outcome::Failed(err.to_string()),
                    };
                    log.lock().unwrap().push((sent, outcome));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            })
        })
        .collect();
    Load { stop, log, tasks }
}

impl Load {
    async fn finish(self) -> Vec<(DateTime<Utc>, Outcome)> {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.unwrap();
        }
        Arc::try_unwrap(self.log).unwrap().into_inner().unwrap()
    }
}

/// Percent of green answers (served or injected) in [from, to).
fn green_share(
    log: &[(DateTime<Utc>, Outcome)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (f64, usize) {
    let window: Vec<_> = log
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .collect();
    let green = window
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Green | Outcome::Injected))
        .count();
    (
        green as f64 * 100.0 / window.len().max(1) as f64,
        window.len(),
    )
}

// ------------------------------------------------------------------ the portal side

/// Switch settings with a 1 s interval and the default thresholds.
fn settings(steps: &str, bake: u32) -> SwitchSettingsForm {
    SwitchSettingsForm {
        steps: steps.into(),
        bake_seconds: bake.to_string(),
        interval_seconds: "1".into(),
        max_error_rate: "5".into(),
        max_latency_ms: "500".into(),
        max_error_rate_over_live: "2".into(),
        max_latency_ratio_to_live: "3".into(),
        min_requests: "20".into(),
        max_consecutive_failures: "3".into(),
    }
}

/// The edge gateway of `tenant`, live on 5.1.0, behind the simulator.
fn simulated_gateway(tenant: &str) -> DeploymentForm {
    DeploymentForm {
        tenant: tenant.into(),
        product: "edge-gateway".into(),
        version: "5.1.0".into(),
        ..DeploymentForm::default()
    }
}

struct Setup {
    admin: Principal,
    deployment: Uuid,
}

/// Activates a draft tenant (its provisioning steps run at once): only an
/// active tenant is upgraded, and a switch is its upgrade.
async fn activate(db: &DatabaseConnection, admin: &Principal, slug: &str) {
    tenants::transition(
        &app::backend::context::Ctx::of(db, admin, &RequestContext::default()),
        slug,
        app::domain::tenants::lifecycle::LifecycleAction::Activate,
        None,
        None,
    )
    .await
    .unwrap();
    run_workflow(db).await;
}

/// A tenant running edge-gateway 5.1.0 on blue behind the given HAProxy,
/// health baseline `/healthz`, and the given steps, bake and interval.
async fn edge_tenant(
    db: &DatabaseConnection,
    haproxy: &HaproxyProcess,
    blue: u16,
    green: u16,
    steps: &str,
    bake: u32,
) -> Setup {
    users::ensure_first_admin(
        db,
        Some(ADMIN_EMAIL),
        Some("a long enough password"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let admin = principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap();
    let ctx = RequestContext::default();
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx),
        &regions,
        &tenant_form("edge-one"),
    )
    .await
    .unwrap();
    activate(db, &admin, "edge-one").await;
    seed::seed_catalog(&app::backend::context::Ctx::of(
        db,
        &admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    deployments::save_baseline(
        &app::backend::context::Ctx::of(db, &admin, &ctx),
        "edge-gateway",
        &[HealthCheck {
            name: "Health endpoint".into(),
            path: "/healthz".into(),
            expect_status: 200,
            body_contains: "ok".into(),
            max_latency_ms: 500,
            suite: None,
        }],
    )
    .await
    .unwrap();
    let deployment = deployments::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx),
        new_deployment(&DeploymentForm {
            tenant: "edge-one".into(),
            product: "edge-gateway".into(),
            version: "5.1.0".into(),
            router: "haproxy".into(),
            router_socket: haproxy.socket.clone(),
            blue_url: format!("http://127.0.0.1:{blue}"),
            green_url: format!("http://127.0.0.1:{green}"),
            ..DeploymentForm::default()
        }),
    )
    .await
    .unwrap();
    deployments::save_settings(
        &app::backend::context::Ctx::of(db, &admin, &ctx),
        deployment,
        switch_settings(&settings(steps, bake)),
    )
    .await
    .unwrap();
    Setup { admin, deployment }
}

async fn switch_to_5_2(db: &DatabaseConnection, setup: &Setup) -> Uuid {
    deployments::start_switch(
        &app::backend::context::Ctx::of(db, &setup.admin, &RequestContext::default()),
        setup.deployment,
        switch_to(&SwitchForm {
            version: "5.2.0".into(),
        }),
    )
    .await
    .map(|asked| {
        asked.switch_id.unwrap_or_else(|| {
            panic!("no approval or window holds it, the switch starts at once: {asked:?}")
        })
    })
    .unwrap()
}

async fn run_workflow(db: &DatabaseConnection) {
    let runner = ChangeRunner {
        db: db.clone(),
        executor: Arc::new(Immediate),
        clock: Arc::new(app::backend::context::SystemClock),
    };
    run_until_idle(db, &runner, &WorkerSettings::new("test-worker"))
        .await
        .unwrap();
}

async fn switch_row(db: &DatabaseConnection, id: Uuid) -> deployment_switch::Model {
    deployment_switch::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// The switch's timeline, oldest first.
async fn timeline(db: &DatabaseConnection, id: Uuid) -> Vec<switch_event::Model> {
    switch_event::Entity::find()
        .filter(switch_event::Column::SwitchId.eq(id))
        .order_by_asc(switch_event::Column::At)
        .all(db)
        .await
        .unwrap()
}

fn step_starts(events: &[switch_event::Model]) -> Vec<DateTime<Utc>> {
    events
        .iter()
        .filter(|e| e.kind == SwitchEventKind::Step && e.message.starts_with("Step "))
        .map(|e| e.at)
        .collect()
}

// ------------------------------------------------------------------ tests

async fn a_healthy_switch_follows_each_step_and_fails_no_request(db: TestDb) {
    if !haproxy_available() {
        return;
    }
    let (blue, green) = (backend("v1").await, backend("v2").await);
    let haproxy = start_haproxy(blue.port, green.port).await;
    let setup = edge_tenant(&db.db, &haproxy, blue.port, green.port, "10, 50, 100", 3).await;
    let load = start_load(haproxy.port);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = switch_to_5_2(&db.db, &setup).await;
    run_workflow(&db.db).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let log = load.finish().await;

    let switch = switch_row(&db.db, id).await;
    assert_eq!(
        switch.status,
        SwitchStatus::Completed,
        "{:?}",
        switch.reason
    );
    let events = timeline(&db.db, id).await;
    let starts = step_starts(&events);
    assert_eq!(starts.len(), 3, "{events:#?}");
    let end = log.last().unwrap().0;
    println!("blue-green split through HAProxy (weight → measured green share):");
    for (i, weight) in [10.0, 50.0, 100.0].into_iter().enumerate() {
        // Requests already in flight when the weight changed may land on
        // either side: the window starts 200 ms after the change.
        let from = starts[i] + chrono::Duration::milliseconds(200);
        let to = starts.get(i + 1).copied().unwrap_or(end);
        let (share, requests) = green_share(&log, from, to);
        println!(
            "  step {}: weight {weight:>5.1} % → green {share:>5.1} % of {requests} requests",
            i + 1
        );
        assert!(
            requests > 500,
            "enough traffic in step {}: {requests}",
            i + 1
        );
        assert!(
            (share - weight).abs() <= 5.0,
            "step {} sent {share:.1} % to green at weight {weight} %",
            i + 1
        );
    }
    let failed: Vec<_> = log
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_) | Outcome::Injected))
        .collect();
    println!(
        "  {} client requests in all, {} failed",
        log.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "failed client requests: {failed:?}");
    assert_eq!(green_weight(&haproxy.socket).await, 100);
    let detail = deployments::detail(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &Default::default()),
        setup.deployment,
    )
    .await
    .unwrap();
    assert_eq!(detail.deployment.live_slot, Slot::Green);
    assert_eq!(detail.deployment.blue.state, SlotState::Standby);
    assert_eq!(detail.deployment.blue.version.as_deref(), Some("5.1.0"));
    assert!(
        !detail.samples.is_empty(),
        "monitoring samples were recorded"
    );
}

async fn twenty_percent_errors_on_green_roll_back_within_one_interval(db: TestDb) {
    if !haproxy_available() {
        return;
    }
    let (blue, green) = (backend("v1").await, backend("v2").await);
    green.inject_percent.store(20, Ordering::SeqCst);
    let haproxy = start_haproxy(blue.port, green.port).await;
    let setup = edge_tenant(&db.db, &haproxy, blue.port, green.port, "10, 50, 100", 5).await;
    let load = start_load(haproxy.port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = switch_to_5_2(&db.db, &setup).await;
    run_workflow(&db.db).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let log = load.finish().await;

    let switch = switch_row(&db.db, id).await;
    assert_eq!(switch.status, SwitchStatus::RolledBack);
    assert_eq!(switch.step_index, 0, "it never left the 10 % step");
    let reason = switch.reason.clone().unwrap();
    assert!(
        reason.contains("Automatic rollback at step 1 (10 %)"),
        "{reason}"
    );
    let events = timeline(&db.db, id).await;
    let step_at = step_starts(&events)[0];
    let rolled_back_at = events
        .iter()
        .find(|e| {
            e.kind == SwitchEventKind::Decision && e.message.starts_with("Automatic rollback")
        })
        .unwrap()
        .at;
    let reaction = (rolled_back_at - step_at).num_milliseconds();
    println!(
        "auto-rollback: decided {reaction} ms after green took 10 % (interval 1000 ms): {reason}"
    );
    // One interval of traffic is judged: the decision comes at its end.
    assert!(reaction < 2000, "rollback took {reaction} ms");
    assert_eq!(green_weight(&haproxy.socket).await, 0);
    // After the rollback every request is blue's; before it, the only client
    // errors are the ones green was told to inject.
    let settled = rolled_back_at + chrono::Duration::milliseconds(100);
    let after: Vec<_> = log.iter().filter(|(at, _)| *at >= settled).collect();
    assert!(after.len() > 100);
    assert!(
        after.iter().all(|(_, o)| *o == Outcome::Blue),
        "all blue after the rollback"
    );
    let failed: Vec<_> = log
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .collect();
    assert!(
        failed.is_empty(),
        "client errors beyond the injected ones: {failed:?}"
    );
    let injected = log.iter().filter(|(_, o)| *o == Outcome::Injected).count();
    println!("  injected errors seen by clients: {injected}, other failures: 0");

    let detail = deployments::detail(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &Default::default()),
        setup.deployment,
    )
    .await
    .unwrap();
    assert_eq!(
        detail.switch.unwrap().reason.as_deref(),
        Some(reason.as_str())
    );
    assert_eq!(detail.deployment.live_slot, Slot::Blue);
    assert_eq!(detail.deployment.green.state, SlotState::Failed);
    // The switch was the tenant's upgrade change: it ends rolled back with
    // the switch's reason, and the tenant still runs 5.1.0.
    let change = change_request::Entity::find_by_id(switch.change_request_id.unwrap())
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change.status, ChangeStatus::RolledBack);
    let outcome = change.outcome.unwrap();
    assert!(
        outcome.contains("Automatic rollback") && outcome.contains("no version changed"),
        "{outcome}"
    );
    assert_eq!(running_version(&db.db).await.as_deref(), Some("5.1.0"));
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("deployment.auto_rollback"))
        .one(&db.db)
        .await
        .unwrap()
        .expect("the automatic rollback is audited");
    assert!(
        audited.details.contains("Error rate"),
        "{}",
        audited.details
    );
}

/// The changes form's upgrade of an edge tenant is its blue-green switch:
/// the same deploy, baseline, 10/50/100 through HAProxy; the change ends
/// with the switch and the running version is recorded.
async fn an_edge_upgrade_change_request_is_its_blue_green_switch(db: TestDb) {
    if !haproxy_available() {
        return;
    }
    let (blue, green) = (backend("v1").await, backend("v2").await);
    let haproxy = start_haproxy(blue.port, green.port).await;
    let setup = edge_tenant(&db.db, &haproxy, blue.port, green.port, "10, 50, 100", 1).await;
    // Steady traffic: each step is judged on it.
    let load = start_load(haproxy.port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let change = changes::create(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &RequestContext::default()),
        crate::helpers::change_request(&app::model::changes::ChangeForm {
            tenant: "edge-one".into(),
            kind: "upgrade".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    run_workflow(&db.db).await;
    load.finish().await;

    let switch = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::ChangeRequestId.eq(change.id))
        .one(&db.db)
        .await
        .unwrap()
        .expect("the change started a switch");
    assert_eq!(
        switch.status,
        SwitchStatus::Completed,
        "{:?}",
        switch.reason
    );
    assert_eq!(step_starts(&timeline(&db.db, switch.id).await).len(), 3);
    assert_eq!(green_weight(&haproxy.socket).await, 100);
    let ended = change_request::Entity::find_by_id(change.id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ChangeStatus::Succeeded, "{:?}", ended.outcome);
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .all(&db.db)
        .await
        .unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].name, "Blue-green switch to 5.2.0");
    assert_eq!(steps[0].status, StepStatus::Succeeded);
    assert!(
        steps[0].output.contains("Completed: 5.2.0 live on green"),
        "{}",
        steps[0].output
    );
    assert_eq!(running_version(&db.db).await.as_deref(), Some("5.2.0"));
    // While it ran, the change could not be cancelled behind the switch's back.
    let cancelled = changes::cancel(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &RequestContext::default()),
        change.id,
    )
    .await;
    assert!(
        cancelled.is_err(),
        "an ended change is not cancelled either"
    );
}

async fn an_instant_rollback_from_100_percent_sends_every_later_request_to_blue(db: TestDb) {
    if !haproxy_available() {
        return;
    }
    let (blue, green) = (backend("v1").await, backend("v2").await);
    let haproxy = start_haproxy(blue.port, green.port).await;
    let setup = edge_tenant(&db.db, &haproxy, blue.port, green.port, "100", 1).await;
    let id = switch_to_5_2(&db.db, &setup).await;
    let load = start_load(haproxy.port);
    run_workflow(&db.db).await;
    assert_eq!(switch_row(&db.db, id).await.status, SwitchStatus::Completed);
    assert_eq!(
        running_version(&db.db).await.as_deref(),
        Some("5.2.0"),
        "a completed switch records what the tenant runs"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    let asked = Utc::now();
    let started = Instant::now();
    deployments::act(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &RequestContext::default()),
        setup.deployment,
        "rollback",
    )
    .await
    .unwrap();
    let call = started.elapsed();
    let returned = Utc::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = load.finish().await;

    // The rollback is instant in the only sense a test can check without a
    // stopwatch: once the call has returned, HAProxy already sends every new
    // request to blue. How long that took is a printed figure, not a limit.
    let last_green_sent = log
        .iter()
        .filter(|(_, o)| *o != Outcome::Blue)
        .map(|(at, _)| *at)
        .max()
        .expect("green served traffic before the rollback");
    println!(
        "instant rollback: the call returned in {} ms; the last request green answered was sent {:+} ms from the moment it was asked",
        call.as_millis(),
        (last_green_sent - asked).num_milliseconds()
    );
    assert!(
        last_green_sent < returned,
        "a request sent {} ms after the rollback returned still reached green",
        (last_green_sent - returned).num_milliseconds()
    );
    assert!(
        log.iter()
            .any(|(at, o)| *at > returned && *o == Outcome::Blue),
        "blue answered after the rollback"
    );
    let failed: Vec<_> = log
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .collect();
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    assert_eq!(green_weight(&haproxy.socket).await, 0);
    let detail = deployments::detail(
        &app::backend::context::Ctx::of(&db.db, &setup.admin, &Default::default()),
        setup.deployment,
    )
    .await
    .unwrap();
    assert_eq!(detail.deployment.live_slot, Slot::Blue);
    assert_eq!(detail.deployment.green.version.as_deref(), Some("5.2.0"));
    assert_eq!(detail.switch.unwrap().status, SwitchStatus::RolledBack);
    assert_eq!(
        running_version(&db.db).await.as_deref(),
        Some("5.1.0"),
        "back on blue, the tenant runs the old version again"
    );
}

/// The edge-gateway version `edge-one` runs, as the compliance view reads it.
async fn running_version(db: &DatabaseConnection) -> Option<String> {
    use app::backend::entities::{tenant, tenant_product};
    let edge = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq("edge-one"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(edge.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find_map(|tp| tp.running_version.filter(|v| v.starts_with('5')))
}

async fn a_switch_killed_at_50_percent_resumes_there_and_never_flaps(db: TestDb) {
    if !haproxy_available() {
        return;
    }
    let (blue, green) = (backend("v1").await, backend("v2").await);
    let haproxy = start_haproxy(blue.port, green.port).await;
    let setup = edge_tenant(&db.db, &haproxy, blue.port, green.port, "10, 50, 100", 4).await;
    let load = start_load(haproxy.port);
    // Green's weight as HAProxy has it, every 20 ms, for the whole test.
    let weights = Arc::new(Mutex::new(Vec::<u32>::new()));
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (weights, watching, socket) =
            (weights.clone(), watching.clone(), haproxy.socket.clone());
        tokio::spawn(async move {
            while watching.load(Ordering::SeqCst) {
                let w = green_weight(&socket).await;
                weights.lock().unwrap().push(w);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let vars = [("TENANTRY_SIMULATOR_STEP_MS", "50")];
    let mut server = spawn_server(&db.url, &vars);
    let id = switch_to_5_2(&db.db, &setup).await;
    let started = Instant::now();
    loop {
        let s = switch_row(&db.db, id).await;
        if s.step_index == 1 && s.step_started_at.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never reached 50 %: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill().expect("kill -9");
    server.wait().ok();
    let at_kill = green_weight(&haproxy.socket).await;
    assert_eq!(
        at_kill, 50,
        "HAProxy keeps the 50 % step while the portal is down"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut restarted = spawn_server(&db.url, &vars);
    let started = Instant::now();
    loop {
        let s = switch_row(&db.db, id).await;
        if s.status != SwitchStatus::Shifting {
            assert_eq!(s.status, SwitchStatus::Completed, "{:?}", s.reason);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never completed: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    restarted.kill().ok();
    restarted.wait().ok();
    watching.store(false, Ordering::SeqCst);
    watcher.await.unwrap();
    let log = load.finish().await;

    let seen = weights.lock().unwrap().clone();
    let mut distinct = seen.clone();
    distinct.dedup();
    println!("kill -9 at 50 %: green weights seen in order {distinct:?}");
    assert_eq!(
        distinct,
        vec![0, 10, 50, 100],
        "weights only ever rose, step by step"
    );
    let events = timeline(&db.db, id).await;
    assert!(
        events
            .iter()
            .any(|e| e.message.starts_with("Resumed at step 2 (50 % to green)")),
        "{events:#?}"
    );
    assert_eq!(step_starts(&events).len(), 3, "each step started once");
    let failed = log
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .count();
    assert_eq!(
        failed, 0,
        "no client request failed while the portal was down"
    );
}

/// An edge tenant's migration cuts over through HAProxy: the prepare step
/// reports the target's address, the cut-over points the idle slot at it
/// and moves all traffic there, under steady load without one failed
/// request; the deployment then records the target as its live slot.
async fn an_edge_tenant_s_migration_cuts_over_through_haproxy_without_a_failed_request(db: TestDb) {
    use app::backend::entities::edge_deployment;
    use app::backend::services::tenants::migrations;
    use app::model::tenants::migrations::MigrationForm;
    if !haproxy_available() {
        return;
    }
    let db = &db.db;
    // Blue serves at the source; the target answers as green will; green's
    // configured address has nothing behind it (weight 0, never used).
    let (source, target) = (backend("v1").await, backend("v2").await);
    let unused = free_port();
    let haproxy = start_haproxy(source.port, unused).await;
    let setup = edge_tenant(db, &haproxy, source.port, unused, "10, 100", 0).await;
    let playbook = crate::playbook::Playbook::new(&[]);
    let target_url = format!("http://127.0.0.1:{}", target.port);
    playbook.report_address(&target_url);
    let load = start_load(haproxy.port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = migrations::request(
        &app::backend::context::Ctx::of(db, &setup.admin, &RequestContext::default()),
        "edge-one",
        &MigrationForm {
            region: String::new(),
            isolation: "dedicated".into(),
            reason: "the customer asked for a dedicated gateway".into(),
            confirm: "edge-one".into(),
        },
    )
    .await
    .unwrap();
    playbook.run(db).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = load.finish().await;

    let done = change_request::Entity::find_by_id(asked.change_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    let failed: Vec<_> = log
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .collect();
    assert!(failed.is_empty(), "failed requests: {failed:?}");
    assert_eq!(log.first().map(|(_, o)| o), Some(&Outcome::Blue));
    assert_eq!(
        log.last().map(|(_, o)| o),
        Some(&Outcome::Green),
        "the target serves"
    );
    assert_eq!(green_weight(&haproxy.socket).await, 100);
    let moved = edge_deployment::Entity::find_by_id(setup.deployment)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.live_slot, Slot::Green);
    assert_eq!(moved.green_url, target_url);
    assert_eq!(moved.green_version.as_deref(), Some("5.1.0"));
    assert_eq!((moved.blue_weight, moved.green_weight), (0, 100));
    assert_eq!(moved.green_state, SlotState::Live);
    let cut_over = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(asked.change_id))
        .filter(change_step::Column::Name.eq("Cut over to the target"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        cut_over
            .output
            .contains("green slot now points at 127.0.0.1"),
        "{}",
        cut_over.output
    );
}

mod sqlite {
    // HAProxy, two backends and a load generator per test: these run on
    // SQLite only (the switch's locking is shared with the PostgreSQL-tested
    // rollouts); the kill -9 drill, the simulated switch and the rollout
    // over edge tenants run on both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollout_over_edge_tenants_runs_a_switch_per_tenant() {
        super::a_rollout_over_edge_tenants_runs_a_switch_per_tenant(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_simulated_switch_pauses_resumes_promotes_and_refuses_what_it_must() {
        super::a_simulated_switch_pauses_resumes_promotes_and_refuses_what_it_must(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_edge_tenant_s_migration_cuts_over_through_haproxy_without_a_failed_request() {
        super::an_edge_tenant_s_migration_cuts_over_through_haproxy_without_a_failed_request(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_healthy_switch_follows_each_step_and_fails_no_request() {
        super::a_healthy_switch_follows_each_step_and_fails_no_request(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_edge_upgrade_change_request_is_its_blue_green_switch() {
        super::an_edge_upgrade_change_request_is_its_blue_green_switch(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn twenty_percent_errors_on_green_roll_back_within_one_interval() {
        super::twenty_percent_errors_on_green_roll_back_within_one_interval(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_instant_rollback_from_100_percent_sends_every_later_request_to_blue() {
        super::an_instant_rollback_from_100_percent_sends_every_later_request_to_blue(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_switch_killed_at_50_percent_resumes_there_and_never_flaps() {
        super::a_switch_killed_at_50_percent_resumes_there_and_never_flaps(
            crate::helpers::TestDb::sqlite().await,
        )
        .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollout_over_edge_tenants_runs_a_switch_per_tenant() {
        if let Some(db) = crate::helpers::TestDb::postgres().await {
            super::a_rollout_over_edge_tenants_runs_a_switch_per_tenant(db).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_simulated_switch_pauses_resumes_promotes_and_refuses_what_it_must() {
        if let Some(db) = crate::helpers::TestDb::postgres().await {
            super::a_simulated_switch_pauses_resumes_promotes_and_refuses_what_it_must(db).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_switch_killed_at_50_percent_resumes_there_and_never_flaps() {
        if let Some(db) = crate::helpers::TestDb::postgres().await {
            super::a_switch_killed_at_50_percent_resumes_there_and_never_flaps(db).await;
        }
    }
}

// ------------------------------------------------------------------ a rollout over edge tenants

/// A staged rollout over edge tenants runs one switch per tenant in its
/// waves (the simulator's router here), each switch its tenant's change.
async fn a_rollout_over_edge_tenants_runs_a_switch_per_tenant(db: TestDb) {
    use app::backend::services::rollouts;
    use app::model::rollouts::RolloutForm;
    let db = db.db.clone();
    users::ensure_first_admin(
        &db,
        Some(ADMIN_EMAIL),
        Some("a long enough password"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let admin = principal_by_email(&db, ADMIN_EMAIL).await.unwrap().unwrap();
    let ctx = || app::backend::context::Ctx::of(&db, &admin, &RequestContext::default());
    seed::seed_catalog(&ctx()).await.unwrap();
    let regions = [Region::parse("eu-central-1").unwrap()];
    let slugs = ["edge-r1", "edge-r2"];
    for slug in slugs {
        tenants::create(&ctx(), &regions, &tenant_form(slug))
            .await
            .unwrap();
        activate(&db, &admin, slug).await;
    }
    for slug in slugs {
        let id = deployments::create(&ctx(), new_deployment(&simulated_gateway(slug)))
            .await
            .unwrap();
        deployments::save_settings(&ctx(), id, switch_settings(&settings("50, 100", 1)))
            .await
            .unwrap();
        let mut simulation = app::model::deployments::Simulation::default();
        simulation.requests_per_second = 2000.0;
        deployments::save_simulation(&ctx(), id, Ok(simulation))
            .await
            .unwrap();
    }
    let rollout = rollouts::create(
        &ctx(),
        crate::helpers::new_rollout(&RolloutForm {
            name: "Edge 5.2".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            tenants: slugs.join(", "),
            waves: "50".into(),
            success_threshold: "100".into(),
            error_threshold: "0".into(),
            concurrency: "2".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    run_workflow(&db).await;

    let detail = rollouts::detail(&ctx(), rollout, 1).await.unwrap();
    assert_eq!(
        detail.rollout.status,
        app::domain::rollouts::rollout::RolloutStatus::Succeeded,
        "{:?}",
        detail.rollout.halt_reason
    );
    let changes = change_request::Entity::find()
        .filter(change_request::Column::RolloutId.eq(rollout))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(changes.len(), 2);
    for change in changes {
        assert_eq!(
            change.status,
            ChangeStatus::Succeeded,
            "{:?}",
            change.outcome
        );
        let switch = deployment_switch::Entity::find()
            .filter(deployment_switch::Column::ChangeRequestId.eq(change.id))
            .one(&db)
            .await
            .unwrap()
            .expect("each tenant's change ran as a switch");
        assert_eq!(switch.status, SwitchStatus::Completed);
        assert_eq!(switch.to_version, "5.2.0");
    }
}

// ------------------------------------------------------------------ simulator: actions, refusals, isolation

async fn person(
    db: &DatabaseConnection,
    email: &str,
    role: app::domain::access::permission::BuiltinRole,
    tenant: Uuid,
) -> Principal {
    crate::helpers::person(db, email, "a long enough password", role, Some(tenant)).await
}

async fn weights_of(db: &DatabaseConnection, admin: &Principal, id: Uuid) -> (i32, i32) {
    let d = deployments::detail(
        &app::backend::context::Ctx::of(db, admin, &Default::default()),
        id,
    )
    .await
    .unwrap()
    .deployment;
    (d.blue.weight, d.green.weight)
}

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "gave up waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_simulated_switch_pauses_resumes_promotes_and_refuses_what_it_must(db: TestDb) {
    use app::backend::services::platform::work::spawn_worker;
    use app::domain::access::permission::BuiltinRole;
    let db = db.db.clone();
    users::ensure_first_admin(
        &db,
        Some(ADMIN_EMAIL),
        Some("a long enough password"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let admin = principal_by_email(&db, ADMIN_EMAIL).await.unwrap().unwrap();
    let ctx = RequestContext::default();
    let regions = [Region::parse("eu-central-1").unwrap()];
    for slug in ["edge-a", "edge-b"] {
        tenants::create(
            &app::backend::context::Ctx::of(&db, &admin, &ctx),
            &regions,
            &tenant_form(slug),
        )
        .await
        .unwrap();
        activate(&db, &admin, slug).await;
    }
    seed::seed_catalog(&app::backend::context::Ctx::of(
        &db,
        &admin,
        &Default::default(),
    ))
    .await
    .unwrap();

    // Bad input: every field says what is wrong, nothing is created.
    let refused = deployments::create(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        new_deployment(&DeploymentForm {
            tenant: "edge-a".into(),
            product: "no-such-product".into(),
            version: "5.1.0".into(),
            router: "haproxy".into(),
            router_socket: "relative.sock".into(),
            ..DeploymentForm::default()
        }),
    )
    .await;
    crate::helpers::expect_field_error(refused, "router_socket");
    let id = deployments::create(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        new_deployment(&simulated_gateway("edge-a")),
    )
    .await
    .unwrap();
    let again = deployments::create(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        new_deployment(&simulated_gateway("edge-a")),
    )
    .await;
    crate::helpers::expect_field_error(again, "product");
    let bad_settings = deployments::SwitchSettings::try_from(&SwitchSettingsForm {
        steps: "50, 10".into(),
        bake_seconds: "soon".into(),
        interval_seconds: "0".into(),
        max_error_rate: "120".into(),
        ..settings("10, 50, 100", 1)
    });
    let Err(errors) = bad_settings else {
        panic!("{bad_settings:?}")
    };
    for field in [
        "steps",
        "bake_seconds",
        "interval_seconds",
        "max_error_rate",
    ] {
        assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
    }
    deployments::save_settings(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        switch_settings(&settings("10, 50, 100", 1)),
    )
    .await
    .unwrap();
    let mut simulation = app::model::deployments::Simulation::default();
    simulation.requests_per_second = 2000.0;
    deployments::save_simulation(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        Ok(simulation),
    )
    .await
    .unwrap();
    let unknown = deployments::start_switch(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        switch_to(&SwitchForm {
            version: "9.9.9".into(),
        }),
    )
    .await;
    crate::helpers::expect_field_error(unknown, "version");
    let already_live = deployments::start_switch(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        switch_to(&SwitchForm {
            version: "5.1.0".into(),
        }),
    )
    .await;
    crate::helpers::expect_field_error(already_live, "version");

    // Another tenant's admin sees none of it and cannot act on it.
    let b = tenants::detail(
        &app::backend::context::Ctx::of(&db, &admin, &Default::default()),
        "edge-b",
    )
    .await
    .unwrap()
    .row
    .id;
    let outsider = person(&db, "admin@edge-b.example", BuiltinRole::TenantAdmin, b).await;
    assert!(
        deployments::fleet(&app::backend::context::Ctx::of(
            &db,
            &outsider,
            &Default::default()
        ))
        .await
        .unwrap()
        .is_empty()
    );
    assert!(matches!(
        deployments::detail(
            &app::backend::context::Ctx::of(&db, &outsider, &Default::default()),
            id
        )
        .await,
        Err(app::backend::error::ServiceError::NotFound)
    ));
    assert!(
        deployments::act(
            &app::backend::context::Ctx::of(&db, &outsider, &ctx),
            id,
            "rollback"
        )
        .await
        .is_err()
    );

    let worker = spawn_worker(
        db.clone(),
        Arc::new(ChangeRunner {
            db: db.clone(),
            executor: Arc::new(Immediate),
            clock: Arc::new(app::backend::context::SystemClock),
        }),
        WorkerSettings {
            poll: Duration::from_millis(50),
            ..WorkerSettings::new("bluegreen-test")
        },
    );
    let switch = deployments::start_switch(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        switch_to(&SwitchForm {
            version: "5.2.0".into(),
        }),
    )
    .await
    .unwrap()
    .switch_id
    .expect("started at once");
    let second = deployments::start_switch(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        switch_to(&SwitchForm {
            version: "5.0.0".into(),
        }),
    )
    .await;
    assert!(
        matches!(second, Err(app::backend::error::ServiceError::Conflict(_))),
        "one switch at a time: {second:?}"
    );
    wait_until("green takes 10 %", async || {
        weights_of(&db, &admin, id).await == (90, 10)
    })
    .await;
    deployments::act(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        "pause",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        weights_of(&db, &admin, id).await,
        (90, 10),
        "paused holds its step"
    );
    assert_eq!(switch_row(&db, switch).await.status, SwitchStatus::Paused);
    let refused = deployments::act(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        "pause",
    )
    .await;
    assert!(
        matches!(refused, Err(app::backend::error::ServiceError::Conflict(ref m)) if m == "A switch that is paused cannot pause.")
    );

    deployments::act(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        "resume",
    )
    .await
    .unwrap();
    deployments::act(
        &app::backend::context::Ctx::of(&db, &admin, &ctx),
        id,
        "promote",
    )
    .await
    .unwrap();
    assert_eq!(
        weights_of(&db, &admin, id).await,
        (0, 100),
        "promote moves all traffic at once"
    );
    wait_until("the switch completes", async || {
        switch_row(&db, switch).await.status == SwitchStatus::Completed
    })
    .await;
    worker.abort();
    let detail = deployments::detail(
        &app::backend::context::Ctx::of(&db, &admin, &Default::default()),
        id,
    )
    .await
    .unwrap();
    assert_eq!(detail.deployment.live_slot, Slot::Green);
    assert_eq!(detail.deployment.live_version.as_deref(), Some("5.2.0"));
    assert_eq!(detail.actions, vec!["rollback"]);
    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(id.to_string()))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    for expected in [
        "deployment.create",
        "deployment.switch",
        "deployment.prepared",
        "deployment.validated",
        "deployment.step",
        "deployment.pause",
        "deployment.resume",
        "deployment.promote",
        "deployment.complete",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}
