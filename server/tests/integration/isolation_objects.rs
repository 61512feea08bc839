//! The isolation proof, with real objects: tenant B owns one of everything
//! an object route or server function names (a change request, a blue-green
//! deployment, a person, an API token, an invitation, a maintenance window,
//! a blackout, an enrollment token). People of tenant A — its admin, a
//! custom role holding every tenant permission, and an API token limited to
//! the A binding of someone who is also admin of B — call every such door
//! with B's ids. Each call is refused (403 or 404, never a success), no
//! answer carries B's ids or name, and afterwards every B object is exactly
//! as it was. The same token *without* the limit reaches B: the limit, not
//! an accident, is what refuses.

use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::helpers::new_deployment;
use crate::helpers::{
    ADMIN_EMAIL, TestApp, TestDb, admin_token, change_request, client, spawn_app, tenant_form,
};
use app::backend::audit::RequestContext;
use app::backend::entities::{
    api_token, blackout, change_request, deployment_switch, enrollment_token, invitation,
    maintenance_window, role_binding, user,
};
use app::backend::principal::Principal;
use app::backend::services::access::accounts;
use app::backend::services::access::api_tokens;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::roles;
use app::backend::services::changes;
use app::backend::services::changes::update_policy;
use app::backend::services::deployments;
use app::backend::services::platform::seed;
use app::backend::services::tenants;
use app::backend::services::tenants::agents;
use app::backend::state::AccountSettings;
use app::domain::access::permission::BuiltinRole;
use app::domain::access::permission::Permission;
use app::domain::tenants::tenant::Region;
use app::model::changes::ChangeForm;
use app::model::deployments::DeploymentForm;
use app::model::tenants::NewTenantForm;

const PASSWORD: &str = "object isolation passphrase";

/// Tenant B's objects, by the placeholder each call names them with.
struct Objects {
    change: Uuid,
    deployment: Uuid,
    person: Uuid,
    token: Uuid,
    invitation: Uuid,
    window: Uuid,
    blackout: Uuid,
    enrollment: Uuid,
}

impl Objects {
    fn ids(&self) -> [Uuid; 8] {
        [
            self.change,
            self.deployment,
            self.person,
            self.token,
            self.invitation,
            self.window,
            self.blackout,
            self.enrollment,
        ]
    }
}

enum Body {
    Empty,
    Json(&'static str),
    Form(&'static [(&'static str, &'static str)]),
}

/// Every door that takes an object id. `{x}` is B's object x; `{a}` and
/// `{a_id}` are the caller's own tenant A (a door that takes a tenant and
/// an id must not let A's name open B's object).
const REST: &[(&str, &str, Body)] = &[
    ("GET", "/api/v1/change-requests/{change}", Body::Empty),
    (
        "POST",
        "/api/v1/change-requests/{change}/decision",
        Body::Json(r#"{"decision":"approve"}"#),
    ),
    (
        "POST",
        "/api/v1/change-requests/{change}/cancel",
        Body::Empty,
    ),
    (
        "POST",
        "/api/v1/change-requests/{change}/delay",
        Body::Json(r#"{"days":1}"#),
    ),
    (
        "POST",
        "/api/v1/change-requests/{change}/submit",
        Body::Empty,
    ),
    ("GET", "/api/v1/deployments/{deployment}", Body::Empty),
    (
        "POST",
        "/api/v1/deployments/{deployment}/switch",
        Body::Json(r#"{"version":"5.2.0"}"#),
    ),
    (
        "POST",
        "/api/v1/deployments/{deployment}/pause",
        Body::Empty,
    ),
    (
        "POST",
        "/api/v1/deployments/{deployment}/rollback",
        Body::Empty,
    ),
    (
        "PUT",
        "/api/v1/deployments/{deployment}/settings",
        Body::Json(
            r#"{"steps":"100","bake_seconds":"","interval_seconds":"","max_error_rate":"","max_latency_ms":"","max_error_rate_over_live":"","max_latency_ratio_to_live":"","min_requests":"","max_consecutive_failures":""}"#,
        ),
    ),
    (
        "PUT",
        "/api/v1/deployments/{deployment}/simulation",
        Body::Json(
            r#"{"requests_per_second":1,"blue":{"error_rate":0,"latency_ms":1},"green":{"error_rate":0,"latency_ms":1}}"#,
        ),
    ),
    (
        "GET",
        "/api/v1/deployments/{deployment}/health-runs",
        Body::Empty,
    ),
];

const SERVER_FNS: &[(&str, Body)] = &[
    ("change_request", Body::Form(&[("id", "{change}")])),
    (
        "decide_change",
        Body::Form(&[("id", "{change}"), ("decision", "approve"), ("comment", "")]),
    ),
    ("cancel_change", Body::Form(&[("id", "{change}")])),
    (
        "delay_change",
        Body::Form(&[("id", "{change}"), ("days", "1")]),
    ),
    ("submit_change", Body::Form(&[("id", "{change}")])),
    ("deployment", Body::Form(&[("id", "{deployment}")])),
    (
        "start_switch",
        Body::Form(&[("id", "{deployment}"), ("form[version]", "5.2.0")]),
    ),
    (
        "switch_action",
        Body::Form(&[("id", "{deployment}"), ("action", "pause")]),
    ),
    ("revoke_api_token", Body::Form(&[("id", "{token}")])),
    ("revoke_invitation", Body::Form(&[("id", "{invitation}")])),
    (
        "set_user_active",
        Body::Form(&[("id", "{person}"), ("active", "false")]),
    ),
    ("remove_blackout", Body::Form(&[("id", "{blackout}")])),
    (
        "remove_maintenance_window",
        Body::Form(&[("tenant", "{a}"), ("id", "{window}")]),
    ),
    (
        "revoke_enrollment_token",
        Body::Form(&[("tenant_id", "{a_id}"), ("id", "{enrollment}")]),
    ),
];

fn fill(template: &str, objects: &Objects, a: Uuid) -> String {
    template
        .replace("{change}", &objects.change.to_string())
        .replace("{deployment}", &objects.deployment.to_string())
        .replace("{person}", &objects.person.to_string())
        .replace("{token}", &objects.token.to_string())
        .replace("{invitation}", &objects.invitation.to_string())
        .replace("{window}", &objects.window.to_string())
        .replace("{blackout}", &objects.blackout.to_string())
        .replace("{enrollment}", &objects.enrollment.to_string())
        .replace("{a_id}", &a.to_string())
        .replace("{a}", "own-a")
}

/// Who calls: a signed-in browser, or a bearer token.
enum Caller {
    Session(reqwest::Client),
    Token(String),
}

async fn send(
    app: &TestApp,
    caller: &Caller,
    method: &str,
    path: &str,
    body: &Body,
    objects: &Objects,
    a: Uuid,
) -> (StatusCode, String) {
    let (http, token) = match caller {
        Caller::Session(browser) => (browser.clone(), None),
        Caller::Token(token) => (client(), Some(token)),
    };
    let url = app.url(&fill(path, objects, a));
    let mut request = http.request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match body {
        Body::Empty => request,
        Body::Json(json) => request
            .header("content-type", "application/json")
            .body(fill(json, objects, a)),
        Body::Form(fields) => {
            let filled: Vec<(&str, String)> = fields
                .iter()
                .map(|(k, v)| (*k, fill(v, objects, a)))
                .collect();
            request.form(&filled)
        }
    };
    let answer = request.send().await.unwrap();
    let status = answer.status();
    (status, answer.text().await.unwrap_or_default())
}

async fn person(app: &TestApp, email: &str, role: BuiltinRole, tenant: Option<Uuid>) -> Principal {
    crate::helpers::person(&app.db, email, PASSWORD, role, tenant).await
}

async fn bind(app: &TestApp, user_id: Uuid, role_id: Uuid, tenant: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    role_binding::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        role_id: Set(role_id),
        tenant_id: Set(Some(tenant)),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

async fn signed_in(app: &TestApp, email: &str) -> Caller {
    let browser = client();
    let answer = browser
        .post(app.url("/api/fn/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "{email} signs in");
    Caller::Session(browser)
}

/// What must not change, as one comparable snapshot.
async fn state_of(app: &TestApp, objects: &Objects) -> String {
    let db = &app.db;
    let change = change_request::Entity::find_by_id(objects.change)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let switches = deployment_switch::Entity::find()
        .filter(deployment_switch::Column::DeploymentId.eq(objects.deployment))
        .all(db)
        .await
        .unwrap()
        .len();
    let deployment =
        app::backend::entities::edge_deployment::Entity::find_by_id(objects.deployment)
            .one(db)
            .await
            .unwrap()
            .unwrap();
    let person = user::Entity::find_by_id(objects.person)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let token = api_token::Entity::find_by_id(objects.token)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let invitation = invitation::Entity::find_by_id(objects.invitation)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let window = maintenance_window::Entity::find_by_id(objects.window)
        .one(db)
        .await
        .unwrap()
        .is_some();
    let blackout = blackout::Entity::find_by_id(objects.blackout)
        .one(db)
        .await
        .unwrap()
        .is_some();
    let enrollment = enrollment_token::Entity::find_by_id(objects.enrollment)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    format!(
        "change {} {:?} | switches {switches} steps {} | person active {} | token revoked {:?} | invitation revoked {:?} | window {window} | blackout {blackout} | enrollment revoked {:?}",
        change.status.as_str(),
        change.delayed_days,
        deployment.steps.as_str(),
        person.is_active,
        token.revoked_at,
        invitation.revoked_at,
        enrollment.revoked_at,
    )
}

async fn another_tenants_objects_stay_out_of_reach_at_every_door(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = principal_by_email(&app.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let context = RequestContext::default();
    seed::seed_catalog(&app::backend::context::Ctx::of(
        &app.db,
        &admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    let regions = [Region::parse("eu-central-1").unwrap()];
    let mut ids = vec![];
    for slug in ["own-a", "other-b"] {
        let form = NewTenantForm {
            deployment_kind: "edge".into(),
            ..tenant_form(slug)
        };
        tenants::create(
            &app::backend::context::Ctx::of(&app.db, &admin, &context),
            &regions,
            &form,
        )
        .await
        .unwrap();
        ids.push(
            tenants::detail(
                &app::backend::context::Ctx::of(&app.db, &admin, &Default::default()),
                slug,
            )
            .await
            .unwrap()
            .row
            .id,
        );
    }
    let (a, b) = (ids[0], ids[1]);

    // Tenant B's objects.
    let change = changes::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        change_request(&ChangeForm {
            tenant: "other-b".into(),
            kind: "provision".into(),
            draft: true,
            ..Default::default()
        }),
    )
    .await
    .unwrap()
    .id;
    let deployment = deployments::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        new_deployment(&DeploymentForm {
            tenant: "other-b".into(),
            product: "edge-gateway".into(),
            version: "5.1.0".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    let b_admin = person(
        &app,
        "admin@other-b.test",
        BuiltinRole::TenantAdmin,
        Some(b),
    )
    .await;
    let token = api_tokens::create(
        &app::backend::context::Ctx::of(&app.db, &b_admin, &context),
        "b's robot",
        "",
        "",
    )
    .await
    .unwrap()
    .row
    .id;
    let invitation = accounts::invite(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        &AccountSettings::default(),
        "invited@other-b.test",
        "tenant_viewer",
        "other-b",
    )
    .await
    .unwrap();
    update_policy::add_window(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        "other-b",
        "mon",
        "01:00",
        "03:00",
    )
    .await
    .unwrap();
    let window = maintenance_window::Entity::find()
        .filter(maintenance_window::Column::TenantId.eq(b))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    update_policy::add_blackout(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        30,
        "other-b",
        "2027-01-10",
        "2027-01-12",
        "b's freeze",
    )
    .await
    .unwrap();
    let blackout = blackout::Entity::find()
        .filter(blackout::Column::TenantId.eq(b))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    agents::create_enrollment_token(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        b,
        "b's fleet",
        "",
        false,
    )
    .await
    .unwrap();
    let enrollment = enrollment_token::Entity::find()
        .filter(enrollment_token::Column::TenantId.eq(b))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let objects = Objects {
        change,
        deployment,
        person: b_admin.user_id,
        token,
        invitation,
        window,
        blackout,
        enrollment,
    };

    // Tenant A's people.
    person(&app, "admin@own-a.test", BuiltinRole::TenantAdmin, Some(a)).await;
    let every_tenant_permission: Vec<&str> = Permission::ALL
        .into_iter()
        .filter(|p| !matches!(p, Permission::PolicyManage | Permission::ReleaseManage))
        .map(Permission::as_str)
        .collect();
    let custom = roles::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &context),
        "Everything here",
        "tenant",
        &every_tenant_permission,
    )
    .await
    .unwrap();
    let custom_user = person(
        &app,
        "custom@own-a.test",
        BuiltinRole::TenantViewer,
        Some(a),
    )
    .await;
    bind(&app, custom_user.user_id, custom, a).await;
    // Admin of A and of B, with a token limited to the A binding.
    let two_hats = person(
        &app,
        "two-hats@own-a.test",
        BuiltinRole::TenantAdmin,
        Some(a),
    )
    .await;
    let tenant_admin_role = roles::find_by_key(&app.db, "tenant_admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    bind(&app, two_hats.user_id, tenant_admin_role, b).await;
    let two_hats = principal_by_email(&app.db, "two-hats@own-a.test")
        .await
        .unwrap()
        .unwrap();
    let a_binding = role_binding::Entity::find()
        .filter(role_binding::Column::UserId.eq(two_hats.user_id))
        .filter(role_binding::Column::TenantId.eq(a))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let limited = api_tokens::create(
        &app::backend::context::Ctx::of(&app.db, &two_hats, &context),
        "a only",
        "",
        &a_binding.to_string(),
    )
    .await
    .unwrap()
    .token;
    let unlimited = api_tokens::create(
        &app::backend::context::Ctx::of(&app.db, &two_hats, &context),
        "both",
        "",
        "",
    )
    .await
    .unwrap()
    .token;

    // The objects are real: the vendor, and the unlimited token, see them.
    let vendor = Caller::Token(admin_token(&app).await);
    let both = Caller::Token(unlimited);
    for caller in [&vendor, &both] {
        for path in [
            "/api/v1/change-requests/{change}",
            "/api/v1/deployments/{deployment}",
        ] {
            let (status, body) = send(&app, caller, "GET", path, &Body::Empty, &objects, a).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert!(body.contains("other-b"), "{path}: {body}");
        }
    }

    let before = state_of(&app, &objects).await;
    let callers = [
        (
            "tenant A's admin",
            signed_in(&app, "admin@own-a.test").await,
        ),
        (
            "a custom role on tenant A",
            signed_in(&app, "custom@own-a.test").await,
        ),
        ("a token limited to tenant A", Caller::Token(limited)),
    ];
    let mut failures = vec![];
    for (who, caller) in &callers {
        let doors = REST
            .iter()
            .map(|(method, path, body)| (*method, (*path).to_owned(), body))
            .chain(
                SERVER_FNS
                    .iter()
                    .filter(|_| matches!(caller, Caller::Session(_)))
                    .map(|(name, body)| ("POST", format!("/api/fn/{name}"), body)),
            );
        for (method, path, body) in doors {
            let (status, answer) = send(&app, caller, method, &path, body, &objects, a).await;
            // A door that names the caller's own tenant may say B's id is
            // not one of A's (a field error) instead of "not found".
            let names_own_tenant = matches!(body, Body::Form(fields)
                if fields.iter().any(|(_, v)| v.starts_with("{a")));
            let refused = matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                || (names_own_tenant && status == StatusCode::UNPROCESSABLE_ENTITY);
            if !refused {
                failures.push(format!("{method} {path} as {who}: {status} {answer}"));
            }
            let leaked = objects
                .ids()
                .iter()
                .any(|id| answer.contains(&id.to_string()))
                || answer.contains("other-b");
            if leaked {
                failures.push(format!(
                    "{method} {path} as {who} answered with tenant B's data: {answer}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} doors opened to tenant B's objects:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        state_of(&app, &objects).await,
        before,
        "nothing of tenant B's changed"
    );
}

crate::on_both_databases!(another_tenants_objects_stay_out_of_reach_at_every_door);
