//! `tenantry demo-bluegreen`: a blue-green switch through a real HAProxy on
//! this machine. It starts two local backends (blue answers v1, green v2),
//! Debian's HAProxy in front of them with its runtime API on an admin
//! socket, steady demo traffic through HAProxy, and the portal with a
//! deployment wired to all of it. Green's errors can be injected with
//! `curl 'http://127.0.0.1:18082/fault?percent=20'` to watch a rollback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use app::backend::audit::{self, AuditEntry, RequestContext};
use app::backend::entities::{edge_deployment, tenant};
use app::backend::principal::Actor;
use app::backend::services::deployments;
use app::backend::services::platform::seed;
use app::backend::services::tenants;
use app::model::deployments::{DeploymentForm, SwitchSettingsForm};
use app::model::tenants::NewTenantForm;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

use crate::config::Config;
use crate::startup::{self, anyhow_like};
use app::backend::context::Ctx;

const HAPROXY_BIN: &str = "/usr/sbin/haproxy";
const FRONTEND_PORT: u16 = 8080;
const BLUE_PORT: u16 = 18081;
const GREEN_PORT: u16 = 18082;
const DEMO_TENANT: &str = "bluegreen-demo";

fn problem(what: impl std::fmt::Display) -> anyhow_like::Error {
    anyhow_like::Error(what.to_string())
}

/// One demo backend: its version on `/`, `ok` on `/healthz`, and
/// `/fault?percent=N` to make N % of its answers on `/` fail with a 500.
async fn backend(port: u16, version: &'static str) -> anyhow_like::Result<()> {
    use axum::extract::Query;
    use axum::http::StatusCode;
    use axum::routing::get;
    let failing = Arc::new(AtomicU32::new(0));
    let served = Arc::new(AtomicU64::new(0));
    let fault = failing.clone();
    let app = axum::Router::new()
        .route(
            "/",
            get(move || {
                let (failing, served) = (failing.clone(), served.clone());
                async move {
                    let n = served.fetch_add(1, Ordering::Relaxed);
                    if n % 100 < u64::from(failing.load(Ordering::Relaxed)) {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            format!("{version} injected error"),
                        )
                    } else {
                        (StatusCode::OK, version.to_owned())
                    }
                }
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/fault",
            get(
                move |Query(query): Query<std::collections::HashMap<String, String>>| {
                    let fault = fault.clone();
                    async move {
                        let percent: u32 = query
                            .get("percent")
                            .and_then(|p| p.parse().ok())
                            .unwrap_or(0)
                            .min(100);
                        fault.store(percent, Ordering::Relaxed);
                        format!("{version}: {percent} % of requests now fail\n")
                    }
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            problem(format!(
                "demo backend {version} cannot listen on {port}: {e}"
            ))
        })?;
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Ok(())
}

pub async fn demo_bluegreen(config: Config) -> anyhow_like::Result<()> {
    if !std::path::Path::new(HAPROXY_BIN).exists() {
        return Err(problem(
            "HAProxy is not installed: `make demo-bluegreen` installs Debian's haproxy package.",
        ));
    }
    // The demo's socket and backends are the vendor's own: `make
    // demo-bluegreen` allows them (TENANTRY_HAPROXY_SOCKET_DIR, TENANTRY_OUTBOUND_ALLOW).
    app::backend::outbound::configure(config.network.clone());
    let dir = std::path::absolute("data/demo-bluegreen").map_err(problem)?;
    std::fs::create_dir_all(&dir).map_err(problem)?;
    let socket = dir.join("admin.sock").display().to_string();
    let _ = std::fs::remove_file(&socket);
    backend(BLUE_PORT, "v1").await?;
    backend(GREEN_PORT, "v2").await?;
    let haproxy_config = format!(
        "global\n  stats socket {socket} mode 600 level admin\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\
         frontend edge\n  bind 127.0.0.1:{FRONTEND_PORT}\n  default_backend app\n\
         backend app\n  balance roundrobin\n\
         \x20 server blue 127.0.0.1:{BLUE_PORT} weight 100\n\
         \x20 server green 127.0.0.1:{GREEN_PORT} weight 0\n"
    );
    let config_path = dir.join("haproxy.cfg");
    std::fs::write(&config_path, haproxy_config).map_err(problem)?;
    let _haproxy = tokio::process::Command::new(HAPROXY_BIN)
        .arg("-db")
        .arg("-f")
        .arg(&config_path)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| problem(format!("cannot start HAProxy: {e}")))?;

    // The portal first (it migrates, creates the first admin and seeds the
    // demo data), then the deployment wired to this HAProxy.
    let db = startup::open_database(&config).await?; // migrates first, once
    let portal = tokio::spawn(startup::serve(config.clone()));
    let mut admin = None;
    for _ in 0..600 {
        if portal.is_finished() {
            break;
        }
        if let Ok(found) = seed::platform_admin(&db).await {
            admin = Some(found);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let admin = admin.ok_or_else(|| problem("the portal did not start; see its messages above"))?;
    let deployment = wire_deployment(&db, &admin, &config, &socket).await?;

    // Steady demo traffic through HAProxy (about 100 requests a second).
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{FRONTEND_PORT}/");
        loop {
            let _ = client.get(&url).send().await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    println!("Blue-green demo:");
    println!("  HAProxy      http://127.0.0.1:{FRONTEND_PORT}/ (admin socket {socket})");
    println!(
        "  blue (v1)    http://127.0.0.1:{BLUE_PORT}/   green (v2) http://127.0.0.1:{GREEN_PORT}/"
    );
    println!("  traffic      about 100 requests/s through HAProxy");
    println!(
        "  deployment   http://{}/deployments/{deployment}: start a switch to 5.2.0 there",
        config.listen_addr
    );
    println!(
        "  make green fail: curl 'http://127.0.0.1:{GREEN_PORT}/fault?percent=20' (0 to heal)"
    );
    portal.await.map_err(problem)?
}

/// The demo tenant's edge gateway on blue-green behind the demo HAProxy.
async fn wire_deployment(
    db: &sea_orm::DatabaseConnection,
    admin: &app::backend::principal::Principal,
    config: &Config,
    socket: &str,
) -> anyhow_like::Result<uuid::Uuid> {
    let context = RequestContext::named("demo-bluegreen");
    let products = seed::seed_catalog(&Ctx::of(db, admin, &Default::default()))
        .await
        .map_err(problem)?;
    drop(products);
    let existing = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(DEMO_TENANT))
        .one(db)
        .await
        .map_err(problem)?;
    if existing.is_none() {
        let region = config
            .regions
            .first()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| "eu-central-1".into());
        let form = NewTenantForm {
            customer: "Blue-green demo".into(),
            slug: DEMO_TENANT.into(),
            display_name: "Blue-green demo edge".into(),
            environment: "production".into(),
            deployment_kind: "edge".into(),
            isolation_mode: "dedicated".into(),
            plan_code: "enterprise".into(),
            allowed_regions: region.clone(),
            region,
            ..NewTenantForm::default()
        };
        tenants::create(&Ctx::of(db, admin, &context), &config.regions, &form)
            .await
            .map_err(|e| problem(format!("demo tenant: {e}")))?;
        // A switch is the tenant's upgrade: only an active tenant gets one.
        // The portal's executor provisions it within seconds of serving.
        tenants::transition(
            &Ctx::of(db, admin, &context),
            DEMO_TENANT,
            app::domain::tenants::lifecycle::LifecycleAction::Activate,
            None,
            None,
        )
        .await
        .map_err(|e| problem(format!("activating the demo tenant: {e}")))?;
    }
    let tenant_id = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(DEMO_TENANT))
        .one(db)
        .await
        .map_err(problem)?
        .ok_or_else(|| problem("demo tenant missing"))?
        .id;
    // A fresh HAProxy starts all on blue: the demo's deployment starts over
    // too (audited like every other change).
    let txn = db.begin().await.map_err(problem)?;
    let removed = edge_deployment::Entity::delete_many()
        .filter(edge_deployment::Column::TenantId.eq(tenant_id))
        .exec(&txn)
        .await
        .map_err(problem)?;
    if removed.rows_affected > 0 {
        audit::record(
            &txn,
            &context,
            AuditEntry::new(
                Actor::System("demo-bluegreen"),
                "deployment.demo_reset",
                "edge_deployment",
            )
            .tenant(tenant_id),
        )
        .await
        .map_err(problem)?;
    }
    txn.commit().await.map_err(problem)?;
    let id = deployments::create(
        &Ctx::of(db, admin, &context),
        deployments::NewDeployment::try_from(&DeploymentForm {
            tenant: DEMO_TENANT.into(),
            product: "edge-gateway".into(),
            version: "5.1.0".into(),
            router: "haproxy".into(),
            router_socket: socket.into(),
            blue_url: format!("http://127.0.0.1:{BLUE_PORT}"),
            green_url: format!("http://127.0.0.1:{GREEN_PORT}"),
            ..DeploymentForm::default()
        }),
    )
    .await
    .map_err(|e| problem(format!("demo deployment: {e}")))?;
    deployments::save_settings(
        &Ctx::of(db, admin, &context),
        id,
        deployments::SwitchSettings::try_from(&SwitchSettingsForm {
            steps: "10, 50, 100".into(),
            bake_seconds: "20".into(),
            interval_seconds: "2".into(),
            max_error_rate: "5".into(),
            max_latency_ms: "500".into(),
            max_error_rate_over_live: "2".into(),
            max_latency_ratio_to_live: "3".into(),
            min_requests: "10".into(),
            max_consecutive_failures: "3".into(),
        }),
    )
    .await
    .map_err(|e| problem(format!("demo settings: {e}")))?;
    Ok(id)
}
