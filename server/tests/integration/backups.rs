//! Backups as records: a backup change writes a bundle the executor's
//! snapshot reference is part of, with its size and SHA-256; verify re-reads
//! and re-hashes it and finds a corrupted one; a restore checks the bundle
//! first (a corrupt one is refused and nothing changes), puts configuration
//! and versions back exactly, hands the data reference to the executor's
//! restore step and takes the tenant through `restoring → testing → active`;
//! the schedule asks for due backups once, retention deletes only expired
//! bundles and never a held tenant's. The S3 driver is exercised against a
//! real S3-compatible server (moto, from PyPI).

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::helpers::{TestDb, expect_field_error, license, tenant_form};
use app::backend::backup_store::{BackupTarget, StoreError};
use app::backend::context::Ctx;
use app::backend::entities::{
    audit_event, backup, change_request, field_change, product, tenant, tenant_product,
    tenant_setting,
};
use app::backend::error::ServiceError;
use app::backend::services::tenants;
use app::backend::services::tenants::backups;
use app::backend::services::tenants::tenant_config;
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeKind, ChangeStatus};
use app::domain::tenants::backup::{VerifyStatus, judge_bundle, sha256_hex};
use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use app::domain::tenants::tenant::Region;
use app::model::tenants::backups::{
    BackupRequestForm, BackupScheduleForm, LegalHoldForm, RestoreForm,
};

pub(crate) use crate::helpers::first_admin as admin;
pub(crate) use crate::playbook::Playbook;

pub(crate) async fn active_tenant(
    db: &DatabaseConnection,
    ctx: &Ctx,
    playbook: &Playbook,
    slug: &str,
) -> tenant::Model {
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(ctx, &regions, &tenant_form(slug))
        .await
        .unwrap();
    tenants::transition(ctx, slug, LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    let found = tenant_named(db, slug).await;
    assert_eq!(found.lifecycle_state, LifecycleState::Active);
    found
}

pub(crate) async fn tenant_named(db: &DatabaseConnection, slug: &str) -> tenant::Model {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn change(db: &DatabaseConnection, id: uuid::Uuid) -> change_request::Model {
    change_request::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// The stored configuration rows, exactly (secrets as sealed).
async fn stored_config(
    db: &DatabaseConnection,
    tenant_id: uuid::Uuid,
) -> Vec<(String, String, bool)> {
    let mut rows: Vec<_> = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.key, s.value, s.is_secret))
        .collect();
    rows.sort();
    rows
}

async fn running_version(
    db: &DatabaseConnection,
    tenant_id: uuid::Uuid,
    product_id: uuid::Uuid,
) -> Option<String> {
    tenant_product::Entity::find_by_id((tenant_id, product_id))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .running_version
}

pub(crate) fn path_of(location: &str) -> std::path::PathBuf {
    location
        .strip_prefix("file://")
        .expect("a local backup")
        .into()
}

pub(crate) async fn back_up(
    db: &DatabaseConnection,
    ctx: &Ctx,
    playbook: &Playbook,
    slug: &str,
) -> backup::Model {
    let queued = backups::request_backup(ctx, slug, &BackupRequestForm::default())
        .await
        .unwrap();
    playbook.run(db).await;
    let done = change(db, queued.id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    backup::Entity::find()
        .filter(backup::Column::ChangeRequestId.eq(queued.id))
        .one(db)
        .await
        .unwrap()
        .expect("the backup change recorded its backup")
}

async fn a_backup_is_recorded_verified_and_restored_exactly(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    let app_product = product::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        key: Set("shop".into()),
        name: Set("Shop".into()),
        description: Set(String::new()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    license(db, acme.id, app_product.id, "1.4.0").await;
    tenant_config::set(&ctx, "acme", "app.mode", "blue", false)
        .await
        .unwrap();
    tenant_config::set(&ctx, "acme", "db.password", "first-secret-value", true)
        .await
        .unwrap();
    let before = stored_config(db, acme.id).await;

    // The backup change runs at the executor, which reports its snapshot;
    // the portal writes the bundle and records it.
    let taken = back_up(db, &ctx, &playbook, "acme").await;
    assert_eq!(taken.kind, "full");
    assert_eq!(taken.retention_class, "manual");
    let snapshot = taken
        .data_snapshot
        .clone()
        .expect("the executor's snapshot");
    assert!(
        snapshot.starts_with("file:///snapshots/acme/"),
        "{snapshot}"
    );
    let bytes = std::fs::read(path_of(&taken.location)).unwrap();
    assert_eq!(bytes.len() as i64, taken.size_bytes);
    assert_eq!(sha256_hex(&bytes), taken.sha256);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("\"app.mode\"") && text.contains("\"1.4.0\""),
        "{text}"
    );
    assert!(
        !text.contains("first-secret-value"),
        "secrets stay sealed in the bundle"
    );
    assert_eq!(taken.verify_status, "unverified");
    assert!(taken.expires_at.unwrap() > Utc::now() + Duration::days(89));
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("backup.create"))
        .filter(audit_event::Column::TargetId.eq(taken.id.to_string()))
        .count(db)
        .await
        .unwrap();
    assert_eq!(audit, 1, "the backup is in the audit trail");

    // Verify re-reads and re-hashes.
    let verified = backups::verify(&ctx, "acme", &taken.id.to_string())
        .await
        .unwrap();
    assert_eq!(
        verified.verify_status, "verified",
        "{}",
        verified.verify_message
    );
    assert!(verified.verified_at.is_some());

    // The tenant moves on: other values, a new key, a new secret, a new version.
    tenant_config::set(&ctx, "acme", "app.mode", "green", false)
        .await
        .unwrap();
    tenant_config::set(&ctx, "acme", "app.extra", "1", false)
        .await
        .unwrap();
    tenant_config::set(&ctx, "acme", "db.password", "second-secret-value", true)
        .await
        .unwrap();
    let mut newer: tenant_product::ActiveModel =
        tenant_product::Entity::find_by_id((acme.id, app_product.id))
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .into();
    newer.running_version = Set(Some("2.0.0".into()));
    newer.update(db).await.unwrap();
    assert_ne!(stored_config(db, acme.id).await, before);

    // A restore is confirmed by the slug, and needs maintenance first.
    let chosen = taken.id.to_string();
    let form = |confirm: &str| RestoreForm {
        backup_id: chosen.clone(),
        confirm: confirm.into(),
        note: "roll back the config".into(),
    };
    expect_field_error(
        backups::request_restore(&ctx, "acme", &form("acm")).await,
        "confirm",
    );
    let not_in_maintenance = backups::request_restore(&ctx, "acme", &form("acme")).await;
    assert!(
        matches!(&not_in_maintenance, Err(ServiceError::Policy(reason)) if reason.contains("maintenance")),
        "{not_in_maintenance:?}"
    );
    tenants::transition(&ctx, "acme", LifecycleAction::EnterMaintenance, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    assert_eq!(
        tenant_named(db, "acme").await.lifecycle_state,
        LifecycleState::Maintenance
    );

    // The restore puts configuration and versions back exactly and hands
    // the data reference to the executor's restore step.
    let queued = backups::request_restore(&ctx, "acme", &form("acme"))
        .await
        .unwrap();
    assert_eq!(queued.kind, ChangeKind::Restore);
    playbook.run(db).await;
    let done = change(db, queued.id).await;
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    assert_eq!(stored_config(db, acme.id).await, before);
    assert_eq!(
        running_version(db, acme.id, app_product.id)
            .await
            .as_deref(),
        Some("1.4.0")
    );
    assert!(
        playbook
            .snapshots("acme")
            .contains(&format!("restore|Restore|apply|{snapshot}")),
        "{:?}",
        playbook.snapshots("acme")
    );
    let restored = tenant_named(db, "acme").await;
    assert_eq!(restored.lifecycle_state, LifecycleState::Active);
    let changes: Vec<field_change::Model> = field_change::Entity::find()
        .filter(field_change::Column::TenantId.eq(acme.id))
        .all(db)
        .await
        .unwrap();
    let by_restore: Vec<&str> = changes
        .iter()
        .filter(|c| c.actor_label.contains(&queued.id.to_string()))
        .map(|c| c.field.as_str())
        .collect();
    for field in [
        "config.app.mode",
        "config.app.extra",
        "config.db.password",
        "version.shop",
    ] {
        assert!(by_restore.contains(&field), "{field} in {by_restore:?}");
    }
    let states: Vec<&str> = changes
        .iter()
        .filter(|c| c.field == "lifecycle_state")
        .filter_map(|c| c.new_value.as_deref())
        .collect();
    let path: Vec<&str> = states
        .iter()
        .copied()
        .skip_while(|s| *s != "restoring")
        .collect();
    assert_eq!(path, ["restoring", "testing", "active"]);
    assert!(
        !changes.iter().any(|c| {
            c.old_value
                .as_deref()
                .is_some_and(|v| v.contains("secret-value"))
                || c.new_value
                    .as_deref()
                    .is_some_and(|v| v.contains("secret-value"))
        }),
        "no secret in the change log"
    );

    // A corrupted bundle is found by verify and refused by restore; nothing changes.
    let mut tampered = bytes.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x20;
    std::fs::write(path_of(&taken.location), &tampered).unwrap();
    let checked = backups::verify(&ctx, "acme", &chosen).await.unwrap();
    assert_eq!(
        checked.verify_status, "corrupt",
        "{}",
        checked.verify_message
    );
    let (status, _) = judge_bundle(&taken.sha256, Some(&tampered));
    assert_eq!(status, VerifyStatus::Corrupt);
    tenants::transition(&ctx, "acme", LifecycleAction::EnterMaintenance, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    tenant_config::set(&ctx, "acme", "app.mode", "red", false)
        .await
        .unwrap();
    let config_now = stored_config(db, acme.id).await;
    let restores_before = change_request::Entity::find()
        .filter(change_request::Column::Kind.eq(ChangeKind::Restore.as_str()))
        .count(db)
        .await
        .unwrap();
    let refused = backups::request_restore(&ctx, "acme", &form("acme")).await;
    let message = expect_field_error(refused, "backup_id");
    assert!(message.contains("failed its check"), "{message}");
    assert_eq!(stored_config(db, acme.id).await, config_now);
    assert_eq!(
        change_request::Entity::find()
            .filter(change_request::Column::Kind.eq(ChangeKind::Restore.as_str()))
            .count(db)
            .await
            .unwrap(),
        restores_before
    );

    // A missing bundle is found too; a tenant admin reads backups but may
    // not ask for one; another tenant's backup is not found.
    std::fs::remove_file(path_of(&taken.location)).unwrap();
    let gone = backups::verify(&ctx, "acme", &chosen).await.unwrap();
    assert_eq!(gone.verify_status, "missing");
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    assert_eq!(
        backups::view(&boss_ctx, "acme")
            .await
            .unwrap()
            .backups
            .len(),
        1
    );
    assert!(matches!(
        backups::request_backup(&boss_ctx, "acme", &BackupRequestForm::default()).await,
        Err(ServiceError::Forbidden)
    ));
    let globex = active_tenant(db, &ctx, &playbook, "globex").await;
    assert!(matches!(
        backups::verify(&ctx, &globex.slug, &chosen).await,
        Err(ServiceError::NotFound)
    ));
}

async fn the_schedule_asks_once_and_retention_spares_held_tenants(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    active_tenant(db, &ctx, &playbook, "acme").await;
    let globex = active_tenant(db, &ctx, &playbook, "globex").await;

    let bad = backups::set_schedule(
        &ctx,
        "acme",
        &BackupScheduleForm {
            keep_daily: "-3".into(),
            ..Default::default()
        },
    )
    .await;
    expect_field_error(bad, "keep_daily");
    backups::set_schedule(
        &ctx,
        "acme",
        &BackupScheduleForm {
            keep_daily: "2".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Due once: a second sweep finds the backup already asked for.
    let now = Utc::now();
    assert_eq!(backups::schedule_due(db, now).await.unwrap(), 1);
    assert_eq!(backups::schedule_due(db, now).await.unwrap(), 0);
    playbook.run(db).await;
    let daily = backup::Entity::find()
        .filter(backup::Column::RetentionClass.eq("daily"))
        .one(db)
        .await
        .unwrap()
        .expect("the scheduled backup");
    assert!(daily.expires_at.unwrap() <= daily.taken_at + Duration::days(2));
    assert_eq!(
        backups::schedule_due(db, now).await.unwrap(),
        0,
        "taken today"
    );
    let manual = back_up(db, &ctx, &playbook, "globex").await;

    // A legal hold needs its own permission and a reason.
    let boss = crate::helpers::person(
        db,
        "boss@globex.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(globex.id),
    )
    .await;
    let reason = |r: &str| LegalHoldForm { reason: r.into() };
    assert!(matches!(
        backups::set_legal_hold(
            &Ctx::of(db, &boss, &Default::default()),
            "globex",
            &reason("mine")
        )
        .await,
        Err(ServiceError::Forbidden)
    ));
    expect_field_error(
        backups::set_legal_hold(&ctx, "globex", &reason(" ")).await,
        "reason",
    );
    backups::set_legal_hold(&ctx, "globex", &reason("Case 2026-114"))
        .await
        .unwrap();

    // Long after both expired: only the unheld one is deleted, with why.
    let later = now + Duration::days(120);
    let report = backups::sweep(db, later).await.unwrap();
    assert_eq!((report.pruned, report.kept_on_hold), (1, 1), "{report:?}");
    let pruned = backup::Entity::find_by_id(daily.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(pruned.deleted_at.is_some());
    assert!(pruned.delete_reason.unwrap().contains("daily"));
    assert!(!path_of(&daily.location).exists(), "the bundle is gone");
    let kept = backup::Entity::find_by_id(manual.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(kept.deleted_at.is_none() && path_of(&manual.location).exists());
    let prune_audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("backup.prune"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(prune_audit, 1);

    // Lifted, the held backup goes at the next sweep.
    backups::lift_legal_hold(&ctx, "globex", &reason("Case closed"))
        .await
        .unwrap();
    let report = backups::sweep(db, later).await.unwrap();
    assert_eq!((report.pruned, report.kept_on_hold), (1, 0), "{report:?}");
    assert!(!path_of(&manual.location).exists());
}

async fn every_held_backup_is_listed_however_many_deleted_records_pile_up(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    let taken = back_up(db, &ctx, &playbook, "acme").await;
    // Years of a schedule (direct inserts: set-up): a monthly archive from
    // five years ago still held, and 600 daily records retention deleted
    // since — newer than the archive.
    let now = Utc::now();
    let record = |taken_at: chrono::DateTime<Utc>, deleted: bool| backup::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        tenant_id: Set(acme.id),
        change_request_id: Set(uuid::Uuid::new_v4()),
        kind: Set("full".into()),
        retention_class: Set(if deleted { "daily" } else { "monthly" }.into()),
        location: Set(taken.location.clone()),
        size_bytes: Set(taken.size_bytes),
        sha256: Set(taken.sha256.clone()),
        data_snapshot: Set(None),
        contents: Set("{}".into()),
        taken_at: Set(taken_at),
        verify_status: Set("verified".into()),
        verified_at: Set(None),
        verify_message: Set(String::new()),
        expires_at: Set(Some(taken_at + Duration::days(3650))),
        deleted_at: Set(deleted.then_some(taken_at + Duration::days(2))),
        delete_reason: Set(deleted.then(|| "Retention: the daily backup expired.".to_owned())),
    };
    let archive = record(now - Duration::days(5 * 365), false)
        .insert(db)
        .await
        .unwrap();
    for day in 1..=600 {
        record(now - Duration::days(day), true)
            .insert(db)
            .await
            .unwrap();
    }
    let seen = backups::view(&ctx, "acme").await.unwrap();
    assert!(
        seen.backups.iter().any(|b| b.id == archive.id),
        "the old archive is listed"
    );
    assert!(seen.backups.iter().any(|b| b.id == taken.id));
    let deleted = seen
        .backups
        .iter()
        .filter(|b| b.deleted_at.is_some())
        .count();
    assert_eq!(deleted, 100, "the newest deleted records");
    assert_eq!(seen.older_deleted, 500);
    assert_eq!(seen.backups.len(), 102);
    assert!(
        seen.backups
            .windows(2)
            .all(|w| w[0].taken_at >= w[1].taken_at),
        "newest first"
    );
    std::fs::remove_file(path_of(&taken.location)).ok();
}

crate::on_both_databases!(
    every_held_backup_is_listed_however_many_deleted_records_pile_up,
    a_backup_is_recorded_verified_and_restored_exactly,
    the_schedule_asks_once_and_retention_spares_held_tenants,
);

/// moto's S3-compatible server on a free port, stopped when dropped.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn start_s3() -> Option<S3Server> {
    let required = std::env::var("TENANTRY_REQUIRE_S3").as_deref() == Ok("1");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = match std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            assert!(
                !required,
                "an S3-compatible server is required (TENANTRY_REQUIRE_S3=1) but moto_server cannot start: {e}; pip install 'moto[server]'"
            );
            eprintln!(
                "SKIPPED: the S3 backup target test needs moto_server (pip install 'moto[server]')"
            );
            return None;
        }
    };
    let server = S3Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(&server.endpoint).send().await.is_ok() {
            return Some(server);
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("moto_server did not answer on {}", server.endpoint);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_compatible_target_writes_reads_verifies_and_deletes() {
    let Some(s3) = start_s3().await else {
        return;
    };
    // moto accepts any credentials; the bucket is made with a plain PUT.
    let made = reqwest::Client::new()
        .put(format!("{}/tenantry-backups", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    let settings = [
        ("AWS_ENDPOINT", s3.endpoint.clone()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    let target = BackupTarget::from_setting_with("s3://tenantry-backups/portal", |name| {
        settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    assert_eq!(target.base(), "s3://tenantry-backups/portal");
    let bundle = br#"{"format":"tenantry-backup/v1","config":[]}"#.to_vec();
    let location = target
        .put("tenants/t/c.json", bundle.clone())
        .await
        .unwrap();
    assert_eq!(location, "s3://tenantry-backups/portal/tenants/t/c.json");
    let read = target.get(&location).await.unwrap();
    assert_eq!(
        judge_bundle(&sha256_hex(&bundle), Some(&read)).0,
        VerifyStatus::Verified
    );
    // It lies in the server, not in the client: another client reads it.
    let lookup = |name: &str| {
        settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    let other = BackupTarget::from_setting_with("s3://tenantry-backups/portal", lookup).unwrap();
    assert_eq!(other.get(&location).await.unwrap(), bundle);
    // Overwritten behind the portal's back, verify finds it corrupt.
    target
        .put("tenants/t/c.json", b"{\"tampered\":true}".to_vec())
        .await
        .unwrap();
    let read = target.get(&location).await.unwrap();
    assert_eq!(
        judge_bundle(&sha256_hex(&bundle), Some(&read)).0,
        VerifyStatus::Corrupt
    );
    target.delete(&location).await.unwrap();
    assert!(matches!(
        target.get(&location).await,
        Err(StoreError::Missing(_))
    ));
    assert!(matches!(
        target.get("s3://another-bucket/x").await,
        Err(StoreError::Elsewhere(..))
    ));
}
