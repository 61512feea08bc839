//! Signed webhooks, end to end against a real receiver on loopback that
//! checks every signature on its own (its own HMAC, not the code that signs),
//! dedupes by `webhook-id` and answers what it is told to: deliveries in
//! sequence order, the same id on a retry, the retry schedule and
//! `Retry-After` under an injected clock, 410 disabling the endpoint, and a
//! tenant's endpoint hearing that tenant only.

use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::Duration;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::{ADMIN_EMAIL, TestDb, person, spawn_app, tenant_form};
use app::backend::context::{Clock, Ctx, ManualClock};
use app::backend::entities::webhook_delivery;
use app::backend::error::ServiceError;
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::events::webhooks;
use app::backend::services::tenants;
use app::domain::access::permission::BuiltinRole;
use app::domain::tenants::tenant::Region;
use app::model::events::EndpointForm;

/// What the receiver got: (webhook-id, event type, sequence, tenant_id), in arrival order.
type Received = Arc<Mutex<Vec<(String, String, i64, Option<String>)>>>;

/// A webhook receiver: verifies `webhook-signature` with the secret it is
/// given, answers the queued statuses first (then 200), and records what it
/// accepted.
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    answers: Arc<Mutex<Vec<(u16, Option<&'static str>)>>>,
    received: Received,
    bad_signatures: Arc<Mutex<usize>>,
    /// Every accepted POST, duplicates included.
    posts: Arc<Mutex<usize>>,
    /// How long each answer takes.
    pace: Arc<Mutex<std::time::Duration>>,
    server: tokio::task::JoinHandle<()>,
}

/// Standard Webhooks verification, written here independently.
fn verify(secret: &str, headers: &axum::http::HeaderMap, body: &str) -> bool {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signatures) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    signatures
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

impl Receiver {
    async fn start() -> Self {
        let secret = Arc::new(Mutex::new(String::new()));
        let answers: Arc<Mutex<Vec<(u16, Option<&'static str>)>>> = Arc::default();
        let received: Received = Arc::default();
        let bad = Arc::new(Mutex::new(0));
        let posts = Arc::new(Mutex::new(0));
        let (s, a, r, b) = (
            secret.clone(),
            answers.clone(),
            received.clone(),
            bad.clone(),
        );
        let p = posts.clone();
        let pace: Arc<Mutex<std::time::Duration>> = Arc::default();
        let slow = pace.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (s, a, r, b, p) = (s.clone(), a.clone(), r.clone(), b.clone(), p.clone());
                let wait = *slow.lock().unwrap();
                async move {
                    tokio::time::sleep(wait).await;
                    if !verify(&s.lock().unwrap(), &headers, &body) {
                        *b.lock().unwrap() += 1;
                        return axum::response::Response::builder()
                            .status(400)
                            .body(axum::body::Body::from("bad signature"))
                            .unwrap();
                    }
                    let queued = {
                        let mut a = a.lock().unwrap();
                        (!a.is_empty()).then(|| a.remove(0))
                    };
                    let (status, retry_after) = queued.unwrap_or((200, None));
                    if status == 200 {
                        *p.lock().unwrap() += 1;
                        let event: Value = serde_json::from_str(&body).unwrap();
                        let id = headers["webhook-id"].to_str().unwrap().to_owned();
                        let mut r = r.lock().unwrap();
                        if !r.iter().any(|(seen, ..)| *seen == id) {
                            r.push((
                                id,
                                event["type"].as_str().unwrap().to_owned(),
                                event["sequence"].as_i64().unwrap(),
                                event["tenant_id"].as_str().map(str::to_owned),
                            ));
                        }
                    }
                    let mut answer = axum::response::Response::builder().status(status);
                    if let Some(seconds) = retry_after {
                        answer = answer.header("retry-after", seconds);
                    }
                    answer
                        .body(axum::body::Body::from(format!("answered {status}")))
                        .unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            secret,
            answers,
            received,
            bad_signatures: bad,
            posts,
            pace,
            server,
        }
    }

    fn answer_next(&self, status: u16, retry_after: Option<&'static str>) {
        self.answers.lock().unwrap().push((status, retry_after));
    }

    fn received(&self) -> Vec<(String, String, i64, Option<String>)> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn admin(db: &DatabaseConnection) -> Principal {
    principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap()
}

async fn onboard(db: &DatabaseConnection, admin: &Principal, slug: &str) -> uuid::Uuid {
    let ctx = Ctx::of(db, admin, &Default::default());
    tenants::create(
        &ctx,
        &[Region::parse("eu-central-1").unwrap()],
        &tenant_form(slug),
    )
    .await
    .unwrap();
    tenants::resolve_tenant_id(&ctx, slug).await.unwrap().0
}

async fn subscribe(ctx: &Ctx, receiver: &Receiver, tenant: &str, types: &str) -> uuid::Uuid {
    let created = webhooks::create(
        ctx,
        &EndpointForm {
            tenant: tenant.into(),
            url: receiver.url.clone(),
            description: "test receiver".into(),
            event_types: types.into(),
        },
    )
    .await
    .unwrap();
    assert!(created.secret.starts_with("whsec_") && created.secret.len() >= 38);
    *receiver.secret.lock().unwrap() = created.secret;
    created.endpoint.id
}

async fn deliver(db: &DatabaseConnection, clock: &Arc<ManualClock>) -> webhooks::DeliveryRound {
    webhooks::deliver_due(db, clock.clone() as Arc<dyn Clock>, 4)
        .await
        .unwrap()
}

async fn deliveries_arrive_signed_in_sequence_order_and_a_retry_keeps_its_id(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let receiver = Receiver::start().await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let endpoint = subscribe(&ctx, &receiver, "", "tenant.created").await;
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));

    receiver.answer_next(500, None);
    for slug in ["acme", "globex", "initech"] {
        onboard(db, &admin, slug).await;
    }
    let first = deliver(db, &clock).await;
    assert_eq!(
        (first.attempted, first.delivered),
        (1, 0),
        "the first event failed; the later ones wait behind it"
    );
    assert!(receiver.received().is_empty());
    // Not due yet: nothing is sent before the schedule says so.
    clock.advance(Duration::seconds(4));
    assert_eq!(deliver(db, &clock).await.attempted, 0);
    clock.advance(Duration::seconds(2));
    let second = deliver(db, &clock).await;
    assert_eq!((second.attempted, second.delivered), (3, 3));
    let got = receiver.received();
    assert_eq!(
        got.iter()
            .map(|(_, t, s, _)| (t.as_str(), *s))
            .collect::<Vec<_>>(),
        [
            ("tenant.created", 1),
            ("tenant.created", 2),
            ("tenant.created", 3)
        ],
        "in sequence order"
    );
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
    let detail = webhooks::detail(&ctx, endpoint, &Default::default())
        .await
        .unwrap();
    assert_eq!(detail.attempts.len(), 4, "one retry, three successes");
    let failed = detail
        .attempts
        .iter()
        .find(|a| a.status_code == Some(500))
        .unwrap();
    assert_eq!(failed.response_excerpt, "answered 500");
    assert_eq!(
        failed.event_id.to_string(),
        got[0].0,
        "the retry carried the same webhook-id"
    );
    assert_eq!(detail.endpoint.pending, 0);
    assert!(
        detail.endpoint.failing_since.is_none(),
        "a success resets it"
    );
    // The log narrows to an outcome and to event types, in pages.
    let log = |outcome: &str, types: &str| {
        let query = app::model::events::AttemptQuery {
            outcome: Some(outcome.to_owned()).filter(|o| !o.is_empty()),
            event_type: Some(types.to_owned()).filter(|t| !t.is_empty()),
            page: None,
        };
        let ctx = ctx.clone();
        async move { webhooks::detail(&ctx, endpoint, &query).await }
    };
    let failed = log("failed", "").await.unwrap();
    assert_eq!(
        (failed.total, failed.attempts[0].status_code),
        (1, Some(500))
    );
    assert_eq!(log("delivered", "tenant.*").await.unwrap().total, 3);
    assert_eq!(log("", "change.*").await.unwrap().total, 0);
    assert!(matches!(
        log("maybe", "").await,
        Err(app::backend::error::ServiceError::Validation(_))
    ));

    // A rotated secret: both signatures are sent while the old one overlaps.
    let rotated = webhooks::rotate_secret(&ctx, endpoint).await.unwrap();
    onboard(db, &admin, "umbrella").await;
    deliver(db, &clock).await;
    assert_eq!(
        receiver.received().len(),
        4,
        "the old secret still verifies"
    );
    *receiver.secret.lock().unwrap() = rotated.secret;
    onboard(db, &admin, "hooli").await;
    deliver(db, &clock).await;
    assert_eq!(receiver.received().len(), 5, "and so does the new one");
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);

    // "Send test event" reaches this endpoint alone, past its type filter.
    let test_event = webhooks::send_test(&ctx, endpoint).await.unwrap();
    deliver(db, &clock).await;
    let last = receiver.received().pop().unwrap();
    assert_eq!(
        (last.0, last.1.as_str()),
        (test_event.to_string(), "webhook.test")
    );

    // A consumer that lost its data asks for everything from sequence 2:
    // the four tenant.created events from there come again, each with its
    // own webhook-id (the test event is not part of the stream).
    let posts_before = *receiver.posts.lock().unwrap();
    assert_eq!(webhooks::replay_from(&ctx, endpoint, 2).await.unwrap(), 4);
    deliver(db, &clock).await;
    assert_eq!(*receiver.posts.lock().unwrap() - posts_before, 4);
    assert_eq!(
        receiver.received().len(),
        6,
        "the consumer recognised every replayed id"
    );
    assert!(matches!(
        webhooks::replay_from(&ctx, endpoint, 0).await,
        Err(app::backend::error::ServiceError::Validation(_))
    ));
}

async fn retry_after_is_honoured_410_disables_and_the_schedule_ends_in_the_dead_letters(
    db: TestDb,
) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let receiver = Receiver::start().await;
    let ctx = Ctx::of(db, &admin, &Default::default());
    let endpoint = subscribe(&ctx, &receiver, "", "tenant.*").await;
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));

    receiver.answer_next(429, Some("120"));
    onboard(db, &admin, "acme").await;
    deliver(db, &clock).await;
    let waiting = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ((waiting.next_attempt_at - clock.now()).num_milliseconds() + 500) / 1000,
        120,
        "Retry-After asked for longer than the schedule's 5 s"
    );

    // Every attempt fails: after the eighth the delivery is a dead letter.
    for _ in 0..8 {
        receiver.answer_next(503, None);
    }
    for _ in 0..8 {
        clock.advance(Duration::hours(11));
        deliver(db, &clock).await;
    }
    let dead = webhook_delivery::Entity::find_by_id(waiting.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dead.status.as_str(), dead.attempts), ("dead", 8));
    // Requeued, it is sent again and delivered.
    receiver.answers.lock().unwrap().clear();
    assert_eq!(webhooks::requeue(&ctx, endpoint, None).await.unwrap(), 1);
    deliver(db, &clock).await;
    assert_eq!(receiver.received().len(), 1);

    // 410 Gone disables the endpoint at once, with an event saying so.
    receiver.answer_next(410, None);
    onboard(db, &admin, "globex").await;
    deliver(db, &clock).await;
    let view = webhooks::detail(&ctx, endpoint, &Default::default())
        .await
        .unwrap()
        .endpoint;
    assert!(!view.enabled);
    assert!(
        view.disabled_reason.as_deref().unwrap().contains("410"),
        "{view:?}"
    );
    let page = app::backend::services::events::page(
        &ctx,
        &app::model::events::EventQuery {
            types: "webhook.*".into(),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].event_type, "webhook.endpoint_disabled");
}

async fn a_tenant_s_endpoint_hears_only_its_own_tenant(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.db;
    let admin = admin(db).await;
    let acme = onboard(db, &admin, "acme").await;
    let owner = person(
        db,
        "owner@acme.test",
        "a long enough password 1",
        BuiltinRole::TenantAdmin,
        Some(acme),
    )
    .await;
    let own = Ctx::of(db, &owner, &Default::default());
    let receiver = Receiver::start().await;
    let refused = webhooks::create(
        &own,
        &EndpointForm {
            url: receiver.url.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(ServiceError::Forbidden | ServiceError::Refused(_))
        ),
        "a tenant admin cannot hear every tenant: {refused:?}"
    );
    let stranger = webhooks::create(
        &own,
        &EndpointForm {
            tenant: "globex".into(),
            url: receiver.url.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(stranger.is_err(), "{stranger:?}");
    subscribe(&own, &receiver, "acme", "").await;
    let bad = webhooks::create(
        &own,
        &EndpointForm {
            tenant: "acme".into(),
            url: "ftp://files.example".into(),
            event_types: "tenant.nope".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(bad, Err(ServiceError::Validation(ref f))
            if f.for_field("url").is_some() && f.for_field("event_types").is_some()),
        "{bad:?}"
    );

    onboard(db, &admin, "globex").await;
    app::backend::services::tenants::tenant_config::set(
        &Ctx::of(db, &admin, &Default::default()),
        "acme",
        "feature.x",
        "on",
        false,
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
    deliver(db, &clock).await;
    let got = receiver.received();
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|(.., tenant)| tenant.as_deref() == Some(acme.to_string().as_str())),
        "only acme's events: {got:?}"
    );
    assert_eq!(
        got.iter().map(|(_, t, ..)| t.as_str()).collect::<Vec<_>>(),
        ["tenant.updated"],
        "subscribed after acme's creation; globex's creation is not acme's"
    );
}

/// Waits until the receiver holds `count` distinct events.
async fn received_at_least(receiver: &Receiver, count: usize, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while receiver.received().len() < count {
        assert!(
            started.elapsed() < limit,
            "only {} of {count} events arrived in {limit:?}",
            receiver.received().len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_kill_9_during_a_burst_loses_no_event_and_keeps_the_order(db: TestDb) {
    let app = spawn_app(db).await;
    let db = &app.test_db;
    let admin = admin(&db.db).await;
    let ctx = Ctx::of(&db.db, &admin, &Default::default());
    onboard(&db.db, &admin, "acme").await;
    let receiver = Receiver::start().await;
    // Slow enough that the kill lands mid-burst however fast delivery is.
    *receiver.pace.lock().unwrap() = std::time::Duration::from_millis(15);
    subscribe(&ctx, &receiver, "", "tenant.updated").await;
    let burst = 1_000;
    for i in 0..burst {
        app::backend::services::tenants::tenant_config::set(
            &ctx,
            "acme",
            &format!("burst.k{}", i % 40),
            &i.to_string(),
            false,
        )
        .await
        .unwrap();
    }
    let mut server = crate::helpers::spawn_server(&db.url, &[]);
    received_at_least(&receiver, 150, std::time::Duration::from_secs(120)).await;
    server.kill().expect("kill -9");
    server.wait().unwrap();
    let at_kill = receiver.received().len();
    assert!(at_kill < burst, "killed mid-burst ({at_kill})");

    let mut restarted = crate::helpers::spawn_server(&db.url, &[]);
    received_at_least(&receiver, burst, std::time::Duration::from_secs(240)).await;
    restarted.kill().ok();
    restarted.wait().ok();

    let got = receiver.received();
    let sequences: Vec<i64> = got.iter().map(|(_, _, s, _)| *s).collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "first deliveries arrived in sequence order"
    );
    let posts = *receiver.posts.lock().unwrap();
    assert!(posts >= burst);
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
    eprintln!(
        "webhook crash drill: {at_kill} of {burst} delivered at kill -9; {} duplicate POST(s) after the restart, each with its event's webhook-id",
        posts - burst
    );
}

/// The CLI is one more door onto the same services: it subscribes, sends a
/// test event, shows the log, and tails the event stream.
async fn the_cli_subscribes_tests_and_tails_the_stream(db: TestDb) {
    let app = spawn_app(db).await;
    let token = crate::helpers::admin_token(&app).await;
    let admin = admin(&app.db).await;
    onboard(&app.db, &admin, "acme").await;
    let receiver = Receiver::start().await;
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .env("TENANTRY_URL", &app.address)
            .env("TENANTRY_TOKEN", &token)
            .env("DATABASE_URL", "sqlite::memory:")
            .output()
            .expect("run tenantry");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let created = cli(&[
        "webhooks",
        "create",
        "--target",
        &receiver.url,
        "--type",
        "tenant.*",
    ]);
    let secret = created
        .lines()
        .find_map(|l| l.strip_prefix("Signing secret (shown once): "))
        .expect("the secret is printed once")
        .to_owned();
    *receiver.secret.lock().unwrap() = secret;
    let id = created
        .split_whitespace()
        .nth(2)
        .unwrap()
        .trim_end_matches('.')
        .to_owned();
    assert!(cli(&["webhooks", "list"]).contains(&receiver.url));
    assert!(cli(&["webhooks", "test", &id]).starts_with("Test event"));
    let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
    deliver(&app.db, &clock).await;
    assert!(
        cli(&["webhooks", "show", &id]).contains("webhook.test"),
        "the attempt is in the log"
    );
    let tail = cli(&["events", "tail", "--after", "0", "--type", "tenant.*"]);
    assert!(tail.contains("tenant.created"), "{tail}");
    assert!(!tail.contains("webhook.test"), "filtered by type: {tail}");
}

crate::on_both_databases!(
    the_cli_subscribes_tests_and_tails_the_stream,
    a_kill_9_during_a_burst_loses_no_event_and_keeps_the_order,
    deliveries_arrive_signed_in_sequence_order_and_a_retry_keeps_its_id,
    retry_after_is_honoured_410_disables_and_the_schedule_ends_in_the_dead_letters,
    a_tenant_s_endpoint_hears_only_its_own_tenant,
);
