//! Accounts end to end over HTTP: invitations and password resets delivered
//! by a real SMTP server on loopback and followed from the received email,
//! password changes and disabling ending sessions, sign-in throttling,
//! session timeouts and the browser-side security headers.

use reqwest::StatusCode;
use server_fn::ServerFn;
use uuid::Uuid;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestDb, client, spawn_app, spawn_app_with, tenant_form,
};
use crate::smtp_sink::{SmtpSink, link_in};
use app::api::access::users::AcceptInvitation;
use app::api::access::users::ChangePassword;
use app::api::access::users::InviteUser;
use app::api::access::users::RequestPasswordReset;
use app::api::access::users::ResetPassword;
use app::api::access::users::SetUserActive;
use app::backend::audit::RequestContext;
use app::backend::entities::{audit_event, user};
use app::backend::error::ServiceError;
use app::backend::services::access::accounts;
use app::backend::services::access::auth::load_session_principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::tenants;
use app::backend::session::SessionUser;
use app::backend::state::AccountSettings;
use app::domain::tenants::tenant::Region;
use app::model::access::users::UsersQuery;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn smtp_app(db: TestDb, sink: &SmtpSink) -> TestApp {
    let vars = sink.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(db, &vars).await
}

/// Posts a server function's form the way a hydrated page does.
async fn call(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("server function call")
}

async fn onboard(app: &TestApp, slug: &str) -> Uuid {
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    tenants::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &RequestContext::default()),
        &[Region::parse("eu-central-1").unwrap()],
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

/// Invites `email` as tenant admin of `slug` (signed in as the platform
/// admin) and returns the link from the email the SMTP server received.
async fn invite_tenant_admin(app: &TestApp, sink: &SmtpSink, email: &str, slug: &str) -> String {
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    let invited = call(
        &app.client,
        app,
        <InviteUser as ServerFn>::PATH,
        &[("email", email), ("role", "tenant_admin"), ("tenant", slug)],
    )
    .await;
    assert_eq!(
        invited.status(),
        StatusCode::OK,
        "{}",
        invited.text().await.unwrap()
    );
    let mail = sink.wait_for(email, "/invitations/").await;
    assert!(
        mail.contains("Subject: You are invited to Tenantry"),
        "{mail}"
    );
    link_in(&mail, &format!("{}/invitations/", app.address))
}

/// Accepts the invitation behind `link` in `browser` with a good password.
async fn accept(
    browser: &reqwest::Client,
    app: &TestApp,
    link: &str,
    name: &str,
) -> reqwest::Response {
    call(
        browser,
        app,
        <AcceptInvitation as ServerFn>::PATH,
        &[
            ("token", token_of(link)),
            ("display_name", name),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await
}

fn token_of(link: &str) -> &str {
    link.rsplit('/').next().expect("token")
}

async fn an_invitation_sent_over_smtp_creates_a_tenant_admin_who_sees_only_their_tenant(
    db: TestDb,
) {
    let sink = SmtpSink::start();
    let app = smtp_app(db, &sink).await;
    onboard(&app, "acme-prod").await;
    onboard(&app, "globex-prod").await;
    let link = invite_tenant_admin(&app, &sink, "dana@acme.example", "acme-prod").await;

    // The invitee opens the link from the email: a public page naming the invitation.
    let invitee = client();
    let page = invitee.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("dana@acme.example") && html.contains("Tenant admin"),
        "{html}"
    );

    // A weak password is refused with a field error, and nothing is created.
    let weak = call(
        &invitee,
        &app,
        <AcceptInvitation as ServerFn>::PATH,
        &[
            ("token", token_of(&link)),
            ("display_name", "Dana"),
            ("password", "password1234"),
            ("password_confirm", "password1234"),
        ],
    )
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("password"));

    let accepted = accept(&invitee, &app, &link, "Dana Scully").await;
    assert!(
        accepted.status().is_success() || accepted.status().is_redirection(),
        "{}",
        accepted.status()
    );

    // Signed in straight away, and the tenant list holds only their tenant.
    let list = invitee
        .get(app.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let body: serde_json::Value = list.json().await.unwrap();
    let slugs: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["acme-prod"]);
    // The shell offers only what they may do: no onboarding for a tenant admin.
    let page = invitee
        .get(app.url("/tenants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("acme-prod") && !page.contains("globex-prod"));
    assert!(
        !page.contains("Onboard tenant") && page.contains(">Users<"),
        "{page}"
    );
    let admin_page = app.get("/tenants").await.text().await.unwrap();
    assert!(admin_page.contains("Onboard tenant"));
    let other = invitee
        .get(app.url("/api/v1/tenants/globex-prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);

    // The link works once.
    let again = accept(&client(), &app, &link, "Mallory").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("already accepted"));

    // They can sign in later with the password they chose.
    let later = TestApp::login_as(&app, "dana@acme.example", NEW_PASSWORD).await;
    assert_eq!(later.status(), StatusCode::OK);
}

async fn a_tenant_admin_lists_and_invites_only_within_their_tenant(db: TestDb) {
    let sink = SmtpSink::start();
    let app = smtp_app(db, &sink).await;
    onboard(&app, "acme-prod").await;
    onboard(&app, "globex-prod").await;
    let link = invite_tenant_admin(&app, &sink, "dana@acme.example", "acme-prod").await;
    let dana = client();
    accept(&dana, &app, &link, "Dana").await;

    // Another tenant's admin, invited too.
    let link = invite_tenant_admin(&app, &sink, "gil@globex.example", "globex-prod").await;
    accept(&client(), &app, &link, "Gil").await;

    let dana_principal = principal_by_email(&app.db, "dana@acme.example")
        .await
        .unwrap()
        .unwrap();
    let view = accounts::list_users(
        &app::backend::context::Ctx::of(&app.db, &dana_principal, &Default::default()),
        &UsersQuery::default(),
        false,
    )
    .await
    .unwrap();
    let emails: Vec<&str> = view.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(
        emails,
        ["dana@acme.example"],
        "not the platform admin, not Globex's admin"
    );
    assert!(
        view.roles.iter().all(|r| r.tenant_scoped),
        "no platform roles to hand out"
    );
    assert_eq!(view.tenant_choices, ["acme-prod"]);

    // Inviting into another tenant looks exactly like an unknown tenant.
    let refused = call(
        &dana,
        &app,
        <InviteUser as ServerFn>::PATH,
        &[
            ("email", "eve@example.com"),
            ("role", "tenant_admin"),
            ("tenant", "globex-prod"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("No tenant you manage has this slug")
    );
    let refused = call(
        &dana,
        &app,
        <InviteUser as ServerFn>::PATH,
        &[
            ("email", "eve@example.com"),
            ("role", "platform_admin"),
            ("tenant", ""),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Gil's account is out of reach: not found, not forbidden.
    let gil = user::Entity::find()
        .filter(user::Column::Email.eq("gil@globex.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let result = accounts::set_active(
        &app::backend::context::Ctx::of(&app.db, &dana_principal, &RequestContext::default()),
        gil.id,
        false,
    )
    .await;
    assert!(matches!(result, Err(ServiceError::NotFound)), "{result:?}");
}

async fn a_password_reset_link_from_the_email_sets_a_new_password_and_ends_sessions(db: TestDb) {
    let sink = SmtpSink::start();
    let app = smtp_app(db, &sink).await;
    // A session that must not survive the reset.
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/tenants").await.status(), StatusCode::OK);

    let anonymous = client();
    let asked = call(
        &anonymous,
        &app,
        <RequestPasswordReset as ServerFn>::PATH,
        &[("email", ADMIN_EMAIL)],
    )
    .await;
    assert!(asked.status().is_success() || asked.status().is_redirection());
    // An unknown address gets the same answer and no email.
    let unknown = call(
        &anonymous,
        &app,
        <RequestPasswordReset as ServerFn>::PATH,
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(unknown.status(), asked.status());

    let mail = sink.wait_for(ADMIN_EMAIL, "/reset-password/").await;
    let link = link_in(&mail, &format!("{}/reset-password/", app.address));
    let page = anonymous
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(ADMIN_EMAIL), "{page}");

    let mismatch = call(
        &anonymous,
        &app,
        <ResetPassword as ServerFn>::PATH,
        &[
            ("token", token_of(&link)),
            ("password", NEW_PASSWORD),
            ("password_confirm", "something else entirely"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reset = call(
        &anonymous,
        &app,
        <ResetPassword as ServerFn>::PATH,
        &[
            ("token", token_of(&link)),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(
        reset.status().is_success() || reset.status().is_redirection(),
        "{}",
        reset.status()
    );

    assert_eq!(
        app.get("/api/v1/tenants").await.status(),
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(ADMIN_EMAIL, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    let reused = call(
        &anonymous,
        &app,
        <ResetPassword as ServerFn>::PATH,
        &[
            ("token", token_of(&link)),
            ("password", "yet another passphrase"),
            ("password_confirm", "yet another passphrase"),
        ],
    )
    .await;
    assert_eq!(
        reused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "single use"
    );
    assert_eq!(sink.count_to("nobody@example.com"), 0);
}

async fn changing_ones_password_keeps_this_session_and_ends_the_others(db: TestDb) {
    let app = spawn_app(db).await;
    let other_device = client();
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    let other_login = call(
        &other_device,
        &app,
        <app::api::access::auth::Login as ServerFn>::PATH,
        &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
    )
    .await;
    assert_eq!(other_login.status(), StatusCode::OK);

    let wrong = call(
        &app.client,
        &app,
        <ChangePassword as ServerFn>::PATH,
        &[
            ("current_password", "not it at all!"),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("current_password"));

    let changed = call(
        &app.client,
        &app,
        <ChangePassword as ServerFn>::PATH,
        &[
            ("current_password", ADMIN_PASSWORD),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(
        changed.status().is_success() || changed.status().is_redirection(),
        "{}",
        changed.status()
    );
    assert_eq!(
        app.get("/api/v1/tenants").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    let other = other_device
        .get(app.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::UNAUTHORIZED,
        "the other session ended"
    );
}

async fn a_disabled_user_is_signed_out_everywhere_and_cannot_sign_in(db: TestDb) {
    let sink = SmtpSink::start();
    let app = smtp_app(db, &sink).await;
    onboard(&app, "acme-prod").await;
    let link = invite_tenant_admin(&app, &sink, "dana@acme.example", "acme-prod").await;
    let dana = client();
    accept(&dana, &app, &link, "Dana").await;
    assert_eq!(
        dana.get(app.url("/api/v1/tenants"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let dana_id = user::Entity::find()
        .filter(user::Column::Email.eq("dana@acme.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let disabled = call(
        &app.client,
        &app,
        <SetUserActive as ServerFn>::PATH,
        &[("id", &dana_id), ("active", "false")],
    )
    .await;
    assert_eq!(
        disabled.status(),
        StatusCode::OK,
        "{}",
        disabled.text().await.unwrap()
    );
    assert_eq!(
        dana.get(app.url("/api/v1/tenants"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let login = call(
        &client(),
        &app,
        <app::api::access::auth::Login as ServerFn>::PATH,
        &[("email", "dana@acme.example"), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

    let enabled = call(
        &app.client,
        &app,
        <SetUserActive as ServerFn>::PATH,
        &[("id", &dana_id), ("active", "true")],
    )
    .await;
    assert_eq!(enabled.status(), StatusCode::OK);
    let login = call(
        &client(),
        &app,
        <app::api::access::auth::Login as ServerFn>::PATH,
        &[("email", "dana@acme.example"), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);

    let admin_id = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .user_id
        .to_string();
    let own = call(
        &app.client,
        &app,
        <SetUserActive as ServerFn>::PATH,
        &[("id", &admin_id), ("active", "false")],
    )
    .await;
    assert_eq!(
        own.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "nobody disables themselves"
    );
}

async fn repeated_failed_sign_ins_are_throttled_then_allowed_after_the_lockout(db: TestDb) {
    let app = spawn_app_with(
        db,
        &[
            ("TENANTRY_LOGIN_MAX_FAILURES", "3"),
            ("TENANTRY_LOGIN_LOCKOUT_SECONDS", "2"),
        ],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login(ADMIN_EMAIL, "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right password is refused, with a time to wait.
    let locked = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let api = app
        .client
        .get(app.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);

    let throttled = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("auth.lockout"))
        .filter(audit_event::Column::Details.contains("throttled"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(throttled.len(), 1, "the lockout is audited once");

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn sessions_end_at_the_absolute_timeout_however_active(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let settings = AccountSettings::default();
    let session = SessionUser {
        user_id: admin.user_id,
        session_version: 0,
        signed_in_at: chrono::Utc::now(),
    };
    let soon = session.signed_in_at + chrono::Duration::hours(23);
    let later = session.signed_in_at + settings.session_absolute + chrono::Duration::seconds(1);
    assert!(
        load_session_principal(&app.db, &session, &settings, soon)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        load_session_principal(&app.db, &session, &settings, later)
            .await
            .unwrap()
            .is_none()
    );
    let stale_version = SessionUser {
        session_version: 7,
        ..session
    };
    assert!(
        load_session_principal(&app.db, &stale_version, &settings, soon)
            .await
            .unwrap()
            .is_none()
    );
}

async fn every_response_carries_the_security_headers(db: TestDb) {
    let app = spawn_app(db).await;
    for path in [
        "/login",
        "/api/v1/openapi.json",
        "/healthz",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
}

async fn without_smtp_the_invitation_lands_in_the_outbox_page(db: TestDb) {
    let app = spawn_app(db).await;
    onboard(&app, "acme-prod").await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    let invited = call(
        &app.client,
        &app,
        <InviteUser as ServerFn>::PATH,
        &[
            ("email", "dana@acme.example"),
            ("role", "tenant_viewer"),
            ("tenant", "acme-prod"),
        ],
    )
    .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let mut page = String::new();
    for _ in 0..100 {
        page = app.get("/dev/outbox").await.text().await.unwrap();
        if page.contains("/invitations/") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        page.contains("dana@acme.example")
            && page.contains(&format!("{}/invitations/", app.address)),
        "{page}"
    );
}

async fn server_functions_answer_undecodable_input_with_422_not_500(db: TestDb) {
    let app = spawn_app(db).await;
    assert_eq!(
        app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK
    );
    for (path, form) in [
        (
            <SetUserActive as ServerFn>::PATH,
            vec![("id", "not-a-uuid"), ("active", "false")],
        ),
        (<SetUserActive as ServerFn>::PATH, vec![("active", "maybe")]),
        (<InviteUser as ServerFn>::PATH, vec![]),
    ] {
        let response = call(&app.client, &app, path, &form).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {form:?}"
        );
        assert!(response.text().await.unwrap().contains("Validation"));
    }
    let json = app
        .client
        .post(app.url("/api/fn/list_users"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

crate::on_both_databases!(
    server_functions_answer_undecodable_input_with_422_not_500,
    an_invitation_sent_over_smtp_creates_a_tenant_admin_who_sees_only_their_tenant,
    a_tenant_admin_lists_and_invites_only_within_their_tenant,
    a_password_reset_link_from_the_email_sets_a_new_password_and_ends_sessions,
    changing_ones_password_keeps_this_session_and_ends_the_others,
    a_disabled_user_is_signed_out_everywhere_and_cannot_sign_in,
    repeated_failed_sign_ins_are_throttled_then_allowed_after_the_lockout,
    sessions_end_at_the_absolute_timeout_however_active,
    every_response_carries_the_security_headers,
    without_smtp_the_invitation_lands_in_the_outbox_page,
);

mod custom_roles {
    use super::*;
    use app::api::access::roles::CreateRole;
    use app::api::access::roles::DeleteRole;
    use app::backend::entities::role;
    use app::domain::access::permission::Permission;
    use app::domain::access::permission::Scope;

    async fn custom_role_key(app: &TestApp, name: &str) -> (Uuid, String) {
        let found = role::Entity::find()
            .filter(role::Column::Name.eq(name))
            .one(&app.db)
            .await
            .unwrap()
            .expect("role created");
        (found.id, found.key)
    }

    async fn a_custom_role_is_created_from_the_form_granted_by_invitation_and_enforced(db: TestDb) {
        let sink = SmtpSink::start();
        let app = smtp_app(db, &sink).await;
        let acme = onboard(&app, "acme-prod").await;
        onboard(&app, "globex-prod").await;
        assert_eq!(
            app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            StatusCode::OK
        );

        // Checkboxes arrive as permissions[<key>]=on; none checked is a field error.
        let empty = call(
            &app.client,
            &app,
            <CreateRole as ServerFn>::PATH,
            &[("name", "Tenant auditor"), ("scope", "tenant")],
        )
        .await;
        assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .contains("Choose at least one permission")
        );
        let created = call(
            &app.client,
            &app,
            <CreateRole as ServerFn>::PATH,
            &[
                ("name", "Tenant auditor"),
                ("scope", "tenant"),
                ("permissions[tenant.read]", "on"),
                ("permissions[audit.read]", "on"),
            ],
        )
        .await;
        assert_eq!(
            created.status(),
            StatusCode::OK,
            "{}",
            created.text().await.unwrap()
        );
        let (role_id, key) = custom_role_key(&app, "Tenant auditor").await;

        let invited = call(
            &app.client,
            &app,
            <InviteUser as ServerFn>::PATH,
            &[
                ("email", "aud@acme.example"),
                ("role", &key),
                ("tenant", "acme-prod"),
            ],
        )
        .await;
        assert_eq!(
            invited.status(),
            StatusCode::OK,
            "{}",
            invited.text().await.unwrap()
        );
        let mail = sink.wait_for("aud@acme.example", "/invitations/").await;
        assert!(
            mail.contains("Tenant auditor of Tenant acme-prod"),
            "{mail}"
        );
        let link = link_in(&mail, &format!("{}/invitations/", app.address));
        accept(&client(), &app, &link, "Aud").await;

        let auditor = principal_by_email(&app.db, "aud@acme.example")
            .await
            .unwrap()
            .unwrap();
        assert!(auditor.can(Permission::AuditRead, Scope::Tenant(acme)));
        assert!(auditor.can(Permission::TenantRead, Scope::Tenant(acme)));
        assert!(!auditor.can(Permission::TenantManage, Scope::Tenant(acme)));
        assert!(!auditor.can(Permission::AuditRead, Scope::Platform));

        // A role in use cannot be deleted; an unused one can.
        let in_use = call(
            &app.client,
            &app,
            <DeleteRole as ServerFn>::PATH,
            &[("id", &role_id.to_string())],
        )
        .await;
        assert_eq!(in_use.status(), StatusCode::CONFLICT);
        call(
            &app.client,
            &app,
            <CreateRole as ServerFn>::PATH,
            &[
                ("name", "Spare"),
                ("scope", "platform"),
                ("permissions[report.read]", "on"),
            ],
        )
        .await;
        let (spare, _) = custom_role_key(&app, "Spare").await;
        let deleted = call(
            &app.client,
            &app,
            <DeleteRole as ServerFn>::PATH,
            &[("id", &spare.to_string())],
        )
        .await;
        assert_eq!(deleted.status(), StatusCode::OK);
        let builtin = role::Entity::find()
            .filter(role::Column::IsBuiltin.eq(true))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let refused = call(
            &app.client,
            &app,
            <DeleteRole as ServerFn>::PATH,
            &[("id", &builtin.id.to_string())],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn a_tenant_admin_cannot_hand_out_permissions_they_do_not_hold(db: TestDb) {
        let sink = SmtpSink::start();
        let app = smtp_app(db, &sink).await;
        onboard(&app, "acme-prod").await;
        let link = invite_tenant_admin(&app, &sink, "dana@acme.example", "acme-prod").await;
        let dana = client();
        accept(&dana, &app, &link, "Dana").await;
        call(
            &app.client,
            &app,
            <CreateRole as ServerFn>::PATH,
            &[
                ("name", "Lifecycle operator"),
                ("scope", "tenant"),
                ("permissions[tenant.lifecycle]", "on"),
            ],
        )
        .await;
        let (_, key) = custom_role_key(&app, "Lifecycle operator").await;

        let dana_principal = principal_by_email(&app.db, "dana@acme.example")
            .await
            .unwrap()
            .unwrap();
        let view = accounts::list_users(
            &app::backend::context::Ctx::of(&app.db, &dana_principal, &Default::default()),
            &UsersQuery::default(),
            false,
        )
        .await
        .unwrap();
        assert!(
            view.roles.iter().all(|r| r.key != key),
            "not offered to her"
        );
        let escalation = call(
            &dana,
            &app,
            <InviteUser as ServerFn>::PATH,
            &[
                ("email", "eve@acme.example"),
                ("role", &key),
                ("tenant", "acme-prod"),
            ],
        )
        .await;
        assert_eq!(escalation.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            escalation
                .text()
                .await
                .unwrap()
                .contains("only hand out what you have")
        );
        let creating = call(
            &dana,
            &app,
            <CreateRole as ServerFn>::PATH,
            &[
                ("name", "Mine"),
                ("scope", "tenant"),
                ("permissions[tenant.read]", "on"),
            ],
        )
        .await;
        assert_eq!(
            creating.status(),
            StatusCode::FORBIDDEN,
            "custom roles are the platform's"
        );
    }

    crate::on_both_databases!(
        a_custom_role_is_created_from_the_form_granted_by_invitation_and_enforced,
        a_tenant_admin_cannot_hand_out_permissions_they_do_not_hold,
    );
}

mod second_factor {
    use super::*;
    use app::api::access::two_factor::ConfirmTwoFactor;
    use app::api::access::two_factor::DisableTwoFactor;
    use app::api::access::two_factor::StartTwoFactor;
    use app::api::access::two_factor::VerifyLogin;
    use totp_rs::{Algorithm, Secret, TOTP};

    fn code_at_step_offset(secret: &str, offset: i64) -> String {
        let totp = TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            30,
            Secret::Encoded(secret.into()).to_bytes().unwrap(),
            Some("Tenantry".into()),
            ADMIN_EMAIL.into(),
        )
        .unwrap();
        let now = chrono::Utc::now().timestamp();
        totp.generate(((now / 30 + offset) * 30) as u64)
    }

    /// A new browser gives the password; returns it, not yet signed in.
    async fn password_step(app: &TestApp) -> reqwest::Client {
        let browser = client();
        let login = call(
            &browser,
            app,
            <app::api::access::auth::Login as ServerFn>::PATH,
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
        assert!(
            login.status().is_success() || login.status().is_redirection(),
            "{}",
            login.status()
        );
        assert_eq!(
            browser
                .get(app.url("/api/v1/tenants"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED,
            "the password alone does not sign in"
        );
        browser
    }

    async fn verify(browser: &reqwest::Client, app: &TestApp, code: &str) -> StatusCode {
        call(
            browser,
            app,
            <VerifyLogin as ServerFn>::PATH,
            &[("code", code)],
        )
        .await
        .status()
    }

    async fn with_a_second_factor_signing_in_takes_a_code_that_works_once(db: TestDb) {
        let app = spawn_app(db).await;
        assert_eq!(
            app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            StatusCode::OK
        );
        let started: serde_json::Value =
            call(&app.client, &app, <StartTwoFactor as ServerFn>::PATH, &[])
                .await
                .json()
                .await
                .unwrap();
        let secret = started["secret"].as_str().unwrap().to_owned();
        assert!(
            started["otpauth_url"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/")
        );
        assert!(started["qr_svg"].as_str().unwrap().contains("<svg"));

        let wrong = call(
            &app.client,
            &app,
            <ConfirmTwoFactor as ServerFn>::PATH,
            &[("code", "12345")],
        )
        .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let confirmed = call(
            &app.client,
            &app,
            <ConfirmTwoFactor as ServerFn>::PATH,
            &[("code", &code_at_step_offset(&secret, 0))],
        )
        .await;
        assert_eq!(confirmed.status(), StatusCode::OK);
        let recovery: Vec<String> = confirmed.json().await.unwrap();
        assert_eq!(recovery.len(), 10);

        // Password, then a code: the one just used to confirm is spent.
        let browser = password_step(&app).await;
        assert_eq!(
            verify(&browser, &app, &code_at_step_offset(&secret, 0)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no replay"
        );
        let next_code = code_at_step_offset(&secret, 1);
        assert!(verify(&browser, &app, &next_code).await.is_success());
        assert_eq!(
            browser
                .get(app.url("/api/v1/tenants"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let another = password_step(&app).await;
        assert_eq!(
            verify(&another, &app, &next_code).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "each code once"
        );

        // A recovery code works once, however it is typed.
        assert!(
            verify(&another, &app, &recovery[0].to_uppercase())
                .await
                .is_success()
        );
        let third = password_step(&app).await;
        assert_eq!(
            verify(&third, &app, &recovery[0]).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // Without a pending password step there is nothing to verify.
        assert_eq!(
            verify(&client(), &app, &recovery[1]).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        let off = call(
            &app.client,
            &app,
            <DisableTwoFactor as ServerFn>::PATH,
            &[("password", ADMIN_PASSWORD), ("code", &recovery[1])],
        )
        .await;
        assert_eq!(off.status(), StatusCode::OK);
        let plain = client();
        call(
            &plain,
            &app,
            <app::api::access::auth::Login as ServerFn>::PATH,
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
        assert_eq!(
            plain
                .get(app.url("/api/v1/tenants"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }

    crate::on_both_databases!(with_a_second_factor_signing_in_takes_a_code_that_works_once);
}

mod notifications {
    use super::*;
    use app::api::notifications::SaveNotificationPreferences;
    use app::backend::services::notifications::notification_prefs::preferences_of;
    use app::domain::notifications::notification::Channel;
    use app::domain::notifications::notification::NotificationKind;

    async fn notification_preferences_are_saved_from_the_checkboxes_and_audited(db: TestDb) {
        let app = spawn_app(db).await;
        assert_eq!(
            app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
            StatusCode::OK
        );
        let admin = principal_by_email(&app.db, ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let before = preferences_of(&app.db, admin.user_id).await.unwrap();
        assert!(
            before.wants(NotificationKind::EolNotice, Channel::Email),
            "default"
        );

        let saved = call(
            &app.client,
            &app,
            <SaveNotificationPreferences as ServerFn>::PATH,
            &[
                ("email[change_finished]", "on"),
                ("in_app[eol_notice]", "on"),
            ],
        )
        .await;
        assert_eq!(
            saved.status(),
            StatusCode::OK,
            "{}",
            saved.text().await.unwrap()
        );
        let after = preferences_of(&app.db, admin.user_id).await.unwrap();
        assert!(!after.wants(NotificationKind::EolNotice, Channel::Email));
        assert!(after.wants(NotificationKind::EolNotice, Channel::InApp));
        assert!(after.wants(NotificationKind::ChangeFinished, Channel::Email));
        assert!(
            after.wants(NotificationKind::SecurityAlert, Channel::InApp),
            "cannot be turned off"
        );

        let bogus = call(
            &app.client,
            &app,
            <SaveNotificationPreferences as ServerFn>::PATH,
            &[("email[weather]", "on")],
        )
        .await;
        assert_eq!(bogus.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let audited = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("user.notification_preferences"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(audited.len(), 1);
    }

    crate::on_both_databases!(notification_preferences_are_saved_from_the_checkboxes_and_audited);
}
