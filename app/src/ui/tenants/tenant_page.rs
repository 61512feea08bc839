//! One tenant: identity, lifecycle actions (with reasons when unavailable),
//! the field change log and its audit history.

use leptos::prelude::*;

use leptos_router::hooks::use_params_map;

use crate::api::tenants::{
    RemoveTenantConfig, SetTenantConfig, TenantAction, TenantDetail, get_tenant,
};
use crate::domain::tenants::lifecycle::{LifecycleAction, LifecycleState};
use crate::error::AppError;
use crate::ui::components::badge::{OutcomeBadge, StateBadge};
use crate::ui::components::form::{action_error, field_message};
use crate::ui::components::page::Alert;
use crate::ui::layout::NotFound;
use crate::ui::tenants::endpoints_tab::EndpointsTab;
use crate::ui::tenants::health_tab::HealthTab;
use crate::ui::tenants::overview_panel::OverviewPanel;
use crate::ui::tenants::update_policy_tab::UpdatePolicyTab;
use crate::ui::tenants::versions_tab::VersionsTab;

/// The tenant page's tabs, one URL each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantTab {
    Overview,
    Config,
    Versions,
    Health,
    Endpoints,
    UpdatePolicy,
    Limits,
    Backups,
    Placement,
    Manifest,
    Offboarding,
    History,
}

impl TenantTab {
    const ALL: [TenantTab; 12] = [
        TenantTab::Overview,
        TenantTab::Config,
        TenantTab::Versions,
        TenantTab::Health,
        TenantTab::Endpoints,
        TenantTab::UpdatePolicy,
        TenantTab::Limits,
        TenantTab::Backups,
        TenantTab::Placement,
        TenantTab::Manifest,
        TenantTab::Offboarding,
        TenantTab::History,
    ];

    fn label(self) -> &'static str {
        match self {
            TenantTab::Overview => "Overview",
            TenantTab::Config => "Config",
            TenantTab::Versions => "Versions",
            TenantTab::Health => "Health",
            TenantTab::Endpoints => "Endpoints",
            TenantTab::UpdatePolicy => "Update policy",
            TenantTab::Limits => "Limits",
            TenantTab::Backups => "Backups",
            TenantTab::Placement => "Placement",
            TenantTab::Manifest => "Manifest",
            TenantTab::Offboarding => "Offboarding",
            TenantTab::History => "History",
        }
    }

    fn href(self, slug: &str) -> String {
        match self {
            TenantTab::Overview => format!("/tenants/{slug}"),
            TenantTab::Config => format!("/tenants/{slug}/config"),
            TenantTab::Versions => format!("/tenants/{slug}/versions"),
            TenantTab::Health => format!("/tenants/{slug}/health"),
            TenantTab::Endpoints => format!("/tenants/{slug}/endpoints"),
            TenantTab::UpdatePolicy => format!("/tenants/{slug}/update-policy"),
            TenantTab::Limits => format!("/tenants/{slug}/limits"),
            TenantTab::Backups => format!("/tenants/{slug}/backups"),
            TenantTab::Placement => format!("/tenants/{slug}/placement"),
            TenantTab::Manifest => format!("/tenants/{slug}/manifest"),
            TenantTab::Offboarding => format!("/tenants/{slug}/offboarding"),
            TenantTab::History => format!("/tenants/{slug}/history"),
        }
    }
}

/// Bumped by a tab whose work under way has changed the tenant's own fields
/// (a migration's region and isolation): the page header refetches.
#[derive(Clone, Copy)]
pub struct TenantMoved(pub RwSignal<u32>);

#[component]
pub fn TenantPage(tab: TenantTab) -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let act = ServerAction::<TenantAction>::new();
    let set_config = ServerAction::<SetTenantConfig>::new();
    let remove_config = ServerAction::<RemoveTenantConfig>::new();
    let moved = RwSignal::new(0u32);
    provide_context(TenantMoved(moved));
    // Refetch after every action (their redirects target this same URL) and
    // when a tab saw work under way change the tenant itself.
    let detail = Resource::new(
        move || {
            (
                slug.get(),
                act.version().get(),
                set_config.version().get(),
                remove_config.version().get(),
                moved.get(),
            )
        },
        |(slug, ..)| get_tenant(slug),
    );
    let error = action_error(act);
    let config_error = action_error(set_config);
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading tenant…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <TenantView detail tab act error set_config remove_config config_error/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TenantView(
    detail: TenantDetail,
    tab: TenantTab,
    act: ServerAction<TenantAction>,
    error: Memo<Option<AppError>>,
    set_config: ServerAction<SetTenantConfig>,
    remove_config: ServerAction<RemoveTenantConfig>,
    config_error: Memo<Option<AppError>>,
) -> impl IntoView {
    let t = detail.row.clone();
    let slug = t.slug.clone();
    let version = detail.version;
    let actions = detail.actions.clone();
    view! {
        <leptos_meta::Title text=t.display_name.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/tenants">"Tenants"</a>" / " {t.slug.clone()}</nav>
        <header class="object-header page-header-row">
            <div>
                <h1>{t.display_name.clone()}</h1>
                <p class="object-meta">
                    <code data-testid="tenant-slug">{t.slug.clone()}</code>
                    <span data-testid="tenant-state"><StateBadge state=t.state/></span>
                    {t.requested_state.map(|r| view! {
                        <span class="muted" data-testid="tenant-requested">" → " {r.label()} " (in progress) · "<a href=format!("/tenants/{}", t.slug)>"Refresh"</a></span>
                    })}
                    <span class="chip">{t.environment.clone()}</span>
                    <span class="chip">{t.region.clone()}</span>
                    <span class="chip">{t.plan_code.clone()}</span>
                </p>
            </div>
            <a class="btn btn-primary" href=format!("/tenants/{}/edit", t.slug)>"Edit"</a>
        </header>
        <nav class="tabs" aria-label="Tenant sections">
            {TenantTab::ALL.into_iter().map(|each| view! {
                <a href=each.href(&slug) aria-current=(each == tab).then_some("page")>{each.label()}</a>
            }).collect_view()}
        </nav>
        // Why the tenant is in its state (a failure, a licence, an offboarding).
        {detail.state_reason.clone().map(|reason| {
            let state = detail.row.state;
            let tone = if state == LifecycleState::Broken { "danger" } else { "attention" };
            view! {
                <Alert tone=tone><span data-testid="state-reason">{format!("{} — {reason}", state.label())}</span></Alert>
            }
        })}
        {detail.lifecycle_access.clone().map(|effect| view! {
            <Alert tone="attention"><span data-testid="lifecycle-access">{effect}</span></Alert>
        })}
        {detail.access_restriction.clone().map(|reason| view! {
            <Alert tone="attention"><span data-testid="access-restriction">{reason}
                " The tenant's own people can read, approve updates and request grace; configuration, users, API tokens and delays wait."</span></Alert>
        })}
        {move || error.get().map(|e| view! { <Alert tone="danger"><span data-testid="action-error">{e.to_string()}</span></Alert> })}
        {(tab == TenantTab::Versions).then(|| view! { <VersionsTab tenant_id=t.id/> })}
        {(tab == TenantTab::Health).then(|| view! { <HealthTab slug=slug.clone()/> })}
        {(tab == TenantTab::Endpoints).then(|| view! { <EndpointsTab tenant_id=t.id slug=slug.clone()/> })}
        {(tab == TenantTab::UpdatePolicy).then(|| view! { <UpdatePolicyTab slug=slug.clone()/> })}
        {(tab == TenantTab::Limits).then(|| view! { <crate::ui::plans::limits_tab::LimitsTab slug=slug.clone()/> })}
        {(tab == TenantTab::Backups).then(|| view! { <crate::ui::tenants::backups_tab::BackupsTab slug=slug.clone()/> })}
        {(tab == TenantTab::Placement).then(|| view! { <crate::ui::tenants::placement_tab::PlacementTab slug=slug.clone()/> })}
        {(tab == TenantTab::Manifest).then(|| view! { <crate::ui::tenants::manifest_tab::ManifestTab slug=slug.clone()/> })}
        {(tab == TenantTab::Offboarding).then(|| view! { <crate::ui::tenants::offboarding_tab::OffboardingTab slug=slug.clone()/> })}
        {(tab == TenantTab::Overview).then(|| view! {
        <OverviewPanel slug=slug.clone()/>
        <section class="card">
            <h2>"Lifecycle actions"</h2>
            <ul class="action-list">
                {actions.into_iter().map(|option| {
                    let slug = slug.clone();
                    let reason_id = format!("why-{}", option.action.as_str());
                    let label = option.action.label();
                    match (option.action, option.unavailable_because) {
                        (LifecycleAction::Delete, None) => view! {
                            <li><a class="btn btn-danger" href=format!("/tenants/{slug}/delete")>{label}"…"</a></li>
                        }.into_any(),
                        // An upgrade names a product and release: its own form.
                        (LifecycleAction::Upgrade, None) => view! {
                            <li><a class="btn btn-secondary" data-testid="upgrade-link" href=format!("/tenants/{slug}/upgrade")>{label}"…"</a></li>
                        }.into_any(),
                        // A restore names its backup: chosen on the Backups tab.
                        (LifecycleAction::Restore, None) => view! {
                            <li><a class="btn btn-secondary" data-action="restore" href=format!("/tenants/{slug}/backups#restore")>{label}"…"</a></li>
                        }.into_any(),
                        (action, None) => view! {
                            <li>
                                <ActionForm action=act attr:class="inline-form">
                                    <input type="hidden" name="slug" value=slug/>
                                    <input type="hidden" name="action" value=action.as_str()/>
                                    <input type="hidden" name="version" value=version.to_string()/>
                                    <button type="submit" class="btn btn-secondary" data-action=action.as_str()>{label}</button>
                                </ActionForm>
                            </li>
                        }.into_any(),
                        (action, Some(reason)) => view! {
                            <li>
                                <button type="button" class="btn btn-secondary" disabled=true data-action=action.as_str() aria-describedby=reason_id.clone()>{label}</button>
                                <span class="action-reason muted" id=reason_id>{reason}</span>
                            </li>
                        }.into_any(),
                    }
                }).collect_view()}
            </ul>
        </section>
        <section class="card">
            <h2>"Record"</h2>
            <dl class="facts">
                <dt>"Customer"</dt><dd>{t.customer.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Deployment"</dt><dd>{t.deployment_kind.clone()}</dd>
                <dt>"Isolation"</dt><dd>{detail.isolation_mode.clone()}</dd>
                <dt>"Allowed regions"</dt><dd>{detail.allowed_regions.join(", ")}</dd>
                <dt>"Contacts"</dt><dd>{if detail.contacts.is_empty() { "—".to_owned() } else { detail.contacts.iter().map(|(r, e)| format!("{r}: {e}")).collect::<Vec<_>>().join(" · ") }}</dd>
                <dt>"External ids"</dt><dd>{if detail.external_ids.is_empty() { "—".to_owned() } else { detail.external_ids.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" · ") }}</dd>
                <dt>"Labels"</dt><dd>{if detail.labels.is_empty() { "—".to_owned() } else { detail.labels.join(", ") }}</dd>
                <dt>"Created"</dt><dd>{detail.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
                <dt>"Version"</dt><dd>{detail.version}</dd>
            </dl>
        </section>
        })}
        {(tab == TenantTab::Config).then(|| view! {
            <ConfigCard slug=slug.clone() entries=detail.config.clone() set_config remove_config config_error/>
            <crate::ui::tenants::secrets_card::SecretsCard slug=slug.clone()/>
        })}
        {(tab == TenantTab::History).then(|| view! {
        <section class="card">
            <h2>"Change log"</h2>
            {if detail.changes.is_empty() {
                view! { <p class="muted">"No field has changed since the tenant was created."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="change-log">
                        <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Field"</th><th scope="col">"Old → new"</th><th scope="col">"By"</th></tr></thead>
                        <tbody>
                            {detail.changes.into_iter().map(|c| view! {
                                <tr>
                                    <td class="nowrap">{c.changed_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td><code>{c.field}</code></td>
                                    <td>{c.old_value.unwrap_or_else(|| "—".into())} " → " {c.new_value.unwrap_or_else(|| "—".into())}</td>
                                    <td>{c.actor}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card">
            <h2>"History"</h2>
            <table class="table" data-testid="tenant-history">
                <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th><th scope="col">"Outcome"</th></tr></thead>
                <tbody>
                    {detail.history.into_iter().map(|e| view! {
                        <tr>
                            <td class="nowrap">{e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td>{e.actor}</td>
                            <td><code>{e.action}</code></td>
                            <td><OutcomeBadge outcome=e.outcome/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        })}
    }
}

#[component]
fn ConfigCard(
    slug: String,
    entries: Vec<crate::api::tenants::ConfigEntryRow>,
    set_config: ServerAction<SetTenantConfig>,
    remove_config: ServerAction<RemoveTenantConfig>,
    config_error: Memo<Option<AppError>>,
) -> impl IntoView {
    let field_error = move |field: &'static str| field_message(config_error, field);
    let other_error = move || {
        config_error
            .get()
            .filter(|e| e.field_errors().is_empty())
            .map(|e| e.to_string())
    };
    view! {
        <section class="card" id="config">
            <h2>"Configuration"</h2>
            {if entries.is_empty() {
                view! { <p class="muted">"No configuration entries yet. Add the first one below."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="config-table">
                        <thead><tr><th scope="col">"Key"</th><th scope="col">"Value"</th><th scope="col">"Updated"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|entry| {
                                let slug = slug.clone();
                                view! {
                                    <tr>
                                        <td><code>{entry.key.clone()}</code></td>
                                        <td>{match entry.value {
                                            Some(value) => view! { <span>{value}</span> }.into_any(),
                                            None => view! { <span class="muted" title="Secret: write-only">"•••••• (secret)"</span> }.into_any(),
                                        }}</td>
                                        <td class="nowrap muted">{entry.updated_at.format("%Y-%m-%d %H:%M").to_string()} " · " {entry.updated_by}</td>
                                        <td>
                                            <ActionForm action=remove_config attr:class="inline-form">
                                                <input type="hidden" name="slug" value=slug/>
                                                <input type="hidden" name="key" value=entry.key.clone()/>
                                                <button type="submit" class="btn btn-sm" aria-label=format!("Remove {}", entry.key)>"Remove"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {move || other_error().map(|m| view! { <Alert tone="danger">{m}</Alert> })}
            <ActionForm action=set_config attr:class="form config-form" attr:novalidate=true>
                <input type="hidden" name="slug" value=slug.clone()/>
                <div class="field" class:field-invalid=move || field_error("key").get().is_some()>
                    <label for="field-key">"Key"<span class="required" aria-hidden="true">" *"</span></label>
                    {move || field_error("key").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                    <input id="field-key" name="key" placeholder="smtp.host"/>
                </div>
                <div class="field" class:field-invalid=move || field_error("value").get().is_some()>
                    <label for="field-value">"Value"</label>
                    {move || field_error("value").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                    <input id="field-value" name="value" autocomplete="off"/>
                </div>
                <div class="field field-inline">
                    <label><input type="checkbox" name="secret" value="on"/>" Secret (write-only, always masked)"</label>
                    {move || field_error("secret").get().map(|m| view! { <p class="field-error">"⚠ "{m}</p> })}
                </div>
                <button type="submit" class="btn btn-secondary">"Save entry"</button>
            </ActionForm>
        </section>
    }
}
