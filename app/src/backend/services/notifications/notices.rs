//! End-of-life notices and the in-app inbox. A notice is keyed by tenant,
//! product and day, so a job that runs twice (or on two replicas) creates it
//! once; the notification and the emails are written in the same transaction
//! as that key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::entities::{eol_notice, notification, product, role_binding, tenant, user};
use crate::backend::error::ServiceResult;
use crate::backend::principal::Actor;
use crate::backend::services::notifications::email_outbox;
use crate::backend::services::notifications::notification_prefs;
use crate::backend::services::releases::compliance;
use crate::backend::services::releases::compliance::EolDate;
use crate::backend::services::releases::compliance::Reach;
use crate::domain::notifications::notification::Channel;
use crate::domain::notifications::notification::NotificationKind;
use crate::domain::releases::compliance::compliance_day;
use crate::domain::releases::compliance::eol_notice_due;
use crate::model::notifications::InboxItem;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoticeRun {
    pub notices: usize,
    pub notifications: usize,
    pub emails: usize,
}

/// Creates today's due notices that do not exist yet.
pub async fn send_eol_notices(
    db: &DatabaseConnection,
    eol_dates: &[EolDate],
    now: DateTime<Utc>,
    public_url: &str,
) -> ServiceResult<NoticeRun> {
    let today = compliance_day(now);
    let mut run = NoticeRun::default();
    for due in eol_dates.iter().filter(|d| eol_notice_due(d.eol, today)) {
        let txn = db.begin().await?;
        let inserted = eol_notice::Entity::insert(eol_notice::ActiveModel {
            tenant_id: Set(due.tenant_id),
            product_id: Set(due.product_id),
            day: Set(today),
            eol_date: Set(due.eol),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                eol_notice::Column::TenantId,
                eol_notice::Column::ProductId,
                eol_notice::Column::Day,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 0 {
            continue;
        }
        let Some(tenant) = tenant::Entity::find_by_id(due.tenant_id).one(&txn).await? else {
            continue;
        };
        let product_name = product::Entity::find_by_id(due.product_id)
            .one(&txn)
            .await?
            .map_or_else(|| "a product".to_owned(), |p| p.name);
        let days = (due.eol - today).num_days();
        let when = match days {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            n => format!("in {n} days, on {}", due.eol),
        };
        let title = format!(
            "{product_name} {} reaches end of life {when}",
            due.running_version
        );
        let link = format!("/tenants/{}/versions", tenant.slug);
        let body = format!(
            "{} runs {product_name} {}, which reaches end of life {when}. Plan the upgrade, or ask for a grace extension.\n\n{public_url}{link}\n",
            tenant.display_name, due.running_version
        );
        for user_id in tenant_people(&txn, due.tenant_id).await? {
            let prefs = notification_prefs::preferences_of(&txn, user_id).await?;
            if prefs.wants(NotificationKind::EolNotice, Channel::InApp) {
                notify(
                    &txn,
                    user_id,
                    Some(due.tenant_id),
                    NotificationKind::EolNotice,
                    &title,
                    &body,
                    &link,
                    now,
                )
                .await?;
                run.notifications += 1;
            }
        }
        let contacts = &tenant.contacts.0;
        let mut recipients: Vec<&String> = contacts.values().collect();
        recipients.sort();
        recipients.dedup();
        for recipient in recipients {
            email_outbox::queue(&txn, recipient, &title, &body, now).await?;
            run.emails += 1;
        }
        audit::record(
            &txn,
            &RequestContext::named("eol-notices"),
            AuditEntry::new(Actor::System("compliance"), "eol_notice.send", "tenant")
                .target(due.tenant_id)
                .tenant(due.tenant_id)
                .details(json!({ "product_id": due.product_id, "version": due.running_version, "eol": due.eol, "days_before": days })),
        )
        .await?;
        txn.commit().await?;
        run.notices += 1;
    }
    Ok(run)
}

/// Tells the tenant's own people about `kind`, each on the channels they
/// chose (in the app, by email to their address), with the caller's
/// transaction. Returns (notifications, emails queued now; held digest emails are not counted).
#[allow(clippy::too_many_arguments)]
pub async fn notify_tenant_people<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    kind: NotificationKind,
    title: &str,
    body: &str,
    link: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<(usize, usize)> {
    let (mut notified, mut emailed) = (0, 0);
    for user_id in tenant_people(conn, tenant_id).await? {
        let prefs = notification_prefs::preferences_of(conn, user_id).await?;
        if prefs.wants(kind, Channel::InApp) {
            notify(conn, user_id, Some(tenant_id), kind, title, body, link, now).await?;
            notified += 1;
        }
        if prefs.wants(kind, Channel::Email)
            && let Some(person) = user::Entity::find_by_id(user_id).one(conn).await?
            && super::digests::email_notification(
                conn, &person, kind, title, body, link, public_url, now,
            )
            .await?
                == super::digests::EmailOutcome::Queued
        {
            emailed += 1;
        }
    }
    Ok((notified, emailed))
}

/// Active people with a role on the tenant itself.
pub(crate) async fn tenant_people<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Vec<Uuid>> {
    let bound: Vec<Uuid> = role_binding::Entity::find()
        .select_only()
        .column(role_binding::Column::UserId)
        .filter(role_binding::Column::TenantId.eq(tenant_id))
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(bound))
        .filter(user::Column::IsActive.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

pub async fn notify<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    tenant_id: Option<Uuid>,
    kind: NotificationKind,
    title: &str,
    body: &str,
    link: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    notification::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        tenant_id: Set(tenant_id),
        kind: Set(kind),
        title: Set(title.to_owned()),
        body: Set(body.to_owned()),
        link: Set(link.to_owned()),
        created_at: Set(now),
        read_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The daily (in practice hourly) compliance job: assess everything, store
/// today's snapshot, send the notices that fall due.
pub async fn run_compliance_job(
    db: &DatabaseConnection,
    public_url: &str,
    now: DateTime<Utc>,
) -> ServiceResult<(compliance::AssessmentReport, NoticeRun)> {
    let report = compliance::assess(db, Reach::All, now).await?;
    let notices = send_eol_notices(db, &report.eol_dates, now, public_url).await?;
    crate::backend::services::changes::schedule_forced_upgrades(db, &report.forced_upgrades, now)
        .await?;
    crate::backend::services::changes::schedule_auto_updates(db, public_url, now).await?;
    crate::backend::services::plans::licences::sweep(db, now).await?;
    crate::backend::services::tenants::backups::sweep(db, now).await?;
    crate::backend::services::tenants::secret_rotation::schedule_due(db, now).await?;
    crate::backend::services::tenants::offboarding::sweep(db, now).await?;
    Ok((report, notices))
}

/// The signed-in person's notifications, newest first (the latest 100).
pub async fn inbox(ctx: &Ctx) -> ServiceResult<Vec<InboxItem>> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(principal.user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(|n| InboxItem {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect())
}

pub async fn unread_count(ctx: &Ctx) -> ServiceResult<u64> {
    let db = &ctx.reads;
    let principal = &ctx.principal;
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

pub async fn mark_all_read(ctx: &Ctx) -> ServiceResult<()> {
    let db = &ctx.db;
    let principal = &ctx.principal;
    notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(ctx.now()),
        )
        .filter(notification::Column::UserId.eq(principal.user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
