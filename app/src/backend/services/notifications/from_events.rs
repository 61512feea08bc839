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
    change_request, event, event_counter, role, role_binding, rollout, user, webhook_endpoint,
};
use crate::backend::error::ServiceResult;
use crate::backend::services::notifications::email_outbox;
use crate::backend::services::notifications::notices::notify;
use crate::backend::services::notifications::notification_prefs;
use crate::domain::access::permission::Permission;
use crate::domain::notifications::notification::{Audience, Channel, for_event};

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
        let Some((kind, audience)) = for_event(&e.event_type, status) else {
            continue;
        };
        let recipients = audience_of(&txn, e, audience).await?;
        let (title, body, link) = describe(e, &data);
        for user_id in recipients {
            let prefs = notification_prefs::preferences_of(&txn, user_id).await?;
            if prefs.wants(kind, Channel::InApp) {
                notify(&txn, user_id, e.tenant_id, kind, &title, &body, &link, now).await?;
                round.notifications += 1;
            }
            if prefs.wants(kind, Channel::Email)
                && let Some(person) = user::Entity::find_by_id(user_id).one(&txn).await?
            {
                let text = format!("{body}\n\n{public_url}{link}\n");
                email_outbox::queue(&txn, &person.email, &title, &text, now).await?;
                round.emails += 1;
            }
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
            let verb = if e.event_type == "rollout.halted" {
                "halted"
            } else {
                "was paused"
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
