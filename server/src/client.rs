//! The CLI's tenant commands: a small client of the REST API, so they obey
//! the same authentication, permissions and audit as every other caller.

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::rest::tenants::{
    Contacts, CreateTenantRequest, ExternalIds, TenantList, TenantResource, TransitionRequest,
    TransitionResult,
};
use app::domain::tenants::lifecycle::LifecycleAction;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {cause}")]
    Unreachable { url: String, cause: String },
    /// The API's problem document, rendered for a terminal.
    #[error("{0}")]
    Refused(String),
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
}

pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// Filters of `tenants list`, passed through as query parameters (unset ones left out).
#[derive(Debug, Default, clap::Args, serde::Serialize)]
pub struct ListFilters {
    /// Free text over name, slug, customer and external ids.
    #[arg(long)]
    pub q: Option<String>,
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub plan: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub environment: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub label: Option<String>,
    #[arg(long)]
    pub sort: Option<String>,
    #[arg(long)]
    pub dir: Option<String>,
    #[arg(long)]
    pub page: Option<u64>,
    #[arg(long)]
    pub per_page: Option<u64>,
}

/// Fields of `tenants create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub customer: String,
    #[arg(long, default_value = "production")]
    pub environment: String,
    #[arg(long, default_value = "standard")]
    pub kind: String,
    #[arg(long, default_value = "shared")]
    pub isolation: String,
    #[arg(long)]
    pub plan: String,
    #[arg(long)]
    pub region: String,
    /// Comma-separated; defaults to the region alone.
    #[arg(long, value_delimiter = ',')]
    pub allowed_regions: Vec<String>,
    #[arg(long)]
    pub technical_contact: Option<String>,
    #[arg(long)]
    pub billing_contact: Option<String>,
    #[arg(long)]
    pub incident_contact: Option<String>,
    #[arg(long)]
    pub crm_id: Option<String>,
    #[arg(long)]
    pub billing_id: Option<String>,
    /// Repeat or comma-separate.
    #[arg(long = "label", value_delimiter = ',')]
    pub labels: Vec<String>,
}

impl ApiClient {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T, ClientError> {
        let response = builder.send().await.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            cause: e.to_string(),
        })?;
        decode(response).await
    }

    pub async fn list(&self, filters: &ListFilters) -> Result<TenantList, ClientError> {
        self.send(self.request(Method::GET, "/tenants").query(filters))
            .await
    }

    pub async fn show(&self, id: &str) -> Result<TenantResource, ClientError> {
        self.send(self.request(Method::GET, &format!("/tenants/{}", segment(id))))
            .await
    }

    pub async fn create(&self, args: CreateArgs) -> Result<TenantResource, ClientError> {
        let allowed_regions = if args.allowed_regions.is_empty() {
            vec![args.region.clone()]
        } else {
            args.allowed_regions
        };
        let body = CreateTenantRequest {
            customer: args.customer,
            slug: args.slug,
            display_name: args.name,
            environment: args.environment,
            deployment_kind: args.kind,
            isolation_mode: args.isolation,
            plan_code: args.plan,
            region: args.region,
            allowed_regions,
            contacts: Contacts {
                technical: args.technical_contact,
                billing: args.billing_contact,
                incident: args.incident_contact,
            },
            external_ids: ExternalIds {
                crm: args.crm_id,
                billing: args.billing_id,
            },
            labels: args.labels,
        };
        self.send(self.request(Method::POST, "/tenants").json(&body))
            .await
    }

    pub async fn transition(
        &self,
        id: &str,
        action: &str,
    ) -> Result<TransitionResult, ClientError> {
        let action = LifecycleAction::parse(action).ok_or_else(|| {
            ClientError::Refused(format!(
                "unknown action `{action}`; use one of: activate, enter_maintenance, exit_maintenance, back_up, restore, upgrade, validate_health, suspend, resume, archive, delete"
            ))
        })?;
        let body = TransitionRequest {
            action,
            version: None,
        };
        let path = format!("/tenants/{}/transitions", segment(id));
        self.send(self.request(Method::POST, &path).json(&body))
            .await
    }
}

impl ApiClient {
    pub async fn health(
        &self,
        id: &str,
    ) -> Result<app::model::tenants::health::TenantHealth, ClientError> {
        let path = format!("/tenants/{}/health", segment(id));
        self.send(self.request(Method::GET, &path)).await
    }

    pub async fn run_health(
        &self,
        id: &str,
    ) -> Result<app::model::tenants::health::HealthRunRow, ClientError> {
        let path = format!("/tenants/{}/health/runs", segment(id));
        self.send(self.request(Method::POST, &path)).await
    }
}

impl ApiClient {
    /// Plans a rollout; returns its id.
    pub async fn create_rollout(
        &self,
        form: &app::model::rollouts::RolloutForm,
    ) -> Result<Uuid, ClientError> {
        let created: Value = self
            .send(self.request(Method::POST, "/rollouts").json(form))
            .await?;
        created["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| ClientError::Unexpected("the API answered without an id".into()))
    }

    pub async fn rollout(
        &self,
        id: &str,
    ) -> Result<app::model::rollouts::RolloutDetail, ClientError> {
        self.send(self.request(Method::GET, &format!("/rollouts/{}", segment(id))))
            .await
    }

    /// `pause`, `resume`, `abort`, `approve` or `retry-failed`.
    pub async fn rollout_action(
        &self,
        id: &str,
        action: &str,
    ) -> Result<app::model::rollouts::RolloutDetail, ClientError> {
        let path = format!("/rollouts/{}/{}", segment(id), segment(action));
        self.send(self.request(Method::POST, &path)).await
    }
}

/// A rollout's status, waves and halt reason as text.
pub fn render_rollout(detail: &app::model::rollouts::RolloutDetail) -> String {
    let r = &detail.rollout;
    let mut out = format!(
        "{} ({})\n  {} -> {}   status: {}   wave {}/{}\n  targets: {} succeeded, {} failed, {} running of {}\n",
        r.name,
        r.id,
        r.product_key,
        r.target_version,
        r.status.as_str(),
        r.current_wave,
        r.waves,
        r.succeeded,
        r.failed,
        r.running,
        r.targets
    );
    if let Some(reason) = &r.halt_reason {
        out.push_str(&format!("  halted: {reason}\n"));
    }
    for w in &detail.waves {
        out.push_str(&format!(
            "  wave {}: {:>4} targets  {:>4} ok  {:>4} failed  {:>4} running  {:>4} pending\n",
            w.number, w.total, w.succeeded, w.failed, w.running, w.pending
        ));
    }
    out
}

fn segment(raw: &str) -> String {
    form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ClientError::Unexpected(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected(e.to_string()));
    }
    let problem: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let detail = problem["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    let mut message = format!("{} ({status})", detail);
    for error in problem["errors"].as_array().into_iter().flatten() {
        message.push_str(&format!(
            "\n  {}: {}",
            error["field"].as_str().unwrap_or("?"),
            error["message"].as_str().unwrap_or("?")
        ));
    }
    Err(ClientError::Refused(message))
}

/// The list as an aligned text table.
pub fn render_list(list: &TenantList) -> String {
    let header = ["SLUG", "NAME", "STATE", "PLAN", "REGION", "ENVIRONMENT"];
    let rows: Vec<[String; 6]> = list
        .items
        .iter()
        .map(|t| {
            [
                t.slug.clone(),
                t.display_name.clone(),
                t.state.as_str().to_owned(),
                t.plan_code.clone(),
                t.region.clone(),
                t.environment.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    let p = &list.pagination;
    out.push(format!(
        "page {} of {} · {} tenants",
        p.page,
        p.total_pages.max(1),
        p.total
    ));
    out.join("\n")
}

/// One tenant as `key: value` lines.
pub fn render_tenant(t: &TenantResource) -> String {
    let s = &t.summary;
    let mut lines = vec![
        format!("id:              {}", s.id),
        format!("slug:            {}", s.slug),
        format!("name:            {}", s.display_name),
        format!("customer:        {}", s.customer.as_deref().unwrap_or("-")),
        format!(
            "state:           {}{}",
            s.state.as_str(),
            s.requested_state
                .map(|r| format!(" → {}", r.as_str()))
                .unwrap_or_default()
        ),
        format!("plan:            {}", s.plan_code),
        format!(
            "region:          {} (allowed: {})",
            s.region,
            t.allowed_regions.join(", ")
        ),
        format!("environment:     {}", s.environment),
        format!(
            "deployment:      {} / {}",
            s.deployment_kind, t.isolation_mode
        ),
        format!("labels:          {}", t.labels.join(", ")),
        format!("version:         {}", t.version),
    ];
    let allowed: Vec<&str> = t
        .actions
        .iter()
        .filter(|a| a.allowed)
        .map(|a| a.action.as_str())
        .collect();
    lines.push(format!("actions now:     {}", allowed.join(", ")));
    lines.join("\n")
}

/// What `tenantry events tail` asks for.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct EventFilters {
    pub after: i64,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub limit: u64,
}

impl ApiClient {
    /// One page of the event stream after `filters.after`.
    pub async fn events(
        &self,
        filters: &EventFilters,
    ) -> Result<app::model::events::EventPage, ClientError> {
        self.send(self.request(Method::GET, "/events").query(filters))
            .await
    }
}

impl ApiClient {
    pub async fn webhooks(&self) -> Result<Value, ClientError> {
        self.send(self.request(Method::GET, "/webhooks")).await
    }

    pub async fn create_webhook(
        &self,
        form: &app::model::events::EndpointForm,
    ) -> Result<app::model::events::EndpointSecret, ClientError> {
        self.send(self.request(Method::POST, "/webhooks").json(form))
            .await
    }

    pub async fn webhook_detail(
        &self,
        id: &str,
    ) -> Result<app::model::events::EndpointDetail, ClientError> {
        let path = format!("/webhooks/{}", segment(id));
        self.send(self.request(Method::GET, &path)).await
    }

    /// POST `/webhooks/{id}/{action}` (`test`, `rotate-secret`, `requeue`).
    pub async fn webhook_action(
        &self,
        id: &str,
        action: &str,
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        let path = format!("/webhooks/{}/{action}", segment(id));
        let request = self.request(Method::POST, &path);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        self.send(request).await
    }

    pub async fn backups(
        &self,
        tenant: &str,
    ) -> Result<app::model::tenants::backups::TenantBackups, ClientError> {
        let path = format!("/tenants/{}/backups", segment(tenant));
        self.send(self.request(Method::GET, &path)).await
    }

    pub async fn request_backup(
        &self,
        tenant: &str,
    ) -> Result<app::model::tenants::backups::QueuedChange, ClientError> {
        let path = format!("/tenants/{}/backups", segment(tenant));
        self.send(
            self.request(Method::POST, &path)
                .json(&app::model::tenants::backups::BackupRequestForm::default()),
        )
        .await
    }

    pub async fn verify_backup(
        &self,
        tenant: &str,
        backup: &str,
    ) -> Result<app::model::tenants::backups::BackupRow, ClientError> {
        let path = format!(
            "/tenants/{}/backups/{}/verify",
            segment(tenant),
            segment(backup)
        );
        self.send(self.request(Method::POST, &path)).await
    }

    /// Asks for a restore test of a backup (`latest`: the newest).
    /// A tenant's manifest as the API serves it (YAML or JSON text).
    pub async fn manifest(&self, tenant: &str, format: &str) -> Result<String, ClientError> {
        let path = format!(
            "/tenants/{}/manifest?format={}",
            segment(tenant),
            segment(format)
        );
        let response = self.request(Method::GET, &path).send().await.map_err(|e| {
            ClientError::Unreachable {
                url: self.base.clone(),
                cause: e.to_string(),
            }
        })?;
        if response.status().is_success() {
            return response
                .text()
                .await
                .map_err(|e| ClientError::Unexpected(e.to_string()));
        }
        decode::<Value>(response).await.map(|_| String::new())
    }

    /// What applying the documents would do (nothing is written).
    pub async fn plan_manifests(
        &self,
        documents: Vec<app::model::manifests::ManifestDocument>,
    ) -> Result<app::model::manifests::ManifestPlan, ClientError> {
        let body = app::model::manifests::ManifestDocuments { documents };
        self.send(self.request(Method::POST, "/manifests/plan").json(&body))
            .await
    }

    pub async fn restore_test(
        &self,
        tenant: &str,
        backup: &str,
    ) -> Result<app::model::tenants::backups::QueuedChange, ClientError> {
        let path = format!(
            "/tenants/{}/backups/{}/restore-test",
            segment(tenant),
            segment(backup)
        );
        self.send(self.request(Method::POST, &path)).await
    }

    /// Asks for a restore; the tenant named on the command line is the confirmation.
    pub async fn restore(
        &self,
        tenant: &str,
        backup: &str,
        note: &str,
    ) -> Result<app::model::tenants::backups::QueuedChange, ClientError> {
        let path = format!("/tenants/{}/restore", segment(tenant));
        let form = app::model::tenants::backups::RestoreForm {
            backup_id: backup.to_owned(),
            confirm: tenant.to_owned(),
            note: note.to_owned(),
        };
        self.send(self.request(Method::POST, &path).json(&form))
            .await
    }
    /// A tenant's data export (a zip): a fresh one, or the one written when
    /// its offboarding began.
    pub async fn export(&self, tenant: &str, offboarding: bool) -> Result<Vec<u8>, ClientError> {
        let path = if offboarding {
            format!("/tenants/{}/offboarding/export", segment(tenant))
        } else {
            format!("/tenants/{}/export", segment(tenant))
        };
        let response = self.request(Method::GET, &path).send().await.map_err(|e| {
            ClientError::Unreachable {
                url: self.base.clone(),
                cause: e.to_string(),
            }
        })?;
        if !response.status().is_success() {
            return decode::<Value>(response)
                .await
                .and_then(|_| Err(ClientError::Unexpected("the export was refused".into())));
        }
        Ok(response
            .bytes()
            .await
            .map_err(|e| ClientError::Unexpected(e.to_string()))?
            .to_vec())
    }

    /// Offboards a tenant; the tenant named on the command line is the confirmation.
    pub async fn offboard(
        &self,
        tenant: &str,
        reason: &str,
        retention_days: Option<u32>,
    ) -> Result<app::model::tenants::offboarding::OffboardingRow, ClientError> {
        let path = format!("/tenants/{}/offboarding", segment(tenant));
        let form = app::model::tenants::offboarding::OffboardingForm {
            reason: reason.to_owned(),
            retention_days: retention_days.map(|d| d.to_string()).unwrap_or_default(),
            confirm: tenant.to_owned(),
        };
        self.send(self.request(Method::POST, &path).json(&form))
            .await
    }

    /// Asks for a tenant to move; the tenant named on the command line is
    /// the confirmation.
    pub async fn migrate(
        &self,
        tenant: &str,
        form: app::model::tenants::migrations::MigrationForm,
    ) -> Result<app::model::tenants::migrations::MigrationRow, ClientError> {
        let path = format!("/tenants/{}/migrations", segment(tenant));
        self.send(self.request(Method::POST, &path).json(&form))
            .await
    }

    /// A tenant's placement and migrations.
    pub async fn migrations(
        &self,
        tenant: &str,
    ) -> Result<app::model::tenants::migrations::TenantMigrations, ClientError> {
        let path = format!("/tenants/{}/migrations", segment(tenant));
        self.send(self.request(Method::GET, &path)).await
    }
}

/// A tenant's placement and its migrations as text.
pub fn render_migrations(view: &app::model::tenants::migrations::TenantMigrations) -> String {
    let mut out = format!(
        "{} runs in {} ({}); it may move to: {}\n",
        view.slug,
        view.region,
        view.isolation,
        if view.regions.is_empty() {
            "no region (set its allowed regions)".to_owned()
        } else {
            view.regions.join(", ")
        }
    );
    for m in &view.migrations {
        let done = m
            .steps
            .iter()
            .filter(|s| s.step != "rollback" && s.status == "succeeded")
            .count();
        out.push_str(&format!(
            "{}  {} · {} → {} · {}  {:<15}  {done}/6 steps  change {}\n",
            m.requested_at.format("%Y-%m-%d %H:%M"),
            m.from_region,
            m.from_isolation,
            m.to_region,
            m.to_isolation,
            m.status_label,
            m.change_id
        ));
    }
    out
}

/// A tenant's backups as a table.
pub fn render_backups(view: &app::model::tenants::backups::TenantBackups) -> String {
    let mut out = format!(
        "Backups of {} (kept: {} daily, {} weekly, {} monthly; restore test every {} days; target {})\n",
        view.slug,
        view.keep_daily,
        view.keep_weekly,
        view.keep_monthly,
        view.restore_test_days,
        view.target
    );
    out.push_str(&format!(
        "{:<36}  {:<16}  {:<8}  {:<6}  {:>10}  {:<10}  {:<12}  {}\n",
        "ID", "TAKEN (UTC)", "CLASS", "KIND", "BYTES", "VERIFIED", "RESTORE TEST", "SHA-256"
    ));
    for b in &view.backups {
        out.push_str(&format!(
            "{:<36}  {:<16}  {:<8}  {:<6}  {:>10}  {:<10}  {:<12}  {}{}\n",
            b.id,
            b.taken_at.format("%Y-%m-%d %H:%M"),
            b.retention_class,
            b.kind,
            b.size_bytes,
            b.verify_status,
            b.restore_test
                .as_ref()
                .map_or("never", |t| t.status.as_str()),
            &b.sha256[..b.sha256.len().min(16)],
            if b.deleted_at.is_some() {
                "  (deleted)"
            } else {
                ""
            }
        ));
    }
    if view.backups.is_empty() {
        out.push_str("(none yet)\n");
    }
    if view.older_deleted > 0 {
        out.push_str(&format!(
            "({} older records of deleted backups not listed; see the audit trail, action backup.prune)\n",
            view.older_deleted
        ));
    }
    out
}

/// Every manifest file under the paths: a file as is, a folder's `.yaml`,
/// `.yml` and `.json` files (recursively, in name order), each named by its
/// path for the plan's problems.
pub fn manifest_documents(
    paths: &[std::path::PathBuf],
) -> std::io::Result<Vec<app::model::manifests::ManifestDocument>> {
    fn walk(path: &std::path::Path, found: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    walk(&entry, found)?;
                } else if entry
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
                {
                    found.push(entry);
                }
            }
        } else {
            found.push(path.to_owned());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        walk(path, &mut files)?;
    }
    files
        .into_iter()
        .map(|file| {
            Ok(app::model::manifests::ManifestDocument {
                content: std::fs::read_to_string(&file).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("{}: {e}", file.display()))
                })?,
                source: file.display().to_string(),
            })
        })
        .collect()
}

/// A plan as text: per tenant with something to do, its diff and its
/// actions in order with their verdicts; then the totals.
pub fn render_plan(plan: &app::model::manifests::ManifestPlan) -> String {
    let mut out = String::new();
    for tenant in plan.tenants.iter().filter(|t| t.outcome != "unchanged") {
        let from = if tenant.source.is_empty() {
            String::new()
        } else {
            format!(" ({})", tenant.source)
        };
        let verb = if tenant.outcome == "create" {
            "to create"
        } else {
            "to change"
        };
        out.push_str(&format!("{}{from}: {verb}\n", tenant.slug));
        for diff in &tenant.diffs {
            let line = match (&diff.current, &diff.desired) {
                (None, Some(new)) => format!("  + {}: {new}", diff.path),
                (Some(old), None) => format!("  - {}: {old}", diff.path),
                (Some(old), Some(new)) => format!("  ~ {}: {old} → {new}", diff.path),
                (None, None) => format!("  ~ {}", diff.path),
            };
            out.push_str(&line);
            out.push('\n');
        }
        for (index, action) in tenant.actions.iter().enumerate() {
            let verdict = match (&action.refusal, action.needs_approval, &action.window) {
                (Some(why), _, _) => format!("REFUSED: {why}"),
                (None, true, _) => "needs approval".to_owned(),
                (None, false, Some(window)) if action.change_request => window.clone(),
                _ => "written at once".to_owned(),
            };
            out.push_str(&format!("  {}. {} — {verdict}\n", index + 1, action.title));
        }
    }
    let created = plan
        .tenants
        .iter()
        .filter(|t| t.outcome == "create")
        .count();
    if plan.changed == 0 {
        out.push_str(&format!(
            "No changes. {} tenant{} match{} {} manifest{}.",
            plan.unchanged,
            if plan.unchanged == 1 { "" } else { "s" },
            if plan.unchanged == 1 { "es" } else { "" },
            if plan.unchanged == 1 { "its" } else { "their" },
            if plan.unchanged == 1 { "" } else { "s" },
        ));
    } else {
        out.push_str(&format!(
            "Plan: {} to change, {created} to create, {} unchanged, {} refused.",
            plan.changed - created,
            plan.unchanged,
            plan.refused
        ));
    }
    out
}
