//! The tenant's Limits tab: its plan and the features it includes, every
//! quota with the limit in force (the plan's, or the vendor's override and
//! why) beside what the tenant uses now; the vendor overrides quotas and
//! requests plan changes here.

use leptos::prelude::*;

use crate::api::plans::{
    AssignLicence, ImportCloudResources, Licence, LimitsPage, RenewLicence, RequestPlanChange,
    RevokeLicence, SetQuotaOverride, limits_of_tenant,
};
use crate::domain::plans::licence::LicenceStatus;
use crate::domain::plans::limits::UsageLevel;
use crate::domain::plans::plan::{FeatureFlag, Quota};
use crate::ui::components::form::{
    FormErrors, SelectField, TextField, action_error, field_message,
};
use crate::ui::components::page::Alert;
use crate::ui::components::progress::UsageBar;

use super::limit_text;

#[component]
pub fn LimitsTab(slug: String) -> impl IntoView {
    let set_override = ServerAction::<SetQuotaOverride>::new();
    let change_plan = ServerAction::<RequestPlanChange>::new();
    let assign = ServerAction::<AssignLicence>::new();
    let renew = ServerAction::<RenewLicence>::new();
    let revoke = ServerAction::<RevokeLicence>::new();
    let import = ServerAction::<ImportCloudResources>::new();
    let tenant = slug.clone();
    let data = Resource::new(
        move || {
            (
                set_override.version().get(),
                change_plan.version().get(),
                assign.version().get(),
                renew.version().get(),
                revoke.version().get(),
                import.version().get(),
            )
        },
        move |_| limits_of_tenant(tenant.clone()),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading the tenant's limits…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! {
                        <PlanCard page=page.clone()/>
                        <QuotaTable page=page.clone()/>
                        <UsageCard slug=page.limits.slug.clone()/>
                        <LicencesCard page=page.clone() assign renew revoke/>
                        <CloudResourcesCard page=page.clone() import/>
                        {page.may.manage.then(|| view! {
                            <div class="card-row">
                                <OverrideForm page=page.clone() set_override/>
                                <PlanChangeForm page=page.clone() change_plan/>
                            </div>
                        })}
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn PlanCard(page: LimitsPage) -> impl IntoView {
    let limits = page.limits;
    view! {
        <section class="card" aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan"</h2>
            <p data-testid="tenant-plan"><strong>{limits.plan_name.clone()}</strong> " " <code>{limits.plan_code.clone()}</code></p>
            {limits.pending_plan_change.clone().map(|p| view! {
                <Alert tone="attention"><span data-testid="pending-plan-change">
                    {format!("Moving to {} ({}): ", p.target_plan, p.status.replace('_', " "))}
                    <a href=format!("/changes/{}", p.change_id)>"see the change"</a>
                </span></Alert>
            })}
            <h3>"Features"</h3>
            <ul class="feature-list" data-testid="tenant-features">
                {FeatureFlag::ALL.into_iter().map(|flag| {
                    let on = limits.feature_flags.contains(&flag);
                    view! {
                        <li>
                            {if on {
                                view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"✓"</span>"Included"</span> }.into_any()
                            } else {
                                view! { <span class="badge tone-neutral"><span class="badge-glyph" aria-hidden="true">"–"</span>"Not included"</span> }.into_any()
                            }}
                            <span>{flag.label()}</span> <code class="muted">{flag.as_str()}</code>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

fn tone(level: UsageLevel) -> &'static str {
    match level {
        UsageLevel::Fine => "tone-success",
        UsageLevel::Near => "tone-attention",
        UsageLevel::Full => "tone-danger",
    }
}

#[component]
fn QuotaTable(page: LimitsPage) -> impl IntoView {
    view! {
        <section class="card table-card" aria-labelledby="quotas-heading">
            <h2 id="quotas-heading">"Quotas and usage"</h2>
            <table class="table table-compact" data-testid="quota-table">
                <thead><tr>
                    <th scope="col">"Quota"</th>
                    <th scope="col" class="num">"Plan"</th>
                    <th scope="col" class="num">"In force"</th>
                    <th scope="col">"In use"</th>
                </tr></thead>
                <tbody>
                    {page.limits.quotas.into_iter().map(|q| {
                        let usage = match (q.used, q.limit) {
                            (Some(used), Some(limit)) if q.quota.is_amount() => view! {
                                <UsageBar used limit tone=tone(q.level) label=format!("{} used", q.quota.label())/>
                                {(q.level != UsageLevel::Fine).then(|| view! { <span class=format!("badge {}", tone(q.level))>{q.level.label()}</span> })}
                            }.into_any(),
                            (Some(used), _) => view! { <span>{used.to_string()} {(q.quota == Quota::ConcurrentUpdates).then_some(" running now")}</span> }.into_any(),
                            (None, _) if q.quota == Quota::ApiRequestsPerMinute => view! { <span class="muted">"Enforced per minute: callers over it get 429 with Retry-After"</span> }.into_any(),
                            (None, _) => view! { <span class="muted">"Reported by the tenant's installation"</span> }.into_any(),
                        };
                        view! {
                            <tr data-testid=format!("quota-{}", q.quota.as_str())>
                                <th scope="row">{q.quota.label()}</th>
                                <td class="num">{limit_text(q.plan_limit)}</td>
                                <td class="num">
                                    <strong>{limit_text(q.limit)}</strong>
                                    {q.overridden.then(|| view! { <br/><span class="chip" title=q.override_reason.clone().unwrap_or_default()>"Override: " {q.override_reason.clone().unwrap_or_default()}</span> })}
                                </td>
                                <td class="usage-cell">{usage}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn OverrideForm(page: LimitsPage, set_override: ServerAction<SetQuotaOverride>) -> impl IntoView {
    let error = action_error(set_override);
    let field_error = move |field: &'static str| field_message(error, field);
    let quotas: Vec<(String, String)> = Quota::ALL
        .into_iter()
        .map(|q| (q.as_str().to_owned(), q.label().to_owned()))
        .collect();
    view! {
        <section class="card" aria-labelledby="override-heading">
            <h2 id="override-heading">"Override a quota"</h2>
            <p class="muted">"For this tenant only, kept across plan changes and audited. A number, " <code>"unlimited"</code> ", or empty to return to the plan's."</p>
            <FormErrors error/>
            <ActionForm action=set_override attr:class="form" attr:novalidate=true attr:data-testid="override-form">
                <input type="hidden" name="slug" value=page.limits.slug.clone()/>
                <SelectField name="quota" label="Quota" options=quotas error=field_error("quota")/>
                <TextField name="limit" label="Limit" placeholder="e.g. 40 or unlimited" error=field_error("limit")/>
                <TextField name="reason" label="Reason" placeholder="e.g. seasonal peak, contract addendum 7" error=field_error("reason")/>
                <button type="submit" class="btn btn-secondary">"Save override"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PlanChangeForm(page: LimitsPage, change_plan: ServerAction<RequestPlanChange>) -> impl IntoView {
    let error = action_error(change_plan);
    let field_error = move |field: &'static str| field_message(error, field);
    let current = page.limits.plan_code.clone();
    let plans: Vec<(String, String)> = page
        .plans
        .iter()
        .filter(|(code, _)| *code != current)
        .cloned()
        .collect();
    view! {
        <section class="card" aria-labelledby="plan-change-heading">
            <h2 id="plan-change-heading">"Change plan"</h2>
            <p class="muted">"A change request: it runs at once and moves the tenant when its step has run. A plan whose quotas are below what the tenant uses is refused, with what exceeds."</p>
            <FormErrors error/>
            <ActionForm action=change_plan attr:class="form" attr:novalidate=true attr:data-testid="plan-change-form">
                <input type="hidden" name="slug" value=page.limits.slug.clone()/>
                <SelectField name="plan" label="New plan" options=plans empty="Choose…" error=field_error("plan")/>
                <TextField name="note" label="Note" placeholder="e.g. renewal on the Enterprise contract" error=field_error("note")/>
                <button type="submit" class="btn btn-primary" disabled=page.limits.pending_plan_change.is_some()>"Request plan change"</button>
            </ActionForm>
        </section>
    }
}

fn status_tone(status: LicenceStatus) -> &'static str {
    match status {
        LicenceStatus::Active => "tone-success",
        LicenceStatus::Expiring => "tone-attention",
        LicenceStatus::Pending => "tone-info",
        LicenceStatus::Expired | LicenceStatus::Revoked => "tone-danger",
    }
}

fn day(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

#[component]
fn LicencesCard(
    page: LimitsPage,
    assign: ServerAction<AssignLicence>,
    renew: ServerAction<RenewLicence>,
    revoke: ServerAction<RevokeLicence>,
) -> impl IntoView {
    let assign_error = action_error(assign);
    let renew_error = action_error(renew);
    let revoke_error = action_error(revoke);
    let field_error = move |field: &'static str| field_message(assign_error, field);
    let manage = page.may.manage;
    let rows = page.licences.clone();
    let templates = page.templates.clone();
    let has_templates = !templates.is_empty();
    let tenant_slug = page.limits.slug.clone();
    view! {
        <section class="card table-card" id="licences" aria-labelledby="licences-heading">
            <h2 id="licences-heading">"Licences"</h2>
            <p class="muted">"Each licence is a document signed with the vendor's Ed25519 key ("<a href="/api/v1/licences/public-key">"public key"</a>"), so the tenant's installation can verify it offline. Notices go out 30, 7 and 1 day before the end; at the end, or on revocation, the tenant is suspended by a change request until the licence is renewed."</p>
            <FormErrors error=renew_error/>
            <FormErrors error=revoke_error/>
            {if rows.is_empty() {
                view! { <p class="muted" data-testid="licences-empty">"No licence assigned: the tenant is not held to one."</p> }.into_any()
            } else {
                view! {
                    <table class="table table-compact" data-testid="licence-table">
                        <thead><tr>
                            <th scope="col">"Licence"</th>
                            <th scope="col" class="num">"Seats"</th>
                            <th scope="col">"Valid"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Document"</th>
                            {manage.then(|| view! { <th scope="col">"Actions"</th> })}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|l: Licence| {
                                let period = match l.valid_to {
                                    Some(to) => format!("{} → {}", day(&l.valid_from), day(&to)),
                                    None => format!("{} → no end", day(&l.valid_from)),
                                };
                                let live = !matches!(l.status, LicenceStatus::Revoked);
                                view! {
                                    <tr data-testid=format!("licence-{}", l.template_key)>
                                        <td><strong>{l.template_name.clone()}</strong><br/><code>{l.template_key.clone()}</code>" · "{l.licence_type.label()}</td>
                                        <td class="num">{l.seats}</td>
                                        <td>{period}</td>
                                        <td>
                                            <span class=format!("badge {}", status_tone(l.status)) data-testid="licence-status">{l.status.label()}</span>
                                            {l.revoked_reason.clone().map(|r| view! { <br/><span class="muted">{r}</span> })}
                                            {l.enforced_at.map(|at| view! { <br/><span class="muted">{format!("Suspended the tenant {}", day(&at))}</span> })}
                                        </td>
                                        <td><a href=format!("/api/v1/licences/{}/document", l.id)>"Signed document"</a></td>
                                        {manage.then(|| view! {
                                            <td>
                                                {live.then(|| view! {
                                                    <ActionForm action=renew attr:class="inline-form" attr:data-testid="renew-form">
                                                        <input type="hidden" name="id" value=l.id.to_string()/>
                                                        <label class="visually-hidden" for=format!("renew-{}", l.id)>"New end"</label>
                                                        <input type="date" id=format!("renew-{}", l.id) name="valid_to" title="Empty: one more term"/>
                                                        <button type="submit" class="btn btn-secondary btn-small">"Renew"</button>
                                                    </ActionForm>
                                                    <ActionForm action=revoke attr:class="inline-form" attr:data-testid="revoke-form">
                                                        <input type="hidden" name="id" value=l.id.to_string()/>
                                                        <label class="visually-hidden" for=format!("revoke-{}", l.id)>"Reason"</label>
                                                        <input id=format!("revoke-{}", l.id) name="reason" placeholder="Reason"/>
                                                        <button type="submit" class="btn btn-danger btn-small">"Revoke"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <div class="card-section">
            {(manage && has_templates).then(|| view! {
                <h3>"Assign a licence"</h3>
                <FormErrors error=assign_error/>
                <ActionForm action=assign attr:class="form form-grid" attr:novalidate=true attr:data-testid="assign-licence-form">
                    <input type="hidden" name="slug" value=tenant_slug.clone()/>
                    <SelectField name="template" label="Template" options=templates.clone() empty="Choose…" error=field_error("template")/>
                    <TextField name="seats" label="Seats" placeholder="the template's" error=field_error("seats")/>
                    <TextField name="valid_from" label="Valid from" input_type="date" help="Empty: today." error=field_error("valid_from")/>
                    <TextField name="valid_to" label="Valid to" input_type="date" help="Empty: the template's term." error=field_error("valid_to")/>
                    <div class="form-actions"><button type="submit" class="btn btn-primary">"Assign licence"</button></div>
                </ActionForm>
            })}
            {(manage && !has_templates).then(|| view! {
                <p class="muted">"Create a licence template on the " <a href="/plans#licence-templates">"Plans"</a> " page to assign one."</p>
            })}
            </div>
        </section>
    }
}

/// The tenant's metered usage over 30 days, one chart per meter with its
/// quota as a threshold, and the month's export for billing.
#[component]
fn UsageCard(slug: String) -> impl IntoView {
    let tenant = slug.clone();
    let data = Resource::new(
        || (),
        move |_| crate::api::plans::usage_of_tenant(tenant.clone()),
    );
    view! {
        <section class="card" id="usage" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage, last 30 days"</h2>
            <p class="muted">
                "API calls and active people are counted by the portal; endpoints from the inventory; storage and custom meters are reported by the tenant's installation. Export a month for billing: "
                <a href=format!("/api/v1/tenants/{slug}/usage/export?format=csv") data-testid="usage-export-csv">"CSV"</a>" · "
                <a href=format!("/api/v1/tenants/{slug}/usage/export?format=json")>"JSON"</a>
            </p>
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading usage…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(usage) if usage.meters.is_empty() => view! { <p class="muted" data-testid="usage-empty">"Nothing metered yet in the last 30 days."</p> }.into_any(),
                        Ok(usage) => view! {
                            <div class="usage-grid" data-testid="usage-charts">
                                {usage.meters.into_iter().map(|m| {
                                    let heading = format!("usage-{}", m.meter.replace('.', "-"));
                                    let latest = m.latest.map(|v| format!("{v}")).unwrap_or_default();
                                    let limit = m.limit.map(|l| l as f64);
                                    view! {
                                        <div data-testid=heading.clone()>
                                            <h3 id=heading.clone()>{m.meter.clone()} " " <span class="muted">{format!("latest {latest}{}", m.limit.map(|l| format!(" of {l}")).unwrap_or_default())}</span></h3>
                                            <crate::ui::components::chart::DailyValueChart labelled_by=heading.clone() description=format!("{} per day over the last 30 days.", m.meter) days=m.days.clone() limit/>
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn CloudResourcesCard(
    page: LimitsPage,
    import: ServerAction<ImportCloudResources>,
) -> impl IntoView {
    let error = action_error(import);
    let rows = page.cloud_resources.clone();
    let flagged = rows.iter().filter(|r| r.residency_issue.is_some()).count();
    view! {
        <section class="card table-card" id="cloud-resources" aria-labelledby="cloud-heading">
            <h2 id="cloud-heading">"Cloud resources"</h2>
            {(flagged > 0).then(|| view! {
                <Alert tone="danger"><span data-testid="cloud-residency">{format!("{flagged} resource{} outside the tenant's allowed regions.", if flagged == 1 { " is" } else { "s are" })}</span></Alert>
            })}
            {if rows.is_empty() {
                view! { <p class="muted" data-testid="cloud-empty">"No cloud resources reported for this tenant. The orchestrator reports them with POST /api/v1/cloud-resources; the vendor can import a CSV."</p> }.into_any()
            } else {
                view! {
                    <table class="table table-compact" data-testid="cloud-table">
                        <thead><tr>
                            <th scope="col">"Resource"</th><th scope="col">"Type"</th><th scope="col">"Region"</th>
                            <th scope="col">"Cost tag"</th><th scope="col">"Tags"</th><th scope="col">"Tenants"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    <td><span class="chip">{r.provider.as_str()}</span>" "<code class="wrap-anywhere">{r.resource_id.clone()}</code></td>
                                    <td>{r.resource_type.clone()}</td>
                                    <td>{r.region.clone()}{r.residency_issue.clone().map(|why| view! { <br/><span class="badge tone-danger" title=why.clone()>"Outside allowed regions"</span> })}</td>
                                    <td>{r.cost_tag.clone()}</td>
                                    <td><span class="chips">{r.tags.iter().map(|(k, v)| view! { <span class="chip">{format!("{k}={v}")}</span> }).collect_view()}</span></td>
                                    <td>{if r.shared { view! { <span class="badge tone-attention">{format!("Shared by {}", r.tenant_count)}</span> }.into_any() } else { view! { <span class="muted">"This tenant only"</span> }.into_any() }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {page.may.manage.then(|| view! {
                <details class="import-details">
                    <summary>"Import resources from CSV"</summary>
                    <FormErrors error/>
                    <ActionForm action=import attr:class="form" attr:data-testid="cloud-import-form">
                        <input type="hidden" name="slug" value=page.limits.slug.clone()/>
                        <label for="cloud-csv">"CSV"</label>
                        <textarea id="cloud-csv" name="csv" rows="5" placeholder="provider,resource_type,resource_id,region,tenants,cost_tag,tags\naws,s3_bucket,arn:aws:s3:::acme-data,eu-central-1,acme;globex,cc-4711,team=data"></textarea>
                        <button type="submit" class="btn btn-secondary">"Import"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}
