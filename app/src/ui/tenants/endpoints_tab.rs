//! The tenant's Endpoints tab: devices running our agent, filtered by
//! platform, product, version and presence; enrollment tokens for new agents.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::tenants::endpoints::CreateEnrollmentToken;
use crate::api::tenants::endpoints::EndpointQuery;
use crate::api::tenants::endpoints::EndpointsView;
use crate::api::tenants::endpoints::RevokeEnrollmentToken;
use crate::api::tenants::endpoints::tenant_endpoints;
use crate::ui::components::form::{TextField, action_error, field_message};
use crate::ui::components::page::{Alert, SecretOnce};
use crate::ui::components::pager::Pager;
use crate::ui::components::url::encode_query_value;

#[component]
pub fn EndpointsTab(tenant_id: Uuid, slug: String) -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let text = |key: &str| map.get(key).filter(|v| !v.trim().is_empty());
        EndpointQuery {
            platform: text("platform"),
            product: text("product"),
            version: text("version"),
            presence: text("presence"),
            page: text("page").and_then(|p| p.parse().ok()),
            per_page: None,
        }
    });
    let create = ServerAction::<CreateEnrollmentToken>::new();
    let revoke = ServerAction::<RevokeEnrollmentToken>::new();
    let data = Resource::new(
        move || (query.get(), create.version().get(), revoke.version().get()),
        move |(query, ..)| tenant_endpoints(tenant_id, query),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted" aria-busy="true">"Loading endpoints…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(view_data) => view! {
                            <EndpointTable data=view_data.view.clone() query=query.get_untracked() slug/>
                            {view_data.may.enroll.then(|| view! { <Enrollment tenant_id data=view_data.view create revoke/> })}
                        }.into_any(),
                        Err(e) => view! { <Alert tone="danger">{e.to_string()}</Alert> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
fn EndpointTable(data: EndpointsView, query: EndpointQuery, slug: String) -> impl IntoView {
    let base = format!("/tenants/{slug}/endpoints");
    let q = query.clone();
    let href_base = base.clone();
    let href = move |page: u64| {
        let pairs: Vec<String> = [
            ("platform", q.platform.clone()),
            ("product", q.product.clone()),
            ("version", q.version.clone()),
            ("presence", q.presence.clone()),
            ("page", Some(page.to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode_query_value(&v))))
        .collect();
        format!("{href_base}?{}", pairs.join("&"))
    };
    let csv_href = href(1).replacen("/endpoints?", "/endpoints.csv?", 1);
    let list = data.list;
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    view! {
        <section class="card table-card">
            <div class="page-header-row">
                <h2>{format!("{} endpoints · {} online", list.total, data.online)}</h2>
                <a class="btn btn-secondary btn-sm no-print" href=csv_href rel="external" download data-testid="export-endpoints">"Export CSV"</a>
            </div>
            <form class="filter-bar" method="get" action=base.clone()>
                <label>"Platform "
                    <select name="platform">
                        <option value="">"Any"</option>
                        {["linux", "windows", "mobile"].into_iter().map(|p| view! { <option value=p selected=selected(&query.platform, p)>{p}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Product "
                    <select name="product">
                        <option value="">"Any"</option>
                        {data.product_keys.iter().map(|k| view! { <option value=k.clone() selected=selected(&query.product, k)>{k.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Version " <input type="text" name="version" size="8" value=query.version.clone().unwrap_or_default()/></label>
                <label>"Presence "
                    <select name="presence">
                        <option value="">"Any"</option>
                        <option value="online" selected=selected(&query.presence, "online")>"Online"</option>
                        <option value="offline" selected=selected(&query.presence, "offline")>"Offline"</option>
                    </select>
                </label>
                <button type="submit" class="btn btn-sm">"Filter"</button>
                <a class="btn btn-sm btn-secondary" href=base.clone()>"Clear"</a>
            </form>
            {if list.items.is_empty() {
                view! {
                    <div class="empty-state">
                        <p><strong>"No endpoints match."</strong></p>
                        <p class="muted">"Agents appear here once they register with an enrollment token (POST /api/v1/agents/register)."</p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="endpoints-table">
                            <thead><tr>
                                <th scope="col">"Host"</th><th scope="col">"Platform"</th><th scope="col">"Agent"</th>
                                <th scope="col">"Installed"</th><th scope="col">"Last seen"</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|e| view! {
                                    <tr>
                                        <td><code>{e.hostname.clone()}</code></td>
                                        <td>{e.platform.clone()}</td>
                                        <td>{e.agent_version.clone()}</td>
                                        <td><span class="chips">{e.products.iter().map(|(k, v)| view! { <code class="chip">{format!("{k} {v}")}</code> }).collect_view()}</span></td>
                                        <td class="nowrap">
                                            {if e.online {
                                                view! { <span class="badge tone-success"><span class="badge-glyph" aria-hidden="true">"●"</span>"Online"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge tone-neutral"><span class="badge-glyph" aria-hidden="true">"○"</span>"Offline"</span> }.into_any()
                                            }}
                                            " " <span class="muted">{e.last_seen_at.format("%Y-%m-%d %H:%M").to_string()}</span>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <Pager total=list.total page=list.page per_page=list.per_page href/>
        </section>
    }
    .into_any()
}

#[component]
fn Enrollment(
    tenant_id: Uuid,
    data: EndpointsView,
    create: ServerAction<CreateEnrollmentToken>,
    revoke: ServerAction<RevokeEnrollmentToken>,
) -> impl IntoView {
    let error = action_error(create);
    let field_error = move |field: &'static str| field_message(error, field);
    view! {
        <section class="card no-print">
            <h2>"Enrollment tokens"</h2>
            <p class="muted">"Give a token to your device management; each agent trades it for its own token when it registers. Tokens last 30 days."</p>
            {move || create.value().get().and_then(|r| r.ok()).map(|token| view! {
                <SecretOnce heading="Copy this enrollment token now — it will not be shown again." value=token testid="enrollment-token">
                    "Each agent trades it for its own token when it registers (" <code>"POST /api/v1/agents/register"</code> ")."
                </SecretOnce>
            })}
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <input type="hidden" name="tenant_id" value=tenant_id.to_string()/>
                <TextField name="label" label="Label" required=true error=field_error("label")/>
                <TextField name="max_registrations" label="Registrations allowed" input_type="number" help="1 makes it single-use; empty allows any number for 30 days" error=field_error("max_registrations")/>
                <label class="checkbox-row"><input type="checkbox" name="replaces_endpoints" value="true"/>" May replace endpoints already registered under the same hostname (re-imaged machines)"</label>
                <button type="submit" class="btn btn-primary">"Create token"</button>
            </ActionForm>
            {(!data.tokens.is_empty()).then(|| view! {
                <table class="table table-compact">
                    <thead><tr><th scope="col">"Label"</th><th scope="col">"Expires"</th><th scope="col" class="num">"Registrations"</th><th scope="col">"Replaces endpoints"</th><th scope="col"><span class="visually-hidden">"Revoke"</span></th></tr></thead>
                    <tbody>
                        {data.tokens.into_iter().map(|t| view! {
                            <tr>
                                <td>{t.label.clone()}</td>
                                <td>{if t.revoked { "revoked".to_owned() } else { t.expires_at.format("%Y-%m-%d").to_string() }}</td>
                                <td class="num">{match t.max_registrations {
                                    Some(max) => format!("{} of {max}", t.registrations),
                                    None => t.registrations.to_string(),
                                }}</td>
                                <td>{if t.replaces_endpoints { "yes" } else { "no" }}</td>
                                <td>{(!t.revoked).then(|| view! {
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="tenant_id" value=tenant_id.to_string()/>
                                        <input type="hidden" name="id" value=t.id.to_string()/>
                                        <button type="submit" class="btn btn-sm btn-danger">"Revoke"</button>
                                    </ActionForm>
                                })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
    .into_any()
}
