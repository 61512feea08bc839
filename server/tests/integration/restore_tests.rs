//! Restore tests end to end through a real command executor: a drill of a
//! backup prepares a scratch target (which reports its address), has the
//! executor restore the backup's data snapshot into it, runs the tenant's
//! health baseline at the scratch address (a real HTTP server) and tears it
//! down — and the running tenant is not touched: not its state, address or
//! version, nor its health history. A failing baseline or a corrupted
//! bundle fails the drill, the scratch target is still torn down, and the
//! backup says so; a schedule drills the latest verified backup once per
//! interval.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::backups::{active_tenant, admin, back_up, change, path_of, tenant_named};
use crate::helpers::{TestDb, expect_field_error};
use crate::playbook::Playbook;
use crate::tenant_health::TenantService;
use app::backend::context::Ctx;
use app::backend::entities::{audit_event, event, restore_test, tenant, tenant_health_run};
use app::backend::error::ServiceError;
use app::backend::services::changes::{self, update_policy};
use app::backend::services::tenants::{backups, restore_tests};
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeKind, ChangeStatus};
use app::model::tenants::backups::BackupScheduleForm;

const STEPS: [&str; 4] = [
    "Prepare a scratch target",
    "Restore the backup into the scratch target",
    "Validate the health baseline on the scratch target",
    "Tear down the scratch target",
];

/// `step|phase` of every restore-test step the playbook ran on `slug`.
fn drill_steps(playbook: &Playbook, slug: &str) -> Vec<String> {
    playbook
        .ran_on(slug)
        .into_iter()
        .filter_map(|line| line.strip_prefix("restore_test|").map(str::to_owned))
        .collect()
}

async fn events_named(db: &DatabaseConnection, tenant_id: uuid::Uuid, name: &str) -> u64 {
    event::Entity::find()
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::EventType.eq(name))
        .count(db)
        .await
        .unwrap()
}

async fn health_runs(db: &DatabaseConnection, tenant_id: uuid::Uuid) -> u64 {
    tenant_health_run::Entity::find()
        .filter(tenant_health_run::Column::TenantId.eq(tenant_id))
        .count(db)
        .await
        .unwrap()
}

/// Gives the tenant a live address of its own (a real service), so that a
/// probe of the running tenant would show in its health history.
async fn serving(
    db: &DatabaseConnection,
    found: tenant::Model,
    at: &TenantService,
) -> tenant::Model {
    let mut record: tenant::ActiveModel = found.into();
    record.base_url = Set(Some(at.url.clone()));
    record.update(db).await.unwrap()
}

async fn a_restore_test_restores_into_a_scratch_target_and_leaves_the_tenant_alone(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    let live = TenantService::start().await;
    let acme = serving(db, acme, &live).await;
    let taken = back_up(db, &ctx, &playbook, "acme").await;
    let scratch = TenantService::start().await;
    playbook.report_address(&scratch.url);
    let runs_before = health_runs(db, acme.id).await;
    let live_hits = live.hits();
    let acme = tenant_named(db, "acme").await;

    // The customer's admin sees the backups but may not run a drill.
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    assert!(matches!(
        restore_tests::request(&boss_ctx, "acme", &taken.id.to_string()).await,
        Err(ServiceError::Forbidden)
    ));

    // A release freeze covers today: ordinary changes wait, a drill (beside
    // the tenant, not on it) does not.
    let today = Utc::now().date_naive().to_string();
    update_policy::add_blackout(&ctx, 30, "", &today, &today, "Release freeze")
        .await
        .unwrap();
    let asked = restore_tests::request(&ctx, "acme", &taken.id.to_string())
        .await
        .unwrap();
    assert_eq!(asked.kind, ChangeKind::RestoreTest);
    assert_eq!(asked.status, ChangeStatus::Scheduled, "no approval");
    assert!(asked.next_start_at.unwrap() <= Utc::now(), "no window");
    let frozen = backups::request_backup(&ctx, "acme", &Default::default())
        .await
        .unwrap();
    assert!(frozen.next_start_at.unwrap() > Utc::now(), "a backup waits");
    changes::cancel(&ctx, frozen.id).await.unwrap();
    // One drill at a time.
    assert!(matches!(
        restore_tests::request(&ctx, "acme", "latest").await,
        Err(ServiceError::Conflict(_))
    ));
    playbook.run(db).await;

    let done = change(db, asked.id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    let expected: Vec<String> = STEPS.iter().map(|s| format!("{s}|apply")).collect();
    assert_eq!(drill_steps(&playbook, "acme"), expected);
    // The restore step was handed the backup's data snapshot; every step
    // was told the tenant's own region, and the steps on the scratch target
    // its address — never the running tenant's.
    let snapshot = taken.data_snapshot.clone().expect("a full backup");
    assert!(
        playbook.snapshots("acme").contains(&format!(
            "restore_test|Restore the backup into the scratch target|apply|{snapshot}"
        )),
        "{:?}",
        playbook.snapshots("acme")
    );
    let placements: Vec<String> = playbook
        .placements("acme")
        .into_iter()
        .filter(|l| l.starts_with("restore_test|"))
        .collect();
    assert_eq!(placements.len(), 4);
    assert!(
        placements[0].ends_with("|eu-central-1|shared|"),
        "{placements:?}"
    );
    for line in &placements[1..] {
        assert!(line.ends_with(&format!("|{}", scratch.url)), "{line}");
    }
    assert!(scratch.hits() > 0, "the baseline ran at the scratch target");
    assert_eq!(live.hits(), live_hits, "the running tenant was not probed");

    // The tenant is as it was, health history included.
    let after = tenant_named(db, "acme").await;
    assert_eq!(after.lifecycle_state, acme.lifecycle_state);
    assert_eq!(after.base_url, acme.base_url);
    assert_eq!(after.version, acme.version);
    assert_eq!(after.health_failures, acme.health_failures);
    assert_eq!(
        health_runs(db, acme.id).await,
        runs_before,
        "{:?}",
        tenant_health_run::Entity::find()
            .filter(tenant_health_run::Column::TenantId.eq(acme.id))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.at, r.trigger, r.passed))
            .collect::<Vec<_>>()
    );

    // The verdict is on the backup, in the audit trail and an event.
    let seen = backups::view(&ctx, "acme").await.unwrap();
    let row = seen.backups.iter().find(|b| b.id == taken.id).unwrap();
    let drill = row
        .restore_test
        .clone()
        .expect("the drill is on the backup");
    assert_eq!(drill.status, "passed", "{}", drill.note);
    assert_eq!(drill.scratch_address.as_deref(), Some(scratch.url.as_str()));
    assert_eq!(drill.change_request_id, asked.id);
    assert!(!drill.scheduled);
    assert_eq!(
        row.verify_status, "verified",
        "the drill checked the bundle"
    );
    assert_eq!(
        events_named(db, acme.id, "backup.restore_test_passed").await,
        1
    );
    assert_eq!(
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.is_in(["restore_test.request", "restore_test.end"]))
            .filter(audit_event::Column::TargetId.eq(taken.id.to_string()))
            .count(db)
            .await
            .unwrap(),
        2
    );
    // The customer's admin reads the verdict.
    let theirs = backups::view(&boss_ctx, "acme").await.unwrap();
    assert_eq!(
        theirs.backups[0].restore_test.as_ref().unwrap().status,
        "passed"
    );
}

async fn a_failed_restore_test_still_tears_down_and_says_why(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    let live = TenantService::start().await;
    serving(db, acme, &live).await;
    let taken = back_up(db, &ctx, &playbook, "acme").await;
    let acme = tenant_named(db, "acme").await;
    let scratch = TenantService::start().await;
    playbook.report_address(&scratch.url);

    // The restored copy does not answer: the drill fails at its baseline,
    // the scratch target is torn down, the tenant's own health is untouched.
    scratch.answer(500);
    let asked = restore_tests::request(&ctx, "acme", "latest")
        .await
        .unwrap();
    playbook.run(db).await;
    let done = change(db, asked.id).await;
    assert_eq!(done.status, ChangeStatus::RolledBack, "{:?}", done.outcome);
    assert!(
        done.outcome
            .as_deref()
            .unwrap_or_default()
            .contains("scratch target was torn down"),
        "{:?}",
        done.outcome
    );
    // (A failing step is retried before the rollback: count, not order.)
    let ran = drill_steps(&playbook, "acme");
    assert!(
        ran.contains(&"Validate the health baseline on the scratch target|apply".to_owned()),
        "{ran:?}"
    );
    assert_eq!(
        ran.last().map(String::as_str),
        Some("Tear down the scratch target|rollback"),
        "{ran:?}"
    );
    assert!(!ran.contains(&"Tear down the scratch target|apply".to_owned()));
    let after = tenant_named(db, "acme").await;
    assert_eq!(after.health_failures, acme.health_failures);
    assert_eq!(after.lifecycle_state, acme.lifecycle_state);
    let failed = restore_test::Entity::find()
        .filter(restore_test::Column::ChangeRequestId.eq(asked.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, "failed");
    assert!(
        failed.note.contains("Health baseline at"),
        "{}",
        failed.note
    );
    assert_eq!(
        events_named(db, acme.id, "backup.restore_test_failed").await,
        1
    );

    // A bundle changed behind the portal's back: the restore step checks it
    // first and fails without asking the executor to restore anything.
    scratch.answer(200);
    let mut bytes = std::fs::read(path_of(&taken.location)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(path_of(&taken.location), &bytes).unwrap();
    let again = restore_tests::request(&ctx, "acme", &taken.id.to_string())
        .await
        .unwrap();
    playbook.run(db).await;
    let done = change(db, again.id).await;
    assert_eq!(done.status, ChangeStatus::RolledBack, "{:?}", done.outcome);
    let second: Vec<String> = drill_steps(&playbook, "acme").split_off(ran.len());
    assert!(
        second.contains(&"Prepare a scratch target|apply".to_owned()),
        "{second:?}"
    );
    assert!(
        !second.iter().any(|s| s.starts_with("Restore the backup")),
        "the executor restored nothing from a corrupt bundle: {second:?}"
    );
    assert_eq!(
        second.last().map(String::as_str),
        Some("Tear down the scratch target|rollback")
    );
    let seen = backups::view(&ctx, "acme").await.unwrap();
    let row = seen.backups.iter().find(|b| b.id == taken.id).unwrap();
    assert_eq!(row.verify_status, "corrupt");
    let drill = row.restore_test.clone().unwrap();
    assert_eq!(drill.status, "failed");
    assert!(
        drill.note.contains("nothing was restored"),
        "{}",
        drill.note
    );
    // A backup known to be corrupt is not drilled again.
    assert!(matches!(
        restore_tests::request(&ctx, "acme", &taken.id.to_string()).await,
        Err(ServiceError::Conflict(_))
    ));
    std::fs::remove_file(path_of(&taken.location)).ok();
}

async fn the_schedule_drills_the_latest_verified_backup_once_per_interval(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    let form = |days: &str| BackupScheduleForm {
        restore_test_days: days.into(),
        ..Default::default()
    };
    expect_field_error(
        backups::set_schedule(&ctx, "acme", &form("400")).await,
        "restore_test_days",
    );
    backups::set_schedule(&ctx, "acme", &form("7"))
        .await
        .unwrap();
    let now = Utc::now();
    // Nothing verified yet: nothing to drill.
    assert_eq!(restore_tests::schedule_due(db, now).await.unwrap(), 0);
    let older = back_up(db, &ctx, &playbook, "acme").await;
    let newer = back_up(db, &ctx, &playbook, "acme").await;
    for b in [&older, &newer] {
        backups::verify(&ctx, "acme", &b.id.to_string())
            .await
            .unwrap();
    }
    assert_eq!(restore_tests::schedule_due(db, now).await.unwrap(), 1);
    assert_eq!(
        restore_tests::schedule_due(db, now).await.unwrap(),
        0,
        "one open drill per tenant"
    );
    let drill = restore_test::Entity::find()
        .filter(restore_test::Column::TenantId.eq(acme.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(drill.backup_id, newer.id, "the latest verified backup");
    assert!(drill.scheduled);
    playbook.run(db).await;
    let done = change(db, drill.change_request_id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    assert_eq!(
        restore_tests::schedule_due(db, now + Duration::days(6))
            .await
            .unwrap(),
        0,
        "not before its interval"
    );
    assert_eq!(
        restore_tests::schedule_due(db, now + Duration::days(7) + Duration::minutes(1))
            .await
            .unwrap(),
        1
    );
    for b in [older, newer] {
        std::fs::remove_file(path_of(&b.location)).ok();
    }
}

crate::on_both_databases!(
    a_restore_test_restores_into_a_scratch_target_and_leaves_the_tenant_alone,
    a_failed_restore_test_still_tears_down_and_says_why,
    the_schedule_drills_the_latest_verified_backup_once_per_interval,
);
