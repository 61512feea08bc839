//! The tenant list: search, filters and sort in the URL, numbered pages.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::changes::{DeleteFilter, SaveFilter, saved_filters};
use crate::api::tenants::{BULK_ACTIONS, TenantPage, TenantQuery, list_tenants};
use crate::domain::tenants::lifecycle::LifecycleState;
use crate::domain::tenants::saved_filter::FilterFields;
use crate::domain::tenants::tenant::DeploymentKind;
use crate::domain::tenants::tenant::Environment;
use crate::error::AppError;
use crate::ui::components::badge::StateBadge;
use crate::ui::components::form::{action_error, field_message};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::url::encode_query_value;
use crate::ui::layout::can_onboard;

const FILTER_KEYS: [(&str, &str); 6] = [
    ("state", "State"),
    ("plan", "Plan"),
    ("region", "Region"),
    ("environment", "Environment"),
    ("kind", "Deployment"),
    ("label", "Label"),
];

#[component]
pub fn TenantsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let text = |key: &str| map.get(key).filter(|v| !v.trim().is_empty());
        TenantQuery {
            q: text("q"),
            state: text("state"),
            plan: text("plan"),
            region: text("region"),
            environment: text("environment"),
            kind: text("kind"),
            label: text("label"),
            sort: text("sort"),
            dir: text("dir"),
            page: text("page").and_then(|p| p.parse().ok()),
            per_page: text("per_page").and_then(|p| p.parse().ok()),
        }
    });
    let tenants = Resource::new(move || query.get(), list_tenants);
    view! {
        <div class="page-header-row">
            <PageHeader title="Tenants" description="Every customer tenant, its placement, plan and lifecycle state."/>
            <Suspense fallback=|| ()>
                {move || can_onboard().get().then(|| view! { <a class="btn btn-primary" href="/tenants/new">"Onboard tenant"</a> })}
            </Suspense>
        </div>
        <FilterBar query/>
        <SavedFilters query/>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading tenants…"</p> }>
            {move || Suspend::new(async move {
                match tenants.await {
                    Ok(page) => view! { <TenantTable page query=query.get_untracked()/> }.into_any(),
                    // An address with filters the list does not know (typed or
                    // from an old bookmark): say which, as the API would.
                    Err(AppError::Validation(fields)) => view! {
                        <Alert tone="danger">
                            <span data-testid="query-errors">{fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ")}</span>
                            " " <a href="/tenants">"Show all tenants"</a>
                        </Alert>
                    }.into_any(),
                    Err(error) => view! {
                        <Alert tone="danger">{error.to_string()} " " <a href="/tenants">"Retry"</a></Alert>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Builds `/tenants?...` from `query` with some parameters replaced or removed.
fn href_with(query: &TenantQuery, changes: &[(&str, Option<String>)]) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("q", query.q.clone()),
        ("state", query.state.clone()),
        ("plan", query.plan.clone()),
        ("region", query.region.clone()),
        ("environment", query.environment.clone()),
        ("kind", query.kind.clone()),
        ("label", query.label.clone()),
        ("sort", query.sort.clone()),
        ("dir", query.dir.clone()),
        ("page", query.page.map(|p| p.to_string())),
        ("per_page", query.per_page.map(|p| p.to_string())),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
    .collect();
    for (key, value) in changes {
        pairs.retain(|(k, _)| k != key);
        if let Some(value) = value {
            pairs.push((key.to_string(), value.clone()));
        }
    }
    if pairs.is_empty() {
        return "/tenants".to_owned();
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    format!("/tenants?{}", encoded.join("&"))
}

#[component]
fn FilterBar(query: Memo<TenantQuery>) -> impl IntoView {
    move || {
        let q = query.get();
        let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
        let chips: Vec<(String, String)> = FILTER_KEYS
            .iter()
            .filter_map(|(key, label)| {
                let value = match *key {
                    "state" => q.state.clone(),
                    "plan" => q.plan.clone(),
                    "region" => q.region.clone(),
                    "environment" => q.environment.clone(),
                    "kind" => q.kind.clone(),
                    _ => q.label.clone(),
                }?;
                Some((
                    format!("{label}: {value}"),
                    href_with(&q, &[(key, None), ("page", None)]),
                ))
            })
            .chain(q.q.clone().map(|text| {
                (
                    format!("Search: {text}"),
                    href_with(&q, &[("q", None), ("page", None)]),
                )
            }))
            .collect();
        view! {
            <form class="filter-bar card" method="get" action="/tenants" role="search" aria-label="Filter tenants">
                <div class="field">
                    <label for="filter-q">"Search"</label>
                    <input id="filter-q" name="q" type="search" placeholder="Name, slug, customer or external id" value=q.q.clone().unwrap_or_default()/>
                </div>
                <div class="field">
                    <label for="filter-state">"State"</label>
                    <select id="filter-state" name="state">
                        <option value="">"Any"</option>
                        {LifecycleState::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=selected(&q.state, s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-environment">"Environment"</label>
                    <select id="filter-environment" name="environment">
                        <option value="">"Any"</option>
                        {Environment::ALL.into_iter().map(|e| view! {
                            <option value=e.as_str() selected=selected(&q.environment, e.as_str())>{e.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-kind">"Deployment"</label>
                    <select id="filter-kind" name="kind">
                        <option value="">"Any"</option>
                        {DeploymentKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=selected(&q.kind, k.as_str())>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-plan">"Plan"</label>
                    <input id="filter-plan" name="plan" value=q.plan.clone().unwrap_or_default() size="10"/>
                </div>
                <div class="field">
                    <label for="filter-region">"Region"</label>
                    <input id="filter-region" name="region" value=q.region.clone().unwrap_or_default() size="12"/>
                </div>
                <div class="field">
                    <label for="filter-label">"Label"</label>
                    <input id="filter-label" name="label" value=q.label.clone().unwrap_or_default() size="10"/>
                </div>
                {q.sort.clone().map(|s| view! { <input type="hidden" name="sort" value=s/> })}
                {q.dir.clone().map(|d| view! { <input type="hidden" name="dir" value=d/> })}
                <button type="submit" class="btn btn-secondary">"Apply"</button>
            </form>
            {(!chips.is_empty()).then(|| view! {
                <div class="chips" aria-label="Active filters">
                    {chips.into_iter().map(|(label, href)| view! {
                        <a class="chip" href=href>{label} <span aria-hidden="true">" ✕"</span><span class="visually-hidden">" (remove)"</span></a>
                    }).collect_view()}
                    <a href="/tenants">"Clear all filters"</a>
                </div>
            })}
        }
    }
}

/// The saved filters (each a link to its tenants, with a delete button) and,
/// when filters are active, the form that saves them under a name: what a
/// change request can then target.
#[component]
fn SavedFilters(query: Memo<TenantQuery>) -> impl IntoView {
    let save = ServerAction::<SaveFilter>::new();
    let delete = ServerAction::<DeleteFilter>::new();
    let filters = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| saved_filters(),
    );
    let error = action_error(save);
    let name_error = field_message(error, "name");
    let other_error = move || {
        error.get().filter(|_| name_error.get().is_none()).map(|e| {
            e.field_errors()
                .for_field("filters")
                .map(str::to_owned)
                .unwrap_or_else(|| e.to_string())
        })
    };
    let active = move || {
        let q = query.get();
        [
            &q.q,
            &q.state,
            &q.plan,
            &q.region,
            &q.environment,
            &q.kind,
            &q.label,
        ]
        .into_iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let rows = filters.await.unwrap_or_default();
                let can_save = can_onboard().get() && active();
                (can_save || !rows.is_empty()).then(|| view! {
                    <section class="card saved-filters no-print" aria-labelledby="saved-filters-heading" data-testid="saved-filters">
                        <h2 id="saved-filters-heading">"Saved filters"</h2>
                        {if rows.is_empty() {
                            view! { <p class="muted">"Save the filters above under a name; changes can then be requested for every tenant they match."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="saved-filter-list">
                                    {rows.into_iter().map(|f| {
                                        let delete_label = format!("Delete saved filter {}", f.name);
                                        view! {
                                        <li data-filter=f.name.clone()>
                                            <a href=tenant_list_href(&f.fields)><strong>{f.name.clone()}</strong></a>
                                            " " <span class="muted">{f.description.clone()} " · " {format!("{} tenant{}", f.matching, if f.matching == 1 { "" } else { "s" })}</span>
                                            {can_onboard().get().then(|| view! {
                                                <ActionForm action=delete attr:class="inline-form">
                                                    <input type="hidden" name="id" value=f.id.to_string()/>
                                                    <button type="submit" class="btn btn-sm btn-secondary" aria-label=delete_label>"Delete"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }.into_any()}).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {can_save.then(|| {
                            let q = query.get_untracked();
                            let hidden = [
                                ("form[q]", q.q), ("form[state]", q.state), ("form[plan]", q.plan),
                                ("form[region]", q.region), ("form[environment]", q.environment),
                                ("form[kind]", q.kind), ("form[label]", q.label),
                            ];
                            view! {
                                <ActionForm action=save attr:class="inline-fields" attr:novalidate=true attr:data-testid="save-filter-form">
                                    {hidden.into_iter().filter_map(|(name, value)| value.map(|v| view! { <input type="hidden" name=name value=v/> })).collect_view()}
                                    <div class="field" class:field-invalid=move || name_error.get().is_some()>
                                        <label for="field-filter-name">"Save these filters as"</label>
                                        {move || name_error.get().map(|m| view! { <p class="field-error" id="err-filter-name"><span aria-hidden="true">"⚠ "</span>{m}</p> })}
                                        <input id="field-filter-name" name="form[name]" placeholder="EU pilots" maxlength="60"
                                            aria-invalid=move || name_error.get().is_some().then_some("true")
                                            aria-describedby=move || name_error.get().is_some().then_some("err-filter-name")/>
                                    </div>
                                    <button type="submit" class="btn btn-secondary" data-action="save-filter">"Save filter"</button>
                                    {move || other_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                                </ActionForm>
                            }
                        })}
                    </section>
                }.into_any())
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn TenantTable(page: TenantPage, query: TenantQuery) -> impl IntoView {
    if !page.any_tenants {
        return view! {
            <section class="card empty-state" data-testid="tenants-empty">
                <h2>"No tenants yet"</h2>
                <p class="muted">"Onboard the first customer tenant to start managing its lifecycle here."</p>
                {move || can_onboard().get().then(|| view! { <a class="btn btn-primary" href="/tenants/new">"Onboard tenant"</a> })}
            </section>
        }
        .into_any();
    }
    if page.rows.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="tenants-no-results">
                <h2><span aria-hidden="true">"🔍 "</span>"No tenants match these filters"</h2>
                <a class="btn btn-secondary" href="/tenants">"Clear all filters"</a>
            </section>
        }
        .into_any();
    }
    let sort_header = |key: &'static str, label: &'static str| {
        let active = query.sort.as_deref().unwrap_or("slug") == key;
        let descending = active && query.dir.as_deref() == Some("desc");
        let next_dir = if active && !descending { "desc" } else { "asc" };
        let href = href_with(
            &query,
            &[
                ("sort", Some(key.to_owned())),
                ("dir", Some(next_dir.to_owned())),
                ("page", None),
            ],
        );
        let aria = active.then_some(if descending {
            "descending"
        } else {
            "ascending"
        });
        let marker = if !active {
            "↕"
        } else if descending {
            "▼"
        } else {
            "▲"
        };
        view! {
            <th scope="col" aria-sort=aria>
                <a class="sort-link" href=href>{label} <span class="sort-marker" aria-hidden="true">{marker}</span></a>
            </th>
        }
    };
    let first = (page.page - 1) * page.per_page + 1;
    let last = first + page.rows.len() as u64 - 1;
    let last_page = page.total.div_ceil(page.per_page).max(1);
    view! {
        <form class="card table-card" method="get" action="/tenants/bulk" aria-label="Tenants with bulk actions">
            <div class="bulk-bar">
                <span class="muted">"With the selected tenants:"</span>
                {BULK_ACTIONS.into_iter().map(|action| view! {
                    <button type="submit" class="btn btn-sm" name="action" value=action.as_str()>{action.label()}"…"</button>
                }).collect_view()}
            </div>
            <div class="table-wrap">
                <table class="table" data-testid="tenants-table">
                    <caption class="visually-hidden">"Tenants"</caption>
                    <thead>
                        <tr>
                            <th scope="col"><span class="visually-hidden">"Select"</span></th>
                            {sort_header("slug", "Slug")}
                            {sort_header("name", "Name")}
                            <th scope="col">"Customer"</th>
                            {sort_header("state", "State")}
                            {sort_header("environment", "Environment")}
                            {sort_header("plan", "Plan")}
                            {sort_header("region", "Region")}
                            {sort_header("updated", "Updated (UTC)")}
                        </tr>
                    </thead>
                    <tbody>
                        {page.rows.into_iter().map(|t| view! {
                            <tr>
                                <td><input type="checkbox" name="ids" value=t.slug.clone() aria-label=format!("Select {}", t.slug)/></td>
                                <td><a href=format!("/tenants/{}", t.slug)><code>{t.slug.clone()}</code></a></td>
                                <td>{t.display_name}</td>
                                <td>{t.customer.unwrap_or_default()}</td>
                                <td>
                                    <StateBadge state=t.state/>
                                    {t.requested_state.map(|r| view! { <span class="muted">" → " {r.label()}</span> })}
                                </td>
                                <td>{t.environment}</td>
                                <td>{t.plan_code}</td>
                                <td>{t.region}</td>
                                <td class="nowrap">{t.updated_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <nav class="pager" aria-label="Pagination">
                <span class="muted" data-testid="pager-range">{format!("{first}–{last} of {}", page.total)}</span>
                <span class="pager-links">
                    {(page.page > 1).then(|| view! { <a class="btn btn-sm" href=href_with(&query, &[("page", Some((page.page - 1).to_string()))])>"Previous"</a> })}
                    <span class="muted">{format!("Page {} of {last_page}", page.page)}</span>
                    {(page.page < last_page).then(|| view! { <a class="btn btn-sm" href=href_with(&query, &[("page", Some((page.page + 1).to_string()))])>"Next"</a> })}
                </span>
                <span class="pager-sizes">
                    "Per page: "
                    {[25u64, 50, 100].into_iter().map(|size| {
                        let current = size == page.per_page;
                        view! {
                            <a href=href_with(&query, &[("per_page", Some(size.to_string())), ("page", None)]) aria-current=current.then_some("true")>{size}</a>" "
                        }
                    }).collect_view()}
                </span>
            </nav>
        </form>
    }
    .into_any()
}

/// The tenant list with a saved filter's filters applied.
fn tenant_list_href(fields: &FilterFields) -> String {
    let query = TenantQuery {
        q: fields.q.clone(),
        state: fields.state.clone(),
        plan: fields.plan.clone(),
        region: fields.region.clone(),
        environment: fields.environment.clone(),
        kind: fields.kind.clone(),
        label: fields.label.clone(),
        ..TenantQuery::default()
    };
    href_with(&query, &[])
}
