//! Email digests: the emails a person's notifications would send are held
//! and sent as one email a day or a week at their chosen hour (critical
//! alerts still go at once). The digest job claims each due person with a
//! conditional update of their next send time, so one replica sends it,
//! and writes the email and marks the held items in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry};
use crate::backend::context::Ctx;
use crate::backend::entities::{digest_item, digest_setting, user};
use crate::backend::error::{Parsed, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::notifications::email_outbox;
use crate::domain::notifications::digest::{
    DigestLine, DigestSchedule, EmailCadence, compose, parse_weekday, weekday_key,
};
use crate::domain::notifications::notification::NotificationKind;
use crate::model::notifications::DigestSettingsView;

/// Digests sent per round at most; the rest wait for the next round.
const BATCH: u64 = 100;

/// What happened to one notification email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailOutcome {
    Queued,
    HeldForDigest,
}

/// The person's schedule; the default (at once) until they choose.
pub async fn schedule_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> ServiceResult<DigestSchedule> {
    Ok(digest_setting::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map(|row| schedule_from(&row))
        .unwrap_or_default())
}

fn schedule_from(row: &digest_setting::Model) -> DigestSchedule {
    let fallback = DigestSchedule::default();
    DigestSchedule {
        cadence: EmailCadence::parse(&row.cadence).unwrap_or(fallback.cadence),
        hour: u32::try_from(row.hour)
            .ok()
            .filter(|h| *h < 24)
            .unwrap_or(fallback.hour),
        weekday: parse_weekday(&row.weekday).unwrap_or(fallback.weekday),
        timezone: row.timezone.parse().unwrap_or(fallback.timezone),
    }
}

/// Emails `person` about a notification, or holds it for their digest,
/// with the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn email_notification<C: ConnectionTrait>(
    conn: &C,
    person: &user::Model,
    kind: NotificationKind,
    title: &str,
    body: &str,
    link: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<EmailOutcome> {
    let schedule = schedule_of(conn, person.id).await?;
    if schedule.holds(kind) {
        digest_item::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(person.id),
            kind: Set(kind),
            title: Set(title.to_owned()),
            body: Set(body.to_owned()),
            link: Set(link.to_owned()),
            created_at: Set(now),
            digested_at: Set(None),
        }
        .insert(conn)
        .await?;
        return Ok(EmailOutcome::HeldForDigest);
    }
    let text = format!("{body}\n\n{public_url}{link}\n");
    email_outbox::queue(conn, &person.email, title, &text, now).await?;
    Ok(EmailOutcome::Queued)
}

/// The signed-in person's cadence, for Settings → Notifications.
pub async fn settings(ctx: &Ctx) -> ServiceResult<DigestSettingsView> {
    let user_id = ctx.principal.user_id;
    let row = digest_setting::Entity::find_by_id(user_id)
        .one(&ctx.reads)
        .await?;
    let schedule = row.as_ref().map(schedule_from).unwrap_or_default();
    let pending = pending_count(&ctx.reads, user_id).await?;
    Ok(DigestSettingsView {
        cadence: schedule.cadence.as_str().to_owned(),
        hour: schedule.hour,
        weekday: weekday_key(schedule.weekday).to_owned(),
        timezone: schedule.timezone.name().to_owned(),
        description: schedule.describe(),
        next_digest_at: row.and_then(|r| r.next_digest_at),
        pending,
        cadences: EmailCadence::ALL
            .into_iter()
            .map(|c| (c.as_str().to_owned(), c.label().to_owned()))
            .collect(),
    })
}

async fn pending_count<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> ServiceResult<u64> {
    Ok(digest_item::Entity::find()
        .filter(digest_item::Column::UserId.eq(user_id))
        .filter(digest_item::Column::DigestedAt.is_null())
        .count(conn)
        .await?)
}

/// Saves the signed-in person's cadence. Moving to "at once" sends what
/// was held in one last digest at the next round.
pub async fn save_settings(ctx: &Ctx, schedule: Parsed<DigestSchedule>) -> ServiceResult<()> {
    let schedule = schedule?;
    let user_id = ctx.principal.user_id;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let next = match schedule.next_after(now) {
        Some(next) => Some(next),
        None if pending_count(&txn, user_id).await? > 0 => Some(now),
        None => None,
    };
    digest_setting::Entity::insert(digest_setting::ActiveModel {
        user_id: Set(user_id),
        cadence: Set(schedule.cadence.as_str().to_owned()),
        hour: Set(schedule.hour as i32),
        weekday: Set(weekday_key(schedule.weekday).to_owned()),
        timezone: Set(schedule.timezone.name().to_owned()),
        next_digest_at: Set(next),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(digest_setting::Column::UserId)
            .update_columns([
                digest_setting::Column::Cadence,
                digest_setting::Column::Hour,
                digest_setting::Column::Weekday,
                digest_setting::Column::Timezone,
                digest_setting::Column::NextDigestAt,
                digest_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(
            Actor::from(&ctx.principal),
            "notification.digest_update",
            "user",
        )
        .target(user_id)
        .details(json!({ "cadence": schedule.cadence.as_str(), "schedule": schedule.describe() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What one digest round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigestRound {
    /// Digest emails queued.
    pub sent: usize,
    /// Notifications they summarised.
    pub items: usize,
}

/// Sends every digest due by `now`: one email per person with everything
/// held for them, then schedules their next one.
pub async fn send_due(
    db: &DatabaseConnection,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<DigestRound> {
    let due = digest_setting::Entity::find()
        .filter(digest_setting::Column::NextDigestAt.lte(now))
        .order_by_asc(digest_setting::Column::NextDigestAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut round = DigestRound::default();
    for row in due {
        let schedule = schedule_from(&row);
        let txn = db.begin().await?;
        // The claim: whoever moves the due time sends this digest.
        let claimed = digest_setting::Entity::update_many()
            .col_expr(
                digest_setting::Column::NextDigestAt,
                Expr::value(schedule.next_after(now)),
            )
            .filter(digest_setting::Column::UserId.eq(row.user_id))
            .filter(digest_setting::Column::NextDigestAt.eq(row.next_digest_at))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let items = digest_item::Entity::find()
            .filter(digest_item::Column::UserId.eq(row.user_id))
            .filter(digest_item::Column::DigestedAt.is_null())
            .filter(digest_item::Column::CreatedAt.lte(now))
            .order_by_asc(digest_item::Column::CreatedAt)
            .all(&txn)
            .await?;
        let person = user::Entity::find_by_id(row.user_id).one(&txn).await?;
        if let Some(person) = person.filter(|p| p.is_active)
            && !items.is_empty()
        {
            let lines: Vec<DigestLine> = items
                .iter()
                .map(|item| DigestLine {
                    kind: item.kind,
                    title: item.title.clone(),
                    link: item.link.clone(),
                    at: item.created_at,
                })
                .collect();
            let (subject, body) = compose(&schedule, &lines, public_url);
            email_outbox::queue(&txn, &person.email, &subject, &body, now).await?;
            round.sent += 1;
            round.items += items.len();
        }
        if !items.is_empty() {
            digest_item::Entity::update_many()
                .col_expr(digest_item::Column::DigestedAt, Expr::value(Some(now)))
                .filter(digest_item::Column::Id.is_in(items.iter().map(|i| i.id)))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(round)
}
