//! The change requests: every change to a tenant (upgrades, patches,
//! lifecycle operations) with its status, progress and schedule; filters in
//! the URL; and the form to request a new one.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::changes::{
    ChangeFormOptions, ChangePage, ChangeQuery, ChangeRow, FilterRequestOutcome, RequestChange,
    RequestOutcome, change_options, change_requests,
};
use crate::domain::changes::change::ChangeKind;
use crate::domain::changes::change::ChangeStatus;
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::form::{
    FilterSelect, FormErrors, SelectField, TextAreaField, TextField, action_error, field_message,
    form_field,
};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::progress::ProgressBar;
use crate::ui::components::time::utc;
use crate::ui::components::url::href_with_query;

#[component]
pub fn ChangesPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let text = |key: &str| map.get(key).filter(|v| !v.trim().is_empty());
        ChangeQuery {
            status: text("status"),
            tenant: text("tenant"),
            kind: text("kind"),
            rollout: text("rollout").and_then(|r| r.parse().ok()),
            filter: text("filter").and_then(|f| f.parse().ok()),
            page: text("page").and_then(|p| p.parse().ok()),
        }
    });
    let request = ServerAction::<RequestChange>::new();
    let list = Resource::new(
        move || (query.get(), request.version().get()),
        |(query, _)| change_requests(query),
    );
    let options = Resource::new(|| (), |_| change_options());
    // Once hydrated, a new change opens its own page.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(RequestOutcome::One(id))) = request.value().get() {
            navigate(&format!("/changes/{id}"), Default::default());
        }
    });
    view! {
        <div class="page-header-row">
            <PageHeader title="Changes" description="Every change to a tenant: upgrades, patches and lifecycle operations, with their approval, schedule and progress."/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    options.await.ok().filter(|o| o.can_request()).map(|_| view! {
                        <a class="btn btn-primary no-print" href="#request-change">"Request a change"</a>
                    })
                })}
            </Suspense>
        </div>
        {move || match request.value().get() {
            Some(Ok(RequestOutcome::ForFilter(outcome))) => Some(view! { <FilterOutcome outcome/> }),
            _ => None,
        }}
        <section class="card table-card" aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Change requests"</h2>
            {move || view! { <ChangeFilters query=query.get()/> }}
            <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading changes…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) => view! { <ChangeList page query=query.get_untracked()/> }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/changes">"Retry"</a></Alert> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(options) if options.can_request() => {
                        view! { <RequestChangeForm options tenant=query.get_untracked().tenant.unwrap_or_default() action=request/> }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn changes_href(query: &ChangeQuery, page: Option<u64>) -> String {
    href_with_query(
        "/changes",
        &[
            ("status", query.status.clone()),
            ("kind", query.kind.clone()),
            ("tenant", query.tenant.clone()),
            ("rollout", query.rollout.map(|r| r.to_string())),
            ("filter", query.filter.map(|f| f.to_string())),
            ("page", page.map(|p| p.to_string())),
        ],
    )
}

fn has_filters(query: &ChangeQuery) -> bool {
    query.status.is_some()
        || query.kind.is_some()
        || query.tenant.is_some()
        || query.rollout.is_some()
        || query.filter.is_some()
}

/// What a request for a saved filter did: how many changes, which tenants were skipped and why.
#[component]
fn FilterOutcome(outcome: FilterRequestOutcome) -> impl IntoView {
    let FilterRequestOutcome {
        filter_id,
        filter_name,
        created,
        skipped,
    } = outcome;
    view! {
        <Alert tone="success">
            <p class="alert-title" data-testid="filter-outcome">
                {format!("Requested {} change{} for the saved filter \"{filter_name}\".", created.len(), if created.len() == 1 { "" } else { "s" })}
                " " <a href=format!("/changes?filter={filter_id}")>"See them"</a>
            </p>
            {(!skipped.is_empty()).then(|| view! {
                <p>{format!("{} tenant{} skipped:", skipped.len(), if skipped.len() == 1 { "" } else { "s" })}</p>
                <ul data-testid="filter-skipped">
                    {skipped.into_iter().map(|s| view! { <li><code>{s.slug}</code> " — " {s.reason}</li> }).collect_view()}
                </ul>
            })}
        </Alert>
    }    .into_any()
}

/// Status, kind and tenant as a GET form: the filters live in the URL.
#[component]
fn ChangeFilters(query: ChangeQuery) -> impl IntoView {
    let statuses = ChangeStatus::ALL
        .into_iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    let kinds = ChangeKind::ALL
        .into_iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    view! {
        <form class="filter-bar no-print" method="get" action="/changes" role="search" aria-label="Filter change requests">
            {query.rollout.map(|r| view! { <input type="hidden" name="rollout" value=r.to_string()/> })}
            {query.filter.map(|f| view! { <input type="hidden" name="filter" value=f.to_string()/> })}
            <div class="field">
                <label for="filter-tenant">"Tenant"</label>
                <input id="filter-tenant" name="tenant" type="search" placeholder="Tenant slug" value=query.tenant.clone().unwrap_or_default()/>
            </div>
            <FilterSelect name="status" label="Status" options=statuses selected=query.status.clone()/>
            <FilterSelect name="kind" label="Kind" options=kinds selected=query.kind.clone()/>
            <button type="submit" class="btn btn-sm">"Filter"</button>
            {has_filters(&query).then(|| view! { <a class="btn btn-sm btn-secondary" href="/changes">"Clear all filters"</a> })}
        </form>
    }
}

#[component]
fn ChangeList(page: ChangePage, query: ChangeQuery) -> impl IntoView {
    if page.rows.is_empty() {
        return if has_filters(&query) {
            view! {
                <div class="empty-state" data-testid="changes-empty">
                    <p><strong>"No change request matches these filters."</strong></p>
                    <p><a href="/changes">"Clear all filters"</a></p>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="empty-state" data-testid="changes-empty">
                    <p><strong>"No change requests yet."</strong></p>
                    <p class="muted">"Changes appear here when someone requests one below, starts a lifecycle action on a tenant page, or a rollout reaches a tenant."</p>
                </div>
            }
            .into_any()
        };
    }
    let q = query.clone();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="changes-table">
                <thead><tr>
                    <th scope="col">"Tenant"</th><th scope="col">"Kind"</th><th scope="col">"Title"</th>
                    <th scope="col">"Status"</th><th scope="col">"Requested by"</th><th scope="col">"Created (UTC)"</th>
                </tr></thead>
                <tbody>
                    {page.rows.into_iter().map(|row| view! { <ChangeTableRow row/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager total=page.total page=page.page per_page=page.per_page href=move |p| changes_href(&q, Some(p))/>
    }
    .into_any()
}

#[component]
fn ChangeTableRow(row: ChangeRow) -> impl IntoView {
    view! {
        <tr data-change=row.id.to_string()>
            <td><a class="nowrap" href=format!("/tenants/{}", row.tenant_slug)>{row.tenant_slug.clone()}</a><br/><span class="muted cell-note">{row.tenant_name.clone()}</span></td>
            <td class="nowrap">{row.kind.label()}</td>
            <td><a href=format!("/changes/{}", row.id)>{row.title.clone()}</a></td>
            <td><ChangeStatusCell row=row.clone()/></td>
            <td>{row.requester.clone()}</td>
            <td class="nowrap">{row.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
        </tr>
    }
}

/// The badge, and what the status implies: progress while running, the next
/// start and its reason while scheduled, the outcome when finished.
#[component]
pub fn ChangeStatusCell(row: ChangeRow) -> impl IntoView {
    let detail = match row.status.as_str() {
        "running" => Some(view! { <ProgressBar percent=row.progress label=format!("Progress of {}", row.title)/> }.into_any()),
        "scheduled" => row.next_start_at.map(|at| {
            view! {
                <span class="cell-note">"Starts " {utc(&at)}
                    {(!row.schedule_reason.is_empty()).then(|| view! { <br/><span class="muted">{row.schedule_reason.clone()}</span> })}
                </span>
            }
            .into_any()
        }),
        _ => None,
    };
    view! {
        <span class="status-cell">
            <WorkBadge kind=WorkKind::Change status=row.status.as_str()/>
            {detail}
        </span>
    }
}

/// Kinds that need a product and a release.
fn is_update(kind: &str) -> bool {
    ChangeKind::parse(kind).is_some_and(ChangeKind::is_update)
}

#[component]
fn RequestChangeForm(
    options: ChangeFormOptions,
    tenant: String,
    action: ServerAction<RequestChange>,
) -> impl IntoView {
    // An unknown tenant is "not found": say so on the tenant field.
    let raw_error = action_error(action);
    let error = Memo::new(move |_| match raw_error.get() {
        Some(AppError::NotFound) => Some(AppError::Validation(vec![FieldError::new(
            "tenant",
            "No tenant you can see has this slug.",
        )])),
        other => other,
    });
    let field_error = move |field: &'static str| field_message(error, field);
    // Upgrade first: the product fields are then visible before hydration.
    let initial = options
        .kinds
        .iter()
        .find(|(k, _)| k == "upgrade")
        .or(options.kinds.first())
        .map(|(k, _)| k.clone())
        .unwrap_or_default();
    let kind = RwSignal::new(initial.clone());
    view! {
        <section class="card no-print" id="request-change" aria-labelledby="request-heading">
            <h2 id="request-heading">"Request a change"</h2>
            <p class="muted">"Upgrades and patches follow the tenant's update policy: they wait for an approval if it asks for one, then start in the next maintenance window outside blackouts. Times are UTC."</p>
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form form-grid" attr:novalidate=true attr:data-testid="request-change-form">
                <TextField name="form[tenant]" label="Tenant" placeholder="tenant-slug" value=tenant help="One tenant, or choose a saved filter instead" error=field_error("tenant")/>
                {(!options.filters.is_empty()).then(|| view! {
                    <SelectField name="form[target_filter]" label="Or a saved filter" options=options.filters.clone() empty="No: the tenant above" help="One change per tenant the filter matches now" error=field_error("target_filter")/>
                })}
                <SelectField name="form[kind]" label="Kind" required=true options=options.kinds.clone() selected=initial bind=kind error=field_error("kind")/>
                <div class="field-group" hidden=move || !is_update(&kind.get())>
                    <SelectField name="form[product]" label="Product" options=options.products.clone() empty="Choose a product" help="For upgrades and patches" error=field_error("product")/>
                    <TextField name="form[target_version]" label="Target version" placeholder="5.2.0" help="A published release of the product" error=field_error("target_version")/>
                </div>
                <TextField name="form[not_before]" label="Not before (UTC)" input_type="datetime-local" help="Empty: as soon as the schedule allows" error=field_error("not_before")/>
                <TextAreaField name="form[note]" label="Note" rows=2 help="Why, for the approvers and the audit log" error=field_error("note")/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Requesting…" } else { "Request change" }}
                    </button>
                    <button type="submit" name="form[draft]" value="true" class="btn btn-secondary" data-action="save-draft" disabled=move || action.pending().get()>
                        "Save as draft"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}
