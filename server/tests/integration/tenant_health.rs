//! Health baselines for every tenant: probed at the tenant's own address (a
//! real HTTP server here), recorded with per-check results, judged into
//! broken and back to active, validated periodically by replicas that never
//! probe one tenant twice, and reachable through every door.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestDb, admin_token, person, spawn_app, tenant_form,
};
use app::backend::context::{Clock, Ctx, ManualClock};
use app::backend::entities::{audit_event, tenant, tenant_health_run};
use app::backend::error::ServiceError;
use app::backend::executor::Immediate;
use app::backend::jobs::WorkerSettings;
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::platform::work::{ChangeRunner, run_until_idle};
use app::backend::services::tenants;
use app::backend::services::tenants::health;
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::health::ValidationPolicy;
use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use app::domain::tenants::tenant::Region;

/// A tenant's own service: answers `/` with the status it is told to (503
/// for the next `failures` probes first), and counts the probes it gets.
pub struct TenantService {
    pub url: String,
    status: Arc<AtomicU16>,
    failures: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl TenantService {
    pub async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let failures = Arc::new(AtomicUsize::new(0));
        let hits = Arc::new(AtomicUsize::new(0));
        let (answer, failing, count) = (status.clone(), failures.clone(), hits.clone());
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let (answer, failing, count) = (answer.clone(), failing.clone(), count.clone());
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    let fail = failing
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if fail {
                        503
                    } else {
                        answer.load(Ordering::SeqCst)
                    };
                    (axum::http::StatusCode::from_u16(status).unwrap(), "hello")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            status,
            failures,
            hits,
            server,
        }
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The next `n` probes get 503, then the usual answer.
    pub fn fail_next(&self, n: usize) {
        self.failures.store(n, Ordering::SeqCst);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for TenantService {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn admin(db: &DatabaseConnection) -> Principal {
    principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap()
}

/// Onboards and activates `slug` (the activation's steps run at once).
async fn active_tenant(db: &DatabaseConnection, admin: &Principal, slug: &str) -> uuid::Uuid {
    let ctx = Ctx::of(db, admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form(slug))
        .await
        .unwrap();
    tenants::transition(&ctx, slug, LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    let runner = ChangeRunner {
        db: db.clone(),
        executor: Arc::new(Immediate),
        clock: Arc::new(app::backend::context::SystemClock),
    };
    run_until_idle(db, &runner, &WorkerSettings::new("test"))
        .await
        .unwrap();
    let t = tenant_row(db, slug).await;
    assert_eq!(t.lifecycle_state, LifecycleState::Active);
    t.id
}

async fn tenant_row(db: &DatabaseConnection, slug: &str) -> tenant::Model {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn audit_actions(db: &DatabaseConnection, tenant_id: uuid::Uuid) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(tenant_id.to_string()))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

fn policy() -> ValidationPolicy {
    ValidationPolicy {
        interval_seconds: 60,
        jitter_percent: 10,
        failures_to_break: 3,
        concurrency: 4,
    }
}

async fn a_failing_baseline_breaks_an_active_tenant_and_a_passing_run_recovers_it(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let tenant_id = active_tenant(db, &admin, "acme").await;
    let service = TenantService::start().await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    health::set_address(&ctx, "acme", &format!("{}/", service.url))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::at(chrono::Utc::now() + Duration::seconds(1)));
    let sweep = |clock: Arc<ManualClock>| {
        let db = db.clone();
        async move {
            health::validate_due(&db, &policy(), clock as Arc<dyn Clock>, Arc::new(Immediate))
                .await
                .unwrap()
        }
    };

    service.answer(503);
    for round in 1..=2 {
        let report = sweep(clock.clone()).await;
        assert_eq!((report.probed, report.failed), (1, 1), "round {round}");
        let t = tenant_row(db, "acme").await;
        assert_eq!(t.lifecycle_state, LifecycleState::Active, "round {round}");
        assert_eq!(t.health_failures, round);
        // Not due again until the interval (within its jitter) has passed.
        assert_eq!(sweep(clock.clone()).await.probed, 0);
        clock.advance(Duration::seconds(70));
    }
    assert_eq!(service.hits(), 2, "one probe per due run, never more");
    sweep(clock.clone()).await;
    let broken = tenant_row(db, "acme").await;
    assert_eq!(broken.lifecycle_state, LifecycleState::Broken);
    assert_eq!(
        broken.state_reason.as_deref(),
        Some("Health baseline failed 3 times in a row: tenant/Responds: Status 503, expected 200")
    );
    assert!(
        audit_actions(db, tenant_id)
            .await
            .contains(&"tenant.health_broken".to_owned())
    );

    service.answer(200);
    clock.advance(Duration::seconds(70));
    assert_eq!(sweep(clock.clone()).await.failed, 0);
    let recovered = tenant_row(db, "acme").await;
    assert_eq!(recovered.lifecycle_state, LifecycleState::Active);
    assert_eq!(
        (recovered.health_failures, recovered.state_reason),
        (0, None)
    );
    assert!(
        audit_actions(db, tenant_id)
            .await
            .contains(&"tenant.health_recovered".to_owned())
    );

    let view = health::view(&ctx, "acme", &policy()).await.unwrap();
    assert_eq!(view.base_url.as_deref(), Some(service.url.as_str()));
    assert_eq!(view.runs.len(), 4);
    assert!(view.runs[0].passed && !view.runs[1].passed, "newest first");
    let check = &view.runs[1].results[0];
    assert_eq!(
        (check.product.as_str(), check.name.as_str()),
        ("tenant", "Responds")
    );
    assert_eq!(check.detail, "Status 503, expected 200");
    let today = view.days.last().unwrap();
    assert_eq!((view.days.len(), today.runs, today.passed), (30, 4, 1));
    assert_eq!(view.pass_rate, Some(25));
}

async fn replicas_share_the_periodic_validation_without_probing_a_tenant_twice(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let service = TenantService::start().await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    for i in 0..6 {
        let slug = format!("fleet-{i}");
        active_tenant(db, &admin, &slug).await;
        health::set_address(&ctx, &slug, &service.url)
            .await
            .unwrap();
    }
    // A tenant in maintenance is expected to be down: it is not probed.
    let resting = active_tenant(db, &admin, "resting").await;
    health::set_address(&ctx, "resting", &service.url)
        .await
        .unwrap();
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::LifecycleState,
            LifecycleState::Maintenance.as_str().into(),
        )
        .filter(tenant::Column::Id.eq(resting))
        .exec(db)
        .await
        .unwrap();

    let clock: Arc<dyn Clock> =
        Arc::new(ManualClock::at(chrono::Utc::now() + Duration::seconds(1)));
    let policy = policy();
    let (one, two) = tokio::join!(
        health::validate_due(db, &policy, clock.clone(), Arc::new(Immediate)),
        health::validate_due(db, &policy, clock.clone(), Arc::new(Immediate)),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.probed + two.probed, 6, "{one:?} {two:?}");
    assert_eq!(service.hits(), 6);
    let runs = tenant_health_run::Entity::find().all(db).await.unwrap();
    assert_eq!(runs.len(), 6);
    assert!(runs.iter().all(|r| r.tenant_id != resting));
}

async fn only_the_vendor_sets_the_address_and_it_must_be_an_outbound_url(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let tenant_id = active_tenant(db, &admin, "acme").await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let bad = health::set_address(&ctx, "acme", "https://acme.example.com/?token=1").await;
    assert!(
        matches!(bad, Err(ServiceError::Validation(ref f)) if f.for_field("base_url").is_some()),
        "{bad:?}"
    );
    let customer = person(
        db,
        "owner@acme.test",
        "a-long-password-1",
        BuiltinRole::TenantAdmin,
        Some(tenant_id),
    )
    .await;
    let own = Ctx::of(db, &customer, &Default::default());
    let refused = health::set_address(&own, "acme", "https://evil.example.com").await;
    assert!(
        matches!(refused, Err(ServiceError::Refused(ref why)) if why.contains("Only the vendor")),
        "{refused:?}"
    );
    // Without an address there is nothing to run, and the tenant admin is told why.
    let nothing = health::run_now(&own, "acme", &policy(), &Immediate).await;
    assert!(
        matches!(nothing, Err(ServiceError::Conflict(_))),
        "{nothing:?}"
    );
    // Another tenant's admin does not even learn that acme exists.
    let other = active_tenant(db, &admin, "globex").await;
    let stranger = person(
        db,
        "owner@globex.test",
        "a-long-password-2",
        BuiltinRole::TenantAdmin,
        Some(other),
    )
    .await;
    let hidden = health::view(
        &Ctx::of(db, &stranger, &Default::default()),
        "acme",
        &policy(),
    )
    .await;
    assert!(matches!(hidden, Err(ServiceError::NotFound)), "{hidden:?}");
    health::set_address(&ctx, "acme", "https://acme.example.com/app/")
        .await
        .unwrap();
    assert_eq!(
        tenant_row(db, "acme").await.base_url.as_deref(),
        Some("https://acme.example.com/app")
    );
    assert!(
        audit_actions(db, tenant_id)
            .await
            .contains(&"tenant.address_set".to_owned())
    );
}

async fn the_rest_api_and_the_tab_s_server_functions_run_the_same_baseline(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let tenant_id = active_tenant(db, &admin, "acme").await;
    let service = TenantService::start().await;
    let token = admin_token(&app).await;

    let set = app
        .client
        .put(app.url("/api/v1/tenants/acme/health/address"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "base_url": service.url }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let ran = app
        .client
        .post(app.url("/api/v1/tenants/acme/health/runs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), StatusCode::CREATED);
    let run: Value = ran.json().await.unwrap();
    assert_eq!(
        (run["passed"].as_bool(), run["trigger"].as_str()),
        (Some(true), Some("manual"))
    );
    assert_eq!(
        run["results"][0]["detail"]
            .as_str()
            .map(|d| d.starts_with("Status 200")),
        Some(true)
    );

    // The Health tab's "Run now", signed in.
    let signed_in = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(signed_in.status().is_success() || signed_in.status().is_redirection());
    service.answer(500);
    let tab = app
        .client
        .post(app.url("/api/fn/run_health_check"))
        .form(&[("slug", "acme")])
        .send()
        .await
        .unwrap();
    assert!(
        tab.status().is_success() || tab.status().is_redirection(),
        "{}",
        tab.status()
    );
    assert_eq!(service.hits(), 2);

    let shown: Value = app
        .client
        .get(app.url("/api/v1/tenants/acme/health"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["consecutive_failures"], 1);
    assert_eq!(shown["runs"].as_array().map(Vec::len), Some(2));
    assert_eq!(shown["runs"][0]["passed"], false);
    // A page that gives no answer is asked again, as the isolation test
    // does (a rare stall rendering pages on PostgreSQL under the full suite).
    let mut page = String::new();
    for _ in 0..3 {
        let asked = app
            .client
            .get(app.url("/tenants/acme/health"))
            .timeout(std::time::Duration::from_secs(20))
            .send()
            .await;
        if let Ok(answer) = asked {
            page = answer.text().await.unwrap_or_default();
            break;
        }
    }
    assert!(
        page.contains("Status 500, expected 200"),
        "the tab renders on the server"
    );

    // The CLI, over the same REST door.
    service.answer(200);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(["tenants", "health", "acme", "--run"])
        .env("TENANTRY_URL", &app.address)
        .env("TENANTRY_TOKEN", &token)
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    let printed = String::from_utf8_lossy(&cli.stdout);
    assert!(printed.contains("Ran now: passed"), "{printed}");
    assert!(printed.contains("failing 0 of 3 in a row"), "{printed}");
    assert_eq!(service.hits(), 3);
    let asked = audit_actions(db, tenant_id)
        .await
        .into_iter()
        .filter(|a| a == "tenant.health_run")
        .count();
    assert_eq!(asked, 3, "every run someone asked for is audited with it");
}

/// A test suite in a product's baseline runs through the executor (a real
/// command here) against the tenant's address; its verdict is the check's.
async fn a_suite_check_runs_through_the_executor_at_the_tenant_s_address(db: TestDb) {
    use app::backend::executor::CommandExecutor;
    use app::backend::services::deployments;
    use app::backend::services::platform::seed;
    use app::domain::deployments::health::HealthCheck;
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let tenant_id = active_tenant(db, &admin, "acme").await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let products = seed::seed_catalog(&ctx).await.unwrap();
    crate::helpers::license(db, tenant_id, products[0].0, "5.1.0").await;
    let product_key = app::backend::entities::product::Entity::find_by_id(products[0].0)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .key;
    deployments::save_baseline(
        &ctx,
        &product_key,
        &[
            HealthCheck {
                name: "Responds".into(),
                path: "/".into(),
                expect_status: 200,
                body_contains: "hello".into(),
                max_latency_ms: 2000,
                suite: None,
            },
            HealthCheck::suite("API suite", "api-smoke", 30_000),
        ],
    )
    .await
    .unwrap();
    let service = TenantService::start().await;
    health::set_address(&ctx, "acme", &format!("{}/", service.url))
        .await
        .unwrap();

    // The "suite": logs what it was asked and where, fails while told to.
    let dir = std::env::temp_dir().join(format!("tenantry-suite-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("suite.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1|$2|$3|$TENANTRY_ADDRESS\" >> {dir}/ledger\necho '12 tests'\n\
             if [ -e {dir}/fail ]; then echo '2 failed: login, search'; exit 1; fi\necho 'all passed'\n",
            dir = dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let executor = CommandExecutor::new(
        &format!("{} {{tenant}} {{kind}} {{step}}", script.display()),
        std::time::Duration::from_secs(30),
    )
    .unwrap();

    let run = health::run_now(&ctx, "acme", &policy(), &executor)
        .await
        .unwrap();
    assert!(run.passed, "{run:?}");
    let suite = run.results.iter().find(|r| r.name == "API suite").unwrap();
    assert!(
        suite.detail.starts_with("Suite api-smoke passed in"),
        "{suite:?}"
    );
    let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
    assert_eq!(
        ledger.trim(),
        format!("acme|health|suite api-smoke|{}", service.url),
        "the executor ran the suite once, at the tenant's address"
    );

    std::fs::write(dir.join("fail"), "").unwrap();
    let run = health::run_now(&ctx, "acme", &policy(), &executor)
        .await
        .unwrap();
    assert!(!run.passed);
    let suite = run.results.iter().find(|r| r.name == "API suite").unwrap();
    assert!(!suite.passed);
    assert!(
        suite.detail.contains("Suite api-smoke failed")
            && suite.detail.contains("2 failed: login, search"),
        "the suite's own verdict is the detail: {suite:?}"
    );
    assert!(
        run.results.iter().any(|r| r.name == "Responds" && r.passed),
        "the HTTP check still ran beside it"
    );
    std::fs::remove_dir_all(&dir).ok();
}

crate::on_both_databases!(
    a_suite_check_runs_through_the_executor_at_the_tenant_s_address,
    a_failing_baseline_breaks_an_active_tenant_and_a_passing_run_recovers_it,
    replicas_share_the_periodic_validation_without_probing_a_tenant_twice,
    only_the_vendor_sets_the_address_and_it_must_be_an_outbound_url,
    the_rest_api_and_the_tab_s_server_functions_run_the_same_baseline,
);
