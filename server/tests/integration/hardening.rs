//! Security hardening (issue 17): a tenant admin is untrusted input, and
//! every door has a limit. Each test names the finding it closes.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestDb, admin_token, change_request, spawn_app,
    spawn_app_with, tenant_form,
};
use app::backend::audit::RequestContext;
use app::backend::entities::{audit_event, user};
use app::backend::error::ServiceError;
use app::backend::principal::Principal;
use app::backend::services::access::accounts;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::changes;
use app::backend::services::changes::update_policy;
use app::backend::services::deployments;
use app::backend::services::platform::seed;
use app::backend::services::tenants;
use app::backend::traffic::{RouterTarget, router_for};
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::tenant::Region;
use app::model::tenants::TenantEditForm;

const PASSWORD: &str = "hardening passphrase 1";

async fn admin(app: &TestApp) -> Principal {
    principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
}

async fn tenant(app: &TestApp, slug: &str) -> Uuid {
    let admin = admin(app).await;
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &RequestContext::default()),
        &regions,
        &tenant_form(slug),
    )
    .await
    .unwrap();
    tenants::detail(
        &app::backend::context::Ctx::of(&app.db, &admin, &Default::default()),
        slug,
    )
    .await
    .unwrap()
    .row
    .id
}

async fn tenant_admin(app: &TestApp, email: &str, tenant: Uuid) -> Principal {
    crate::helpers::person(
        &app.db,
        email,
        PASSWORD,
        BuiltinRole::TenantAdmin,
        Some(tenant),
    )
    .await
}

// ------------------------------------------------------------- 1. traffic routers

async fn traffic_router_settings_are_the_vendors_and_validated(db: TestDb) {
    let app = spawn_app(db).await;
    let a = tenant(&app, "edge-a").await;
    seed::seed_catalog(&app::backend::context::Ctx::of(
        &app.db,
        &admin(&app).await,
        &Default::default(),
    ))
    .await
    .unwrap();
    tenant_admin(&app, "admin@edge-a.example", a).await;
    let customer = crate::helpers::client();
    let signed_in = customer
        .post(app.url("/api/fn/login"))
        .form(&[("email", "admin@edge-a.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);

    // Before: a tenant admin could point the server at any socket, write
    // `;`-joined commands into HAProxy and have the server probe any address.
    let injection = serde_json::json!({
        "tenant": "edge-a", "product": "edge-gateway", "version": "5.1.0",
        "router": "haproxy", "router_socket": "/var/run/haproxy/admin.sock",
        "blue_server": "blue weight 0; shutdown sessions server app/green",
        "blue_url": "http://169.254.169.254/latest/meta-data/",
        "green_url": "http://10.0.0.12:8080",
    });
    let refused = customer
        .post(app.url("/api/v1/deployments"))
        .json(&injection)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );

    // The vendor is held to the grammar too: every field says what is wrong.
    let token = admin_token(&app).await;
    let invalid = app
        .client
        .post(app.url("/api/v1/deployments"))
        .bearer_auth(&token)
        .json(&injection)
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = invalid.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["router_socket", "blue_server", "blue_url", "green_url"] {
        assert!(fields.contains(&field), "{field} in {problem}");
    }
    assert!(
        problem.to_string().contains("internal address"),
        "{problem}"
    );
    let socket_dir = app::backend::outbound::settings()
        .haproxy_socket_dir
        .clone();
    let traversal = app
        .client
        .post(app.url("/api/v1/deployments"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "tenant": "edge-a", "product": "edge-gateway", "version": "5.1.0",
            "router": "haproxy", "router_socket": format!("{socket_dir}/../../var/run/docker.sock"),
            "blue_url": "http://127.0.0.1:18081", "green_url": "http://127.0.0.1:18082",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(traversal.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(traversal.text().await.unwrap().contains("router_socket"));
    let none = deployments::fleet(&app::backend::context::Ctx::of(
        &app.db,
        &admin(&app).await,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert!(none.is_empty(), "nothing was created");
}

/// No database involved: one run is enough.
#[tokio::test]
async fn a_stored_name_outside_the_grammar_never_reaches_the_socket() {
    crate::helpers::configure_test_network();
    // A row written before the rules (or by hand) is checked again at use:
    // the socket is never even opened.
    let dir = app::backend::outbound::settings()
        .haproxy_socket_dir
        .clone();
    let socket = format!("{dir}/tenantry-hardening-{}.sock", Uuid::new_v4().simple());
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let target = RouterTarget {
        deployment_id: Uuid::new_v4(),
        address: socket.clone(),
        backend: "app".into(),
        blue_server: "blue weight 0; disable server app/green".into(),
        green_server: "green".into(),
        simulation: Default::default(),
    };
    let refused = router_for(app::domain::deployments::bluegreen::RouterKind::Haproxy)
        .set_weights(&target, 90, 10)
        .await
        .unwrap_err();
    assert!(refused.contains("refused HAProxy server name"), "{refused}");
    let connected = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(connected.is_err(), "nothing connected to the admin socket");
    let outside = RouterTarget {
        address: "/var/run/docker.sock".into(),
        blue_server: "blue".into(),
        ..target
    };
    assert!(
        router_for(app::domain::deployments::bluegreen::RouterKind::Haproxy)
            .read(&outside)
            .await
            .unwrap_err()
            .contains("admin socket")
    );
    let _ = std::fs::remove_file(&socket);
}

// ------------------------------------------------------------- 2. body limits

async fn every_request_body_has_a_limit(db: TestDb) {
    let app = spawn_app_with(db, &[("TENANTRY_MAX_BODY_BYTES", "65536")]).await;
    // A 500 MB POST to the public login function: refused from its headers,
    // before a byte of it is read.
    let answer = raw_post(&app, "/api/fn/login", 500 * 1024 * 1024).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("problem+json"), "{answer}");

    let token = admin_token(&app).await;
    let big = "x".repeat(70 * 1024);
    let rest = app
        .client
        .post(app.url("/api/v1/tenants"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "slug": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Agents' inventory reports have their own, larger limit: a 100 KiB
    // report gets past the size check (and is then refused for what it is).
    let report = raw_post(&app, "/api/v1/agents/report", 100 * 1024).await;
    assert!(
        report.starts_with("HTTP/1.1 4") && !report.starts_with("HTTP/1.1 413"),
        "{report}"
    );
    let form = raw_post(&app, "/api/fn/accept_invitation", 100 * 1024).await;
    assert!(form.starts_with("HTTP/1.1 413"), "{form}");

    // A streamed body declares no length: it is cut off where it passes the
    // limit, and the answer is still 413, whatever the function made of it.
    for (path, token) in [("/api/fn/login", None), ("/api/v1/tenants", Some(&token))] {
        let chunked = chunked_post(&app, path, token, 80 * 1024).await;
        assert!(chunked.starts_with("HTTP/1.1 413"), "{path}: {chunked}");
        assert!(chunked.contains("problem+json"), "{path}: {chunked}");
    }
}

/// Streams `length` bytes as a chunked POST (no Content-Length) and returns
/// what the server answers.
async fn chunked_post(app: &TestApp, path: &str, token: Option<&String>, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n{}\r\n",
        if path.starts_with("/api/v1/") {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        },
        token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
    for _ in 0..length.div_ceil(0x2000) {
        // The server may answer and close before it has read everything.
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers a streamed body");
    String::from_utf8_lossy(&answer).into_owned()
}

/// Sends only the headers of a POST that declares `length` bytes, and
/// returns what the server answers.
async fn raw_post(app: &TestApp, path: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream
        .write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\nemail=a"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

// ------------------------------------------------------------- 3. sign-in paths

async fn parallel_guesses_get_at_most_the_allowed_password_checks(db: TestDb) {
    let app = spawn_app(db).await;
    let attempts = (0..60).map(|_| {
        let client = crate::helpers::client();
        let url = app.url("/api/fn/login");
        async move {
            client
                .post(url)
                .form(&[("email", ADMIN_EMAIL), ("password", "a wrong guess here")])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!("60 parallel guesses: {checked} password checks, {throttled} throttled");
    assert!(checked <= 5, "at most the allowed checks: {statuses:?}");
    assert_eq!(checked + throttled, 60);
    // Throttled attempts are not audited one by one: one row per lockout.
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Action.is_in(["auth.login", "auth.lockout"]))
        .all(&app.db)
        .await
        .unwrap();
    let lockouts = rows.iter().filter(|r| r.action == "auth.lockout").count();
    assert_eq!(lockouts, 1, "{rows:?}");
    assert_eq!(rows.len(), checked + 1, "one row per password check");
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

async fn login_from(app: &TestApp, email: &str, password: &str, client_ip: &str) -> StatusCode {
    crate::helpers::client()
        .post(app.url("/api/fn/login"))
        .header("x-forwarded-for", client_ip)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn per_address_limits_apply_to_the_real_client_behind_a_trusted_proxy(db: TestDb) {
    let app = spawn_app_with(db, &[("TENANTRY_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    // Twenty wrong passwords for twenty people from one office...
    for n in 0..20 {
        let status = login_from(
            &app,
            &format!("person{n}@office.example"),
            "wrong password here",
            "203.0.113.7",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // ... lock that office's address, not everyone behind the same proxy.
    assert_eq!(
        login_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, "203.0.113.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.9").await,
        StatusCode::OK
    );
}

async fn forwarded_headers_from_an_untrusted_peer_are_ignored(db: TestDb) {
    let app = spawn_app(db).await;
    // A client that invents a new address per guess still counts as itself.
    for n in 0..20 {
        let status = login_from(
            &app,
            &format!("person{n}@spray.example"),
            "wrong password here",
            &format!("198.51.100.{n}"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.200").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn an_invitation_for_an_existing_account_asks_for_its_second_factor(db: TestDb) {
    let app = spawn_app(db).await;
    let a = tenant(&app, "acme").await;
    let member = tenant_admin(&app, "member@acme.example", a).await;
    // The member's account has a second factor.
    let mut account = user::Entity::find_by_id(member.user_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    account.totp_secret = Set(Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()));
    account.update(&app.db).await.unwrap();
    let b = tenant(&app, "acme-eu").await;
    let admin = admin(&app).await;
    let settings = app::backend::state::AccountSettings::default();
    let invited = accounts::invite(
        &app::backend::context::Ctx::of(&app.db, &admin, &RequestContext::default()),
        &settings,
        "member@acme.example",
        "tenant_admin",
        "acme-eu",
    )
    .await;
    assert!(invited.is_ok(), "{invited:?}");
    let _ = b;
    // The link is in the queued email.
    let mail = app::backend::entities::outbound_email::Entity::find()
        .filter(app::backend::entities::outbound_email::Column::Recipient.eq("member@acme.example"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the invitation email is queued");
    // Sealed at rest: the live link is not readable in the database.
    assert!(!mail.body.contains("/invitations/"), "{}", mail.body);
    let body = app::backend::crypto::keyring()
        .open(app::backend::crypto::Purpose::EmailBody, &mail.body)
        .unwrap();
    let token: String = body[body.find("/invitations/").unwrap() + "/invitations/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    // Wrong passwords count toward the sign-in throttle ...
    for _ in 0..5 {
        let wrong = accounts::accept_invitation(
            &app.db,
            &RequestContext::default(),
            &settings,
            &token,
            "",
            "not the password",
            "",
            chrono::Utc::now(),
        )
        .await;
        assert!(
            matches!(wrong, Err(ServiceError::Validation(_))),
            "{wrong:?}"
        );
    }
    let locked = accounts::accept_invitation(
        &app.db,
        &RequestContext::default(),
        &settings,
        &token,
        "",
        PASSWORD,
        "",
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(locked, Err(ServiceError::RateLimited { .. })),
        "{locked:?}"
    );
    // ... and the right password alone does not sign in an account with a second factor.
    app::backend::entities::login_throttle::Entity::delete_many()
        .exec(&app.db)
        .await
        .unwrap();
    let accepted = accounts::accept_invitation(
        &app.db,
        &RequestContext::default(),
        &settings,
        &token,
        "",
        PASSWORD,
        "",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert!(accepted.second_factor_pending);
}

async fn the_login_redirect_stays_on_this_site(db: TestDb) {
    let app = spawn_app(db).await;
    for next in ["/%2F/evil.example", "/\t/evil.example", "/%5Cevil.example"] {
        let answer = crate::helpers::client()
            .post(app.url("/api/fn/login"))
            .header("accept", "text/html")
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()[LOCATION], "/", "{next:?}");
    }
}

// ------------------------------------------------------------- 4. leases

/// A step that logs its start and end and holds an exclusive file lock
/// while it runs: a second run of the same step key while the first still
/// lives writes OVERLAP (the lock dies with its process, even on SIGKILL).
const STEP_SCRIPT: &str = r#"
import fcntl, os, sys, time
key = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
log = open(os.path.join(here, "log"), "a", buffering=1)
lock = open(os.path.join(here, key.replace(":", "_") + ".lock"), "w")
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    log.write("OVERLAP %s\n" % key)
    sys.exit(1)
log.write("start %s %d\n" % (key, os.getpid()))
time.sleep(3)
log.write("end %s %d\n" % (key, os.getpid()))
"#;

/// SQLite only: its single write lock is what a stuck database looks like.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_cannot_renew_its_lease_stops_its_step_before_another_runs_it() {
    use app::backend::executor::CommandExecutor;
    use app::backend::jobs::WorkerSettings;
    use app::backend::services::platform::work::ChangeRunner;
    use app::backend::services::platform::work::spawn_worker;
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::sync::Arc;

    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    users::ensure_first_admin(
        &db,
        Some(ADMIN_EMAIL),
        Some(ADMIN_PASSWORD),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let vendor = principal_by_email(&db, ADMIN_EMAIL).await.unwrap().unwrap();
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(
        &app::backend::context::Ctx::of(&db, &vendor, &RequestContext::default()),
        &regions,
        &tenant_form("leased"),
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("tenantry-lease-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("step.py");
    std::fs::write(&script, STEP_SCRIPT).unwrap();
    let executor = Arc::new(
        CommandExecutor::new(
            &format!("python3 {} {{key}}", script.display()),
            Duration::from_secs(60),
        )
        .unwrap(),
    );
    let workers: Vec<_> = ["replica-a", "replica-b"]
        .into_iter()
        .map(|owner| {
            spawn_worker(
                db.clone(),
                Arc::new(ChangeRunner {
                    db: db.clone(),
                    executor: executor.clone(),
                    clock: Arc::new(app::backend::context::SystemClock),
                }),
                WorkerSettings {
                    lease: chrono::Duration::seconds(2),
                    concurrency: 1,
                    poll: Duration::from_millis(100),
                    ..WorkerSettings::new(owner)
                },
            )
        })
        .collect();
    let change = changes::create(
        &app::backend::context::Ctx::of(&db, &vendor, &RequestContext::default()),
        change_request(&app::model::changes::ChangeForm {
            tenant: "leased".into(),
            kind: "provision".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    let log = dir.join("log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let started = std::time::Instant::now();
    while !read_log().contains("start ") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no step started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Another process holds SQLite's write lock past the lease, mid-step.
    let blocker = app::backend::db::connect(&test_db.url).await.unwrap();
    let txn = blocker.begin().await.unwrap();
    txn.execute_unprepared("UPDATE tenants SET version = version")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    txn.rollback().await.unwrap();

    let finished = loop {
        let found = changes::detail(
            &app::backend::context::Ctx::of(&db, &vendor, &Default::default()),
            change.id,
        )
        .await
        .unwrap();
        if matches!(found.change.status.as_str(), "succeeded" | "failed") {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the change did not finish: {}\n{}",
            found.change.status.as_str(),
            read_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for worker in workers {
        worker.abort();
    }
    let log = read_log();
    println!("step log across the stuck lease:\n{log}");
    assert!(!log.contains("OVERLAP"), "a step ran twice at once:\n{log}");
    assert_eq!(finished.change.status.as_str(), "succeeded", "{log}");
    let starts = log.lines().filter(|l| l.starts_with("start ")).count();
    let ends = log.lines().filter(|l| l.starts_with("end ")).count();
    assert_eq!(
        ends,
        finished.steps.len(),
        "every step finished once:\n{log}"
    );
    assert!(
        starts > ends,
        "the step caught by the stuck lease was stopped and run again:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------- 5. the vendor's word

async fn tenant_admins_cannot_overrule_the_vendor(db: TestDb) {
    let app = spawn_app(db).await;
    let a = tenant(&app, "acme").await;
    let vendor = admin(&app).await;
    let customer = tenant_admin(&app, "admin@acme.example", a).await;
    let ctx = RequestContext::default();

    // A change the vendor requested: approve or delay, never cancel or reject.
    let vendors_change = changes::create(
        &app::backend::context::Ctx::of(&app.db, &vendor, &ctx),
        change_request(&app::model::changes::ChangeForm {
            tenant: "acme".into(),
            kind: "provision".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .id;
    let cancelled = changes::cancel(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        vendors_change,
    )
    .await;
    match cancelled {
        Err(ServiceError::Policy(reason)) => assert!(reason.contains("update.approve"), "{reason}"),
        other => panic!("the customer cancelled the vendor's change: {other:?}"),
    }
    let rejected = changes::decide(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        vendors_change,
        "reject",
        "no thanks",
    )
    .await;
    assert!(
        matches!(
            rejected,
            Err(ServiceError::Policy(_)) | Err(ServiceError::Conflict(_))
        ),
        "{rejected:?}"
    );
    changes::cancel(
        &app::backend::context::Ctx::of(&app.db, &vendor, &ctx),
        vendors_change,
    )
    .await
    .expect("the vendor may cancel its own change");

    // The plan and labels are the vendor's; the display name is the customer's.
    let detail = tenants::detail(
        &app::backend::context::Ctx::of(&app.db, &customer, &Default::default()),
        "acme",
    )
    .await
    .unwrap();
    let edit = |plan: &str, labels: &str, name: &str| TenantEditForm {
        display_name: name.into(),
        plan_code: plan.into(),
        labels: labels.into(),
        ..Default::default()
    };
    let upgraded = tenants::update(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        "acme",
        detail.version,
        tenants::TenantEdit::try_from(&edit("enterprise", "", "Tenant acme")),
    )
    .await;
    crate::helpers::expect_field_error(upgraded, "plan_code");
    let relabelled = tenants::update(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        "acme",
        detail.version,
        tenants::TenantEdit::try_from(&edit("starter", "pilot", "Tenant acme")),
    )
    .await;
    crate::helpers::expect_field_error(relabelled, "labels");
    tenants::update(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        "acme",
        detail.version,
        tenants::TenantEdit::try_from(&edit("starter", "", "Acme (renamed)")),
    )
    .await
    .expect("the customer names its own tenant");

    // Blackouts: bounded for the customer, not for the vendor.
    let long = update_policy::add_blackout(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        30,
        "acme",
        "2027-01-01",
        "2027-03-31",
        "Quarter freeze",
    )
    .await;
    crate::helpers::expect_field_error(long, "ends");
    update_policy::add_blackout(
        &app::backend::context::Ctx::of(&app.db, &customer, &ctx),
        30,
        "acme",
        "2027-01-01",
        "2027-01-10",
        "Launch",
    )
    .await
    .expect("a short blackout");
    update_policy::add_blackout(
        &app::backend::context::Ctx::of(&app.db, &vendor, &ctx),
        30,
        "acme",
        "2027-01-01",
        "2027-03-31",
        "Migration",
    )
    .await
    .expect("the vendor's own freeze");
}

// ------------------------------------------------------------- 6. exports

async fn csv_exports_cannot_carry_formulas(db: TestDb) {
    let app = spawn_app(db).await;
    // An anonymous caller chooses the email of a failed login and a request id.
    crate::helpers::client()
        .post(app.url("/api/fn/login"))
        .header("x-request-id", "=cmd|' /C calc'!A0")
        .form(&[
            (
                "email",
                "=HYPERLINK(\"http://evil.example\",\"x\")@evil.example",
            ),
            ("password", "whatever it is"),
        ])
        .send()
        .await
        .unwrap();
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("auth.login"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.request_id.as_deref() != Some("=cmd|' /C calc'!A0")),
        "an unacceptable request id is replaced"
    );
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let csv = app.get("/audit/export.csv").await.text().await.unwrap();
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "formula cell {cell:?} in {line}"
            );
        }
    }
    assert!(csv.contains("'=hyperlink"), "{csv}");
}

// ------------------------------------------------------------- 8. caching and headers

async fn authenticated_answers_are_never_cached(db: TestDb) {
    let app = spawn_app(db).await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/", "/tenants", "/api/v1/tenants", "/audit/export.csv"] {
        let answer = app.get(path).await;
        assert_eq!(answer.headers()[CACHE_CONTROL], "no-store", "{path}");
    }
}

async fn pages_allow_only_their_own_nonced_inline_scripts(db: TestDb) {
    let app = spawn_app(db).await;
    let page = app.get("/login").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let script_src = policy
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap()
        .to_owned();
    assert!(!script_src.contains("unsafe-inline"), "{policy}");
    let nonce = script_src
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in script-src")
        .to_owned();
    assert!(page.headers().get("x-tenantry-script-nonce").is_none());
    let html = page.text().await.unwrap();
    let inline_scripts = html.matches("<script").count();
    assert!(inline_scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        inline_scripts,
        "every script carries the page's nonce"
    );
    // A fresh nonce per response.
    let again = app.get("/login").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        policy
    );
}

async fn an_https_portal_gets_secure_cookies_and_hsts_by_default(db: TestDb) {
    let app = spawn_app_with(db, &[("TENANTRY_PUBLIC_URL", "https://portal.example")]).await;
    let answer = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = answer.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        answer.headers()[STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

// ------------------------------------------------------------- 7. secrets at rest

async fn secrets_are_sealed_at_rest_rotated_and_a_lost_key_stops_the_start(db: TestDb) {
    use app::backend::entities::tenant_setting;
    let app = spawn_app(db).await;
    tenant(&app, "acme").await;
    let vendor = admin(&app).await;
    app::backend::services::tenants::tenant_config::set(
        &app::backend::context::Ctx::of(&app.db, &vendor, &RequestContext::default()),
        "acme",
        "smtp_password",
        "hunter2-but-longer",
        true,
    )
    .await
    .unwrap();
    let stored = || async {
        tenant_setting::Entity::find()
            .filter(tenant_setting::Column::Key.eq("smtp_password"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .value
    };
    let sealed = stored().await;
    let test_key = app::backend::crypto::SecretKey::parse(crate::helpers::TEST_SECRET_KEY).unwrap();
    assert!(
        sealed.starts_with(&format!("enc:v1:{}:", test_key.id())),
        "{sealed}"
    );
    assert!(!sealed.contains("hunter2"));

    let tenantry = |key: &str, previous: &str, command: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .arg(command)
            .env("DATABASE_URL", &app.test_db.url)
            .env("TENANTRY_SECRET_KEY", key)
            .env("TENANTRY_SECRET_KEY_PREVIOUS", previous)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run tenantry")
    };
    // Without the key that sealed it, the binary refuses to start and says which key is missing.
    let stranger = app::backend::crypto::SecretKey::generate();
    let refused = tenantry(&stranger.to_base64(), "", "migrate");
    assert!(!refused.status.success());
    let complaint = String::from_utf8_lossy(&refused.stderr);
    assert!(
        complaint.contains(test_key.id()) && complaint.contains("not configured"),
        "{complaint}"
    );
    assert_eq!(stored().await, sealed, "nothing changed");

    // Rotation: the new key current, the old one previous; every value re-sealed.
    let rotated = tenantry(
        &stranger.to_base64(),
        crate::helpers::TEST_SECRET_KEY,
        "rotate-secret-key",
    );
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let resealed = stored().await;
    assert!(
        resealed.starts_with(&format!("enc:v1:{}:", stranger.id())),
        "{resealed}"
    );
    let ring = app::backend::crypto::Keyring::new(stranger.clone(), vec![]);
    assert_eq!(
        ring.open(app::backend::crypto::Purpose::TenantSecret, &resealed)
            .unwrap(),
        "hunter2-but-longer"
    );

    // With a key file, rotation makes the new key itself and keeps only it.
    let key_file = std::env::temp_dir().join(format!("tenantry-key-{}", Uuid::new_v4().simple()));
    std::fs::write(&key_file, format!("{}\n", stranger.to_base64())).unwrap();
    let rotated = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .arg("rotate-secret-key")
        .env("DATABASE_URL", &app.test_db.url)
        .env_remove("TENANTRY_SECRET_KEY")
        .env("TENANTRY_SECRET_KEY_FILE", &key_file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let keys: Vec<String> = std::fs::read_to_string(&key_file)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let newest = app::backend::crypto::SecretKey::parse(&keys[0]).unwrap();
    assert_ne!(newest.id(), stranger.id());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is its owner's only");
    }
    let under_file_key = stored().await;
    assert!(under_file_key.starts_with(&format!("enc:v1:{}:", newest.id())));
    assert_eq!(
        app::backend::crypto::Keyring::new(newest, vec![])
            .open(app::backend::crypto::Purpose::TenantSecret, &under_file_key)
            .unwrap(),
        "hunter2-but-longer"
    );
    let _ = std::fs::remove_file(&key_file);
}

/// Every session record's data, as stored.
async fn stored_sessions(app: &TestApp) -> String {
    app::backend::entities::session::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.data)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn a_new_api_token_is_never_readable_in_the_session_store(db: TestDb) {
    let app = spawn_app(db).await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // The form without JavaScript: the token waits in the session for the
    // page the browser is sent back to.
    let posted = app
        .client
        .post(app.url("/api/fn/create_api_token"))
        .header(reqwest::header::ACCEPT, "text/html")
        .header(reqwest::header::REFERER, app.url("/settings/api-tokens"))
        .form(&[("name", "deploy bot"), ("expires_in_days", "")])
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_redirection(), "{}", posted.status());
    let held = stored_sessions(&app).await;
    assert!(held.contains("tenantry.new_api_token"), "{held}");

    let page = app.get("/settings/api-tokens").await.text().await.unwrap();
    let token = longest_token_in(&page).expect("the page shows the new token");
    assert!(
        app.client
            .get(app.url("/api/v1/tenants"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .is_success(),
        "the shown token works"
    );
    assert!(!held.contains(&token), "the token was readable at rest");
    let after = stored_sessions(&app).await;
    assert!(
        !after.contains("tenantry.new_api_token"),
        "gone from the session once shown: {after}"
    );
    let again = app.get("/settings/api-tokens").await.text().await.unwrap();
    assert!(!again.contains(&token), "shown only once");
}

/// The longest `tnt_…` word on a page: a whole token, not a listed prefix.
fn longest_token_in(page: &str) -> Option<String> {
    page.match_indices("tnt_")
        .map(|(at, _)| {
            page[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        })
        .filter(|word| word.len() > 24)
        .max_by_key(String::len)
}

// ------------------------------------------------------------- 9. smaller leaks

async fn enrollment_tokens_are_limited_and_cannot_hijack_an_endpoint(db: TestDb) {
    use app::domain::tenants::agent::RawReport;
    let app = spawn_app(db).await;
    let a = tenant(&app, "stores").await;
    let vendor = admin(&app).await;
    seed::seed_catalog(&app::backend::context::Ctx::of(
        &app.db,
        &vendor,
        &Default::default(),
    ))
    .await
    .unwrap();
    let ctx = RequestContext::default();
    let vendor_ctx = app::backend::context::Ctx::of(&app.db, &vendor, &ctx);
    let token = |label: &'static str, max: &'static str, replaces: bool| {
        app::backend::services::tenants::agents::create_enrollment_token(
            &vendor_ctx,
            a,
            label,
            max,
            replaces,
        )
    };
    let report = |host: &str, current: Option<&str>| RawReport {
        hostname: host.into(),
        platform: "linux".into(),
        agent_version: "1.4.0".into(),
        products: [("edge-gateway".to_string(), "5.1.0".to_string())].into(),
        current_agent_token: current.map(str::to_owned),
    };
    let register = |token: String, host: &'static str, current: Option<String>| {
        let raw = report(host, current.as_deref());
        let (db, ctx) = (app.db.clone(), ctx.clone());
        async move {
            app::backend::services::tenants::agents::register(
                &db,
                &ctx,
                &token,
                &raw,
                chrono::Utc::now(),
            )
            .await
        }
    };

    let single = token("One till", "1", false).await.unwrap();
    let first = register(single.clone(), "till-1.example", None)
        .await
        .unwrap();
    let again = register(single, "till-2.example", None).await;
    assert!(
        matches!(again, Err(ServiceError::Unauthenticated)),
        "a single-use token works once: {again:?}"
    );
    let fleet = token("Fleet", "", false).await.unwrap();
    // A leaked enrollment token cannot take over a registered machine ...
    for current in [None, Some("tagt_forged".to_owned())] {
        let hijack = register(fleet.clone(), "till-1.example", current).await;
        assert!(
            matches!(hijack, Err(ServiceError::Conflict(_))),
            "{hijack:?}"
        );
    }
    // ... the machine itself can, with its own token ...
    let renewed = register(fleet, "till-1.example", Some(first.agent_token.clone()))
        .await
        .unwrap();
    assert_eq!(renewed.endpoint_id, first.endpoint_id);
    // ... and so can a token its admin made for replacing endpoints.
    let reimage = token("Re-image", "", true).await.unwrap();
    register(reimage, "till-1.example", None).await.unwrap();
    crate::helpers::expect_field_error(token("Bad", "0", false).await, "max_registrations");
}

async fn a_large_export_is_streamed_page_by_page(db: TestDb) {
    use app::backend::entities::endpoint;
    let app = spawn_app(db).await;
    let fleet = tenant(&app, "big-fleet").await;
    let other = tenant(&app, "other-fleet").await;
    // More than two of the export's pages (200 rows each), and a neighbour.
    let now = chrono::Utc::now();
    let hosts = (0..450)
        .map(|n| (fleet, n))
        .chain((0..3).map(|n| (other, n)));
    let rows: Vec<endpoint::ActiveModel> = hosts
        .map(|(tenant, n)| endpoint::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant),
            hostname: Set(format!("host-{n:04}")),
            platform: Set("linux".into()),
            agent_version: Set("1.0.0".into()),
            token_hash: Set(Uuid::new_v4().to_string()),
            registered_at: Set(now),
            last_seen_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(100) {
        endpoint::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let answer = app.get("/tenants/big-fleet/endpoints.csv").await;
    assert_eq!(answer.status(), StatusCode::OK);
    // Written while it is sent: no length is known up front.
    assert!(
        answer
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .is_none(),
        "{:?}",
        answer.headers()
    );
    let csv = answer.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 451, "a header and every endpoint, once");
    assert!(lines[0].starts_with("hostname,"));
    assert!(lines[1].starts_with("host-0000,") && lines[450].starts_with("host-0449,"));
    let mut hosts: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    hosts.dedup();
    assert_eq!(hosts.len(), 450, "no row twice across pages");
    // A refused export is still a proper error, not a truncated file.
    let refused = app
        .get("/tenants/big-fleet/endpoints.csv?presence=sometimes")
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn tenant_people_see_counts_of_their_own_tenants_and_wildcards_match_literally(db: TestDb) {
    use app::model::releases::compliance::TenantProductForm;
    let app = spawn_app(db).await;
    let a = tenant(&app, "acme").await;
    let b = tenant(&app, "globex").await;
    let vendor = admin(&app).await;
    let products = seed::seed_catalog(&app::backend::context::Ctx::of(
        &app.db,
        &vendor,
        &Default::default(),
    ))
    .await
    .unwrap();
    let product = products[0].0;
    for t in [a, b] {
        app::backend::services::releases::tenant_versions::set(
            &app::backend::context::Ctx::of(&app.db, &vendor, &RequestContext::default()),
            t,
            app::backend::services::releases::tenant_versions::LicenseProduct::try_from(
                &TenantProductForm {
                    product_id: product,
                    running_version: products[0].1[0].into(),
                    allowed_range: String::new(),
                    feature_flags: String::new(),
                },
            ),
        )
        .await
        .unwrap();
    }
    let count_for = |view: app::model::releases::catalog::CatalogView| {
        view.products
            .iter()
            .find(|p| p.id == product)
            .map(|p| p.tenants)
            .unwrap()
    };
    let everyone = app::backend::services::releases::catalog::view(
        &app::backend::context::Ctx::of(&app.db, &vendor, &Default::default()),
    )
    .await
    .unwrap();
    assert_eq!(count_for(everyone), 2);
    let customer = tenant_admin(&app, "admin@acme.example", a).await;
    let own = app::backend::services::releases::catalog::view(&app::backend::context::Ctx::of(
        &app.db,
        &customer,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        count_for(own),
        1,
        "only the customer's own tenant is counted"
    );

    // A search for `%` or `_` finds those characters, not everything.
    for wildcard in ["%", "_"] {
        let page = app::backend::services::audit::audit_log::search(
            &app::backend::context::Ctx::of(&app.db, &vendor, &Default::default()),
            &app::model::audit::AuditQuery {
                actor: Some(wildcard.into()),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert!(page.rows.is_empty(), "{wildcard}: {:?}", page.rows.len());
    }
}

crate::on_both_databases!(
    enrollment_tokens_are_limited_and_cannot_hijack_an_endpoint,
    tenant_people_see_counts_of_their_own_tenants_and_wildcards_match_literally,
    secrets_are_sealed_at_rest_rotated_and_a_lost_key_stops_the_start,
    a_new_api_token_is_never_readable_in_the_session_store,
    a_large_export_is_streamed_page_by_page,
    traffic_router_settings_are_the_vendors_and_validated,
    every_request_body_has_a_limit,
    parallel_guesses_get_at_most_the_allowed_password_checks,
    per_address_limits_apply_to_the_real_client_behind_a_trusted_proxy,
    forwarded_headers_from_an_untrusted_peer_are_ignored,
    an_invitation_for_an_existing_account_asks_for_its_second_factor,
    the_login_redirect_stays_on_this_site,
    tenant_admins_cannot_overrule_the_vendor,
    csv_exports_cannot_carry_formulas,
    authenticated_answers_are_never_cached,
    pages_allow_only_their_own_nonced_inline_scripts,
    an_https_portal_gets_secure_cookies_and_hsts_by_default,
);
