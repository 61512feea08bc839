//! Notifications driven by events: one consumer of the event stream reads
//! what was numbered after its cursor and tells the people each event
//! concerns, in the app and by email per their choices. The cursor moves in
//! the same transaction as the notifications it caused, under a lock, so
//! each event notifies once even with several replicas.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::backend::entities::{
    change_request, compliance_status, event, event_counter, product, release, role, role_binding,
    rollout, tenant, tenant_product, user, webhook_endpoint,
};
use crate::backend::error::ServiceResult;
use crate::backend::services::notifications::digests::{self, EmailOutcome};
use crate::backend::services::notifications::notices::{notify, tenant_people};
use crate::backend::services::notifications::notification_prefs;
use crate::domain::access::permission::Permission;
use crate::domain::notifications::notification::{
    Audience, Channel, NotificationKind, UpdateOffer, for_event, update_available_text,
};
use crate::domain::releases::catalog::ReleaseStatus;

/// The consumer's cursor in `event_counters`.
const CURSOR: &str = "notifier";
/// Events read per round.
const BATCH: u64 = 200;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifierRound {
    pub events: usize,
    pub notifications: usize,
    pub emails: usize,
    /// Emails held for their recipients' digests.
    pub held_for_digest: usize,
}

/// Reads the numbered events after the cursor (up to a batch) and notifies.
pub async fn notify_new_events(
    db: &DatabaseConnection,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<NotifierRound> {
    crate::backend::events::sequence_all(db, now).await?;
    let txn = db.begin().await?;
    if event_counter::Entity::find_by_id(CURSOR.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        // The stream began with this consumer (same release): from the start.
        event_counter::Entity::insert(event_counter::ActiveModel {
            scope: Set(CURSOR.to_owned()),
            last: Set(0),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(event_counter::Column::Scope)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let mut select = event_counter::Entity::find_by_id(CURSOR.to_owned());
    if txn.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    let cursor = select.one(&txn).await?.map_or(0, |c| c.last);
    let events = event::Entity::find()
        .filter(event::Column::GlobalSeq.gt(cursor))
        .order_by_asc(event::Column::GlobalSeq)
        .limit(BATCH)
        .all(&txn)
        .await?;
    let mut round = NotifierRound {
        events: events.len(),
        ..Default::default()
    };
    let Some(last) = events.last().and_then(|e| e.global_seq) else {
        return Ok(round);
    };
    for e in &events {
        let data: Value = serde_json::from_str(&e.data).unwrap_or_default();
        let status = data["state"]["status"].as_str();
        let change_kind = data["state"]["kind"].as_str();
        let Some((kind, audience)) = for_event(&e.event_type, status, change_kind) else {
            continue;
        };
        if audience == Audience::TenantsRunningProduct {
            for offer in update_offers(&txn, e).await? {
                for user_id in tenant_people(&txn, offer.tenant_id).await? {
                    let message = Message {
                        tenant_id: Some(offer.tenant_id),
                        title: &offer.title,
                        body: &offer.body,
                        link: &offer.link,
                    };
                    deliver(&txn, user_id, kind, &message, public_url, now, &mut round).await?;
                }
            }
            continue;
        }
        let recipients = audience_of(&txn, e, audience).await?;
        let (title, body, link) = describe(e, &data);
        let message = Message {
            tenant_id: e.tenant_id,
            title: &title,
            body: &body,
            link: &link,
        };
        for user_id in recipients {
            deliver(&txn, user_id, kind, &message, public_url, now, &mut round).await?;
        }
    }
    event_counter::Entity::update_many()
        .col_expr(event_counter::Column::Last, Expr::value(last))
        .filter(event_counter::Column::Scope.eq(CURSOR))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(round)
}

struct Message<'a> {
    tenant_id: Option<Uuid>,
    title: &'a str,
    body: &'a str,
    link: &'a str,
}

/// Tells one person, on the channels they chose; email at once or held for
/// their digest.
async fn deliver<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: NotificationKind,
    message: &Message<'_>,
    public_url: &str,
    now: DateTime<Utc>,
    round: &mut NotifierRound,
) -> ServiceResult<()> {
    let prefs = notification_prefs::preferences_of(conn, user_id).await?;
    if prefs.wants(kind, Channel::InApp) {
        notify(
            conn,
            user_id,
            message.tenant_id,
            kind,
            message.title,
            message.body,
            message.link,
            now,
        )
        .await?;
        round.notifications += 1;
    }
    if prefs.wants(kind, Channel::Email)
        && let Some(person) = user::Entity::find_by_id(user_id).one(conn).await?
    {
        match digests::email_notification(
            conn,
            &person,
            kind,
            message.title,
            message.body,
            message.link,
            public_url,
            now,
        )
        .await?
        {
            EmailOutcome::Queued => round.emails += 1,
            EmailOutcome::HeldForDigest => round.held_for_digest += 1,
        }
    }
    Ok(())
}

/// One tenant's "update available" notification.
struct Offer {
    tenant_id: Uuid,
    title: String,
    body: String,
    link: String,
}

/// The tenants that run an older version of a published release's product,
/// each with what the release means for it.
async fn update_offers<C: ConnectionTrait>(
    conn: &C,
    e: &event::Model,
) -> ServiceResult<Vec<Offer>> {
    let Some(release) = e
        .resource_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())
    else {
        return Ok(vec![]);
    };
    let Some(release) = release::Entity::find_by_id(release).one(conn).await? else {
        return Ok(vec![]);
    };
    if release.status != ReleaseStatus::Published {
        return Ok(vec![]);
    }
    let Some(product) = product::Entity::find_by_id(release.product_id)
        .one(conn)
        .await?
    else {
        return Ok(vec![]);
    };
    let running = tenant_product::Entity::find()
        .filter(tenant_product::Column::ProductId.eq(product.id))
        .filter(tenant_product::Column::RunningVersion.is_not_null())
        .all(conn)
        .await?;
    let mut offers = Vec::new();
    for licence in running {
        let Some(version) = licence.running_version.as_deref() else {
            continue;
        };
        let Some(tenant) = tenant::Entity::find_by_id(licence.tenant_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        // Tenants that run nothing (not yet, or no longer) are not offered updates.
        if !tenant.lifecycle_state.runs_software() {
            continue;
        }
        let running_release = release::Entity::find()
            .filter(release::Column::ProductId.eq(product.id))
            .filter(release::Column::Version.eq(version))
            .one(conn)
            .await?;
        let verdict = compliance_status::Entity::find_by_id((tenant.id, product.id))
            .one(conn)
            .await?;
        let required_because = verdict
            .as_ref()
            .filter(|v| v.status.requires_upgrade())
            .map(|v| v.detail.as_str());
        let Some((title, body)) = update_available_text(&UpdateOffer {
            product: &product.name,
            tenant: &tenant.display_name,
            running: version,
            available: &release.version,
            running_end_of_life: running_release.and_then(|r| r.end_of_life),
            required_because,
        }) else {
            continue;
        };
        offers.push(Offer {
            tenant_id: tenant.id,
            title,
            body,
            link: format!("/tenants/{}/upgrade", tenant.slug),
        });
    }
    Ok(offers)
}

/// Moves the cursor past every numbered event without notifying: for a bulk
/// load (`tenantry seed`), whose events are history rather than news.
pub async fn skip_to_head(db: &DatabaseConnection) -> ServiceResult<()> {
    let head = event_counter::Entity::find_by_id("global".to_owned())
        .one(db)
        .await?
        .map_or(0, |c| c.last);
    event_counter::Entity::insert(event_counter::ActiveModel {
        scope: Set(CURSOR.to_owned()),
        last: Set(head),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(event_counter::Column::Scope)
            .update_column(event_counter::Column::Last)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The people an event concerns (active accounts, each once).
async fn audience_of<C: ConnectionTrait>(
    conn: &C,
    e: &event::Model,
    audience: Audience,
) -> ServiceResult<Vec<Uuid>> {
    let resource = e
        .resource_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok());
    let mut people: Vec<Uuid> = match audience {
        Audience::Actor => e.actor_id.into_iter().collect(),
        Audience::Approvers => match e.tenant_id {
            Some(tenant) => people_with(conn, Permission::UpdateApprove, tenant)
                .await?
                .into_iter()
                .filter(|u| Some(*u) != e.actor_id)
                .collect(),
            None => vec![],
        },
        Audience::RequesterAndTenant => {
            let mut found = vec![];
            if let Some(id) = resource
                && let Some(change) = change_request::Entity::find_by_id(id).one(conn).await?
            {
                found.extend(change.requested_by);
            }
            if let Some(tenant) = e.tenant_id {
                found.extend(
                    role_binding::Entity::find()
                        .filter(role_binding::Column::TenantId.eq(tenant))
                        .select_only()
                        .column(role_binding::Column::UserId)
                        .into_tuple::<Uuid>()
                        .all(conn)
                        .await?,
                );
            }
            found
        }
        Audience::RolloutOwner => match resource {
            Some(id) => rollout::Entity::find_by_id(id)
                .one(conn)
                .await?
                .and_then(|r| r.created_by)
                .into_iter()
                .collect(),
            None => vec![],
        },
        // Told per tenant, with what the release means for it (`update_offers`).
        Audience::TenantsRunningProduct => vec![],
        Audience::PlatformOperators => {
            platform_people_with(conn, Permission::UpdateExecute).await?
        }
        Audience::EndpointOwner => match resource {
            Some(id) => match webhook_endpoint::Entity::find_by_id(id).one(conn).await? {
                Some(endpoint) => {
                    user::Entity::find()
                        .filter(user::Column::Email.eq(endpoint.created_by))
                        .select_only()
                        .column(user::Column::Id)
                        .into_tuple::<Uuid>()
                        .all(conn)
                        .await?
                }
                None => vec![],
            },
            None => vec![],
        },
    };
    people.sort();
    people.dedup();
    if people.is_empty() {
        return Ok(people);
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(people))
        .filter(user::Column::IsActive.eq(true))
        .select_only()
        .column(user::Column::Id)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?)
}

/// People whose roles grant `permission` on `tenant` (bound to it, or
/// platform-wide).
async fn people_with<C: ConnectionTrait>(
    conn: &C,
    permission: Permission,
    tenant: Uuid,
) -> ServiceResult<Vec<Uuid>> {
    let bindings = role_binding::Entity::find()
        .filter(
            role_binding::Column::TenantId
                .eq(tenant)
                .or(role_binding::Column::TenantId.is_null()),
        )
        .all(conn)
        .await?;
    granting(conn, bindings, permission).await
}

/// People whose platform-wide roles grant `permission`.
async fn platform_people_with<C: ConnectionTrait>(
    conn: &C,
    permission: Permission,
) -> ServiceResult<Vec<Uuid>> {
    let bindings = role_binding::Entity::find()
        .filter(role_binding::Column::TenantId.is_null())
        .all(conn)
        .await?;
    granting(conn, bindings, permission).await
}

/// The people of `bindings` whose role grants `permission`.
async fn granting<C: ConnectionTrait>(
    conn: &C,
    bindings: Vec<role_binding::Model>,
    permission: Permission,
) -> ServiceResult<Vec<Uuid>> {
    let roles = role::Entity::find()
        .filter(role::Column::Id.is_in(bindings.iter().map(|b| b.role_id)))
        .all(conn)
        .await?;
    Ok(bindings
        .iter()
        .filter(|b| {
            roles.iter().any(|r| {
                r.id == b.role_id
                    && crate::backend::services::access::roles::permissions_of(r)
                        .contains(&permission)
            })
        })
        .map(|b| b.user_id)
        .collect())
}

/// Title, body and link of an event's notification.
fn describe(e: &event::Model, data: &Value) -> (String, String, String) {
    let state = &data["state"];
    let text = |key: &str| state[key].as_str().unwrap_or_default().to_owned();
    match e.resource_type.as_str() {
        "change" => {
            let id = e.resource_id.clone().unwrap_or_default();
            let title = text("title");
            let (heading, body) = match e.event_type.as_str() {
                "change.requested" => (
                    format!("Approval needed: {title}"),
                    format!(
                        "{title} waits for your approval (requested by {}).",
                        e.actor_label
                    ),
                ),
                "change.succeeded" => {
                    (format!("Succeeded: {title}"), format!("{title} succeeded."))
                }
                "change.started" => (format!("Started: {title}"), format!("{title} started.")),
                "compliance.forced_upgrade_scheduled" => (
                    format!("Scheduled: {title}"),
                    format!(
                        "The version policy scheduled {title}: the running version is past end of life or out of policy. It starts {}.",
                        state["next_start_at"]
                            .as_str()
                            .map(|at| format!("in the maintenance window from {at}"))
                            .unwrap_or_else(|| "in the next maintenance window".to_owned())
                    ),
                ),
                "change.step_finished" => {
                    let details = &data["details"];
                    let step = details["step"].as_str().unwrap_or("a step");
                    let outcome = details["status"].as_str().unwrap_or("finished");
                    let rollback = if details["rollback"].as_bool() == Some(true) {
                        "Rollback step"
                    } else {
                        "Step"
                    };
                    (
                        format!("{title}: {step} {outcome}"),
                        format!(
                            "{rollback} \"{step}\" of {title} {outcome} ({}% done).",
                            state["progress"].as_i64().unwrap_or(0)
                        ),
                    )
                }
                "change.rolled_back" => (
                    format!("Rolled back: {title}"),
                    format!(
                        "{title} failed and was rolled back: {}",
                        state["outcome"].as_str().unwrap_or("see the step log")
                    ),
                ),
                _ => (
                    format!("Failed: {title}"),
                    format!(
                        "{title} failed: {}",
                        state["outcome"].as_str().unwrap_or("see the step log")
                    ),
                ),
            };
            (heading, body, format!("/changes/{id}"))
        }
        "rollout" => {
            let name = text("name");
            let wave = format!(
                "moved to wave {}",
                state["current_wave"].as_i64().unwrap_or(1)
            );
            let verb = match e.event_type.as_str() {
                "rollout.halted" => "halted",
                "rollout.started" => "started",
                "rollout.wave_advanced" => wave.as_str(),
                "rollout.completed" => "completed",
                _ => "was paused",
            };
            (
                format!("Rollout {name} {verb}"),
                format!(
                    "Rollout {name} {verb}{}.",
                    state["halt_reason"]
                        .as_str()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                format!("/rollouts/{}", e.resource_id.clone().unwrap_or_default()),
            )
        }
        "compliance_status" => {
            let tenant = text("tenant");
            let product = text("product");
            let days = state["days_left"].as_i64().unwrap_or(0);
            let when = match days {
                0 => "today".to_owned(),
                1 => "tomorrow".to_owned(),
                n => format!("in {n} days"),
            };
            (
                format!("Grace for {product} on {tenant} ends {when}"),
                format!(
                    "{tenant} runs {product} {}, past its end of life; the grace period ends {when}. Upgrade it before then, or ask for a grace extension.",
                    text("running_version")
                ),
                format!("/tenants/{}/versions", text("tenant_slug")),
            )
        }
        "licence" | "quota" => {
            let details = &data["details"];
            (
                details["title"].as_str().unwrap_or("Licence").to_owned(),
                details["message"].as_str().unwrap_or_default().to_owned(),
                format!(
                    "/tenants/{}/limits",
                    details["tenant_slug"].as_str().unwrap_or_default()
                ),
            )
        }
        "alert" => (
            format!("{}: {}", text("title"), text("subject")),
            format!(
                "{} Runbook: {}. Acknowledge it on the Alerts page when you take it on.",
                text("summary"),
                text("runbook")
            ),
            "/alerts".to_owned(),
        ),
        "webhook_endpoint" => (
            "A webhook endpoint was disabled".to_owned(),
            format!(
                "{} was disabled: {}",
                state["url"].as_str().unwrap_or("Your endpoint"),
                data["details"]["reason"]
                    .as_str()
                    .unwrap_or("its deliveries failed")
            ),
            "/settings".to_owned(),
        ),
        _ if e.event_type == "security.new_sign_in_address" => {
            let address = data["details"]["client_address"]
                .as_str()
                .unwrap_or("an unknown address");
            (
                format!("New sign-in from {address}"),
                format!(
                    "Your account signed in from {address}, an address it had not used before, at {} UTC. If this was not you, change your password and turn on two-factor sign-in.",
                    e.occurred_at.format("%Y-%m-%d %H:%M")
                ),
                "/settings".to_owned(),
            )
        }
        _ => {
            let what = if e.event_type == "security.api_token_created" {
                "An API token was created for your account"
            } else {
                "Two-factor sign-in was changed on your account"
            };
            (
                what.to_owned(),
                format!(
                    "{what} at {} UTC. If this was not you, revoke it and change your password.",
                    e.occurred_at.format("%Y-%m-%d %H:%M")
                ),
                "/settings".to_owned(),
            )
        }
    }
}
