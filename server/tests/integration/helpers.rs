//! Test fixtures: fresh databases per test and the real router on a random port.

use std::sync::OnceLock;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use uuid::Uuid;

use app::backend::db;
use app::backend::services::access::users::ensure_first_admin;
use app::backend::state::AppState;
use server::config::Config;
use server::router::build_router;
use server::startup::{http_settings, spawn_mail_worker};

pub const ADMIN_EMAIL: &str = "admin@tenantry.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Runs each listed `async fn(TestDb)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::TestDb::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::helpers::TestDb::postgres().await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

enum Cleanup {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// A migrated, empty database of its own, removed when dropped.
pub struct TestDb {
    pub db: DatabaseConnection,
    /// Where the database lives, for tests that open a second connection.
    #[allow(dead_code)]
    pub url: String,
    cleanup: Cleanup,
}

/// The vendor's network as the tests have it: HAProxy sockets in the
/// temporary folder, and loopback allowed for outbound probes (the test
/// backends listen there). The same in every test of the process.
/// The secret key of every test process and server (base64 of 32 bytes).
pub const TEST_SECRET_KEY: &str = "dGVuYW50cnktdGVzdC1zZWNyZXQta2V5LTMyYnl0ZXM=";

pub fn configure_test_network() {
    app::backend::crypto::configure(app::backend::crypto::Keyring::new(
        app::backend::crypto::SecretKey::parse(TEST_SECRET_KEY).expect("test key"),
        vec![],
    ));
    app::backend::outbound::configure(app::backend::outbound::NetworkSettings {
        outbound_allow: vec!["127.0.0.0/8".parse().expect("cidr")],
        haproxy_socket_dir: std::env::temp_dir()
            .display()
            .to_string()
            .trim_end_matches('/')
            .to_owned(),
    });
}

impl TestDb {
    pub async fn sqlite() -> Self {
        configure_test_network();
        let path =
            std::env::temp_dir().join(format!("tenantry-test-{}.db", Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", path.display());
        let db = db::connect(&url).await.expect("open sqlite");
        db::migrate(&db).await.expect("migrate sqlite");
        Self {
            db,
            url,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// `None` (and a loud note) when PostgreSQL is unreachable — unless
    /// `TENANTRY_REQUIRE_POSTGRES=1`, as in CI, where that is a failure.
    pub async fn postgres() -> Option<Self> {
        configure_test_network();
        let admin_url = std::env::var("TENANTRY_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let admin = match connect_quickly(&admin_url).await {
            Ok(admin) => admin,
            Err(err) => {
                if std::env::var("TENANTRY_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!(
                        "PostgreSQL is required (TENANTRY_REQUIRE_POSTGRES=1) but unreachable at {admin_url}: {err}"
                    );
                }
                static NOTED: OnceLock<()> = OnceLock::new();
                NOTED.get_or_init(|| {
                    eprintln!(
                        "SKIPPED: PostgreSQL tests — no server reachable at {admin_url} ({err})"
                    )
                });
                return None;
            }
        };
        let name = format!("tenantry_test_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = replace_database(&admin_url, &name);
        let db = db::connect(&url).await.expect("open test database");
        db::migrate(&db).await.expect("migrate postgres");
        Some(Self {
            db,
            url,
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        })
    }
}

async fn connect_quickly(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(2))
        .sqlx_logging(false);
    Database::connect(options).await
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let base = &base[..base.rfind('/').expect("database url has a path")];
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a runtime of our own on a plain thread.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let admin = connect_quickly(&admin_url).await.ok()?;
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

/// The real router, served on a random loopback port.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub test_db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

pub async fn spawn_app(test_db: TestDb) -> TestApp {
    spawn_app_with(test_db, &[]).await
}

/// `spawn_app` with configuration variables.
pub async fn spawn_app_with(test_db: TestDb, vars: &[(&str, &str)]) -> TestApp {
    ensure_first_admin(
        &test_db.db,
        Some(ADMIN_EMAIL),
        Some(ADMIN_PASSWORD),
        chrono::Utc::now(),
    )
    .await
    .expect("first admin");
    let (address, server) = serve_with(&test_db, vars).await;
    TestApp {
        address,
        client: client(),
        db: test_db.db.clone(),
        test_db,
        server,
    }
}

/// Starts another server on the same database (a restart, or a second replica).
pub async fn serve(test_db: &TestDb) -> (String, tokio::task::JoinHandle<()>) {
    serve_with(test_db, &[]).await
}

/// `serve` with configuration variables (e.g. an SMTP server, a short
/// lockout). Links in emails point at this server; without SMTP, emails go
/// to a temporary outbox folder of this server's own.
pub async fn serve_with(
    test_db: &TestDb,
    vars: &[(&str, &str)],
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let outbox = std::env::temp_dir().join(format!("tenantry-outbox-{}", Uuid::new_v4().simple()));
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.push(("DATABASE_URL".into(), test_db.url.clone()));
    vars.push(("TENANTRY_PUBLIC_URL".into(), address.clone()));
    vars.push(("TENANTRY_OUTBOX_DIR".into(), outbox.display().to_string()));
    let config =
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .expect("test config");
    let state = app_state(test_db, &config).await;
    let mail_worker = spawn_mail_worker(&state);
    let router = build_router(state, http_settings(&config));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
        mail_worker.abort();
    });
    (address, server)
}

/// The state the router serves from, for `test_db` and `config`, built by
/// the production start-up code.
pub async fn app_state(test_db: &TestDb, config: &Config) -> AppState {
    assert_eq!(
        config.database_url, test_db.url,
        "the config names the test database"
    );
    server::startup::app_state(config, test_db.db.clone())
        .await
        .expect("app state")
}

/// The very router `serve` builds, with the default configuration (for
/// tests that read its route table).
pub async fn router_of(test_db: &TestDb) -> axum::Router {
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| test_db.url.clone()))
        .expect("default config");
    build_router(app_state(test_db, &config).await, http_settings(&config))
}

/// Keeps cookies, never follows redirects (tests look at them), gives up after a minute.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A request that never answers fails its test instead of stalling the suite.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Calls the `login` server function the way the hydrated login form does.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        use server_fn::ServerFn;
        self.client
            .post(self.url(<app::api::access::auth::Login as ServerFn>::PATH))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("POST login")
    }

    /// Signs in with a fresh client (another browser), returning the response.
    pub async fn login_as(&self, email: &str, password: &str) -> reqwest::Response {
        use server_fn::ServerFn;
        client()
            .post(self.url(<app::api::access::auth::Login as ServerFn>::PATH))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("POST login")
    }

    pub async fn logout(&self) -> reqwest::Response {
        use server_fn::ServerFn;
        self.client
            .post(self.url(<app::api::access::auth::Logout as ServerFn>::PATH))
            .form(&[("", "")])
            .send()
            .await
            .expect("POST logout")
    }

    /// Restarts the HTTP server on the same database (sessions must survive).
    pub async fn restart(&mut self) {
        self.server.abort();
        let (address, server) = serve(&self.test_db).await;
        self.address = address;
        self.server = server;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A valid onboarding form for `slug` (customer "Customer of <slug>",
/// production, starter plan, eu-central-1).
pub fn tenant_form(slug: &str) -> app::model::tenants::NewTenantForm {
    app::model::tenants::NewTenantForm {
        customer: format!("Customer of {slug}"),
        slug: slug.into(),
        display_name: format!("Tenant {slug}"),
        environment: "production".into(),
        deployment_kind: "standard".into(),
        isolation_mode: "shared".into(),
        plan_code: "starter".into(),
        region: "eu-central-1".into(),
        allowed_regions: "eu-central-1".into(),
        ..Default::default()
    }
}

/// A change form parsed as the page's and the API's door parse it.
pub fn change_request(
    form: &app::model::changes::ChangeForm,
) -> app::backend::error::Parsed<app::backend::services::changes::NewChangeRequest> {
    app::backend::services::changes::NewChangeRequest::try_from(form)
}

/// A change form for every tenant of its `target_filter`, parsed as the door does.
pub fn filter_change_request(
    form: &app::model::changes::ChangeForm,
) -> app::backend::error::Parsed<app::backend::services::changes::FilterChangeRequest> {
    app::backend::services::changes::FilterChangeRequest::parse(None, form)
}

/// A deployment form parsed as the door parses it.
pub fn new_deployment(
    form: &app::model::deployments::DeploymentForm,
) -> app::backend::error::Parsed<app::backend::services::deployments::NewDeployment> {
    app::backend::services::deployments::NewDeployment::try_from(form)
}

/// Switch settings parsed as the door parses them.
pub fn switch_settings(
    form: &app::model::deployments::SwitchSettingsForm,
) -> app::backend::error::Parsed<app::backend::services::deployments::SwitchSettings> {
    app::backend::services::deployments::SwitchSettings::try_from(form)
}

/// A switch form parsed as the door parses it.
pub fn switch_to(
    form: &app::model::deployments::SwitchForm,
) -> app::backend::error::Parsed<app::backend::services::deployments::SwitchTarget> {
    app::backend::services::deployments::SwitchTarget::try_from(form)
}

/// A rollout form parsed as the door parses it.
pub fn new_rollout(
    form: &app::model::rollouts::RolloutForm,
) -> app::backend::error::Parsed<app::backend::services::rollouts::NewRollout> {
    app::backend::services::rollouts::NewRollout::try_from(form)
}

/// Asserts that `result` is a validation error naming `field`.
pub fn expect_field_error<T: std::fmt::Debug>(
    result: Result<T, app::backend::error::ServiceError>,
    field: &str,
) -> String {
    match result {
        Err(app::backend::error::ServiceError::Validation(errors)) => errors
            .for_field(field)
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("expected an error on {field}, got {errors:?}")),
        other => panic!("expected a field error on {field}, got {other:?}"),
    }
}

/// A live API token of the first admin.
pub async fn admin_token(app: &TestApp) -> String {
    let admin = app::backend::services::access::auth::principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    app::backend::services::access::api_tokens::create(
        &app::backend::context::Ctx::of(
            &app.db,
            &admin,
            &app::backend::audit::RequestContext::default(),
        ),
        "tests",
        "",
        "",
    )
    .await
    .unwrap()
    .token
}

/// Starts the real `tenantry` binary on `database_url` (a free port, no demo
/// seed, short job leases so a killed replica's work is reclaimed quickly).
pub fn spawn_server(database_url: &str, vars: &[(&str, &str)]) -> std::process::Child {
    server_command(database_url, vars)
        .spawn()
        .expect("start tenantry")
}

/// The command [`spawn_server`] runs (its output discarded unless the caller
/// redirects it).
pub fn server_command(database_url: &str, vars: &[(&str, &str)]) -> std::process::Command {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"));
    command
        .env("DATABASE_URL", database_url)
        .env("TENANTRY_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("TENANTRY_JOB_LEASE_SECONDS", "2")
        .env("TENANTRY_WORKER_CONCURRENCY", "8")
        .env("TENANTRY_SEED_DEMO", "false")
        .env(
            "TENANTRY_OUTBOX_DIR",
            std::env::temp_dir().join(format!("tenantry-crash-{}", uuid::Uuid::new_v4().simple())),
        )
        .env("RUST_LOG", "warn")
        // The same vendor network as `configure_test_network`.
        .env(
            "TENANTRY_HAPROXY_SOCKET_DIR",
            std::env::temp_dir().display().to_string(),
        )
        .env("TENANTRY_OUTBOUND_ALLOW", "127.0.0.0/8")
        .env("TENANTRY_SECRET_KEY", TEST_SECRET_KEY)
        .stdout(std::process::Stdio::null());
    for (key, value) in vars {
        command.env(key, value);
    }
    command
}

/// Starts `tenantry` like [`spawn_server`] on a port of its own and waits
/// until it answers `/readyz`, so its workers are taking jobs.
pub async fn spawn_ready_server(database_url: &str, vars: &[(&str, &str)]) -> std::process::Child {
    spawn_ready_server_with(database_url, vars, None).await.0
}

/// [`spawn_ready_server`] with its log written to `log` (stdout), and its
/// address.
pub async fn spawn_ready_server_with(
    database_url: &str,
    vars: &[(&str, &str)],
    log: Option<std::fs::File>,
) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut all_vars = vars.to_vec();
    all_vars.push(("TENANTRY_LISTEN_ADDR", &listen));
    let mut command = server_command(database_url, &all_vars);
    if let Some(log) = log {
        command.stdout(log);
    }
    let child = command.spawn().expect("start tenantry");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        let ready = client
            .get(format!("http://{listen}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return (child, format!("http://{listen}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tenantry on {listen} was not ready within a minute");
}

/// A person with a built-in role, on the platform (`tenant: None`) or at one
/// tenant, created through the users service; their principal.
pub async fn person(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    role: app::domain::access::permission::BuiltinRole,
    tenant: Option<Uuid>,
) -> app::backend::principal::Principal {
    use app::backend::services::access::auth::principal_by_email;
    use app::backend::services::access::users;
    let mut new_user = users::NewUser::parse(email, "Someone", password, role).unwrap();
    if let Some(tenant) = tenant {
        new_user = new_user.at_tenant(tenant);
    }
    users::create_user(
        db,
        &app::backend::principal::Actor::System("test"),
        &app::backend::audit::RequestContext::default(),
        new_user,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    principal_by_email(db, email).await.unwrap().unwrap()
}

/// Records that `tenant` runs `product` at `running` (a licence row as the
/// Versions tab would leave it): a fixture for tests about what comes after.
pub async fn license(db: &DatabaseConnection, tenant: Uuid, product: Uuid, running: &str) {
    use sea_orm::ActiveModelTrait;
    app::backend::entities::tenant_product::ActiveModel {
        tenant_id: sea_orm::Set(tenant),
        product_id: sea_orm::Set(product),
        allowed_range: sea_orm::Set(None),
        feature_flags: sea_orm::Set(Default::default()),
        running_version: sea_orm::Set(Some(running.into())),
        components: sea_orm::Set(Default::default()),
        updated_at: sea_orm::Set(chrono::Utc::now()),
    }
    .insert(db)
    .await
    .expect("licence row");
}

/// Checks an Ed25519 signature with OpenSSL (an implementation independent
/// of the portal's).
pub fn openssl_verifies(document: &str, signature: &str, public_key_pem: &str) -> bool {
    use base64::Engine;
    let dir = std::env::temp_dir().join(format!("tenantry-signed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("document.json"), document).unwrap();
    std::fs::write(
        dir.join("document.sig"),
        base64::engine::general_purpose::STANDARD
            .decode(signature)
            .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("key.pem"), public_key_pem).unwrap();
    let status = std::process::Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "key.pem",
            "-rawin",
            "-in",
            "document.json",
            "-sigfile",
            "document.sig",
        ])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed (make setup-test)");
    std::fs::remove_dir_all(&dir).ok();
    status.success()
}

/// The first admin (made if missing) as a principal, for service-level tests.
pub async fn first_admin(db: &sea_orm::DatabaseConnection) -> app::backend::principal::Principal {
    app::backend::services::access::users::ensure_first_admin(
        db,
        Some(ADMIN_EMAIL),
        Some(ADMIN_PASSWORD),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    app::backend::services::access::auth::principal_by_email(db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
}
