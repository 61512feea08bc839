//! Reading and saving a person's notification preferences (the rule of what
//! they want is `domain::notification::Preferences::wants`).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::notification_preference;
use crate::backend::error::ServiceResult;
use crate::backend::principal::Actor;
use crate::domain::notifications::notification::Channel;
use crate::domain::notifications::notification::NotificationKind;
use crate::domain::notifications::notification::Preferences;
use crate::domain::validation::FieldErrors;
use crate::model::notifications::PreferenceRow;

/// What `user_id` chose (kinds never chosen fall back to the defaults).
pub async fn preferences_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> ServiceResult<Preferences> {
    let chosen = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.eq(user_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.kind, row.email, row.in_app))
        .collect();
    Ok(Preferences { chosen })
}

pub async fn rows(ctx: &Ctx) -> ServiceResult<Vec<PreferenceRow>> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let preferences = preferences_of(db, principal.user_id).await?;
    Ok(NotificationKind::ALL
        .into_iter()
        .map(|kind| PreferenceRow {
            kind,
            label: kind.label().to_owned(),
            email: preferences.wants(kind, Channel::Email),
            in_app: preferences.wants(kind, Channel::InApp),
            in_app_locked: kind.in_app_is_mandatory(),
        })
        .collect())
}

/// Saves the kinds ticked for email and for in-app delivery; every kind not
/// listed is off (except what cannot be turned off).
pub async fn save(ctx: &Ctx, email: &[&str], in_app: &[&str]) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    let context = &ctx.request;
    let mut errors = FieldErrors::default();
    for key in email.iter().chain(in_app) {
        if NotificationKind::parse(key).is_none() {
            errors.push("form", format!("'{key}' is not a kind of notification."));
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let before = rows(ctx).await?;
    let now = ctx.now();
    let txn = db.begin().await?;
    notification_preference::Entity::delete_many()
        .filter(notification_preference::Column::UserId.eq(principal.user_id))
        .exec(&txn)
        .await?;
    let mut after = vec![];
    for kind in NotificationKind::ALL {
        let by_email = email.contains(&kind.as_str());
        let in_app = in_app.contains(&kind.as_str()) || kind.in_app_is_mandatory();
        notification_preference::ActiveModel {
            user_id: Set(principal.user_id),
            kind: Set(kind),
            email: Set(by_email),
            in_app: Set(in_app),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        after.push(json!({ "kind": kind.as_str(), "email": by_email, "in_app": in_app }));
    }
    let before: Vec<_> = before
        .iter()
        .map(|r| json!({ "kind": r.kind.as_str(), "email": r.email, "in_app": r.in_app }))
        .collect();
    audit::record(
        &txn,
        context,
        AuditEntry::new(
            Actor::from(principal),
            "user.notification_preferences",
            "user",
        )
        .target(principal.user_id)
        .details(json!({ "before": before, "after": after })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
