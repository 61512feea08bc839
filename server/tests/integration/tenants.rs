//! The tenant registry through its services: onboarding, search, lifecycle.

use app::backend::audit::RequestContext;
use app::backend::error::ServiceError;
use app::backend::principal::Principal;
use app::backend::services::access::auth::authenticate;
use app::backend::services::access::users::ensure_first_admin;
use app::backend::services::platform::work::finish_immediately as complete_pending_transitions;
use app::backend::services::tenants::{self, TransitionOutcome};
use app::backend::state::AccountSettings;
use app::domain::tenants::lifecycle::LifecycleAction;
use app::domain::tenants::lifecycle::LifecycleState;
use app::domain::tenants::tenant::Region;
use app::model::tenants::{NewTenantForm, TenantQuery};
use sea_orm::DatabaseConnection;

use crate::helpers::TestDb;

fn regions() -> Vec<Region> {
    ["eu-central-1", "eu-west-1", "us-east-1"]
        .iter()
        .map(|r| Region::parse(r).unwrap())
        .collect()
}

fn form(slug: &str) -> NewTenantForm {
    NewTenantForm {
        customer: "Acme Corp".into(),
        slug: slug.into(),
        display_name: format!("Acme {slug}"),
        environment: "production".into(),
        deployment_kind: "standard".into(),
        isolation_mode: "dedicated".into(),
        plan_code: "professional".into(),
        region: "eu-central-1".into(),
        allowed_regions: "eu-central-1, eu-west-1".into(),
        contact_technical: "ops@acme.example".into(),
        external_crm: "CRM-0042".into(),
        labels: "pilot, emea".into(),
        ..Default::default()
    }
}

async fn admin(db: &DatabaseConnection) -> Principal {
    ensure_first_admin(
        db,
        Some("admin@tenantry.test"),
        Some("correct horse battery staple"),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    authenticate(
        db,
        &RequestContext::default(),
        &AccountSettings::default(),
        "admin@tenantry.test",
        "correct horse battery staple",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .principal
}

async fn onboarding_creates_a_draft_tenant_with_its_customer(db: TestDb) {
    let admin = admin(&db.db).await;
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    let detail = tenants::detail(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &slug,
    )
    .await
    .unwrap();
    assert_eq!(detail.row.state, LifecycleState::Draft);
    assert_eq!(detail.row.customer.as_deref(), Some("Acme Corp"));
    assert_eq!(detail.labels, ["pilot", "emea"]);
    assert_eq!(
        detail
            .history
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["tenant.create"]
    );
    let activate = detail
        .actions
        .iter()
        .find(|a| a.action == LifecycleAction::Activate)
        .unwrap();
    assert!(
        activate.unavailable_because.is_none(),
        "a draft can be activated"
    );
    let upgrade = detail
        .actions
        .iter()
        .find(|a| a.action == LifecycleAction::Upgrade)
        .unwrap();
    assert!(
        upgrade.unavailable_because.is_some(),
        "and says why it cannot be upgraded"
    );
}

/// A stored state or JSON value the code does not understand is an error to
/// see and fix, never read as a default (no labels, "draft", …).
async fn a_corrupt_stored_value_is_an_error_not_a_default(db: TestDb) {
    use sea_orm::ConnectionTrait;
    let admin = admin(&db.db).await;
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-corrupt"),
    )
    .await
    .unwrap();
    db.db
        .execute_unprepared("UPDATE tenants SET labels = '[\"pilot\"' WHERE slug = 'acme-corrupt'")
        .await
        .unwrap();
    assert!(matches!(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &slug
        )
        .await,
        Err(ServiceError::Internal(_))
    ));
    db.db
        .execute_unprepared(
            "UPDATE tenants SET labels = '[]', lifecycle_state = 'hibernating' WHERE slug = 'acme-corrupt'",
        )
        .await
        .unwrap();
    assert!(matches!(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &slug
        )
        .await,
        Err(ServiceError::Internal(_))
    ));
}

async fn onboarding_reports_every_bad_field_and_residency(db: TestDb) {
    let admin = admin(&db.db).await;
    let mut bad = form("9-bad-slug");
    bad.display_name = " ".into();
    bad.region = "us-east-1".into();
    bad.contact_billing = "not-an-email".into();
    match tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &bad,
    )
    .await
    {
        Err(ServiceError::Validation(errors)) => {
            for field in ["slug", "display_name", "region", "contact_billing"] {
                assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
            }
            assert!(
                errors
                    .for_field("region")
                    .unwrap()
                    .contains("allowed regions")
            );
        }
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn a_taken_slug_is_a_field_error(db: TestDb) {
    let admin = admin(&db.db).await;
    tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    crate::helpers::expect_field_error(
        tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
            &regions(),
            &form("acme-prod"),
        )
        .await,
        "slug",
    );
}

async fn search_filters_sorts_and_paginates(db: TestDb) {
    let admin = admin(&db.db).await;
    for i in 0..30 {
        let mut f = form(&format!("tenant-{i:02}"));
        if i % 3 == 0 {
            f.environment = "staging".into();
            f.customer = "Globex".into();
        }
        tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
            &regions(),
            &f,
        )
        .await
        .unwrap();
    }
    let page = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery::default(),
    )
    .await
    .unwrap();
    assert_eq!((page.total, page.rows.len(), page.page), (30, 25, 1));
    assert_eq!(page.rows[0].slug, "tenant-00");

    let second = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery {
            page: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.rows.len(), 5);

    let staging = TenantQuery {
        environment: Some("staging".into()),
        sort: Some("slug".into()),
        dir: Some("desc".into()),
        ..Default::default()
    };
    let page = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &staging,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 10);
    assert_eq!(page.rows[0].slug, "tenant-27");

    let by_customer = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery {
            q: Some("GLOBEX".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        by_customer.total, 10,
        "free text matches the customer name, case-insensitively"
    );
    let by_external_id = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery {
            q: Some("crm-0042".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_external_id.total, 30);
    let by_label = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery {
            label: Some("pilot".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_label.total, 30);
    let wildcard = tenants::list(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &TenantQuery {
            q: Some("%".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        wildcard.total, 0,
        "a % in the search box is a literal character"
    );
    assert!(wildcard.any_tenants);
}

async fn activation_passes_through_provisioning_and_the_executor_completes_it(db: TestDb) {
    let admin = admin(&db.db).await;
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    let outcome = tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &slug,
        LifecycleAction::Activate,
        Some(1),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        TransitionOutcome::Started {
            via: Some(LifecycleState::Provisioning),
            target: LifecycleState::Active
        }
    );
    let during = tenants::detail(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &slug,
    )
    .await
    .unwrap();
    assert_eq!(
        (during.row.state, during.row.requested_state),
        (LifecycleState::Provisioning, Some(LifecycleState::Active))
    );

    assert_eq!(complete_pending_transitions(&db.db).await.unwrap(), 1);
    assert_eq!(
        complete_pending_transitions(&db.db).await.unwrap(),
        0,
        "never completed twice"
    );
    let after = tenants::detail(
        &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
        &slug,
    )
    .await
    .unwrap();
    assert_eq!(
        (after.row.state, after.row.requested_state),
        (LifecycleState::Active, None)
    );
    assert_eq!(after.version, 3);
    let log: Vec<_> = after
        .changes
        .iter()
        .map(|c| (c.old_value.clone().unwrap(), c.new_value.clone().unwrap()))
        .collect();
    assert_eq!(
        log,
        [
            ("provisioning".to_owned(), "active".to_owned()),
            ("draft".to_owned(), "provisioning".to_owned())
        ]
    );

    // Repeating the action that took effect is a no-op.
    let again = tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &slug,
        LifecycleAction::Activate,
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(again, TransitionOutcome::AlreadyDone);
}

async fn a_stale_version_is_a_conflict_telling_the_user_to_reload(db: TestDb) {
    let admin = admin(&db.db).await;
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    match tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &slug,
        LifecycleAction::Activate,
        Some(0),
        None,
    )
    .await
    {
        Err(ServiceError::Conflict(message)) => assert!(message.contains("Reload")),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn an_illegal_move_is_refused_with_an_actionable_reason(db: TestDb) {
    let admin = admin(&db.db).await;
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    match tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
        &slug,
        LifecycleAction::Suspend,
        None,
        None,
    )
    .await
    {
        Err(ServiceError::Policy(reason)) => assert!(reason.starts_with("Cannot"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn deleting_needs_the_slug_typed_exactly(db: TestDb) {
    let admin = admin(&db.db).await;
    let ctx = RequestContext::default();
    let slug = tenants::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
        &regions(),
        &form("acme-prod"),
    )
    .await
    .unwrap();
    tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
        &slug,
        LifecycleAction::Activate,
        None,
        None,
    )
    .await
    .unwrap();
    complete_pending_transitions(&db.db).await.unwrap();
    tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
        &slug,
        LifecycleAction::Archive,
        None,
        None,
    )
    .await
    .unwrap();
    complete_pending_transitions(&db.db).await.unwrap();
    crate::helpers::expect_field_error(
        tenants::transition(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            LifecycleAction::Delete,
            None,
            Some("acme"),
        )
        .await,
        "confirm",
    );
    tenants::transition(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
        &slug,
        LifecycleAction::Delete,
        None,
        Some(" acme-prod "),
    )
    .await
    .unwrap();
    assert_eq!(
        tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &slug
        )
        .await
        .unwrap()
        .row
        .state,
        LifecycleState::Deleted
    );
}

/// Issue 19: a tenant's state is a promise about what its own people may do.
async fn a_tenants_state_limits_what_its_own_people_and_tokens_may_do(db: TestDb) {
    use app::backend::services::access::api_tokens;
    use app::backend::services::changes::update_policy;
    use app::domain::access::permission::BuiltinRole;
    use app::model::changes::UpdatePolicyForm;
    let app = crate::helpers::spawn_app(db).await;
    let db = &app.db;
    let vendor = admin(db).await;
    let ctx = |who: &Principal| app::backend::context::Ctx::of(db, who, &RequestContext::default());
    tenants::create(&ctx(&vendor), &regions(), &form("acme"))
        .await
        .unwrap();
    let id = tenants::resolve_tenant_id(&ctx(&vendor), "acme")
        .await
        .unwrap()
        .0;
    crate::helpers::person(
        db,
        "boss@acme.example",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(id),
    )
    .await;
    let boss = || async {
        app::backend::services::access::auth::principal_by_email(db, "boss@acme.example")
            .await
            .unwrap()
            .unwrap()
    };
    let token = api_tokens::create(&ctx(&boss().await), "ci", "", "")
        .await
        .unwrap()
        .token;
    let policy = |mode: &str| {
        update_policy::UpdatePolicySettings::try_from(&UpdatePolicyForm {
            approval_mode: mode.into(),
            timezone: "Europe/Berlin".into(),
            max_delay_days: "14".into(),
            auto_update: false,
            max_running_changes: String::new(),
        })
    };
    let set_state = |state: &'static str| async move {
        sea_orm::ConnectionTrait::execute_unprepared(
            db,
            &format!("UPDATE tenants SET lifecycle_state = '{state}' WHERE slug = 'acme'"),
        )
        .await
        .unwrap();
    };
    let api_read = || async {
        app.client
            .get(app.url("/api/v1/tenants/acme"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
    };

    // Active: the customer edits its own update policy; its token reads.
    update_policy::save(&ctx(&boss().await), "acme", policy("all"))
        .await
        .expect("an active tenant's admin edits its policy");
    assert_eq!(api_read().await.status(), reqwest::StatusCode::OK);

    // Suspended: its people read the page, which says why; nothing else.
    set_state("suspended").await;
    let boss_now = boss().await;
    let detail = tenants::detail(&ctx(&boss_now), "acme").await.unwrap();
    let banner = detail
        .lifecycle_access
        .expect("the page says what suspension means");
    assert!(
        banner.contains("suspended") && banner.contains("support"),
        "{banner}"
    );
    let refused = update_policy::save(&ctx(&boss_now), "acme", policy("auto_approve")).await;
    assert!(
        matches!(refused, Err(ServiceError::Refused(ref m)) if m.starts_with("Tenant acme is suspended.")),
        "{refused:?}"
    );
    let by_token = api_read().await;
    assert_eq!(by_token.status(), reqwest::StatusCode::FORBIDDEN);
    let problem: serde_json::Value = by_token.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("suspended"),
        "a token is told why: {problem}"
    );
    // The vendor is not limited by the tenant's state.
    update_policy::save(&ctx(&vendor), "acme", policy("majors_only"))
        .await
        .expect("the vendor still works on a suspended tenant");

    // Maintenance: read only for its people, with the reason.
    set_state("maintenance").await;
    let boss_now = boss().await;
    tenants::detail(&ctx(&boss_now), "acme").await.unwrap();
    let refused = update_policy::save(&ctx(&boss_now), "acme", policy("all")).await;
    assert!(
        matches!(refused, Err(ServiceError::Refused(ref m))
            if m.contains("maintenance") && m.contains("No end is scheduled")),
        "outside any window no end is promised: {refused:?}"
    );
    // Inside a maintenance window the refusal names when it closes.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%a")
        .to_string();
    update_policy::add_window(&ctx(&vendor), "acme", &today, "00:00", "00:00")
        .await
        .unwrap();
    let refused = update_policy::save(&ctx(&boss().await), "acme", policy("all")).await;
    assert!(
        matches!(refused, Err(ServiceError::Refused(ref m))
            if m.contains("Expected to end by") && m.contains("00:00 (Europe/Berlin)")),
        "{refused:?}"
    );
    let banner = tenants::detail(&ctx(&boss().await), "acme")
        .await
        .unwrap()
        .lifecycle_access
        .unwrap();
    assert!(banner.contains("Expected to end by"), "{banner}");
    assert_eq!(
        api_read().await.status(),
        reqwest::StatusCode::OK,
        "tokens read"
    );

    // Archived: no access at all.
    set_state("archived").await;
    let gone = tenants::detail(&ctx(&boss().await), "acme").await;
    assert!(
        matches!(gone, Err(ServiceError::Refused(_) | ServiceError::NotFound)),
        "{gone:?}"
    );

    // Resumed: everything is back.
    set_state("active").await;
    update_policy::save(&ctx(&boss().await), "acme", policy("auto_approve"))
        .await
        .expect("a resumed tenant's admin works again");
    assert_eq!(api_read().await.status(), reqwest::StatusCode::OK);
}

/// Archiving a tenant takes its access with it: tokens bound to it and its
/// enrollment tokens are revoked in the same transaction, with one audit record.
async fn archiving_a_tenant_revokes_its_tokens(db: TestDb) {
    use app::backend::entities::{api_token, audit_event, enrollment_token, role_binding};
    use app::backend::services::access::api_tokens;
    use app::domain::access::permission::BuiltinRole;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let db = &db.db;
    let vendor = admin(db).await;
    let ctx = |who: &Principal| app::backend::context::Ctx::of(db, who, &RequestContext::default());
    tenants::create(&ctx(&vendor), &regions(), &form("acme"))
        .await
        .unwrap();
    let id = tenants::resolve_tenant_id(&ctx(&vendor), "acme")
        .await
        .unwrap()
        .0;
    let boss = crate::helpers::person(
        db,
        "boss@acme.example",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(id),
    )
    .await;
    let binding = role_binding::Entity::find()
        .filter(role_binding::Column::TenantId.eq(id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let limited = api_tokens::create(&ctx(&boss), "ci", "", &binding.id.to_string())
        .await
        .unwrap();
    // An unrestricted token of someone who belongs to acme alone.
    api_tokens::create(&ctx(&boss), "laptop", "", "")
        .await
        .unwrap();
    let enrollment =
        tenants::agents::create_enrollment_token(&ctx(&vendor), id, "racks", "", false)
            .await
            .unwrap();
    let report = app::domain::tenants::agent::RawReport {
        hostname: "pos-1.example".into(),
        platform: "linux".into(),
        agent_version: "1.4.0".into(),
        products: Default::default(),
        current_agent_token: None,
    };
    let agent = tenants::agents::register(
        db,
        &RequestContext::default(),
        &enrollment,
        &report,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .agent_token;
    let live_tokens = || async {
        let api = api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(boss.user_id))
            .filter(api_token::Column::RevokedAt.is_null())
            .all(db)
            .await
            .unwrap()
            .len();
        let enrollment = enrollment_token::Entity::find()
            .filter(enrollment_token::Column::TenantId.eq(id))
            .filter(enrollment_token::Column::RevokedAt.is_null())
            .all(db)
            .await
            .unwrap()
            .len();
        (api, enrollment)
    };
    assert_eq!(live_tokens().await, (2, 1));
    assert!(!limited.token.is_empty());

    tenants::transition(&ctx(&vendor), "acme", LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    complete_pending_transitions(db).await.unwrap();
    assert_eq!(
        live_tokens().await,
        (2, 1),
        "an active tenant keeps its tokens"
    );
    tenants::transition(&ctx(&vendor), "acme", LifecycleAction::Archive, None, None)
        .await
        .unwrap();
    complete_pending_transitions(db).await.unwrap();
    assert_eq!(live_tokens().await, (0, 0), "archived: no live token left");
    let revoked = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("tenant.access_revoked"))
        .filter(audit_event::Column::TenantId.eq(id))
        .all(db)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 1, "one audit record counts what went");
    let details: serde_json::Value = serde_json::from_str(&revoked[0].details).unwrap();
    assert_eq!(details["agent_credentials_revoked"], 1);
    // The agent's credential is gone for good, not only refused by the state.
    sea_orm::ConnectionTrait::execute_unprepared(
        db,
        "UPDATE tenants SET lifecycle_state = 'active' WHERE slug = 'acme'",
    )
    .await
    .unwrap();
    let heard = tenants::agents::report(
        db,
        &RequestContext::default(),
        &agent,
        &report,
        chrono::Utc::now(),
    )
    .await;
    assert!(
        matches!(heard, Err(ServiceError::Unauthenticated)),
        "{heard:?}"
    );
}

/// The installation's regions can shrink after a tenant was placed (an
/// operator retires a region): residency is checked again whenever a tenant
/// comes into service, at every door and when a scheduled change starts.
async fn residency_is_checked_again_when_a_tenant_comes_into_service(db: TestDb) {
    use app::backend::services::changes;
    use app::backend::services::tenants::residency::record_configured_regions;
    use app::domain::changes::change::ChangeStatus;
    use app::model::changes::ChangeForm;
    use app::model::tenants::BulkOutcome;

    let admin = admin(&db.db).await;
    let ctx = app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default());
    let now = chrono::Utc::now();
    record_configured_regions(&db.db, &regions(), now)
        .await
        .unwrap();
    let slug = tenants::create(&ctx, &regions(), &form("acme-prod"))
        .await
        .unwrap();
    for action in [LifecycleAction::Activate, LifecycleAction::Suspend] {
        tenants::transition(&ctx, &slug, action, None, None)
            .await
            .unwrap();
        complete_pending_transitions(&db.db).await.unwrap();
    }
    // Requested while eu-central-1 was offered, to start in an hour.
    let scheduled = changes::create(
        &ctx,
        crate::helpers::change_request(&ChangeForm {
            tenant: slug.clone(),
            kind: "resume".into(),
            not_before: (now + chrono::Duration::hours(1)).to_rfc3339(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(scheduled.status, ChangeStatus::Scheduled);

    let retired: Vec<Region> = regions()
        .into_iter()
        .filter(|r| r.as_str() != "eu-central-1")
        .collect();
    record_configured_regions(&db.db, &retired, now)
        .await
        .unwrap();

    let refusal = "Cannot resume this tenant (data residency): Region eu-central-1 is not one of the configured regions (eu-west-1, us-east-1).";
    // The tenant page, REST and CLI door.
    match tenants::transition(&ctx, &slug, LifecycleAction::Resume, None, None).await {
        Err(ServiceError::Policy(reason)) => assert!(reason.starts_with(refusal), "{reason}"),
        other => panic!("expected a residency refusal, got {other:?}"),
    }
    // Bulk actions show it in the preview and skip the tenant.
    let preview = tenants::bulk_preview(&ctx, LifecycleAction::Resume, &[slug.clone()])
        .await
        .unwrap();
    assert!(
        matches!(&preview[0].outcome, BulkOutcome::Refused(reason) if reason.starts_with(refusal)),
        "{:?}",
        preview[0].outcome
    );
    assert_eq!(
        tenants::bulk_run(&ctx, LifecycleAction::Resume, &[slug.clone()])
            .await
            .unwrap(),
        0
    );
    // A new change request is refused on its kind field.
    match changes::create(
        &ctx,
        crate::helpers::change_request(&ChangeForm {
            tenant: slug.clone(),
            kind: "resume".into(),
            ..Default::default()
        }),
    )
    .await
    {
        Err(ServiceError::Validation(errors)) => {
            let text = format!("{errors:?}");
            assert!(text.contains("data residency"), "{text}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    // The change scheduled before fails when it is due, naming the rule.
    changes::dispatch_due(&db.db, now + chrono::Duration::hours(2))
        .await
        .unwrap();
    let ended = changes::detail(&ctx, scheduled.id).await.unwrap();
    assert_eq!(ended.change.status, ChangeStatus::Failed);
    assert!(
        ended
            .change
            .outcome
            .as_deref()
            .unwrap_or_default()
            .starts_with(refusal),
        "{:?}",
        ended.change.outcome
    );
    let detail = tenants::detail(&ctx, &slug).await.unwrap();
    assert_eq!(
        detail.row.state,
        LifecycleState::Suspended,
        "still out of service"
    );

    // Once the region is offered again, the tenant comes back.
    record_configured_regions(&db.db, &regions(), now)
        .await
        .unwrap();
    assert!(matches!(
        tenants::transition(&ctx, &slug, LifecycleAction::Resume, None, None).await,
        Ok(TransitionOutcome::Started { .. })
    ));
}

crate::on_both_databases!(
    residency_is_checked_again_when_a_tenant_comes_into_service,
    onboarding_creates_a_draft_tenant_with_its_customer,
    archiving_a_tenant_revokes_its_tokens,
    a_tenants_state_limits_what_its_own_people_and_tokens_may_do,
    a_corrupt_stored_value_is_an_error_not_a_default,
    onboarding_reports_every_bad_field_and_residency,
    a_taken_slug_is_a_field_error,
    search_filters_sorts_and_paginates,
    activation_passes_through_provisioning_and_the_executor_completes_it,
    a_stale_version_is_a_conflict_telling_the_user_to_reload,
    an_illegal_move_is_refused_with_an_actionable_reason,
    deleting_needs_the_slug_typed_exactly,
);

mod audit_explorer {
    use app::backend::audit::RequestContext;
    use app::model::audit::AuditQuery;

    use app::backend::services::audit::audit_log::export_csv;
    use app::backend::services::audit::audit_log::search;
    use app::backend::services::tenants;

    use super::{admin, form, regions};
    use crate::helpers::TestDb;

    async fn audit_search_filters_and_pages_newest_first(db: TestDb) {
        let admin = admin(&db.db).await;
        for i in 0..7 {
            tenants::create(
                &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
                &regions(),
                &form(&format!("tenant-{i}")),
            )
            .await
            .unwrap();
        }
        let only_tenants = AuditQuery {
            action: Some("tenant.".into()),
            ..Default::default()
        };
        let first = search(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &only_tenants,
            5,
        )
        .await
        .unwrap();
        assert_eq!(first.rows.len(), 5);
        assert!(first.rows.iter().all(|r| r.action == "tenant.create"));
        let second = search(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &AuditQuery {
                before: first.older.clone(),
                ..only_tenants.clone()
            },
            5,
        )
        .await
        .unwrap();
        assert_eq!(second.rows.len(), 2);
        assert!(second.older.is_none());
        let mut slugs: Vec<_> = first
            .rows
            .iter()
            .chain(&second.rows)
            .filter_map(|r| r.tenant.clone())
            .collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(
            slugs.len(),
            7,
            "every event appears exactly once across pages"
        );

        let one_tenant = search(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &AuditQuery {
                tenant: Some("tenant-3".into()),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert_eq!(one_tenant.rows.len(), 1);
        let unknown = search(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &AuditQuery {
                tenant: Some("nope-nope".into()),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert!(unknown.rows.is_empty());
    }

    async fn a_bad_date_is_a_field_error(db: TestDb) {
        let admin = admin(&db.db).await;
        let bad = AuditQuery {
            from: Some("23/11/2026".into()),
            ..Default::default()
        };
        crate::helpers::expect_field_error(
            search(
                &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
                &bad,
                50,
            )
            .await,
            "from",
        );
    }

    async fn the_csv_export_holds_every_matching_event(db: TestDb) {
        let admin = admin(&db.db).await;
        tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &RequestContext::default()),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        let csv = export_csv(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &AuditQuery {
                tenant: Some("acme-prod".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_string()
        .await
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "occurred_at,actor,action,target,tenant,request_id,outcome,details"
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains("tenant.create") && lines[1].contains("acme-prod"));
    }

    crate::on_both_databases!(
        audit_search_filters_and_pages_newest_first,
        a_bad_date_is_a_field_error,
        the_csv_export_holds_every_matching_event,
    );
}

mod configuration {
    use app::backend::audit::RequestContext;
    use app::backend::entities::audit_event;

    use app::backend::services::tenants;
    use app::backend::services::tenants::tenant_config;
    use sea_orm::EntityTrait;

    use super::{admin, form, regions};
    use crate::helpers::TestDb;

    const SECRET: &str = "s3cr3t-smtp-password";

    async fn secrets_are_write_only_and_masked_everywhere(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            "smtp.host",
            "mail.acme.example",
            false,
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            "smtp.password",
            SECRET,
            true,
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            "smtp.host",
            "mail2.acme.example",
            false,
        )
        .await
        .unwrap();

        let detail = tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &slug,
        )
        .await
        .unwrap();
        let shown: Vec<(String, Option<String>)> = detail
            .config
            .iter()
            .map(|c| (c.key.clone(), c.value.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "smtp.host".to_owned(),
                    Some("mail2.acme.example".to_owned())
                ),
                ("smtp.password".to_owned(), None)
            ]
        );

        let host_change = detail
            .changes
            .iter()
            .find(|c| c.field == "config.smtp.host" && c.old_value.is_some())
            .unwrap();
        assert_eq!(
            (
                host_change.old_value.as_deref(),
                host_change.new_value.as_deref()
            ),
            (Some("mail.acme.example"), Some("mail2.acme.example"))
        );
        assert!(
            detail
                .changes
                .iter()
                .all(|c| c.new_value.as_deref() != Some(SECRET)
                    && c.old_value.as_deref() != Some(SECRET))
        );

        let audit = audit_event::Entity::find().all(&db.db).await.unwrap();
        assert!(
            audit.iter().all(|e| !e.details.contains(SECRET)),
            "the secret never reaches the audit trail"
        );
        assert!(!format!("{detail:?}").contains(SECRET));
    }

    async fn a_secret_cannot_be_turned_into_a_plain_value(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        tenant_config::set(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            "api.key",
            SECRET,
            true,
        )
        .await
        .unwrap();
        crate::helpers::expect_field_error(
            tenant_config::set(
                &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
                &slug,
                "api.key",
                "visible",
                false,
            )
            .await,
            "secret",
        );
        tenant_config::remove(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            "api.key",
        )
        .await
        .unwrap();
        assert!(
            tenants::detail(
                &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
                &slug
            )
            .await
            .unwrap()
            .config
            .is_empty()
        );
    }

    async fn a_bad_key_is_a_field_error(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        crate::helpers::expect_field_error(
            tenant_config::set(
                &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
                &slug,
                "has space",
                "x",
                false,
            )
            .await,
            "key",
        );
    }

    crate::on_both_databases!(
        secrets_are_write_only_and_masked_everywhere,
        a_secret_cannot_be_turned_into_a_plain_value,
        a_bad_key_is_a_field_error,
    );
}

mod editing {
    use app::backend::audit::RequestContext;
    use app::backend::error::ServiceError;
    use app::backend::services::tenants;
    use app::model::tenants::TenantEditForm;

    use super::{admin, form, regions};
    use crate::helpers::TestDb;

    fn edit(name: &str) -> TenantEditForm {
        TenantEditForm {
            display_name: name.into(),
            plan_code: "professional".into(),
            labels: "pilot".into(),
            contact_technical: "noc@acme.example".into(),
            ..Default::default()
        }
    }

    async fn an_edit_records_each_changed_field_and_bumps_the_version(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        tenants::update(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            1,
            tenants::TenantEdit::try_from(&edit("Acme Production")),
        )
        .await
        .unwrap();
        let detail = tenants::detail(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            &slug,
        )
        .await
        .unwrap();
        assert_eq!(
            (
                detail.row.display_name.as_str(),
                detail.row.plan_code.as_str(),
                detail.version
            ),
            ("Acme Production", "professional", 2)
        );
        let mut fields: Vec<&str> = detail.changes.iter().map(|c| c.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["contacts", "display_name", "labels"]);
        assert!(detail.history.iter().any(|e| e.action == "tenant.update"));
    }

    async fn a_stale_edit_is_refused_and_changes_nothing(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        tenants::update(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            1,
            tenants::TenantEdit::try_from(&edit("First writer")),
        )
        .await
        .unwrap();
        match tenants::update(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            1,
            tenants::TenantEdit::try_from(&edit("Second writer")),
        )
        .await
        {
            Err(ServiceError::Conflict(message)) => assert!(message.contains("Reload")),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(
            tenants::detail(
                &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
                &slug
            )
            .await
            .unwrap()
            .row
            .display_name,
            "First writer"
        );
    }

    async fn an_unknown_plan_is_a_field_error(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        let slug = tenants::create(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &regions(),
            &form("acme-prod"),
        )
        .await
        .unwrap();
        let mut bad = edit("Acme");
        bad.plan_code = "platinum".into();
        match tenants::update(
            &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
            &slug,
            1,
            tenants::TenantEdit::try_from(&bad),
        )
        .await
        {
            Err(ServiceError::Validation(errors)) => {
                assert!(errors.for_field("plan_code").is_some())
            }
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    crate::on_both_databases!(
        an_edit_records_each_changed_field_and_bumps_the_version,
        a_stale_edit_is_refused_and_changes_nothing,
        an_unknown_plan_is_a_field_error,
    );
}

mod seeding {
    use app::backend::services::platform::seed::platform_admin;
    use app::backend::services::platform::seed::seed_demo;
    use app::backend::services::tenants;
    use app::model::tenants::TenantQuery;

    use super::{admin, regions};
    use crate::helpers::TestDb;

    async fn the_demo_set_spans_states_and_is_not_seeded_twice(db: TestDb) {
        admin(&db.db).await;
        let principal = platform_admin(&db.db).await.unwrap();
        assert_eq!(
            seed_demo(
                &app::backend::context::Ctx::of(&db.db, &principal, &Default::default()),
                &regions()
            )
            .await
            .unwrap(),
            60
        );
        assert_eq!(
            seed_demo(
                &app::backend::context::Ctx::of(&db.db, &principal, &Default::default()),
                &regions()
            )
            .await
            .unwrap(),
            0,
            "re-running adds nothing"
        );
        for (state, expected) in [
            ("draft", 6),
            ("maintenance", 6),
            ("suspended", 6),
            ("archived", 6),
            ("active", 36),
        ] {
            let page = tenants::list(
                &app::backend::context::Ctx::of(&db.db, &principal, &Default::default()),
                &TenantQuery {
                    state: Some(state.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(page.total, expected, "{state}");
        }
    }

    crate::on_both_databases!(the_demo_set_spans_states_and_is_not_seeded_twice);
}

mod bulk {
    use app::backend::audit::RequestContext;
    use app::backend::services::platform::work::finish_immediately as complete_pending_transitions;
    use app::backend::services::tenants;
    use app::domain::tenants::lifecycle::LifecycleAction;
    use app::domain::tenants::lifecycle::LifecycleState;
    use app::model::tenants::BulkOutcome;

    use super::{admin, form, regions};
    use crate::helpers::TestDb;

    async fn a_bulk_suspend_changes_the_eligible_and_explains_the_rest(db: TestDb) {
        let admin = admin(&db.db).await;
        let ctx = RequestContext::default();
        for slug in ["acme-a", "acme-b", "acme-draft"] {
            tenants::create(
                &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
                &regions(),
                &form(slug),
            )
            .await
            .unwrap();
        }
        for slug in ["acme-a", "acme-b"] {
            tenants::transition(
                &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
                slug,
                LifecycleAction::Activate,
                None,
                None,
            )
            .await
            .unwrap();
        }
        complete_pending_transitions(&db.db).await.unwrap();
        let selection: Vec<String> = ["acme-a", "acme-b", "acme-draft", "nope-nope"]
            .map(String::from)
            .to_vec();

        let preview = tenants::bulk_preview(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            LifecycleAction::Suspend,
            &selection,
        )
        .await
        .unwrap();
        let outcomes: Vec<&BulkOutcome> = preview.iter().map(|i| &i.outcome).collect();
        assert_eq!(outcomes[0], &BulkOutcome::Eligible);
        assert_eq!(outcomes[1], &BulkOutcome::Eligible);
        assert!(matches!(outcomes[2], BulkOutcome::Refused(reason) if reason.contains("draft")));
        assert_eq!(outcomes[3], &BulkOutcome::NotFound);

        assert_eq!(
            tenants::bulk_run(
                &app::backend::context::Ctx::of(&db.db, &admin, &ctx),
                LifecycleAction::Suspend,
                &selection
            )
            .await
            .unwrap(),
            2
        );
        let after = tenants::bulk_preview(
            &app::backend::context::Ctx::of(&db.db, &admin, &Default::default()),
            LifecycleAction::Suspend,
            &selection,
        )
        .await
        .unwrap();
        assert_eq!(after[0].outcome, BulkOutcome::AlreadyDone);
        assert_eq!(after[0].state, Some(LifecycleState::Suspended));
        assert_eq!(
            after[2].state,
            Some(LifecycleState::Draft),
            "the refused tenant is untouched"
        );
    }

    crate::on_both_databases!(a_bulk_suspend_changes_the_eligible_and_explains_the_rest);
}
