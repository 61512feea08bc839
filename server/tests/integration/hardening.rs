//! Security hardening (issue 17): a tenant admin is untrusted input, and
//! every door has a limit. Each test names the finding it closes.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestDb, admin_token, spawn_app, spawn_app_with,
    tenant_form,
};
use app::api::tenants::TenantEditForm;
use app::backend::audit::RequestContext;
use app::backend::entities::{audit_event, user};
use app::backend::error::ServiceError;
use app::backend::principal::{Actor, Principal};
use app::backend::services::auth::principal_by_email;
use app::backend::services::{accounts, changes, deployments, seed, tenants, update_policy, users};
use app::backend::traffic::{RouterTarget, router_for};
use app::domain::permission::BuiltinRole;
use app::domain::tenant::Region;

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
        &app.db,
        &admin,
        &RequestContext::default(),
        &regions,
        &tenant_form(slug),
    )
    .await
    .unwrap();
    tenants::detail(&app.db, &admin, slug).await.unwrap().row.id
}

async fn tenant_admin(app: &TestApp, email: &str, tenant: Uuid) -> Principal {
    let new_user = users::NewUser::parse(email, "Tenant Admin", PASSWORD, BuiltinRole::TenantAdmin)
        .unwrap()
        .at_tenant(tenant);
    users::create_user(
        &app.db,
        &Actor::System("test"),
        &RequestContext::default(),
        new_user,
    )
    .await
    .unwrap();
    principal_by_email(&app.db, email).await.unwrap().unwrap()
}

// ------------------------------------------------------------- 1. traffic routers

async fn traffic_router_settings_are_the_vendors_and_validated(db: TestDb) {
    let app = spawn_app(db).await;
    let a = tenant(&app, "edge-a").await;
    seed::seed_catalog(&app.db, &admin(&app).await)
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
    let none = deployments::fleet(&app.db, &admin(&app).await)
        .await
        .unwrap();
    assert!(none.rows.is_empty(), "nothing was created");
}

async fn a_stored_name_outside_the_grammar_never_reaches_the_socket(_db: TestDb) {
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
    let refused = router_for("haproxy")
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
        router_for("haproxy")
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
        &app.db,
        &admin,
        &RequestContext::default(),
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
    let token: String = mail.body
        [mail.body.find("/invitations/").unwrap() + "/invitations/".len()..]
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

// ------------------------------------------------------------- 5. the vendor's word

async fn tenant_admins_cannot_overrule_the_vendor(db: TestDb) {
    let app = spawn_app(db).await;
    let a = tenant(&app, "acme").await;
    let vendor = admin(&app).await;
    let customer = tenant_admin(&app, "admin@acme.example", a).await;
    let ctx = RequestContext::default();

    // A change the vendor requested: approve or delay, never cancel or reject.
    let vendors_change = changes::create(
        &app.db,
        &vendor,
        &ctx,
        &app::api::changes::ChangeForm {
            tenant: "acme".into(),
            kind: "provision".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let cancelled = changes::cancel(&app.db, &customer, &ctx, vendors_change).await;
    match cancelled {
        Err(ServiceError::Policy(reason)) => assert!(reason.contains("update.approve"), "{reason}"),
        other => panic!("the customer cancelled the vendor's change: {other:?}"),
    }
    let rejected = changes::decide(
        &app.db,
        &customer,
        &ctx,
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
    changes::cancel(&app.db, &vendor, &ctx, vendors_change)
        .await
        .expect("the vendor may cancel its own change");

    // The plan and labels are the vendor's; the display name is the customer's.
    let detail = tenants::detail(&app.db, &customer, "acme").await.unwrap();
    let edit = |plan: &str, labels: &str, name: &str| TenantEditForm {
        display_name: name.into(),
        plan_code: plan.into(),
        labels: labels.into(),
        ..Default::default()
    };
    let upgraded = tenants::update(
        &app.db,
        &customer,
        &ctx,
        "acme",
        detail.version,
        &edit("enterprise", "", "Tenant acme"),
    )
    .await;
    crate::helpers::expect_field_error(upgraded, "plan_code");
    let relabelled = tenants::update(
        &app.db,
        &customer,
        &ctx,
        "acme",
        detail.version,
        &edit("starter", "pilot", "Tenant acme"),
    )
    .await;
    crate::helpers::expect_field_error(relabelled, "labels");
    tenants::update(
        &app.db,
        &customer,
        &ctx,
        "acme",
        detail.version,
        &edit("starter", "", "Acme (renamed)"),
    )
    .await
    .expect("the customer names its own tenant");

    // Blackouts: bounded for the customer, not for the vendor.
    let long = update_policy::add_blackout(
        &app.db,
        &customer,
        &ctx,
        30,
        "acme",
        "2027-01-01",
        "2027-03-31",
        "Quarter freeze",
    )
    .await;
    crate::helpers::expect_field_error(long, "ends");
    update_policy::add_blackout(
        &app.db,
        &customer,
        &ctx,
        30,
        "acme",
        "2027-01-01",
        "2027-01-10",
        "Launch",
    )
    .await
    .expect("a short blackout");
    update_policy::add_blackout(
        &app.db,
        &vendor,
        &ctx,
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

crate::on_both_databases!(
    traffic_router_settings_are_the_vendors_and_validated,
    a_stored_name_outside_the_grammar_never_reaches_the_socket,
    every_request_body_has_a_limit,
    parallel_guesses_get_at_most_the_allowed_password_checks,
    per_address_limits_apply_to_the_real_client_behind_a_trusted_proxy,
    forwarded_headers_from_an_untrusted_peer_are_ignored,
    an_invitation_for_an_existing_account_asks_for_its_second_factor,
    the_login_redirect_stays_on_this_site,
    tenant_admins_cannot_overrule_the_vendor,
    csv_exports_cannot_carry_formulas,
    authenticated_answers_are_never_cached,
    an_https_portal_gets_secure_cookies_and_hsts_by_default,
);
