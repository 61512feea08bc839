//! The audit explorer: who did what, to which tenant, when — filterable,
//! page by page (newest first) and exportable as CSV.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::audit::{AuditPage, AuditQuery, search_audit};
use crate::error::AppError;
use crate::ui::components::badge::OutcomeBadge;
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::url::encode_query_value;

fn query_string(query: &AuditQuery, before: Option<&str>) -> String {
    let pairs = [
        ("actor", query.actor.as_deref()),
        ("tenant", query.tenant.as_deref()),
        ("action", query.action.as_deref()),
        ("from", query.from.as_deref()),
        ("to", query.to.as_deref()),
        ("request", query.request.as_deref()),
        ("before", before),
    ];
    let encoded: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode_query_value(v)))
        })
        .collect();
    encoded.join("&")
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let text = |key: &str| map.get(key).filter(|v| !v.trim().is_empty());
        AuditQuery {
            actor: text("actor"),
            tenant: text("tenant"),
            action: text("action"),
            from: text("from"),
            to: text("to"),
            request: text("request"),
            before: text("before"),
        }
    });
    let page = Resource::new(move || query.get(), search_audit);
    view! {
        <PageHeader title="Audit" description="Every change and sign-in, with who, what, which tenant and when. Append-only."/>
        {move || {
            let q = query.get();
            view! {
                <form class="filter-bar card" method="get" action="/audit" role="search" aria-label="Filter audit events">
                    <div class="field"><label for="audit-actor">"Actor"</label><input id="audit-actor" name="actor" value=q.actor.clone().unwrap_or_default() placeholder="email or system:…"/></div>
                    <div class="field"><label for="audit-tenant">"Tenant"</label><input id="audit-tenant" name="tenant" value=q.tenant.clone().unwrap_or_default() placeholder="slug" size="14"/></div>
                    <div class="field"><label for="audit-action">"Action"</label><input id="audit-action" name="action" value=q.action.clone().unwrap_or_default() placeholder="e.g. tenant." size="14"/></div>
                    <div class="field"><label for="audit-from">"From"</label><input id="audit-from" name="from" type="date" value=q.from.clone().unwrap_or_default()/></div>
                    <div class="field"><label for="audit-to">"To"</label><input id="audit-to" name="to" type="date" value=q.to.clone().unwrap_or_default()/></div>
                    <div class="field"><label for="audit-request">"Request or correlation id"</label><input id="audit-request" name="request" value=q.request.clone().unwrap_or_default() size="14"/></div>
                    <button type="submit" class="btn btn-secondary">"Apply"</button>
                    <a class="btn btn-secondary" href=format!("/audit/export.csv?{}", query_string(&q, None)) download="tenantry-audit.csv">"Export CSV"</a>
                    <a href="/audit">"Clear all filters"</a>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <AuditTable page query=query.get_untracked()/> }.into_any(),
                    Err(AppError::Validation(fields)) => view! {
                        <Alert tone="danger">{fields.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join(" ")}</Alert>
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(page: AuditPage, query: AuditQuery) -> impl IntoView {
    if page.rows.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="audit-empty">
                <h2>"No events match these filters"</h2>
                <a class="btn btn-secondary" href="/audit">"Clear all filters"</a>
            </section>
        }
        .into_any();
    }
    let is_first_page = query.before.is_none();
    let has_older = page.older.is_some();
    view! {
        <section class="card table-card">
            <div class="table-wrap">
                <table class="table" data-testid="audit-table">
                    <caption class="visually-hidden">"Audit events, newest first"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"When (UTC)"</th>
                            <th scope="col">"Actor"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Tenant"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Request"</th>
                            <th scope="col">"Outcome"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {page.rows.into_iter().map(|e| view! {
                            <tr>
                                <td class="nowrap"><time datetime=e.occurred_at.to_rfc3339()>{e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()}</time></td>
                                <td>{e.actor}</td>
                                <td><code>{e.action}</code></td>
                                <td>{e.tenant.map(|slug| view! { <a href=format!("/tenants/{slug}")><code>{slug.clone()}</code></a> })}</td>
                                <td class="truncate">{e.target}</td>
                                <td class="truncate muted">{e.request_id.map(|id| {
                                    let href = format!("/audit?request={}", encode_query_value(&id));
                                    view! { <a href=href title="Everything this request or change did"><code>{id}</code></a> }
                                })}</td>
                                <td><OutcomeBadge outcome=e.outcome/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <nav class="pager" aria-label="Pagination" hidden=is_first_page && !has_older>
                <span class="pager-links">
                    {(!is_first_page).then(|| view! { <a class="btn btn-sm" href=format!("/audit?{}", query_string(&query, None))>"Newest"</a> })}
                    {page.older.map(|cursor| view! { <a class="btn btn-sm" href=format!("/audit?{}", query_string(&query, Some(&cursor)))>"Older"</a> })}
                </span>
            </nav>
        </section>
    }
    .into_any()
}
