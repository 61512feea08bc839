//! Licences: the vendor's templates, their assignments to tenants with a
//! document signed by the vendor's Ed25519 key (verifiable offline with the
//! public key), and what their end does: notices at 30, 7 and 1 day
//! (events, notifications), and on expiry or revocation the tenant is
//! suspended through the lifecycle path (a change request the executor
//! runs); a renewal resumes it. Activation and resumption check the licence.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::{Signer, SigningKey};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::context::Ctx;
use crate::backend::crypto::Purpose;
use crate::backend::db::scoped_read;
use crate::backend::entities::{licence_assignment, licence_signing_key, licence_template, tenant};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::platform::secrets_at_rest;
use crate::backend::services::tenants::{Mover, TransitionOutcome, move_tenant};
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::plans::licence::{
    LicenceStatus, LicenceTemplateDraft, LicenceType, canonical_json, days_left, notice_due,
};
use crate::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::model::plans::{
    Licence, LicenceAssignForm, LicenceDocument, LicenceRenewForm, LicenceRevokeForm,
    LicenceTemplate, LicenceTemplateForm,
};

const KEY_ID: &str = "current";
pub const ALGORITHM: &str = "Ed25519";

// ---- The signing key -----------------------------------------------------

/// The vendor's signing key, made on first use (one row; a second replica
/// making one at the same moment keeps the first).
async fn signing_key<C: ConnectionTrait>(conn: &C) -> ServiceResult<(SigningKey, String)> {
    if let Some(row) = licence_signing_key::Entity::find_by_id(KEY_ID)
        .one(conn)
        .await?
    {
        let seed = secrets_at_rest::reveal(Purpose::LicenceSigningKey, &row.private_key)?;
        let bytes: [u8; 32] = BASE64
            .decode(seed.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ServiceError::internal("the licence signing key is damaged"))?;
        return Ok((SigningKey::from_bytes(&bytes), row.public_key));
    }
    let seed: [u8; 32] = rand::random();
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| ServiceError::internal(format!("public key: {e}")))?;
    licence_signing_key::Entity::insert(licence_signing_key::ActiveModel {
        id: Set(KEY_ID.to_owned()),
        public_key: Set(pem),
        private_key: Set(secrets_at_rest::seal(
            Purpose::LicenceSigningKey,
            &BASE64.encode(seed),
        )),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(licence_signing_key::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Box::pin(signing_key(conn)).await
}

/// The vendor's public key (PEM, SubjectPublicKeyInfo): anyone may fetch it
/// to verify a licence document offline.
pub async fn public_key_pem(db: &DatabaseConnection) -> ServiceResult<String> {
    Ok(signing_key(db).await?.1)
}

// ---- Templates -----------------------------------------------------------

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn template_view(t: &licence_template::Model) -> LicenceTemplate {
    LicenceTemplate {
        id: t.id,
        key: t.key.clone(),
        name: t.name.clone(),
        licence_type: LicenceType::parse(&t.licence_type).unwrap_or(LicenceType::Subscription),
        products: json_list(&t.products),
        seats: t.seats.max(0) as u32,
        term_days: t.term_days.map(|d| d.max(0) as u32),
        features: json_list(&t.features),
        updated_at: t.updated_at,
    }
}

/// Every template (the vendor's catalogue).
pub async fn templates(ctx: &Ctx) -> ServiceResult<Vec<LicenceTemplate>> {
    ctx.principal.require(Permission::TenantRead)?;
    Ok(licence_template::Entity::find()
        .order_by_asc(licence_template::Column::Key)
        .all(&ctx.reads)
        .await?
        .iter()
        .map(template_view)
        .collect())
}

/// Creates a template, or edits the one with the form's key. Assigned
/// licences keep the terms they were signed with.
pub async fn save_template(
    ctx: &Ctx,
    form: &LicenceTemplateForm,
) -> ServiceResult<LicenceTemplate> {
    ctx.principal.require(Permission::SettingsManage)?;
    let draft = LicenceTemplateDraft::parse(form).map_err(ServiceError::Validation)?;
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let existing = licence_template::Entity::find()
        .filter(licence_template::Column::Key.eq(draft.key.clone()))
        .one(&txn)
        .await?;
    let before = existing.as_ref().map(template_view);
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(row) => row.into(),
        None => licence_template::ActiveModel {
            id: Set(Uuid::new_v4()),
            key: Set(draft.key.clone()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.name = Set(draft.name.clone());
    row.licence_type = Set(draft.licence_type.as_str().to_owned());
    row.products = Set(json!(draft.products).to_string());
    row.seats = Set(draft.seats as i32);
    row.term_days = Set(draft.term_days.map(|d| d as i32));
    row.features = Set(json!(draft.features).to_string());
    row.updated_at = Set(now);
    let saved = if is_new {
        row.insert(&txn).await?
    } else {
        row.update(&txn).await?
    };
    let after = template_view(&saved);
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(
            Actor::from(&ctx.principal),
            "licence_template.save",
            "licence_template",
        )
        .target(saved.id)
        .details(json!({ "before": before, "after": after })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

// ---- Assignments ---------------------------------------------------------

fn notices_of(row: &licence_assignment::Model) -> Vec<u32> {
    serde_json::from_str(&row.notices_sent).unwrap_or_default()
}

fn licence_view(
    row: &licence_assignment::Model,
    tenant_slug: &str,
    template: Option<&licence_template::Model>,
    now: DateTime<Utc>,
) -> Licence {
    Licence {
        id: row.id,
        tenant_id: row.tenant_id,
        tenant_slug: tenant_slug.to_owned(),
        template_key: template.map(|t| t.key.clone()).unwrap_or_default(),
        template_name: template.map(|t| t.name.clone()).unwrap_or_default(),
        licence_type: template
            .and_then(|t| LicenceType::parse(&t.licence_type))
            .unwrap_or(LicenceType::Subscription),
        seats: row.seats.max(0) as u32,
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        status: LicenceStatus::of(row.valid_from, row.valid_to, row.revoked_at.is_some(), now),
        revoked_reason: row.revoked_reason.clone(),
        notices_sent: notices_of(row),
        enforced_at: row.enforced_at,
    }
}

async fn template_of<C: ConnectionTrait>(
    conn: &C,
    row: &licence_assignment::Model,
) -> ServiceResult<Option<licence_template::Model>> {
    Ok(licence_template::Entity::find_by_id(row.template_id)
        .one(conn)
        .await?)
}

/// A tenant's licences, newest first.
pub async fn of_tenant(ctx: &Ctx, reference: &str) -> ServiceResult<Vec<Licence>> {
    let (tenant_id, slug) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let txn = scoped_read(
        &ctx.reads,
        &ctx.principal.tenant_scope(Permission::TenantRead),
    )
    .await?;
    let rows = licence_assignment::Entity::find()
        .filter(licence_assignment::Column::TenantId.eq(tenant_id))
        .order_by_desc(licence_assignment::Column::CreatedAt)
        .all(&txn)
        .await?;
    let templates: std::collections::HashMap<Uuid, licence_template::Model> =
        licence_template::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
    let now = ctx.now();
    Ok(rows
        .iter()
        .map(|r| licence_view(r, &slug, templates.get(&r.template_id), now))
        .collect())
}

fn parse_day(raw: &str, field: &str, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(day) => Some(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        Err(_) => {
            errors.push(field, format!("'{raw}' is not a date; use YYYY-MM-DD."));
            None
        }
    }
}

/// The document a licence's signature covers.
fn document(
    row_id: Uuid,
    tenant: &tenant::Model,
    template: &licence_template::Model,
    seats: u32,
    valid_from: DateTime<Utc>,
    valid_to: Option<DateTime<Utc>>,
    issued_at: DateTime<Utc>,
) -> String {
    canonical_json(&json!({
        "issuer": "tenantry",
        "licence_id": row_id,
        "tenant": { "id": tenant.id, "slug": tenant.slug },
        "template": template.key,
        "name": template.name,
        "type": template.licence_type,
        "products": json_list(&template.products),
        "features": json_list(&template.features),
        "seats": seats,
        "valid_from": valid_from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "valid_to": valid_to.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "issued_at": issued_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}

/// Signs `document` with the portal's key (licences, certificates of
/// destruction): base64 of the Ed25519 signature over its bytes.
pub(crate) async fn sign<C: ConnectionTrait>(conn: &C, document: &str) -> ServiceResult<String> {
    let (key, _) = signing_key(conn).await?;
    Ok(BASE64.encode(key.sign(document.as_bytes()).to_bytes()))
}

fn tenant_slug_details(
    tenant: &tenant::Model,
    title: String,
    message: String,
) -> serde_json::Value {
    json!({ "tenant_slug": tenant.slug, "title": title, "message": message })
}

/// Assigns a template to a tenant (platform `tenant.manage`): the period
/// from the form or the template's term, the document signed.
pub async fn assign(
    ctx: &Ctx,
    reference: &str,
    form: &LicenceAssignForm,
) -> ServiceResult<Licence> {
    ctx.principal.require(Permission::TenantManage)?;
    let (tenant_id, _) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let now = ctx.now();
    let mut errors = FieldErrors::default();
    let txn = ctx.db.begin().await?;
    let template = licence_template::Entity::find()
        .filter(licence_template::Column::Key.eq(form.template.trim()))
        .one(&txn)
        .await?;
    if template.is_none() {
        errors.push("template", "Choose a licence template.");
    }
    let seats = match form.seats.trim() {
        "" => template.as_ref().map(|t| t.seats.max(0) as u32),
        raw => match raw.parse::<u32>() {
            Ok(n) if (1..=10_000_000).contains(&n) => Some(n),
            _ => {
                errors.push("seats", "Seats are a whole number from 1 to 10,000,000.");
                None
            }
        },
    };
    let valid_from = parse_day(&form.valid_from, "valid_from", &mut errors).unwrap_or(now);
    let valid_to = parse_day(&form.valid_to, "valid_to", &mut errors).or_else(|| {
        template
            .as_ref()
            .and_then(|t| t.term_days)
            .map(|d| valid_from + Duration::days(i64::from(d)))
    });
    if valid_to.is_some_and(|to| to <= valid_from) {
        errors.push("valid_to", "The end must be after the start.");
    }
    let (Some(template), Some(seats), true) = (template, seats, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let tenant = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let id = Uuid::new_v4();
    let doc = document(id, &tenant, &template, seats, valid_from, valid_to, now);
    let signature = sign(&txn, &doc).await?;
    let row = licence_assignment::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        template_id: Set(template.id),
        seats: Set(seats as i32),
        valid_from: Set(valid_from),
        valid_to: Set(valid_to),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        document: Set(doc),
        signature: Set(signature),
        notices_sent: Set("[]".into()),
        enforced_at: Set(None),
        created_by: Set(Actor::from(&ctx.principal).label()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(
            Actor::from(&ctx.principal),
            "licence.assign",
            "licence_assignment",
        )
        .target(id)
        .tenant(tenant_id)
        .details(tenant_slug_details(
            &tenant,
            format!("Licence {} assigned to {}", template.name, tenant.slug),
            format!(
                "{} seats, valid {}.",
                seats,
                period_text(valid_from, valid_to)
            ),
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(licence_view(&row, &tenant.slug, Some(&template), now))
}

fn period_text(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> String {
    match to {
        Some(to) => format!(
            "from {} to {}",
            from.format("%Y-%m-%d"),
            to.format("%Y-%m-%d")
        ),
        None => format!("from {} with no end", from.format("%Y-%m-%d")),
    }
}

/// A licence the principal may manage, with its tenant (others' are not found).
async fn managed(
    ctx: &Ctx,
    txn: &DatabaseTransaction,
    id: Uuid,
) -> ServiceResult<(licence_assignment::Model, tenant::Model)> {
    ctx.principal.require(Permission::TenantManage)?;
    let row = licence_assignment::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tenant = tenant::Entity::find_by_id(row.tenant_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((row, tenant))
}

/// Whether another licence of the tenant is valid now.
async fn covered_otherwise<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    except: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    Ok(licence_assignment::Entity::find()
        .filter(licence_assignment::Column::TenantId.eq(tenant_id))
        .filter(licence_assignment::Column::Id.ne(except))
        .all(conn)
        .await?
        .iter()
        .any(|l| {
            LicenceStatus::of(l.valid_from, l.valid_to, l.revoked_at.is_some(), now).is_valid()
        }))
}

/// Suspends the tenant through the lifecycle path (a change request), if
/// its state allows; `false` when there was nothing to suspend.
async fn suspend_for_licence(
    txn: &DatabaseTransaction,
    tenant: &tenant::Model,
    actor: &Actor,
    by_vendor: bool,
    context: &RequestContext,
    reason: &str,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    if !matches!(
        tenant.lifecycle_state,
        LifecycleState::Active | LifecycleState::Broken | LifecycleState::Maintenance
    ) {
        return Ok(false);
    }
    let outcome = move_tenant(
        txn,
        tenant,
        LifecycleAction::Suspend,
        Mover {
            actor,
            by_vendor,
            context,
            source: "licence",
            reason: Some(reason),
        },
        None,
        now,
    )
    .await?;
    Ok(matches!(outcome, TransitionOutcome::Started { .. }))
}

/// Revokes a licence (platform `tenant.manage`, a reason required); unless
/// another licence covers the tenant, it is suspended at once by a change
/// request.
pub async fn revoke(ctx: &Ctx, id: Uuid, form: &LicenceRevokeForm) -> ServiceResult<Licence> {
    ctx.principal.require(Permission::TenantManage)?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(ServiceError::Validation(FieldErrors(vec![
            FieldError::new(
                "reason",
                "Say why (1 to 300 characters): the tenant's people are told.",
            ),
        ])));
    }
    let now = ctx.now();
    let txn = ctx.db.begin().await?;
    let (row, tenant) = managed(ctx, &txn, id).await?;
    if row.revoked_at.is_some() {
        return Err(ServiceError::Conflict(
            "This licence is revoked already.".into(),
        ));
    }
    let actor = Actor::from(&ctx.principal);
    let template = template_of(&txn, &row).await?;
    let why = format!(
        "Licence {} was revoked: {reason}",
        template.as_ref().map(|t| t.name.as_str()).unwrap_or("")
    );
    let suspended = !covered_otherwise(&txn, tenant.id, row.id, now).await?
        && suspend_for_licence(&txn, &tenant, &actor, true, &ctx.request, &why, now).await?;
    let mut active: licence_assignment::ActiveModel = row.clone().into();
    active.revoked_at = Set(Some(now));
    active.revoked_reason = Set(Some(reason.to_owned()));
    active.enforced_at = Set(suspended.then_some(now));
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "licence.revoke", "licence_assignment")
            .target(row.id)
            .tenant(tenant.id)
            .details(tenant_slug_details(
                &tenant,
                format!("Licence revoked for {}", tenant.slug),
                format!(
                    "{why}{}",
                    if suspended {
                        " The tenant is being suspended."
                    } else {
                        ""
                    }
                ),
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(licence_view(&row, &tenant.slug, template.as_ref(), now))
}

/// Renews a licence to a new end (re-signed, notices start over); a tenant
/// its end had suspended is resumed through the lifecycle path.
pub async fn renew(ctx: &Ctx, id: Uuid, form: &LicenceRenewForm) -> ServiceResult<Licence> {
    ctx.principal.require(Permission::TenantManage)?;
    let now = ctx.now();
    let mut errors = FieldErrors::default();
    let typed = parse_day(&form.valid_to, "valid_to", &mut errors);
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let txn = ctx.db.begin().await?;
    let (row, tenant) = managed(ctx, &txn, id).await?;
    if row.revoked_at.is_some() {
        return Err(ServiceError::Conflict(
            "A revoked licence cannot be renewed; assign a new one.".into(),
        ));
    }
    let template = template_of(&txn, &row)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let base = row.valid_to.map_or(now, |end| end.max(now));
    let valid_to = match (typed, template.term_days) {
        (Some(to), _) => Some(to),
        (None, Some(days)) => Some(base + Duration::days(i64::from(days))),
        (None, None) => None,
    };
    if valid_to.is_some_and(|to| to <= now) {
        return Err(ServiceError::Validation(FieldErrors(vec![
            FieldError::new("valid_to", "A renewal ends in the future."),
        ])));
    }
    let seats = row.seats.max(0) as u32;
    let doc = document(
        row.id,
        &tenant,
        &template,
        seats,
        row.valid_from,
        valid_to,
        now,
    );
    let signature = sign(&txn, &doc).await?;
    let actor = Actor::from(&ctx.principal);
    let was_enforced = row.enforced_at.is_some();
    let mut active: licence_assignment::ActiveModel = row.clone().into();
    active.valid_to = Set(valid_to);
    active.document = Set(doc);
    active.signature = Set(signature);
    active.notices_sent = Set("[]".into());
    active.enforced_at = Set(None);
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    // Renewed first, so the resumption's licence check sees it valid.
    let resumed = was_enforced
        && tenant.lifecycle_state == LifecycleState::Suspended
        && matches!(
            move_tenant(
                &txn,
                &tenant,
                LifecycleAction::Resume,
                Mover {
                    actor: &actor,
                    by_vendor: true,
                    context: &ctx.request,
                    source: "licence",
                    reason: None
                },
                None,
                now,
            )
            .await?,
            TransitionOutcome::Started { .. }
        );
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "licence.renew", "licence_assignment")
            .target(row.id)
            .tenant(tenant.id)
            .details(tenant_slug_details(
                &tenant,
                format!("Licence {} renewed for {}", template.name, tenant.slug),
                format!(
                    "Valid {}.{}",
                    period_text(row.valid_from, valid_to),
                    if resumed {
                        " The tenant is being resumed."
                    } else {
                        ""
                    }
                ),
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(licence_view(&row, &tenant.slug, Some(&template), now))
}

/// A licence's signed document, for its tenant's people and the vendor.
pub async fn document_of(ctx: &Ctx, id: Uuid) -> ServiceResult<LicenceDocument> {
    let row = licence_assignment::Entity::find_by_id(id)
        .one(&ctx.reads)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !ctx
        .principal
        .can(Permission::TenantRead, Scope::Tenant(row.tenant_id))
    {
        return Err(ServiceError::NotFound);
    }
    Ok(LicenceDocument {
        document: row.document,
        signature: row.signature,
        algorithm: ALGORITHM.to_owned(),
        public_key_pem: public_key_pem(&ctx.db).await?,
    })
}

/// Why the tenant may not be activated or resumed for want of a licence:
/// it has licences and none is valid now. (A tenant never licensed is not
/// held back: licensing is the vendor's choice per tenant.)
pub(crate) async fn activation_refusal<C: ConnectionTrait>(
    conn: &C,
    tenant: &tenant::Model,
    action: LifecycleAction,
    now: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    if !matches!(action, LifecycleAction::Activate | LifecycleAction::Resume) {
        return Ok(None);
    }
    let rows = licence_assignment::Entity::find()
        .filter(licence_assignment::Column::TenantId.eq(tenant.id))
        .all(conn)
        .await?;
    if rows.is_empty()
        || rows.iter().any(|l| {
            LicenceStatus::of(l.valid_from, l.valid_to, l.revoked_at.is_some(), now).is_valid()
        })
    {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} has no valid licence (its licences have expired or were revoked); renew or assign one first.",
        tenant.slug
    )))
}

// ---- The sweep (the system acts) -----------------------------------------

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub notices: usize,
    pub suspended: usize,
}

/// Sends the notices that fall due and enforces the licences that have
/// ended: each licence in its own transaction, so one failure (a tenant
/// whose lifecycle change is still running) is retried next round without
/// holding back the others.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<SweepReport> {
    let mut report = SweepReport::default();
    let live = licence_assignment::Entity::find()
        .filter(licence_assignment::Column::RevokedAt.is_null())
        .filter(licence_assignment::Column::EnforcedAt.is_null())
        .filter(licence_assignment::Column::ValidTo.is_not_null())
        .all(db)
        .await?;
    let actor = Actor::System("licences");
    for row in live {
        let Some(end) = row.valid_to else { continue };
        let txn = db.begin().await?;
        // Re-read in the transaction: another replica may have acted.
        let Some(row) = licence_assignment::Entity::find_by_id(row.id)
            .filter(licence_assignment::Column::EnforcedAt.is_null())
            .one(&txn)
            .await?
        else {
            continue;
        };
        let Some(tenant) = tenant::Entity::find_by_id(row.tenant_id).one(&txn).await? else {
            continue;
        };
        let template = template_of(&txn, &row).await?;
        let name = template
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let context = RequestContext::named("licences");
        if now >= end {
            let why = format!("Licence {name} expired on {}.", end.format("%Y-%m-%d"));
            let covered = covered_otherwise(&txn, tenant.id, row.id, now).await?;
            let suspended = match covered {
                true => false,
                false => {
                    match suspend_for_licence(&txn, &tenant, &actor, true, &context, &why, now)
                        .await
                    {
                        Ok(done) => done,
                        Err(ServiceError::Policy(m)) => {
                            tracing::warn!(tenant = %tenant.slug, reason = %m, "a licence expiry waits: the tenant cannot be suspended now");
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                }
            };
            let mut active: licence_assignment::ActiveModel = row.clone().into();
            active.enforced_at = Set(Some(now));
            active.updated_at = Set(now);
            active.update(&txn).await?;
            audit::record(
                &txn,
                &context,
                AuditEntry::new(actor.clone(), "licence.expire", "licence_assignment")
                    .target(row.id)
                    .tenant(tenant.id)
                    .details(tenant_slug_details(
                        &tenant,
                        format!("Licence expired for {}", tenant.slug),
                        format!(
                            "{why}{}",
                            if suspended {
                                " The tenant is being suspended until it is renewed."
                            } else if covered {
                                " Another licence covers the tenant."
                            } else {
                                ""
                            }
                        ),
                    )),
            )
            .await?;
            txn.commit().await?;
            report.suspended += usize::from(suspended);
            continue;
        }
        let mut sent = notices_of(&row);
        if let Some(days) = notice_due(end, now, &sent) {
            sent.extend(
                crate::domain::plans::licence::NOTICE_DAYS
                    .into_iter()
                    .filter(|d| *d >= days),
            );
            sent.sort_unstable();
            sent.dedup();
            let mut active: licence_assignment::ActiveModel = row.clone().into();
            active.notices_sent = Set(json!(sent).to_string());
            active.updated_at = Set(now);
            active.update(&txn).await?;
            let left = days_left(end, now);
            let when = if left == 1 {
                "tomorrow".to_owned()
            } else {
                format!("in {left} days")
            };
            audit::record(
                &txn,
                &context,
                AuditEntry::new(actor.clone(), "licence.expiring", "licence_assignment")
                    .target(row.id)
                    .tenant(tenant.id)
                    .details(json!({
                        "tenant_slug": tenant.slug,
                        "days_before": days,
                        "days_left": left,
                        "title": format!("Licence {name} for {} ends {when}", tenant.slug),
                        "message": format!(
                            "Licence {name} for {} ends on {} ({when}). Renew it before then: at its end the tenant is suspended.",
                            tenant.slug,
                            end.format("%Y-%m-%d")
                        ),
                    })),
            )
            .await?;
            report.notices += 1;
        }
        txn.commit().await?;
    }
    Ok(report)
}
