//! The tenant-centric views and service levels: a tenant whose health
//! baseline fails (probed at a real HTTP server) is ranked first in the
//! organisation view with its reasons, its overview says why, region and
//! plan filters narrow the ranking, a tenant's own admin sees only their
//! tenant, and the vendor's targets are validated, stored, audited and
//! applied — through the services and over REST.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::changes::{admin, fleet};
use crate::helpers::{TestDb, admin_token, person, spawn_app};
use crate::tenant_health::TenantService;
use app::backend::context::Ctx;
use app::backend::entities::audit_event;
use app::backend::error::ServiceError;
use app::backend::executor::Immediate;
use app::backend::services::platform::{alerts, service_levels};
use app::backend::services::tenants::{health, overview, trouble};
use app::domain::access::permission::BuiltinRole;
use app::domain::platform::slo::SloVerdict;
use app::domain::tenants::health::ValidationPolicy;
use app::domain::tenants::lifecycle::LifecycleState;
use app::domain::tenants::trouble::TroubleReason;
use app::model::platform::service_levels::SloTargetsForm;
use app::model::tenants::trouble::TroubleQuery;

async fn trouble_is_ranked_explained_and_held_to_the_vendors_targets(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    fleet(db, &admin, 3, &[]).await;
    app::backend::services::releases::compliance::assess(
        db,
        app::backend::services::releases::compliance::Reach::All,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    db.execute_unprepared(
        "UPDATE tenants SET region = 'us-east-1', plan_code = 'enterprise' WHERE slug = 't-002'",
    )
    .await
    .unwrap();
    let ctx = Ctx::of(db, &admin, &Default::default());
    let policy = ValidationPolicy::default();
    let (healthy, failing) = (TenantService::start().await, TenantService::start().await);
    failing.answer(503);
    health::set_address(&ctx, "t-000", &healthy.url)
        .await
        .unwrap();
    health::set_address(&ctx, "t-001", &failing.url)
        .await
        .unwrap();
    health::run_now(&ctx, "t-000", &policy, &Immediate)
        .await
        .unwrap();
    for _ in 0..policy.failures_to_break {
        health::run_now(&ctx, "t-001", &policy, &Immediate)
            .await
            .unwrap();
    }
    alerts::evaluate(db, chrono::Utc::now()).await.unwrap();

    // The organisation view: the broken tenant first, with every reason.
    let ranked = trouble::ranked(&ctx, &TroubleQuery::default())
        .await
        .unwrap();
    assert_eq!(ranked.counts.considered, 3);
    let first = &ranked.rows[0];
    assert_eq!(first.slug, "t-001");
    assert_eq!(first.state, LifecycleState::Broken);
    assert_eq!(first.availability, Some(0.0));
    let reasons = &first.trouble.reasons;
    assert_eq!(reasons[0], TroubleReason::Broken);
    assert!(reasons.iter().any(|r| matches!(
        r,
        TroubleReason::HealthFailing { runs_in_a_row } if *runs_in_a_row == policy.failures_to_break
    )));
    assert!(
        reasons
            .iter()
            .any(|r| matches!(r, TroubleReason::BelowAvailability { .. }))
    );
    assert!(ranked.counts.broken >= 1 && ranked.counts.below_availability >= 1);
    assert!(
        ranked
            .rows
            .iter()
            .filter(|r| r.slug == "t-000")
            .all(|r| r.trouble.score < first.trouble.score
                && r.availability == Some(100.0)
                && !r
                    .trouble
                    .reasons
                    .iter()
                    .any(|x| matches!(x, TroubleReason::HealthFailing { .. }))),
        "the healthy tenant ranks below, if at all"
    );
    assert_eq!(ranked.regions, vec!["eu-central-1", "us-east-1"]);
    let in_us = trouble::ranked(
        &ctx,
        &TroubleQuery {
            region: Some("us-east-1".into()),
            ..TroubleQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(in_us.counts.considered, 1);
    assert!(in_us.rows.iter().all(|r| r.slug == "t-002"));
    let enterprise_in_eu = trouble::ranked(
        &ctx,
        &TroubleQuery {
            plan: Some("enterprise".into()),
            region: Some("eu-central-1".into()),
            ..TroubleQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(enterprise_in_eu.counts.considered, 0);
    assert_eq!(ranked.plans, vec!["enterprise", "starter"]);
    assert!(matches!(
        trouble::ranked(
            &ctx,
            &TroubleQuery {
                page: Some(0),
                ..TroubleQuery::default()
            }
        )
        .await,
        Err(ServiceError::Validation(_))
    ));

    // The overview tells the same story, with the open alert.
    let seen = overview::overview(&ctx, "t-001", &policy).await.unwrap();
    assert_eq!(seen.health.availability, Some(0.0));
    assert_eq!(seen.health.verdict, SloVerdict::Missed);
    assert_eq!(seen.health.runs, u64::from(policy.failures_to_break));
    assert_eq!(seen.health.last_run_passed, Some(false));
    assert!(!seen.health.failing_checks.is_empty());
    assert_eq!(seen.trouble.reasons[0], TroubleReason::Broken);
    assert!(!seen.versions.is_empty(), "the fleet runs edge-gateway");
    let open = seen.alerts.expect("the vendor reads alerts");
    assert!(open.iter().any(|a| a.title == "Tenant broken"), "{open:?}");
    let fine = overview::overview(&ctx, "t-000", &policy).await.unwrap();
    assert_eq!(fine.health.availability, Some(100.0));
    assert_eq!(fine.health.verdict, SloVerdict::Met);
    assert!(fine.alerts.unwrap().is_empty());

    // A tenant's own admin: their tenant only, no alerts, no vendor views.
    let t0 = fine.tenant_id;
    let theirs = person(
        db,
        "admin@t-000.example",
        "a long enough password",
        BuiltinRole::TenantAdmin,
        Some(t0),
    )
    .await;
    let theirs = Ctx::of(db, &theirs, &Default::default());
    let own = trouble::ranked(&theirs, &TroubleQuery::default())
        .await
        .unwrap();
    assert_eq!(own.counts.considered, 1);
    assert!(own.rows.iter().all(|r| r.tenant_id == t0));
    assert_eq!(own.regions, vec!["eu-central-1"]);
    assert!(matches!(
        overview::overview(&theirs, "t-001", &policy).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(
        overview::overview(&theirs, "t-000", &policy)
            .await
            .unwrap()
            .alerts,
        None
    );
    assert!(matches!(
        service_levels::view(&theirs).await,
        Err(ServiceError::Forbidden)
    ));
    let targets = SloTargetsForm {
        availability_percent: "99.5".into(),
        api_p95_ms: "250".into(),
        api_error_percent: "0.5".into(),
    };
    assert!(matches!(
        service_levels::save_targets(&theirs, &targets).await,
        Err(ServiceError::Forbidden)
    ));

    // Service levels: defaults first, then the vendor's own targets.
    let levels = service_levels::view(&ctx).await.unwrap();
    assert_eq!(levels.targets.availability_percent, 99.9);
    assert_eq!(levels.targets_set_at, None);
    assert_eq!(levels.tenants_met, 1);
    assert_eq!(levels.tenants_missed, 1);
    assert_eq!(levels.tenants_without_runs, 1);
    assert_eq!(
        levels.below_target[0].slug, "t-001",
        "missed before unmeasured"
    );
    let bad = service_levels::save_targets(
        &ctx,
        &SloTargetsForm {
            availability_percent: "101".into(),
            api_p95_ms: "fast".into(),
            api_error_percent: "0.1".into(),
        },
    )
    .await;
    match bad {
        Err(ServiceError::Validation(errors)) => {
            assert!(errors.for_field("availability_percent").is_some());
            assert!(errors.for_field("api_p95_ms").is_some());
            assert!(errors.for_field("api_error_percent").is_none());
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    service_levels::save_targets(&ctx, &targets).await.unwrap();
    let levels = service_levels::view(&ctx).await.unwrap();
    assert_eq!(levels.targets.api_p95_ms, 250);
    assert_eq!(levels.targets.availability_percent, 99.5);
    assert!(levels.targets_set_at.is_some());
    assert_eq!(
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("slo.targets_set"))
            .all(db)
            .await
            .unwrap()
            .len(),
        1
    );

    // The same through REST; the API's own figures come from its requests.
    let token = admin_token(&app).await;
    let get = |path: &str| {
        app.client
            .get(format!("{}/api/v1{path}", app.address))
            .bearer_auth(&token)
            .send()
    };
    let answer = get("/tenants/t-001/overview").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["trouble"]["reasons"][0]["kind"], "broken");
    assert_eq!(body["health"]["verdict"], "missed");
    let answer = get("/tenant-trouble?region=us-east-1").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["counts"]["considered"], 1);
    let answer = get("/tenant-trouble?colour=red").await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let answer = app
        .client
        .put(format!("{}/api/v1/service-levels/targets", app.address))
        .bearer_auth(&token)
        .json(&json!({ "availability_percent": "99.9", "api_p95_ms": "0", "api_error_percent": "0.1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = answer.json().await.unwrap();
    assert!(problem.to_string().contains("api_p95_ms"), "{problem}");
    let answer = get("/service-levels").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["targets"]["api_p95_ms"], 250);
    assert!(
        body["api"]["requests"].as_u64().unwrap() >= 4,
        "the requests above count: {body}"
    );
    assert!(body["api"]["p95_ms"].as_f64().is_some());
    assert_ne!(body["api"]["p95_verdict"], "no_data");
}

crate::on_both_databases!(trouble_is_ranked_explained_and_held_to_the_vendors_targets);
