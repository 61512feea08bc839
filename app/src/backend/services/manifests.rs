//! Declarative tenants: a tenant's manifest exported from what the portal
//! holds, and the plan for a set of manifests — per tenant the field-level
//! diff and the ordered actions with the policy's verdict on each. A plan
//! writes nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::backend::context::Ctx;
use crate::backend::entities::{
    backup_policy, blackout, change_request, customer, maintenance_window, plan, product, release,
    secret_schedule, tenant, tenant_product, tenant_setting, update_policy, webhook_endpoint,
};
use crate::backend::error::{ServiceError, ServiceResult};
use crate::backend::services::changes::update_policy as policies;
use crate::domain::access::permission::{Permission, Scope};
use crate::domain::changes::change::{ApprovalMode, ChangeKind, ChangeStatus, approval_required};
use crate::domain::changes::schedule::{Blackout, MaintenanceWindow, PolicyZone, UpdateSchedule};
use crate::domain::manifests::diff::shown;
use crate::domain::manifests::manifest::{
    API_VERSION, BackupSpec, BlackoutSpec, ConfigValue, HELD_SECRET, KIND, LATEST, Metadata,
    Placement, ProductSpec, SecretRef, Spec, TenantManifest, UpdatePolicySpec, WebhookSpec,
    parse_documents, utc_text, window_spec,
};
use crate::domain::manifests::plan::{PlannedAction, is_patch, plan as plan_tenant, vendor_only};
use crate::domain::releases::catalog::ReleaseStatus;
use crate::domain::tenants::tenant::Region;
use crate::domain::validation::FieldErrors;
use crate::model::manifests::{
    FieldDiffRow, ManifestDocument, ManifestPlan, PlannedActionRow, TenantPlan,
};

/// The most manifests one plan reads.
pub const MAX_MANIFESTS: usize = 20_000;
/// Ids per `IN (…)` list (SQLite's and PostgreSQL's limits are far above).
const CHUNK: usize = 500;

/// A tenant's manifest: everything the portal holds about it that a manifest
/// declares, secrets as references only.
pub async fn export(ctx: &Ctx, reference: &str) -> ServiceResult<TenantManifest> {
    let (tenant_id, _) =
        crate::backend::services::tenants::resolve_tenant_id(ctx, reference).await?;
    let found = tenant::Entity::find_by_id(tenant_id)
        .one(&ctx.reads)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut manifests = export_many(&ctx.reads, &[found], ctx.now()).await?;
    manifests.pop().ok_or(ServiceError::NotFound)
}

/// Manifests of many tenants, a handful of queries for all of them.
pub async fn export_many<C: ConnectionTrait>(
    conn: &C,
    tenants: &[tenant::Model],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<TenantManifest>> {
    let ids: Vec<Uuid> = tenants.iter().map(|t| t.id).collect();
    let customer_ids: Vec<Uuid> = tenants.iter().filter_map(|t| t.customer_id).collect();
    let mut customers = HashMap::new();
    for chunk in customer_ids.chunks(CHUNK) {
        for c in customer::Entity::find()
            .filter(customer::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            customers.insert(c.id, c.name);
        }
    }
    let products: HashMap<Uuid, String> = product::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.key))
        .collect();
    let mut licensed: HashMap<Uuid, Vec<ProductSpec>> = HashMap::new();
    let mut config: HashMap<Uuid, BTreeMap<String, ConfigValue>> = HashMap::new();
    let mut policy_rows: HashMap<Uuid, update_policy::Model> = HashMap::new();
    let mut windows: HashMap<Uuid, Vec<MaintenanceWindow>> = HashMap::new();
    let mut blackouts: HashMap<Uuid, Vec<BlackoutSpec>> = HashMap::new();
    let mut backups: HashMap<Uuid, BackupSpec> = HashMap::new();
    let mut rotation: HashMap<Uuid, BTreeMap<String, u32>> = HashMap::new();
    let mut webhooks: HashMap<Uuid, Vec<WebhookSpec>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let chunk = chunk.to_vec();
        for row in tenant_product::Entity::find()
            .filter(tenant_product::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            let Some(key) = products.get(&row.product_id) else {
                continue;
            };
            let mut features = row.feature_flags.0.clone();
            features.sort();
            features.dedup();
            licensed
                .entry(row.tenant_id)
                .or_default()
                .push(ProductSpec {
                    product: key.clone(),
                    version: row.running_version.clone(),
                    // In the normal form a manifest's range is read into.
                    allowed_range: row
                        .allowed_range
                        .as_deref()
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(|r| {
                            semver::VersionReq::parse(r)
                                .map_or_else(|_| r.to_owned(), |req| req.to_string())
                        }),
                    features,
                });
        }
        for row in tenant_setting::Entity::find()
            .filter(tenant_setting::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            let value = if row.is_secret {
                ConfigValue::Secret(SecretRef {
                    secret_ref: HELD_SECRET.into(),
                })
            } else {
                ConfigValue::Plain(row.value)
            };
            config
                .entry(row.tenant_id)
                .or_default()
                .insert(row.key, value);
        }
        for row in update_policy::Entity::find()
            .filter(update_policy::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            policy_rows.insert(row.tenant_id, row);
        }
        for row in maintenance_window::Entity::find()
            .filter(maintenance_window::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            windows
                .entry(row.tenant_id)
                .or_default()
                .push(policies::to_window(&row));
        }
        for row in blackout::Entity::find()
            .filter(blackout::Column::TenantId.is_in(chunk.clone()))
            .filter(blackout::Column::EndsAt.gt(now))
            .order_by_asc(blackout::Column::StartsAt)
            .all(conn)
            .await?
        {
            if let Some(tenant_id) = row.tenant_id {
                blackouts.entry(tenant_id).or_default().push(BlackoutSpec {
                    starts: utc_text(row.starts_at),
                    ends: utc_text(row.ends_at),
                    reason: row.reason,
                });
            }
        }
        for row in backup_policy::Entity::find()
            .filter(backup_policy::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            let count = |n: i32| u32::try_from(n).unwrap_or(0);
            backups.insert(
                row.tenant_id,
                BackupSpec {
                    keep_daily: count(row.keep_daily),
                    keep_weekly: count(row.keep_weekly),
                    keep_monthly: count(row.keep_monthly),
                    restore_test_days: count(row.restore_test_days),
                },
            );
        }
        for row in secret_schedule::Entity::find()
            .filter(secret_schedule::Column::TenantId.is_in(chunk.clone()))
            .all(conn)
            .await?
        {
            rotation.entry(row.tenant_id).or_default().insert(
                row.secret_name,
                u32::try_from(row.interval_days).unwrap_or(0),
            );
        }
        for row in webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::TenantId.is_in(chunk))
            .all(conn)
            .await?
        {
            if let Some(tenant_id) = row.tenant_id {
                let mut events = row.event_types.0.clone();
                events.sort();
                events.dedup();
                webhooks.entry(tenant_id).or_default().push(WebhookSpec {
                    url: row.url,
                    description: row.description,
                    events,
                    enabled: row.enabled,
                });
            }
        }
    }
    Ok(tenants
        .iter()
        .map(|t| {
            let policy = policy_rows
                .remove(&t.id)
                .unwrap_or_else(|| policies::default_policy(t.id));
            let mut tenant_windows: Vec<_> = windows
                .remove(&t.id)
                .unwrap_or_default()
                .iter()
                .map(window_spec)
                .collect();
            tenant_windows.sort_by_key(|w| {
                (
                    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                        .iter()
                        .position(|d| *d == w.day),
                    w.start.clone(),
                    w.end.clone(),
                )
            });
            let mut tenant_blackouts = blackouts.remove(&t.id).unwrap_or_default();
            tenant_blackouts.sort();
            let mut products = licensed.remove(&t.id).unwrap_or_default();
            products.sort_by(|a, b| a.product.cmp(&b.product));
            let mut hooks = webhooks.remove(&t.id).unwrap_or_default();
            hooks.sort_by(|a, b| a.url.cmp(&b.url));
            let mut labels = t.labels.0.clone();
            labels.sort();
            let mut allowed = t.allowed_regions.0.clone();
            allowed.sort();
            TenantManifest {
                api_version: API_VERSION.into(),
                kind: KIND.into(),
                metadata: Metadata {
                    slug: t.slug.clone(),
                    name: t.display_name.clone(),
                    customer: t
                        .customer_id
                        .and_then(|id| customers.get(&id).cloned())
                        .unwrap_or_default(),
                    external_ids: t.external_ids.0.clone(),
                    labels,
                    contacts: t.contacts.0.clone(),
                },
                spec: Spec {
                    environment: t.environment.as_str().into(),
                    deployment: t.deployment_kind.as_str().into(),
                    plan: t.plan_code.clone(),
                    placement: Placement {
                        region: t.region.clone(),
                        allowed_regions: allowed,
                        isolation: t.isolation_mode.as_str().into(),
                    },
                    products: Some(products),
                    config: Some(config.remove(&t.id).unwrap_or_default()),
                    update_policy: Some(UpdatePolicySpec {
                        approval: policy.approval_mode.as_str().into(),
                        timezone: policy.timezone.as_str().into(),
                        max_delay_days: u32::try_from(policy.max_delay_days).unwrap_or(0),
                        auto_update: policy.auto_update,
                        max_running_changes: policy
                            .max_running_changes
                            .and_then(|n| u32::try_from(n).ok()),
                        windows: tenant_windows,
                        blackouts: tenant_blackouts,
                    }),
                    backups: Some(backups.remove(&t.id).unwrap_or_default()),
                    secret_rotation: Some(rotation.remove(&t.id).unwrap_or_default()),
                    webhooks: Some(hooks),
                },
            }
        })
        .collect())
}

/// What applying `documents` would do, tenant by tenant. Every problem of
/// every document is refused at once, named `source:path`; a tenant the
/// caller cannot see is planned as one to create (and refused unless they
/// may create tenants), so a plan reveals nothing of other customers.
pub async fn plan(ctx: &Ctx, documents: &[ManifestDocument]) -> ServiceResult<ManifestPlan> {
    ctx.principal.require_somewhere(Permission::TenantRead)?;
    let manifests = read_documents(documents)?;
    let conn = &ctx.reads;
    let now = ctx.now();
    let slugs: Vec<String> = manifests
        .iter()
        .map(|(_, m)| m.metadata.slug.clone())
        .collect();
    let mut existing = Vec::new();
    for chunk in slugs.chunks(CHUNK) {
        existing.extend(
            tenant::Entity::find()
                .filter(tenant::Column::Slug.is_in(chunk.to_vec()))
                .all(conn)
                .await?
                .into_iter()
                .filter(|t| {
                    ctx.principal
                        .can(Permission::TenantRead, Scope::Tenant(t.id))
                }),
        );
    }
    let exported = export_many(conn, &existing, now).await?;
    let mut current: HashMap<String, (tenant::Model, TenantManifest)> = existing
        .into_iter()
        .zip(exported)
        .map(|(t, m)| (t.slug.clone(), (t, m)))
        .collect();
    let judge = Judge::load(ctx).await?;
    let mut answer = ManifestPlan::default();
    let mut refused = FieldErrors::default();
    for (source, mut desired) in manifests {
        let here = current.remove(&desired.metadata.slug);
        let running = here.as_ref().map(|(_, m)| m);
        judge.resolve_latest(&mut desired, running);
        let (diffs, actions) = match plan_tenant(running, &desired) {
            Ok(planned) => planned,
            Err(problems) => {
                for problem in problems.0 {
                    refused.push(at(&source, &problem.field), problem.message);
                }
                continue;
            }
        };
        let mut rows = Vec::new();
        for action in &actions {
            rows.push(
                judge
                    .verdict(ctx, here.as_ref().map(|(t, _)| t), &desired, action)
                    .await?,
            );
        }
        let outcome = match (&here, actions.is_empty()) {
            (None, _) => "create",
            (Some(_), true) => "unchanged",
            (Some(_), false) => "changed",
        };
        if outcome == "unchanged" {
            answer.unchanged += 1;
        } else {
            answer.changed += 1;
        }
        if rows.iter().any(|r| !r.allowed) {
            answer.refused += 1;
        }
        answer.tenants.push(TenantPlan {
            slug: desired.metadata.slug.clone(),
            source,
            outcome: outcome.into(),
            diffs: diffs
                .iter()
                .map(|d| FieldDiffRow {
                    path: d.path.clone(),
                    current: d.current.as_ref().map(shown),
                    desired: d.desired.as_ref().map(shown),
                })
                .collect(),
            actions: rows,
        });
    }
    if !refused.is_empty() {
        return Err(refused.into());
    }
    Ok(answer)
}

fn at(source: &str, path: &str) -> String {
    match (source.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => source.to_owned(),
        (false, false) => format!("{source}:{path}"),
    }
}

/// Every manifest of every document with its source, or every problem.
fn read_documents(documents: &[ManifestDocument]) -> ServiceResult<Vec<(String, TenantManifest)>> {
    let mut errors = FieldErrors::default();
    let mut manifests = Vec::new();
    for document in documents {
        match parse_documents(&document.content) {
            Ok(found) => manifests.extend(found.into_iter().map(|m| (document.source.clone(), m))),
            Err(problems) => {
                for problem in problems.0 {
                    errors.push(at(&document.source, &problem.field), problem.message);
                }
            }
        }
    }
    if manifests.len() > MAX_MANIFESTS {
        errors.push(
            "documents",
            format!("Plan at most {MAX_MANIFESTS} manifests at once; split the set."),
        );
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (source, manifest) in &manifests {
        if let Some(first) = seen.insert(&manifest.metadata.slug, source) {
            errors.push(
                at(source, "metadata.slug"),
                format!(
                    "{} is declared twice (also in {}); one manifest per tenant.",
                    manifest.metadata.slug,
                    if first.is_empty() { "this text" } else { first }
                ),
            );
        }
    }
    if documents.is_empty() {
        errors.push("documents", "Send at least one manifest.");
    }
    Ok(errors.into_result(|| manifests)?)
}

/// What a plan consults, loaded once for all its tenants.
struct Judge {
    plans: HashMap<String, plan::Model>,
    products: HashMap<String, product::Model>,
    /// Published releases per product, newest first.
    releases: HashMap<Uuid, Vec<semver::Version>>,
    organisation_blackouts: Vec<Blackout>,
    configured_regions: Vec<Region>,
}

impl Judge {
    async fn load(ctx: &Ctx) -> ServiceResult<Self> {
        let conn = &ctx.reads;
        let plans = plan::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
        let products = product::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.key.clone(), p))
            .collect();
        let mut releases: HashMap<Uuid, Vec<semver::Version>> = HashMap::new();
        for r in release::Entity::find()
            .filter(release::Column::Status.eq(ReleaseStatus::Published))
            .all(conn)
            .await?
        {
            if let Ok(version) = semver::Version::parse(&r.version) {
                releases.entry(r.product_id).or_default().push(version);
            }
        }
        for versions in releases.values_mut() {
            versions.sort_by(|a, b| b.cmp(a));
        }
        let organisation_blackouts = blackout::Entity::find()
            .filter(blackout::Column::TenantId.is_null())
            .filter(blackout::Column::EndsAt.gt(ctx.now()))
            .all(conn)
            .await?
            .into_iter()
            .map(|b| Blackout {
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                reason: b.reason,
                organisation_wide: true,
            })
            .collect();
        let configured_regions =
            crate::backend::services::tenants::residency::configured(conn).await?;
        Ok(Self {
            plans,
            products,
            releases,
            organisation_blackouts,
            configured_regions,
        })
    }

    /// `version: latest` becomes the newest published release within the
    /// product's allowed range (the manifest's, else the tenant's); with
    /// none, the product keeps what it runs.
    fn resolve_latest(&self, desired: &mut TenantManifest, current: Option<&TenantManifest>) {
        let Some(products) = &mut desired.spec.products else {
            return;
        };
        for wanted in products.iter_mut() {
            if wanted.version.as_deref() != Some(LATEST) {
                continue;
            }
            let running = current
                .and_then(|m| m.spec.products.as_ref())
                .and_then(|ps| ps.iter().find(|p| p.product == wanted.product));
            let range = wanted
                .allowed_range
                .clone()
                .or_else(|| running.and_then(|p| p.allowed_range.clone()))
                .and_then(|r| semver::VersionReq::parse(&r).ok());
            let newest = self
                .products
                .get(&wanted.product)
                .and_then(|p| self.releases.get(&p.id))
                .and_then(|versions| {
                    versions
                        .iter()
                        .find(|v| range.as_ref().is_none_or(|r| r.matches(v)))
                });
            wanted.version = match newest {
                Some(version) => Some(version.to_string()),
                None => running.and_then(|p| p.version.clone()),
            };
        }
    }

    /// One action with the policy's verdict: permission, residency, end of
    /// life, quotas, conflicts, approvals and the window it would start in.
    async fn verdict(
        &self,
        ctx: &Ctx,
        tenant: Option<&tenant::Model>,
        desired: &TenantManifest,
        action: &PlannedAction,
    ) -> ServiceResult<PlannedActionRow> {
        let principal = &ctx.principal;
        let slug = &desired.metadata.slug;
        let mut row = PlannedActionRow {
            action: String::new(),
            title: String::new(),
            change_request: action.is_change_request(),
            paths: Vec::new(),
            allowed: true,
            refusal: None,
            needs_approval: false,
            starts_at: None,
            window: None,
        };
        let mut refuse = |row: &mut PlannedActionRow, why: String| {
            if row.refusal.is_none() {
                row.allowed = false;
                row.refusal = Some(why);
            }
        };
        let vendor = principal.can(Permission::TenantManage, Scope::Platform);
        match action {
            PlannedAction::Create => {
                row.action = "create".into();
                row.title = format!("Onboard {slug} and provision it");
                if !vendor {
                    refuse(
                        &mut row,
                        "Only the vendor onboards tenants (tenant.manage platform-wide).".into(),
                    );
                }
                self.check_plan(&mut row, &desired.spec.plan, &mut refuse);
                self.check_region(
                    &mut row,
                    &desired.spec.placement.region,
                    &desired.spec.placement.allowed_regions,
                    &mut refuse,
                );
            }
            PlannedAction::SetFields { paths } => {
                row.action = "set_fields".into();
                row.title = format!(
                    "Set {} field{} of {slug}",
                    paths.len(),
                    if paths.len() == 1 { "" } else { "s" }
                );
                row.paths = paths.clone();
                match tenant {
                    Some(t) if !principal.can(Permission::TenantManage, Scope::Tenant(t.id)) => {
                        refuse(
                            &mut row,
                            "You may not edit this tenant (tenant.manage).".into(),
                        )
                    }
                    _ => {}
                }
                if !vendor && let Some(why) = paths.iter().find_map(|p| vendor_only(p)) {
                    refuse(&mut row, why);
                }
                if paths
                    .iter()
                    .any(|p| p.starts_with("spec.placement.allowedRegions"))
                {
                    for region in &desired.spec.placement.allowed_regions {
                        if let Ok(parsed) = Region::parse(region)
                            && !self.configured_regions.is_empty()
                            && !self.configured_regions.contains(&parsed)
                        {
                            refuse(
                                &mut row,
                                format!("{region} is not a region this portal runs tenants in."),
                            );
                        }
                    }
                }
                if let Some(path) = paths
                    .iter()
                    .find(|p| p.starts_with("spec.products[") && !p.contains("]."))
                {
                    let key = path
                        .trim_start_matches("spec.products[")
                        .trim_end_matches(']');
                    if !self.products.contains_key(key) {
                        refuse(&mut row, format!("{key} is not a product of the catalog."));
                    }
                }
            }
            PlannedAction::ChangePlan { from, to } => {
                row.action = ChangeKind::ChangePlan.as_str().into();
                row.title = format!("Change plan of {slug}: {from} → {to}");
                if !vendor {
                    refuse(&mut row, vendor_only("spec.plan").unwrap_or_default());
                }
                self.check_plan(&mut row, to, &mut refuse);
                if let (Some(t), Some(target)) = (tenant, self.plans.get(to)) {
                    let over =
                        crate::backend::services::plans::plan_change::excess(&ctx.reads, t, target)
                            .await?;
                    if !over.is_empty() {
                        let described: Vec<String> = over.iter().map(|e| e.describe()).collect();
                        refuse(
                            &mut row,
                            format!(
                                "Moving to {} would leave the tenant over quota — {}.",
                                target.name,
                                described.join("; ")
                            ),
                        );
                    }
                    if self.open_change(ctx, t.id, ChangeKind::ChangePlan).await? {
                        refuse(&mut row, "A plan change is already under way.".into());
                    }
                }
                row.starts_at = Some(ctx.now());
                row.window = Some("Requested by the vendor: runs at once".into());
            }
            PlannedAction::Migrate { region, isolation } => {
                row.action = ChangeKind::Migrate.as_str().into();
                row.title = format!("Move {slug} to {region} ({isolation})");
                if let Some(t) = tenant
                    && !principal.can(Permission::TenantLifecycle, Scope::Tenant(t.id))
                {
                    refuse(
                        &mut row,
                        "You may not move this tenant (tenant.lifecycle).".into(),
                    );
                }
                self.check_region(
                    &mut row,
                    region,
                    &desired.spec.placement.allowed_regions,
                    &mut refuse,
                );
                if let Some(t) = tenant {
                    if let Some(why) =
                        crate::domain::tenants::migration::state_refusal(&t.slug, t.lifecycle_state)
                    {
                        refuse(&mut row, why);
                    }
                    if self.open_change(ctx, t.id, ChangeKind::Migrate).await? {
                        refuse(&mut row, "A migration is already under way.".into());
                    }
                    self.route(ctx, &mut row, t, desired, ChangeKind::Migrate, None, None)
                        .await?;
                }
            }
            PlannedAction::Upgrade {
                product: key,
                from,
                to,
            } => {
                let kind = if is_patch(from.as_deref(), to) {
                    ChangeKind::Patch
                } else {
                    ChangeKind::Upgrade
                };
                row.action = kind.as_str().into();
                row.title = match from {
                    Some(from) => format!("{} {key} of {slug}: {from} → {to}", kind.label()),
                    None => format!("{} {key} of {slug} to {to}", kind.label()),
                };
                let Some(found) = self.products.get(key) else {
                    refuse(&mut row, format!("{key} is not a product of the catalog."));
                    return Ok(row);
                };
                let version = semver::Version::parse(to).ok();
                let published = version.as_ref().is_some_and(|v| {
                    self.releases
                        .get(&found.id)
                        .is_some_and(|vs| vs.contains(v))
                });
                if !published {
                    refuse(
                        &mut row,
                        format!("{to} is not a published release of {}.", found.name),
                    );
                }
                if let Some(t) = tenant {
                    if !principal.can(Permission::UpdateExecute, Scope::Tenant(t.id)) {
                        refuse(
                            &mut row,
                            "You may not update this tenant (update.execute).".into(),
                        );
                    }
                    let licensed = tenant_product::Entity::find_by_id((t.id, found.id))
                        .one(&ctx.reads)
                        .await?
                        .is_some();
                    if let (true, Some(v)) = (licensed && published, &version)
                        && let Some(why) = crate::backend::services::changes::policy_refusal(
                            &ctx.reads,
                            t.id,
                            found.id,
                            v,
                            ctx.now(),
                        )
                        .await?
                    {
                        refuse(&mut row, why);
                    }
                    self.route(ctx, &mut row, t, desired, kind, from.as_deref(), Some(to))
                        .await?;
                }
            }
        }
        Ok(row)
    }

    fn check_plan(
        &self,
        row: &mut PlannedActionRow,
        code: &str,
        refuse: &mut impl FnMut(&mut PlannedActionRow, String),
    ) {
        if !self.plans.contains_key(code) {
            refuse(
                row,
                format!("There is no plan `{code}`; choose one from the catalogue."),
            );
        }
    }

    fn check_region(
        &self,
        row: &mut PlannedActionRow,
        region: &str,
        allowed: &[String],
        refuse: &mut impl FnMut(&mut PlannedActionRow, String),
    ) {
        let (Ok(region), Ok(allowed)) = (
            Region::parse(region),
            allowed
                .iter()
                .map(|r| Region::parse(r))
                .collect::<Result<Vec<_>, _>>(),
        ) else {
            return;
        };
        let configured = if self.configured_regions.is_empty() {
            allowed.clone()
        } else {
            self.configured_regions.clone()
        };
        if let Err(why) =
            crate::domain::tenants::tenant::check_residency(&region, &allowed, &configured)
        {
            refuse(row, why);
        }
    }

    async fn open_change(
        &self,
        ctx: &Ctx,
        tenant_id: Uuid,
        kind: ChangeKind,
    ) -> ServiceResult<bool> {
        let open: Vec<&str> = ChangeStatus::ALL
            .iter()
            .filter(|s| !s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        Ok(change_request::Entity::find()
            .filter(change_request::Column::TenantId.eq(tenant_id))
            .filter(change_request::Column::Kind.eq(kind.as_str()))
            .filter(change_request::Column::Status.is_in(open))
            .one(&ctx.reads)
            .await?
            .is_some())
    }

    /// Approvals and the window, under the policy the tenant will have once
    /// the plan's fields are set (they are written before any change).
    #[allow(clippy::too_many_arguments)]
    async fn route(
        &self,
        ctx: &Ctx,
        row: &mut PlannedActionRow,
        tenant: &tenant::Model,
        desired: &TenantManifest,
        kind: ChangeKind,
        running: Option<&str>,
        target: Option<&str>,
    ) -> ServiceResult<()> {
        let now = ctx.now();
        let (mode, schedule) = match &desired.spec.update_policy {
            Some(policy) => (
                ApprovalMode::parse(&policy.approval).unwrap_or(ApprovalMode::MajorsOnly),
                self.schedule_of(policy),
            ),
            None => (
                policies::load(&ctx.reads, tenant.id).await?.approval_mode,
                policies::schedule_for(&ctx.reads, tenant.id, now).await?,
            ),
        };
        let parse = |v: Option<&str>| v.and_then(|v| semver::Version::parse(v).ok());
        row.needs_approval =
            approval_required(mode, kind, parse(running).as_ref(), parse(target).as_ref());
        if !row.needs_approval {
            let (at, why) = policies::next_start(&schedule, now);
            row.starts_at = Some(at);
            row.window = Some(why);
        }
        Ok(())
    }

    fn schedule_of(&self, policy: &UpdatePolicySpec) -> UpdateSchedule {
        let timezone = PolicyZone::parse(&policy.timezone)
            .map(|z| z.0)
            .unwrap_or(chrono_tz::UTC);
        let windows = policy
            .windows
            .iter()
            .filter_map(|w| MaintenanceWindow::parse(&w.day, &w.start, &w.end).ok())
            .collect();
        let mut blackouts = self.organisation_blackouts.clone();
        blackouts.extend(policy.blackouts.iter().filter_map(|b| {
            Some(Blackout {
                starts_at: DateTime::parse_from_rfc3339(&b.starts)
                    .ok()?
                    .with_timezone(&Utc),
                ends_at: DateTime::parse_from_rfc3339(&b.ends)
                    .ok()?
                    .with_timezone(&Utc),
                reason: b.reason.clone(),
                organisation_wide: false,
            })
        }));
        UpdateSchedule {
            timezone,
            windows,
            blackouts,
        }
    }
}
