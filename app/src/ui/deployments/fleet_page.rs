//! The fleet of blue-green edge deployments: what is live where, each
//! deployment's traffic split and the switches in progress; and the form that
//! puts a tenant's product on blue-green.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::deployments::{CreateDeployment, DeploymentRow, Fleet, deployments};
use crate::ui::components::badge::{WorkBadge, WorkKind};
use crate::ui::components::form::{
    FieldGroup, FormErrors, SelectField, TextField, action_error, field_message, form_field,
};
use crate::ui::components::page::{Alert, PageHeader};
use crate::ui::components::pager::Pager;
use crate::ui::components::refresh::refresh_while;
use crate::ui::components::url::href_with_query;
use crate::ui::deployments::{SplitBar, switch_step_text};

const PER_PAGE: u64 = 25;

#[component]
pub fn FleetPage() -> impl IntoView {
    let create = ServerAction::<CreateDeployment>::new();
    let list = Resource::new(
        move || create.value().get().and_then(|r| r.ok()),
        |_| deployments(),
    );
    refresh_while(
        list,
        |fleet| fleet.rows.iter().any(|r| r.active_switch.is_some()),
        |event| event.event_type.starts_with("deployment."),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/deployments/{id}"), Default::default());
        }
    });
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let sort = Memo::new(move |_| query.read().get("sort").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    });
    view! {
        <div class="page-header-row">
            <PageHeader title="Edge deployments" description="Blue-green slots per tenant and product: the new release goes to the idle slot, is validated, and takes traffic step by step while its health is watched; a bad release rolls back by itself."/>
            <a class="btn btn-primary no-print" href="#new-deployment">"New deployment"</a>
        </div>
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading deployments…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(fleet) => view! {
                        <FleetTable fleet=fleet.view.clone() search=search.get() sort=sort.get() page=page.get()/>
                        {fleet.may.create.then(|| view! { <DeploymentForm fleet=fleet.view.clone() action=create/> })}
                    }.into_any(),
                    Err(e) => view! { <Alert tone="danger">{e.to_string()} " " <a href="/deployments">"Retry"</a></Alert> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

fn matches(row: &DeploymentRow, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    [
        &row.tenant_slug,
        &row.tenant_name,
        &row.product_key,
        &row.product_name,
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(&needle))
}

#[component]
fn FleetTable(fleet: Fleet, search: String, sort: String, page: u64) -> impl IntoView {
    if fleet.rows.is_empty() {
        return view! {
            <section class="card empty-state" data-testid="deployments-empty">
                <p><strong>"No blue-green deployments yet."</strong></p>
                <p class="muted">"Put an edge tenant's product on blue-green below: blue runs the current release and starts live."</p>
            </section>
        }
        .into_any();
    }
    let switching = fleet
        .rows
        .iter()
        .filter(|r| r.active_switch.is_some())
        .count();
    let mut rows: Vec<DeploymentRow> = fleet
        .rows
        .into_iter()
        .filter(|r| search.is_empty() || matches(r, &search))
        .collect();
    match sort.as_str() {
        "product" => rows.sort_by(|a, b| {
            (&a.product_key, &a.tenant_slug).cmp(&(&b.product_key, &b.tenant_slug))
        }),
        // Switches in progress first.
        "switch" => rows.sort_by_key(|r| (r.active_switch.is_none(), r.tenant_slug.clone())),
        _ => {}
    }
    let total = rows.len() as u64;
    let shown: Vec<DeploymentRow> = rows
        .into_iter()
        .skip(((page - 1) * PER_PAGE) as usize)
        .take(PER_PAGE as usize)
        .collect();
    let link = {
        let search = search.clone();
        move |sort: &str, page: u64| {
            href_with_query(
                "/deployments",
                &[
                    ("q", (!search.is_empty()).then(|| search.clone())),
                    ("sort", (!sort.is_empty()).then(|| sort.to_owned())),
                    ("page", (page > 1).then(|| page.to_string())),
                ],
            )
        }
    };
    let sort_header = {
        let (link, current) = (link.clone(), sort.clone());
        move |key: &'static str, label: &'static str| {
            let active = current == key || (key.is_empty() && current.is_empty());
            view! {
                <th scope="col" aria-sort=if active { "ascending" } else { "none" }>
                    <a href=link(key, 1)>{label}{active.then_some(" ▲")}</a>
                </th>
            }
        }
    };
    let pager_link = {
        let (link, sort) = (link.clone(), sort.clone());
        move |p: u64| link(&sort, p)
    };
    view! {
        <section class="card table-card" aria-labelledby="fleet-heading">
            <div class="table-toolbar">
                <h2 id="fleet-heading">{format!("Deployments ({switching} switching)")}</h2>
                <form method="get" action="/deployments" class="inline-form" role="search">
                    <label class="visually-hidden" for="fleet-search">"Search deployments"</label>
                    <input id="fleet-search" type="search" name="q" value=search.clone() placeholder="Tenant or product"/>
                    <button type="submit" class="btn btn-secondary btn-sm">"Search"</button>
                </form>
            </div>
            {if shown.is_empty() {
                view! { <p class="muted" data-testid="fleet-no-match">"No deployment matches this search. " <a href="/deployments">"Show all"</a></p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="deployments-table">
                            <thead><tr>
                                {sort_header("", "Tenant")}
                                {sort_header("product", "Product")}
                                <th scope="col">"Live"</th>
                                <th scope="col">"Blue"</th>
                                <th scope="col">"Green"</th>
                                <th scope="col">"Traffic"</th>
                                {sort_header("switch", "Switch")}
                                <th scope="col">"Router"</th>
                            </tr></thead>
                            <tbody>
                                {shown.into_iter().map(|r| view! { <FleetRow row=r/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <Pager total page per_page=PER_PAGE href=pager_link.clone()/>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn FleetRow(row: DeploymentRow) -> impl IntoView {
    let href = format!("/deployments/{}", row.id);
    let slot_cell = |slot: &crate::api::deployments::SlotView| {
        let version = slot.version.clone();
        view! {
            <td class="nowrap">
                {version.map_or_else(|| view! { <span class="muted">"—"</span> }.into_any(), |v| view! { <code>{v}</code> }.into_any())}
                <br/><WorkBadge kind=WorkKind::Target status=slot.state.as_str()/>
            </td>
        }
    };
    view! {
        <tr data-deployment=row.id.to_string() data-tenant=row.tenant_slug.clone()>
            <td><a href=href.clone()>{row.tenant_name.clone()}</a><br/><span class="muted">{row.tenant_slug.clone()}</span></td>
            <td>{row.product_name.clone()}</td>
            <td class="nowrap">
                <span class=format!("slot-chip slot-{}", row.live_slot.as_str())>{row.live_slot.label()}</span>
                " " {row.live_version.clone().map(|v| view! { <code>{v}</code> })}
            </td>
            {slot_cell(&row.blue)}
            {slot_cell(&row.green)}
            <td><SplitBar blue=row.blue.weight green=row.green.weight compact=true/></td>
            <td>
                {row.active_switch.clone().map_or_else(
                    || view! { <span class="muted">"—"</span> }.into_any(),
                    |s| view! {
                        <a href=href.clone()><WorkBadge kind=WorkKind::Target status=s.status.as_str()/></a>
                        <br/><span class="muted cell-note">{format!("→ {} · {}", s.to_version, switch_step_text(&s))}</span>
                    }.into_any(),
                )}
            </td>
            <td>{row.router.label()}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn DeploymentForm(fleet: Fleet, action: ServerAction<CreateDeployment>) -> impl IntoView {
    let error = action_error(action);
    let field_error = move |field: &'static str| field_message(error, field);
    let routers = vec![
        (
            "simulator".to_owned(),
            "Simulator (synthetic traffic, for demos)".to_owned(),
        ),
        (
            "haproxy".to_owned(),
            "HAProxy (runtime API on its admin socket)".to_owned(),
        ),
    ];
    let router = RwSignal::new("simulator".to_owned());
    view! {
        <section class="card no-print" id="new-deployment" aria-labelledby="new-deployment-heading">
            <h2 id="new-deployment-heading">"New deployment"</h2>
            <FormErrors error field_name=form_field/>
            <ActionForm action attr:class="form" attr:novalidate=true attr:data-testid="deployment-form">
                <FieldGroup legend="What runs">
                    <SelectField name="form[tenant]" label="Edge tenant" required=true options=fleet.choices.tenants.clone() empty="Choose a tenant" error=field_error("tenant")/>
                    <SelectField name="form[product]" label="Product" required=true options=fleet.choices.products.clone() empty="Choose a product" error=field_error("product")/>
                    <TextField name="form[version]" label="Release live on blue" required=true placeholder="5.1.0" error=field_error("version")/>
                </FieldGroup>
                <FieldGroup legend="Traffic router">
                    <SelectField name="form[router]" label="Router" options=routers bind=router error=field_error("router")/>
                    <TextField name="form[router_socket]" label="HAProxy admin socket" placeholder="/run/haproxy/admin.sock" help="HAProxy only: stats socket … level admin" error=field_error("router_socket")/>
                    <TextField name="form[router_backend]" label="Backend" placeholder="app" help="HAProxy backend with both slots; default app" error=field_error("router_backend")/>
                    <TextField name="form[blue_server]" label="Blue server" placeholder="blue" error=field_error("blue_server")/>
                    <TextField name="form[green_server]" label="Green server" placeholder="green" error=field_error("green_server")/>
                    <TextField name="form[blue_url]" label="Blue health URL" placeholder="http://10.0.0.11:8080" help="Base URL the health baseline probes; simulator: leave empty" error=field_error("blue_url")/>
                    <TextField name="form[green_url]" label="Green health URL" placeholder="http://10.0.0.12:8080" error=field_error("green_url")/>
                </FieldGroup>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Creating…" } else { "Create deployment" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}
