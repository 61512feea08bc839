//! The event stream: events are written with the change and its audit record
//! (a failed event write fails the change), numbered without gaps globally
//! and per tenant, carry the resource's state after the change, and are
//! pulled after a sequence number — a tenant's people only ever see their own
//! tenants' events.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::Value;

use crate::helpers::{ADMIN_EMAIL, TestApp, TestDb, admin_token, person, spawn_app, tenant_form};
use app::backend::context::Ctx;
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::tenants;
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::tenant::Region;

async fn admin(db: &DatabaseConnection) -> Principal {
    principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap()
}

async fn onboard(db: &DatabaseConnection, admin: &Principal, slug: &str) -> uuid::Uuid {
    let ctx = Ctx::of(db, admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    tenants::create(&ctx, &regions, &tenant_form(slug))
        .await
        .unwrap();
    tenants::resolve_tenant_id(&ctx, slug).await.unwrap().0
}

/// GET `path` with `token`; the status and the JSON body.
async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn types(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn sequences(page: &Value, field: &str) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[field].as_i64().unwrap())
        .collect()
}

async fn events_are_written_with_their_change_numbered_without_gaps_and_pulled_after_a_sequence(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let token = admin_token(&app).await;
    let acme = onboard(db, &admin, "acme").await;
    onboard(db, &admin, "globex").await;
    // A write that is rolled back leaves no event and no hole in the numbers.
    let txn = db.begin().await.unwrap();
    app::backend::audit::record(
        &txn,
        &Default::default(),
        app::backend::audit::AuditEntry::new((&admin).into(), "tenant.update", "tenant")
            .target(acme)
            .tenant(acme),
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    let ctx = Ctx::of(
        db,
        &admin,
        &app::backend::audit::RequestContext::named("req-77"),
    );
    tenants::tenant_config::set(&ctx, "acme", "feature.x", "on", false)
        .await
        .unwrap();

    let (status, page) = get(&app, &token, "/api/v1/events?after=0").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        types(&page),
        [
            "security.api_token_created",
            "tenant.created",
            "tenant.created",
            "tenant.updated"
        ],
        "the test's own API token came first"
    );
    assert_eq!(
        sequences(&page, "sequence"),
        [1, 2, 3, 4],
        "gap-free, in order"
    );
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .filter(|e| e["tenant_id"] == acme.to_string())
            .map(|e| e["tenant_sequence"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2],
        "each tenant counts its own events"
    );
    let updated = &items[3];
    assert_eq!(updated["data"]["state"]["slug"], "acme", "{updated}");
    assert_eq!(updated["data"]["state"]["lifecycle_state"], "draft");
    assert_eq!(updated["correlation_id"], "req-77");
    assert_eq!(updated["version"], 1);
    assert_eq!(page["next_after"], 4);

    // A consumer that saw 2 gets only what came after; filters narrow it.
    let (_, rest) = get(&app, &token, "/api/v1/events?after=3").await;
    assert_eq!(sequences(&rest, "sequence"), [4]);
    let (_, created) = get(&app, &token, "/api/v1/events?type=tenant.created").await;
    assert_eq!(sequences(&created, "sequence"), [2, 3]);
    let (_, of_acme) = get(&app, &token, "/api/v1/events?tenant=acme&type=tenant.*").await;
    assert_eq!(sequences(&of_acme, "sequence"), [2, 4]);
    let (status, bad) = get(&app, &token, "/api/v1/events?type=tenant.exploded").await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad.to_string().contains("is not an event type"),
        "the problem names the field: {bad}"
    );

    let (status, catalogue) = get(&app, &token, "/api/v1/event-types").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = catalogue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "tenant.state_changed",
        "change.rolled_back",
        "deployment.auto_rolled_back",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}

async fn a_failed_event_write_fails_the_change(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    db.execute_unprepared("ALTER TABLE events RENAME TO events_elsewhere")
        .await
        .unwrap();
    let ctx = Ctx::of(db, &admin, &Default::default());
    let regions = [Region::parse("eu-central-1").unwrap()];
    let refused = tenants::create(&ctx, &regions, &tenant_form("acme")).await;
    assert!(refused.is_err(), "{refused:?}");
    db.execute_unprepared("ALTER TABLE events_elsewhere RENAME TO events")
        .await
        .unwrap();
    assert_eq!(
        app::backend::entities::tenant::Entity::find()
            .all(db)
            .await
            .unwrap()
            .len(),
        0,
        "no tenant without its event"
    );
}

async fn a_tenant_s_people_pull_only_their_own_tenants_events(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let acme = onboard(db, &admin, "acme").await;
    onboard(db, &admin, "globex").await;
    let owner = person(
        db,
        "owner@acme.test",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    let token = app::backend::services::access::api_tokens::create(
        &Ctx::of(db, &owner, &Default::default()),
        "events",
        "",
        "",
    )
    .await
    .unwrap()
    .token;
    let (status, page) = get(&app, &token, "/api/v1/events").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant_id"] == acme.to_string()),
        "{page}"
    );
    assert_eq!(types(&page), ["tenant.created"]);
    let (status, _) = get(&app, &token, "/api/v1/events?tenant=globex").await;
    assert!(
        status == 404 || status == 403,
        "another tenant's stream is refused: {status}"
    );
}

/// The live feed: a reconnecting client (`Last-Event-ID`) gets the events
/// after the one it saw, and everyone gets their unread count.
async fn the_live_feed_resumes_after_the_last_event_id_and_carries_the_unread_count(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let token = admin_token(&app).await;
    onboard(db, &admin, "acme").await;
    onboard(db, &admin, "globex").await;
    let body = app
        .client
        .get(app.url("/api/v1/events/stream?max_wait=1"))
        .bearer_auth(&token)
        .header("last-event-id", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        body.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let text = body.text().await.unwrap();
    assert!(text.contains("event: unread\ndata: 0"), "{text}");
    assert!(
        text.contains("event: event\nid: 3\n") && !text.contains("id: 2\n"),
        "only what came after event 2: {text}"
    );
    assert!(text.contains("\"type\":\"tenant.created\""), "{text}");
    let (status, _) = get(&app, "not-a-token", "/api/v1/events/stream?max_wait=0").await;
    assert_eq!(status, 401);
}

/// The inbox of `who`: (kind, title).
async fn inbox_of(db: &DatabaseConnection, who: &Principal) -> Vec<(String, String)> {
    use sea_orm::{ColumnTrait, QueryFilter};
    app::backend::entities::notification::Entity::find()
        .filter(app::backend::entities::notification::Column::UserId.eq(who.user_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.kind.as_str().to_owned(), n.title))
        .collect()
}

async fn every_kind_a_person_can_choose_is_driven_by_an_event(db: TestDb) {
    use app::backend::services::changes;
    use app::backend::services::changes::update_policy;
    use app::backend::services::notifications::from_events::notify_new_events;
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let acme = onboard(db, &admin, "acme").await;
    let vendor = Ctx::of(db, &admin, &Default::default());
    tenants::transition(
        &vendor,
        "acme",
        app::domain::tenants::lifecycle::LifecycleAction::Activate,
        None,
        None,
    )
    .await
    .unwrap();
    let runner = app::backend::services::platform::work::ChangeRunner {
        db: db.clone(),
        executor: std::sync::Arc::new(app::backend::executor::Immediate),
        clock: std::sync::Arc::new(app::backend::context::SystemClock),
    };
    let work = || async {
        app::backend::services::platform::work::run_until_idle(
            db,
            &runner,
            &app::backend::jobs::WorkerSettings::new("test"),
        )
        .await
        .unwrap();
    };
    work().await;
    let boss = person(
        db,
        "boss@acme.test",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    update_policy::save(
        &Ctx::of(db, &boss, &Default::default()),
        "acme",
        update_policy::UpdatePolicySettings::try_from(&app::model::changes::UpdatePolicyForm {
            approval_mode: "all".into(),
            timezone: "UTC".into(),
            max_delay_days: "14".into(),
            auto_update: false,
            max_running_changes: String::new(),
        }),
    )
    .await
    .unwrap();
    // acme runs edge-gateway 5.1.0; the vendor asks to upgrade it and the
    // tenant's admin is asked to approve.
    let products = app::backend::services::platform::seed::seed_catalog(&vendor)
        .await
        .unwrap();
    crate::helpers::license(db, acme, products[0].0, "5.1.0").await;
    let change = changes::create(
        &vendor,
        crate::helpers::change_request(&app::model::changes::ChangeForm {
            tenant: "acme".into(),
            kind: "upgrade".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(change.status.as_str(), "pending_approval");
    // The tenant admin creates an API token: a security alert for them.
    app::backend::services::access::api_tokens::create(
        &Ctx::of(db, &boss, &Default::default()),
        "ci",
        "",
        "",
    )
    .await
    .unwrap();
    let round = notify_new_events(db, "https://portal.test", chrono::Utc::now())
        .await
        .unwrap();
    assert!(round.events > 0);
    let boss_inbox = inbox_of(db, &boss).await;
    assert!(
        boss_inbox
            .iter()
            .any(|(k, t)| k == "approval_requested" && t.contains("Approval needed")),
        "{boss_inbox:?}"
    );
    assert!(
        boss_inbox.iter().any(|(k, _)| k == "security_alert"),
        "{boss_inbox:?}"
    );
    let admin_inbox = inbox_of(db, &admin).await;
    assert!(
        admin_inbox
            .iter()
            .any(|(k, t)| k == "change_finished" && t.starts_with("Succeeded")),
        "the vendor's activation finished: {admin_inbox:?}"
    );
    assert!(
        !admin_inbox.iter().any(|(k, _)| k == "approval_requested"),
        "nobody is asked to approve their own request"
    );
    // Approved and run: the requester hears that it finished.
    changes::decide(
        &Ctx::of(db, &boss, &Default::default()),
        change.id,
        "approve",
        "fine",
    )
    .await
    .unwrap();
    work().await;
    notify_new_events(db, "https://portal.test", chrono::Utc::now())
        .await
        .unwrap();
    let finished = inbox_of(db, &admin)
        .await
        .into_iter()
        .filter(|(k, _)| k == "change_finished")
        .count();
    assert_eq!(finished, 2, "activation and the upgrade");
    // Each event notifies once: another round adds nothing.
    let before = inbox_of(db, &boss).await.len();
    notify_new_events(db, "https://portal.test", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(inbox_of(db, &boss).await.len(), before);
}

/// A person who chose a daily digest gets one email for a day's
/// notifications, at their hour, through the real SMTP server; critical
/// alerts still go at once.
async fn a_days_notifications_arrive_as_one_digest_email(db: TestDb) {
    use app::backend::entities::digest_setting;
    use app::backend::services::notifications::{digests, from_events, notification_prefs};
    use app::domain::notifications::digest::DigestSchedule;
    use app::domain::tenants::lifecycle::LifecycleAction;
    use sea_orm::{ActiveModelTrait, Set};

    let sink = crate::smtp_sink::SmtpSink::start();
    let vars = sink.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = crate::helpers::spawn_app_with(db, &vars).await;
    let db = &app.db;
    let admin = admin(db).await;
    let acme = onboard(db, &admin, "acme").await;
    let boss = person(
        db,
        "boss@acme.test",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    let as_boss = Ctx::of(db, &boss, &Default::default());
    // Finished changes by email, collected into a daily digest at 08:00 Berlin.
    notification_prefs::save(
        &as_boss,
        &["change_finished", "security_alert"],
        &["change_finished"],
    )
    .await
    .unwrap();
    digests::save_settings(
        &as_boss,
        DigestSchedule::parse("daily", "8", "mon", "Europe/Berlin"),
    )
    .await
    .unwrap();
    let settings = digests::settings(&as_boss).await.unwrap();
    assert_eq!(settings.description, "daily at 08:00 (Europe/Berlin)");
    let next = settings.next_digest_at.expect("a digest is scheduled");
    assert!(next > chrono::Utc::now());

    // The vendor activates acme and takes it through maintenance: three
    // changes finish on the tenant.
    let vendor = Ctx::of(db, &admin, &Default::default());
    let runner = app::backend::services::platform::work::ChangeRunner {
        db: db.clone(),
        executor: std::sync::Arc::new(app::backend::executor::Immediate),
        clock: std::sync::Arc::new(app::backend::context::SystemClock),
    };
    for action in [
        LifecycleAction::Activate,
        LifecycleAction::EnterMaintenance,
        LifecycleAction::ExitMaintenance,
    ] {
        tenants::transition(&vendor, "acme", action, None, None)
            .await
            .unwrap();
        app::backend::services::platform::work::run_until_idle(
            db,
            &runner,
            &app::backend::jobs::WorkerSettings::new("test"),
        )
        .await
        .unwrap();
    }
    // The tenant admin creates an API token: a security alert, emailed at once.
    app::backend::services::access::api_tokens::create(&as_boss, "ci", "", "")
        .await
        .unwrap();
    let round = from_events::notify_new_events(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(round.held_for_digest, 3, "{round:?}");
    sink.wait_for("boss@acme.test", "An API token was created")
        .await;
    assert_eq!(
        sink.count_to("boss@acme.test"),
        1,
        "nothing else went at once"
    );

    // Not before the chosen hour …
    let early = digests::send_due(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(early.sent, 0);
    // … and once it has come (the day passes), one email with them all.
    digest_setting::ActiveModel {
        user_id: Set(boss.user_id),
        next_digest_at: Set(Some(chrono::Utc::now() - chrono::Duration::minutes(1))),
        ..Default::default()
    }
    .update(db)
    .await
    .unwrap();
    let due = digests::send_due(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!((due.sent, due.items), (1, 3));
    let digest = sink
        .wait_for(
            "boss@acme.test",
            "Your daily Tenantry digest: 3 notifications",
        )
        .await;
    assert!(
        digest.contains("3 =C3=97 Changes finished") || digest.contains("3 × Changes finished"),
        "{digest}"
    );
    assert!(
        digest.contains("/changes/"),
        "links to each change: {digest}"
    );
    assert!(digest.contains("Succeeded"), "{digest}");
    // Sent once: the next one is tomorrow's, and nothing is left waiting.
    let again = digests::send_due(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(again.sent, 0);
    let after = digests::settings(&as_boss).await.unwrap();
    assert_eq!(after.pending, 0);
    assert!(after.next_digest_at.unwrap() > chrono::Utc::now());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        sink.count_to("boss@acme.test"),
        2,
        "one alert and one digest, never one per event"
    );
}

/// A published release tells the people of each tenant running an older
/// version what it means for them; a sign-in from a new address alerts the
/// account's owner (the very first sign-in is not news).
async fn new_releases_and_new_sign_in_addresses_notify_the_people_they_concern(db: TestDb) {
    use app::backend::audit::RequestContext;
    use app::backend::services::access::auth::authenticate;
    use app::backend::services::notifications::from_events::notify_new_events;
    use app::backend::services::releases::catalog;
    use app::backend::state::AccountSettings;
    use app::domain::tenants::lifecycle::LifecycleAction;

    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let vendor = Ctx::of(db, &admin, &Default::default());
    let acme = onboard(db, &admin, "acme").await;
    let globex = onboard(db, &admin, "globex").await;
    for slug in ["acme", "globex"] {
        tenants::transition(&vendor, slug, LifecycleAction::Activate, None, None)
            .await
            .unwrap();
    }
    let password = "a long enough password 1";
    let boss = person(
        db,
        "boss@acme.test",
        password,
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    let gil = person(
        db,
        "gil@globex.test",
        password,
        BuiltinRole::TenantAdmin,
        Some(globex),
    )
    .await;
    let products = app::backend::services::platform::seed::seed_catalog(&vendor)
        .await
        .unwrap();
    notify_new_events(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    // acme runs Edge Gateway 5.1.0; globex does not run it.
    crate::helpers::license(db, acme, products[0].0, "5.1.0").await;
    let offers = |inbox: Vec<(String, String)>| -> Vec<String> {
        inbox
            .into_iter()
            .filter(|(kind, _)| kind == "update_available")
            .map(|(_, title)| title)
            .collect()
    };
    assert!(offers(inbox_of(db, &boss).await).is_empty());

    catalog::save_release(
        &vendor,
        catalog::PublishRelease::try_from(&app::model::releases::catalog::ReleaseForm {
            product_id: products[0].0,
            version: "5.3.0".into(),
            released_on: chrono::Utc::now().date_naive().to_string(),
            components: "api=5.3.0".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    notify_new_events(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        offers(inbox_of(db, &boss).await),
        ["Edge Gateway 5.3.0 is available for Tenant acme (runs 5.1.0)"]
    );
    assert!(
        offers(inbox_of(db, &gil).await).is_empty(),
        "globex runs no Edge Gateway"
    );
    let body = app::backend::entities::notification::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.user_id == boss.user_id && n.kind.as_str() == "update_available")
        .unwrap();
    assert!(
        body.body.contains("a minor upgrade from 5.1.0"),
        "{}",
        body.body
    );
    assert!(
        body.body.contains("5.1.0 reaches end of life on"),
        "{}",
        body.body
    );
    assert_eq!(body.link, "/tenants/acme/upgrade");

    // Sign-ins from a first address, a second one, and the first again.
    for address in ["198.51.100.7", "203.0.113.9", "198.51.100.7"] {
        authenticate(
            db,
            &RequestContext {
                request_id: None,
                client_address: Some(address.to_owned()),
            },
            &AccountSettings::default(),
            "boss@acme.test",
            password,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    notify_new_events(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    let alerts: Vec<String> = inbox_of(db, &boss)
        .await
        .into_iter()
        .filter(|(kind, title)| kind == "security_alert" && title.starts_with("New sign-in"))
        .map(|(_, title)| title)
        .collect();
    assert_eq!(alerts, ["New sign-in from 203.0.113.9"]);
}

/// Compliance moves are events: a status change once (not at every hourly
/// assessment), a grace warning once on each warning day, and the tenant's
/// people hear about the grace running out.
async fn compliance_changes_and_expiring_grace_are_events(db: TestDb) {
    use app::backend::entities::{compliance_status, event};
    use app::backend::services::notifications::from_events::notify_new_events;
    use app::backend::services::releases::compliance::{Reach, assess};
    use app::domain::tenants::lifecycle::LifecycleAction;
    use sea_orm::{ColumnTrait, QueryFilter};

    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let vendor = Ctx::of(db, &admin, &Default::default());
    let acme = onboard(db, &admin, "acme").await;
    tenants::transition(&vendor, "acme", LifecycleAction::Activate, None, None)
        .await
        .unwrap();
    let boss = person(
        db,
        "boss@acme.test",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    let products = app::backend::services::platform::seed::seed_catalog(&vendor)
        .await
        .unwrap();
    // 5.0.0 reached its end of life 12 days ago: acme is in its grace period.
    crate::helpers::license(db, acme, products[0].0, "5.0.0").await;
    let of_type = |name: &'static str| async move {
        event::Entity::find()
            .filter(event::Column::EventType.eq(name))
            .filter(event::Column::TenantId.eq(acme))
            .all(db)
            .await
            .unwrap()
    };
    let now = chrono::Utc::now();
    assess(db, Reach::All, now).await.unwrap();
    let changed = of_type("compliance.status_changed").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    let data: Value = serde_json::from_str(&changed[0].data).unwrap();
    assert_eq!(data["details"]["from"], Value::Null);
    assert_eq!(data["details"]["to"], "in_grace");
    assert_eq!(data["state"]["running_version"], "5.0.0");
    assess(db, Reach::All, now).await.unwrap();
    assert_eq!(
        of_type("compliance.status_changed").await.len(),
        1,
        "the hourly re-run is not news"
    );

    // On the day a week before the grace ends, one warning however often it runs.
    let status = compliance_status::Entity::find_by_id((acme, products[0].0))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let days_left = status.days_left.expect("in grace");
    let warning_day = now + chrono::Duration::days(days_left - 7);
    assess(db, Reach::All, warning_day).await.unwrap();
    assess(db, Reach::All, warning_day + chrono::Duration::minutes(60))
        .await
        .unwrap();
    let warnings = of_type("compliance.grace_expiring").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // Six days left: no warning; three days left: the next one.
    assess(db, Reach::All, warning_day + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(of_type("compliance.grace_expiring").await.len(), 1);
    for _ in 0..2 {
        assess(db, Reach::All, warning_day + chrono::Duration::days(4))
            .await
            .unwrap();
    }
    assert_eq!(of_type("compliance.grace_expiring").await.len(), 2);
    notify_new_events(db, &app.address, chrono::Utc::now())
        .await
        .unwrap();
    let inbox = inbox_of(db, &boss).await;
    assert!(
        inbox.iter().any(|(kind, title)| kind == "eol_notice"
            && title == "Grace for Edge Gateway on Tenant acme ends in 7 days"),
        "{inbox:?}"
    );
}

crate::on_both_databases!(
    compliance_changes_and_expiring_grace_are_events,
    new_releases_and_new_sign_in_addresses_notify_the_people_they_concern,
    a_days_notifications_arrive_as_one_digest_email,
    the_live_feed_resumes_after_the_last_event_id_and_carries_the_unread_count,
    every_kind_a_person_can_choose_is_driven_by_an_event,
    events_are_written_with_their_change_numbered_without_gaps_and_pulled_after_a_sequence,
    a_failed_event_write_fails_the_change,
    a_tenant_s_people_pull_only_their_own_tenants_events,
);
