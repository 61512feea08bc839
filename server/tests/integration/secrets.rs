//! Secret rotation: a rotation is a change request with the secret's change
//! model; the executor gets the new value only for the step that sets it
//! (in its environment, never its arguments), the portal stores it sealed
//! when the change succeeds, and a failed rotation's rollback hands the
//! executor the previous value while the stored one never changed. Neither
//! value appears anywhere in the database in the clear: audit trail,
//! events, change log, step logs, jobs.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::helpers::first_admin as admin;
use crate::helpers::{TestDb, change_request, expect_field_error, tenant_form};
use crate::playbook::Playbook;
use app::backend::context::Ctx;
use app::backend::crypto::Purpose;
use app::backend::entities::{
    audit_event, change_step, event, field_change, job, secret_rotation, tenant, tenant_setting,
};
use app::backend::error::ServiceError;
use app::backend::services::changes;
use app::backend::services::platform::secrets_at_rest::reveal;
use app::backend::services::tenants;
use app::backend::services::tenants::{secret_rotation as rotation, tenant_config};
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeModel, ChangeStatus};
use app::domain::tenants::lifecycle::LifecycleAction;
use app::domain::tenants::tenant::Region;
use app::model::changes::ChangeForm;
use app::model::tenants::secrets::{RotationForm, SecretScheduleForm};

async fn stored_secret(db: &DatabaseConnection, tenant_id: uuid::Uuid, key: &str) -> String {
    let stored = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(tenant_id))
        .filter(tenant_setting::Column::Key.eq(key))
        .one(db)
        .await
        .unwrap()
        .expect("the secret is stored");
    assert!(stored.is_secret);
    reveal(Purpose::TenantSecret, &stored.value).unwrap()
}

/// Every row of the tables a value could leak into, as JSON text.
async fn everything_written(db: &DatabaseConnection) -> String {
    let mut all = String::new();
    macro_rules! dump {
        ($($entity:path),*) => {$(
            for row in <$entity>::find().into_json().all(db).await.unwrap() {
                all.push_str(&row.to_string());
                all.push('\n');
            }
        )*};
    }
    dump!(
        audit_event::Entity,
        event::Entity,
        field_change::Entity,
        change_step::Entity,
        app::backend::entities::change_request::Entity,
        job::Entity,
        secret_rotation::Entity,
        tenant_setting::Entity
    );
    all
}

async fn a_rotation_lands_sealed_rolls_back_on_failure_and_never_leaks(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form("acme"))
        .await
        .unwrap();
    tenants::transition(&ctx, "acme", LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    let acme = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq("acme"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    const OLD: &str = "Old-Database-Password-0001";
    const NEW: &str = "New-Database-Password-0002";
    tenant_config::set(&ctx, "acme", "secrets.database", OLD, true)
        .await
        .unwrap();
    tenant_config::set(&ctx, "acme", "smtp.host", "mail.acme.example", false)
        .await
        .unwrap();

    // What may be rotated, and what a value must look like.
    let form = |value: &str| RotationForm {
        value: value.into(),
        note: String::new(),
    };
    expect_field_error(
        rotation::request(&ctx, "acme", "smtp.host", &form("")).await,
        "name",
    );
    expect_field_error(
        rotation::request(&ctx, "acme", "no.such.key", &form("")).await,
        "name",
    );
    expect_field_error(
        rotation::request(&ctx, "acme", "database", &form("short")).await,
        "value",
    );
    let generic = changes::create(
        &ctx,
        change_request(&ChangeForm {
            tenant: "acme".into(),
            kind: "rotate_secret".into(),
            ..Default::default()
        }),
    )
    .await;
    expect_field_error(generic, "kind");

    // The database password rotates in maintenance; the executor gets the
    // new value for the one step that sets it, and it is stored sealed.
    let change = rotation::request(&ctx, "acme", "database", &form(NEW))
        .await
        .unwrap();
    assert_eq!(change.change_model, ChangeModel::Maintenance);
    playbook.run(db).await;
    let done = app::backend::entities::change_request::Entity::find_by_id(change.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, ChangeStatus::Succeeded, "{:?}", done.outcome);
    assert_eq!(stored_secret(db, acme.id, "secrets.database").await, NEW);
    let handed: Vec<String> = playbook
        .received("acme")
        .into_iter()
        .filter(|line| line.starts_with("rotate_secret|"))
        .collect();
    assert_eq!(
        handed,
        [
            "rotate_secret|Enter maintenance mode|apply||".to_owned(),
            format!("rotate_secret|Rotate secret|apply|secrets.database|{NEW}"),
            "rotate_secret|Validate health baseline|apply||".to_owned(),
            "rotate_secret|Exit maintenance mode|apply||".to_owned(),
        ]
    );

    // The web password rotates live, with a generated value.
    let change = rotation::request(&ctx, "acme", "webapp", &form(""))
        .await
        .unwrap();
    assert_eq!(change.change_model, ChangeModel::Live);
    playbook.run(db).await;
    let generated = stored_secret(db, acme.id, "secrets.webapp").await;
    assert!(generated.len() >= 40, "{generated}");
    assert!(playbook.received("acme").contains(&format!(
        "rotate_secret|Rotate secret|apply|secrets.webapp|{generated}"
    )));

    // A failed rotation: its rollback hands the executor the previous value,
    // and the stored value never changed.
    playbook.fail_on(&["Verify health|apply"]);
    let change = rotation::request(&ctx, "acme", "webapp", &form("Never-Lands-Password-0003"))
        .await
        .unwrap();
    playbook.run(db).await;
    let ended = app::backend::entities::change_request::Entity::find_by_id(change.id)
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
    assert_eq!(
        stored_secret(db, acme.id, "secrets.webapp").await,
        generated
    );
    assert!(
        playbook.received("acme").contains(&format!(
            "rotate_secret|Put the previous secret back|rollback|secrets.webapp|{generated}"
        )),
        "{:?}",
        playbook.received("acme")
    );
    let rotations = secret_rotation::Entity::find()
        .filter(secret_rotation::Column::TenantId.eq(acme.id))
        .order_by_asc(secret_rotation::Column::CreatedAt)
        .all(db)
        .await
        .unwrap();
    let statuses: Vec<&str> = rotations.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["applied", "applied", "rolled_back"]);
    playbook.fail_on(&[]);

    // No value anywhere in the clear.
    let written = everything_written(db).await;
    for value in [OLD, NEW, generated.as_str(), "Never-Lands-Password-0003"] {
        assert!(!written.contains(value), "{value} was written in the clear");
    }
    let log = field_change::Entity::find()
        .filter(field_change::Column::Field.eq("config.secrets.database"))
        .all(db)
        .await
        .unwrap();
    assert!(log.iter().any(|c| c.actor_label.contains("rotation")));

    // Schedules: checked, and due only after their interval.
    let schedule = |days: &str| SecretScheduleForm {
        interval_days: days.into(),
    };
    expect_field_error(
        rotation::set_schedule(&ctx, "acme", "database", &schedule("0")).await,
        "interval_days",
    );
    rotation::set_schedule(&ctx, "acme", "database", &schedule("30"))
        .await
        .unwrap();
    assert_eq!(rotation::schedule_due(db, Utc::now()).await.unwrap(), 0);
    assert_eq!(
        rotation::schedule_due(db, Utc::now() + Duration::days(31))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        rotation::schedule_due(db, Utc::now() + Duration::days(31))
            .await
            .unwrap(),
        0,
        "one under way"
    );

    // A tenant admin sees the secrets (never values) but does not rotate them.
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    let seen = rotation::view(&boss_ctx, "acme").await.unwrap();
    assert!(
        seen.secrets
            .iter()
            .any(|s| s.name == "database" && s.present)
    );
    assert!(!seen.can_rotate);
    assert!(matches!(
        rotation::request(&boss_ctx, "acme", "database", &form("")).await,
        Err(ServiceError::Forbidden)
    ));
}

crate::on_both_databases!(a_rotation_lands_sealed_rolls_back_on_failure_and_never_leaks);
