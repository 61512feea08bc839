//! Change requests, the job engine and rollouts, end to end: approvals by
//! someone other than the requester, scheduling into maintenance windows,
//! execution step by step through an executor, rollouts that advance wave by
//! wave and halt on their error threshold, and a rollout that survives a
//! `kill -9` of the server with every target executed exactly once.

use app::domain::rollouts::rollout::{RolloutAction, RolloutStatus, TargetStatus};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    ADMIN_EMAIL, TestDb, change_request, filter_change_request, new_rollout, spawn_app,
    spawn_server, tenant_form,
};
use app::backend::audit::RequestContext;
use app::backend::entities::{
    audit_event, change_request, change_step, endpoint_product, executor_run, job, rollout,
    rollout_target, tenant_product,
};
use app::backend::error::ServiceError;
use app::backend::executor::Simulator;
use app::backend::jobs::{self, Backoff, Fate, JobSpec, WorkerSettings};
use app::backend::principal::Principal;
use app::backend::services::access::auth::principal_by_email;
use app::backend::services::access::users;
use app::backend::services::changes;
use app::backend::services::changes::delays;
use app::backend::services::changes::update_policy;
use app::backend::services::platform::seed;
use app::backend::services::platform::work::ChangeRunner;
use app::backend::services::platform::work::run_until_idle;
use app::backend::services::rollouts;
use app::backend::services::tenants;
use app::backend::services::tenants::agents;
use app::backend::services::tenants::saved_filters;
use app::domain::access::permission::BuiltinRole;
use app::domain::changes::change::{ChangeKind, ChangeStatus};
use app::domain::changes::decision::DelayResult;
use app::domain::tenants::agent::RawReport;
use app::domain::tenants::tenant::Region;
use app::model::changes::{ChangeForm, ChangeQuery, SavedFilterForm, UpdatePolicyForm};
use app::model::rollouts::RolloutForm;

const PASSWORD: &str = "a long enough password";

fn ctx() -> RequestContext {
    RequestContext::default()
}

pub(crate) async fn admin(db: &DatabaseConnection) -> Principal {
    users::ensure_first_admin(db, Some(ADMIN_EMAIL), Some(PASSWORD), chrono::Utc::now())
        .await
        .unwrap();
    principal_by_email(db, ADMIN_EMAIL).await.unwrap().unwrap()
}

async fn person(
    db: &DatabaseConnection,
    email: &str,
    role: BuiltinRole,
    tenant: Option<Uuid>,
) -> Principal {
    crate::helpers::person(db, email, PASSWORD, role, tenant).await
}

/// `count` active tenants (`t-000` …) licensing the demo catalog, every one
/// running edge-gateway 5.1.0. Tenants whose number is in `failing` carry the
/// simulator's failure label.
pub(crate) async fn fleet(
    db: &DatabaseConnection,
    admin: &Principal,
    count: usize,
    failing: &[usize],
) -> Vec<Uuid> {
    let regions = [Region::parse("eu-central-1").unwrap()];
    for i in 0..count {
        let slug = format!("t-{i:03}");
        let labels = if failing.contains(&i) {
            "simulate-failure"
        } else {
            "pilot"
        };
        let form = app::model::tenants::NewTenantForm {
            labels: labels.into(),
            ..tenant_form(&slug)
        };
        tenants::create(
            &app::backend::context::Ctx::of(db, admin, &ctx()),
            &regions,
            &form,
        )
        .await
        .unwrap();
    }
    // Fixture: the lifecycle to "active" is tested elsewhere; here only the
    // starting point matters.
    db.execute_unprepared("UPDATE tenants SET lifecycle_state = 'active'")
        .await
        .unwrap();
    let products = seed::seed_catalog(&app::backend::context::Ctx::of(
        db,
        admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    seed::seed_fleet(db, &products, 0, chrono::Utc::now())
        .await
        .unwrap();
    tenant_product::Entity::update_many()
        .col_expr(tenant_product::Column::RunningVersion, Some("5.1.0").into())
        .filter(tenant_product::Column::ProductId.eq(products[0].0))
        .exec(db)
        .await
        .unwrap();
    let mut ids = vec![];
    for i in 0..count {
        ids.push(
            tenants::detail(
                &app::backend::context::Ctx::of(db, admin, &Default::default()),
                &format!("t-{i:03}"),
            )
            .await
            .unwrap()
            .row
            .id,
        );
    }
    ids
}

fn runner(db: &DatabaseConnection) -> ChangeRunner {
    ChangeRunner {
        db: db.clone(),
        executor: Arc::new(Simulator::new(db.clone(), StdDuration::ZERO, 0.0)),
        clock: Arc::new(app::backend::context::SystemClock),
    }
}

fn settings(owner: &str) -> WorkerSettings {
    let mut settings = WorkerSettings::new(owner);
    settings.backoff = Backoff {
        base: Duration::milliseconds(1),
        cap: Duration::milliseconds(5),
    };
    settings
}

pub(crate) fn upgrade(tenant: &str) -> ChangeForm {
    ChangeForm {
        tenant: tenant.into(),
        kind: "upgrade".into(),
        product: "edge-gateway".into(),
        target_version: "5.2.0".into(),
        ..Default::default()
    }
}

async fn running_version(db: &DatabaseConnection, tenant: Uuid) -> Option<String> {
    tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(tenant))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .find(|tp| {
            tp.running_version
                .as_deref()
                .is_some_and(|v| v.starts_with('5'))
        })
        .and_then(|tp| tp.running_version)
}

async fn jobs_are_claimed_once_retried_with_backoff_and_dead_after_their_last_attempt(db: TestDb) {
    let db = &db.db;
    let spec = JobSpec {
        kind: "test.work",
        payload: json!({ "n": 1 }),
        key: "work-1".into(),
        run_at: Utc::now(),
        max_attempts: 2,
    };
    assert!(jobs::enqueue(db, spec.clone(), Utc::now()).await.unwrap());
    assert!(
        !jobs::enqueue(db, spec, Utc::now()).await.unwrap(),
        "the same key is one job"
    );

    let lease = Duration::seconds(30);
    let now = Utc::now();
    let first = jobs::claim(db, "worker-a", lease, 10, now).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempt, 1);
    assert!(
        jobs::claim(db, "worker-b", lease, 10, now)
            .await
            .unwrap()
            .is_empty(),
        "leased jobs are not handed out twice"
    );

    let backoff = Backoff {
        base: Duration::seconds(10),
        cap: Duration::minutes(1),
    };
    let fate = jobs::fail(db, &first[0], "boom", &backoff, now)
        .await
        .unwrap();
    let Fate::RetryAt(at) = fate else {
        panic!("expected a retry, got {fate:?}")
    };
    assert!(
        at >= now + Duration::seconds(5) && at <= now + Duration::seconds(11),
        "{at}"
    );
    assert!(
        jobs::claim(db, "worker-b", lease, 10, Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "not before its backoff"
    );

    let second = jobs::claim(db, "worker-b", lease, 10, at + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(second[0].attempt, 2);
    assert_eq!(
        jobs::fail(db, &second[0], "boom again", &backoff, at)
            .await
            .unwrap(),
        Fate::Dead
    );
    let stats = jobs::stats(db, Utc::now()).await.unwrap();
    assert_eq!((stats.dead, stats.due, stats.running), (1, 0, 0));

    let retried = jobs::retry(db, second[0].id, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!((retried.status.as_str(), retried.attempts), ("queued", 0));
    jobs::cancel(db, retried.id, chrono::Utc::now())
        .await
        .unwrap();
    assert!(matches!(
        jobs::cancel(db, retried.id, chrono::Utc::now()).await,
        Err(ServiceError::Conflict(_))
    ));
}

async fn an_expired_lease_is_reclaimed_and_its_old_owner_is_fenced_out(db: TestDb) {
    let db = &db.db;
    jobs::enqueue(
        db,
        JobSpec {
            kind: "test.work",
            payload: json!({}),
            key: "work-2".into(),
            run_at: Utc::now(),
            max_attempts: 5,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let now = Utc::now();
    let lost = jobs::claim(db, "crashed", Duration::seconds(2), 1, now)
        .await
        .unwrap()
        .remove(0);
    let taken = jobs::claim(
        db,
        "survivor",
        Duration::seconds(30),
        1,
        now + Duration::seconds(3),
    )
    .await
    .unwrap()
    .remove(0);
    assert_eq!((taken.id, taken.attempt), (lost.id, 2));
    assert!(
        !jobs::complete(db, &lost, now + Duration::seconds(3))
            .await
            .unwrap(),
        "the old owner can no longer complete it"
    );
    assert_eq!(
        jobs::fail(
            db,
            &lost,
            "late",
            &Backoff::default(),
            now + Duration::seconds(3)
        )
        .await
        .unwrap(),
        Fate::NotHeld
    );
    assert!(
        jobs::complete(db, &taken, now + Duration::seconds(4))
            .await
            .unwrap()
    );
    let stored = job::Entity::find_by_id(taken.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.status,
        app::domain::platform::job::JobStatus::Succeeded
    );
}

async fn an_update_needing_approval_is_decided_by_someone_else_and_then_runs_step_by_step(
    db: TestDb,
) {
    let db = &db.db;
    let admin = admin(db).await;
    let ids = fleet(db, &admin, 1, &[]).await;
    let tenant_admin = person(
        db,
        "boss@t-000.example",
        BuiltinRole::TenantAdmin,
        Some(ids[0]),
    )
    .await;
    update_policy::save(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        "t-000",
        update_policy::UpdatePolicySettings::try_from(&UpdatePolicyForm {
            approval_mode: "all".into(),
            timezone: "Europe/Berlin".into(),
            // The delay limit is the vendor's: the tenant keeps the default.
            max_delay_days: "14".into(),
            auto_update: false,
            max_running_changes: String::new(),
        }),
    )
    .await
    .unwrap();

    let created = changes::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        change_request(&upgrade("t-000")),
    )
    .await
    .unwrap();
    assert_eq!(
        (created.status.as_str(), created.change_model.as_str()),
        ("pending_approval", "maintenance")
    );
    assert_eq!(
        changes::pending_for(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        1,
        "the tenant admin's badge counts it"
    );
    assert_eq!(
        changes::pending_for(&app::backend::context::Ctx::of(
            db,
            &admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        0,
        "never one's own request"
    );
    let own = changes::decide(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        created.id,
        "approve",
        "",
    )
    .await;
    assert!(
        matches!(own, Err(ServiceError::Policy(ref m)) if m.contains("someone else")),
        "{own:?}"
    );
    let delete = changes::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        change_request(&ChangeForm {
            tenant: "t-000".into(),
            kind: "delete".into(),
            ..Default::default()
        }),
    )
    .await;
    assert!(
        matches!(delete, Err(ServiceError::Validation(ref e)) if e.for_field("kind").is_some()),
        "deleting needs the tenant page's typed confirmation: {delete:?}"
    );
    let bare_reject = changes::decide(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "reject",
        " ",
    )
    .await;
    assert!(
        matches!(bare_reject, Err(ServiceError::Validation(_))),
        "a rejection needs a reason"
    );

    changes::decide(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "approve",
        "go ahead",
    )
    .await
    .unwrap();
    let scheduled = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap();
    assert_eq!(scheduled.change.status, ChangeStatus::Scheduled);
    assert!(
        scheduled
            .change
            .schedule_reason
            .contains("No maintenance windows"),
        "{}",
        scheduled.change.schedule_reason
    );
    assert_eq!(scheduled.decisions[0].decider, "boss@t-000.example");
    assert!(matches!(
        changes::decide(
            &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
            created.id,
            "approve",
            ""
        )
        .await,
        Err(ServiceError::Conflict(_))
    ));

    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
    let done = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap();
    assert_eq!(
        (done.change.status.as_str(), done.change.progress),
        ("succeeded", 100)
    );
    let steps: Vec<(&str, &str)> = done
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("Enter maintenance mode", "succeeded"),
            ("Deploy 5.2.0", "succeeded"),
            ("Validate health baseline", "succeeded"),
            ("Exit maintenance mode", "succeeded"),
        ]
    );
    assert_eq!(running_version(db, ids[0]).await.as_deref(), Some("5.2.0"));
    let assessed = app::backend::entities::compliance_status::Entity::find()
        .filter(app::backend::entities::compliance_status::Column::TenantId.eq(ids[0]))
        .all(db)
        .await
        .unwrap();
    assert!(
        assessed.iter().any(|c| c.running_version == "5.2.0"),
        "compliance re-assessed after the upgrade: {assessed:?}"
    );
    assert_eq!(
        executor_run::Entity::find().count(db).await.unwrap(),
        4,
        "one execution per step"
    );
    let actions: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::TargetType.eq("change_request"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in [
        "change.create",
        "change.approve",
        "change.start",
        "change.succeeded",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} missing from {actions:?}"
        );
    }
}

async fn a_scheduled_change_waits_for_its_window_and_a_blackout(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ids = fleet(db, &admin, 1, &[]).await;
    update_policy::save(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        "t-000",
        update_policy::UpdatePolicySettings::try_from(&UpdatePolicyForm {
            approval_mode: "auto_approve".into(),
            timezone: "UTC".into(),
            max_delay_days: "3".into(),
            auto_update: false,
            max_running_changes: String::new(),
        }),
    )
    .await
    .unwrap();
    // A window that opened an hour ago … but a blackout covers today.
    let start = Utc::now() - Duration::hours(1);
    let weekday = start.format("%a").to_string();
    let from = start.format("%H:%M").to_string();
    // The window must not run on past tonight's midnight, where the blackout ends.
    let end = start + Duration::hours(3);
    let to = if end.date_naive() > Utc::now().date_naive() {
        "23:59".to_owned()
    } else {
        end.format("%H:%M").to_string()
    };
    update_policy::add_window(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        "t-000",
        &weekday,
        &from,
        &to,
    )
    .await
    .unwrap();
    let today = Utc::now().date_naive();
    update_policy::add_blackout(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        30,
        "",
        &today.to_string(),
        &today.to_string(),
        "Release freeze",
    )
    .await
    .unwrap();

    let created = changes::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        change_request(&upgrade("t-000")),
    )
    .await
    .unwrap();
    assert_eq!(created.status, ChangeStatus::Scheduled, "auto-approved");
    let next = created.next_start_at.unwrap();
    assert!(
        next > Utc::now() + Duration::days(1),
        "not today (blackout) and not before next week's window: {next}"
    );
    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
    assert_eq!(
        running_version(db, ids[0]).await.as_deref(),
        Some("5.1.0"),
        "nothing ran outside the window"
    );

    let tenant_admin = person(
        db,
        "boss@t-000.example",
        BuiltinRole::TenantAdmin,
        Some(ids[0]),
    )
    .await;
    // Within the policy's 3 days the tenant's approver delays alone.
    let delayed = delays::delay(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "2",
        "",
    )
    .await
    .unwrap();
    assert_eq!(delayed.status, DelayResult::Delayed);
    let after_own_delay = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap()
    .change;
    assert_eq!(after_own_delay.delayed_days, 2);
    let next = after_own_delay.next_start_at.unwrap();
    assert!(
        next >= created.next_start_at.unwrap(),
        "a delay never moves a change earlier"
    );

    // Beyond it (2 + 5 > 3) the delay becomes a request for the vendor, with a reason.
    let no_reason = delays::delay(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "5",
        "",
    )
    .await;
    assert!(
        matches!(no_reason, Err(ServiceError::Validation(ref f))
            if f.for_field("reason").is_some_and(|m| m.contains("3 days"))),
        "{no_reason:?}"
    );
    let asked = delays::delay(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "5",
        "Customer year-end freeze",
    )
    .await
    .unwrap();
    assert_eq!(asked.status, DelayResult::Requested);
    let request_id = asked.request_id.unwrap();
    let waiting = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap();
    assert_eq!(
        (waiting.change.delayed_days, waiting.change.next_start_at),
        (2, Some(next)),
        "the change keeps its schedule until the vendor decides"
    );
    assert_eq!(waiting.delay_requests.len(), 1);
    assert!(
        app::api::changes::change_may(&admin, &waiting)
            .decide_delays
            .contains(&waiting.delay_requests[0].id),
        "a platform approver may decide a tenant's delay request"
    );
    let again = delays::delay(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "4",
        "Still frozen",
    )
    .await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))), "{again:?}");

    // Only the vendor's approvers decide; the tenant sees the request waiting.
    assert!(
        delays::pending(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap()
        .is_empty()
    );
    assert_eq!(
        delays::pending_count(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        0
    );
    let by_tenant = delays::decide(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        request_id,
        "approve",
        "",
    )
    .await;
    assert!(
        matches!(by_tenant, Err(ServiceError::Forbidden)),
        "{by_tenant:?}"
    );
    assert_eq!(
        delays::pending(&app::backend::context::Ctx::of(
            db,
            &admin,
            &Default::default()
        ))
        .await
        .unwrap()[0]
            .id,
        request_id
    );
    assert_eq!(
        delays::pending_count(&app::backend::context::Ctx::of(
            db,
            &admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        1
    );
    delays::decide(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        request_id,
        "approve",
        "",
    )
    .await
    .unwrap();
    let approved = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap();
    assert_eq!(approved.change.delayed_days, 7);
    assert!(approved.change.next_start_at.unwrap() >= next + Duration::days(5));
    assert_eq!(
        approved.delay_requests[0].status,
        app::domain::changes::decision::RequestStatus::Approved
    );
    let decided_twice = delays::decide(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        request_id,
        "deny",
        "No",
    )
    .await;
    assert!(matches!(decided_twice, Err(ServiceError::Conflict(_))));

    // A denial needs a comment and leaves the change where it was.
    let asked = delays::delay(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        created.id,
        "3",
        "One more week",
    )
    .await
    .unwrap();
    let bare = delays::decide(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        asked.request_id.unwrap(),
        "deny",
        " ",
    )
    .await;
    assert!(
        matches!(bare, Err(ServiceError::Validation(ref f)) if f.for_field("comment").is_some()),
        "{bare:?}"
    );
    delays::decide(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        asked.request_id.unwrap(),
        "deny",
        "The freeze ends on the 30th",
    )
    .await
    .unwrap();
    let denied = changes::detail(
        &app::backend::context::Ctx::of(db, &tenant_admin, &Default::default()),
        created.id,
    )
    .await
    .unwrap();
    assert_eq!(denied.change.delayed_days, 7);
    assert_eq!(
        denied.delay_requests[0].comment.as_deref(),
        Some("The freeze ends on the 30th")
    );
    let audited: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::TargetType.eq("delay_request"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "change.delay_request")
            .count(),
        2
    );
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "change.delay_decide")
            .count(),
        2
    );
}

async fn a_rollout_advances_wave_by_wave_and_halts_over_its_error_threshold(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    // t-004 fails; it lands in the second wave (3 + 2 + 1 targets).
    let ids = fleet(db, &admin, 6, &[4]).await;
    let form = RolloutForm {
        name: "Edge 5.2 to pilots".into(),
        product: "edge-gateway".into(),
        target_version: "5.2.0".into(),
        label: "".into(),
        waves: "34, 67".into(),
        success_threshold: "100".into(),
        error_threshold: "0".into(),
        concurrency: "2".into(),
        ..Default::default()
    };
    let id = rollouts::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        new_rollout(&form),
    )
    .await
    .unwrap();
    let planned = rollouts::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        planned.waves.iter().map(|w| w.total).collect::<Vec<_>>(),
        [3, 2, 1]
    );

    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
    let halted = rollouts::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(halted.rollout.status, RolloutStatus::Paused);
    let reason = halted.rollout.halt_reason.clone().unwrap();
    assert!(
        reason.starts_with("Wave 2: 1 of 2 targets failed"),
        "{reason}"
    );
    assert_eq!(halted.waves[0].succeeded, 3);
    assert_eq!(halted.waves[2].pending, 1, "the third wave never started");
    assert_eq!(running_version(db, ids[5]).await.as_deref(), Some("5.1.0"));
    assert_eq!(
        running_version(db, ids[4]).await.as_deref(),
        Some("5.1.0"),
        "the failed upgrade was rolled back"
    );
    assert!(halted.rollout.rollback_rate.unwrap() > 0.0);
    assert!(halted.actions.contains(&RolloutAction::Resume));

    // The operator fixes the tenant and retries the failed target.
    db.execute_unprepared("UPDATE tenants SET labels = '[\"pilot\"]'")
        .await
        .unwrap();
    rollouts::act(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        id,
        RolloutAction::RetryFailed,
    )
    .await
    .unwrap();
    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
    let done = rollouts::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        (done.rollout.status.as_str(), done.rollout.succeeded),
        ("succeeded", 6)
    );
    let attempts: HashMap<Uuid, i32> = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.tenant_id, t.attempts))
        .collect();
    assert_eq!(attempts[&ids[0]], 1, "each target counts its attempts");
    assert!(
        attempts[&ids[4]] >= 2,
        "the retried target counts its failed run too: {}",
        attempts[&ids[4]]
    );
    for tenant in ids {
        assert_eq!(running_version(db, tenant).await.as_deref(), Some("5.2.0"));
    }
    let refused = rollouts::act(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        id,
        RolloutAction::Pause,
    )
    .await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
}

async fn a_rollout_survives_a_kill_9_with_every_target_executed_exactly_once(db: TestDb) {
    let admin = admin(&db.db).await;
    let targets = 220;
    fleet(&db.db, &admin, targets, &[]).await;
    let id = rollouts::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx()),
        new_rollout(&RolloutForm {
            name: "Crash drill".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            waves: "10, 50".into(),
            error_threshold: "100".into(),
            success_threshold: "0".into(),
            concurrency: "16".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();

    let start = || spawn_server(&db.url, &[("TENANTRY_SIMULATOR_STEP_MS", "15")]);
    let mut server = start();
    // Kill it mid-way: some targets done, others in flight.
    wait_for(
        &db.db,
        id,
        |done, _| done >= 40,
        StdDuration::from_secs(120),
    )
    .await;
    server.kill().expect("kill -9");
    server.wait().unwrap();
    let (done_at_kill, status_at_kill) = progress(&db.db, id).await;
    assert!(
        done_at_kill < targets as u64,
        "killed before the end ({done_at_kill}, {status_at_kill})"
    );

    let mut restarted = start();
    wait_for(
        &db.db,
        id,
        |_, status| status == "succeeded",
        StdDuration::from_secs(180),
    )
    .await;
    restarted.kill().ok();
    restarted.wait().ok();

    let finished = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .filter(rollout_target::Column::Status.eq(TargetStatus::Succeeded))
        .count(&db.db)
        .await
        .unwrap();
    assert_eq!(finished, targets as u64);
    assert_eq!(
        change_request::Entity::find()
            .filter(change_request::Column::RolloutId.eq(id))
            .count(&db.db)
            .await
            .unwrap(),
        targets as u64,
        "one change request per target"
    );
    // Count at the executor: its ledger has one entry per step it executed.
    // Each target's deploy step must appear exactly once.
    let deploy_keys: HashMap<String, Uuid> = change_step::Entity::find()
        .filter(change_step::Column::Name.eq("Deploy 5.2.0"))
        .all(&db.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.idempotency_key, s.tenant_id))
        .collect();
    let mut executions_per_tenant: HashMap<Uuid, i32> = HashMap::new();
    let mut redeliveries = 0;
    for run in executor_run::Entity::find().all(&db.db).await.unwrap() {
        redeliveries += run.deliveries - run.executions;
        if let Some(tenant) = deploy_keys.get(&run.idempotency_key) {
            *executions_per_tenant.entry(*tenant).or_default() += run.executions;
        }
    }
    assert_eq!(executions_per_tenant.len(), targets);
    assert!(
        executions_per_tenant.values().all(|n| *n == 1),
        "{executions_per_tenant:?}"
    );
    eprintln!(
        "crash drill: {done_at_kill} of {targets} targets done at kill -9; {redeliveries} step(s) redelivered under their own key after the restart"
    );
}

async fn agents_fetch_their_endpoint_rollout_assignments_and_report_until_it_completes(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = admin(&app.db).await;
    let ids = fleet(&app.db, &admin, 2, &[]).await;
    // Three endpoints on 5.1.0 across two tenants.
    let mut agents = vec![];
    for (tenant, host) in [(ids[0], "pos-1"), (ids[0], "pos-2"), (ids[1], "kiosk-1")] {
        agents.push(register_agent(&app.db, &admin, tenant, host).await);
    }
    let id = rollouts::create(
        &app::backend::context::Ctx::of(&app.db, &admin, &ctx()),
        new_rollout(&RolloutForm {
            name: "Stores to 5.2".into(),
            scope: "endpoints".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            waves: "34".into(),
            concurrency: "10".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    let planned = rollouts::detail(
        &app::backend::context::Ctx::of(&app.db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(planned.rollout.scope.as_str(), "endpoints");
    assert_eq!(
        planned.waves.iter().map(|w| w.total).collect::<Vec<_>>(),
        [2, 1]
    );

    let fetch = |token: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/agents/assignments");
        async move {
            let answer: serde_json::Value = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["items"].as_array().unwrap().clone()
        }
    };
    let progress = |token: String, assignment: String, body: serde_json::Value| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/agents/assignments/{assignment}"));
        async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                response.status(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    changes_work(&app.db).await;
    // Wave 1: the two endpoints of t-000 (ordered by tenant, then host name).
    let first = fetch(agents[0].clone()).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (first[0]["version"].as_str(), first[0]["attempt"].as_i64()),
        (Some("5.2.0"), Some(1))
    );
    assert!(
        fetch(agents[2].clone()).await.is_empty(),
        "the second wave waits"
    );
    let assignment = first[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = progress(
        agents[0].clone(),
        assignment.clone(),
        json!({ "status": "failed", "message": "disk full" }),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["outcome"].as_str()),
        (200, Some("retrying")),
        "{body}"
    );
    assert_eq!(
        fetch(agents[0].clone()).await[0]["attempt"].as_i64(),
        Some(2),
        "offered again"
    );
    let stranger = progress(
        agents[2].clone(),
        assignment.clone(),
        json!({ "status": "succeeded" }),
    )
    .await;
    assert_eq!(
        stranger.0.as_u16(),
        404,
        "an agent reports only its own assignments"
    );
    let unknown_token = progress(
        "tagt_forged".into(),
        assignment.clone(),
        json!({ "status": "succeeded" }),
    )
    .await;
    assert_eq!(unknown_token.0.as_u16(), 401);
    progress(
        agents[0].clone(),
        assignment,
        json!({ "status": "succeeded", "message": "installed" }),
    )
    .await;
    let second = fetch(agents[1].clone()).await;
    progress(
        agents[1].clone(),
        second[0]["id"].as_str().unwrap().to_owned(),
        json!({ "status": "succeeded" }),
    )
    .await;

    changes_work(&app.db).await;
    let third = fetch(agents[2].clone()).await;
    assert_eq!(third.len(), 1, "wave 2 started once wave 1 succeeded");
    progress(
        agents[2].clone(),
        third[0]["id"].as_str().unwrap().to_owned(),
        json!({ "status": "succeeded" }),
    )
    .await;
    changes_work(&app.db).await;
    let done = rollouts::detail(
        &app::backend::context::Ctx::of(&app.db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        (done.rollout.status.as_str(), done.rollout.succeeded),
        ("succeeded", 3)
    );
    let versions: Vec<String> = endpoint_product::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.version)
        .collect();
    assert_eq!(
        versions,
        ["5.2.0", "5.2.0", "5.2.0"],
        "the inventory shows the new version"
    );
}

/// Registers an agent of `tenant` on an endpoint running edge-gateway 5.1.0;
/// its agent token.
async fn register_agent(
    db: &DatabaseConnection,
    admin: &Principal,
    tenant: Uuid,
    host: &str,
) -> String {
    let enrollment = agents::create_enrollment_token(
        &app::backend::context::Ctx::of(db, admin, &ctx()),
        tenant,
        "Stores",
        "",
        false,
    )
    .await
    .unwrap();
    let raw = RawReport {
        hostname: format!("{host}.example"),
        platform: "linux".into(),
        agent_version: "1.4.0".into(),
        products: [("edge-gateway".to_string(), "5.1.0".to_string())].into(),
        current_agent_token: None,
    };
    agents::register(db, &ctx(), &enrollment, &raw, chrono::Utc::now())
        .await
        .unwrap()
        .agent_token
}

/// Policy before action reaches the agents: an endpoint rollout to a release
/// its tenant's policy blocks hands out no assignment and names the rule.
async fn an_endpoint_rollout_hands_no_agent_a_release_its_tenant_s_policy_refuses(db: TestDb) {
    use app::backend::services::releases::policies;
    let app = spawn_app(db).await;
    let admin = admin(&app.db).await;
    let ids = fleet(&app.db, &admin, 1, &[]).await;
    let agent = register_agent(&app.db, &admin, ids[0], "pos-1").await;
    let ctx = app::backend::context::Ctx::of(&app.db, &admin, &ctx());
    policies::save(
        &ctx,
        policies::SavePolicy::try_from(&app::model::releases::policies::PolicyForm {
            level: "global".into(),
            actions: vec!["block_eol_deployments".into()],
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    let id = rollouts::create(
        &ctx,
        new_rollout(&RolloutForm {
            name: "Stores back to 5.0".into(),
            scope: "endpoints".into(),
            product: "edge-gateway".into(),
            target_version: "5.0.0".into(),
            waves: "100".into(),
            concurrency: "10".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    changes_work(&app.db).await;

    let answer: serde_json::Value = app
        .client
        .get(app.url("/api/v1/agents/assignments"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["items"], json!([]), "no assignment was handed out");
    let target = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target.status, TargetStatus::Failed);
    let reason = target.last_error.unwrap_or_default();
    assert!(
        reason.contains("end of life") && reason.contains("block EOL deployments"),
        "the refusal names the rule: {reason}"
    );
    let versions: Vec<String> = endpoint_product::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.version)
        .collect();
    assert_eq!(versions, ["5.1.0"], "the endpoint keeps its version");
}

pub(crate) async fn changes_work(db: &DatabaseConnection) {
    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
}

async fn a_rollout_can_name_its_waves_by_tenant_and_filter(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    fleet(db, &admin, 5, &[]).await;
    let form = |plan: &str| RolloutForm {
        name: "Named waves".into(),
        product: "edge-gateway".into(),
        target_version: "5.2.0".into(),
        wave_plan: plan.into(),
        ..Default::default()
    };
    let id = rollouts::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        new_rollout(&form("t-003\nt-000, t-001\nlabel=pilot plan=starter")),
    )
    .await
    .unwrap();
    let detail = rollouts::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        id,
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        detail.waves.iter().map(|w| w.total).collect::<Vec<_>>(),
        [1, 2, 2]
    );
    let first: Vec<(&str, i32)> = detail
        .targets
        .iter()
        .map(|t| (t.tenant_slug.as_str(), t.wave))
        .collect();
    assert!(
        first.contains(&("t-003", 1)) && first.contains(&("t-004", 3)),
        "{first:?}"
    );

    let refused = rollouts::NewRollout::try_from(&form("colour=red"));
    assert!(
        matches!(refused, Err(ref e) if e.for_field("wave_plan").is_some()),
        "{refused:?}"
    );
    let nobody = rollouts::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        new_rollout(&form("label=nobody-has-this")),
    )
    .await;
    assert!(
        matches!(nobody, Err(ServiceError::Validation(ref e)) if e.for_field("wave_plan").is_some()),
        "{nobody:?}"
    );
}

async fn the_cli_plans_shows_and_aborts_a_rollout_and_reports_refusals(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = admin(&app.db).await;
    fleet(&app.db, &admin, 2, &[]).await;
    let token = crate::helpers::admin_token(&app).await;
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .env("TENANTRY_URL", &app.address)
            .env("TENANTRY_TOKEN", &token)
            .env("DATABASE_URL", "sqlite::memory:")
            .output()
            .expect("run tenantry");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    };
    let (ok, out) = cli(&[
        "rollout",
        "create",
        "--name",
        "CLI wave",
        "--product",
        "edge-gateway",
        "--version",
        "5.2.0",
        "--waves",
        "50",
        "--requires-approval",
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains("edge-gateway -> 5.2.0") && out.contains("status: pending_approval"),
        "{out}"
    );
    let id = out.split(['(', ')']).nth(1).unwrap().to_owned();
    let (ok, out) = cli(&["rollout", "pause", &id]);
    assert!(
        !ok && out.contains("Cannot pause a rollout that is pending approval"),
        "{out}"
    );
    let (ok, out) = cli(&["rollout", "abort", &id]);
    assert!(ok && out.contains("status: aborted"), "{out}");
    let (ok, out) = cli(&["rollout", "status", &id, "--json"]);
    assert!(ok && out.contains("\"status\": \"aborted\""), "{out}");
    let (ok, out) = cli(&[
        "rollout",
        "create",
        "--name",
        "",
        "--product",
        "nope",
        "--version",
        "x",
    ]);
    // The form's grammar is judged first; the catalog is looked up only for
    // a rollout that reads.
    assert!(
        !ok && out.contains("name:") && out.contains("target_version:"),
        "{out}"
    );
    let (ok, out) = cli(&[
        "rollout",
        "create",
        "--name",
        "Nowhere",
        "--product",
        "nope",
        "--version",
        "1.0.0",
    ]);
    assert!(!ok && out.contains("product:"), "{out}");
}

/// Two replicas on one PostgreSQL share a rollout: both take work, and no
/// target is executed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_a_rollout_without_running_a_step_twice() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let admin = admin(&db.db).await;
    let targets = 120;
    fleet(&db.db, &admin, targets, &[]).await;
    // Both replicas are up before there is work, and each step takes long
    // enough that one replica cannot drain the rollout alone while the other
    // is still starting: that both took work is then not left to chance.
    let step = [("TENANTRY_SIMULATOR_STEP_MS", "40")];
    let mut replicas = [
        crate::helpers::spawn_ready_server(&db.url, &step).await,
        crate::helpers::spawn_ready_server(&db.url, &step).await,
    ];
    let id = rollouts::create(
        &app::backend::context::Ctx::of(&db.db, &admin, &ctx()),
        new_rollout(&RolloutForm {
            name: "Two replicas".into(),
            product: "edge-gateway".into(),
            target_version: "5.2.0".into(),
            waves: "25".into(),
            concurrency: "24".into(),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    wait_for(
        &db.db,
        id,
        |_, status| status == "succeeded",
        StdDuration::from_secs(180),
    )
    .await;
    for replica in &mut replicas {
        replica.kill().ok();
        replica.wait().ok();
    }
    let workers: std::collections::BTreeSet<String> = job::Entity::find()
        .filter(job::Column::Kind.eq(changes::EXECUTE_JOB))
        .all(&db.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| j.lease_owner)
        .map(|owner| owner.rsplitn(2, ':').last().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(workers.len(), 2, "both replicas ran changes: {workers:?}");
    let runs = executor_run::Entity::find().all(&db.db).await.unwrap();
    assert_eq!(
        runs.len(),
        targets * 4,
        "four steps per target, each executed once"
    );
    assert!(
        runs.iter().all(|r| r.deliveries == 1),
        "no step was delivered twice"
    );
}

async fn progress(db: &DatabaseConnection, id: Uuid) -> (u64, String) {
    let done = rollout_target::Entity::find()
        .filter(rollout_target::Column::RolloutId.eq(id))
        .filter(rollout_target::Column::Status.eq(TargetStatus::Succeeded))
        .count(db)
        .await
        .unwrap();
    let status = rollout::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .status;
    (done, status.as_str().to_owned())
}

async fn wait_for(
    db: &DatabaseConnection,
    id: Uuid,
    until: impl Fn(u64, &str) -> bool,
    limit: StdDuration,
) {
    let started = std::time::Instant::now();
    loop {
        let (done, status) = progress(db, id).await;
        if until(done, &status) {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "gave up waiting: {done} done, rollout {status}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

async fn a_draft_waits_until_it_is_submitted_and_then_follows_the_policy(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    let ids = fleet(db, &admin, 1, &[]).await;
    let tenant_admin = person(
        db,
        "boss@t-000.example",
        BuiltinRole::TenantAdmin,
        Some(ids[0]),
    )
    .await;
    let draft = changes::create(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        change_request(&ChangeForm {
            draft: true,
            ..upgrade("t-000")
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        (draft.status.as_str(), draft.next_start_at),
        ("draft", None)
    );
    assert_eq!(
        changes::pending_for(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        0,
        "nobody is asked to approve a draft"
    );
    run_until_idle(db, &runner(db), &settings("test"))
        .await
        .unwrap();
    assert_eq!(
        running_version(db, ids[0]).await.as_deref(),
        Some("5.1.0"),
        "a draft never runs"
    );
    let shown = changes::detail(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        draft.id,
    )
    .await
    .unwrap();
    let may = app::api::changes::change_may(&admin, &shown);
    assert!(may.submit && may.cancel);
    let by_tenant = changes::submit(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        draft.id,
    )
    .await;
    assert!(
        matches!(by_tenant, Err(ServiceError::Forbidden)),
        "tenant admins approve updates but do not run them: {by_tenant:?}"
    );

    // The tenant now asks for approval of every update: the submitted draft waits for it.
    update_policy::save(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        "t-000",
        update_policy::UpdatePolicySettings::try_from(&UpdatePolicyForm {
            approval_mode: "all".into(),
            timezone: "UTC".into(),
            // The delay limit is the vendor's: the tenant keeps the default.
            max_delay_days: "14".into(),
            auto_update: false,
            max_running_changes: String::new(),
        }),
    )
    .await
    .unwrap();
    let submitted = changes::submit(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        draft.id,
    )
    .await
    .unwrap();
    assert_eq!(submitted.status, ChangeStatus::PendingApproval);
    assert!(submitted.requires_approval);
    assert_eq!(
        changes::pending_for(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap(),
        1
    );
    let twice = changes::submit(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        draft.id,
    )
    .await;
    assert!(matches!(twice, Err(ServiceError::Conflict(_))), "{twice:?}");
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("change.submit"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

async fn a_change_for_a_saved_filter_is_requested_for_each_tenant_it_matches(db: TestDb) {
    let db = &db.db;
    let admin = admin(db).await;
    // t-000 … t-002 are pilots, t-003 is not; t-002 is already suspended.
    let ids = fleet(db, &admin, 4, &[3]).await;
    db.execute_unprepared(&format!(
        "UPDATE tenants SET lifecycle_state = 'suspended' WHERE slug = 't-002'"
    ))
    .await
    .unwrap();
    let pilots = saved_filters::NewSavedFilter::try_from(&SavedFilterForm {
        name: "Pilots".into(),
        label: Some("pilot".into()),
        state: Some("".into()),
        ..Default::default()
    })
    .unwrap();
    let tenant_admin = person(
        db,
        "boss@t-000.example",
        BuiltinRole::TenantAdmin,
        Some(ids[0]),
    )
    .await;
    let by_tenant = saved_filters::save(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        Ok(pilots.clone()),
    )
    .await;
    assert!(
        matches!(by_tenant, Err(ServiceError::Forbidden)),
        "{by_tenant:?}"
    );
    let filter_id = saved_filters::save(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        Ok(pilots.clone()),
    )
    .await
    .unwrap();
    let twice = saved_filters::save(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        Ok(pilots.clone()),
    )
    .await;
    assert!(
        matches!(twice, Err(ServiceError::Validation(ref f)) if f.for_field("name").is_some()),
        "{twice:?}"
    );
    let everything = SavedFilterForm {
        name: "Everything".into(),
        ..Default::default()
    };
    let refused = saved_filters::NewSavedFilter::try_from(&everything);
    assert!(
        matches!(refused, Err(ref f) if f.for_field("filters").is_some()),
        "{refused:?}"
    );
    let listed = saved_filters::list(&app::backend::context::Ctx::of(
        db,
        &admin,
        &Default::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        (
            listed.len(),
            listed[0].matching,
            listed[0].description.as_str()
        ),
        (1, 3, "Label: pilot")
    );
    assert!(
        saved_filters::list(&app::backend::context::Ctx::of(
            db,
            &tenant_admin,
            &Default::default()
        ))
        .await
        .unwrap()
        .is_empty(),
        "filters span the fleet: the vendor's"
    );

    let suspend = ChangeForm {
        kind: "suspend".into(),
        target_filter: "Pilots".into(),
        ..Default::default()
    };
    let direct = changes::NewChangeRequest::try_from(&suspend);
    assert!(
        matches!(direct, Err(ref f) if f.for_field("target_filter").is_some()),
        "a filter's change goes through the filter's door: {direct:?}"
    );
    let outcome = changes::create_for_filter(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        filter_change_request(&suspend),
    )
    .await
    .unwrap();
    assert_eq!(outcome.created.len(), 2, "{outcome:?}");
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].slug, "t-002");
    assert!(
        outcome.skipped[0].reason.contains("already"),
        "{}",
        outcome.skipped[0].reason
    );
    let listed = changes::list(
        &app::backend::context::Ctx::of(db, &admin, &Default::default()),
        &ChangeQuery {
            filter: Some(filter_id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut slugs: Vec<&str> = listed.rows.iter().map(|r| r.tenant_slug.as_str()).collect();
    slugs.sort();
    assert_eq!(slugs, ["t-000", "t-001"]);
    assert!(listed.rows.iter().all(
        |r| r.target_filter_name.as_deref() == Some("Pilots") && r.kind == ChangeKind::Suspend
    ));
    let by_tenant = changes::create_for_filter(
        &app::backend::context::Ctx::of(db, &tenant_admin, &ctx()),
        filter_change_request(&suspend),
    )
    .await;
    assert!(
        matches!(by_tenant, Err(ServiceError::Forbidden)),
        "{by_tenant:?}"
    );

    // Nothing left to suspend: refused as a whole, with the first reason.
    db.execute_unprepared("UPDATE tenants SET lifecycle_state = 'suspended'")
        .await
        .unwrap();
    let none_fit = changes::create_for_filter(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        filter_change_request(&suspend),
    )
    .await;
    assert!(
        matches!(none_fit, Err(ServiceError::Validation(ref f))
            if f.for_field("target_filter").is_some_and(|m| m.contains("t-000"))),
        "{none_fit:?}"
    );
    saved_filters::delete(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        filter_id,
    )
    .await
    .unwrap();
    let gone = changes::create_for_filter(
        &app::backend::context::Ctx::of(db, &admin, &ctx()),
        filter_change_request(&suspend),
    )
    .await;
    assert!(matches!(gone, Err(ServiceError::Validation(_))), "{gone:?}");
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::TargetType.eq("saved_filter"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(audited, 3, "created, used once, deleted");
}

/// Time comes from the context's clock, not the machine's: with the clock
/// held on a Monday morning, a change is planned for Tuesday's window exactly,
/// nothing starts while the clock stays before it, and it runs once the clock
/// moves into the window.
async fn scheduling_follows_the_injected_clock(db: TestDb) {
    use app::backend::context::{Clock, Ctx, ManualClock};
    use chrono::TimeZone;
    let db = &db.db;
    let admin = admin(db).await;
    let ids = fleet(db, &admin, 1, &[]).await;
    let monday_morning = Utc.with_ymd_and_hms(2031, 3, 3, 10, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::at(monday_morning));
    let at_clock = |who: &Principal| Ctx {
        clock: clock.clone(),
        ..Ctx::of(db, who, &ctx())
    };
    update_policy::save(
        &at_clock(&admin),
        "t-000",
        update_policy::UpdatePolicySettings::try_from(&UpdatePolicyForm {
            approval_mode: "auto_approve".into(),
            timezone: "UTC".into(),
            max_delay_days: "3".into(),
            auto_update: false,
            max_running_changes: String::new(),
        }),
    )
    .await
    .unwrap();
    update_policy::add_window(&at_clock(&admin), "t-000", "Tue", "02:00", "04:00")
        .await
        .unwrap();

    let created = changes::create(&at_clock(&admin), change_request(&upgrade("t-000")))
        .await
        .unwrap();
    assert_eq!(created.status, ChangeStatus::Scheduled);
    let tuesday_window = Utc.with_ymd_and_hms(2031, 3, 4, 2, 0, 0).unwrap();
    assert_eq!(created.next_start_at, Some(tuesday_window));

    let mut settings = settings("clocked");
    settings.clock = clock.clone();
    let runner = ChangeRunner {
        clock: clock.clone(),
        ..runner(db)
    };
    run_until_idle(db, &runner, &settings).await.unwrap();
    assert_eq!(
        running_version(db, ids[0]).await.as_deref(),
        Some("5.1.0"),
        "Monday: the window has not opened"
    );

    clock.set(tuesday_window + Duration::minutes(30));
    run_until_idle(db, &runner, &settings).await.unwrap();
    assert_eq!(running_version(db, ids[0]).await.as_deref(), Some("5.2.0"));
    let finished = change_request::Entity::find_by_id(created.id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(finished.status, ChangeStatus::Succeeded);
    assert_eq!(
        finished.finished_at,
        Some(clock.now()),
        "the finish is stamped by the same clock"
    );
}

crate::on_both_databases!(
    a_change_for_a_saved_filter_is_requested_for_each_tenant_it_matches,
    a_draft_waits_until_it_is_submitted_and_then_follows_the_policy,
    jobs_are_claimed_once_retried_with_backoff_and_dead_after_their_last_attempt,
    an_expired_lease_is_reclaimed_and_its_old_owner_is_fenced_out,
    an_update_needing_approval_is_decided_by_someone_else_and_then_runs_step_by_step,
    a_scheduled_change_waits_for_its_window_and_a_blackout,
    scheduling_follows_the_injected_clock,
    a_rollout_advances_wave_by_wave_and_halts_over_its_error_threshold,
    a_rollout_survives_a_kill_9_with_every_target_executed_exactly_once,
    agents_fetch_their_endpoint_rollout_assignments_and_report_until_it_completes,
    an_endpoint_rollout_hands_no_agent_a_release_its_tenant_s_policy_refuses,
    a_rollout_can_name_its_waves_by_tenant_and_filter,
    the_cli_plans_shows_and_aborts_a_rollout_and_reports_refusals,
);
