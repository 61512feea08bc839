//! Offboarding end to end, with the clock moved forward: the notice goes to
//! the tenant's contacts, the customer's export is written (its manifest's
//! checksums match its files, secret values stay out), every access is
//! revoked, the executor cleans up and the tenant is kept for its retention
//! period; deletion waits for it and for a legal hold to be lifted, then the
//! executor destroys the tenant's resources, the portal deletes its own part
//! and signs a certificate of destruction that OpenSSL verifies. Restoring
//! an offboarded tenant before its deletion cancels the offboarding.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

use crate::backups::{active_tenant, admin, back_up, path_of, tenant_named};
use crate::helpers::{TestDb, expect_field_error};
use crate::playbook::Playbook;
use app::backend::context::Ctx;
use app::backend::entities::{
    api_token, audit_event, backup, destruction_certificate, event, offboarding, outbound_email,
    role_binding, tenant, tenant_setting, webhook_endpoint,
};
use app::backend::error::ServiceError;
use app::backend::services::access::api_tokens;
use app::backend::services::tenants::{self, backups, offboarding as offboard, tenant_config};
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use app::domain::tenants::offboarding::{
    DestructionCertificate, ExportManifest, MANIFEST_FILE, check_export,
};
use app::model::tenants::backups::{LegalHoldForm, RestoreForm};
use app::model::tenants::offboarding::OffboardingForm;

const CONTACT: &str = "ops@acme.example";

async fn with_contact_and_webhook(db: &DatabaseConnection, acme: &tenant::Model) {
    let mut contacts = acme.contacts.0.clone();
    contacts.insert("technical".into(), CONTACT.into());
    let mut record: tenant::ActiveModel = acme.clone().into();
    record.contacts = Set(app::backend::columns::JsonText(contacts));
    record.update(db).await.unwrap();
    webhook_endpoint::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        tenant_id: Set(Some(acme.id)),
        url: Set("https://hooks.acme.example/tenantry".into()),
        description: Set("acme's receiver".into()),
        event_types: Set(app::backend::columns::JsonText(vec![])),
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

async fn events_of(db: &DatabaseConnection, tenant_id: uuid::Uuid, name: &str) -> u64 {
    event::Entity::find()
        .filter(event::Column::TenantId.eq(tenant_id))
        .filter(event::Column::EventType.eq(name))
        .count(db)
        .await
        .unwrap()
}

async fn the_offboarding(db: &DatabaseConnection, tenant_id: uuid::Uuid) -> offboarding::Model {
    offboarding::Entity::find()
        .filter(offboarding::Column::TenantId.eq(tenant_id))
        .one(db)
        .await
        .unwrap()
        .expect("an offboarding was recorded")
}

fn form(reason: &str, retention: &str, confirm: &str) -> OffboardingForm {
    OffboardingForm {
        reason: reason.into(),
        retention_days: retention.into(),
        confirm: confirm.into(),
    }
}

async fn an_offboarding_runs_through_retention_and_a_legal_hold_to_a_signed_certificate(
    db: TestDb,
) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let acme = active_tenant(db, &ctx, &playbook, "acme").await;
    with_contact_and_webhook(db, &acme).await;
    tenant_config::set(&ctx, "acme", "app.mode", "blue", false)
        .await
        .unwrap();
    tenant_config::set(&ctx, "acme", "db.password", "never-exported-value", true)
        .await
        .unwrap();
    let bundle = back_up(db, &ctx, &playbook, "acme").await;
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());
    let token = api_tokens::create(&boss_ctx, "acme ci", "30", "")
        .await
        .unwrap();

    // The form is checked field by field; nothing starts.
    let refused = offboard::start(&ctx, "acme", &form("no", "0", "acm")).await;
    for field in ["reason", "retention_days", "confirm"] {
        expect_field_error(
            offboard::start(&ctx, "acme", &form("no", "0", "acm")).await,
            field,
        );
    }
    assert!(refused.is_err());
    assert_eq!(
        tenant_named(db, "acme").await.lifecycle_state,
        LifecycleState::Active
    );

    // Notice, export, revocation and the clean-up change, in one go.
    let started = offboard::start(
        &ctx,
        "acme",
        &form("Contract ended 2026-11-30", "30", "acme"),
    )
    .await
    .unwrap();
    assert_eq!(started.stage, "cleaning_up");
    assert_eq!(started.notice_recipients, [CONTACT]);
    assert_eq!(
        tenant_named(db, "acme").await.lifecycle_state,
        LifecycleState::Archived
    );
    let notice = outbound_email::Entity::find()
        .filter(outbound_email::Column::Recipient.eq(CONTACT))
        .one(db)
        .await
        .unwrap()
        .expect("the notice was queued to the contact");
    assert!(notice.subject.contains("offboarding"), "{}", notice.subject);
    assert_eq!(
        events_of(db, acme.id, "tenant.offboarding_started").await,
        1
    );
    assert_eq!(
        role_binding::Entity::find()
            .filter(role_binding::Column::TenantId.eq(acme.id))
            .count(db)
            .await
            .unwrap(),
        0,
        "the tenant's people lost their roles"
    );
    let revoked = api_token::Entity::find_by_id(token.row.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        revoked.revoked_at.is_some(),
        "the tenant's API token is revoked"
    );
    let hook = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::TenantId.eq(acme.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(!hook.enabled);
    assert_eq!(started.access_revoked["role_bindings_removed"], 1);
    assert_eq!(started.access_revoked["webhook_endpoints_disabled"], 1);
    assert_eq!(started.access_revoked["api_tokens_revoked"], 1);
    // A second offboarding is refused while this one runs.
    assert!(matches!(
        offboard::start(&ctx, "acme", &form("again please", "", "acme")).await,
        Err(ServiceError::Policy(_))
    ));

    // The export: every file matches the manifest; secrets stay out.
    let export = offboard::offboarding_export(&ctx, "acme").await.unwrap();
    assert_eq!(
        app::domain::tenants::backup::sha256_hex(&export.bytes),
        started.export_sha256.clone().unwrap()
    );
    let files = offboard::unzip(&export.bytes).unwrap();
    let manifest: ExportManifest = serde_json::from_slice(&files[MANIFEST_FILE]).unwrap();
    assert!(check_export(&manifest, &files).is_empty());
    for name in [
        "tenant.json",
        "config.json",
        "config.csv",
        "versions.json",
        "endpoints.csv",
        "audit.json",
        "audit.csv",
        "compliance.csv",
        "changes.csv",
    ] {
        assert!(files.contains_key(name), "{name} is in the export");
    }
    let config_csv = String::from_utf8(files["config.csv"].clone()).unwrap();
    assert!(config_csv.contains("app.mode,blue"), "{config_csv}");
    assert!(config_csv.contains("db.password,(secret: not exported),true"));
    for (name, bytes) in &files {
        assert!(
            !String::from_utf8_lossy(bytes).contains("never-exported-value"),
            "{name} holds a secret value"
        );
    }
    assert!(String::from_utf8_lossy(&files["audit.csv"]).contains("tenant.config.set"));

    // The executor cleans up; the tenant is kept for 30 days from then.
    playbook.run(db).await;
    let ran = playbook.ran_on("acme");
    assert!(
        ran.iter()
            .any(|l| l.starts_with("decommission|Stop the tenant's workloads|apply")),
        "{ran:?}"
    );
    let retained = the_offboarding(db, acme.id).await;
    assert_eq!(retained.stage, "retained");
    let cleaned_at = retained.archived_at.unwrap();
    assert_eq!(retained.delete_after, Some(cleaned_at + Duration::days(30)));
    assert_eq!(
        events_of(db, acme.id, "tenant.offboarding_retained").await,
        1
    );

    // Deletion waits for retention, through every door.
    assert_eq!(
        offboard::sweep(db, cleaned_at + Duration::days(29))
            .await
            .unwrap(),
        Default::default()
    );
    let early =
        tenants::transition(&ctx, "acme", LifecycleAction::Delete, None, Some("acme")).await;
    assert!(
        matches!(&early, Err(ServiceError::Policy(m)) if m.contains("keeps it until")),
        "{early:?}"
    );

    // A legal hold keeps it past retention, and is noted once.
    backups::set_legal_hold(
        &ctx,
        "acme",
        &LegalHoldForm {
            reason: "litigation 2026-114".into(),
        },
    )
    .await
    .unwrap();
    let after_retention = cleaned_at + Duration::days(31);
    let held = offboard::sweep(db, after_retention).await.unwrap();
    assert_eq!((held.held, held.deletions_started), (1, 0));
    offboard::sweep(db, after_retention).await.unwrap();
    assert_eq!(events_of(db, acme.id, "tenant.deletion_held").await, 1);
    let kept = the_offboarding(db, acme.id).await;
    assert_eq!(kept.stage, "retained");
    assert!(kept.held_at.is_some());
    let while_held =
        tenants::transition(&ctx, "acme", LifecycleAction::Delete, None, Some("acme")).await;
    assert!(
        matches!(&while_held, Err(ServiceError::Policy(m)) if m.contains("legal hold")),
        "{while_held:?}"
    );
    assert!(
        path_of(&bundle.location).exists(),
        "nothing was deleted while held"
    );

    // Lifted: the next sweep deletes through the executor.
    backups::lift_legal_hold(
        &ctx,
        "acme",
        &LegalHoldForm {
            reason: "case closed".into(),
        },
    )
    .await
    .unwrap();
    let swept = offboard::sweep(db, after_retention + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(swept.deletions_started, 1);
    assert_eq!(
        tenant_named(db, "acme").await.lifecycle_state,
        LifecycleState::Deleted
    );
    assert_eq!(the_offboarding(db, acme.id).await.stage, "deleting");
    playbook
        .run_at(db, after_retention + Duration::hours(2))
        .await;
    assert!(
        playbook
            .ran_on("acme")
            .iter()
            .any(|l| l.starts_with("delete|Destroy the tenant's resources|apply")),
    );
    let destroyed = the_offboarding(db, acme.id).await;
    assert_eq!(destroyed.stage, "destroyed", "{}", destroyed.note);

    // The portal's part is gone; the audit trail stays.
    assert_eq!(
        tenant_setting::Entity::find()
            .filter(tenant_setting::Column::TenantId.eq(acme.id))
            .count(db)
            .await
            .unwrap(),
        0
    );
    assert!(
        !path_of(&bundle.location).exists(),
        "the backup bundle was destroyed"
    );
    assert!(!path_of(destroyed.export_location.as_deref().unwrap()).exists());
    let gone = backup::Entity::find_by_id(bundle.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(gone.deleted_at.is_some());
    assert!(tenant_named(db, "acme").await.contacts.0.is_empty());
    let trail = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(acme.id))
        .count(db)
        .await
        .unwrap();
    assert!(trail > 10, "the audit trail is retained ({trail})");
    assert!(matches!(
        offboard::offboarding_export(&ctx, "acme").await,
        Err(ServiceError::Policy(_))
    ));

    // The certificate: signed by the portal's key, naming what went.
    let certificate = destruction_certificate::Entity::find()
        .filter(destruction_certificate::Column::TenantId.eq(acme.id))
        .one(db)
        .await
        .unwrap()
        .expect("a certificate of destruction was issued");
    let public_key = app::backend::services::plans::licences::public_key_pem(db)
        .await
        .unwrap();
    assert!(crate::helpers::openssl_verifies(
        &certificate.document,
        &certificate.signature,
        &public_key
    ));
    assert!(!crate::helpers::openssl_verifies(
        &certificate.document.replace("acme", "acne"),
        &certificate.signature,
        &public_key
    ));
    let document: DestructionCertificate = serde_json::from_str(&certificate.document).unwrap();
    assert_eq!(document.tenant_slug, "acme");
    let certified = document
        .offboarding
        .expect("the offboarding is on the certificate");
    assert_eq!(certified.export_sha256, started.export_sha256);
    assert_eq!(certified.retention_days, 30);
    assert_eq!(document.legal_holds.len(), 1);
    assert_eq!(
        document.legal_holds[0].lifted_by.as_deref(),
        Some(crate::helpers::ADMIN_EMAIL)
    );
    assert_eq!(document.destroyed["secrets"], 1);
    assert_eq!(document.destroyed["configuration values"], 1);
    assert!(
        document
            .bundles_destroyed
            .iter()
            .any(|b| b.sha256 == bundle.sha256 && b.location == bundle.location)
    );
    assert_eq!(events_of(db, acme.id, "tenant.destroyed").await, 1);
    let view = offboard::view(&ctx, "acme").await.unwrap();
    assert_eq!(view.certificate.unwrap().id, certificate.id);
}

async fn restoring_an_offboarded_tenant_cancels_its_offboarding(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let playbook = Playbook::new(&[]);
    let globex = active_tenant(db, &ctx, &playbook, "globex").await;
    // A tenant that cannot be archived cannot be offboarded, and the tab says why.
    tenants::transition(
        &ctx,
        "globex",
        LifecycleAction::EnterMaintenance,
        None,
        None,
    )
    .await
    .unwrap();
    let refusal = offboard::view(&ctx, "globex")
        .await
        .unwrap()
        .start_refusal
        .unwrap();
    assert!(
        refusal.starts_with("Offboarding archives the tenant first. Cannot archive"),
        "{refusal}"
    );
    playbook.run(db).await;
    tenants::transition(&ctx, "globex", LifecycleAction::ExitMaintenance, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    assert_eq!(
        tenant_named(db, "globex").await.lifecycle_state,
        LifecycleState::Active
    );
    let bundle = back_up(db, &ctx, &playbook, "globex").await;
    offboard::start(
        &ctx,
        "globex",
        &form("Moved to another vendor", "", "globex"),
    )
    .await
    .unwrap();
    playbook.run(db).await;
    let retained = the_offboarding(db, globex.id).await;
    assert_eq!(retained.stage, "retained");
    assert_eq!(retained.retention_days, 90);

    // The customer came back: a restore from the backup kept during retention.
    backups::request_restore(
        &ctx,
        "globex",
        &RestoreForm {
            backup_id: bundle.id.to_string(),
            confirm: "globex".into(),
            note: "customer returned".into(),
        },
    )
    .await
    .unwrap();
    // Retention is long over, but nothing is deleted while the restore is on its way.
    let past_retention = Utc::now() + Duration::days(120);
    let swept = offboard::sweep(db, past_retention).await.unwrap();
    assert_eq!((swept.cancelled, swept.deletions_started), (0, 0));
    assert_eq!(the_offboarding(db, globex.id).await.stage, "retained");
    playbook.run(db).await;
    assert_eq!(
        tenant_named(db, "globex").await.lifecycle_state,
        LifecycleState::Active
    );
    let swept = offboard::sweep(db, past_retention).await.unwrap();
    assert_eq!((swept.cancelled, swept.deletions_started), (1, 0));
    assert_eq!(the_offboarding(db, globex.id).await.stage, "cancelled");
    assert!(path_of(&bundle.location).exists());
    // Its access is its own to grant again; a new offboarding may start.
    assert!(
        offboard::view(&ctx, "globex")
            .await
            .unwrap()
            .start_refusal
            .is_none()
    );
}

crate::on_both_databases!(
    an_offboarding_runs_through_retention_and_a_legal_hold_to_a_signed_certificate,
    restoring_an_offboarded_tenant_cancels_its_offboarding,
);
