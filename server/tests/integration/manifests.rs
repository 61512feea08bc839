//! Declarative tenants: a tenant's manifest is exported from what the portal
//! holds and planning it back finds nothing to do; a changed manifest plans
//! the field-level diff and the ordered actions with the policy's verdict on
//! each, and writes nothing; bad manifests are refused at their paths; a
//! tenant admin sees nothing of other tenants through a plan; the CLI's
//! `get` and `diff` work over the API with `diff`'s exit codes 0/1/2.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};
use uuid::Uuid;

use crate::changes::fleet;
use crate::helpers::{TestDb, admin_token, person, spawn_app};
use app::backend::context::Ctx;
use app::backend::entities::{
    audit_event, backup_policy, blackout, change_request, maintenance_window, secret_schedule,
    tenant, webhook_endpoint,
};
use app::backend::principal::Principal;
use app::backend::services::manifests;
use app::backend::services::tenants::{residency, tenant_config};
use app::domain::access::permission::BuiltinRole;
use app::domain::manifests::manifest::{ConfigValue, LATEST, WindowSpec, to_yaml};
use app::domain::tenants::tenant::Region;
use app::model::manifests::{ManifestDocument, ManifestPlan};

async fn admin(db: &DatabaseConnection) -> Principal {
    crate::helpers::first_admin(db).await
}

fn document(source: &str, content: String) -> ManifestDocument {
    ManifestDocument {
        source: source.into(),
        content,
    }
}

/// Gives `t-000` something in every section a manifest declares.
async fn furnish(db: &DatabaseConnection, ctx: &Ctx, tenant_id: Uuid) {
    tenant_config::set(ctx, "t-000", "log.level", "info", false)
        .await
        .unwrap();
    tenant_config::set(
        ctx,
        "t-000",
        "db.password",
        "s3cret-value-never-shown",
        true,
    )
    .await
    .unwrap();
    tenant_config::set(ctx, "t-000", "old.flag", "yes", false)
        .await
        .unwrap();
    // Fixtures: their own doors are tested elsewhere; here only what the
    // export reads matters.
    maintenance_window::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant_id),
        weekday: Set(5),
        start_minute: Set(22 * 60),
        duration_minutes: Set(240),
    }
    .insert(db)
    .await
    .unwrap();
    let starts = Utc::now() + Duration::days(20);
    blackout::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(Some(tenant_id)),
        starts_at: Set(starts),
        ends_at: Set(starts + Duration::days(2)),
        reason: Set("Quarter close".into()),
        created_by: Set("test".into()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    backup_policy::ActiveModel {
        tenant_id: Set(tenant_id),
        keep_daily: Set(7),
        keep_weekly: Set(4),
        keep_monthly: Set(12),
        restore_test_days: Set(30),
        updated_at: Set(Utc::now()),
        updated_by: Set("test".into()),
    }
    .insert(db)
    .await
    .unwrap();
    secret_schedule::ActiveModel {
        tenant_id: Set(tenant_id),
        secret_name: Set("database".into()),
        interval_days: Set(90),
        last_rotated_at: Set(None),
        updated_by: Set("test".into()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    webhook_endpoint::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(Some(tenant_id)),
        url: Set("https://hooks.t-000.example/tenantry".into()),
        description: Set("Ops bridge".into()),
        event_types: Set(app::backend::columns::JsonText(vec!["change.*".into()])),
        enabled: Set(true),
        secret: Set("sealed".into()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        failing_since: Set(None),
        disabled_reason: Set(None),
        created_by: Set("test".into()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
}

async fn written(db: &DatabaseConnection) -> (u64, u64, i64) {
    let changes = change_request::Entity::find().count(db).await.unwrap();
    let audits = audit_event::Entity::find().count(db).await.unwrap();
    let versions = tenant::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|t| t.version)
        .sum();
    (changes, audits, versions)
}

async fn an_exported_manifest_plans_to_nothing_and_a_changed_one_to_ordered_verdicts(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let ids = fleet(db, &admin, 2, &[]).await;
    furnish(db, &ctx, ids[0]).await;
    let regions = ["eu-central-1", "eu-west-1"].map(|r| Region::parse(r).unwrap());
    residency::record_configured_regions(db, &regions, Utc::now())
        .await
        .unwrap();

    let exported = manifests::export(&ctx, "t-000").await.unwrap();
    let spec = &exported.spec;
    assert_eq!(exported.metadata.slug, "t-000");
    assert_eq!(exported.metadata.customer, "Customer of t-000");
    let config = spec.config.as_ref().unwrap();
    assert_eq!(config["log.level"], ConfigValue::Plain("info".into()));
    assert!(
        config["db.password"].is_secret(),
        "a secret only by reference"
    );
    let yaml = to_yaml(&exported);
    assert!(!yaml.contains("s3cret"), "{yaml}");
    assert!(yaml.contains("secretRef: tenantry"), "{yaml}");
    let policy = spec.update_policy.as_ref().unwrap();
    assert_eq!(
        policy.windows,
        [WindowSpec {
            day: "sat".into(),
            start: "22:00".into(),
            end: "02:00".into()
        }]
    );
    assert_eq!(policy.blackouts.len(), 1);
    assert_eq!(spec.backups.as_ref().unwrap().keep_monthly, 12);
    assert_eq!(spec.secret_rotation.as_ref().unwrap()["database"], 90);
    assert_eq!(spec.webhooks.as_ref().unwrap()[0].events, ["change.*"]);
    let products = spec.products.as_ref().unwrap();
    let gateway = products
        .iter()
        .find(|p| p.product == "edge-gateway")
        .unwrap();
    assert_eq!(gateway.version.as_deref(), Some("5.1.0"));

    // Export → plan is a no-op, as YAML and as JSON, and writes nothing.
    let before = written(db).await;
    let unchanged = manifests::plan(
        &ctx,
        &[
            document("t-000.yaml", yaml.clone()),
            document(
                "t-001.json",
                serde_json::to_string(&manifests::export(&ctx, "t-001").await.unwrap()).unwrap(),
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        (unchanged.changed, unchanged.unchanged),
        (0, 2),
        "{unchanged:?}"
    );
    assert!(
        unchanged
            .tenants
            .iter()
            .all(|t| t.diffs.is_empty() && t.actions.is_empty())
    );

    // A changed manifest: fields, a move, an upgrade to the latest release.
    let mut desired = exported.clone();
    desired.metadata.labels.push("gold".into());
    let config = desired.spec.config.as_mut().unwrap();
    config.remove("old.flag");
    config.insert("log.level".into(), ConfigValue::Plain("debug".into()));
    let policy = desired.spec.update_policy.as_mut().unwrap();
    policy.approval = "all".into();
    desired.spec.placement.allowed_regions = vec!["eu-central-1".into(), "eu-west-1".into()];
    desired.spec.placement.region = "eu-west-1".into();
    let products = desired.spec.products.as_mut().unwrap();
    products
        .iter_mut()
        .find(|p| p.product == "edge-gateway")
        .unwrap()
        .version = Some(LATEST.into());
    let planned: ManifestPlan = manifests::plan(&ctx, &[document("t-000.yaml", to_yaml(&desired))])
        .await
        .unwrap();
    assert_eq!(
        (planned.changed, planned.unchanged, planned.refused),
        (1, 0, 0)
    );
    let tenant_plan = &planned.tenants[0];
    assert_eq!(tenant_plan.outcome, "changed");
    let paths: Vec<&str> = tenant_plan.diffs.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "metadata.labels",
            "spec.config.log.level",
            "spec.config.old.flag",
            "spec.placement.allowedRegions",
            "spec.placement.region",
            "spec.products[edge-gateway].version",
            "spec.updatePolicy.approval",
        ]
    );
    let version = &tenant_plan.diffs[5];
    assert_eq!(
        (version.current.as_deref(), version.desired.as_deref()),
        (Some("5.1.0"), Some("5.2.0")),
        "latest is the newest published release"
    );
    let removed = &tenant_plan.diffs[2];
    assert_eq!(
        (removed.current.as_deref(), removed.desired.as_deref()),
        (Some("yes"), None)
    );
    let actions: Vec<&str> = tenant_plan
        .actions
        .iter()
        .map(|a| a.action.as_str())
        .collect();
    assert_eq!(actions, ["set_fields", "migrate", "upgrade"]);
    let fields = &tenant_plan.actions[0];
    assert!(!fields.change_request && fields.allowed, "{fields:?}");
    assert!(
        fields
            .paths
            .contains(&"spec.updatePolicy.approval".to_owned())
    );
    let moving = &tenant_plan.actions[1];
    assert_eq!(moving.title, "Move t-000 to eu-west-1 (shared)");
    assert!(moving.change_request && moving.allowed, "{moving:?}");
    assert!(
        !moving.needs_approval && moving.starts_at.is_some(),
        "a move is not an update: it goes to the window: {moving:?}"
    );
    let upgrade = &tenant_plan.actions[2];
    assert!(upgrade.allowed, "{upgrade:?}");
    assert!(
        upgrade.needs_approval && upgrade.starts_at.is_none(),
        "the manifest's own policy (approve every update) routes it: {upgrade:?}"
    );
    assert_eq!(written(db).await, before, "a plan writes nothing");

    // Under the current policy (majors only) a minor upgrade waits for the
    // window instead; a version that was never published is refused.
    let mut minor = exported.clone();
    minor
        .spec
        .products
        .as_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p.product == "edge-gateway")
        .unwrap()
        .version = Some("5.2.0".into());
    let asked = Utc::now();
    let planned = manifests::plan(&ctx, &[document("", to_yaml(&minor))])
        .await
        .unwrap();
    let upgrade = &planned.tenants[0].actions[0];
    assert!(!upgrade.needs_approval, "{upgrade:?}");
    assert!(upgrade.starts_at.unwrap() >= asked, "{upgrade:?}");
    assert!(
        upgrade.window.as_deref().unwrap().contains("Sat 22:00"),
        "{upgrade:?}"
    );
    let mut ended = exported.clone();
    ended
        .spec
        .products
        .as_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p.product == "edge-gateway")
        .unwrap()
        .version = Some("5.9.0".into());
    let planned = manifests::plan(&ctx, &[document("", to_yaml(&ended))])
        .await
        .unwrap();
    let unpublished = &planned.tenants[0].actions[0];
    assert!(!unpublished.allowed, "{unpublished:?}");
    assert!(
        unpublished
            .refusal
            .as_deref()
            .unwrap()
            .contains("5.9.0 is not a published release"),
        "{unpublished:?}"
    );

    // Residency: a region this portal does not run tenants in is refused,
    // for the allowed list and for the move.
    let mut abroad = exported.clone();
    abroad.spec.placement.allowed_regions = vec!["eu-central-1".into(), "us-east-1".into()];
    abroad.spec.placement.region = "us-east-1".into();
    let planned = manifests::plan(&ctx, &[document("", to_yaml(&abroad))])
        .await
        .unwrap();
    assert_eq!(planned.refused, 1);
    let refusals: Vec<&str> = planned.tenants[0]
        .actions
        .iter()
        .map(|a| a.refusal.as_deref().unwrap_or("allowed"))
        .collect();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(
        refusals.iter().all(|r| r.contains("us-east-1")),
        "{refusals:?}"
    );

    // What no manifest may change is refused at its path, with its source.
    let mut moved_customer = exported.clone();
    moved_customer.spec.environment = "staging".into();
    let refused = manifests::plan(&ctx, &[document("t-000.yaml", to_yaml(&moved_customer))])
        .await
        .unwrap_err();
    let fields =
        crate::helpers::expect_field_error(Err::<(), _>(refused), "t-000.yaml:spec.environment");
    assert!(fields.contains("onboard a new tenant"), "{fields}");
}

async fn bad_manifests_are_refused_at_their_paths_and_other_tenants_stay_hidden(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let ids = fleet(db, &admin, 2, &[]).await;
    let token = admin_token(&app).await;
    let exported = manifests::export(&ctx, "t-000").await.unwrap();
    let yaml = to_yaml(&exported);

    // The manifest over the API, YAML and JSON; the schema is public.
    let got = app
        .client
        .get(app.url("/api/v1/tenants/t-000/manifest?format=yaml"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/yaml");
    assert_eq!(got.text().await.unwrap(), yaml);
    let json: serde_json::Value = app
        .client
        .get(app.url("/api/v1/tenants/t-000/manifest"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["apiVersion"], "tenantry/v1");
    let schema: serde_json::Value = app
        .get("/api/v1/schemas/tenant-manifest.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(schema["$id"], "/api/v1/schemas/tenant-manifest.json");

    // A plan over the API: YAML body; problems with their paths.
    let plan = |body: String, content_type: &'static str| {
        let request = app
            .client
            .post(app.url("/api/v1/manifests/plan"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body);
        async move { request.send().await.unwrap() }
    };
    let answer = plan(yaml.clone(), "application/yaml").await;
    assert_eq!(answer.status(), 200);
    let answer: ManifestPlan = answer.json().await.unwrap();
    assert_eq!(answer.unchanged, 1);
    let bad = yaml
        .replace("version: 5.1.0", "version: 4.x")
        .replace("plan: starter", "plan: starter\n  colour: blue");
    let refused = plan(bad, "application/yaml").await;
    assert_eq!(refused.status(), 422);
    let problem: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["spec.colour"],
        "unknown fields are refused first: {problem}"
    );
    assert!(
        problem.to_string().contains("unknown field `colour`"),
        "{problem}"
    );
    let bad = yaml.replace("version: 5.1.0", "version: 4.x");
    let problem: serde_json::Value = plan(bad, "application/yaml").await.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["field"], "spec.products[0].version",
        "{problem}"
    );
    assert_eq!(
        problem["errors"][0]["message"],
        "4.x is not a version; write it like 5.2.1, or latest."
    );
    let envelope = serde_json::json!({ "documents": [
        { "source": "a.yaml", "content": yaml },
        { "source": "b.yaml", "content": yaml },
    ]});
    let twice: serde_json::Value = plan(envelope.to_string(), "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        twice["errors"][0]["field"], "b.yaml:metadata.slug",
        "{twice}"
    );

    // A tenant admin of t-001: t-000's manifest is not found, and a plan of
    // it reveals nothing (it reads as a tenant to create, which they may not).
    let boss = person(
        db,
        "boss@t-001.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(ids[1]),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    assert!(matches!(
        manifests::export(&boss_ctx, "t-000").await,
        Err(app::backend::error::ServiceError::NotFound
            | app::backend::error::ServiceError::Forbidden)
    ));
    let probe = manifests::plan(&boss_ctx, &[document("", yaml.clone())])
        .await
        .unwrap();
    let probed = &probe.tenants[0];
    assert_eq!(probed.outcome, "create");
    assert!(probed.diffs.is_empty());
    assert!(!probed.actions[0].allowed, "{probed:?}");
    // Their own tenant: the export works; a label is the vendor's to set.
    let mut own = manifests::export(&boss_ctx, "t-001").await.unwrap();
    own.metadata.labels.push("gold".into());
    own.spec.config = Some([("log.level".to_owned(), ConfigValue::Plain("debug".into()))].into());
    let mine = manifests::plan(&boss_ctx, &[document("", to_yaml(&own))])
        .await
        .unwrap();
    let fields = &mine.tenants[0].actions[0];
    assert_eq!(fields.action, "set_fields");
    assert!(
        !fields.allowed && fields.refusal.as_deref().unwrap().contains("labels"),
        "{fields:?}"
    );
}

async fn the_cli_gets_a_manifest_and_diffs_with_exit_codes(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = admin(&app.db).await;
    fleet(&app.db, &admin, 2, &[]).await;
    let token = admin_token(&app).await;
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .env("TENANTRY_URL", &app.address)
            .env("TENANTRY_TOKEN", &token)
            .env("DATABASE_URL", "sqlite::memory:")
            .output()
            .expect("run tenantry");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let folder =
        std::env::temp_dir().join(format!("tenantry-manifests-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(folder.join("more")).unwrap();
    for (slug, file) in [("t-000", "t-000.yaml"), ("t-001", "more/t-001.yaml")] {
        let (code, out, err) = cli(&["get", "tenant", slug, "-o", "yaml"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(out.starts_with("apiVersion: tenantry/v1"), "{out}");
        std::fs::write(folder.join(file), out).unwrap();
    }
    let (code, out, _) = cli(&["get", "tenant", "t-000", "-o", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["kind"],
        "Tenant"
    );

    let dir = folder.to_str().unwrap();
    let (code, out, err) = cli(&["diff", "-f", dir]);
    assert_eq!(code, Some(0), "no changes: {out}{err}");
    assert!(
        out.contains("No changes. 2 tenants match their manifests."),
        "{out}"
    );

    let edited = std::fs::read_to_string(folder.join("t-000.yaml"))
        .unwrap()
        .replace("name: Tenant t-000", "name: Tenant zero");
    std::fs::write(folder.join("t-000.yaml"), edited).unwrap();
    let (code, out, err) = cli(&["diff", "-f", dir]);
    assert_eq!(code, Some(2), "changes: {out}{err}");
    assert!(
        out.contains("~ metadata.name: Tenant t-000 → Tenant zero"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 1 to change, 0 to create, 1 unchanged, 0 refused."),
        "{out}"
    );
    let (code, out, _) = cli(&["diff", "--json", "-f", dir]);
    assert_eq!(code, Some(2));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["changed"],
        1
    );

    std::fs::write(
        folder.join("broken.yaml"),
        "apiVersion: tenantry/v1\nkind: Tenant\n",
    )
    .unwrap();
    let (code, _, err) = cli(&["diff", "-f", dir]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("broken.yaml:") && err.contains("missing field `metadata`"),
        "{err}"
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

crate::on_both_databases!(
    an_exported_manifest_plans_to_nothing_and_a_changed_one_to_ordered_verdicts,
    bad_manifests_are_refused_at_their_paths_and_other_tenants_stay_hidden,
    the_cli_gets_a_manifest_and_diffs_with_exit_codes,
);
