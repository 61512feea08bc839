//! The durable email queue. `queue` runs inside the caller's transaction;
//! `deliver_due` claims due messages one at a time (a conditional update, so
//! two workers or replicas never send the same claim), sends them and
//! records the outcome with retries and backoff.
//!
//! Delivery is at-least-once: a crash after the SMTP server accepted a
//! message but before it was marked sent resends it once the claim expires.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::backend::crypto::Purpose;
use crate::backend::entities::outbound_email;
use crate::backend::error::ServiceResult;
use crate::backend::mail::{Mailer, OutgoingEmail};
use crate::backend::services::platform::secrets_at_rest;
use crate::domain::notifications::email::DeliveryStatus;

/// After this many failed attempts a message is given up on (status `failed`).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a worker may hold a claim before another may take it over.
const CLAIM_FOR: Duration = Duration::minutes(2);

/// Queues an email with the caller's transaction.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    recipient: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Uuid> {
    let id = Uuid::new_v4();
    outbound_email::ActiveModel {
        id: Set(id),
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        // Sealed: until it is delivered it carries a live link.
        body: Set(secrets_at_rest::seal(Purpose::EmailBody, body)),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Wait before attempt `attempts + 1`: 30 s doubling up to an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(0, 7) as u32;
    Duration::seconds((30i64 << exponent).min(3600))
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Delivers every message that is due at `now`.
pub async fn deliver_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ServiceResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let due = outbound_email::Entity::find()
        .filter(
            Condition::any()
                .add(outbound_email::Column::Status.eq(DeliveryStatus::Pending))
                // A claim that ran out: its worker died mid-delivery.
                .add(outbound_email::Column::Status.eq(DeliveryStatus::Sending)),
        )
        .filter(outbound_email::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbound_email::Column::NextAttemptAt)
        .limit(50)
        .all(db)
        .await?;
    for message in due {
        if !claim(db, &message, now).await? {
            continue;
        }
        let outgoing = OutgoingEmail {
            id: message.id,
            recipient: message.recipient.clone(),
            subject: message.subject.clone(),
            body: secrets_at_rest::reveal(Purpose::EmailBody, &message.body)?,
        };
        let attempts = message.attempts + 1;
        let mut active: outbound_email::ActiveModel = message.into();
        active.attempts = Set(attempts);
        match mailer.send(&outgoing).await {
            Ok(()) => {
                active.status = Set(DeliveryStatus::Sent);
                active.sent_at = Set(Some(now));
                active.last_error = Set(None);
                // Bodies carry single-use links; once delivered they need not stay.
                active.body = Set(String::new());
                report.sent += 1;
            }
            Err(error) => {
                tracing::warn!(email = %outgoing.id, attempts, %error, "email delivery failed");
                active.last_error = Set(Some(error));
                if attempts >= MAX_ATTEMPTS {
                    active.status = Set(DeliveryStatus::Failed);
                    report.failed += 1;
                } else {
                    active.status = Set(DeliveryStatus::Pending);
                    active.next_attempt_at = Set(now + backoff(attempts));
                    report.retried += 1;
                }
            }
        }
        active.update(db).await?;
    }
    Ok(report)
}

/// Takes the message for this worker: only one conditional update can win.
async fn claim(
    db: &DatabaseConnection,
    message: &outbound_email::Model,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let result = outbound_email::Entity::update_many()
        .col_expr(
            outbound_email::Column::Status,
            Expr::value(DeliveryStatus::Sending),
        )
        .col_expr(
            outbound_email::Column::NextAttemptAt,
            Expr::value(now + CLAIM_FOR),
        )
        .filter(outbound_email::Column::Id.eq(message.id))
        .filter(outbound_email::Column::Status.eq(message.status))
        .filter(outbound_email::Column::NextAttemptAt.eq(message.next_attempt_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(7), Duration::seconds(3600));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
