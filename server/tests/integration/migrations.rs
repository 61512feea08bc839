//! Tenant migration end to end through a real command executor: a move is
//! refused outside the tenant's allowed regions (nothing written) and to
//! anyone without the lifecycle permission; a move runs back up → prepare
//! the target → migrate the data (handed the backup's snapshot) → validate
//! the baseline at the target's address (a real HTTP server) → cut over →
//! clean up the source, and only the cut-over moves the tenant's region,
//! isolation and address; a failure before the cut-over tears the target
//! down, one after it leaves the tenant at its target; and a server killed
//! with SIGKILL in the middle of the data step resumes at that step, having
//! run every earlier step exactly once.

use std::time::Duration as StdDuration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::backups::{admin, change, tenant_named};
use crate::helpers::{TestDb, expect_field_error, tenant_form};
use crate::playbook::Playbook;
use crate::tenant_health::TenantService;
use app::backend::context::Ctx;
use app::backend::entities::{
    backup, change_request, change_step, event, field_change, tenant, tenant_migration,
};
use app::backend::error::ServiceError;
use app::backend::services::tenants::{self, backups, migrations, residency};
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeKind, ChangeStatus, StepStatus};
use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use app::domain::tenants::tenant::{IsolationMode, Region};
use app::model::tenants::backups::BackupRequestForm;
use app::model::tenants::migrations::MigrationForm;

const STEPS: [&str; 6] = [
    "Back up the tenant",
    "Prepare the target placement",
    "Migrate the data",
    "Validate the health baseline on the target",
    "Cut over to the target",
    "Clean up the source",
];

/// Onboards `slug` allowed in two of the installation's three regions and
/// activates it through the playbook.
async fn movable_tenant(
    db: &DatabaseConnection,
    ctx: &Ctx,
    playbook: &Playbook,
    slug: &str,
) -> tenant::Model {
    let installation: Vec<Region> = ["eu-central-1", "eu-west-1", "us-east-1"]
        .iter()
        .map(|r| Region::parse(r).unwrap())
        .collect();
    residency::record_configured_regions(db, &installation, chrono::Utc::now())
        .await
        .unwrap();
    let mut form = tenant_form(slug);
    form.allowed_regions = "eu-central-1, eu-west-1".into();
    tenants::create(ctx, &installation, &form).await.unwrap();
    tenants::transition(ctx, slug, LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    let found = tenant_named(db, slug).await;
    assert_eq!(found.lifecycle_state, LifecycleState::Active);
    found
}

fn move_to(region: &str, isolation: &str, reason: &str, confirm: &str) -> MigrationForm {
    MigrationForm {
        region: region.into(),
        isolation: isolation.into(),
        reason: reason.into(),
        confirm: confirm.into(),
    }
}

async fn migration_of(db: &DatabaseConnection, change_id: uuid::Uuid) -> tenant_migration::Model {
    tenant_migration::Entity::find()
        .filter(tenant_migration::Column::ChangeRequestId.eq(change_id))
        .one(db)
        .await
        .unwrap()
        .expect("the migration was recorded")
}

async fn events_named(db: &DatabaseConnection, tenant_id: uuid::Uuid, name: &str) -> u64 {
    event::Entity::find()
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::EventType.eq(name))
        .count(db)
        .await
        .unwrap()
}

/// `step` lines of the migration kind in the playbook's ledger.
fn migration_steps(playbook: &Playbook, slug: &str) -> Vec<String> {
    playbook
        .ran_on(slug)
        .into_iter()
        .filter_map(|line| line.strip_prefix("migrate|").map(str::to_owned))
        .collect()
}

async fn a_migration_moves_the_tenant_step_by_step_and_records_its_decision(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = movable_tenant(db, &ctx, &playbook, "acme").await;
    let target = TenantService::start().await;
    playbook.report_address(&target.url);

    // Residency: a region outside the tenant's allowed ones is refused at
    // its field, and nothing is written.
    let refused = migrations::request(
        &ctx,
        "acme",
        &move_to("us-east-1", "", "closer to the customer", "acme"),
    )
    .await;
    assert!(
        expect_field_error(refused, "region").contains("outside this tenant's allowed regions")
    );
    for (form, field) in [
        (move_to("eu-west-1", "", "", "acme"), "reason"),
        (move_to("eu-west-1", "", "customer asked", "acm"), "confirm"),
        (
            move_to("eu-central-1", "shared", "customer asked", "acme"),
            "region",
        ),
        (
            move_to("", "private", "customer asked", "acme"),
            "isolation",
        ),
    ] {
        expect_field_error(migrations::request(&ctx, "acme", &form).await, field);
    }
    assert_eq!(tenant_migration::Entity::find().count(db).await.unwrap(), 0);
    // The customer's admin may read the placement but not move the tenant.
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    let seen = migrations::view(&boss_ctx, "acme").await.unwrap();
    assert!(!seen.can_migrate);
    assert_eq!(seen.regions, ["eu-central-1", "eu-west-1"]);
    assert!(matches!(
        migrations::request(
            &boss_ctx,
            "acme",
            &move_to("eu-west-1", "", "we want it", "acme")
        )
        .await,
        Err(ServiceError::Forbidden)
    ));

    let asked = migrations::request(
        &ctx,
        "acme",
        &move_to(
            "eu-west-1",
            "dedicated",
            "customer asked for a dedicated instance",
            "acme",
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        asked.decision["allowed_regions"],
        serde_json::json!(["eu-central-1", "eu-west-1"])
    );
    assert_eq!(asked.steps.len(), 6);
    // One data move at a time: a backup waits for the migration.
    assert!(matches!(
        backups::request_backup(&ctx, "acme", &BackupRequestForm::default()).await,
        Err(ServiceError::Conflict(_))
    ));
    // Nor is a tenant half-way to another placement suspended or archived.
    for action in [LifecycleAction::Suspend, LifecycleAction::Archive] {
        match tenants::transition(&ctx, "acme", action, None, None).await {
            Err(ServiceError::Policy(why)) => {
                assert!(why.contains("migration to eu-west-1 is under way"), "{why}")
            }
            other => panic!("{action:?} during a migration: {other:?}"),
        }
    }
    playbook.run(db).await;

    let done = change(db, asked.change_id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    assert_eq!(done.kind, ChangeKind::Migrate);
    assert_eq!(
        migration_steps(&playbook, "acme"),
        STEPS.map(|s| format!("{s}|apply"))
    );
    // Every step was told the target; the steps at the target its address.
    for line in playbook
        .placements("acme")
        .iter()
        .filter(|l| l.starts_with("migrate|"))
    {
        assert!(line.contains("|eu-west-1|dedicated|"), "{line}");
    }
    let at_target = format!(
        "migrate|{}|apply|eu-west-1|dedicated|{}",
        STEPS[3], target.url
    );
    assert!(playbook.placements("acme").contains(&at_target));
    assert!(
        target.hits() >= 1,
        "the baseline ran at the target's address"
    );
    // The backup the first step took is a backup like any other, and the
    // data step was handed its snapshot.
    let taken = backup::Entity::find()
        .filter(backup::Column::ChangeRequestId.eq(asked.change_id))
        .one(db)
        .await
        .unwrap()
        .expect("the migration's backup");
    let snapshot = taken.data_snapshot.clone().expect("a data snapshot");
    let handed = playbook.snapshots("acme");
    assert!(
        handed.contains(&format!("migrate|{}|apply|{snapshot}", STEPS[2])),
        "{handed:?}"
    );

    let moved = tenant_named(db, "acme").await;
    assert_eq!(moved.region, "eu-west-1");
    assert_eq!(moved.isolation_mode, IsolationMode::Dedicated);
    assert_eq!(moved.base_url.as_deref(), Some(target.url.as_str()));
    assert_eq!(moved.lifecycle_state, LifecycleState::Active);
    let record = migration_of(db, asked.change_id).await;
    assert_eq!(record.status, "completed");
    assert_eq!(record.backup_id, Some(taken.id));
    assert!(record.cut_over_at.is_some() && record.finished_at.is_some());
    assert_eq!(
        (record.from_region.as_str(), record.from_isolation.as_str()),
        ("eu-central-1", "shared")
    );
    let logged: Vec<String> = field_change::Entity::find()
        .filter(field_change::Column::TenantId.eq(acme.id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.field)
        .collect();
    for field in ["region", "isolation_mode", "base_url"] {
        assert!(logged.iter().any(|f| f == field), "{field} in {logged:?}");
    }
    for name in [
        "tenant.migration_requested",
        "tenant.migrated",
        "tenant.migration_completed",
    ] {
        assert_eq!(events_named(db, acme.id, name).await, 1, "{name}");
    }
    let after = migrations::view(&ctx, "acme").await.unwrap();
    assert_eq!(after.region, "eu-west-1");
    assert!(after.can_migrate);
    assert_eq!(after.migrations[0].status, "completed");
}

async fn a_failure_before_the_cut_over_is_undone_and_one_after_it_is_not(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = movable_tenant(db, &ctx, &playbook, "acme").await;

    playbook.fail_on(&["Migrate the data|apply"]);
    let first = migrations::request(
        &ctx,
        "acme",
        &move_to("eu-west-1", "", "latency for the customer", "acme"),
    )
    .await
    .unwrap();
    playbook.run(db).await;
    let rolled_back = change(db, first.change_id).await;
    assert_eq!(
        rolled_back.status,
        ChangeStatus::RolledBack,
        "{:?}",
        rolled_back.outcome
    );
    let ran = migration_steps(&playbook, "acme");
    assert!(
        ran.contains(&"Tear down the target placement|rollback".to_owned()),
        "{ran:?}"
    );
    assert!(
        !ran.iter().any(|s| s.starts_with(STEPS[4])),
        "never cut over: {ran:?}"
    );
    let stayed = tenant_named(db, "acme").await;
    assert_eq!(stayed.region, "eu-central-1");
    assert_eq!(stayed.lifecycle_state, LifecycleState::Active);
    let record = migration_of(db, first.change_id).await;
    assert_eq!(record.status, "rolled_back");
    assert!(
        record.note.contains("still runs in eu-central-1"),
        "{}",
        record.note
    );
    assert_eq!(
        events_named(db, acme.id, "tenant.migration_failed").await,
        1
    );

    // After the cut-over the target serves: a failed clean-up is not undone.
    playbook.fail_on(&["Clean up the source|apply"]);
    let second = migrations::request(
        &ctx,
        "acme",
        &move_to("eu-west-1", "", "latency for the customer", "acme"),
    )
    .await
    .unwrap();
    playbook.run(db).await;
    let failed = change(db, second.change_id).await;
    assert_eq!(failed.status, ChangeStatus::Failed, "{:?}", failed.outcome);
    let undo_steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(second.change_id))
        .filter(change_step::Column::Rollback.eq(true))
        .count(db)
        .await
        .unwrap();
    assert_eq!(undo_steps, 0, "nothing tears down the target that serves");
    let moved = tenant_named(db, "acme").await;
    assert_eq!(moved.region, "eu-west-1");
    assert_eq!(moved.lifecycle_state, LifecycleState::Active);
    let record = migration_of(db, second.change_id).await;
    assert_eq!(record.status, "cleanup_failed");
    assert!(
        record.note.contains("serves from eu-west-1"),
        "{}",
        record.note
    );
    assert_eq!(events_named(db, acme.id, "tenant.migrated").await, 1);
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    limit: StdDuration,
    mut check: impl FnMut() -> F,
) {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

async fn a_migration_killed_mid_step_resumes_at_that_step(db: TestDb) {
    let url = db.url.clone();
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    movable_tenant(db, &ctx, &playbook, "acme").await;
    let target = TenantService::start().await;
    playbook.report_address(&target.url);
    playbook.slow_on(&["Migrate the data|apply"]);
    let asked = migrations::request(
        &ctx,
        "acme",
        &move_to(
            "eu-west-1",
            "isolated",
            "regulator asked for isolation",
            "acme",
        ),
    )
    .await
    .unwrap();
    let store = std::env::temp_dir().join(format!("tenantry-migration-{}", uuid::Uuid::new_v4()));
    let template = playbook.template();
    let vars = [
        ("TENANTRY_EXECUTOR", "command"),
        ("TENANTRY_EXECUTOR_COMMAND", template.as_str()),
        ("TENANTRY_BACKUP_TARGET", store.to_str().unwrap()),
    ];

    let mut server = crate::helpers::spawn_ready_server(&url, &vars).await;
    let data_step = format!("{}|apply", STEPS[2]);
    wait_until("the data step to start", StdDuration::from_secs(90), || {
        let started = migration_steps(&playbook, "acme").contains(&data_step);
        async move { started }
    })
    .await;
    server.kill().expect("kill -9");
    server.wait().unwrap();
    let steps = change_step::Entity::find()
        .filter(change_step::Column::ChangeRequestId.eq(asked.change_id))
        .all(db)
        .await
        .unwrap();
    let status_of = |name: &str| steps.iter().find(|s| s.name == name).unwrap().status;
    assert_eq!(status_of(STEPS[0]), StepStatus::Succeeded);
    assert_eq!(status_of(STEPS[1]), StepStatus::Succeeded);
    assert_eq!(status_of(STEPS[2]), StepStatus::Running, "killed mid-step");
    assert_eq!(tenant_named(db, "acme").await.region, "eu-central-1");

    playbook.slow_on(&[]);
    let mut restarted = crate::helpers::spawn_ready_server(&url, &vars).await;
    wait_until(
        "the migration to end",
        StdDuration::from_secs(120),
        || async { change(db, asked.change_id).await.status.is_terminal() },
    )
    .await;
    restarted.kill().ok();
    restarted.wait().ok();

    let done = change(db, asked.change_id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    let ran = migration_steps(&playbook, "acme");
    let count = |step: &str| {
        ran.iter()
            .filter(|s| **s == format!("{step}|apply"))
            .count()
    };
    assert_eq!(count(STEPS[0]), 1, "backed up once: {ran:?}");
    assert_eq!(count(STEPS[1]), 1, "the target prepared once: {ran:?}");
    assert_eq!(
        count(STEPS[2]),
        2,
        "the data step ran again after the crash: {ran:?}"
    );
    for later in &STEPS[3..] {
        assert_eq!(count(later), 1, "{later}: {ran:?}");
    }
    // Handed again under its own idempotency key, so the executor can tell.
    let keys: Vec<String> = playbook
        .keys("acme")
        .into_iter()
        .filter(|line| line.starts_with(&data_step))
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    assert_eq!(
        backup::Entity::find()
            .filter(backup::Column::ChangeRequestId.eq(asked.change_id))
            .count(db)
            .await
            .unwrap(),
        1,
        "one backup"
    );
    let moved = tenant_named(db, "acme").await;
    assert_eq!(moved.region, "eu-west-1");
    assert_eq!(moved.isolation_mode, IsolationMode::Isolated);
    assert_eq!(migration_of(db, asked.change_id).await.status, "completed");
    assert_eq!(
        change_request::Entity::find()
            .filter(change_request::Column::Kind.eq(ChangeKind::Migrate.as_str()))
            .count(db)
            .await
            .unwrap(),
        1
    );
    std::fs::remove_dir_all(store).ok();
}

crate::on_both_databases!(
    a_migration_moves_the_tenant_step_by_step_and_records_its_decision,
    a_failure_before_the_cut_over_is_undone_and_one_after_it_is_not,
    a_migration_killed_mid_step_resumes_at_that_step,
);
