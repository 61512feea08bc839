//! The tenant's Offboarding tab: the workflow's steps as they stand (notice,
//! export, access revoked, clean-up, retention, deletion), the export's
//! files and checksums with its download, the certificate of destruction
//! once deleted, the form that starts an offboarding (typed slug to
//! confirm), legal holds, and a fresh data export for portability.

use leptos::prelude::*;

use crate::api::tenants::backups::LegalHoldOfTenant;
use crate::api::tenants::offboarding::{
    CertificateView, OffboardTenant, OffboardingRow, TenantOffboarding, offboarding_of_tenant,
};
use crate::domain::tenants::offboarding::{DEFAULT_RETENTION_DAYS, OffboardingStage};
use crate::ui::components::form::{FormErrors, TextField, action_error, field_message};
use crate::ui::components::page::Alert;
use crate::ui::tenants::backups_tab::{LegalHoldCard, size, when};

#[component]
pub fn OffboardingTab(slug: String) -> impl IntoView {
    let offboard = ServerAction::<OffboardTenant>::new();
    let hold = ServerAction::<LegalHoldOfTenant>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || (offboard.version().get(), hold.version().get()),
        move |_| offboarding_of_tenant(tenant.clone()),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's offboarding…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        {page.offboardings.first().cloned().map(|latest| view! { <Workflow slug=page.slug.clone() row=latest can_export=page.can_export held=page.legal_holds.iter().any(|h| h.lifted_at.is_none())/> })}
                        {page.certificate.clone().map(|certificate| view! { <Certificate certificate/> })}
                        <StartForm page=page.clone() offboard/>
                        <div class="card-row">
                            <LegalHoldCard slug=page.slug.clone() holds=page.legal_holds.clone() can_hold=page.can_hold hold/>
                            <ExportCard page=page.clone()/>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// How far one step of the workflow has come.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StepState {
    Done,
    Running,
    Waiting,
    Failed,
    Held,
}

impl StepState {
    fn status(self) -> &'static str {
        match self {
            Self::Done => "succeeded",
            Self::Running => "running",
            Self::Waiting => "pending",
            Self::Failed => "failed",
            Self::Held => "held",
        }
    }

    fn badge(self) -> (&'static str, &'static str) {
        match self {
            Self::Done => ("tone-success", "Done"),
            Self::Running => ("tone-info", "In progress"),
            Self::Waiting => ("tone-neutral", "Waiting"),
            Self::Failed => ("tone-danger", "Failed"),
            Self::Held => ("tone-attention", "Held"),
        }
    }
}

fn revoked_text(row: &OffboardingRow) -> String {
    let count = |key: &str| {
        row.access_revoked
            .get(key)
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    };
    format!(
        "{} role bindings removed · {} API tokens and {} enrollment tokens revoked · {} agent credentials revoked · {} webhook endpoints disabled · {} invitations withdrawn",
        count("role_bindings_removed"),
        count("api_tokens_revoked"),
        count("enrollment_tokens_revoked"),
        count("agent_credentials_revoked"),
        count("webhook_endpoints_disabled"),
        count("invitations_withdrawn"),
    )
}

#[component]
fn Workflow(slug: String, row: OffboardingRow, can_export: bool, held: bool) -> impl IntoView {
    let stage = OffboardingStage::parse(&row.stage).unwrap_or(OffboardingStage::CleaningUp);
    use OffboardingStage as S;
    let cleanup = match stage {
        S::CleaningUp => StepState::Running,
        S::CleanupFailed => StepState::Failed,
        S::Cancelled if row.archived_at.is_none() => StepState::Waiting,
        _ => StepState::Done,
    };
    let retention = match stage {
        S::Retained if held => StepState::Held,
        S::Retained => StepState::Running,
        S::Deleting | S::Destroyed => StepState::Done,
        _ => StepState::Waiting,
    };
    let deletion = match stage {
        S::Deleting => StepState::Running,
        S::Destroyed => StepState::Done,
        _ => StepState::Waiting,
    };
    let recipients = if row.notice_recipients.is_empty() {
        "The tenant has no contacts on record: no email was sent (the event was).".to_owned()
    } else {
        format!("Emailed to {}.", row.notice_recipients.join(", "))
    };
    let export_text = match (&row.export_sha256, row.export_size_bytes) {
        (Some(sha), Some(bytes)) => format!(
            "{} in {} files · SHA-256 {sha}",
            size(bytes),
            row.export_files.len()
        ),
        _ => "No export was written.".to_owned(),
    };
    let retention_text = match (row.delete_after, row.held_at.filter(|_| held)) {
        (Some(after), Some(held_at)) => format!(
            "Retention ended {}; a legal hold found on {} keeps everything until it is lifted.",
            when(&after),
            when(&held_at)
        ),
        (Some(after), None) => format!(
            "Archived {}; kept {} days, until {} UTC{}.",
            row.archived_at.as_ref().map(when).unwrap_or_default(),
            row.retention_days,
            when(&after),
            if held {
                ", and then for as long as the legal hold stands"
            } else {
                ""
            }
        ),
        _ => format!("Kept {} days after the clean-up.", row.retention_days),
    };
    let steps: Vec<(&str, StepState, String, Option<(String, String)>)> = vec![
        ("Notice", StepState::Done, recipients, None),
        (
            "Data export",
            if row.export_sha256.is_some() { StepState::Done } else { StepState::Failed },
            export_text,
            None,
        ),
        ("Access revoked", StepState::Done, revoked_text(&row), None),
        (
            "Clean-up by the executor",
            cleanup,
            "The decommission change blocks public access and stops the tenant's workloads.".to_owned(),
            row.cleanup_change_id.map(|id| (format!("/changes/{id}"), "Open the change".to_owned())),
        ),
        ("Retention", retention, retention_text, None),
        (
            "Deletion and certificate",
            deletion,
            match row.destroyed_at {
                Some(at) => format!("Deleted {}; the certificate of destruction is below.", when(&at)),
                None => "The executor destroys the tenant's resources; the portal deletes its configuration, secrets, endpoints, backups and the export, and signs a certificate. The audit trail is kept.".to_owned(),
            },
            row.deletion_change_id.map(|id| (format!("/changes/{id}"), "Open the change".to_owned())),
        ),
    ];
    let files = row.export_files.clone();
    let download = format!("/tenants/{slug}/offboarding/export.zip");
    let exported = row.export_sha256.is_some() && row.destroyed_at.is_none();
    view! {
        <section class="card" aria-labelledby="offboarding-heading" data-testid="offboarding-workflow" data-stage=row.stage.clone()>
            <div class="card-title-row">
                <h2 id="offboarding-heading">"Offboarding"</h2>
                <span class="badge tone-info" data-testid="offboarding-stage">{row.stage_label.clone()}</span>
            </div>
            <p class="muted">{format!("Asked for by {} on {} UTC: {}", row.requested_by, when(&row.requested_at), row.reason)}</p>
            <p data-testid="offboarding-note">{row.note.clone()}</p>
            <ol class="step-log">
                {steps.into_iter().enumerate().map(|(index, (name, state, text, link))| {
                    let (tone, label) = state.badge();
                    view! {
                        <li class="step-log-item" data-status=state.status() data-testid="offboarding-step">
                            <div class="step-log-head">
                                <span class="step-log-number">{index + 1}</span>
                                <strong>{name}</strong>
                                <span class=format!("badge {tone}")>{label}</span>
                                {link.map(|(href, text)| view! { <a href=href>{text}</a> })}
                            </div>
                            <p class="muted">{text}</p>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!files.is_empty()).then(|| view! {
                <div class="card-section">
                    <div class="card-title-row">
                        <h3>"The customer's export"</h3>
                        {(exported && can_export).then(|| view! {
                            <a class="btn btn-secondary btn-sm" href=download.clone() rel="external" download data-testid="offboarding-export-download">"Download export (zip)"</a>
                        })}
                    </div>
                    <table class="table table-compact" data-testid="export-files">
                        <thead><tr><th scope="col">"File"</th><th scope="col">"Size"</th><th scope="col">"SHA-256"</th></tr></thead>
                        <tbody>
                            {files.into_iter().map(|f| view! {
                                <tr><td><code>{f.name.clone()}</code></td><td class="nowrap">{size(f.size_bytes as i64)}</td><td><code class="hash">{f.sha256.clone()}</code></td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="muted">"manifest.json in the zip lists the same files and checksums."</p>
                </div>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Certificate(certificate: CertificateView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="certificate-heading" data-testid="destruction-certificate">
            <h2 id="certificate-heading">"Certificate of destruction"</h2>
            <dl class="facts">
                <dt>"Certificate"</dt><dd><code>{certificate.id.to_string()}</code></dd>
                <dt>"Issued (UTC)"</dt><dd>{when(&certificate.issued_at)}</dd>
                <dt>"Document SHA-256"</dt><dd><code class="hash">{certificate.document_sha256.clone()}</code></dd>
                <dt>{format!("{} signature", certificate.algorithm)}</dt><dd><code class="hash" data-testid="certificate-signature">{certificate.signature.clone()}</code></dd>
            </dl>
            <p class="muted">"The signature covers the document's bytes exactly; check it offline with the portal's public key from /api/v1/licences/public-key (e.g. openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in document.json -sigfile signature.bin)."</p>
            <pre class="step-output" data-testid="certificate-document">{certificate.document.clone()}</pre>
        </section>
    }
}

#[component]
fn StartForm(page: TenantOffboarding, offboard: ServerAction<OffboardTenant>) -> impl IntoView {
    let error = action_error(offboard);
    let field_error = move |field: &'static str| field_message(error, field);
    if !page.can_offboard {
        return ().into_any();
    }
    if let Some(refusal) = page.start_refusal.clone() {
        let open = page
            .offboardings
            .first()
            .and_then(|o| OffboardingStage::parse(&o.stage))
            .is_some_and(OffboardingStage::is_open);
        // An offboarding under way already shows where it stands.
        return (!open)
            .then(|| view! { <p class="muted" data-testid="offboarding-refusal">{refusal}</p> })
            .into_any();
    }
    let contacts = if page.contacts.is_empty() {
        "This tenant has no contacts on record: the notice goes out as an event only.".to_owned()
    } else {
        format!("The notice is emailed to {}.", page.contacts.join(", "))
    };
    view! {
        <section class="card" id="offboard" aria-labelledby="offboard-heading">
            <h2 id="offboard-heading">"Offboard this tenant"</h2>
            <p class="muted">
                "Offboarding sends the notice, writes the customer's data export (JSON and CSV with a manifest of checksums), revokes every access (people's roles, API and enrollment tokens, agents, webhooks), has the executor clean up and archives the tenant. After the retention period it is deleted — unless a legal hold stands — and a signed certificate of destruction is issued. Restoring the tenant before then cancels it."
            </p>
            <p class="muted">{contacts}</p>
            <FormErrors error/>
            <ActionForm action=offboard attr:class="form" attr:novalidate=true attr:data-testid="offboard-form">
                <input type="hidden" name="slug" value=page.slug.clone()/>
                <TextField name="reason" label="Reason (sent to the contacts)" placeholder="e.g. contract ended 2026-11-30" error=field_error("reason")/>
                <TextField name="retention_days" label="Days to keep before deletion" input_type="number" value=DEFAULT_RETENTION_DAYS.to_string() error=field_error("retention_days")/>
                <TextField name="confirm" label="Type the tenant's slug to confirm" placeholder="the slug" error=field_error("confirm")/>
                <div class="form-actions"><button type="submit" class="btn btn-danger">"Offboard tenant"</button></div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ExportCard(page: TenantOffboarding) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="export-heading">
            <h2 id="export-heading">"Data export"</h2>
            <p class="muted">"Everything the customer may take away, as it stands now: declared state, configuration without secret values, versions, endpoints, audit trail, compliance and change history as JSON and CSV in a zip, with manifest.json listing each file's size and SHA-256. Also: tenantry export " {page.slug.clone()} "."</p>
            {if page.can_export && page.lifecycle_state != "deleted" {
                view! { <a class="btn btn-secondary" href=format!("/tenants/{}/export.zip", page.slug) rel="external" download data-testid="export-now">"Export now (zip)"</a> }.into_any()
            } else {
                view! { <p class="muted">"You may not export this tenant's data."</p> }.into_any()
            }}
        </section>
    }
}
