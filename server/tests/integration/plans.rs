//! Plans that act: a tenant's quotas are refused at each door where the
//! thing they count is created (inviting a person, an agent registering over
//! HTTP, a tenant webhook), a vendor override lifts them (audited), a plan
//! change runs as a change request at the executor and a downgrade below
//! current usage is refused with what exceeds; feature flags gate what they
//! name; API rate limits answer 429 with `Retry-After` and `RateLimit-*`.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::changes::admin;
use crate::helpers::{TestDb, person, spawn_app, tenant_form};
use crate::playbook::Playbook;
use app::backend::context::Ctx;
use app::backend::entities::{audit_event, change_request, tenant};
use app::backend::error::ServiceError;
use app::backend::services::access::{accounts, api_tokens};
use app::backend::services::changes::update_policy;
use app::backend::services::events::webhooks;
use app::backend::services::plans::{catalog, limits, plan_change};
use app::backend::services::tenants;
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeKind, ChangeStatus};
use app::domain::plans::plan::{FeatureFlag, Quota};
use app::domain::tenants::tenant::Region;
use app::model::plans::{PlanChangeForm, PlanForm, QuotaOverrideForm};

fn plan(code: &str, flags: &[&str], quotas: &[(&str, &str)]) -> PlanForm {
    PlanForm {
        code: code.into(),
        name: code.to_uppercase(),
        description: String::new(),
        feature_flags: flags.iter().map(|f| f.to_string()).collect(),
        quotas: quotas
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn override_of(quota: &str, limit: &str) -> QuotaOverrideForm {
    QuotaOverrideForm {
        quota: quota.into(),
        limit: limit.into(),
        reason: "contract addendum 7".into(),
    }
}

async fn tenant_named(app: &crate::helpers::TestApp, slug: &str) -> tenant::Model {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn quotas_are_checked_at_each_door_and_a_plan_change_is_a_change_request(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form("acme"))
        .await
        .unwrap();
    let acme = tenant_named(&app, "acme").await;
    let boss = person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let boss_ctx = Ctx::of(db, &boss, &Default::default());

    // The catalogue checks a plan field by field.
    let bad = catalog::save(&ctx, None, &plan("tiny", &["sso"], &[("users", "-1")])).await;
    crate::helpers::expect_field_error(bad, "quotas.users");
    let tiny = catalog::save(
        &ctx,
        None,
        &plan(
            "tiny",
            &[],
            &[
                ("users", "2"),
                ("endpoints", "1"),
                ("webhook_endpoints", "0"),
                ("concurrent_updates", "1"),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(tiny.feature_flags, vec![]);
    assert!(matches!(
        catalog::save(&boss_ctx, None, &plan("mine", &[], &[])).await,
        Err(ServiceError::Forbidden)
    ));

    // Editing the tenant cannot move its plan: that is a change request.
    let detail = tenants::detail(&ctx, "acme").await.unwrap();
    let edited = tenants::update(
        &ctx,
        "acme",
        detail.version,
        tenants::TenantEdit::try_from(&app::model::tenants::TenantEditForm {
            display_name: "Acme".into(),
            plan_code: "tiny".into(),
            ..Default::default()
        }),
    )
    .await;
    crate::helpers::expect_field_error(edited, "plan_code");

    // The plan change runs at the executor, then the tenant is on the plan.
    let change = plan_change::request(
        &ctx,
        "acme",
        &PlanChangeForm {
            plan: "tiny".into(),
            note: "trial".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (change.kind, change.status),
        (ChangeKind::ChangePlan, ChangeStatus::Running)
    );
    assert_eq!(
        tenant_named(&app, "acme").await.plan_code,
        "starter",
        "not before its step has run"
    );
    let playbook = Playbook::new(&[]);
    playbook.run(db).await;
    assert_eq!(
        playbook.ran_on("acme"),
        ["change_plan|Apply the plan's limits|apply"]
    );
    let ended = change_request::Entity::find_by_id(change.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.status, ChangeStatus::Succeeded, "{:?}", ended.outcome);
    assert_eq!(tenant_named(&app, "acme").await.plan_code, "tiny");
    let seen = limits::view(&boss_ctx, "acme").await.unwrap();
    assert_eq!(
        (seen.plan_code.as_str(), seen.feature_flags.len()),
        ("tiny", 0)
    );
    let users = seen
        .quotas
        .iter()
        .find(|q| q.quota == Quota::Users)
        .unwrap();
    assert_eq!(
        (users.limit, users.used),
        (Some(2), Some(1)),
        "the tenant admin holds one place"
    );

    // People: one more fits, a re-invitation takes no new place, a third is refused.
    let settings = app::backend::state::AccountSettings::default();
    let invite = |email: &'static str| {
        let ctx = ctx.clone();
        let settings = settings.clone();
        async move { accounts::invite(&ctx, &settings, email, "tenant_viewer", "acme").await }
    };
    invite("one@acme.example").await.unwrap();
    invite("one@acme.example").await.unwrap();
    let refused = invite("two@acme.example").await;
    assert!(
        matches!(&refused, Err(ServiceError::Policy(m)) if m.contains("users quota is 2 and 2 are in use")),
        "{refused:?}"
    );

    // Agents: the first endpoint registers over HTTP, the second is refused
    // with a reason the agent can log.
    let enrollment = tenants::agents::create_enrollment_token(&ctx, acme.id, "Stores", "", false)
        .await
        .unwrap();
    let register = |host: &str| {
        app.client
            .post(app.url("/api/v1/agents/register"))
            .json(&json!({ "enrollment_token": enrollment, "hostname": host, "platform": "linux", "agent_version": "1.4.0", "products": {} }))
            .send()
    };
    assert_eq!(
        register("pos-1.example").await.unwrap().status(),
        StatusCode::CREATED
    );
    let second = register("pos-2.example").await.unwrap();
    assert_eq!(second.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = second.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("endpoints quota is 1"),
        "{problem}"
    );

    // A tenant webhook: none on this plan.
    let hook = webhooks::create(
        &ctx,
        &app::model::events::EndpointForm {
            tenant: "acme".into(),
            url: "https://127.0.0.1:9/hook".into(),
            description: String::new(),
            event_types: String::new(),
        },
    )
    .await;
    assert!(
        matches!(&hook, Err(ServiceError::Policy(m)) if m.contains("webhook endpoints quota is 0")),
        "{hook:?}"
    );

    // Features the plan lacks are refused with the flag named.
    let export =
        app::backend::services::audit::audit_log::export_csv(&boss_ctx, &Default::default()).await;
    assert!(
        matches!(&export, Err(ServiceError::Policy(m)) if m.contains("`audit_export`")),
        "{:?}",
        export.err()
    );
    let auto = update_policy::save(
        &boss_ctx,
        "acme",
        update_policy::UpdatePolicySettings::try_from(&app::model::changes::UpdatePolicyForm {
            approval_mode: "all".into(),
            timezone: "UTC".into(),
            max_delay_days: "14".into(),
            auto_update: true,
            max_running_changes: String::new(),
        }),
    )
    .await;
    crate::helpers::expect_field_error(auto, "auto_update");

    // The vendor's overrides lift a quota (audited) and tenant people may not set them.
    assert!(matches!(
        limits::set_override(&boss_ctx, "acme", &override_of("users", "10")).await,
        Err(ServiceError::Forbidden)
    ));
    crate::helpers::expect_field_error(
        limits::set_override(
            &ctx,
            "acme",
            &QuotaOverrideForm {
                reason: String::new(),
                ..override_of("users", "3")
            },
        )
        .await,
        "reason",
    );
    let lifted = limits::set_override(&ctx, "acme", &override_of("users", "3"))
        .await
        .unwrap();
    let users = lifted
        .quotas
        .iter()
        .find(|q| q.quota == Quota::Users)
        .unwrap();
    assert_eq!(
        (users.plan_limit, users.limit, users.overridden),
        (Some(2), Some(3), true)
    );
    invite("two@acme.example").await.unwrap();
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("tenant.quota_override"))
        .one(db)
        .await
        .unwrap()
        .expect("the override is audited");
    assert!(
        audited.details.contains(r#""after":3"#) && audited.details.contains("contract addendum 7"),
        "{}",
        audited.details
    );
    limits::set_override(&ctx, "acme", &override_of("concurrent_updates", "4"))
        .await
        .unwrap();
    assert_eq!(
        update_policy::view(&ctx, "acme")
            .await
            .unwrap()
            .running_limit,
        4
    );

    // A downgrade below what is in use is refused, naming what exceeds
    // (the users override stays in force across plans).
    catalog::save(
        &ctx,
        None,
        &plan("micro", &[], &[("users", "1"), ("endpoints", "0")]),
    )
    .await
    .unwrap();
    let downgrade = plan_change::request(
        &ctx,
        "acme",
        &PlanChangeForm {
            plan: "micro".into(),
            note: String::new(),
        },
    )
    .await;
    match downgrade {
        Err(ServiceError::Validation(errors)) => {
            let plan_error = errors.for_field("plan").unwrap();
            assert!(
                plan_error.contains("Endpoints: 1 in use, the new limit is 0"),
                "{plan_error}"
            );
            assert!(errors.for_field("usage.endpoints").is_some());
            assert!(errors.for_field("usage.users").is_none(), "{errors:?}");
        }
        other => panic!("expected the downgrade refused, got {other:?}"),
    }
    assert!(
        change_request::Entity::find()
            .filter(change_request::Column::TargetPlan.eq("micro"))
            .one(db)
            .await
            .unwrap()
            .is_none(),
        "nothing was requested"
    );

    // An upgrade restores the features.
    plan_change::request(
        &ctx,
        "acme",
        &PlanChangeForm {
            plan: "enterprise".into(),
            note: String::new(),
        },
    )
    .await
    .unwrap();
    playbook.run(db).await;
    let upgraded = limits::view(&ctx, "acme").await.unwrap();
    assert_eq!(upgraded.plan_code, "enterprise");
    assert!(upgraded.feature_flags.contains(&FeatureFlag::AuditExport));
    assert!(
        app::backend::services::audit::audit_log::export_csv(&boss_ctx, &Default::default())
            .await
            .is_ok()
    );
}

async fn a_burst_over_the_tenant_rate_limit_gets_429_and_other_tenants_are_unaffected(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    let mut tokens = vec![];
    for slug in ["rate-a", "rate-b"] {
        tenants::create(&ctx, &regions, &tenant_form(slug))
            .await
            .unwrap();
        let t = tenant_named(&app, slug).await;
        limits::set_override(&ctx, slug, &override_of("api_requests_per_minute", "5"))
            .await
            .unwrap();
        let owner = person(
            db,
            &format!("owner@{slug}.example"),
            "owner passphrase 1",
            BuiltinRole::TenantAdmin,
            Some(t.id),
        )
        .await;
        tokens.push(
            api_tokens::create(&Ctx::of(db, &owner, &Default::default()), "script", "", "")
                .await
                .unwrap()
                .token,
        );
    }
    let get = |token: String| {
        app.client
            .get(app.url("/api/v1/tenants"))
            .bearer_auth(token)
            .send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    for remaining in (0..5).rev() {
        let ok = get(tokens[0].clone()).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(header(&ok, "ratelimit-limit"), "5");
        assert_eq!(header(&ok, "ratelimit-remaining"), remaining.to_string());
        assert_eq!(header(&ok, "ratelimit-policy"), "5;w=60");
    }
    let refused = get(tokens[0].clone()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!(
        (11..=12).contains(&retry_after),
        "one request every 12 s at 5/min: {retry_after}"
    );
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 429);

    // The other tenant's token has its own bucket.
    let other = get(tokens[1].clone()).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    assert_eq!(header(&other, "ratelimit-remaining"), "4");

    // A vendor override lifts the limit at once.
    limits::set_override(
        &ctx,
        "rate-a",
        &override_of("api_requests_per_minute", "1000"),
    )
    .await
    .unwrap();
    let lifted = get(tokens[0].clone()).await.unwrap();
    assert_eq!(lifted.status(), StatusCode::OK);
    assert_eq!(header(&lifted, "ratelimit-limit"), "1000");

    // The vendor's own principals have their own (configured) limit.
    let vendor = get(crate::helpers::admin_token(&app).await).await.unwrap();
    assert_eq!(vendor.status(), StatusCode::OK);
    assert_eq!(header(&vendor, "ratelimit-limit"), "60000");
}

/// Verifies `document` against `signature` (base64) and `public_key_pem`
/// with OpenSSL: an implementation independent of the portal's.
async fn a_licence_is_signed_and_its_end_suspends_the_tenant_until_renewed(db: TestDb) {
    use app::backend::context::ManualClock;
    use app::backend::services::plans::licences;
    use app::domain::plans::licence::LicenceStatus;
    use app::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
    use app::model::plans::{
        LicenceAssignForm, LicenceRenewForm, LicenceRevokeForm, LicenceTemplateForm,
    };
    use std::sync::Arc;

    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    // The story starts 41 days ago, so the jobs it leaves are due now for
    // the executor (which runs on the real clock).
    let start = chrono::Utc::now() - chrono::Duration::days(41) - chrono::Duration::hours(1);
    let clock = Arc::new(ManualClock::at(start));
    let ctx = Ctx {
        clock: clock.clone(),
        ..Ctx::of(db, &admin, &Default::default())
    };
    let regions = [Region::parse("eu-central-1").unwrap()];
    let playbook = Playbook::new(&[]);
    tenants::create(&ctx, &regions, &tenant_form("acme"))
        .await
        .unwrap();
    let acme = tenant_named(&app, "acme").await;
    person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    tenants::transition(&ctx, "acme", LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    playbook.run(db).await;
    assert_eq!(
        tenant_named(&app, "acme").await.lifecycle_state,
        LifecycleState::Active
    );

    let template = LicenceTemplateForm {
        key: "edge-annual".into(),
        name: "Edge annual".into(),
        licence_type: "subscription".into(),
        products: "edge-gateway".into(),
        seats: "10".into(),
        term_days: "365".into(),
        features: "offline-mode".into(),
    };
    crate::helpers::expect_field_error(
        licences::save_template(
            &ctx,
            &LicenceTemplateForm {
                seats: "0".into(),
                ..template.clone()
            },
        )
        .await,
        "seats",
    );
    licences::save_template(&ctx, &template).await.unwrap();
    let ends = (start + chrono::Duration::days(40)).date_naive();
    let licence = licences::assign(
        &ctx,
        "acme",
        &LicenceAssignForm {
            template: "edge-annual".into(),
            valid_to: ends.to_string(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((licence.status, licence.seats), (LicenceStatus::Active, 10));

    // The signed document verifies with OpenSSL against the public key the
    // API serves to anyone; a changed byte does not.
    let token = crate::helpers::admin_token(&app).await;
    let signed: Value = app
        .client
        .get(app.url(&format!("/api/v1/licences/{}/document", licence.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public_key = app
        .client
        .get(app.url("/api/v1/licences/public-key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        public_key.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{public_key}"
    );
    let document = signed["document"].as_str().unwrap();
    let signature = signed["signature"].as_str().unwrap();
    assert!(
        document.contains(r#""seats":10"#) && document.contains(r#""slug":"acme""#),
        "{document}"
    );
    assert!(crate::helpers::openssl_verifies(
        document,
        signature,
        &public_key
    ));
    assert!(!crate::helpers::openssl_verifies(
        &document.replace(r#""seats":10"#, r#""seats":99"#),
        signature,
        &public_key
    ));

    // Notices at 30, 7 and 1 day before the end, once each.
    let at = |days: i64, hours: i64| {
        start + chrono::Duration::days(days) + chrono::Duration::hours(hours)
    };
    assert_eq!(licences::sweep(db, at(5, 0)).await.unwrap().notices, 0);
    assert_eq!(licences::sweep(db, at(11, 0)).await.unwrap().notices, 1);
    assert_eq!(
        licences::sweep(db, at(12, 0)).await.unwrap().notices,
        0,
        "sent once"
    );
    assert_eq!(licences::sweep(db, at(34, 0)).await.unwrap().notices, 1);
    app::backend::services::notifications::from_events::notify_new_events(
        db,
        &app.address,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let notified: Vec<_> = app::backend::entities::notification::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| {
            n.kind == app::domain::notifications::notification::NotificationKind::LicenceNotice
        })
        .collect();
    assert!(
        notified
            .iter()
            .any(|n| n.title.contains("Licence Edge annual for acme ends in")),
        "{:?}",
        notified.iter().map(|n| &n.title).collect::<Vec<_>>()
    );

    // The end suspends the tenant through a change request the executor runs.
    let expired_at = start + chrono::Duration::days(41);
    let swept = licences::sweep(db, expired_at).await.unwrap();
    assert_eq!(swept.suspended, 1);
    let suspended = tenant_named(&app, "acme").await;
    assert_eq!(suspended.lifecycle_state, LifecycleState::Suspended);
    assert!(
        suspended
            .state_reason
            .as_deref()
            .unwrap_or_default()
            .contains("expired"),
        "{:?}",
        suspended.state_reason
    );
    let suspension = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(acme.id))
        .filter(change_request::Column::Kind.eq(ChangeKind::Suspend.as_str()))
        .one(db)
        .await
        .unwrap()
        .expect("a suspend change request");
    assert!(suspension.requested_by_vendor);
    assert_eq!(suspension.requester_label, "system:licences");
    playbook.run(db).await;
    assert!(
        playbook
            .ran_on("acme")
            .contains(&"suspend|Block public access|apply".to_owned())
    );
    assert_eq!(
        licences::sweep(db, expired_at).await.unwrap().suspended,
        0,
        "enforced once"
    );

    // Resuming without a licence is refused (policy before action) …
    clock.set(expired_at);
    let resumed = tenants::transition(&ctx, "acme", LifecycleAction::Resume, None, None).await;
    assert!(
        matches!(&resumed, Err(ServiceError::Policy(m)) if m.contains("no valid licence")),
        "{resumed:?}"
    );
    // … renewing resumes it, with a new signed document.
    let renewed = licences::renew(&ctx, licence.id, &LicenceRenewForm::default())
        .await
        .unwrap();
    assert_eq!(renewed.status, LicenceStatus::Active);
    assert_eq!(
        tenant_named(&app, "acme").await.lifecycle_state,
        LifecycleState::Active
    );
    playbook.run(db).await;
    assert!(
        playbook
            .ran_on("acme")
            .contains(&"resume|Restore public access|apply".to_owned())
    );
    let again = licences::document_of(&ctx, licence.id).await.unwrap();
    assert!(crate::helpers::openssl_verifies(
        &again.document,
        &again.signature,
        &again.public_key_pem
    ));
    assert_ne!(again.document, document, "the new end is signed");

    // Revocation suspends at once (audited, evented), naming the reason.
    crate::helpers::expect_field_error(
        licences::revoke(&ctx, licence.id, &LicenceRevokeForm { reason: " ".into() }).await,
        "reason",
    );
    let revoked = licences::revoke(
        &ctx,
        licence.id,
        &LicenceRevokeForm {
            reason: "contract ended".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(revoked.status, LicenceStatus::Revoked);
    let after = tenant_named(&app, "acme").await;
    assert_eq!(after.lifecycle_state, LifecycleState::Suspended);
    assert!(
        after
            .state_reason
            .unwrap_or_default()
            .contains("contract ended")
    );
    for event in [
        "licence.assigned",
        "licence.expiring",
        "licence.expired",
        "licence.renewed",
        "licence.revoked",
    ] {
        assert!(
            app::backend::entities::event::Entity::find()
                .filter(app::backend::entities::event::Column::EventType.eq(event))
                .one(db)
                .await
                .unwrap()
                .is_some(),
            "{event}"
        );
    }

    // A draft whose only licence has ended cannot be activated.
    tenants::create(&ctx, &regions, &tenant_form("beta"))
        .await
        .unwrap();
    licences::assign(
        &ctx,
        "beta",
        &LicenceAssignForm {
            template: "edge-annual".into(),
            valid_from: "2020-01-01".into(),
            valid_to: "2020-02-01".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let activated = tenants::transition(&ctx, "beta", LifecycleAction::Activate, None, None).await;
    assert!(
        matches!(&activated, Err(ServiceError::Policy(m)) if m.contains("no valid licence")),
        "{activated:?}"
    );
}

async fn usage_is_ingested_once_per_record_refused_whole_when_bad_and_exported(db: TestDb) {
    use app::backend::services::plans::usage;
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form("acme"))
        .await
        .unwrap();
    tenants::create(&ctx, &regions, &tenant_form("globex"))
        .await
        .unwrap();
    let acme = tenant_named(&app, "acme").await;
    // Storage near the quota (50 GB on starter) raises a warning once.
    limits::set_override(&ctx, "acme", &override_of("storage_gb", "10"))
        .await
        .unwrap();
    let token = crate::helpers::admin_token(&app).await;
    let now = chrono::Utc::now();
    let today = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let batch = json!({ "records": [
        { "id": "orc-1", "tenant": "acme", "meter": "storage_gb", "quantity": 6.5, "at": today },
        { "id": "orc-2", "tenant": "acme", "meter": "storage_gb", "quantity": 8.25, "at": today },
        { "id": "orc-3", "tenant": acme.id, "meter": "custom.sms", "quantity": 40, "at": today },
        { "id": "orc-1", "tenant": "globex", "meter": "custom.sms", "quantity": 2, "at": today },
    ]});
    let push = |body: Value| {
        app.client
            .post(app.url("/api/v1/usage"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let first = push(batch.clone()).await.unwrap();
    assert_eq!(
        first.status(),
        StatusCode::OK,
        "{}",
        first.text().await.unwrap()
    );
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({ "accepted": 4, "duplicates": 0 })
    );
    let again = push(batch).await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(
        again,
        json!({ "accepted": 0, "duplicates": 4 }),
        "the same ids change nothing"
    );

    // A batch with one bad record is refused whole, each problem named.
    let bad = push(json!({ "records": [
        { "id": "orc-9", "tenant": "acme", "meter": "storage_gb", "quantity": 1, "at": today },
        { "id": "orc-10", "tenant": "acme", "meter": "api_calls", "quantity": -2, "at": "yesterday" },
        { "id": "orc-11", "tenant": "nobody", "meter": "custom.sms", "quantity": 1, "at": today },
    ]}))
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["records[1].meter", "records[1].quantity", "records[1].at"],
        "{problem}"
    );
    let unknown = push(json!({ "records": [
        { "id": "orc-12", "tenant": "acme", "meter": "custom.sms", "quantity": 1, "at": today },
        { "id": "orc-13", "tenant": "nobody", "meter": "custom.sms", "quantity": 1, "at": today },
    ]}))
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app::backend::entities::usage_record::Entity::find()
            .filter(
                app::backend::entities::usage_record::Column::RecordId.is_in(["orc-9", "orc-12"])
            )
            .one(db)
            .await
            .unwrap()
            .is_none(),
        "nothing partial is stored"
    );

    // The portal's own meters: API calls and active people, flushed as records.
    usage::count_api_call(acme.id, admin.user_id, now);
    usage::count_api_call(acme.id, admin.user_id, now);
    usage::flush_portal_counts(db, now).await.unwrap();
    let seen = usage::tenant_usage(&ctx, "acme").await.unwrap();
    let value = |meter: &str| {
        seen.meters
            .iter()
            .find(|m| m.meter == meter)
            .and_then(|m| m.latest)
    };
    assert_eq!(
        value("storage_gb"),
        Some(8.25),
        "a level: the day's highest reading"
    );
    assert_eq!(value("custom.sms"), Some(40.0), "a count: the day's sum");
    assert!(value("api_calls").unwrap() >= 2.0);
    assert_eq!(value("active_users"), Some(1.0));
    let storage = seen
        .meters
        .iter()
        .find(|m| m.meter == "storage_gb")
        .unwrap();
    assert_eq!(
        (storage.quota, storage.limit),
        (Some(Quota::StorageGb), Some(10))
    );

    // 8.25 of 10 GB: one "near" warning for billing consumers and the tenant.
    let warnings = app::backend::entities::event::Entity::find()
        .filter(app::backend::entities::event::Column::EventType.eq("quota.near"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].data.contains("storage_gb"));
    assert!(
        app::backend::entities::event::Entity::find()
            .filter(app::backend::entities::event::Column::EventType.eq("usage.recorded"))
            .one(db)
            .await
            .unwrap()
            .is_some()
    );

    // The month's export for a billing system, CSV and JSON.
    let csv = app
        .client
        .get(app.url("/api/v1/tenants/acme/usage/export?format=csv"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("month,tenant_id,tenant,meter,day,value"),
        "{csv}"
    );
    assert!(
        csv.contains(",acme,storage_gb,") && csv.contains(",8.25"),
        "{csv}"
    );
    assert!(
        !csv.contains("globex"),
        "one tenant's export holds that tenant only"
    );
    let all: Value = app
        .client
        .get(app.url("/api/v1/usage/export?format=json"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["tenant"] == "globex")
    );
    let bad_month = app
        .client
        .get(app.url("/api/v1/usage/export?month=last"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_month.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let organisation = usage::organisation(&ctx, "").await.unwrap();
    assert_eq!(
        organisation
            .top
            .iter()
            .find(|t| t.meter == "custom.sms")
            .unwrap()
            .slug,
        "acme"
    );

    // An agent reports for its own tenant only.
    let enrollment = tenants::agents::create_enrollment_token(&ctx, acme.id, "Stores", "", false)
        .await
        .unwrap();
    let registered: Value = app
        .client
        .post(app.url("/api/v1/agents/register"))
        .json(&json!({ "enrollment_token": enrollment, "hostname": "pos-1.example", "platform": "linux", "agent_version": "1.4.0", "products": {} }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent = registered["agent_token"].as_str().unwrap();
    let from_agent = |body: Value| {
        app.client
            .post(app.url("/api/v1/agents/usage"))
            .bearer_auth(agent)
            .json(&body)
            .send()
    };
    let ok = from_agent(json!({ "records": [{ "id": "agent-1", "meter": "custom.sms", "quantity": 1, "at": today }] })).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let foreign = from_agent(json!({ "records": [{ "id": "agent-2", "tenant": "globex", "meter": "custom.sms", "quantity": 1, "at": today }] })).await.unwrap();
    assert_eq!(foreign.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn cloud_resources_are_linked_to_tenants_shared_and_checked_for_residency(db: TestDb) {
    use app::backend::services::tenants::cloud_resources;
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    for slug in ["acme", "globex"] {
        tenants::create(&ctx, &regions, &tenant_form(slug))
            .await
            .unwrap();
    }
    let acme = tenant_named(&app, "acme").await;
    let boss = person(
        db,
        "boss@acme.example",
        "boss passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(acme.id),
    )
    .await;
    let token = crate::helpers::admin_token(&app).await;
    let reported = app
        .client
        .post(app.url("/api/v1/cloud-resources"))
        .bearer_auth(&token)
        .json(&json!({ "resources": [
            { "provider": "aws", "resource_type": "s3_bucket", "resource_id": "arn:aws:s3:::shared-data", "region": "eu-central-1",
              "tenants": ["acme", "globex"], "cost_tag": "cc-4711", "tags": { "team": "data" } },
            { "provider": "aws", "resource_type": "rds_instance", "resource_id": "arn:aws:rds:us-east-1:123456789012:db:acme", "region": "us-east-1",
              "tenants": ["acme"] },
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), StatusCode::OK);
    assert_eq!(
        reported.json::<Value>().await.unwrap(),
        json!({ "created": 2, "updated": 0, "linked": 3 })
    );

    // The tenant's own admin sees its resources: the shared one as such,
    // the one outside its allowed regions flagged.
    let seen = cloud_resources::of_tenant(&Ctx::of(db, &boss, &Default::default()), "acme")
        .await
        .unwrap();
    assert_eq!(seen.len(), 2);
    let shared = seen
        .iter()
        .find(|r| r.resource_type == "s3_bucket")
        .unwrap();
    assert!(shared.shared && shared.tenant_count == 2 && shared.residency_issue.is_none());
    let outside = seen
        .iter()
        .find(|r| r.resource_type == "rds_instance")
        .unwrap();
    assert!(!outside.shared);
    assert!(
        outside
            .residency_issue
            .as_deref()
            .unwrap()
            .contains("outside the tenant's allowed regions")
    );
    assert!(matches!(
        cloud_resources::of_tenant(&Ctx::of(db, &boss, &Default::default()), "globex").await,
        Err(ServiceError::NotFound)
    ));

    // A CSV import with one bad row changes nothing and names the row.
    let csv = "provider,resource_type,resource_id,region,tenants,cost_tag,tags\n\
               aws,s3_bucket,arn:aws:s3:::shared-data,eu-central-1,acme;globex,cc-9,team=platform\n\
               aws,s3_bucket,not-an-arn,eu-central-1,acme,,\n";
    let bad = app
        .client
        .post(app.url("/api/v1/cloud-resources/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["field"], "rows[2].resource_id",
        "{problem}"
    );
    let good =
        cloud_resources::import_csv(&ctx, &csv.replace("not-an-arn", "arn:aws:s3:::acme-logs"))
            .await
            .unwrap();
    assert_eq!((good.created, good.updated, good.linked), (1, 1, 1));
    let updated = cloud_resources::of_tenant(&ctx, "globex").await.unwrap();
    assert_eq!(
        updated[0].cost_tag, "cc-9",
        "a known resource is updated, not doubled"
    );
    assert!(matches!(
        cloud_resources::import_csv(&Ctx::of(db, &boss, &Default::default()), csv).await,
        Err(ServiceError::Forbidden)
    ));
}

/// Buckets live in each replica: two servers on one database each admit the
/// tenant's limit (documented; a shared store is not required for one
/// replica). Measured here with two real processes.
async fn each_replica_admits_the_limit_on_its_own(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form("rate-r"))
        .await
        .unwrap();
    let t = tenant_named(&app, "rate-r").await;
    limits::set_override(&ctx, "rate-r", &override_of("api_requests_per_minute", "3"))
        .await
        .unwrap();
    let owner = person(
        db,
        "owner@rate-r.example",
        "owner passphrase 1",
        BuiltinRole::TenantAdmin,
        Some(t.id),
    )
    .await;
    let token = api_tokens::create(&Ctx::of(db, &owner, &Default::default()), "script", "", "")
        .await
        .unwrap()
        .token;
    let (mut one, base_one) =
        crate::helpers::spawn_ready_server_with(&app.test_db.url, &[], None).await;
    let (mut two, base_two) =
        crate::helpers::spawn_ready_server_with(&app.test_db.url, &[], None).await;
    let client = reqwest::Client::new();
    let mut admitted = 0;
    for base in [&base_one, &base_two] {
        for _ in 0..5 {
            let status = client
                .get(format!("{base}/api/v1/tenants"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            admitted += usize::from(status == StatusCode::OK);
        }
    }
    one.kill().ok();
    two.kill().ok();
    one.wait().ok();
    two.wait().ok();
    assert_eq!(admitted, 6, "3 per minute on each of two replicas");
}

crate::on_both_databases!(
    each_replica_admits_the_limit_on_its_own,
    cloud_resources_are_linked_to_tenants_shared_and_checked_for_residency,
    usage_is_ingested_once_per_record_refused_whole_when_bad_and_exported,
    quotas_are_checked_at_each_door_and_a_plan_change_is_a_change_request,
    a_burst_over_the_tenant_rate_limit_gets_429_and_other_tenants_are_unaffected,
    a_licence_is_signed_and_its_end_suspends_the_tenant_until_renewed,
);
