//! Tenant isolation and role checks in the services and over HTTP: a tenant
//! user sees and changes only their own tenant; another tenant's resources
//! answer "not found", so their existence does not leak.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{ADMIN_EMAIL, TestDb, spawn_app, tenant_form};
use app::backend::audit::RequestContext;
use app::backend::error::ServiceError;
use app::backend::principal::{Actor, Principal};
use app::backend::services::access::api_tokens;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::audit::audit_log;
use app::backend::services::platform::dashboard;
use app::backend::services::tenants;
use app::backend::services::tenants::tenant_config;
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::lifecycle::LifecycleAction;
use app::domain::tenants::tenant::Region;
use app::model::audit::AuditQuery;
use app::model::tenants::{TenantEditForm, TenantQuery};
use sea_orm::DatabaseConnection;

const PASSWORD: &str = "a long enough password";

fn regions() -> Vec<Region> {
    vec![Region::parse("eu-central-1").unwrap()]
}

/// Tenants `a` and `b` onboarded (and given a config change each) by the first admin.
async fn two_tenants(db: &DatabaseConnection) -> (Uuid, Uuid) {
    users::ensure_first_admin(db, Some(ADMIN_EMAIL), Some(PASSWORD), chrono::Utc::now())
        .await
        .unwrap();
    let admin = principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap();
    let context = RequestContext::default();
    for slug in ["tenant-a", "tenant-b"] {
        tenants::create(
            &app::backend::context::Ctx::of(db, &admin, &context),
            &regions(),
            &tenant_form(slug),
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(db, &admin, &context),
            slug,
            "smtp.host",
            "mail.example",
            false,
        )
        .await
        .unwrap();
    }
    let a = tenants::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        "tenant-a",
    )
    .await
    .unwrap()
    .row
    .id;
    let b = tenants::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        "tenant-b",
    )
    .await
    .unwrap()
    .row
    .id;
    (a, b)
}

async fn user_with(
    db: &DatabaseConnection,
    email: &str,
    role: BuiltinRole,
    tenant: Option<Uuid>,
) -> Principal {
    crate::helpers::person(db, email, PASSWORD, role, tenant).await
}

fn is<T: std::fmt::Debug>(result: Result<T, ServiceError>, expected: &str) {
    let got = match &result {
        Err(ServiceError::NotFound) => "not found",
        Err(ServiceError::Forbidden) => "forbidden",
        Ok(_) => "ok",
        Err(_) => "other",
    };
    assert_eq!(got, expected, "{result:?}");
}

async fn a_tenant_admin_sees_and_changes_only_their_own_tenant(db: TestDb) {
    let (a, b) = two_tenants(&db.db).await;
    let ada = user_with(
        &db.db,
        "ada@customer-a.example",
        BuiltinRole::TenantAdmin,
        Some(a),
    )
    .await;
    let context = RequestContext::default();

    let list = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
        &TenantQuery::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        list.rows
            .iter()
            .map(|r| r.slug.as_str())
            .collect::<Vec<_>>(),
        ["tenant-a"]
    );
    let search = TenantQuery {
        q: Some("tenant-b".into()),
        ..Default::default()
    };
    assert_eq!(
        tenants::list(
            &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
            &search
        )
        .await
        .unwrap()
        .total,
        0,
        "search does not reach other tenants"
    );

    let own = tenants::detail(
        &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
        "tenant-a",
    )
    .await
    .unwrap();
    assert!(
        own.actions.iter().all(|a| a.unavailable_because.is_some()),
        "the lifecycle belongs to the vendor, and the page says so"
    );
    is(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
            "tenant-b",
        )
        .await,
        "not found",
    );
    is(
        tenants::resolve_reference(
            &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
            &b.to_string(),
        )
        .await,
        "not found",
    );

    is(
        tenants::transition(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            "tenant-a",
            LifecycleAction::Activate,
            None,
            None,
        )
        .await,
        "forbidden",
    );
    is(
        tenants::transition(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            "tenant-b",
            LifecycleAction::Activate,
            None,
            None,
        )
        .await,
        "not found",
    );
    is(
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            "tenant-a",
            "support.email",
            "help@a.example",
            false,
        )
        .await,
        "ok",
    );
    is(
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            "tenant-b",
            "support.email",
            "x@b.example",
            false,
        )
        .await,
        "not found",
    );
    let edit = TenantEditForm {
        display_name: "Renamed".into(),
        plan_code: "starter".into(),
        ..Default::default()
    };
    is(
        tenants::update(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            "tenant-b",
            1,
            tenants::TenantEdit::try_from(&edit),
        )
        .await,
        "not found",
    );
    is(
        tenants::create(
            &app::backend::context::Ctx::of(&db.db, &ada, &context),
            &regions(),
            &tenant_form("tenant-c"),
        )
        .await,
        "forbidden",
    );
    // Tenant admins manage their own API tokens, and see no one else's.
    let admin = principal_by_email(&db.db, ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    api_tokens::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &context),
        "platform-ci",
        "",
        "",
    )
    .await
    .unwrap();
    assert!(
        api_tokens::list(&app::backend::context::Ctx::of(
            &db.db,
            &ada,
            &Default::default()
        ))
        .await
        .unwrap()
        .is_empty()
    );

    let audit = audit_log::search(
        &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
        &AuditQuery::default(),
        100,
    )
    .await
    .unwrap();
    assert!(!audit.rows.is_empty());
    assert!(
        audit
            .rows
            .iter()
            .all(|r| r.tenant.as_deref() == Some("tenant-a")),
        "audit shows only the tenant's own events: {:?}",
        audit.rows
    );
    let other = AuditQuery {
        tenant: Some("tenant-b".into()),
        ..Default::default()
    };
    assert!(
        audit_log::search(
            &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
            &other,
            100
        )
        .await
        .unwrap()
        .rows
        .is_empty()
    );
    let csv = audit_log::export_csv(
        &app::backend::context::Ctx::of(&db.db, &ada, &Default::default()),
        &AuditQuery::default(),
    )
    .await
    .unwrap()
    .into_string()
    .await
    .unwrap();
    assert!(!csv.contains("tenant-b"), "nor does the export");

    let summary = dashboard::summary(&app::backend::context::Ctx::of(
        &db.db,
        &ada,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        summary.tenants_total,
        Some(1),
        "dashboard counts are scoped too"
    );
    assert_eq!(summary.users_total, None);
}

async fn a_platform_viewer_reads_everything_and_changes_nothing(db: TestDb) {
    two_tenants(&db.db).await;
    let vic = user_with(
        &db.db,
        "vic@vendor.example",
        BuiltinRole::PlatformViewer,
        None,
    )
    .await;
    let context = RequestContext::default();
    assert_eq!(
        tenants::list(
            &app::backend::context::Ctx::of(&db.db, &vic, &Default::default()),
            &TenantQuery::default()
        )
        .await
        .unwrap()
        .total,
        2
    );
    is(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &vic, &Default::default()),
            "tenant-b",
        )
        .await,
        "ok",
    );
    is(
        tenants::transition(
            &app::backend::context::Ctx::of(&db.db, &vic, &context),
            "tenant-b",
            LifecycleAction::Activate,
            None,
            None,
        )
        .await,
        "forbidden",
    );
    is(
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &vic, &context),
            "tenant-b",
            "a.b",
            "c",
            false,
        )
        .await,
        "forbidden",
    );
    assert_eq!(
        audit_log::search(
            &app::backend::context::Ctx::of(&db.db, &vic, &Default::default()),
            &AuditQuery::default(),
            100
        )
        .await
        .map(|p| p.rows.is_empty())
        .ok(),
        Some(false)
    );
}

async fn a_role_binding_must_fit_its_scope(db: TestDb) {
    let (a, _) = two_tenants(&db.db).await;
    let platform_role_on_a_tenant =
        users::NewUser::parse("x@example.com", "X", PASSWORD, BuiltinRole::PlatformAdmin)
            .unwrap()
            .at_tenant(a);
    let tenant_role_nowhere =
        users::NewUser::parse("y@example.com", "Y", PASSWORD, BuiltinRole::TenantViewer).unwrap();
    for new_user in [platform_role_on_a_tenant, tenant_role_nowhere] {
        crate::helpers::expect_field_error(
            users::create_user(
                &db.db,
                &Actor::System("test"),
                &RequestContext::default(),
                new_user,
                chrono::Utc::now(),
            )
            .await,
            "role",
        );
    }
}

async fn over_http_another_tenant_is_not_found(db: TestDb) {
    let app = spawn_app(db).await;
    let (a, b) = two_tenants(&app.db).await;
    user_with(
        &app.db,
        "ada@customer-a.example",
        BuiltinRole::TenantAdmin,
        Some(a),
    )
    .await;
    app.login("ada@customer-a.example", PASSWORD).await;
    let get = |path: String| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move {
            let response = client.get(url).send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, list) = get("/api/v1/tenants".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["pagination"]["total"], 1);
    for path in [
        format!("/api/v1/tenants/{b}"),
        "/api/v1/tenants/tenant-b".into(),
        "/api/v1/tenants/tenant-b/config".into(),
        "/api/v1/tenants/tenant-b/audit".into(),
    ] {
        assert_eq!(get(path.clone()).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, audit) = get("/api/v1/audit".into()).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant"] == "tenant-a")
    );

    let post = |path: &str, body: Value| app.client.post(app.url(path)).json(&body).send();
    let suspend = json!({ "action": "activate" });
    assert_eq!(
        post("/api/v1/tenants/tenant-a/transitions", suspend.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post("/api/v1/tenants/tenant-b/transitions", suspend)
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = app.get("/tenants/tenant-b").await;
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("Tenant tenant-b"),
        "the page does not show the other tenant"
    );
}

crate::on_both_databases!(
    a_tenant_admin_sees_and_changes_only_their_own_tenant,
    a_platform_viewer_reads_everything_and_changes_nothing,
    a_role_binding_must_fit_its_scope,
    over_http_another_tenant_is_not_found,
);
