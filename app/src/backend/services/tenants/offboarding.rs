//! Offboarding as a workflow: the notice (event and email to the tenant's
//! contacts), the customer's data export (JSON and CSV in a zip with a
//! manifest of checksums, kept on the backup target), access revocation
//! (people's bindings, API and enrollment tokens, agents, webhook
//! endpoints), clean-up through the executor (the decommission change),
//! `archived` for the retention period, deletion once it has passed unless a
//! legal hold stands, and a signed certificate of destruction.
//!
//! Deletion itself belongs to every delete change, offboarded or not: when
//! the executor's destroy step succeeded, the portal destroys its own part
//! of the tenant (configuration and secrets, endpoints, backup bundles, the
//! export) and signs what it destroyed; the audit trail is retained.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::backend::audit::{self, AuditEntry, RequestContext};
use crate::backend::backup_store::{self, StoreError};
use crate::backend::context::Ctx;
use crate::backend::csv_export::SafeCsv;
use crate::backend::entities::{
    audit_event, backup, backup_policy, change_request, compliance_status, destruction_certificate,
    endpoint, endpoint_compliance, endpoint_product, invitation, legal_hold, offboarding, product,
    role_binding, secret_rotation, secret_schedule, tenant, tenant_product, tenant_setting,
    webhook_endpoint,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::principal::Actor;
use crate::backend::services::changes::change_context;
use crate::backend::services::notifications::email_outbox;
use crate::backend::services::plans::licences;
use crate::domain::access::authority::acts_for_vendor;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::changes::change::{ChangeKind, ChangeStatus};
use crate::domain::plans::licence::canonical_json;
use crate::domain::tenants::backup::sha256_hex;
use crate::domain::tenants::lifecycle::{LifecycleAction, LifecycleState, plan_transition};
use crate::domain::tenants::offboarding::{
    CERTIFICATE_FORMAT, CertifiedHold, CertifiedOffboarding, DeletionVerdict, DestroyedBundle,
    DestructionCertificate, ExportManifest, MANIFEST_FILE, OffboardingStage, check_reason,
    delete_after, deletion_verdict, parse_retention_days,
};
use crate::domain::validation::FieldErrors;
use crate::model::tenants::offboarding::{
    CertificateView, ExportFileRow, OffboardingForm, OffboardingRow, TenantOffboarding,
};

use super::{Mover, TransitionOutcome, move_tenant};

fn store_failure(error: StoreError) -> ServiceError {
    ServiceError::internal_in("backup target", error.to_string())
}

fn stage_of(row: &offboarding::Model) -> OffboardingStage {
    OffboardingStage::parse(&row.stage).unwrap_or(OffboardingStage::CleaningUp)
}

fn row(o: offboarding::Model) -> OffboardingRow {
    let stage = stage_of(&o);
    let manifest: Option<ExportManifest> = o
        .export_manifest
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok());
    OffboardingRow {
        id: o.id,
        stage: stage.as_str().to_owned(),
        stage_label: stage.label().to_owned(),
        reason: o.reason,
        retention_days: o.retention_days,
        requested_by: o.requested_by,
        requested_at: o.requested_at,
        notice_recipients: serde_json::from_str(&o.notice_recipients).unwrap_or_default(),
        export_sha256: o.export_sha256,
        export_size_bytes: o.export_size_bytes,
        export_files: manifest
            .map(|m| {
                m.files
                    .into_iter()
                    .map(|f| ExportFileRow {
                        name: f.name,
                        size_bytes: f.size_bytes,
                        sha256: f.sha256,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        access_revoked: serde_json::from_str(&o.access_revoked).unwrap_or(json!({})),
        cleanup_change_id: o.cleanup_change_id,
        deletion_change_id: o.deletion_change_id,
        archived_at: o.archived_at,
        delete_after: o.delete_after,
        held_at: o.held_at,
        destroyed_at: o.destroyed_at,
        note: o.note,
    }
}

fn certificate_view(c: destruction_certificate::Model) -> CertificateView {
    CertificateView {
        id: c.id,
        issued_at: c.issued_at,
        algorithm: c.algorithm,
        document_sha256: sha256_hex(c.document.as_bytes()),
        document: c.document,
        signature: c.signature,
    }
}

fn open_stages() -> Vec<&'static str> {
    OffboardingStage::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(OffboardingStage::as_str)
        .collect()
}

/// The tenant's offboarding still on its way to deletion, if any.
async fn open_offboarding<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<Option<offboarding::Model>> {
    Ok(offboarding::Entity::find()
        .filter(offboarding::Column::TenantId.eq(tenant_id))
        .filter(offboarding::Column::Stage.is_in(open_stages()))
        .one(conn)
        .await?)
}

fn contact_addresses(target: &tenant::Model) -> Vec<String> {
    let mut addresses: Vec<String> = target.contacts.0.values().cloned().collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// Why `target` cannot be offboarded now, if it cannot.
fn start_refusal(target: &tenant::Model, open: Option<&offboarding::Model>) -> Option<String> {
    if let Some(open) = open {
        return Some(format!(
            "An offboarding is under way ({}); it ends in deletion or is cancelled by restoring the tenant.",
            stage_of(open).label().to_lowercase()
        ));
    }
    match plan_transition(target.lifecycle_state, LifecycleAction::Archive) {
        Ok(plan) if !plan.already_done => None,
        Ok(_) => Some(
            "The tenant is already archived; restore it first, or delete it from the tenant page."
                .into(),
        ),
        Err(refusal) => Some(format!(
            "Offboarding archives the tenant first. {}",
            refusal.reason
        )),
    }
}

/// A tenant's offboardings, legal hold and certificate of destruction.
pub async fn view(ctx: &Ctx, reference: &str) -> ServiceResult<TenantOffboarding> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    let db = &ctx.reads;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut offboardings = offboarding::Entity::find()
        .filter(offboarding::Column::TenantId.eq(tenant_id))
        .order_by_desc(offboarding::Column::RequestedAt)
        .all(db)
        .await?;
    offboardings.sort_by_key(|o| !stage_of(o).is_open());
    let open = offboardings.iter().find(|o| stage_of(o).is_open());
    let start_refusal = start_refusal(&target, open);
    let mut holds = legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .order_by_desc(legal_hold::Column::SetAt)
        .all(db)
        .await?;
    holds.sort_by_key(|h| h.lifted_at.is_some());
    let certificate = destruction_certificate::Entity::find()
        .filter(destruction_certificate::Column::TenantId.eq(tenant_id))
        .order_by_desc(destruction_certificate::Column::IssuedAt)
        .one(db)
        .await?
        .map(certificate_view);
    let principal = &ctx.principal;
    Ok(TenantOffboarding {
        tenant_id,
        slug,
        lifecycle_state: target.lifecycle_state.as_str().to_owned(),
        contacts: contact_addresses(&target),
        offboardings: offboardings.into_iter().map(row).collect(),
        legal_holds: holds.into_iter().map(super::backups::hold_row).collect(),
        certificate,
        start_refusal,
        can_offboard: principal.can(Permission::TenantLifecycle, Scope::Tenant(tenant_id)),
        can_hold: principal.can(Permission::LegalHold, Scope::Platform),
        can_export: principal.can(Permission::AuditRead, Scope::Tenant(tenant_id)),
    })
}

/// Starts a tenant's offboarding: checks the form, writes the customer's
/// export to the backup target, then in one transaction records the
/// offboarding, archives the tenant (which revokes its tokens and agents and
/// asks the executor to clean up), removes its people's bindings, disables
/// its webhook endpoints, withdraws pending invitations and queues the
/// notice to its contacts.
pub async fn start(
    ctx: &Ctx,
    reference: &str,
    form: &OffboardingForm,
) -> ServiceResult<OffboardingRow> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::TenantLifecycle, tenant_id)?;
    let mut errors = FieldErrors::default();
    let reason = check_reason(&form.reason)
        .map_err(|m| errors.push("reason", m))
        .ok();
    let retention_days = parse_retention_days(&form.retention_days)
        .map_err(|m| errors.push("retention_days", m))
        .ok();
    if form.confirm.trim() != slug {
        errors.push(
            "confirm",
            format!("Type {slug} exactly to confirm the offboarding."),
        );
    }
    let (Some(reason), Some(retention_days)) = (reason, retention_days) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let open = open_offboarding(&ctx.db, tenant_id).await?;
    if let Some(refusal) = start_refusal(&target, open.as_ref()) {
        return Err(ServiceError::Policy(refusal));
    }
    let now = ctx.now();
    let id = Uuid::new_v4();
    let export = build_export(&ctx.db, &target, now).await?;
    let store = backup_store::current().map_err(store_failure)?;
    let location = store
        .put(
            &format!("tenants/{tenant_id}/offboarding/{id}/export.zip"),
            export.zip.clone(),
        )
        .await
        .map_err(store_failure)?;
    match record_start(
        ctx,
        &target,
        id,
        &reason,
        retention_days,
        &export,
        &location,
        now,
    )
    .await
    {
        Ok(started) => Ok(started),
        Err(err) => {
            // Nothing was recorded: the export goes too.
            if let Err(cleanup) = store.delete(&location).await {
                tracing::warn!(error = %cleanup, "removing an unrecorded offboarding export failed");
            }
            Err(err)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record_start(
    ctx: &Ctx,
    target: &tenant::Model,
    id: Uuid,
    reason: &str,
    retention_days: i64,
    export: &Export,
    location: &str,
    now: DateTime<Utc>,
) -> ServiceResult<OffboardingRow> {
    let actor = Actor::from(&ctx.principal);
    let txn = ctx.db.begin().await?;
    let current = tenant::Entity::find_by_id(target.id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(refusal) =
        start_refusal(&current, open_offboarding(&txn, current.id).await?.as_ref())
    {
        return Err(ServiceError::Policy(refusal));
    }
    // Archiving revokes API and enrollment tokens and agent credentials and
    // starts the decommission change the executor cleans up with.
    let moved = move_tenant(
        &txn,
        &current,
        LifecycleAction::Archive,
        Mover {
            actor: &actor,
            by_vendor: acts_for_vendor(&ctx.principal.grants),
            context: &ctx.request,
            source: "offboarding",
            reason: Some(reason),
        },
        None,
        now,
    )
    .await?;
    if moved == TransitionOutcome::AlreadyDone {
        return Err(ServiceError::Conflict(
            "The tenant was archived meanwhile; reload the page.".into(),
        ));
    }
    let cleanup = crate::backend::services::changes::running_lifecycle_change(&txn, current.id)
        .await?
        .ok_or_else(|| ServiceError::internal("archiving started no decommission change"))?;
    let bindings = role_binding::Entity::delete_many()
        .filter(role_binding::Column::TenantId.eq(current.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let webhooks = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Enabled, Expr::value(false))
        .col_expr(
            webhook_endpoint::Column::DisabledReason,
            Expr::value(Some("The tenant was offboarded.")),
        )
        .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_endpoint::Column::TenantId.eq(current.id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .exec(&txn)
        .await?
        .rows_affected;
    let invitations = invitation::Entity::delete_many()
        .filter(invitation::Column::TenantId.eq(current.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let revoked_tokens = revoked_counts(&txn, current.id).await?;
    let access_revoked = json!({
        "role_bindings_removed": bindings,
        "webhook_endpoints_disabled": webhooks,
        "invitations_withdrawn": invitations,
        "api_tokens_revoked": revoked_tokens.0,
        "enrollment_tokens_revoked": revoked_tokens.1,
        "agent_credentials_revoked": revoked_tokens.2,
    });
    let recipients = contact_addresses(&current);
    for address in &recipients {
        email_outbox::queue(
            &txn,
            address,
            &format!("Notice of offboarding: {}", current.display_name),
            &notice_body(&current, reason, retention_days, &export.sha256),
            now,
        )
        .await?;
    }
    let recorded = offboarding::ActiveModel {
        id: Set(id),
        tenant_id: Set(current.id),
        stage: Set(OffboardingStage::CleaningUp.as_str().to_owned()),
        reason: Set(reason.to_owned()),
        retention_days: Set(retention_days),
        requested_by: Set(actor.label()),
        requested_at: Set(now),
        notice_recipients: Set(json!(recipients).to_string()),
        export_location: Set(Some(location.to_owned())),
        export_sha256: Set(Some(export.sha256.clone())),
        export_size_bytes: Set(Some(export.zip.len() as i64)),
        export_manifest: Set(Some(export.manifest_json.clone())),
        access_revoked: Set(access_revoked.to_string()),
        cleanup_change_id: Set(Some(cleanup.id)),
        archived_at: Set(None),
        delete_after: Set(None),
        held_at: Set(None),
        deletion_change_id: Set(None),
        destroyed_at: Set(None),
        note: Set(format!(
            "Notice sent to {} contact(s); export written; access revoked; the executor is cleaning up ({}).",
            recipients.len(),
            cleanup.title
        )),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &ctx.request,
        AuditEntry::new(actor, "offboarding.start", "tenant")
            .target(current.id)
            .tenant(current.id)
            .details(json!({
                "offboarding_id": id, "reason": reason, "retention_days": retention_days,
                "notice_recipients": recipients.len(), "export_sha256": export.sha256,
                "export_location": location, "access_revoked": access_revoked,
                "cleanup_change_id": cleanup.id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(row(recorded))
}

/// The tokens and credentials archiving revoked just now, as its audit
/// record counted them (api tokens, enrollment tokens, agent credentials).
async fn revoked_counts<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
) -> ServiceResult<(u64, u64, u64)> {
    let latest = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .filter(audit_event::Column::Action.eq("tenant.access_revoked"))
        .order_by_desc(audit_event::Column::OccurredAt)
        .one(conn)
        .await?;
    let details: serde_json::Value = latest
        .map(|a| serde_json::from_str(&a.details).unwrap_or_default())
        .unwrap_or_default();
    let count = |key: &str| details.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    Ok((
        count("api_tokens_revoked"),
        count("enrollment_tokens_revoked"),
        count("agent_credentials_revoked"),
    ))
}

fn notice_body(
    target: &tenant::Model,
    reason: &str,
    retention_days: i64,
    export_sha256: &str,
) -> String {
    format!(
        "This is notice that the tenant {name} ({slug}) is being offboarded.\n\n\
         Reason: {reason}\n\n\
         What happens now:\n\
         - A complete export of your data (declared state, configuration without secret values, versions, endpoints, audit trail and compliance reports, as JSON and CSV with a manifest of checksums) has been prepared. Its SHA-256 is {export_sha256}; ask your vendor contact for the file.\n\
         - Access to the tenant has been revoked: people's roles, API tokens, agent enrollment and webhooks.\n\
         - The tenant's resources are being cleaned up, and the tenant is then archived.\n\
         - {retention_days} days after the clean-up the tenant's data is deleted, unless a legal hold applies, and a signed certificate of destruction is issued.\n\n\
         If this is unexpected, contact your vendor before the deletion date.\n",
        name = target.display_name,
        slug = target.slug,
    )
}

// ---- The export --------------------------------------------------------------

/// A built export: the zip, its SHA-256 and its manifest's JSON.
pub struct Export {
    pub zip: Vec<u8>,
    pub sha256: String,
    pub manifest_json: String,
}

/// A file to download.
pub struct Download {
    pub filename: String,
    pub bytes: Vec<u8>,
}

fn csv_file(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> ServiceResult<Vec<u8>> {
    let mut out = SafeCsv::new();
    let failed = |e: csv::Error| ServiceError::internal_in("export CSV", e.to_string());
    out.write_record(header).map_err(failed)?;
    for record in rows {
        out.write_record(&record).map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| ServiceError::internal_in("export CSV", e))
}

fn json_file(value: &serde_json::Value) -> ServiceResult<Vec<u8>> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| ServiceError::internal_in("export JSON", e.to_string()))
}

fn text(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// One table of the export, written twice: `<stem>.json` (an array of
/// objects) and `<stem>.csv` (spreadsheet-safe cells).
fn add_table(
    files: &mut BTreeMap<String, Vec<u8>>,
    stem: &str,
    header: &[&str],
    rows: Vec<(serde_json::Value, Vec<String>)>,
) -> ServiceResult<()> {
    let (objects, cells): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    files.insert(format!("{stem}.json"), json_file(&json!(objects))?);
    files.insert(format!("{stem}.csv"), csv_file(header, cells)?);
    Ok(())
}

/// Everything the customer takes away, as files (name → bytes).
async fn export_files<C: ConnectionTrait>(
    conn: &C,
    target: &tenant::Model,
) -> ServiceResult<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut declared = crate::backend::events::tenant_state(target);
    declared["contacts"] = json!(target.contacts.0);
    declared["external_ids"] = json!(target.external_ids.0);
    declared["labels"] = json!(target.labels.0);
    files.insert("tenant.json".to_owned(), json_file(&declared)?);

    // Configuration: a secret's value never leaves, only that it exists.
    let settings = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(target.id))
        .order_by_asc(tenant_setting::Column::Key)
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "config",
        &["key", "value", "secret"],
        settings
            .into_iter()
            .map(|s| {
                let value = (!s.is_secret).then_some(s.value);
                (
                    json!({ "key": s.key, "value": value, "secret": s.is_secret }),
                    vec![
                        s.key,
                        value.unwrap_or_else(|| "(secret: not exported)".into()),
                        s.is_secret.to_string(),
                    ],
                )
            })
            .collect(),
    )?;

    let keys: BTreeMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    let key_of = |id: &Uuid| keys.get(id).cloned().unwrap_or_else(|| id.to_string());
    let versions = tenant_product::Entity::find()
        .filter(tenant_product::Column::TenantId.eq(target.id))
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "versions",
        &["product", "running_version", "allowed_range"],
        versions
            .iter()
            .map(|v| {
                (
                    json!({
                        "product": key_of(&v.product_id), "running_version": v.running_version,
                        "allowed_range": v.allowed_range, "feature_flags": v.feature_flags.0,
                        "components": v.components.0,
                    }),
                    vec![
                        key_of(&v.product_id),
                        text(v.running_version.as_ref()),
                        text(v.allowed_range.as_ref()),
                    ],
                )
            })
            .collect(),
    )?;

    let endpoints = endpoint::Entity::find()
        .filter(endpoint::Column::TenantId.eq(target.id))
        .order_by_asc(endpoint::Column::Hostname)
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "endpoints",
        &[
            "id",
            "hostname",
            "platform",
            "agent_version",
            "registered_at",
            "last_seen_at",
        ],
        endpoints
            .iter()
            .map(|e| {
                (
                    json!({
                        "id": e.id, "hostname": e.hostname, "platform": e.platform,
                        "agent_version": e.agent_version, "registered_at": e.registered_at,
                        "last_seen_at": e.last_seen_at,
                    }),
                    vec![
                        e.id.to_string(),
                        e.hostname.clone(),
                        e.platform.clone(),
                        e.agent_version.clone(),
                        e.registered_at.to_rfc3339(),
                        e.last_seen_at.to_rfc3339(),
                    ],
                )
            })
            .collect(),
    )?;

    let trail = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(target.id))
        .order_by_asc(audit_event::Column::OccurredAt)
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "audit",
        &["occurred_at", "actor", "action", "target_type", "target_id", "outcome", "request_id", "details"],
        trail
            .into_iter()
            .map(|a| {
                (
                    json!({
                        "id": a.id, "occurred_at": a.occurred_at, "actor": a.actor_label,
                        "action": a.action, "target_type": a.target_type, "target_id": a.target_id,
                        "outcome": a.outcome, "request_id": a.request_id,
                        "details": serde_json::from_str::<serde_json::Value>(&a.details).unwrap_or_default(),
                    }),
                    vec![
                        a.occurred_at.to_rfc3339(),
                        a.actor_label,
                        a.action,
                        a.target_type,
                        text(a.target_id),
                        a.outcome,
                        text(a.request_id),
                        a.details,
                    ],
                )
            })
            .collect(),
    )?;

    let compliance = compliance_status::Entity::find()
        .filter(compliance_status::Column::TenantId.eq(target.id))
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "compliance",
        &[
            "product",
            "running_version",
            "status",
            "days_left",
            "detail",
            "assessed_at",
        ],
        compliance
            .iter()
            .map(|c| {
                (
                    json!({
                        "product": key_of(&c.product_id), "running_version": c.running_version,
                        "status": c.status.as_str(), "days_left": c.days_left, "detail": c.detail,
                        "assessed_at": c.assessed_at,
                    }),
                    vec![
                        key_of(&c.product_id),
                        c.running_version.clone(),
                        c.status.as_str().to_owned(),
                        text(c.days_left),
                        c.detail.clone(),
                        c.assessed_at.to_rfc3339(),
                    ],
                )
            })
            .collect(),
    )?;

    let changes = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(target.id))
        .order_by_asc(change_request::Column::CreatedAt)
        .all(conn)
        .await?;
    add_table(
        &mut files,
        "changes",
        &[
            "id",
            "kind",
            "title",
            "status",
            "target_version",
            "requested_by",
            "created_at",
            "finished_at",
            "outcome",
        ],
        changes
            .into_iter()
            .map(|c| {
                (
                    json!({
                        "id": c.id, "kind": c.kind.as_str(), "title": c.title,
                        "status": c.status.as_str(), "target_version": c.target_version,
                        "requested_by": c.requester_label, "created_at": c.created_at,
                        "finished_at": c.finished_at, "outcome": c.outcome,
                    }),
                    vec![
                        c.id.to_string(),
                        c.kind.as_str().to_owned(),
                        c.title,
                        c.status.as_str().to_owned(),
                        text(c.target_version),
                        c.requester_label,
                        c.created_at.to_rfc3339(),
                        text(c.finished_at.map(|t| t.to_rfc3339())),
                        text(c.outcome),
                    ],
                )
            })
            .collect(),
    )?;
    Ok(files)
}

/// The customer's export of `target` as it stands: a zip of JSON and CSV
/// files with `manifest.json` listing each file's size and SHA-256.
pub async fn build_export<C: ConnectionTrait>(
    conn: &C,
    target: &tenant::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Export> {
    let files = export_files(conn, target).await?;
    let manifest = ExportManifest::describe(target.id, &target.slug, now, &files);
    let manifest_json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| ServiceError::internal_in("export manifest", e.to_string()))?;
    let zipped = (|| -> zip::result::ZipResult<Vec<u8>> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(MANIFEST_FILE, options)?;
        writer.write_all(manifest_json.as_bytes())?;
        for (name, bytes) in &files {
            writer.start_file(name.as_str(), options)?;
            writer.write_all(bytes)?;
        }
        Ok(writer.finish()?.into_inner())
    })()
    .map_err(|e| ServiceError::internal_in("export zip", e.to_string()))?;
    Ok(Export {
        sha256: sha256_hex(&zipped),
        zip: zipped,
        manifest_json,
    })
}

/// The files of an export zip (name → bytes): for checking an export
/// against its manifest.
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| e.to_string())?;
        let mut content = Vec::new();
        file.read_to_end(&mut content).map_err(|e| e.to_string())?;
        files.insert(file.name().to_owned(), content);
    }
    Ok(files)
}

fn download_name(slug: &str, now: DateTime<Utc>) -> String {
    format!("{slug}-export-{}.zip", now.format("%Y%m%d"))
}

/// A fresh export of a tenant (data portability: any tenant, any time), for
/// whoever may read its audit trail.
pub async fn export_now(ctx: &Ctx, reference: &str) -> ServiceResult<Download> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::AuditRead, tenant_id)?;
    let target = tenant::Entity::find_by_id(tenant_id)
        .one(&ctx.reads)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = ctx.now();
    let export = build_export(&ctx.reads, &target, now).await?;
    Ok(Download {
        filename: download_name(&slug, now),
        bytes: export.zip,
    })
}

/// The export written when the tenant's latest offboarding began, checked
/// against its recorded SHA-256 on the way out.
pub async fn offboarding_export(ctx: &Ctx, reference: &str) -> ServiceResult<Download> {
    let (tenant_id, slug) = super::resolve_tenant_id(ctx, reference).await?;
    ctx.principal
        .require_on_tenant(Permission::AuditRead, tenant_id)?;
    let latest = offboarding::Entity::find()
        .filter(offboarding::Column::TenantId.eq(tenant_id))
        .order_by_desc(offboarding::Column::RequestedAt)
        .one(&ctx.reads)
        .await?
        .ok_or_else(|| {
            ServiceError::Policy(format!(
                "{slug} has not been offboarded, so there is no offboarding export; GET /api/v1/tenants/{slug}/export makes a fresh one."
            ))
        })?;
    let (Some(location), Some(expected)) = (latest.export_location, latest.export_sha256) else {
        return Err(ServiceError::Policy(
            "This offboarding wrote no export.".into(),
        ));
    };
    if latest.destroyed_at.is_some() {
        return Err(ServiceError::Policy(
            "The export was destroyed with the tenant; its checksums are on the certificate of destruction.".into(),
        ));
    }
    let store = backup_store::current().map_err(store_failure)?;
    let bytes = store.get(&location).await.map_err(store_failure)?;
    if sha256_hex(&bytes) != expected {
        return Err(ServiceError::internal_in(
            "offboarding export",
            format!("the stored export at {location} no longer matches its SHA-256"),
        ));
    }
    Ok(Download {
        filename: download_name(&slug, latest.requested_at),
        bytes,
    })
}

// ---- Deletion ------------------------------------------------------------------

/// A restore of the tenant asked for and not finished (it may wait for its
/// window): the customer is coming back, so nothing is deleted meanwhile.
async fn restore_under_way<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> ServiceResult<bool> {
    let open: Vec<&str> = ChangeStatus::ALL
        .iter()
        .filter(|s| !s.is_terminal())
        .map(|s| s.as_str())
        .collect();
    Ok(change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(tenant_id))
        .filter(change_request::Column::Kind.eq(ChangeKind::Restore.as_str()))
        .filter(change_request::Column::Status.is_in(open))
        .one(conn)
        .await?
        .is_some())
}

/// Why `tenant_id` may not be deleted now (every door: the tenant page,
/// bulk actions, the API, retention itself), if it may not.
pub(crate) async fn deletion_refusal<C: ConnectionTrait>(
    conn: &C,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Option<String>> {
    if let Some(hold) = super::backups::standing_hold(conn, tenant_id).await? {
        return Ok(Some(format!(
            "A legal hold stands on this tenant (set by {} on {}: {}); nothing of it is deleted until it is lifted.",
            hold.set_by,
            hold.set_at.format("%Y-%m-%d"),
            hold.reason
        )));
    }
    if restore_under_way(conn, tenant_id).await? {
        return Ok(Some(
            "A restore of this tenant is under way; it cannot be deleted meanwhile.".into(),
        ));
    }
    let Some(open) = open_offboarding(conn, tenant_id).await? else {
        return Ok(None);
    };
    Ok(match (stage_of(&open), open.delete_after) {
        (OffboardingStage::Retained, Some(after)) if now < after => Some(format!(
            "This tenant's offboarding keeps it until {} ({} days of retention); it is deleted then.",
            after.format("%Y-%m-%d %H:%M UTC"),
            open.retention_days
        )),
        (OffboardingStage::CleaningUp | OffboardingStage::CleanupFailed, _) => Some(
            "This tenant's offboarding has not finished cleaning up; it is deleted when its retention ends."
                .into(),
        ),
        _ => None,
    })
}

/// Moves an offboarding along when one of its changes ends: a finished
/// clean-up starts the retention period; a failed one says so; a finished
/// deletion destroys the portal's part (for any deleted tenant) and issues
/// the certificate. Called with the transaction that closes the change.
pub(crate) async fn change_ended<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    match change.kind {
        ChangeKind::Decommission => cleanup_ended(conn, change, status, outcome, now).await,
        ChangeKind::Delete if status == ChangeStatus::Succeeded => destroy(conn, change, now).await,
        ChangeKind::Delete => {
            offboarding::Entity::update_many()
                .col_expr(
                    offboarding::Column::Note,
                    Expr::value(format!(
                        "The deletion change ended {}: {outcome}",
                        status.as_str()
                    )),
                )
                .col_expr(offboarding::Column::UpdatedAt, Expr::value(now))
                .filter(offboarding::Column::DeletionChangeId.eq(change.id))
                .exec(conn)
                .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn cleanup_ended<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    status: ChangeStatus,
    outcome: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(found) = offboarding::Entity::find()
        .filter(offboarding::Column::CleanupChangeId.eq(change.id))
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    if stage_of(&found) != OffboardingStage::CleaningUp {
        return Ok(());
    }
    let context = change_context(change);
    let mut record: offboarding::ActiveModel = found.clone().into();
    record.updated_at = Set(now);
    if status == ChangeStatus::Succeeded {
        let until = delete_after(now, found.retention_days);
        record.stage = Set(OffboardingStage::Retained.as_str().to_owned());
        record.archived_at = Set(Some(now));
        record.delete_after = Set(Some(until));
        record.note = Set(format!(
            "Cleaned up by the executor and archived; kept until {} unless a legal hold stands.",
            until.format("%Y-%m-%d %H:%M UTC")
        ));
        record.update(conn).await?;
        audit::record(
            conn,
            &context,
            AuditEntry::new(Actor::System("executor"), "offboarding.retain", "tenant")
                .target(found.tenant_id)
                .tenant(found.tenant_id)
                .details(json!({
                    "offboarding_id": found.id, "cleanup_change_id": change.id,
                    "retention_days": found.retention_days, "delete_after": until,
                })),
        )
        .await?;
    } else {
        record.stage = Set(OffboardingStage::CleanupFailed.as_str().to_owned());
        record.note = Set(format!(
            "The executor's clean-up ended {}: {outcome}. The tenant stays archived and is not deleted until a clean-up succeeds.",
            status.as_str()
        ));
        record.update(conn).await?;
        audit::record(
            conn,
            &context,
            AuditEntry::new(Actor::System("executor"), "offboarding.cleanup_failed", "tenant")
                .target(found.tenant_id)
                .tenant(found.tenant_id)
                .failed()
                .details(json!({ "offboarding_id": found.id, "cleanup_change_id": change.id, "outcome": outcome })),
        )
        .await?;
    }
    Ok(())
}

/// Destroys the portal's part of a deleted tenant once the executor's
/// destroy step succeeded, and issues the signed certificate. Handed the
/// same change again, it finds its certificate and does nothing.
async fn destroy<C: ConnectionTrait>(
    conn: &C,
    change: &change_request::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if destruction_certificate::Entity::find()
        .filter(destruction_certificate::Column::DeleteChangeId.eq(change.id))
        .one(conn)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let target = tenant::Entity::find_by_id(change.tenant_id)
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let offboarded = open_offboarding(conn, target.id).await?;

    // Bundles first: the backups still held and the customer's export.
    let mut bundles = Vec::new();
    let held_backups = backup::Entity::find()
        .filter(backup::Column::TenantId.eq(target.id))
        .filter(backup::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    for b in &held_backups {
        bundles.push(DestroyedBundle {
            location: b.location.clone(),
            sha256: b.sha256.clone(),
            size_bytes: b.size_bytes,
        });
    }
    if let Some(o) = &offboarded
        && let (Some(location), Some(sha256)) = (&o.export_location, &o.export_sha256)
    {
        bundles.push(DestroyedBundle {
            location: location.clone(),
            sha256: sha256.clone(),
            size_bytes: o.export_size_bytes.unwrap_or_default(),
        });
    }
    if !bundles.is_empty() {
        let store = backup_store::current().map_err(store_failure)?;
        for bundle in &bundles {
            store
                .delete(&bundle.location)
                .await
                .map_err(store_failure)?;
        }
    }
    backup::Entity::update_many()
        .col_expr(backup::Column::DeletedAt, Expr::value(Some(now)))
        .col_expr(
            backup::Column::DeleteReason,
            Expr::value(Some("destroyed with the tenant")),
        )
        .filter(backup::Column::TenantId.eq(target.id))
        .filter(backup::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;

    // Then the portal's own rows of the customer's data.
    let mut destroyed = BTreeMap::new();
    let secrets = tenant_setting::Entity::find()
        .filter(tenant_setting::Column::TenantId.eq(target.id))
        .filter(tenant_setting::Column::IsSecret.eq(true))
        .count(conn)
        .await?;
    let settings = tenant_setting::Entity::delete_many()
        .filter(tenant_setting::Column::TenantId.eq(target.id))
        .exec(conn)
        .await?
        .rows_affected;
    destroyed.insert("configuration values".to_owned(), settings - secrets);
    destroyed.insert("secrets".to_owned(), secrets);
    destroyed.insert(
        "secret rotations".to_owned(),
        secret_rotation::Entity::delete_many()
            .filter(secret_rotation::Column::TenantId.eq(target.id))
            .exec(conn)
            .await?
            .rows_affected,
    );
    secret_schedule::Entity::delete_many()
        .filter(secret_schedule::Column::TenantId.eq(target.id))
        .exec(conn)
        .await?;
    backup_policy::Entity::delete_many()
        .filter(backup_policy::Column::TenantId.eq(target.id))
        .exec(conn)
        .await?;
    endpoint_product::Entity::delete_many()
        .filter(endpoint_product::Column::TenantId.eq(target.id))
        .exec(conn)
        .await?;
    endpoint_compliance::Entity::delete_many()
        .filter(endpoint_compliance::Column::TenantId.eq(target.id))
        .exec(conn)
        .await?;
    destroyed.insert(
        "endpoints".to_owned(),
        endpoint::Entity::delete_many()
            .filter(endpoint::Column::TenantId.eq(target.id))
            .exec(conn)
            .await?
            .rows_affected,
    );
    destroyed.insert(
        "role bindings".to_owned(),
        role_binding::Entity::delete_many()
            .filter(role_binding::Column::TenantId.eq(target.id))
            .exec(conn)
            .await?
            .rows_affected,
    );
    destroyed.insert("contacts".to_owned(), target.contacts.0.len() as u64);
    destroyed.insert("backup bundles".to_owned(), held_backups.len() as u64);
    if offboarded
        .as_ref()
        .is_some_and(|o| o.export_location.is_some())
    {
        destroyed.insert("data exports".to_owned(), 1);
    }
    let mut emptied: tenant::ActiveModel = target.clone().into();
    emptied.contacts = Set(crate::backend::columns::JsonText(BTreeMap::new()));
    emptied.base_url = Set(None);
    emptied.updated_at = Set(now);
    emptied.update(conn).await?;

    let audit_records = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(target.id))
        .count(conn)
        .await?;
    let change_count = change_request::Entity::find()
        .filter(change_request::Column::TenantId.eq(target.id))
        .count(conn)
        .await?;
    let legal_holds = legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(target.id))
        .order_by_asc(legal_hold::Column::SetAt)
        .all(conn)
        .await?
        .into_iter()
        .map(|h| CertifiedHold {
            reason: h.reason,
            set_by: h.set_by,
            set_at: h.set_at,
            lifted_by: h.lifted_by,
            lifted_at: h.lifted_at,
        })
        .collect();
    let certificate = DestructionCertificate {
        format: CERTIFICATE_FORMAT.to_owned(),
        certificate_id: Uuid::new_v4(),
        tenant_id: target.id,
        tenant_slug: target.slug.clone(),
        tenant_name: target.display_name.clone(),
        deleted_at: now,
        deleted_by: change.requester_label.clone(),
        delete_change_id: change.id,
        offboarding: offboarded.as_ref().map(|o| CertifiedOffboarding {
            id: o.id,
            requested_by: o.requested_by.clone(),
            requested_at: o.requested_at,
            reason: o.reason.clone(),
            retention_days: o.retention_days,
            archived_at: o.archived_at,
            delete_after: o.delete_after,
            export_sha256: o.export_sha256.clone(),
            export_manifest_sha256: o
                .export_manifest
                .as_deref()
                .map(|m| sha256_hex(m.as_bytes())),
        }),
        legal_holds,
        destroyed,
        bundles_destroyed: bundles,
        retained: vec![
            format!("the audit trail: {audit_records} records"),
            format!("the change history: {change_count} change requests"),
            "the tenant's record (slug, name, state deleted)".to_owned(),
        ],
    };
    let document = canonical_json(
        &serde_json::to_value(&certificate)
            .map_err(|e| ServiceError::internal_in("certificate", e.to_string()))?,
    );
    let signature = licences::sign(conn, &document).await?;
    destruction_certificate::ActiveModel {
        id: Set(certificate.certificate_id),
        tenant_id: Set(target.id),
        offboarding_id: Set(offboarded.as_ref().map(|o| o.id)),
        delete_change_id: Set(change.id),
        document: Set(document.clone()),
        signature: Set(signature),
        algorithm: Set(licences::ALGORITHM.to_owned()),
        issued_at: Set(now),
    }
    .insert(conn)
    .await?;
    if let Some(o) = offboarded {
        let mut record: offboarding::ActiveModel = o.into();
        record.stage = Set(OffboardingStage::Destroyed.as_str().to_owned());
        record.destroyed_at = Set(Some(now));
        record.deletion_change_id = Set(Some(change.id));
        record.note = Set(format!(
            "Deleted; certificate of destruction {} issued.",
            certificate.certificate_id
        ));
        record.updated_at = Set(now);
        record.update(conn).await?;
    }
    audit::record(
        conn,
        &change_context(change),
        AuditEntry::new(Actor::System("executor"), "tenant.destroy", "tenant")
            .target(target.id)
            .tenant(target.id)
            .details(json!({
                "certificate_id": certificate.certificate_id,
                "certificate_sha256": sha256_hex(document.as_bytes()),
                "delete_change_id": change.id,
                "destroyed": certificate.destroyed,
            })),
    )
    .await?;
    Ok(())
}

// ---- Retention ------------------------------------------------------------------

/// What one retention sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OffboardingSweep {
    pub deletions_started: usize,
    pub held: usize,
    pub cancelled: usize,
}

/// Deletes the offboarded tenants whose retention ended (a delete change
/// the executor runs), notes the ones a legal hold keeps, and cancels the
/// offboardings of tenants restored meanwhile.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> ServiceResult<OffboardingSweep> {
    let mut report = OffboardingSweep::default();
    let waiting = offboarding::Entity::find()
        .filter(offboarding::Column::Stage.is_in([
            OffboardingStage::CleaningUp.as_str(),
            OffboardingStage::CleanupFailed.as_str(),
            OffboardingStage::Retained.as_str(),
        ]))
        .order_by_asc(offboarding::Column::DeleteAfter)
        .all(db)
        .await?;
    let context = RequestContext::default();
    let actor = Actor::System("retention");
    for found in waiting {
        let txn = db.begin().await?;
        let Some(target) = tenant::Entity::find_by_id(found.tenant_id)
            .one(&txn)
            .await?
        else {
            continue;
        };
        let mut record: offboarding::ActiveModel = found.clone().into();
        record.updated_at = Set(now);
        if target.lifecycle_state == LifecycleState::Deleted {
            // Deleted through another door; its delete change closes this.
            continue;
        }
        if target.lifecycle_state != LifecycleState::Archived {
            // Restored (or on its way back) before it was deleted.
            record.stage = Set(OffboardingStage::Cancelled.as_str().to_owned());
            record.note = Set(format!(
                "Cancelled: the tenant was restored ({}) before its deletion.",
                target.lifecycle_state.label()
            ));
            record.update(&txn).await?;
            audit::record(
                &txn,
                &context,
                AuditEntry::new(actor.clone(), "offboarding.cancel", "tenant")
                    .target(target.id)
                    .tenant(target.id)
                    .details(json!({ "offboarding_id": found.id, "state": target.lifecycle_state.as_str() })),
            )
            .await?;
            txn.commit().await?;
            report.cancelled += 1;
            continue;
        }
        if restore_under_way(&txn, target.id).await? {
            // Cancelled once the restore has moved the tenant out of archived.
            continue;
        }
        let held = super::backups::standing_hold(&txn, target.id)
            .await?
            .is_some();
        match deletion_verdict(stage_of(&found), found.delete_after, held, now) {
            DeletionVerdict::Due => {
                let reason = format!(
                    "Retention of {} days ended (offboarding {}).",
                    found.retention_days, found.id
                );
                move_tenant(
                    &txn,
                    &target,
                    LifecycleAction::Delete,
                    Mover {
                        actor: &actor,
                        by_vendor: true,
                        context: &context,
                        source: "retention",
                        reason: Some(&reason),
                    },
                    Some(&target.slug),
                    now,
                )
                .await?;
                let deletion =
                    crate::backend::services::changes::running_lifecycle_change(&txn, target.id)
                        .await?
                        .ok_or_else(|| ServiceError::internal("deleting started no change"))?;
                record.stage = Set(OffboardingStage::Deleting.as_str().to_owned());
                record.deletion_change_id = Set(Some(deletion.id));
                record.note = Set(format!(
                    "{reason} The executor is destroying its resources."
                ));
                record.update(&txn).await?;
                report.deletions_started += 1;
            }
            DeletionVerdict::Held if found.held_at.is_none() => {
                record.held_at = Set(Some(now));
                record.note = Set(
                    "Retention ended, but a legal hold stands: nothing is deleted until it is lifted."
                        .into(),
                );
                record.update(&txn).await?;
                audit::record(
                    &txn,
                    &context,
                    AuditEntry::new(actor.clone(), "offboarding.hold", "tenant")
                        .target(target.id)
                        .tenant(target.id)
                        .details(json!({ "offboarding_id": found.id, "delete_after": found.delete_after })),
                )
                .await?;
                report.held += 1;
            }
            DeletionVerdict::Held => report.held += 1,
            DeletionVerdict::KeptUntil(_) | DeletionVerdict::NotRetained => {}
        }
        txn.commit().await?;
    }
    Ok(report)
}
