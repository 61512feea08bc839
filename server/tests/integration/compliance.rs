//! Releases and compliance, end to end through the services and over HTTP:
//! the catalog drives assessment, policies decide by level, extensions add
//! grace, notices go out once per day, agents register and report, and a
//! tenant user sees only their own tenant's compliance.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{ADMIN_EMAIL, TestDb, spawn_app, tenant_form};
use app::backend::audit::RequestContext;
use app::backend::entities::{audit_event, eol_notice, notification, outbound_email};
use app::backend::error::ServiceError;
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::notifications::notices;
use app::backend::services::releases::catalog;
use app::backend::services::releases::compliance;
use app::backend::services::releases::policies;
use app::backend::services::releases::tenant_versions;
use app::backend::services::tenants;
use app::backend::services::tenants::agents;
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::tenant::Region;
use app::model::releases::catalog::ReleaseForm;
use app::model::releases::compliance::ComplianceQuery;
use app::model::releases::compliance::TenantProductForm;
use app::model::releases::policies::PolicyForm;

const PASSWORD: &str = "a long enough password";

struct World {
    admin: Principal,
    product: Uuid,
    a: Uuid,
    b: Uuid,
}

fn ctx() -> RequestContext {
    RequestContext::default()
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// Product `edge-gateway` with 5.0.0 (end of life `eol_offset` days from
/// today) and 5.1.0 (no end of life); tenant-a runs 5.0.0, tenant-b 5.1.0.
async fn world(db: &DatabaseConnection, eol_offset: i64) -> World {
    users::ensure_first_admin(db, Some(ADMIN_EMAIL), Some(PASSWORD), chrono::Utc::now())
        .await
        .unwrap();
    let admin = principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap();
    let regions = [Region::parse("eu-central-1").unwrap()];
    let mut ids = vec![];
    for slug in ["tenant-a", "tenant-b"] {
        let form = app::model::tenants::NewTenantForm {
            contact_technical: format!("ops@{slug}.example"),
            ..tenant_form(slug)
        };
        tenants::create(
            &app::backend::context::Ctx::of(db, &admin, &ctx()),
            &regions,
            &form,
        )
        .await
        .unwrap();
        ids.push(
            tenants::detail(
                &app::backend::context::Ctx::of(db, &admin, &Default::default()),
                slug,
            )
            .await
            .unwrap()
            .row
            .id,
        );
    }
    let product = catalog::create_product(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        "edge-gateway",
        "Edge Gateway",
        "",
    )
    .await
    .unwrap();
    for (version, eol) in [("5.0.0", day(eol_offset)), ("5.1.0", String::new())] {
        catalog::save_release(
            &app::backend::context::Ctx::of(db, &admin, &ctx()),
            catalog::PublishRelease::try_from(&ReleaseForm {
                product_id: product,
                version: version.into(),
                released_on: day(-400),
                end_of_life: eol,
                components: format!("api={version}"),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    }
    for (tenant, version) in [(ids[0], "5.0.0"), (ids[1], "5.1.0")] {
        tenant_versions::set(
            &app::backend::context::Ctx::of(db, &admin, &ctx()),
            tenant,
            tenant_versions::LicenseProduct::try_from(&TenantProductForm {
                product_id: product,
                running_version: version.into(),
                allowed_range: ">=5.0, <6".into(),
                feature_flags: "offline-mode".into(),
            }),
        )
        .await
        .unwrap();
    }
    World {
        admin,
        product,
        a: ids[0],
        b: ids[1],
    }
}

async fn tenant_admin(db: &DatabaseConnection, email: &str, tenant: Uuid) -> Principal {
    crate::helpers::person(db, email, PASSWORD, BuiltinRole::TenantAdmin, Some(tenant)).await
}

async fn status_of(
    db: &DatabaseConnection,
    who: &Principal,
    tenant: Uuid,
) -> (String, Option<i64>, String) {
    let view = tenant_versions::view(
        &app::backend::context::Ctx::of(db, who, &Default::default()),
        tenant,
    )
    .await
    .unwrap();
    let row = &view.rows[0];
    (
        row.status.unwrap().as_str().to_owned(),
        row.days_left,
        row.policy_level.unwrap().as_str().to_owned(),
    )
}

async fn a_release_past_end_of_life_puts_its_tenants_in_grace(db: TestDb) {
    let w = world(&db.db, -10).await;
    assert_eq!(
        status_of(&db.db, &w.admin, w.a).await,
        ("in_grace".into(), Some(20), "global".into())
    );
    assert_eq!(status_of(&db.db, &w.admin, w.b).await.0, "compliant");

    let summary = compliance::summary(&app::backend::context::Ctx::of(
        &db.db,
        &w.admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(summary.assessed_tenants, 2);
    assert_eq!(summary.compliant_pct, 50.0);
    assert_eq!(summary.trend.len(), 1, "today's snapshot");
    assert_eq!(summary.attention.len(), 1);
    assert_eq!(summary.attention[0].tenant_slug, "tenant-a");
    let dist = &summary.distribution[0];
    assert_eq!(dist.latest.as_deref(), Some("5.1.0"));
    assert_eq!(dist.on_latest_pct, 50.0);

    let view = tenant_versions::view(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &Default::default()),
        w.a,
    )
    .await
    .unwrap();
    assert_eq!(
        view.rows[0].components["api"], "5.0.0",
        "the release's pins are recorded"
    );

    // Moving the end of life out (an update of the same version) re-assesses at once.
    catalog::save_release(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        catalog::PublishRelease::try_from(&ReleaseForm {
            product_id: w.product,
            version: "5.0.0".into(),
            released_on: day(-400),
            end_of_life: day(100),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(status_of(&db.db, &w.admin, w.a).await.0, "outdated");
    let csv = compliance::export_csv(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &Default::default()),
        &ComplianceQuery::default(),
    )
    .await
    .unwrap()
    .into_string()
    .await
    .unwrap();
    assert_eq!(
        csv.lines().count(),
        3,
        "header and one row per tenant × product:\n{csv}"
    );
    assert!(csv.contains("tenant-a,") && csv.contains(",outdated,"));
}

async fn a_version_outside_the_catalog_or_range_is_refused(db: TestDb) {
    let w = world(&db.db, -10).await;
    let set = |version: &str| TenantProductForm {
        product_id: w.product,
        running_version: version.into(),
        allowed_range: ">=5.0, <5.1".into(),
        feature_flags: String::new(),
    };
    for (version, fragment) in [
        ("9.9.9", "not a release"),
        ("5.1.0", "outside the allowed range"),
        ("five", "not a semantic version"),
    ] {
        let outcome = tenant_versions::set(
            &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
            w.b,
            tenant_versions::LicenseProduct::try_from(&set(version)),
        )
        .await;
        match outcome {
            Err(ServiceError::Validation(errors)) => {
                let message = errors.for_field("running_version").unwrap();
                assert!(message.contains(fragment), "{version}: {message}");
            }
            other => panic!("{version}: {other:?}"),
        }
    }
    assert_eq!(
        status_of(&db.db, &w.admin, w.b).await.0,
        "compliant",
        "nothing changed"
    );

    // A policy that blocks end-of-life deployments refuses moving to 5.0.0,
    // but a tenant that already runs it can still have its flags changed.
    let blocking = PolicyForm {
        level: "product".into(),
        product_id: Some(w.product),
        actions: vec!["block_eol_deployments".into()],
        ..Default::default()
    };
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&blocking),
    )
    .await
    .unwrap();
    match tenant_versions::set(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        w.b,
        tenant_versions::LicenseProduct::try_from(&set("5.0.0")),
    )
    .await
    {
        Err(ServiceError::Validation(errors)) => {
            assert!(
                errors
                    .for_field("running_version")
                    .unwrap()
                    .contains("blocks deploying")
            )
        }
        other => panic!("{other:?}"),
    }
    tenant_versions::set(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        w.a,
        tenant_versions::LicenseProduct::try_from(&TenantProductForm {
            feature_flags: "beta".into(),
            ..set("5.0.0")
        }),
    )
    .await
    .unwrap();
}

async fn the_most_specific_policy_decides_and_extensions_add_grace(db: TestDb) {
    let w = world(&db.db, -10).await;
    let ada = tenant_admin(&db.db, "ada@customer-a.example", w.a).await;
    let policy = |level: &str, tenant: &str, minimum: &str, grace: &str| PolicyForm {
        level: level.into(),
        product_id: (level != "global").then_some(w.product),
        tenant: tenant.into(),
        minimum_version: minimum.into(),
        grace_days: grace.into(),
        actions: vec!["notify".into()],
        ..Default::default()
    };
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&policy("global", "", "", "15")),
    )
    .await
    .unwrap();
    assert_eq!(
        status_of(&db.db, &w.admin, w.a).await,
        ("in_grace".into(), Some(5), "global".into())
    );
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&policy("product", "", "5.1.0", "")),
    )
    .await
    .unwrap();
    assert_eq!(status_of(&db.db, &w.admin, w.a).await.0, "non_compliant");
    assert_eq!(status_of(&db.db, &w.admin, w.a).await.2, "product");
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&policy("tenant", "tenant-a", "", "60")),
    )
    .await
    .unwrap();
    assert_eq!(
        status_of(&db.db, &ada, w.a).await,
        ("in_grace".into(), Some(50), "tenant".into())
    );
    assert_eq!(
        policies::view(&app::backend::context::Ctx::of(
            &db.db,
            &w.admin,
            &Default::default()
        ))
        .await
        .unwrap()
        .policies
        .len(),
        3,
        "saving a level again replaces it"
    );
    assert_eq!(
        policies::view(&app::backend::context::Ctx::of(
            &db.db,
            &ada,
            &Default::default()
        ))
        .await
        .unwrap()
        .policies
        .len(),
        3,
        "the tenant admin sees global, product and their own override"
    );

    // A tenant admin asks for more time; only a platform policy manager decides.
    let bad = policies::request_extension(
        &app::backend::context::Ctx::of(&db.db, &ada, &ctx()),
        w.a,
        w.product,
        "0",
        "x",
    )
    .await;
    assert!(
        matches!(bad, Err(ServiceError::Validation(ref e)) if e.for_field("days").is_some() && e.for_field("reason").is_some())
    );
    let request = policies::request_extension(
        &app::backend::context::Ctx::of(&db.db, &ada, &ctx()),
        w.a,
        w.product,
        "14",
        "Auditors sign off the upgrade next month",
    )
    .await
    .unwrap();
    assert!(matches!(
        policies::request_extension(
            &app::backend::context::Ctx::of(&db.db, &ada, &ctx()),
            w.a,
            w.product,
            "7",
            "Asking twice for the same product"
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        policies::request_extension(
            &app::backend::context::Ctx::of(&db.db, &ada, &ctx()),
            w.b,
            w.product,
            "7",
            "Not my tenant at all, though"
        )
        .await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        policies::decide_extension(
            &app::backend::context::Ctx::of(&db.db, &ada, &ctx()),
            request,
            "approve",
            ""
        )
        .await,
        Err(ServiceError::Forbidden)
    ));
    assert!(
        matches!(
            policies::decide_extension(
                &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
                request,
                "deny",
                ""
            )
            .await,
            Err(ServiceError::Validation(_))
        ),
        "a denial says why"
    );
    policies::decide_extension(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        request,
        "approve",
        "OK until the audit",
    )
    .await
    .unwrap();
    assert_eq!(
        status_of(&db.db, &ada, w.a).await.1,
        Some(64),
        "14 more days of grace"
    );
    assert!(matches!(
        policies::decide_extension(
            &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
            request,
            "deny",
            "changed my mind"
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));
    for action in [
        "policy.save",
        "grace_extension.request",
        "grace_extension.decide",
    ] {
        let n = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(&db.db)
            .await
            .unwrap();
        assert!(n >= 1, "{action} is audited");
    }
}

async fn eol_notices_go_out_once_per_tenant_product_and_day(db: TestDb) {
    let w = world(&db.db, 30).await;
    let ada = tenant_admin(&db.db, "ada@customer-a.example", w.a).await;
    // A policy that leaves out `notify` sends nothing; adding it starts the notices.
    let global = |actions: Vec<String>| PolicyForm {
        level: "global".into(),
        actions,
        ..Default::default()
    };
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&global(vec![])),
    )
    .await
    .unwrap();
    notices::run_compliance_job(&db.db, "http://portal.test", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        eol_notice::Entity::find().count(&db.db).await.unwrap(),
        0,
        "notify is off"
    );
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&global(vec!["notify".into()])),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        notices::run_compliance_job(&db.db, "http://portal.test", chrono::Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(
        eol_notice::Entity::find().count(&db.db).await.unwrap(),
        1,
        "tenant-a only, once"
    );
    let inbox = notification::Entity::find()
        .filter(notification::Column::UserId.eq(ada.user_id))
        .all(&db.db)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].title.contains("5.0.0") && inbox[0].title.contains("in 30 days"),
        "{}",
        inbox[0].title
    );
    assert_eq!(inbox[0].link, "/tenants/tenant-a/versions");
    let emails = outbound_email::Entity::find().all(&db.db).await.unwrap();
    assert!(!emails.is_empty(), "the tenant's contacts are emailed");
    assert!(emails.iter().all(|e| e.subject.contains("end of life")));
    let before = emails.len();
    notices::run_compliance_job(&db.db, "http://portal.test", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        outbound_email::Entity::find().count(&db.db).await.unwrap() as usize,
        before,
        "no duplicate email"
    );
    assert_eq!(
        notices::unread_count(&app::backend::context::Ctx::of(
            &db.db,
            &ada,
            &Default::default()
        ))
        .await
        .unwrap(),
        1
    );
    notices::mark_all_read(&app::backend::context::Ctx::of(
        &db.db,
        &ada,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        notices::unread_count(&app::backend::context::Ctx::of(
            &db.db,
            &ada,
            &Default::default()
        ))
        .await
        .unwrap(),
        0
    );
}

async fn tenant_users_see_only_their_own_compliance(db: TestDb) {
    let w = world(&db.db, -10).await;
    let bob = tenant_admin(&db.db, "bob@customer-b.example", w.b).await;
    let report = compliance::report(
        &app::backend::context::Ctx::of(&db.db, &bob, &Default::default()),
        &ComplianceQuery::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        report
            .rows
            .iter()
            .map(|r| r.tenant_slug.as_str())
            .collect::<Vec<_>>(),
        ["tenant-b"]
    );
    let summary = compliance::summary(&app::backend::context::Ctx::of(
        &db.db,
        &bob,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        (summary.assessed_tenants, summary.compliant_pct),
        (1, 100.0)
    );
    assert!(
        summary.attention.is_empty(),
        "tenant-a's grace is not bob's business"
    );
    let csv = compliance::export_csv(
        &app::backend::context::Ctx::of(&db.db, &bob, &Default::default()),
        &ComplianceQuery::default(),
    )
    .await
    .unwrap()
    .into_string()
    .await
    .unwrap();
    assert!(!csv.contains("tenant-a"), "{csv}");
    assert!(matches!(
        tenant_versions::view(
            &app::backend::context::Ctx::of(&db.db, &bob, &Default::default()),
            w.a
        )
        .await,
        Err(ServiceError::NotFound)
    ));
    assert!(
        matches!(
            tenant_versions::set(
                &app::backend::context::Ctx::of(&db.db, &bob, &ctx()),
                w.b,
                tenant_versions::LicenseProduct::try_from(&TenantProductForm {
                    product_id: w.product,
                    ..Default::default()
                })
            )
            .await,
            Err(ServiceError::Forbidden)
        ),
        "licensing is the vendor's"
    );
}

async fn agents_register_report_and_are_listed_over_http(db: TestDb) {
    let app = spawn_app(db).await;
    let w = world(&app.db, -10).await;
    let enrollment = agents::create_enrollment_token(
        &app::backend::context::Ctx::of(&app.db, &w.admin, &ctx()),
        w.a,
        "Store wave 1",
        "",
        false,
    )
    .await
    .unwrap();
    let post = |path: &str, body: Value, bearer: Option<&str>| {
        let mut request = app.client.post(app.url(path)).json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let report = |host: &str, version: &str| json!({ "hostname": host, "platform": "windows", "agent_version": "1.4.0", "products": { "edge-gateway": version } });

    let mut forged = report("pos-1", "5.0.0");
    forged["enrollment_token"] = json!("tenr_forged");
    assert_eq!(
        post("/api/v1/agents/register", forged, None)
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let mut good = report("POS-1.store.example", "5.0.0");
    good["enrollment_token"] = json!(enrollment);
    let registered = post("/api/v1/agents/register", good, None).await.unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    let agent_token = registered["agent_token"].as_str().unwrap().to_owned();
    assert_eq!(registered["tenant_id"], json!(w.a));

    // A bad report is refused whole, names each field, and changes nothing.
    let bad = json!({ "hostname": "pos 1", "platform": "amiga", "agent_version": "new", "products": { "edge-gateway": "5.x", "unknown-product": "1.0.0" } });
    let refused = post("/api/v1/agents/report", bad, Some(&agent_token))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in [
        "hostname",
        "platform",
        "agent_version",
        "products.edge-gateway",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let unknown = post(
        "/api/v1/agents/report",
        report("pos-1.store.example", "5.1.0")
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.insert("products".into(), json!({ "unknown-product": "1.0.0" }));
                Value::Object(o)
            })
            .unwrap(),
        Some(&agent_token),
    )
    .await
    .unwrap();
    assert_eq!(
        unknown.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown products are refused"
    );
    assert_eq!(
        post(
            "/api/v1/agents/report",
            report("pos-1", "5.1.0"),
            Some("tagt_forged")
        )
        .await
        .unwrap()
        .status(),
        StatusCode::UNAUTHORIZED
    );

    let token = crate::helpers::admin_token(&app).await;
    let listed: Value = app.client.get(app.url("/api/v1/tenants/tenant-a/endpoints?platform=windows&product=edge-gateway&version=5.0.0"))
        .bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["hostname"], "pos-1.store.example");
    assert_eq!(listed["items"][0]["online"], true);

    let accepted = post(
        "/api/v1/agents/report",
        report("pos-1.store.example", "5.1.0"),
        Some(&agent_token),
    )
    .await
    .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let listed: Value = app
        .client
        .get(app.url("/api/v1/tenants/tenant-a/endpoints?product=edge-gateway&version=5.0.0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0, "the new inventory replaced the old");
    let offline: Value = app
        .client
        .get(app.url("/api/v1/tenants/tenant-a/endpoints?presence=offline"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(offline["total"], 0);
    let bad_filter = app
        .client
        .get(app.url("/api/v1/tenants/tenant-a/endpoints?platform=amiga"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_filter.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let org: Value = app
        .client
        .get(app.url("/api/v1/compliance?status=in_grace"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(org["summary"]["endpoints_total"], 1);
    assert_eq!(
        org["summary"]["endpoints_compliant_pct"], 100.0,
        "the endpoint now runs 5.1.0"
    );
    assert_eq!(org["report"]["total"], 1);
    assert_eq!(org["report"]["rows"][0]["tenant_slug"], "tenant-a");
    let wrong = app
        .client
        .get(app.url("/api/v1/compliance?status=great"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The CSV exports follow the page's filters and the caller's tenants.
    assert_eq!(
        app.login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let endpoints_csv = app
        .get("/tenants/tenant-a/endpoints.csv?platform=windows")
        .await;
    assert_eq!(endpoints_csv.status(), StatusCode::OK);
    let endpoints_csv = endpoints_csv.text().await.unwrap();
    assert!(
        endpoints_csv.starts_with("hostname,platform,agent_version,online,last_seen_at,products")
    );
    assert!(
        endpoints_csv.contains("pos-1.store.example,windows,1.4.0,yes,"),
        "{endpoints_csv}"
    );
    assert_eq!(
        app.get("/tenants/tenant-a/endpoints.csv?platform=linux")
            .await
            .text()
            .await
            .unwrap()
            .lines()
            .count(),
        1,
        "only the header when nothing matches"
    );
    let distribution = app
        .get("/compliance/distribution.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        distribution.contains("edge-gateway,5.1.0,1,yes,50.0"),
        "{distribution}"
    );
    assert!(
        distribution.contains("edge-gateway,5.0.0,1,no,50.0"),
        "{distribution}"
    );

    let bob_email = "bob@customer-b.example";
    tenant_admin(&app.db, bob_email, w.b).await;
    let bob = crate::helpers::client();
    bob.post(app.url("/api/fn/login"))
        .form(&[("email", bob_email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let other = bob
        .get(app.url("/tenants/tenant-a/endpoints.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "another tenant's endpoints do not exist for bob"
    );
    let own = bob
        .get(app.url("/compliance/distribution.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        own.contains("edge-gateway,5.1.0,1,yes,100.0") && !own.contains("5.0.0"),
        "{own}"
    );
}

async fn a_policy_that_forces_upgrades_schedules_one_for_each_tenant_past_end_of_life(db: TestDb) {
    use app::backend::entities::change_request;
    // 5.0.0 ended 40 days ago: grace (30 days) is over for tenant-a.
    let w = world(&db.db, -40).await;
    let forcing = PolicyForm {
        level: "product".into(),
        product_id: Some(w.product),
        actions: vec!["notify".into(), "schedule_forced_upgrade".into()],
        ..Default::default()
    };
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&forcing),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        notices::run_compliance_job(&db.db, "http://portal.test", chrono::Utc::now())
            .await
            .unwrap();
    }
    let forced = change_request::Entity::find().all(&db.db).await.unwrap();
    assert_eq!(
        forced.len(),
        1,
        "one forced upgrade, however often the job runs"
    );
    let change = &forced[0];
    assert_eq!(
        (
            change.tenant_id,
            change.kind.as_str(),
            change.target_version.as_deref(),
            change.status.as_str()
        ),
        (w.a, "upgrade", Some("5.1.0"), "scheduled")
    );
    assert_eq!(change.requester_label, "system:compliance");
    assert!(!change.requires_approval, "the version policy approved it");
}

async fn a_restrict_access_policy_narrows_the_tenant_s_own_people_until_it_complies(db: TestDb) {
    use app::backend::services::tenants::tenant_config;
    // 5.0.0 ended 40 days ago: grace (30 days) is over for tenant-a; tenant-b runs 5.1.0.
    let w = world(&db.db, -40).await;
    let boss_a = tenant_admin(&db.db, "boss@tenant-a.example", w.a).await;
    assert!(boss_a.restrictions.is_empty(), "no policy restricts yet");
    tenant_admin(&db.db, "boss@tenant-b.example", w.b).await;
    let restricting = PolicyForm {
        level: "product".into(),
        product_id: Some(w.product),
        actions: vec!["notify".into(), "restrict_access".into()],
        ..Default::default()
    };
    policies::save(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        policies::SavePolicy::try_from(&restricting),
    )
    .await
    .unwrap();

    let reload = |email: &'static str| {
        let db = db.db.clone();
        async move { principal_by_email(&db, email).await.unwrap().unwrap() }
    };
    let boss_a = reload("boss@tenant-a.example").await;
    let restriction = boss_a.restriction_on(w.a).expect("tenant-a is restricted");
    assert!(
        restriction.reason.contains("Edge Gateway 5.0.0"),
        "{}",
        restriction.reason
    );
    // Configuration waits, with the reason …
    let refused = tenant_config::set(
        &app::backend::context::Ctx::of(&db.db, &boss_a, &ctx()),
        "tenant-a",
        "max_users",
        "50",
        false,
    )
    .await;
    assert!(
        matches!(refused, Err(ServiceError::Refused(ref m)) if m.contains("restricted")),
        "{refused:?}"
    );
    // Inviting people waits too, with the reason rather than a bare "forbidden".
    let settings = app::backend::state::AccountSettings::default();
    let invite = app::backend::services::access::accounts::invite(
        &app::backend::context::Ctx::of(&db.db, &boss_a, &ctx()),
        &settings,
        "new@tenant-a.example",
        "tenant_viewer",
        "tenant-a",
    )
    .await;
    assert!(
        matches!(invite, Err(ServiceError::Refused(ref m)) if m.contains("Edge Gateway 5.0.0")),
        "{invite:?}"
    );
    // … while reading and the ways back into compliance stay open.
    assert_eq!(status_of(&db.db, &boss_a, w.a).await.0, "eol");
    let extension = policies::request_extension(
        &app::backend::context::Ctx::of(&db.db, &boss_a, &ctx()),
        w.a,
        w.product,
        "30",
        "The upgrade is planned for next week",
    )
    .await
    .unwrap();
    // Another tenant, and the vendor, are not restricted.
    let boss_b = reload("boss@tenant-b.example").await;
    assert!(boss_b.restrictions.is_empty());
    tenant_config::set(
        &app::backend::context::Ctx::of(&db.db, &boss_b, &ctx()),
        "tenant-b",
        "max_users",
        "50",
        false,
    )
    .await
    .unwrap();
    tenant_config::set(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        "tenant-a",
        "max_users",
        "40",
        false,
    )
    .await
    .unwrap();
    let seen_by_vendor = tenants::detail(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &Default::default()),
        "tenant-a",
    )
    .await
    .unwrap();
    assert!(
        seen_by_vendor
            .access_restriction
            .is_some_and(|r| r.contains("5.0.0")),
        "the tenant page says why"
    );
    assert_eq!(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &w.admin, &Default::default()),
            "tenant-b"
        )
        .await
        .unwrap()
        .access_restriction,
        None
    );

    // 30 more days of grace put tenant-a back in grace: the restriction lifts.
    policies::decide_extension(
        &app::backend::context::Ctx::of(&db.db, &w.admin, &ctx()),
        extension,
        "approve",
        "",
    )
    .await
    .unwrap();
    let boss_a = reload("boss@tenant-a.example").await;
    assert!(boss_a.restrictions.is_empty(), "{:?}", boss_a.restrictions);
    tenant_config::set(
        &app::backend::context::Ctx::of(&db.db, &boss_a, &ctx()),
        "tenant-a",
        "max_users",
        "50",
        false,
    )
    .await
    .unwrap();
}

async fn a_restarted_service_back_fills_the_days_it_missed(db: TestDb) {
    use app::backend::entities::{compliance_snapshot, compliance_trend};
    use app::backend::services::releases::compliance::Reach;
    // 5.0.0 reached end of life 3 days ago.
    let w = world(&db.db, -3).await;
    let now = Utc::now();
    let today = now.date_naive();
    // The last run before the outage, 5 days ago; then the service is back.
    compliance::assess(&db.db, Reach::All, now - Duration::days(5))
        .await
        .unwrap();
    let report = compliance::assess(&db.db, Reach::All, now).await.unwrap();
    assert_eq!(report.backfilled_days, 4);

    let status_on = |offset: i64| {
        let db = db.db.clone();
        async move {
            compliance_snapshot::Entity::find_by_id((today + Duration::days(offset), w.a))
                .one(&db)
                .await
                .unwrap()
                .map(|s| s.status.as_str())
        }
    };
    assert_eq!(status_on(-4).await, Some("outdated"));
    assert_eq!(
        status_on(-3).await,
        Some("in_grace"),
        "from its end-of-life day"
    );
    assert_eq!(status_on(-1).await, Some("in_grace"));
    let mut days: Vec<chrono::NaiveDate> = compliance_trend::Entity::find()
        .filter(compliance_trend::Column::Day.gte(today - Duration::days(5)))
        .all(&db.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.day)
        .collect();
    days.sort();
    days.dedup();
    assert_eq!(days.len(), 6, "no gap in the trend: {days:?}");
    let summary = compliance::summary(&app::backend::context::Ctx::of(
        &db.db,
        &w.admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert!(summary.trend.len() >= 6);

    let again = compliance::assess(&db.db, Reach::All, now).await.unwrap();
    assert_eq!(again.backfilled_days, 0, "each missed day is filled once");
}

crate::on_both_databases!(
    a_restarted_service_back_fills_the_days_it_missed,
    a_restrict_access_policy_narrows_the_tenant_s_own_people_until_it_complies,
    a_release_past_end_of_life_puts_its_tenants_in_grace,
    a_version_outside_the_catalog_or_range_is_refused,
    the_most_specific_policy_decides_and_extensions_add_grace,
    eol_notices_go_out_once_per_tenant_product_and_day,
    tenant_users_see_only_their_own_compliance,
    agents_register_report_and_are_listed_over_http,
    a_policy_that_forces_upgrades_schedules_one_for_each_tenant_past_end_of_life,
);
