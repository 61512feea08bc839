//! The control plane acts, it does not only record: every door's lifecycle
//! action runs its steps at the executor (a real command script here, which
//! keeps a ledger), and a failed update runs its rollback steps there too.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::first_admin as admin;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestDb, change_request, spawn_app, tenant_form};
use crate::playbook::Playbook;
use app::backend::context::Ctx;
use app::backend::entities::{change_request, change_step, tenant, tenant_product};
use app::backend::principal::Principal;
use app::backend::services::changes;
use app::backend::services::platform::seed;
use app::backend::services::tenants;
use app::backend::services::tenants::saved_filters;
use app::domain::changes::change::{ChangeKind, ChangeStatus, StepStatus};
use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use app::domain::tenants::tenant::Region;
use app::model::changes::{ChangeForm, SavedFilterForm};

/// Onboards and activates `slug` (labelled `labels`), the activation run by `playbook`.
async fn active_tenant(
    db: &DatabaseConnection,
    admin: &Principal,
    playbook: &Playbook,
    slug: &str,
    labels: &str,
) {
    let regions = [Region::parse("eu-central-1").unwrap()];
    let form = app::model::tenants::NewTenantForm {
        labels: labels.into(),
        ..tenant_form(slug)
    };
    let ctx = Ctx::of(db, admin, &Default::default());
    tenants::create(&ctx, &regions, &form).await.unwrap();
    tenants::transition(&ctx, slug, LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    assert_eq!(
        playbook.ran_on(slug),
        ["provision|Provision|apply", "provision|Verify health|apply"]
    );
}

async fn tenant_by_slug(db: &DatabaseConnection, slug: &str) -> tenant::Model {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn changes_of(db: &DatabaseConnection, tenant: uuid::Uuid) -> Vec<change_request::Model> {
    change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant))
        .all(db)
        .await
        .unwrap()
}

async fn every_door_runs_a_lifecycle_action_at_the_executor(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let playbook = Playbook::new(&[]);
    for door in ["page", "rest", "bulk", "cli", "filter"] {
        let labels = if door == "filter" { "suspend-me" } else { "" };
        active_tenant(db, &admin, &playbook, &format!("door-{door}"), labels).await;
    }

    // The tenant page's server function, signed in as the vendor.
    let signed_in = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(signed_in.status().is_success() || signed_in.status().is_redirection());
    let version = tenant_by_slug(db, "door-page").await.version.to_string();
    let page = app
        .client
        .post(app.url("/api/fn/tenant_action"))
        .form(&[
            ("slug", "door-page"),
            ("action", "suspend"),
            ("version", version.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        page.status().is_success() || page.status().is_redirection(),
        "{}",
        page.status()
    );
    // The bulk action of the tenant list, from the same session.
    let bulk = app
        .client
        .post(app.url("/api/fn/run_bulk"))
        .form(&[("action", "suspend"), ("slugs", "door-bulk")])
        .send()
        .await
        .unwrap();
    assert!(bulk.status().is_success() || bulk.status().is_redirection());
    // REST, with an API token.
    let token = crate::helpers::admin_token(&app).await;
    let rest = app
        .client
        .post(app.url("/api/v1/tenants/door-rest/transitions"))
        .bearer_auth(&token)
        .header("x-request-id", "door-rest-suspension")
        .json(&json!({ "action": "suspend" }))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 200, "{}", rest.text().await.unwrap());
    // The CLI, through the REST API.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(["tenants", "transition", "door-cli", "suspend"])
        .env("TENANTRY_URL", &app.address)
        .env("TENANTRY_TOKEN", &token)
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    // A change request for a saved filter (the changes form's door).
    let ctx = Ctx::of(db, &admin, &Default::default());
    saved_filters::save(
        &ctx,
        saved_filters::NewSavedFilter::try_from(&SavedFilterForm {
            name: "To suspend".into(),
            label: Some("suspend-me".into()),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    changes::create_for_filter(
        &ctx,
        crate::helpers::filter_change_request(&ChangeForm {
            kind: "suspend".into(),
            target_filter: "To suspend".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();

    playbook.run(db).await;
    // One correlation id follows the REST request into the executor and
    // through every audit record of its change.
    assert_eq!(
        playbook
            .correlations("door-rest")
            .last()
            .map(String::as_str),
        Some("door-rest-suspension")
    );
    let trail = app::backend::services::audit::audit_log::search(
        &ctx,
        &app::model::audit::AuditQuery {
            request: Some("door-rest-suspension".into()),
            ..Default::default()
        },
        50,
    )
    .await
    .unwrap();
    let mut actions: Vec<&str> = trail.rows.iter().map(|e| e.action.as_str()).collect();
    actions.sort();
    assert_eq!(
        actions,
        ["change.create", "change.succeeded", "tenant.suspend"],
        "the request, its change and the executor's outcome share the id"
    );
    for door in ["page", "rest", "bulk", "cli", "filter"] {
        let slug = format!("door-{door}");
        assert_eq!(
            playbook.ran_on(&slug)[2..],
            ["suspend|Block public access|apply"],
            "{slug}: the executor blocked public access exactly once"
        );
        let tenant = tenant_by_slug(db, &slug).await;
        assert_eq!(tenant.lifecycle_state, LifecycleState::Suspended, "{slug}");
        let suspend = changes_of(db, tenant.id)
            .await
            .into_iter()
            .find(|c| c.kind == ChangeKind::Suspend)
            .unwrap();
        assert_eq!(suspend.status, ChangeStatus::Succeeded, "{slug}");
        let steps = change_step::Entity::find()
            .filter(change_step::Column::ChangeRequestId.eq(suspend.id))
            .all(db)
            .await
            .unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            (steps[0].status, steps[0].output.trim()),
            (
                StepStatus::Succeeded,
                format!("ran Block public access on {slug} (apply)").as_str()
            ),
            "the step log holds what the executor printed, not a label"
        );
    }
}

async fn a_lifecycle_move_waits_for_the_one_still_running(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let playbook = Playbook::new(&[]);
    active_tenant(db, &admin, &playbook, "acme", "").await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    tenants::transition(&ctx, "acme", LifecycleAction::Suspend, None, None)
        .await
        .unwrap();
    let racing = tenants::transition(&ctx, "acme", LifecycleAction::Resume, None, None).await;
    assert!(
        matches!(racing, Err(app::backend::error::ServiceError::Policy(ref m))
            if m.contains("\"Suspend acme\" is still running")),
        "{racing:?}"
    );
    playbook.run(db).await;
    tenants::transition(&ctx, "acme", LifecycleAction::Resume, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    assert_eq!(
        playbook.ran_on("acme")[2..],
        [
            "suspend|Block public access|apply",
            "resume|Restore public access|apply",
            "resume|Verify health|apply"
        ]
    );
    assert_eq!(
        tenant_by_slug(db, "acme").await.lifecycle_state,
        LifecycleState::Active
    );
}

/// `acme` (standard: upgrades run in maintenance) on edge-gateway 5.1.0 of
/// the demo catalog (5.0.0 is past end of life, 5.2.0 the latest). Returns
/// the product's id.
async fn on_edge_gateway_5_1(
    db: &DatabaseConnection,
    admin: &Principal,
    playbook: &Playbook,
) -> uuid::Uuid {
    active_tenant(db, admin, playbook, "acme", "").await;
    let ctx = Ctx::of(db, admin, &Default::default());
    let products = seed::seed_catalog(&ctx).await.unwrap();
    seed::seed_fleet(db, &products, 0, chrono::Utc::now())
        .await
        .unwrap();
    tenant_product::Entity::update_many()
        .col_expr(tenant_product::Column::RunningVersion, Some("5.1.0").into())
        .filter(tenant_product::Column::ProductId.eq(products[0].0))
        .exec(db)
        .await
        .unwrap();
    products[0].0
}

/// `acme` on edge-gateway 5.1.0 with an upgrade to 5.2.0 requested and running.
async fn upgrading(db: &DatabaseConnection, playbook: &Playbook) -> change_request::Model {
    let admin = admin(db).await;
    on_edge_gateway_5_1(db, &admin, playbook).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    changes::create(
        &ctx,
        change_request(&ChangeForm {
            tenant: "acme".into(),
            kind: "upgrade".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap()
}

async fn edge_gateway_version(db: &DatabaseConnection, tenant: uuid::Uuid) -> Option<String> {
    tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(tenant))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find_map(|tp| tp.running_version.filter(|v| v.starts_with('5')))
}

async fn a_standard_upgrade_whose_baseline_fails_runs_its_rollback_at_the_executor(db: TestDb) {
    let db = &db.db;
    let playbook = Playbook::new(&["Validate health baseline|apply"]);
    let change = upgrading(db, &playbook).await;
    playbook.run(db).await;

    let ran = playbook.ran_on("acme");
    let upgrade: Vec<&str> = ran[2..].iter().map(String::as_str).collect();
    assert_eq!(
        upgrade,
        [
            "upgrade|Enter maintenance mode|apply",
            "upgrade|Deploy 5.2.0|apply",
            "upgrade|Validate health baseline|apply",
            "upgrade|Validate health baseline|apply",
            "upgrade|Validate health baseline|apply",
            "upgrade|Roll back to 5.1.0|rollback",
            "upgrade|Validate health baseline|rollback",
            "upgrade|Exit maintenance mode|rollback",
        ],
        "three attempts at the failing step, then the rollback, each step once"
    );
    let ended = change_request::Entity::find_by_id(change.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ChangeStatus::RolledBack);
    let outcome = ended.outcome.unwrap();
    assert!(
        outcome.contains("Validate health baseline failed") && outcome.contains("Rolled back"),
        "{outcome}"
    );
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .filter(change_step::Column::Rollback.eq(true))
        .all(db)
        .await
        .unwrap();
    assert_eq!(steps.len(), 3);
    assert!(
        steps
            .iter()
            .all(|s| s.status == StepStatus::Succeeded && s.output.contains("(rollback)")),
        "{steps:?}"
    );
    let acme = tenant_by_slug(db, "acme").await;
    assert_eq!(
        (acme.lifecycle_state, acme.state_reason),
        (LifecycleState::Active, None)
    );
    assert_eq!(
        edge_gateway_version(db, acme.id).await.as_deref(),
        Some("5.1.0"),
        "nothing about versions changed"
    );
}

async fn an_upgrade_s_health_step_runs_the_tenant_s_baseline_at_its_address(db: TestDb) {
    use crate::tenant_health::TenantService;
    use app::backend::services::tenants::health;
    let db = &db.db;
    let playbook = Playbook::new(&[]);
    let change = upgrading(db, &playbook).await;
    let service = TenantService::start().await;
    let admin = admin(db).await;
    health::set_address(
        &Ctx::of(db, &admin, &Default::default()),
        "acme",
        &service.url,
    )
    .await
    .unwrap();
    // The new release does not answer: the executor's steps all succeed, but
    // the baseline fails each attempt of the health step; after the rollback
    // the old release answers again.
    service.fail_next(3);
    playbook.run(db).await;

    let ended = change_request::Entity::find_by_id(change.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ended.status,
        ChangeStatus::RolledBack,
        "{:?}",
        ended.outcome
    );
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(change.id))
        .all(db)
        .await
        .unwrap();
    let validate = |rollback: bool| {
        steps
            .iter()
            .find(|s| s.rollback == rollback && s.name == "Validate health baseline")
            .unwrap()
    };
    let failed = validate(false);
    assert_eq!((failed.status, failed.attempts), (StepStatus::Failed, 3));
    assert!(
        failed.output.contains(&format!(
            "Health baseline at {} failed: edge-gateway/Responds: Status 503, expected 200",
            service.url
        )),
        "{}",
        failed.output
    );
    let passed = validate(true);
    assert_eq!(passed.status, StepStatus::Succeeded);
    assert!(
        passed.output.contains("all 1 checks passed"),
        "{}",
        passed.output
    );
    assert_eq!(
        service.hits(),
        4,
        "three failing attempts, then the rollback's check"
    );
    let acme = tenant_by_slug(db, "acme").await;
    assert_eq!(acme.lifecycle_state, LifecycleState::Active);
    assert_eq!(
        edge_gateway_version(db, acme.id).await.as_deref(),
        Some("5.1.0")
    );
    let view = health::view(
        &Ctx::of(db, &admin, &Default::default()),
        "acme",
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        view.runs.len(),
        4,
        "every run of a change's health step is recorded"
    );
}

async fn a_rollback_that_fails_too_leaves_the_tenant_broken_saying_why(db: TestDb) {
    let db = &db.db;
    let playbook = Playbook::new(&["Deploy 5.2.0|apply", "Roll back to 5.1.0|rollback"]);
    let change = upgrading(db, &playbook).await;
    playbook.run(db).await;

    let rollbacks = playbook
        .ran_on("acme")
        .iter()
        .filter(|line| line.ends_with("|rollback"))
        .count();
    assert_eq!(rollbacks, 3, "the rollback step was tried three times");
    let ended = change_request::Entity::find_by_id(change.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ChangeStatus::Failed);
    let acme = tenant_by_slug(db, "acme").await;
    assert_eq!(acme.lifecycle_state, LifecycleState::Broken);
    let reason = acme.state_reason.unwrap();
    assert!(
        reason.contains("Deploy 5.2.0 failed")
            && reason.contains("rollback failed")
            && reason.contains("Roll back to 5.1.0"),
        "{reason}"
    );
    assert_eq!(
        edge_gateway_version(db, acme.id).await.as_deref(),
        Some("5.1.0")
    );
}

async fn the_version_policy_is_asked_before_an_upgrade_at_the_form_and_the_change_door(db: TestDb) {
    use app::backend::services::releases::policies;
    let db = &db.db;
    let admin = admin(db).await;
    let playbook = Playbook::new(&[]);
    let product = on_edge_gateway_5_1(db, &admin, &playbook).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    policies::save(
        &ctx,
        policies::SavePolicy::try_from(&app::model::releases::policies::PolicyForm {
            level: "product".into(),
            product_id: Some(product),
            actions: vec!["block_eol_deployments".into()],
            ..Default::default()
        }),
    )
    .await
    .unwrap();

    let choices = changes::upgrade_choices(&ctx, "acme").await.unwrap();
    let gateway = choices
        .products
        .iter()
        .find(|p| p.key == "edge-gateway")
        .unwrap();
    assert_eq!(gateway.running.as_deref(), Some("5.1.0"));
    let offered: Vec<(&str, bool, bool)> = gateway
        .releases
        .iter()
        .map(|r| (r.version.as_str(), r.downgrade, r.refused_because.is_some()))
        .collect();
    assert_eq!(
        offered,
        [
            ("5.2.0", false, false),
            ("5.0.0", true, true),
            ("4.8.0", true, true)
        ],
        "newest first, the running one left out, end of life refused"
    );
    assert!(
        gateway.releases[1]
            .refused_because
            .as_deref()
            .unwrap()
            .contains("block EOL deployments")
    );

    let refused = changes::create(
        &ctx,
        change_request(&ChangeForm {
            tenant: "acme".into(),
            kind: "upgrade".into(),
            product: "edge-gateway".into(),
            target_version: "5.0.0".into(),
            ..Default::default()
        }),
    )
    .await;
    assert!(
        matches!(refused, Err(app::backend::error::ServiceError::Validation(ref f))
            if f.for_field("target_version").is_some_and(|m| m.contains("end of life"))),
        "{refused:?}"
    );
    let lifecycle = tenants::transition(&ctx, "acme", LifecycleAction::Upgrade, None, None).await;
    assert!(
        matches!(lifecycle, Err(app::backend::error::ServiceError::Policy(ref m)) if m.contains("names a product and a release")),
        "an upgrade without a release is not a lifecycle click: {lifecycle:?}"
    );
}

/// The portal's public address, for links in notices.
const PORTAL: &str = "https://portal.test";

/// An update policy form: majors-only approval in UTC, 14 days' delay limit.
fn policy_form(
    auto_update: bool,
    max_running_changes: &str,
) -> app::model::changes::UpdatePolicyForm {
    app::model::changes::UpdatePolicyForm {
        approval_mode: "majors_only".into(),
        timezone: "UTC".into(),
        max_delay_days: "14".into(),
        auto_update,
        max_running_changes: max_running_changes.into(),
    }
}

async fn auto_update_schedules_the_latest_allowed_release_and_the_executor_runs_it(db: TestDb) {
    use app::backend::services::changes::update_policy;
    let db = &db.db;
    let admin = admin(db).await;
    let playbook = Playbook::new(&[]);
    on_edge_gateway_5_1(db, &admin, &playbook).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let now = chrono::Utc::now();
    assert_eq!(
        changes::schedule_auto_updates(db, PORTAL, now)
            .await
            .unwrap(),
        0,
        "off by default: only forced upgrades are scheduled"
    );
    update_policy::save(
        &ctx,
        "acme",
        update_policy::UpdatePolicySettings::try_from(&policy_form(true, "")),
    )
    .await
    .unwrap();
    assert!(update_policy::view(&ctx, "acme").await.unwrap().auto_update);
    let acme_id = tenant_by_slug(db, "acme").await.id;
    let owner = crate::helpers::person(
        db,
        "owner@acme.test",
        "a long enough password 9",
        app::domain::access::permission::BuiltinRole::TenantAdmin,
        Some(acme_id),
    )
    .await;
    assert_eq!(
        changes::schedule_auto_updates(db, PORTAL, now)
            .await
            .unwrap(),
        1
    );
    // The tenant's people are told what will run and when.
    let notices = app::backend::entities::notification::Entity::find()
        .filter(app::backend::entities::notification::Column::UserId.eq(owner.user_id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].kind.as_str(), "update_scheduled");
    assert!(
        notices[0].title.contains("will be updated to 5.2.0")
            && notices[0].body.contains("from 5.1.0 to 5.2.0"),
        "{:?}",
        notices[0]
    );
    let mails = app::backend::entities::outbound_email::Entity::find()
        .filter(app::backend::entities::outbound_email::Column::Recipient.eq("owner@acme.test"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(
        mails.len(),
        1,
        "emailed by default, as for what needs action"
    );
    assert_eq!(
        changes::schedule_auto_updates(db, PORTAL, now)
            .await
            .unwrap(),
        0,
        "one open change per tenant and product"
    );
    let acme = tenant_by_slug(db, "acme").await;
    let auto = changes_of(db, acme.id)
        .await
        .into_iter()
        .find(|c| c.title.starts_with("Auto-update"))
        .unwrap();
    assert_eq!(
        (auto.status, auto.target_version.as_deref()),
        (ChangeStatus::Scheduled, Some("5.2.0"))
    );
    playbook.run(db).await;
    assert!(
        playbook
            .ran_on("acme")
            .contains(&"upgrade|Deploy 5.2.0|apply".to_owned())
    );
    assert_eq!(
        edge_gateway_version(db, acme.id).await.as_deref(),
        Some("5.2.0")
    );
    assert_eq!(
        changes::schedule_auto_updates(db, PORTAL, chrono::Utc::now())
            .await
            .unwrap(),
        0,
        "nothing newer to move to"
    );
}

async fn a_tenant_runs_at_most_its_limit_of_changes_and_the_rest_wait_saying_why(db: TestDb) {
    use app::backend::services::changes::update_policy;
    let db = &db.db;
    let admin = admin(db).await;
    let playbook = Playbook::new(&[]);
    on_edge_gateway_5_1(db, &admin, &playbook).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    assert_eq!(
        update_policy::view(&ctx, "acme")
            .await
            .unwrap()
            .running_limit,
        1,
        "the starter plan's concurrent_updates quota"
    );
    let request = |kind: &str| ChangeForm {
        tenant: "acme".into(),
        kind: kind.into(),
        product: if kind == "upgrade" {
            "edge-gateway".into()
        } else {
            String::new()
        },
        target_version: if kind == "upgrade" {
            "5.2.0".into()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let upgrade = changes::create(&ctx, change_request(&request("upgrade")))
        .await
        .unwrap();
    let rotation = changes::create(&ctx, change_request(&request("backup")))
        .await
        .unwrap();
    // Two replicas each try to start one of them at the same moment.
    let now = chrono::Utc::now();
    let (one, two) = tokio::join!(
        changes::start_if_due(db, upgrade.id, now),
        changes::start_if_due(db, rotation.id, now),
    );
    assert_eq!(
        usize::from(one.unwrap()) + usize::from(two.unwrap()),
        1,
        "one starts, the other waits"
    );
    assert_eq!(changes::dispatch_due(db, now).await.unwrap(), 0);
    let waiting = [upgrade.id, rotation.id];
    let mut found = vec![];
    for id in waiting {
        found.push(
            change_request::Entity::find_by_id(id)
                .one(db)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let queued = found
        .iter()
        .find(|c| c.status == ChangeStatus::Scheduled)
        .unwrap();
    assert!(
        queued
            .schedule_reason
            .contains("1 change already running on this tenant (at most 1 at once)"),
        "{}",
        queued.schedule_reason
    );
    playbook.run(db).await;
    for id in waiting {
        let ended = change_request::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ended.status, ChangeStatus::Succeeded, "{}", ended.title);
    }

    // The vendor may raise the limit for this tenant; it is audited with the policy.
    update_policy::save(
        &ctx,
        "acme",
        update_policy::UpdatePolicySettings::try_from(&policy_form(false, "3")),
    )
    .await
    .unwrap();
    let view = update_policy::view(&ctx, "acme").await.unwrap();
    assert_eq!((view.max_running_changes, view.running_limit), (Some(3), 3));
    let refused = update_policy::UpdatePolicySettings::try_from(&policy_form(false, "0"));
    assert!(
        matches!(refused, Err(ref f) if f.for_field("max_running_changes").is_some()),
        "{refused:?}"
    );
}

crate::on_both_databases!(
    a_tenant_runs_at_most_its_limit_of_changes_and_the_rest_wait_saying_why,
    auto_update_schedules_the_latest_allowed_release_and_the_executor_runs_it,
    the_version_policy_is_asked_before_an_upgrade_at_the_form_and_the_change_door,
    every_door_runs_a_lifecycle_action_at_the_executor,
    a_lifecycle_move_waits_for_the_one_still_running,
    a_standard_upgrade_whose_baseline_fails_runs_its_rollback_at_the_executor,
    a_rollback_that_fails_too_leaves_the_tenant_broken_saying_why,
    an_upgrade_s_health_step_runs_the_tenant_s_baseline_at_its_address,
);
